//! The journal in a real browser, as an auditor uses it: a person found by filter, names instead
//! of ids, days and times in the viewer's chosen time zone, in English and in Chinese.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_e2e::{Browser, certified_org, department, member};
use keiretsu_testkit::{Db, TestServer};

/// Sets a date input as its calendar would (typing into one depends on the browser's locale).
async fn set_day(b: &Browser, name: &str, day: &str) {
    let script = format!("document.querySelector('[data-testid=journal-{name}]').value = '{day}';");
    b.client.execute(&script, vec![]).await.unwrap();
}

async fn choose_zone(b: &Browser, base: &str, zone: &str) {
    b.goto(&format!("{base}/console/account")).await;
    b.fill("[data-testid=time-zone]", zone).await;
    b.click("[data-testid=time-zone-submit]").await;
    b.wait("[data-testid=notice]").await;
    assert!(b.text("[data-testid=time-zone-current]").await.contains(zone));
}

/// Filters the journal by one person, picked by name, and one day (from and to the same day:
/// the end is included).
async fn filter(b: &Browser, base: &str, person: &str, day: &str) {
    b.goto(&format!("{base}/console/journal")).await;
    b.pick("[data-testid=journal-person]", person).await;
    set_day(b, "from", day).await;
    set_day(b, "to", day).await;
    b.click("[data-testid=journal-submit]").await;
    b.url_has(&format!("to={day}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_finds_a_person_by_name_in_their_own_time_zone() {
    let s = TestServer::start(Db::Sqlite).await;
    let acme = certified_org(&s, "Acme Works", "acme.admin", "Zhou Min").await;
    let plant = department(&s, &acme, "Plant", None).await;
    let li_na = member(&s, &acme, "Li Na", "li.na", &plant).await;
    // Another organization's person: never named on Acme's pages.
    let globex = certified_org(&s, "Globex", "globex.admin", "Wang Wei").await;
    let depot = department(&s, &globex, "Depot", None).await;
    member(&s, &globex, "Zhao Lei", "zhao.lei", &depot).await;
    let b = Browser::start().await;
    b.sign_in(&s.base, "acme.admin", "[data-testid=nav-journal]").await;

    // Everything here happened at 2026-11-24 00:00 UTC (the test clock): 08:00 that day in Shanghai.
    choose_zone(&b, &s.base, "Asia/Shanghai").await;
    filter(&b, &s.base, "Li Na", "2026-11-24").await;
    b.url_has(&format!("person={li_na}")).await;
    assert_eq!(b.picked("[data-testid=journal-person]").await, ["Li Na"], "the filter keeps the person by name");
    let rows = b.texts_when("[data-testid=journal-row]", 1).await;
    assert!(rows[0].contains("Li Na") && rows[0].contains("(Acme Works)"), "the person by name: {rows:?}");
    assert!(rows[0].contains("The system"), "the harness added her, not a person: {rows:?}");
    assert!(rows[0].contains("Member joined"), "the action in words: {rows:?}");
    assert!(rows[0].contains("24 Nov 2026, 08:00"), "the time in Shanghai: {rows:?}");
    assert!(rows[0].contains("Login: li.na"), "the details in a line: {rows:?}");
    assert!(!rows[0].contains(&li_na), "the id stays behind its toggle: {rows:?}");
    let table = b.text("[data-testid=journal-table]").await;
    assert!(!table.contains("Zhao Lei") && !table.contains("Globex") && !table.contains("Wang Wei"), "{table}");
    // Organizations are chosen by name, from those Acme's journal may name: Globex is not one.
    let orgs = b.text("[data-testid=journal-organization]").await;
    assert!(orgs.contains("Acme Works") && !orgs.contains("Globex"), "{orgs}");
    b.select("[data-testid=journal-organization]", acme.as_str()).await;
    b.click("[data-testid=journal-submit]").await;
    b.url_has(&format!("organization={acme}")).await;
    assert!(b.texts_when("[data-testid=journal-row]", 1).await.iter().any(|r| r.contains("Li Na")));
    // The day before holds nothing.
    filter(&b, &s.base, "Li Na", "2026-11-23").await;
    b.gone("[data-testid=journal-row]").await;
    b.screenshot("journal-en-shanghai").await;

    // In Chinese, from New York: the same instant is the evening of the 23rd there, and an
    // end date of the 23rd includes it.
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-journal]", "操作日志").await;
    choose_zone(&b, &s.base, "America/New_York").await;
    filter(&b, &s.base, "Li Na", "2026-11-23").await;
    let rows = b.texts_when("[data-testid=journal-row]", 1).await;
    assert!(rows[0].contains("Li Na") && rows[0].contains("成员加入"), "{rows:?}");
    assert!(rows[0].contains("2026年11月23日 19:00"), "the time in New York: {rows:?}");
    assert!(rows[0].contains("登录名：li.na"), "{rows:?}");
    filter(&b, &s.base, "Li Na", "2026-11-24").await;
    b.gone("[data-testid=journal-row]").await;
    b.screenshot("journal-zh-new-york").await;

    // A zone the database does not know is refused beside the field, in the reader's language.
    b.goto(&format!("{}/console/account", s.base)).await;
    b.fill("[data-testid=time-zone]", "Mars/Olympus").await;
    b.click("[data-testid=time-zone-submit]").await;
    assert!(b.text("[data-testid=field-error-time_zone]").await.contains("无法识别的时区"));
    b.close().await;
}
