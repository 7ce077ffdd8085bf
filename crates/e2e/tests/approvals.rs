//! Approvals in a real headless Chromium: a supplier's member submits an order in the console,
//! the backbone approves it at two levels from their inboxes, the supplier sees it approved; a
//! second order is rejected with a reason the supplier reads; in English and Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::approval::{Approvers, Condition, Mode, Node, Template};
use keiretsu_domain::ids::{AppId, NetworkId, OrgId, UnitId};
use keiretsu_e2e::{Browser, PASSWORD, certified_org};
use keiretsu_service::Caller;
use keiretsu_service::apps::{NewApp, Publication};
use keiretsu_service::directory::NewMember;
use keiretsu_service::license::SeatSelection;
use keiretsu_service::network::{InvitationAnswer, NewInvitation, NewNetwork};
use keiretsu_testkit::{Db, TestServer};

async fn member(s: &TestServer, org: &OrgId, name: &str, login: &str) -> String {
    let input =
        NewMember { name: name.into(), login: login.into(), password: Some(PASSWORD.into()), ..Default::default() };
    s.svc.directory().add_member(&Caller::System, org, &input).await.unwrap().member().unwrap().id
}

async fn caller(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "e2e").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

fn node(name: &str, approvers: Vec<Approvers>, when: Vec<Condition>) -> Node {
    Node {
        name: name.into(),
        approvers,
        mode: Mode::Any,
        when,
        copy_to: Vec::new(),
        remind_after_hours: None,
        escalate_after_hours: None,
    }
}

/// Opens the most recently changed request in `inbox`.
async fn open_first(b: &Browser, base: &str, inbox: &str) {
    b.goto(&format!("{base}/console/approvals?inbox={inbox}")).await;
    b.click("[data-testid=approval-row] [data-testid=approval-link]").await;
    b.wait("[data-testid=approval-detail]").await;
}

