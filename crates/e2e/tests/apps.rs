//! Apps in a real headless Chromium: the backbone's admin creates an app in the console and
//! publishes it to the suppliers of its network; a seated supplier member finds it on the
//! workbench, a seated distributor member does not; and the admin's access explorer says the
//! supplier may use it, and why; then adds a permission group for suppliers, sees it in the
//! table in words, and removes it. Screenshots land in target/e2e-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use fantoccini::Locator;
use keiretsu_domain::ids::{NetworkId, OrgId, UnitId};
use keiretsu_e2e::{Browser, PASSWORD, certified_org};
use keiretsu_service::Caller;
use keiretsu_service::directory::NewMember;
use keiretsu_service::license::SeatSelection;
use keiretsu_service::network::{InvitationAnswer, NewInvitation, NewNetwork};
use keiretsu_testkit::{Db, TestServer};

/// The "people can use it now" number shown on the app's page.
async fn audience_count(b: &Browser) -> usize {
    let el = b.wait("[data-testid=audience-count]").await;
    el.attr("data-count").await.unwrap().unwrap().parse().unwrap()
}

/// Waits until the app's page shows `n` people.
async fn audience_count_is(b: &Browser, n: usize) {
    let mut last = None;
    for _ in 0..200 {
        if let Ok(el) = b.client.find(Locator::Css("[data-testid=audience-count]")).await
            && let Ok(Some(v)) = el.attr("data-count").await
        {
            if v == n.to_string() {
                return;
            }
            last = Some(v);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the audience count is {last:?}, not {n}");
}

async fn member(s: &TestServer, org: &OrgId, name: &str, login: &str) -> String {
    let input = NewMember {
        name: name.into(),
        login: login.into(),
        title: Some("Buyer".into()),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    s.svc.directory().add_member(&Caller::System, org, &input).await.unwrap().member().unwrap().id
}

/// The caller of a fresh session of `login` (acting in its first organization).
async fn caller(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "e2e").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

/// Invites `partner` into the network as `partner_type`; its admin accepts. Returns the unit.
async fn join(
    s: &TestServer,
    backbone: &Caller,
    network: &NetworkId,
    partner: &OrgId,
    partner_admin: &str,
    partner_type: &str,
) -> UnitId {
    let invitation = NewInvitation {
        partner_name: partner_admin.into(),
        organization_id: Some(partner.clone()),
        partner_type: partner_type.into(),
        tier: "a".into(),
        expires_in_hours: None,
        departments: vec![],
    };
    let inv = s.svc.network().invite(backbone, network, &invitation).await.unwrap();
    let answer = InvitationAnswer { code: Some(inv.code.unwrap()), invitation_id: None, department_ids: None };
    let unit = s.svc.network().accept_invitation(&caller(s, partner_admin).await, &answer).await.unwrap();
    UnitId::parse(&unit.id).unwrap()
}

/// A partner seat from the backbone's pool.
async fn seat(s: &TestServer, backbone: &OrgId, unit: &UnitId, member: &str) {
    let sel = SeatSelection { unit_id: Some(unit.clone()), member_ids: vec![member.to_owned()], ..Default::default() };
    s.svc.license().set_seats(&Caller::System, backbone, &sel, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_published_to_suppliers_reaches_suppliers_only_and_says_why() {
    let s = TestServer::start(Db::Sqlite).await;
    let backbone = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    s.license(backbone.as_str(), "exclusive", Some(100)).await;
    let admin = caller(&s, "sato.kenji").await;
    let network = s
        .svc
        .network()
        .create_network(&admin, &NewNetwork { name: "Hoshino Supply Network".into(), description: String::new() })
        .await
        .unwrap();
    let network = NetworkId::parse(&network.id).unwrap();
    let supplier = certified_org(&s, "Aoba Components", "lin.xiao", "Lin Xiao").await;
    let distributor = certified_org(&s, "Kita Retail", "mori.ken", "Mori Ken").await;
    let supplier_unit = join(&s, &admin, &network, &supplier, "lin.xiao", "supplier").await;
    let distributor_unit = join(&s, &admin, &network, &distributor, "mori.ken", "distributor").await;
    let zhou = member(&s, &supplier, "Zhou Min", "zhou.min").await;
    let wu = member(&s, &distributor, "Wu Lei", "wu.lei").await;
    seat(&s, &backbone, &supplier_unit, &zhou).await;
    seat(&s, &backbone, &distributor_unit, &wu).await;
    let b = Browser::start().await;

    // The backbone's admin creates an app: a blank name is refused beside the field first.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-apps]").await;
    b.click("[data-testid=nav-apps]").await;
    b.wait("[data-testid=app-empty]").await;
    b.fill("[data-testid=app-name]", "   ").await;
    b.click("[data-testid=app-submit]").await;
    b.wait("[data-testid=field-error-name]").await;
    b.fill("[data-testid=app-name]", "Supplier onboarding").await;
    b.fill("[data-testid=app-description]", "New suppliers register their plants here").await;
    b.click("[data-testid=app-submit]").await;
    b.wait_text("[data-testid=app-title]", "Supplier onboarding").await;
    assert_eq!(b.text("[data-testid=notice]").await, "Saved.");
    let before = audience_count(&b).await;
    b.screenshot("apps-01-created").await;

    // Published to the network's suppliers: one more person can use it now (the seated supplier).
    b.wait("[data-testid=publish-network]").await.select_by_value(network.as_str()).await.unwrap();
    b.click("[data-testid=audience-partner_types]").await;
    b.click("[data-testid=audience-type-supplier]").await;
    b.click("[data-testid=publish-submit]").await;
    audience_count_is(&b, before + 1).await;
    assert!(b.text("[data-testid=audience-count]").await.contains("can use it now"));
    b.screenshot("apps-02-published").await;
    b.sign_out().await;

    // The supplier's member finds it on the workbench.
    b.sign_in(&s.base, "zhou.min", "[data-testid=nav-workbench]").await;
    b.click("[data-testid=nav-workbench]").await;
    let cards = b.texts_when("[data-testid=app-card]", 1).await;
    assert!(cards[0].contains("Supplier onboarding"), "{cards:?}");
    b.screenshot("apps-03-supplier-workbench").await;
    b.sign_out().await;

    // The distributor's member does not.
    b.sign_in(&s.base, "wu.lei", "[data-testid=nav-workbench]").await;
    b.click("[data-testid=nav-workbench]").await;
    b.wait("[data-testid=workbench-empty]").await;
    b.texts_when("[data-testid=app-card]", 0).await;
    b.sign_out().await;

    // The admin's access explorer: the supplier is allowed, and the reasons name the supplier type.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-apps]").await;
    b.click("[data-testid=nav-apps]").await;
    b.click("[data-testid=app-link]").await;
    // "Who can use it" names the supplier's member with their organization, not by id.
    let who = b.text(&format!("[data-testid=who-row][data-member-id='{zhou}']")).await;
    assert!(who.contains("Zhou Min") && who.contains("Supplier") && !who.contains(&zhou), "{who}");
    // The person is picked by name; the reasons name the unit, its type and the network in words.
    b.pick("[data-testid=access-member]", "Zhou Min").await;
    assert_eq!(b.picked("[data-testid=access-member]").await, ["Zhou Min"]);
    b.click("[data-testid=access-submit]").await;
    let result = b.wait("[data-testid=access-result]").await;
    assert_eq!(result.attr("data-allowed").await.unwrap().as_deref(), Some("true"));
    assert_eq!(b.text("[data-testid=access-decision]").await, "Allowed");
    let reasons = b.text("[data-testid=access-reasons]").await;
    assert!(reasons.contains("Zhou Min is in the unit of") && reasons.contains("(Supplier)"), "{reasons}");
    assert!(!reasons.contains("unt_") && !reasons.contains("net_") && !reasons.contains("org_"), "{reasons}");
    b.screenshot("apps-04-access-allowed").await;

    // And the distributor is denied, with the missing link.
    // The page came back with Zhou Min picked: a new pick replaces them.
    assert_eq!(b.picked("[data-testid=access-member]").await, ["Zhou Min"]);
    b.pick("[data-testid=access-member]", "Wu Lei").await;
    assert_eq!(b.picked("[data-testid=access-member]").await, ["Wu Lei"]);
    b.click("[data-testid=access-submit]").await;
    for _ in 0..200 {
        if b.client.current_url().await.unwrap().as_str().contains(&wu) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.text("[data-testid=access-decision]").await, "Denied");
    assert!(b.text("[data-testid=access-reasons]").await.contains("Missing:"));
    b.screenshot("apps-05-access-denied").await;

    // Permission groups: the table lists the two every app starts with.
    let names = b.texts_when("[data-testid=group-row-name]", 2).await;
    assert_eq!(names, ["everyone", "reviewers"]);
    // A group that names nobody is refused beside the principals.
    b.fill("[data-testid=group-name]", "supplier_reviewers").await;
    b.click("[data-testid=group-everyone]").await;
    b.click("[data-testid=group-submit]").await;
    b.wait("[data-testid=field-error-principals]").await;
    // People are found by login as well as by name; the failed form kept nothing picked.
    member(&s, &backbone, "Ito Aya", "ito.aya").await;
    assert!(b.picked("[data-testid=group-members]").await.is_empty());
    b.pick("[data-testid=group-members]", "ito.aya").await;
    assert_eq!(b.picked("[data-testid=group-members]").await, ["Ito Aya"]);
    // Suppliers read their unit's submissions: one right, one partner type.
    b.fill("[data-testid=group-name]", "supplier_reviewers").await;
    for right in ["submit", "view_own", "view_unit"] {
        b.click(&format!("[data-testid=group-right-{right}]")).await;
    }
    b.select("[data-testid=group-types]", "supplier").await;
    b.click("[data-testid=group-submit]").await;
    let row = "[data-testid=group-row][data-group=supplier_reviewers]";
    b.wait(row).await;
    assert_eq!(b.text(&format!("{row} [data-testid=group-row-rights]")).await, "Read their unit's submissions");
    // Named in words: the partner type, and the backbone's own member by name.
    assert_eq!(
        b.text(&format!("{row} [data-testid=group-row-principals]")).await,
        "Partner type: Supplier; Member: Ito Aya"
    );
    assert_eq!(b.texts_when("[data-testid=group-row]", 3).await.len(), 3);
    b.shot(row, "apps-06-group-added").await;
    // Asked first: saying no keeps the group.
    b.decline(&format!("{row} [data-testid=group-remove]")).await;
    assert_eq!(b.texts_when("[data-testid=group-row]", 3).await.len(), 3);
    // Removed, it is gone from the table; the others stay.
    // The question counts who would lose a right only this group gives: the seated supplier.
    let asked = b.confirm(&format!("{row} [data-testid=group-remove]")).await;
    assert!(asked.contains("supplier_reviewers") && asked.contains("would lose a right only it gives"), "{asked}");
    assert!(asked.contains("1 person") || asked.contains("2 people"), "a count in words: {asked}");
    b.gone(row).await;
    assert_eq!(b.texts_when("[data-testid=group-row-name]", 2).await, ["everyone", "reviewers"]);

    // Unpublishing asks first, naming the network and how many lose access there: the
    // supplier's member. Saying no changes nothing; yes takes exactly them away.
    let count = audience_count(&b).await;
    b.select("[data-testid=publish-network]", network.as_str()).await;
    let asked = b.decline("[data-testid=unpublish-submit]").await;
    assert_eq!(asked, "Unpublish the app from Hoshino Supply Network? 1 person would lose access there at once.");
    assert_eq!(audience_count(&b).await, count);
    b.select("[data-testid=publish-network]", network.as_str()).await;
    b.confirm("[data-testid=unpublish-submit]").await;
    audience_count_is(&b, count - 1).await;
    b.close().await;
}
