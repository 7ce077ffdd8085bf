//! Approvals through the service on SQLite and PostgreSQL: a template bound to an app plans each
//! submission, a supplier's request goes to the backbone's owner contact and, above an amount,
//! to finance; nobody approves their own request or acts without a task; data is locked while it
//! runs; and an approve racing a withdraw ends in one outcome.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::approval::{Approvers, Condition, Mode, Node, State, Template};
use keiretsu_domain::ids::{AppId, ApprovalId};
use keiretsu_service::Caller;
use keiretsu_service::approvals::{Action, InboxKind, InboxQuery, NewDelegation};
use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn caller(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "test").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

fn node(name: &str, approvers: Vec<Approvers>) -> Node {
    Node {
        name: name.into(),
        approvers,
        mode: Mode::Any,
        when: Vec::new(),
        copy_to: Vec::new(),
        remind_after_hours: None,
        escalate_after_hours: None,
    }
}

struct World {
    s: TestServer,
    backbone: String,
    app: AppId,
    admin: Client,
    staff: Vec<Client>,
    finance: String,
    finance_client: Client,
    network: String,
    unit: String,
}

/// A backbone (its admin invited the supplier, so is the unit's backbone owner contact), a
/// finance member, a supplier with two seated staff, and an order form published to suppliers.
async fn world(s: TestServer) -> World {
    let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
    let (finance, finance_client) = s.member(&admin, &backbone, "hoshino.finance").await;
    let (_, net) = admin.post("/api/v1/networks", json!({"name": "Partners"})).await;
    let net = net["id"].as_str().unwrap().to_owned();
    let (_, inv) = admin
        .post(
            &format!("/api/v1/networks/{net}/invitations"),
            json!({"partner_name": "Kato Metals", "partner_type": "supplier", "tier": "a"}),
        )
        .await;
    let (org, partner_admin) = s.certified_org("Kato Metals", "kato.admin").await;
    let (_, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
    let unit = unit["id"].as_str().unwrap().to_owned();
    let mut staff = Vec::new();
    for i in 0..2 {
        let (member, client) = s.member(&partner_admin, &org, &format!("kato.staff{i}")).await;
        let (st, _) = admin
            .post(
                &format!("/api/v1/organizations/{backbone}/seats/enable"),
                json!({"unit_id": unit, "member_ids": [member]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        staff.push(client);
    }
    let fields = json!([
        {"key": "product", "label": "Product", "kind": "text", "required": true},
        {"key": "amount", "label": "Amount", "kind": "money", "required": true}
    ]);
    let (st, app) = admin.post("/api/v1/apps", json!({"name": "Orders", "fields": fields})).await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    let app = app["id"].as_str().unwrap().to_owned();
    let (st, _) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/apps/{app}/publications/{net}"),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    World { s, backbone, app: AppId::parse(&app).unwrap(), admin, staff, finance, finance_client, network: net, unit }
}

fn template(finance: &str) -> Template {
    let mut big = node("Finance", vec![Approvers::Members { member_ids: vec![finance.to_owned()] }]);
    big.when = vec![Condition::Field { filter: "amount:gt:1000".into() }];
    Template { nodes: vec![node("Owner", vec![Approvers::BackboneOwner]), big], copy_to: Vec::new() }
}

/// A supplier staff member submits an order; the approval it started.
async fn order(w: &World, staff: usize, amount: &str) -> (String, ApprovalId) {
    let (st, sub) = w.staff[staff]
        .post(&format!("/api/v1/apps/{}/submissions", w.app), json!({"values": {"product": "Bolts", "amount": amount}}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sub}");
    let who = caller(&w.s, &format!("kato.staff{staff}")).await;
    let page =
        w.s.svc
            .approvals()
            .inbox(&who, &InboxQuery { inbox: InboxKind::Submitted, ..Default::default() })
            .await
            .unwrap();
    let found =
        page.items.iter().find(|i| i.submission_id == sub["id"].as_str().unwrap()).expect("an approval started");
    (sub["id"].as_str().unwrap().to_owned(), ApprovalId::parse(&found.id).unwrap())
}

fn code(e: keiretsu_service::Error) -> String {
    match e {
        keiretsu_service::Error::Domain(d) => d.code().to_owned(),
        other => panic!("{other}"),
    }
}

/// A request through the API with an `Idempotency-Key`.
async fn act_once(c: &Client, id: &ApprovalId, key: &str, body: Value) -> (StatusCode, Value) {
    let res = c
        .http
        .post(format!("{}/api/v1/approvals/{id}/actions", c.base))
        .bearer_auth(c.token.as_ref().unwrap())
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = res.status();
    (st, res.json().await.unwrap())
}

both! {
    async fn a_suppliers_order_is_approved_by_the_owner_and_finance_and_nobody_else(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let finance = caller(s, "hoshino.finance").await;
        let submitter = caller(s, "kato.staff0").await;
        let other = caller(s, "kato.staff1").await;
        // A template that does not fit the form is refused naming where.
        let mut bad = template(&w.finance);
        bad.nodes[1].when = vec![Condition::Field { filter: "colour:eq:red".into() }];
        let e = s.svc.approvals().put_template(&admin, &w.app, &bad).await.unwrap_err();
        assert!(e.to_string().starts_with("nodes.1.when.0.filter"), "{e}");
        // Suppliers do not design the backbone's approvals: the app is unknown to them.
        assert_eq!(code(s.svc.approvals().put_template(&submitter, &w.app, &template(&w.finance)).await.unwrap_err()), "not_found");
        let t = s.svc.approvals().put_template(&admin, &w.app, &template(&w.finance)).await.unwrap();
        assert_eq!(t.version, 1);

        // A large order: the owner contact, then finance.
        let (sub, id) = order(&w, 0, "5000.00").await;
        let i = s.svc.approvals().instance(&submitter, &id).await.unwrap();
        assert_eq!(i.plan.steps.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["Owner", "Finance"]);
        assert_eq!(i.state, State::Pending);
        // The submitter holds no task; the other supplier does not even see the request.
        assert_eq!(code(s.svc.approvals().act(&submitter, &id, &Action::Approve).await.unwrap_err()), "no_open_task");
        assert_eq!(code(s.svc.approvals().instance(&other, &id).await.unwrap_err()), "not_found");
        assert_eq!(code(s.svc.approvals().act(&other, &id, &Action::Approve).await.unwrap_err()), "not_found");
        // Finance waits for the owner.
        assert_eq!(code(s.svc.approvals().act(&finance, &id, &Action::Approve).await.unwrap_err()), "not_found");
        // The data is locked while it runs.
        let (st, body) = w.staff[0]
            .send(Method::PUT, &format!("/api/v1/submissions/{sub}"), Some(json!({"values": {"product": "Nuts", "amount": "1.00"}})))
            .await;
        assert_eq!((st, body["code"].clone()), (StatusCode::CONFLICT, json!("under_approval")), "{body}");

        let todo = s.svc.approvals().inbox(&admin, &InboxQuery::default()).await.unwrap();
        assert_eq!(todo.items.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
        let i = s.svc.approvals().act(&admin, &id, &Action::Approve).await.unwrap();
        assert_eq!((i.step, i.waiting_for.clone()), (1, vec![w.finance.clone()]));
        assert!(s.svc.approvals().inbox(&admin, &InboxQuery::default()).await.unwrap().items.is_empty());
        let done = s.svc.approvals().inbox(&admin, &InboxQuery { inbox: InboxKind::Done, ..Default::default() }).await.unwrap();
        assert_eq!(done.items.len(), 1);
        let i = s.svc.approvals().act(&finance, &id, &Action::Approve).await.unwrap();
        assert_eq!(i.state, State::Approved);
        // Each task and the decision reached people's inboxes, with a link to the request.
        let kinds = |v: &Value| -> Vec<(String, String)> {
            v["items"].as_array().unwrap().iter().map(|n| (n["kind"].as_str().unwrap().to_owned(), n["link"].as_str().unwrap_or("").to_owned())).collect()
        };
        let (_, mine) = w.admin.get("/api/v1/notifications").await;
        assert!(kinds(&mine).contains(&("approval_task".into(), format!("/console/approvals/{id}"))), "{mine}");
        let (_, theirs) = w.staff[0].get("/api/v1/notifications").await;
        let decided = theirs["items"].as_array().unwrap().iter().find(|n| n["kind"] == "approval_decided").expect("told");
        assert_eq!((decided["params"]["state"].clone(), decided["params"]["app"].clone()), (json!("approved"), json!("Orders")));
        assert_eq!(s.svc.approvals().instance(&submitter, &id).await.unwrap().state, State::Approved);
        // Finance is not among the people the network shows the supplier: the supplier's view of
        // the request names the step but not who decided it; the backbone's admin sees them.
        let (st, seen) = w.staff[0].get(&format!("/api/v1/approvals/{id}")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(!seen.to_string().contains(&w.finance), "{seen}");
        assert_eq!(seen["plan"]["steps"][1]["approvers"], json!([""]), "{seen}");
        assert!(seen["timeline"].as_array().unwrap().iter().any(|r| r["by"] == "" && r["event"]["event"] == "approved"), "{seen}");
        let (_, theirs) = w.staff[0].get("/api/v1/approvals?inbox=submitted").await;
        assert!(!theirs.to_string().contains(&w.finance), "{theirs}");
        let (_, admins) = w.admin.get(&format!("/api/v1/approvals/{id}")).await;
        assert_eq!(admins["plan"]["steps"][1]["approvers"], json!([w.finance]), "{admins}");

        // A small order needs only the owner, who rejects it with a reason.
        let (_, small) = order(&w, 0, "10.00").await;
        let i = s.svc.approvals().instance(&admin, &small).await.unwrap();
        assert_eq!(i.plan.steps.len(), 1);
        let e = s.svc.approvals().act(&admin, &small, &Action::Reject { reason: " ".into() }).await.unwrap_err();
        assert_eq!(code(e), "required");
        let i = s.svc.approvals().act(&admin, &small, &Action::Reject { reason: "Wrong price list".into() }).await.unwrap();
        assert_eq!(i.state, State::Rejected);

        // The journal holds each step, with the reason.
        let (_, entries) = w.admin.get(&format!("/api/v1/journal?target={small}")).await;
        let actions: Vec<&str> = entries["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"approval.submit") && actions.contains(&"approval.reject") && actions.contains(&"approval.finish"), "{actions:?}");
        let reject = entries["items"].as_array().unwrap().iter().find(|e| e["action"] == "approval.reject").unwrap();
        assert!(reject["details"].to_string().contains("Wrong price list"), "{reject}");
    }

    async fn an_approve_racing_a_withdraw_ends_in_one_outcome(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let submitter = caller(s, "kato.staff0").await;
        s.svc.approvals().put_template(&admin, &w.app, &template(&w.finance)).await.unwrap();
        for _ in 0..5 {
            let (_, id) = order(&w, 0, "10.00").await;
            let cases = s.svc.approvals();
            let (a, b) =
                tokio::join!(cases.act(&admin, &id, &Action::Approve), cases.act(&submitter, &id, &Action::Withdraw));
            assert!(a.is_ok() != b.is_ok(), "exactly one wins: {:?} / {:?}", a.map(|i| i.state), b.map(|i| i.state));
            let end = s.svc.approvals().instance(&admin, &id).await.unwrap().state;
            assert!(matches!(end, State::Approved | State::Withdrawn), "{end:?}");
            let (_, entries) = w.admin.get(&format!("/api/v1/journal?target={id}&action=approval.finish")).await;
            let finished: Vec<Value> = entries["items"].as_array().unwrap().clone();
            assert_eq!(finished.len(), 1, "one final decision: {finished:?}");
        }
        // Two approvers of one step, one approving while the other rejects: one decision stands.
        let finance = caller(s, "hoshino.finance").await;
        let both = node("Either", vec![Approvers::BackboneOwner, Approvers::Members { member_ids: vec![w.finance.clone()] }]);
        s.svc.approvals().put_template(&admin, &w.app, &Template { nodes: vec![both], copy_to: Vec::new() }).await.unwrap();
        for _ in 0..5 {
            let (_, id) = order(&w, 0, "10.00").await;
            let cases = s.svc.approvals();
            let reject = Action::Reject { reason: "No budget".into() };
            let (a, b) = tokio::join!(cases.act(&admin, &id, &Action::Approve), cases.act(&finance, &id, &reject));
            assert!(a.is_ok() != b.is_ok(), "exactly one wins: {:?} / {:?}", a.map(|i| i.state), b.map(|i| i.state));
            let end = s.svc.approvals().instance(&admin, &id).await.unwrap().state;
            assert_eq!(end, if a.is_ok() { State::Approved } else { State::Rejected });
        }
    }

    async fn the_api_serves_templates_inboxes_and_a_double_clicked_approve_acts_once(db) {
        let w = world(TestServer::start(db).await).await;
        let app = w.app.as_str().to_owned();
        // No template yet: said so.
        let (st, body) = w.admin.get(&format!("/api/v1/apps/{app}/approval-template")).await;
        assert_eq!((st, body["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")), "{body}");
        // A named approver must be someone the backbone works with.
        let stranger = json!({"nodes": [{"name": "Boss", "approvers": [{"kind": "members", "member_ids": ["mem_nobody"]}]}]});
        let (st, body) = w.admin.send(Method::PUT, &format!("/api/v1/apps/{app}/approval-template"), Some(stranger)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "nodes.0.approvers.0.member_ids.0", "{body}");
        let t = serde_json::to_value(template(&w.finance)).unwrap();
        let (st, body) = w.admin.send(Method::PUT, &format!("/api/v1/apps/{app}/approval-template"), Some(t.clone())).await;
        assert_eq!((st, body["version"].clone()), (StatusCode::OK, json!(1)), "{body}");
        let (_, again) = w.admin.send(Method::PUT, &format!("/api/v1/apps/{app}/approval-template"), Some(t)).await;
        assert_eq!(again["version"], 2, "each publication is a version");

        let (_, id) = order(&w, 0, "10.00").await;
        let (st, todo) = w.admin.get("/api/v1/approvals?inbox=todo").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(todo["items"][0]["id"], id.as_str());
        assert_eq!(todo["items"][0]["template_version"], 2);
        let (st, bad) = w.admin.get("/api/v1/approvals?inbox=everything").await;
        assert_eq!((st, bad["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("inbox")), "{bad}");
        // The same click twice: one approval, the same answer.
        let (a, first) = act_once(&w.admin, &id, "click-1", json!({"action": "approve"})).await;
        let (b, second) = act_once(&w.admin, &id, "click-1", json!({"action": "approve"})).await;
        assert_eq!((a, b), (StatusCode::OK, StatusCode::OK), "{first} {second}");
        assert_eq!(first, second);
        assert_eq!(first["state"], "approved");
        let (_, entries) = w.admin.get(&format!("/api/v1/journal?target={id}&action=approval.approve")).await;
        assert_eq!(entries["items"].as_array().unwrap().len(), 1);
        // A new click on a decided request is refused in words.
        let (st, body) = act_once(&w.admin, &id, "click-2", json!({"action": "approve"})).await;
        assert_eq!((st, body["code"].clone()), (StatusCode::CONFLICT, json!("no_open_task")), "{body}");
        // Unknown actions are refused naming the field.
        let (st, body) = act_once(&w.admin, &id, "click-3", json!({"action": "shrug"})).await;
        assert!(st.is_client_error(), "{body}");
    }

    async fn a_departed_approvers_task_moves_to_the_approval_admins(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let only_finance = Template {
            nodes: vec![node("Finance", vec![Approvers::Members { member_ids: vec![w.finance.clone()] }])],
            copy_to: Vec::new(),
        };
        s.svc.approvals().put_template(&admin, &w.app, &only_finance).await.unwrap();
        let (_, id) = order(&w, 0, "10.00").await;
        assert_eq!(s.svc.approvals().instance(&admin, &id).await.unwrap().waiting_for, std::slice::from_ref(&w.finance));
        let (st, body) =
            w.admin.post(&format!("/api/v1/organizations/{}/members/{}/leave", w.backbone, w.finance), json!({})).await;
        assert!(st.is_success(), "{body}");
        // Finance had no supervisor: the approval admins (here the primary admin) take the task.
        let i = s.svc.approvals().instance(&admin, &id).await.unwrap();
        let (_, me) = w.admin.get("/api/v1/me").await;
        assert_eq!(i.waiting_for, [me["member_id"].as_str().unwrap().to_owned()]);
        assert!(i.timeline.iter().any(|r| matches!(&r.event, keiretsu_domain::approval::Event::Moved { from, .. } if *from == w.finance)));
        let (_, entries) = w.admin.get(&format!("/api/v1/journal?target={id}&action=approval.move")).await;
        assert_eq!(entries["items"].as_array().unwrap().len(), 1, "the move is journaled");
        let i = s.svc.approvals().act(&admin, &id, &Action::Approve).await.unwrap();
        assert_eq!(i.state, State::Approved);
    }

    async fn a_returned_request_is_resubmitted_on_the_template_it_started_with(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let submitter = caller(s, "kato.staff0").await;
        let owner_only = Template { nodes: vec![node("Owner", vec![Approvers::BackboneOwner])], copy_to: Vec::new() };
        s.svc.approvals().put_template(&admin, &w.app, &owner_only).await.unwrap();
        let (sub, id) = order(&w, 0, "10.00").await;
        let to = keiretsu_domain::approval::Target::Submitter;
        s.svc.approvals().act(&admin, &id, &Action::Return { to, reason: "Attach the quote".into() }).await.unwrap();
        // Returned, the data can be changed again.
        let (st, body) = w.staff[0]
            .send(Method::PUT, &format!("/api/v1/submissions/{sub}"), Some(json!({"values": {"product": "Nuts", "amount": "12.00"}})))
            .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        // A second version adds finance for every order; the returned request keeps the first.
        let mut two = owner_only.clone();
        two.nodes.push(node("Finance", vec![Approvers::Members { member_ids: vec![w.finance.clone()] }]));
        assert_eq!(s.svc.approvals().put_template(&admin, &w.app, &two).await.unwrap().version, 2);
        let i = s.svc.approvals().act(&submitter, &id, &Action::Resubmit).await.unwrap();
        assert_eq!((i.template_version, i.plan.steps.len(), i.state), (1, 1, State::Pending));
        assert!(i.timeline.iter().any(|r| matches!(r.event, keiretsu_domain::approval::Event::Returned { .. })), "history kept");
        let (_, newer) = order(&w, 0, "10.00").await;
        assert_eq!(s.svc.approvals().instance(&admin, &newer).await.unwrap().plan.steps.len(), 2);
    }

    async fn the_clock_reminds_and_escalates_and_a_delegate_stands_in_while_someone_is_away(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let finance = caller(s, "hoshino.finance").await;
        let submitter = caller(s, "kato.staff0").await;
        let mut t = node("Finance", vec![Approvers::Members { member_ids: vec![w.finance.clone()] }]);
        t.remind_after_hours = Some(24);
        t.escalate_after_hours = Some(48);
        s.svc.approvals().put_template(&admin, &w.app, &Template { nodes: vec![t], copy_to: Vec::new() }).await.unwrap();
        let (_, id) = order(&w, 0, "50.00").await;
        let told = |v: &Value, kind: &str| v["items"].as_array().unwrap().iter().filter(|n| n["kind"] == kind).count();

        // Nothing is due yet; the submitter may remind once an hour.
        assert_eq!(s.svc.approvals().sweep().await.unwrap(), 0);
        s.svc.approvals().act(&submitter, &id, &Action::Remind).await.unwrap();
        assert_eq!(code(s.svc.approvals().act(&submitter, &id, &Action::Remind).await.unwrap_err()), "reminded_recently");
        assert_eq!(code(s.svc.approvals().act(&finance, &id, &Action::Remind).await.unwrap_err()), "submitter_only");
        let (_, n) = w.finance_client.get("/api/v1/notifications").await;
        assert_eq!(told(&n, "approval_reminder"), 1, "{n}");

        // A day later the clock reminds finance, once.
        s.clock.advance(24 * 3_600_000);
        assert_eq!(s.svc.approvals().sweep().await.unwrap(), 1);
        assert_eq!(s.svc.approvals().sweep().await.unwrap(), 0, "reminded once");
        let (_, n) = w.finance_client.get("/api/v1/notifications").await;
        assert_eq!(told(&n, "approval_reminder"), 2, "{n}");
        // Two days in, the task goes to the approval admin, who is told.
        s.clock.advance(24 * 3_600_000);
        assert_eq!(s.svc.approvals().sweep().await.unwrap(), 1);
        let i = s.svc.approvals().instance(&admin, &id).await.unwrap();
        let admin_id = admin.acting().unwrap().member.to_string();
        assert_eq!(i.waiting_for, vec![admin_id.clone()]);
        assert_eq!(code(s.svc.approvals().act(&finance, &id, &Action::Approve).await.unwrap_err()), "no_open_task");
        let (_, n) = w.admin.get("/api/v1/notifications").await;
        assert_eq!(told(&n, "approval_task"), 1, "{n}");
        let (_, entries) = w.admin.get(&format!("/api/v1/journal?target={id}")).await;
        assert!(entries["items"].as_array().unwrap().iter().any(|e| e["action"] == "approval.escalate" && e["actor"] == "system"), "{entries}");
        assert!(i.timeline.iter().any(|r| r.by == "system"), "the timeline says the clock did it");

        // Finance is away for a week: a deputy takes the tasks that open meanwhile.
        let (deputy, _) = s.member(&w.admin, &w.backbone, "hoshino.deputy").await;
        let away = |to: &str, from: &str, until: &str| NewDelegation {
            delegate_id: keiretsu_domain::ids::MemberId::parse(to).unwrap(),
            starts_at: from.into(),
            ends_at: until.into(),
        };
        let now = keiretsu_domain::time::format_rfc3339(s.svc.now());
        let week = keiretsu_domain::time::format_rfc3339(s.svc.now() + 7 * 24 * 3_600_000);
        let e = s.svc.approvals().set_delegation(&finance, &away(&w.finance, &now, &week)).await.unwrap_err();
        assert_eq!(code(e), "self_delegate");
        let e = s.svc.approvals().set_delegation(&finance, &away(&deputy, &week, &now)).await.unwrap_err();
        assert_eq!(code(e), "delegate_dates");
        let kato = submitter.acting().unwrap().member.to_string();
        let e = s.svc.approvals().set_delegation(&finance, &away(&kato, &now, &week)).await.unwrap_err();
        assert_eq!(code(e), "not_an_approver", "only a colleague of one's own organization");
        s.svc.approvals().set_delegation(&finance, &away(&deputy, &now, &week)).await.unwrap();
        let (_, second) = order(&w, 0, "60.00").await;
        let i = s.svc.approvals().instance(&admin, &second).await.unwrap();
        assert_eq!(i.waiting_for, vec![deputy.clone()], "the deputy holds finance's task");
        assert!(i.timeline.iter().any(|r| matches!(&r.event, keiretsu_domain::approval::Event::Delegated { from, to, .. } if *from == w.finance && *to == deputy)));
        // The deputy comments and approves; the submitter is told of both.
        let deputy_caller = caller(s, "hoshino.deputy").await;
        let e = s.svc.approvals().act(&deputy_caller, &second, &Action::Comment { text: "  ".into(), attachment_ids: Vec::new() }).await.unwrap_err();
        assert_eq!(code(e), "required");
        s.svc.approvals().act(&deputy_caller, &second, &Action::Comment { text: "Checked against the contract".into(), attachment_ids: Vec::new() }).await.unwrap();
        s.svc.approvals().act(&deputy_caller, &second, &Action::Approve).await.unwrap();
        let (_, n) = w.staff[0].get("/api/v1/notifications").await;
        assert_eq!(told(&n, "approval_comment"), 1, "{n}");
        let (st, seen) = w.staff[0].get(&format!("/api/v1/approvals/{second}")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(seen["timeline"].as_array().unwrap().iter().any(|r| r["event"]["text"] == "Checked against the contract"), "{seen}");
        // Had the deputy left meanwhile, finance would keep the task: nobody gone is handed one.
        let deputy_id = keiretsu_domain::ids::MemberId::parse(&deputy).unwrap();
        let backbone = keiretsu_domain::ids::OrgId::parse(&w.backbone).unwrap();
        s.svc.directory().leave(&admin, &backbone, &deputy_id).await.unwrap();
        let (_, fourth) = order(&w, 0, "80.00").await;
        assert_eq!(s.svc.approvals().instance(&admin, &fourth).await.unwrap().waiting_for, vec![w.finance.clone()]);
        // Back early: the delegation ends, and a later task stays with finance.
        s.svc.approvals().clear_delegation(&finance).await.unwrap();
        assert_eq!(code(s.svc.approvals().clear_delegation(&finance).await.unwrap_err()), "not_found");
        let (_, third) = order(&w, 0, "70.00").await;
        assert_eq!(s.svc.approvals().instance(&admin, &third).await.unwrap().waiting_for, vec![w.finance.clone()]);
    }

    async fn a_unit_removed_from_the_network_takes_its_peoples_tasks_with_it(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        let contact = caller(s, "kato.admin").await;
        let t = Template {
            nodes: vec![node("Supplier check", vec![Approvers::UnitContact]), node("Owner", vec![Approvers::BackboneOwner])],
            copy_to: Vec::new(),
        };
        s.svc.approvals().put_template(&admin, &w.app, &t).await.unwrap();
        let (_, id) = order(&w, 0, "50.00").await;
        let contact_id = contact.acting().unwrap().member.to_string();
        assert_eq!(s.svc.approvals().instance(&admin, &id).await.unwrap().waiting_for, vec![contact_id.clone()]);
        // The backbone removes the supplier's unit: its contact can no longer decide, and the
        // task goes to the backbone's approval admin.
        let (st, _) = w.admin.send(Method::DELETE, &format!("/api/v1/networks/{}/units/{}", w.network, w.unit), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let i = s.svc.approvals().instance(&admin, &id).await.unwrap();
        let admin_id = admin.acting().unwrap().member.to_string();
        assert_eq!(i.waiting_for, vec![admin_id.clone()], "the admin stands in");
        // The timeline says so; the removed unit's people are no longer the backbone's to name.
        assert!(i.timeline.iter().any(|r| matches!(&r.event, keiretsu_domain::approval::Event::Moved { from, to, .. } if from.is_empty() && *to == admin_id)));
        let e = s.svc.approvals().act(&contact, &id, &Action::Approve).await.unwrap_err();
        assert!(["out_of_reach", "no_open_task", "not_found"].contains(&code(e).as_str()));
        s.svc.approvals().act(&admin, &id, &Action::Approve).await.unwrap();
    }

    async fn files_go_with_comments_to_whoever_reads_the_request(db) {
        let w = world(TestServer::start(db).await).await;
        let s = &w.s;
        let admin = caller(s, "hoshino.admin").await;
        s.svc.approvals().put_template(&admin, &w.app, &template(&w.finance)).await.unwrap();
        let (_, id) = order(&w, 0, "50.00").await;
        let upload = |client: &Client, id: &ApprovalId, content_type: &str, body: &'static [u8]| {
            let req = client
                .http
                .post(format!("{}/api/v1/approvals/{id}/attachments?name=quote.txt", client.base))
                .bearer_auth(client.token.as_ref().unwrap())
                .header("Content-Type", content_type)
                .body(body);
            async move {
                let res = req.send().await.unwrap();
                (res.status(), res.json::<Value>().await.unwrap())
            }
        };
        // The other supplier staff member does not know the request; a program file is refused.
        let (st, _) = upload(&w.staff[1], &id, "text/plain", b"x").await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, p) = upload(&w.admin, &id, "application/x-msdownload", b"MZ").await;
        assert_eq!((st, p["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("content_type")), "{p}");
        let (st, file) = upload(&w.admin, &id, "text/plain", b"12.50 per hundred").await;
        assert_eq!(st, StatusCode::CREATED, "{file}");
        let file_id = file["id"].as_str().unwrap().to_owned();
        // Only its uploader names it in a comment.
        let (st, p) = act_once(&w.staff[0], &id, "c1", json!({"action": "comment", "text": "Mine?", "attachment_ids": [file_id]})).await;
        assert_eq!((st, p["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("not_uploaded_here")), "{p}");
        let (st, v) = act_once(&w.admin, &id, "c2", json!({"action": "comment", "text": "The quote", "attachment_ids": [file_id]})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // The submitter reads the file; the other staff member does not.
        let (st, seen) = w.staff[0].get(&format!("/api/v1/approvals/{id}")).await;
        assert_eq!((st, seen["files"][0]["id"].clone()), (StatusCode::OK, json!(file_id)), "{seen}");
        let get = |client: &Client| {
            let req = client.http.get(format!("{}/api/v1/attachments/{file_id}", client.base)).bearer_auth(client.token.as_ref().unwrap());
            async move { let res = req.send().await.unwrap(); (res.status(), res.bytes().await.unwrap()) }
        };
        let (st, bytes) = get(&w.staff[0]).await;
        assert_eq!((st, &bytes[..]), (StatusCode::OK, &b"12.50 per hundred"[..]));
        assert_eq!(get(&w.staff[1]).await.0, StatusCode::NOT_FOUND);
    }
}