/// Hoshino Motors (Sato Kenji, admin and the supplier's owner contact; Ito Aya in finance)
/// publishes purchase orders to its supplier Aoba Components, whose Zhou Min holds a seat. The
/// buyer approves every order; finance those above 1000.
async fn supply_network() -> (TestServer, AppId) {
    let s = TestServer::start(Db::Sqlite).await;
    let backbone = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    s.license(backbone.as_str(), "exclusive", Some(100)).await;
    let admin = caller(&s, "sato.kenji").await;
    let finance = member(&s, &backbone, "Ito Aya", "ito.aya").await;
    let network = s
        .svc
        .network()
        .create_network(&admin, &NewNetwork { name: "Hoshino Supply Network".into(), description: String::new() })
        .await
        .unwrap();
    let network = NetworkId::parse(&network.id).unwrap();
    let supplier = certified_org(&s, "Aoba Components", "lin.xiao", "Lin Xiao").await;
    let invitation = NewInvitation {
        partner_name: "Aoba Components".into(),
        organization_id: Some(supplier.clone()),
        partner_type: "supplier".into(),
        tier: "a".into(),
        expires_in_hours: None,
        departments: vec![],
    };
    let inv = s.svc.network().invite(&admin, &network, &invitation).await.unwrap();
    let answer = InvitationAnswer { code: Some(inv.code.unwrap()), invitation_id: None, department_ids: None };
    let unit = s.svc.network().accept_invitation(&caller(&s, "lin.xiao").await, &answer).await.unwrap();
    let unit = UnitId::parse(&unit.id).unwrap();
    let zhou = member(&s, &supplier, "Zhou Min", "zhou.min").await;
    let sel = SeatSelection { unit_id: Some(unit), member_ids: vec![zhou], ..Default::default() };
    s.svc.license().set_seats(&Caller::System, &backbone, &sel, true).await.unwrap();
    let fields = serde_json::from_value(serde_json::json!([
        {"key": "product", "label": "Product", "kind": "text", "required": true},
        {"key": "amount", "label": "Amount", "kind": "money", "required": true}
    ]))
    .unwrap();
    let app = s
        .svc
        .apps()
        .create_app(&admin, &NewApp { name: "Purchase orders".into(), description: String::new(), fields })
        .await
        .unwrap();
    let app = AppId::parse(&app.id).unwrap();
    let audience = serde_json::from_value(serde_json::json!({"kind": "partner_types", "ids": ["supplier"]})).unwrap();
    s.svc.apps().publish_app(&admin, &app, &network, &Publication { audience }).await.unwrap();
    // The backbone's owner contact of the unit (the inviter) first; above 1000, finance too.
    let template = Template {
        nodes: vec![
            node("Buyer", vec![Approvers::BackboneOwner], Vec::new()),
            node(
                "Finance",
                vec![Approvers::Members { member_ids: vec![finance] }],
                vec![Condition::Field { filter: "amount:gt:1000".into() }],
            ),
        ],
        copy_to: Vec::new(),
    };
    s.svc.approvals().put_template(&admin, &app, &template).await.unwrap();
    (s, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suppliers_order_is_approved_at_two_levels_and_another_rejected_with_a_reason() {
    let (s, app) = supply_network().await;
    let b = Browser::start().await;

    // The supplier submits a large order in the console.
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    b.goto(&format!("{}/console/workbench/{app}", s.base)).await;
    b.fill("[data-testid=value-product]", "Gear housings").await;
    b.fill("[data-testid=value-amount]", "5200.00").await;
    b.click("[data-testid=submission-submit]").await;
    b.wait("[data-testid=notice]").await;
    open_first(&b, &s.base, "submitted").await;
    assert_eq!(b.text("[data-testid=approval-state]").await, "In approval");
    let steps = b.texts_when("[data-testid=approval-step]", 2).await;
    assert!(steps[0].contains("Buyer") && steps[0].contains("Sato Kenji"), "{steps:?}");
    // Finance is a backbone member outside the network: the supplier is not shown who.
    assert!(steps[1].contains("Finance") && !steps[1].contains("Ito Aya"), "{steps:?}");
    assert!(!b.body().await.contains("mem_"), "no ids in place of names");
    // The submitter may withdraw but not decide.
    b.gone("[data-testid=approval-approve]").await;
    b.wait("[data-testid=approval-withdraw]").await;
    b.screenshot("approvals-01-submitted").await;
    b.sign_out().await;

    // The buyer approves from their inbox; finance then does.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-approvals]").await;
    open_first(&b, &s.base, "todo").await;
    assert_eq!(b.text("[data-testid=approval-submitter]").await, "Zhou Min");
    b.click("[data-testid=approval-approve]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=approval-waiting]").await.contains("Ito Aya"));
    b.goto(&format!("{}/console/approvals?inbox=todo", s.base)).await;
    b.wait("[data-testid=approval-empty]").await;
    b.sign_out().await;
    b.sign_in(&s.base, "ito.aya", "[data-testid=nav-approvals]").await;
    // Finance was told in the inbox, by name and app.
    b.goto(&format!("{}/console/inbox", s.base)).await;
    let told = b.text("[data-testid=notification][data-kind=approval_task]").await;
    assert!(told.contains("Zhou Min asks for your approval in Purchase orders"), "{told}");
    open_first(&b, &s.base, "todo").await;
    b.click("[data-testid=approval-approve]").await;
    b.wait_text("[data-testid=approval-state]", "Approved").await;
    b.screenshot("approvals-02-approved").await;
    b.sign_out().await;

    // The supplier sees it approved; a small order is then rejected with a reason.
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    open_first(&b, &s.base, "submitted").await;
    assert_eq!(b.text("[data-testid=approval-state]").await, "Approved");
    s.clock.advance(60_000);
    b.goto(&format!("{}/console/workbench/{app}", s.base)).await;
    b.fill("[data-testid=value-product]", "Washers").await;
    b.fill("[data-testid=value-amount]", "40.00").await;
    b.click("[data-testid=submission-submit]").await;
    b.wait("[data-testid=notice]").await;
    b.sign_out().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-approvals]").await;
    open_first(&b, &s.base, "todo").await;
    assert_eq!(b.texts_when("[data-testid=approval-step]", 1).await.len(), 1, "a small order skips finance");
    // Rejecting without a reason is refused in words; with one, after confirming, it ends.
    b.confirm("[data-testid=approval-reject]").await;
    assert!(b.text("[data-testid=approval-error]").await.contains("Reason"), "the field named");
    s.clock.advance(60_000);
    b.fill("[data-testid=approval-reason]", "Wrong price list").await;
    let asked = b.confirm("[data-testid=approval-reject]").await;
    assert!(asked.contains("final"), "{asked}");
    b.wait_text("[data-testid=approval-state]", "Rejected").await;
    b.sign_out().await;

    // In Chinese, the supplier reads the outcome.
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-approvals]", "审批").await;
    open_first(&b, &s.base, "submitted").await;
    assert_eq!(b.text("[data-testid=approval-state]").await, "已驳回");
    let timeline = b.text("[data-testid=approval-timeline]").await;
    assert!(timeline.contains("Sato Kenji 驳回：Wrong price list"), "the reason, by whom: {timeline}");
    b.screenshot("approvals-03-zh-rejected").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_order_is_corrected_and_resubmitted_then_handed_over_with_a_comment() {
    let (s, app) = supply_network().await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    b.goto(&format!("{}/console/workbench/{app}", s.base)).await;
    b.fill("[data-testid=value-product]", "Brackets").await;
    b.fill("[data-testid=value-amount]", "300.00").await;
    b.click("[data-testid=submission-submit]").await;
    b.wait("[data-testid=notice]").await;
    // While it is in approval the submission says so and offers no edit form.
    open_first(&b, &s.base, "submitted").await;
    b.click("[data-testid=approval-submission]").await;
    b.wait_text("[data-testid=submission-approval]", "In approval").await;
    b.wait("[data-testid=submission-locked]").await;
    b.gone("[data-testid=edit-form]").await;
    b.sign_out().await;

    // The buyer sees one task waiting in the header and returns the order for a quote.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-approvals]").await;
    assert_eq!(b.text("[data-testid=tasks-count]").await, "1");
    open_first(&b, &s.base, "todo").await;
    b.fill("[data-testid=approval-reason]", "Quote the price per hundred").await;
    b.click("[data-testid=approval-return]").await;
    b.wait_text("[data-testid=approval-state]", "Returned for changes").await;
    b.gone("[data-testid=tasks-count]").await;
    b.sign_out().await;

    // The supplier corrects the order and sends it again (resubmitting asks nothing).
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    open_first(&b, &s.base, "submitted").await;
    assert!(b.text("[data-testid=approval-timeline]").await.contains("Quote the price per hundred"));
    b.click("[data-testid=approval-submission]").await;
    b.fill("[data-testid=edit-form] [data-testid=value-product]", "Brackets, 100 per box").await;
    b.click("[data-testid=edit-submit]").await;
    b.wait("[data-testid=notice]").await;
    open_first(&b, &s.base, "submitted").await;
    b.click("[data-testid=approval-resubmit]").await;
    b.wait_text("[data-testid=approval-state]", "In approval").await;
    b.sign_out().await;

    // The buyer hands the task to finance, picked by name, with a comment.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-approvals]").await;
    open_first(&b, &s.base, "todo").await;
    b.fill("[data-testid=approval-comment]", "Ito knows this supplier's prices").await;
    let quote = std::env::temp_dir().join(format!("bracket-quote-{}.txt", std::process::id()));
    std::fs::write(&quote, "Brackets: 12.50 per hundred").unwrap();
    b.wait("[data-testid=approval-file-input]").await.send_keys(quote.to_str().unwrap()).await.unwrap();
    b.click("[data-testid=approval-comment-send]").await;
    b.wait("[data-testid=notice]").await;
    b.pick("[data-testid=approval-member]", "Ito Aya").await;
    b.click("[data-testid=approval-transfer]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=approval-waiting]").await.contains("Ito Aya"));
    let timeline = b.text("[data-testid=approval-timeline]").await;
    assert!(timeline.contains("handed the task to Ito Aya"), "{timeline}");
    assert!(timeline.contains("commented: Ito knows this supplier's prices"), "{timeline}");
    assert!(timeline.contains(quote.file_name().unwrap().to_str().unwrap()), "the file is named: {timeline}");
    b.gone("[data-testid=approval-approve]").await;
    b.screenshot("approvals-04-handed-over").await;
    b.sign_out().await;

    // Finance approves; the supplier reads the whole story.
    b.sign_in(&s.base, "ito.aya", "[data-testid=nav-approvals]").await;
    assert_eq!(b.text("[data-testid=tasks-count]").await, "1");
    open_first(&b, &s.base, "todo").await;
    b.click("[data-testid=approval-approve]").await;
    b.wait_text("[data-testid=approval-state]", "Approved").await;
    b.sign_out().await;
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    open_first(&b, &s.base, "submitted").await;
    assert_eq!(b.text("[data-testid=approval-state]").await, "Approved");
    let timeline = b.text("[data-testid=approval-timeline]").await;
    assert!(timeline.contains("resubmitted") && timeline.contains("commented"), "{timeline}");
    // The supplier opens the buyer's file from the request.
    let files = b.texts_when("[data-testid=approval-file]", 1).await;
    assert!(files[0].starts_with("bracket-quote"), "{files:?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_designs_the_steps_and_previews_who_would_approve_a_sample() {
    let (s, app) = supply_network().await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-apps]").await;
    b.goto(&format!("{}/console/apps/{app}", s.base)).await;
    b.click("[data-testid=app-approvals-link]").await;
    let steps = b.texts_when("[data-testid=design-step]", 2).await;
    assert!(steps[1].contains("Finance") && steps[1].contains("Ito Aya"), "{steps:?}");
    assert!(steps[1].contains("Amount is more than 1000"), "conditions in words: {steps:?}");
    assert!(!b.body().await.contains("mem_"), "no ids in place of names");

    // An escalation before the reminder is refused, naming the field; nothing is published.
    b.fill("[data-testid=design-name]", "Quality").await;
    b.pick("[data-testid=design-members]", "Ito Aya").await;
    b.select("[data-testid=design-side]", "partner").await;
    b.fill("[data-testid=design-remind]", "24").await;
    b.fill("[data-testid=design-escalate]", "12").await;
    b.click("[data-testid=design-add]").await;
    let said = b.text("[data-testid=design-error]").await;
    assert!(said.contains("Escalate after") && said.contains("later than the reminder"), "{said}");
    assert_eq!(b.texts_when("[data-testid=design-step]", 2).await.len(), 2);
    // Corrected, the step is added as the next version.
    b.fill("[data-testid=design-escalate]", "48").await;
    b.click("[data-testid=design-add]").await;
    b.wait("[data-testid=notice]").await;
    let steps = b.texts_when("[data-testid=design-step]", 3).await;
    assert!(steps[2].contains("Quality") && steps[2].contains("a partner's people"), "{steps:?}");
    assert!(steps[2].contains("Reminds after 24 h"), "{steps:?}");
    assert!(b.text("[data-testid=design-version]").await.contains("Version 2"));

    // The preview: a large order from the supplier's Zhou Min passes the buyer, finance, quality.
    b.pick("[data-testid=preview-member]", "Zhou Min").await;
    b.fill("[data-testid=design-preview-form] [data-testid=value-product]", "Gear housings").await;
    b.fill("[data-testid=design-preview-form] [data-testid=value-amount]", "5200.00").await;
    b.click("[data-testid=preview-run]").await;
    let shown = b.texts_when("[data-testid=preview-step]", 3).await;
    assert!(shown[0].contains("Buyer") && shown[0].contains("Sato Kenji"), "{shown:?}");
    assert!(shown[1].contains("Finance") && shown[2].contains("Quality"), "{shown:?}");
    b.screenshot("approvals-05-designer-preview").await;
    // A small one skips finance.
    b.pick("[data-testid=preview-member]", "Zhou Min").await;
    b.fill("[data-testid=design-preview-form] [data-testid=value-product]", "Washers").await;
    b.fill("[data-testid=design-preview-form] [data-testid=value-amount]", "40.00").await;
    b.click("[data-testid=preview-run]").await;
    let shown = b.texts_when("[data-testid=preview-step]", 2).await;
    assert!(shown[1].contains("Quality"), "{shown:?}");

    // Quality moves up, then goes after confirming; declining keeps it.
    b.click("[data-testid=design-step]:nth-child(3) [data-testid=design-up]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.texts_when("[data-testid=design-step]", 3).await[1].contains("Quality"));
    b.decline("[data-testid=design-step]:nth-child(2) [data-testid=design-remove]").await;
    b.texts_when("[data-testid=design-step]", 3).await;
    let asked = b.confirm("[data-testid=design-step]:nth-child(2) [data-testid=design-remove]").await;
    assert!(asked.contains("Quality"), "{asked}");
    b.wait("[data-testid=notice]").await;
    let steps = b.texts_when("[data-testid=design-step]", 2).await;
    assert!(steps.iter().all(|x| !x.contains("Quality")), "{steps:?}");
    b.close().await;
}
