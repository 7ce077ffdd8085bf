//! Licenses and account authorization in a real headless Chromium: a primary admin authorizes a
//! whole department subtree and watches the counts move; filters the authorization list by
//! status and freezes an account; crosses the 80% usage line and sees the banner and the inbox
//! warning, then is refused a batch the pool has no room for; and the platform operator edits
//! the catalogue and sets an organization's edition and seats. Screenshots land in
//! target/e2e-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fantoccini::Locator;
use keiretsu_domain::directory::Certification;
use keiretsu_domain::ids::OrgId;
use keiretsu_e2e::{Browser, PASSWORD, department, member};
use keiretsu_service::Caller;
use keiretsu_service::directory::NewOrg;
use keiretsu_service::license::SeatSelection;
use keiretsu_testkit::{Db, TestServer};

fn row(member: &str) -> String {
    format!("[data-testid=seat-row][data-member-id='{member}']")
}

async fn status_of(b: &Browser, member: &str) -> String {
    b.text(&format!("{} [data-testid=seat-status]", row(member))).await
}

async fn counts(b: &Browser) -> (String, String, String) {
    (
        b.text("[data-testid=count-purchased]").await,
        b.text("[data-testid=count-assigned]").await,
        b.text("[data-testid=count-unassigned]").await,
    )
}

