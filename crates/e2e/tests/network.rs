//! The partner network in a real headless Chromium: a backbone admin creates a network and
//! invites a supplier; the supplier's admin opens the link and accepts; the backbone finds the
//! supplier in the address book, names a partner contact with a backup and removes it, and the
//! backbone's owner contact reads the handover in the inbox. A partner brings only the
//! departments the backbone proposed, ticked for its admin on the answer page, and adds one
//! later on its unit page. Screenshots land in target/e2e-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use fantoccini::Locator;
use keiretsu_domain::ids::OrgId;
use keiretsu_e2e::{Browser, PASSWORD, certified_org, department, member as member_in};
use keiretsu_service::Caller;
use keiretsu_service::directory::NewMember;
use keiretsu_testkit::{Db, TestServer};

async fn member(s: &TestServer, org: &OrgId, name: &str, login: &str) -> String {
    let input = NewMember {
        name: name.into(),
        login: login.into(),
        title: Some("Logistics coordinator".into()),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    s.svc.directory().add_member(&Caller::System, org, &input).await.unwrap().member().unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backbone_invites_a_supplier_who_joins_and_a_contact_hands_over() {
    let s = TestServer::start(Db::Sqlite).await;
    let backbone = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    s.license(backbone.as_str(), "exclusive", Some(100)).await;
    let supplier = certified_org(&s, "Aoba Components", "lin.xiao", "Lin Xiao").await;
    let zhou = member(&s, &supplier, "Zhou Min", "zhou.min").await;
    let wu = member(&s, &supplier, "Wu Lei", "wu.lei").await;
    let b = Browser::start().await;

    // The backbone admin creates a network: a blank name is refused beside the field first.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-networks]").await;
    b.click("[data-testid=nav-networks]").await;
    b.wait("[data-testid=network-empty]").await;
    b.fill("[data-testid=network-name]", "   ").await;
    b.click("[data-testid=network-submit]").await;
    b.wait("[data-testid=field-error-name]").await;
    b.fill("[data-testid=network-name]", "Hoshino Supply Network").await;
    b.fill("[data-testid=network-description]", "Parts suppliers of the Hoshino plants").await;
    b.click("[data-testid=network-submit]").await;
    b.wait_text("[data-testid=page-title]", "Hoshino Supply Network").await;
    assert_eq!(b.text("[data-testid=network-membership]").await, "Backbone");
    assert!(b.text("[data-testid=visibility-rule]").await.contains("own unit"));
    b.wait("[data-testid=unit-empty]").await;
    b.screenshot("network-01-created").await;

    // Invite the supplier: the code and the full link are shown once.
    b.fill("[data-testid=invite-partner-name]", "Aoba Components").await;
    b.fill("[data-testid=invite-organization]", supplier.as_str()).await;
    b.wait("[data-testid=invite-type]").await.select_by_value("supplier").await.unwrap();
    b.wait("[data-testid=invite-tier]").await.select_by_value("strategic").await.unwrap();
    b.click("[data-testid=invite-submit]").await;
    let code = b.text("[data-testid=invitation-code]").await;
    let link = b.text("[data-testid=invitation-link]").await;
    assert!(code.len() >= 16, "{code}");
    assert_eq!(link, format!("{}/console/invitations/answer?code={code}", s.base));
    let rows = b.texts_when("[data-testid=invitation-row]", 1).await;
    assert!(rows[0].contains("Aoba Components") && rows[0].contains("Pending"), "{rows:?}");
    b.screenshot("network-02-invited").await;
    // Shown once: the page opened again no longer shows it.
    b.click("[data-testid=nav-networks]").await;
    b.click("[data-testid=network-link]").await;
    b.wait("[data-testid=invite-form]").await;
    b.gone("[data-testid=invitation-code]").await;
    b.sign_out().await;

    // The supplier's admin opens the link, sees what they are joining, and accepts.
    b.sign_in(&s.base, "lin.xiao", "[data-testid=nav-networks]").await;
    b.goto(&link).await;
    assert_eq!(b.text("[data-testid=preview-network]").await, "Hoshino Supply Network");
    assert_eq!(b.text("[data-testid=preview-backbone]").await, "Hoshino Motors");
    assert_eq!(b.text("[data-testid=preview-type]").await, "Supplier");
    assert_eq!(b.text("[data-testid=preview-tier]").await, "strategic");
    b.screenshot("network-03-preview").await;
    b.click("[data-testid=invitation-accept]").await;
    b.wait_text("[data-testid=page-title]", "Hoshino Supply Network").await;
    assert_eq!(b.text("[data-testid=network-membership]").await, "Partner unit");
    assert_eq!(b.text("[data-testid=notice]").await, "Saved.");
    // A unit sees neither the invitations nor the backbone's settings.
    assert!(b.client.find_all(Locator::Css("[data-testid=invite-form]")).await.unwrap().is_empty());
    b.click("[data-testid=nav-networks]").await;
    let networks = b.texts_when("[data-testid=network-row]", 1).await;
    assert!(networks[0].contains("Hoshino Supply Network") && networks[0].contains("Partner unit"), "{networks:?}");
    b.screenshot("network-04-joined").await;
    // The same link again: answered, said plainly, no buttons.
    b.goto(&link).await;
    assert!(b.text("[data-testid=invitation-closed]").await.contains("already been answered"));
    assert!(b.client.find_all(Locator::Css("[data-testid=invitation-accept]")).await.unwrap().is_empty());
    b.sign_out().await;

    // The backbone sees the unit and finds the supplier's admin in the address book.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-networks]").await;
    b.click("[data-testid=nav-networks]").await;
    b.click("[data-testid=network-link]").await;
    let units = b.texts_when("[data-testid=unit-row]", 1).await;
    assert!(
        units[0].contains("Aoba Components") && units[0].contains("Supplier") && units[0].contains("Active"),
        "{units:?}"
    );
    b.click("[data-testid=network-people-link]").await;
    b.wait("[data-testid=people-table]").await;
    b.fill("[data-testid=people-q]", "Lin").await;
    b.click("[data-testid=people-submit]").await;
    let mut people = Vec::new();
    for _ in 0..100 {
        if b.client.current_url().await.unwrap().as_str().contains("q=Lin") {
            people = b.texts_when("[data-testid=people-row]", 1).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(people[0].contains("Lin Xiao") && people[0].contains("Aoba Components"), "{people:?}");
    b.screenshot("network-05-address-book").await;
    b.click("[data-testid=people-link]").await;
    assert_eq!(b.text("[data-testid=person-organization]").await, "Aoba Components");
    assert_eq!(b.text("[data-testid=person-type]").await, "Supplier");
    // The inviter became the supplier's contact at the backbone.
    assert!(b.text("[data-testid=person-contacts]").await.contains("Sato Kenji"));
    b.screenshot("network-06-person").await;

    // On the unit page: a partner-side contact with a backup, then removed: the backup takes over.
    b.click("[data-testid=person-unit] a").await;
    b.wait("[data-testid=unit-profile]").await;
    assert_eq!(b.text("[data-testid=unit-organization]").await, "Aoba Components");
    b.texts_when("[data-testid=contact-row]", 2).await;
    b.pick("[data-testid=contact-member-partner]", "Zhou Min").await;
    b.wait("[data-testid=contact-role-partner]").await.select_by_value("logistics").await.unwrap();
    b.pick("[data-testid=contact-backup-partner]", "Wu Lei").await;
    b.click("[data-testid=contact-submit-partner]").await;
    let zhou_row = format!("[data-testid=contact-row][data-member-id='{zhou}']");
    b.wait(&zhou_row).await;
    assert_eq!(b.text(&format!("{zhou_row} [data-testid=contact-backup]")).await, "Wu Lei");
    assert_eq!(b.text(&format!("{zhou_row} [data-testid=contact-role]")).await, "Logistics");
    b.shot("[data-testid=contact-table]", "network-07-contact-added").await;
    let asked = b.confirm(&format!("{zhou_row} [data-testid=contact-remove]")).await;
    assert!(asked.contains("as a contact?"), "{asked}");
    let wu_row = format!("[data-testid=contact-row][data-member-id='{wu}']");
    b.wait(&wu_row).await;
    b.gone(&zhou_row).await;
    assert_eq!(b.text(&format!("{wu_row} [data-testid=contact-role]")).await, "Logistics");
    b.shot("[data-testid=contact-table]", "network-08-handed-over").await;

    // The counterpart, the backbone's owner contact, is told at once.
    let unread: i64 = b.text("[data-testid=inbox-count]").await.parse().unwrap();
    assert!(unread >= 1, "{unread}");
    b.click("[data-testid=inbox-link]").await;
    let handover = b.text("[data-testid=notification][data-kind=contact_handover]").await;
    assert!(
        handover.contains("Zhou Min") && handover.contains("Wu Lei") && handover.contains("Aoba Components"),
        "{handover}"
    );
    assert!(b.body().await.contains("Aoba Components accepted the invitation"));
    b.screenshot("network-09-inbox").await;

    // And the handover is in the network's history.
    b.click("[data-testid=nav-networks]").await;
    b.click("[data-testid=network-link]").await;
    let history = b.texts_when("[data-testid=handover-row]", 1).await;
    assert!(history[0].contains("Zhou Min") && history[0].contains("Wu Lei"), "{history:?}");

    // In Chinese, the handover notice reads naturally.
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-networks]", "上下游").await;
    b.click("[data-testid=inbox-link]").await;
    let zh = b.text("[data-testid=notification][data-kind=contact_handover]").await;
    assert!(zh.contains("交接给 Wu Lei"), "{zh}");
    b.screenshot("network-10-chinese").await;

    // Removing the unit asks first, naming the partner, the network and how many people it
    // brings (its admin and the two members); saying no keeps it.
    b.click("[data-testid=nav-networks]").await;
    b.click("[data-testid=network-link]").await;
    b.click("[data-testid=unit-link]").await;
    let asked = b.decline("[data-testid=unit-remove]").await;
    assert!(asked.contains("确定将 Aoba Components 移出") && asked.contains("3 人"), "{asked}");
    b.wait("[data-testid=unit-profile]").await;
    b.close().await;
}

/// The checkbox of the department named `name` (not those of the departments below it).
fn check_of(name: &str) -> String {
    format!("[data-testid=department-check][data-name='{name}'] > label > input")
}

async fn ticked(b: &Browser, name: &str) -> bool {
    b.wait(&check_of(name)).await.is_selected().await.unwrap()
}

/// The names in the address book's rows for `url`, once there are `n` of them.
async fn book(b: &Browser, url: &str, n: usize) -> String {
    b.goto(url).await;
    b.wait("[data-testid=people-table]").await;
    if n == 0 {
        b.wait("[data-testid=people-empty]").await;
        return String::new();
    }
    b.texts_when("[data-testid=people-row]", n).await.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_brings_the_proposed_departments_and_later_adds_one() {
    let s = TestServer::start(Db::Sqlite).await;
    let backbone = certified_org(&s, "Hoshino Motors", "sato.kenji", "Sato Kenji").await;
    s.license(backbone.as_str(), "exclusive", Some(100)).await;
    // The partner: root > Sales > North, root > Production; its admin is in the root department.
    let partner = certified_org(&s, "Kato Metals", "kato.aki", "Kato Aki").await;
    let sales = department(&s, &partner, "Sales", None).await;
    let north = department(&s, &partner, "North", Some(&sales)).await;
    let production = department(&s, &partner, "Production", None).await;
    let seller = member_in(&s, &partner, "Mori Sales", "mori.sales", &sales).await;
    member_in(&s, &partner, "Iwata North", "iwata.north", &north).await;
    let maker = member_in(&s, &partner, "Ueda Maker", "ueda.maker", &production).await;
    let b = Browser::start().await;

    // The backbone admin creates a network and invites the partner, naming its Sales department.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-networks]").await;
    b.click("[data-testid=nav-networks]").await;
    b.fill("[data-testid=network-name]", "Hoshino Sales Network").await;
    b.click("[data-testid=network-submit]").await;
    b.wait_text("[data-testid=page-title]", "Hoshino Sales Network").await;
    let network = b.client.current_url().await.unwrap().as_str().split('?').next().unwrap().to_owned();
    b.fill("[data-testid=invite-partner-name]", "Kato Metals").await;
    b.fill("[data-testid=invite-organization]", partner.as_str()).await;
    b.fill("[data-testid=invite-departments]", " Sales , ").await;
    b.click("[data-testid=invite-submit]").await;
    let link = b.text("[data-testid=invitation-link]").await;
    let rows = b.texts_when("[data-testid=invitation-row]", 1).await;
    assert!(rows[0].contains("Kato Metals"), "{rows:?}");
    assert_eq!(b.text("[data-testid=invitation-departments]").await, "Sales");
    b.shot("[data-testid=invitation-table]", "departments-01-invited").await;
    b.sign_out().await;

    // The partner's admin opens the link: Sales is proposed and ticked, nothing else is.
    b.sign_in(&s.base, "kato.aki", "[data-testid=nav-networks]").await;
    b.goto(&link).await;
    assert_eq!(b.text("[data-testid=preview-departments]").await, "Sales");
    assert!(b.text("[data-testid=departments-help]").await.contains("tick none to bring the whole organization"));
    b.gone("[data-testid=departments-unmatched]").await;
    assert!(ticked(&b, "Sales").await, "the proposed Sales is ticked");
    assert!(!ticked(&b, "Production").await);
    assert!(!ticked(&b, "North").await, "below Sales, it comes with it without a tick");
    assert!(!ticked(&b, "Kato Metals").await, "the root is not ticked");
    b.shot("[data-testid=accept-form]", "departments-02-answer").await;
    b.click("[data-testid=invitation-accept]").await;
    b.wait_text("[data-testid=page-title]", "Hoshino Sales Network").await;
    assert_eq!(b.text("[data-testid=notice]").await, "Saved.");
    b.sign_out().await;

    // The backbone sees a unit that brings Sales only: its people are Sales's and North's.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-networks]").await;
    b.goto(&network).await;
    b.click("[data-testid=unit-link]").await;
    b.wait("[data-testid=unit-profile]").await;
    let unit = b.client.current_url().await.unwrap().as_str().split('?').next().unwrap().to_owned();
    let unit_id = unit.rsplit('/').next().unwrap().to_owned();
    assert_eq!(b.text("[data-testid=unit-brings]").await, "Sales");
    assert_eq!(b.text("[data-testid=unit-member-count]").await, "2");
    // A linked partner chooses for itself: the backbone has no form for it.
    b.gone("[data-testid=unit-departments-form]").await;
    b.shot("[data-testid=unit-profile]", "departments-03-unit-backbone").await;
    let people = format!("{network}/people?unit_id={unit_id}");
    let names = book(&b, &people, 2).await;
    assert!(names.contains("Mori Sales") && names.contains("Iwata North"), "{names}");
    assert!(!names.contains("Ueda Maker") && !names.contains("Kato Aki"), "{names}");
    assert_eq!(book(&b, &format!("{network}/people?q=Ueda"), 0).await, "");
    b.goto(&format!("{network}/people/{maker}")).await;
    b.wait("[data-testid=error]").await;
    b.gone("[data-testid=person-detail]").await;
    b.screenshot("departments-04-address-book").await;
    b.sign_out().await;

    // The partner's admin names a Sales contact, then on the unit page tries to bring Production
    // instead of Sales: refused beside the checkboxes, as the contact would be left out.
    b.sign_in(&s.base, "kato.aki", "[data-testid=nav-networks]").await;
    b.goto(&unit).await;
    b.wait("[data-testid=unit-departments-form]").await;
    assert_eq!(b.text("[data-testid=unit-brings]").await, "Sales");
    assert!(ticked(&b, "Sales").await && !ticked(&b, "Production").await);
    b.pick("[data-testid=contact-member-partner]", "Mori Sales").await;
    b.click("[data-testid=contact-submit-partner]").await;
    b.wait(&format!("[data-testid=contact-row][data-member-id='{seller}']")).await;
    b.click(&check_of("Sales")).await;
    b.click(&check_of("Production")).await;
    b.click("[data-testid=unit-departments-submit]").await;
    assert!(b.text("[data-testid=field-error-department_ids]").await.contains("contact"));
    // The page comes back with the choice as it was typed, and nothing changed.
    assert!(!ticked(&b, "Sales").await && ticked(&b, "Production").await);
    assert_eq!(b.text("[data-testid=unit-brings]").await, "Sales");
    b.shot("[data-testid=unit-departments-form]", "departments-05-refused").await;

    // Sales and Production together: saved.
    b.click(&check_of("Sales")).await;
    b.click("[data-testid=unit-departments-submit]").await;
    assert_eq!(b.text("[data-testid=notice]").await, "Saved.");
    b.gone("[data-testid=field-error-department_ids]").await;
    assert_eq!(
        b.texts_when("[data-testid=unit-brings] [data-testid=brings-department]", 2).await,
        ["Production", "Sales"]
    );
    assert!(ticked(&b, "Sales").await && ticked(&b, "Production").await);
    b.shot("[data-testid=unit-departments-form]", "departments-06-saved").await;
    b.sign_out().await;

    // The backbone now finds the Production member too.
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-networks]").await;
    let names = book(&b, &people, 3).await;
    assert!(names.contains("Ueda Maker") && names.contains("Mori Sales"), "{names}");
    assert!(!names.contains("Kato Aki"), "{names}");
    b.goto(&unit).await;
    assert_eq!(b.text("[data-testid=unit-member-count]").await, "3");
    b.close().await;
}