fn strings(v: &[&str]) -> (String, String, String) {
    (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
}

/// A certified organization on the standard edition with `seats` seats; its primary admin is
/// `sato.kenji`.
async fn licensed_org(s: &TestServer, seats: i64) -> OrgId {
    let input = NewOrg {
        name: "Hoshino Motors".into(),
        certification: Some(Certification::Certified),
        admin_login: "sato.kenji".into(),
        admin_name: "Sato Kenji".into(),
        admin_password: Some(PASSWORD.into()),
    };
    let org = OrgId::parse(&s.svc.directory().create_org(&Caller::System, &input).await.unwrap().id).unwrap();
    s.license(org.as_str(), "standard", Some(seats)).await;
    org
}

async fn authorize(s: &TestServer, org: &OrgId, members: &[String]) {
    let sel = SeatSelection { member_ids: members.to_vec(), ..Default::default() };
    s.svc.license().set_seats(&Caller::System, org, &sel, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_authorizes_a_department_subtree_and_the_counts_follow() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = licensed_org(&s, 10).await;
    let manufacturing = department(&s, &org, "Manufacturing", None).await;
    let assembly = department(&s, &org, "Assembly", Some(&manufacturing)).await;
    let sales = department(&s, &org, "Sales", None).await;
    let plant = vec![
        member(&s, &org, "Abe Hiroshi", "abe.hiroshi", &manufacturing).await,
        member(&s, &org, "Chen Jing", "chen.jing", &manufacturing).await,
        member(&s, &org, "Endo Yui", "endo.yui", &assembly).await,
        member(&s, &org, "Fang Lei", "fang.lei", &assembly).await,
    ];
    let sellers =
        vec![member(&s, &org, "Goto Ren", "goto.ren", &sales).await, member(&s, &org, "He Na", "he.na", &sales).await];
    let b = Browser::start().await;

    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-license]").await;
    b.click("[data-testid=nav-license]").await;
    assert_eq!(b.text("[data-testid=edition-name]").await, "Standard");
    assert_eq!(counts(&b).await, strings(&["10", "0", "10"]));
    assert_eq!(b.text("[data-testid=usage-percent]").await, "0%");
    b.screenshot("license-01-dashboard").await;

    // The authorization list: nobody holds a seat yet.
    b.click("[data-testid=seats-link]").await;
    b.texts_when("[data-testid=seat-row]", 7).await;
    for m in plant.iter().chain(&sellers) {
        assert_eq!(status_of(&b, m).await, "Never authorized");
    }
    b.screenshot("license-02-list").await;

    // Manufacturing and everything below it, in one go.
    b.select("[data-testid=batch-department]", manufacturing.as_str()).await;
    b.click("[data-testid=batch-enable]").await;
    b.wait_text("[data-testid=notice]", "Done: 4 accounts changed.").await;
    for m in &plant {
        assert_eq!(status_of(&b, m).await, "Enabled", "{m}");
    }
    for m in &sellers {
        assert_eq!(status_of(&b, m).await, "Never authorized", "{m}");
    }
    assert_eq!(counts(&b).await, strings(&["10", "4", "6"]));
    b.shot("[data-testid=seat-table]", "license-03-department-authorized").await;

    // The dashboard agrees and breaks the usage down.
    b.click("[data-testid=license-tab-dashboard]").await;
    assert_eq!(b.text("[data-testid=usage-percent]").await, "40%");
    let usage = b.texts_when("[data-testid=usage-row]", 1).await;
    assert!(usage[0].contains("Hoshino Motors") && usage[0].contains('4'), "{usage:?}");
    assert!(b.client.find_all(Locator::Css("[data-testid=usage-warning]")).await.unwrap().is_empty());

    // Freezing the Assembly subtree gives two seats back.
    b.click("[data-testid=license-tab-seats]").await;
    b.select("[data-testid=batch-department]", assembly.as_str()).await;
    let asked = b.confirm("[data-testid=batch-freeze]").await;
    assert!(asked.contains("Freeze the seats of everyone in this department"), "{asked}");
    b.wait_text("[data-testid=notice]", "Done: 2 accounts changed.").await;
    assert_eq!(status_of(&b, &plant[2]).await, "Frozen");
    assert_eq!(status_of(&b, &plant[0]).await, "Enabled");
    assert_eq!(counts(&b).await, strings(&["10", "2", "8"]));
    b.screenshot("license-04-department-frozen").await;

    // Freezing ticked rows says how many; saying no changes nothing.
    for m in &plant[..2] {
        b.click(&format!("[data-testid=seat-row][data-member-id='{m}'] [data-testid=seat-check]")).await;
    }
    let asked = b.decline("[data-testid=seats-freeze-selected]").await;
    assert!(asked.starts_with("Freeze the seats of the 2 chosen people?"), "{asked}");
    assert_eq!(status_of(&b, &plant[0]).await, "Enabled");
    b.click(&format!("[data-testid=seat-row][data-member-id='{}'] [data-testid=seat-check]", plant[1])).await;
    let asked = b.confirm("[data-testid=seats-freeze-selected]").await;
    assert!(asked.starts_with("Freeze the seat of the chosen person?"), "{asked}");
    b.wait_text("[data-testid=notice]", "Done: 1 account changed.").await;
    assert_eq!(status_of(&b, &plant[0]).await, "Frozen");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_filter_shows_enabled_and_never_authorized_accounts_apart() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = licensed_org(&s, 10).await;
    let ops = department(&s, &org, "Operations", None).await;
    let mut all = Vec::new();
    for (name, login) in [
        ("Ikeda Sho", "ikeda.sho"),
        ("Jin Hao", "jin.hao"),
        ("Kato Mei", "kato.mei"),
        ("Li Wen", "li.wen"),
        ("Mori Aki", "mori.aki"),
    ] {
        all.push(member(&s, &org, name, login, &ops).await);
    }
    authorize(&s, &org, &all[..3]).await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-license]").await;
    b.goto(&format!("{}/console/license/seats", s.base)).await;
    // Five members and the admin, who visited by signing in and is listed as not authorized.
    b.texts_when("[data-testid=seat-row]", 6).await;

    b.select("[data-testid=seat-status-filter]", "enabled").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("status=enabled").await;
    let enabled = b.texts_when("[data-testid=seat-status]", 3).await;
    assert!(enabled.iter().all(|x| x == "Enabled"), "{enabled:?}");
    let names = b.texts_when("[data-testid=seat-name]", 3).await;
    assert_eq!(names, ["Ikeda Sho", "Jin Hao", "Kato Mei"]);
    b.screenshot("license-05-filter-enabled").await;

    b.select("[data-testid=seat-status-filter]", "never").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("status=never").await;
    let never = b.texts_when("[data-testid=seat-name]", 2).await;
    assert_eq!(never, ["Li Wen", "Mori Aki"]);
    let statuses = b.texts_when("[data-testid=seat-status]", 2).await;
    assert!(statuses.iter().all(|x| x == "Never authorized"), "{statuses:?}");
    b.screenshot("license-06-filter-never").await;

    // The admin's own visit put them on the list as not authorized.
    b.select("[data-testid=seat-status-filter]", "unauthorized").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("status=unauthorized").await;
    assert_eq!(b.texts_when("[data-testid=seat-name]", 1).await, ["Sato Kenji"]);

    // Freeze one account by its own switch: the enabled filter loses it, the frozen one has it.
    b.select("[data-testid=seat-status-filter]", "enabled").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("status=enabled").await;
    b.click(&format!("{} [data-testid=seat-toggle]", row(&all[1]))).await;
    b.wait_text("[data-testid=notice]", "Done: 1 account changed.").await;
    // Back on the same filtered list.
    b.url_has("status=enabled").await;
    assert_eq!(b.texts_when("[data-testid=seat-name]", 2).await, ["Ikeda Sho", "Kato Mei"]);
    b.select("[data-testid=seat-status-filter]", "frozen").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("status=frozen").await;
    assert_eq!(b.texts_when("[data-testid=seat-name]", 1).await, ["Jin Hao"]);
    assert_eq!(status_of(&b, &all[1]).await, "Frozen");

    // Search by name within all statuses.
    b.select("[data-testid=seat-status-filter]", "").await;
    b.fill("[data-testid=seat-search-q]", "mori").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("q=mori").await;
    assert_eq!(b.texts_when("[data-testid=seat-name]", 1).await, ["Mori Aki"]);
    b.screenshot("license-07-search").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_80_percent_warns_on_the_dashboard_and_in_the_inbox() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = licensed_org(&s, 10).await;
    let plant = department(&s, &org, "Plant", None).await;
    let sales = department(&s, &org, "Sales", None).await;
    let mut workers = Vec::new();
    for i in 1..=8 {
        workers.push(member(&s, &org, &format!("Worker {i:02}"), &format!("worker.{i:02}"), &plant).await);
    }
    for i in 1..=3 {
        member(&s, &org, &format!("Seller {i:02}"), &format!("seller.{i:02}"), &sales).await;
    }
    authorize(&s, &org, &workers[..7]).await;
    let b = Browser::start().await;

    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-license]").await;
    b.click("[data-testid=nav-license]").await;
    assert_eq!(b.text("[data-testid=usage-percent]").await, "70%");
    assert!(b.client.find_all(Locator::Css("[data-testid=usage-warning]")).await.unwrap().is_empty());
    assert_eq!(b.text("[data-testid=inbox-count]").await, "0");

    // The eighth account, by its own switch.
    b.click("[data-testid=seats-link]").await;
    b.fill("[data-testid=seat-search-q]", "Worker 08").await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("q=Worker").await;
    b.texts_when("[data-testid=seat-row]", 1).await;
    b.click(&format!("{} [data-testid=seat-toggle]", row(&workers[7]))).await;
    b.wait_text("[data-testid=notice]", "Done: 1 account changed.").await;
    assert_eq!(status_of(&b, &workers[7]).await, "Enabled");
    assert_eq!(counts(&b).await, strings(&["10", "8", "2"]));

    // The dashboard shows the banner and the gauge at the line.
    b.click("[data-testid=license-tab-dashboard]").await;
    let banner = b.text("[data-testid=usage-warning]").await;
    assert!(banner.contains("80%") && banner.contains("8 of 10"), "{banner}");
    assert_eq!(b.text("[data-testid=usage-percent]").await, "80%");
    assert_eq!(b.text("[data-testid=usage-mark]").await, "80%");
    b.screenshot("license-08-warning").await;

    // And the admin is told in the inbox, once.
    assert_eq!(b.text("[data-testid=inbox-count]").await, "1");
    b.click("[data-testid=inbox-link]").await;
    let note = b.text("[data-testid=notification][data-kind=seats_warning]").await;
    assert!(note.contains("Seat usage reached 80% (8 of 10)."), "{note}");
    b.screenshot("license-09-inbox").await;
    // The notice links to the dashboard.
    b.click("[data-testid=notification][data-kind=seats_warning] a").await;
    b.wait("[data-testid=usage-warning]").await;

    // Three more do not fit in the two seats left: refused as a whole, said plainly.
    b.click("[data-testid=license-tab-seats]").await;
    b.select("[data-testid=batch-department]", sales.as_str()).await;
    b.click("[data-testid=batch-enable]").await;
    let error = b.text("[data-testid=error]").await;
    assert!(error.contains("not enough"), "{error}");
    assert!(b.text("[data-testid=field-error-seats]").await.contains("not enough"));
    assert_eq!(counts(&b).await, strings(&["10", "8", "2"]));
    b.shot("[data-testid=department-batch-form]", "license-10-not-enough").await;

    // In Chinese the banner and the warning read naturally.
    b.click("[data-testid=license-tab-dashboard]").await;
    b.wait("[data-testid=usage-gauge]").await;
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-license]", "账号授权").await;
    let banner = b.text("[data-testid=usage-warning]").await;
    assert!(banner.contains("账号使用率已达 80%"), "{banner}");
    b.screenshot("license-11-chinese").await;
    b.click("[data-testid=inbox-link]").await;
    let zh = b.text("[data-testid=notification][data-kind=seats_warning]").await;
    assert!(zh.contains("账号使用率已达 80%"), "{zh}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_edits_the_catalogue_and_sets_an_organizations_seats() {
    let s = TestServer::start(Db::Sqlite).await;
    s.svc.identity().ensure_operator(Some(PASSWORD)).await.unwrap();
    let org = licensed_org(&s, 10).await;
    let b = Browser::start().await;

    b.sign_in(&s.base, "operator", "[data-testid=nav-editions]").await;
    b.click("[data-testid=nav-editions]").await;
    let rows = b.texts_when("[data-testid=edition-row]", 10).await;
    assert!(rows.iter().any(|r| r.contains("Trial")), "{rows:?}");
    b.screenshot("license-12-editions").await;

    // Rename an edition; a locked auto-authorization that starts off is refused beside the box.
    let standard = "[data-testid=edition-row][data-key=standard]";
    b.click(&format!("{standard} [data-testid=edition-edit]")).await;
    b.click(&format!("{standard} [data-testid=edition-auto-locked]")).await;
    b.click(&format!("{standard} [data-testid=edition-submit]")).await;
    assert!(b.text(&format!("{standard} [data-testid=field-error-auto_default]")).await.contains("must be on"));
    b.click(&format!("{standard} [data-testid=edition-auto-locked]")).await;
    b.fill(&format!("{standard} [data-testid=edition-name]"), "Standard plus").await;
    b.click(&format!("{standard} [data-testid=edition-submit]")).await;
    b.wait_text("[data-testid=notice]", "Saved.").await;
    assert_eq!(b.text(&format!("{standard} [data-testid=edition-row-name]")).await, "Standard plus");

    // Seats on an unlimited edition are refused; then the organization gets more seats.
    let org_row = format!("[data-testid=org-license-row][data-org-id='{org}']");
    assert_eq!(b.text(&format!("{org_row} [data-testid=org-license-edition]")).await, "Standard plus");
    b.select("[data-testid=license-org]", org.as_str()).await;
    b.select("[data-testid=license-edition]", "professional").await;
    b.fill("[data-testid=license-seats]", "50").await;
    b.click("[data-testid=license-submit]").await;
    assert!(b.text("[data-testid=field-error-seats]").await.contains("unlimited"));
    b.select("[data-testid=license-edition]", "exclusive").await;
    b.fill("[data-testid=license-seats]", "300").await;
    b.click("[data-testid=license-submit]").await;
    b.wait_text("[data-testid=notice]", "Saved.").await;
    assert_eq!(b.text(&format!("{org_row} [data-testid=org-license-edition]")).await, "Exclusive");
    b.shot("[data-testid=license-form]", "license-13-org-license").await;
    b.close().await;

    let view = s.svc.license().get(&Caller::System, &org).await.unwrap();
    assert_eq!(view.edition.key, "exclusive");
    assert_eq!(view.counts.purchased, Some(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_binds_a_partner_department_with_an_entry_rule_and_removes_it() {
    let s = TestServer::start(Db::Sqlite).await;
    let org = licensed_org(&s, 10).await;
    s.license(org.as_str(), "exclusive", Some(10)).await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "sato.kenji", "[data-testid=nav-license]").await;

    // No units yet: the page says so.
    b.goto(&format!("{}/console/license/entry-rules", s.base)).await;
    b.wait("[data-testid=entry-rule-empty]").await;
    b.wait("[data-testid=entry-rule-no-units]").await;

    // A network with a partner unit kept by the backbone.
    b.click("[data-testid=nav-networks]").await;
    b.fill("[data-testid=network-name]", "Hoshino Supply Network").await;
    b.click("[data-testid=network-submit]").await;
    b.wait_text("[data-testid=page-title]", "Hoshino Supply Network").await;
    b.click("[data-testid=managed-unit-open]").await;
    b.fill("[data-testid=managed-unit-name]", "Aoba Components").await;
    b.click("[data-testid=managed-unit-submit]").await;
    b.wait_text("[data-testid=page-title]", "Aoba Components").await;

    // Bind the unit's department: listed with the unit's name.
    b.click("[data-testid=nav-license]").await;
    b.click("[data-testid=entry-rules-link]").await;
    b.click("[data-testid=entry-rule-submit]").await;
    b.wait_text("[data-testid=notice]", "Done: 0 accounts changed.").await;
    let rules = b.texts_when("[data-testid=entry-rule-row]", 1).await;
    assert!(rules[0].contains("Aoba Components"), "{rules:?}");
    b.screenshot("license-14-entry-rule").await;
    // The same department twice is refused beside the field.
    b.click("[data-testid=entry-rule-submit]").await;
    b.wait("[data-testid=field-error-department_id]").await;
    b.texts_when("[data-testid=entry-rule-row]", 1).await;

    // The unit's people are a choice on the authorization list.
    b.click("[data-testid=license-tab-seats]").await;
    let unit = b.wait("[data-testid=seat-unit] option:nth-child(2)").await.attr("value").await.unwrap().unwrap();
    b.select("[data-testid=seat-unit]", &unit).await;
    b.click("[data-testid=seat-search-submit]").await;
    b.url_has("unit_id=").await;
    b.wait("[data-testid=seat-empty]").await;

    // Removed again.
    b.click("[data-testid=license-tab-entry-rules]").await;
    let asked = b.confirm("[data-testid=entry-rule-remove]").await;
    assert!(asked.contains("Seats it already gave stay"), "{asked}");
    b.wait_text("[data-testid=notice]", "Saved.").await;
    b.wait("[data-testid=entry-rule-empty]").await;
    b.close().await;
}
