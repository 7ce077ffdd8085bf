//! The console in a real headless Chromium: sign in, browse the department tree, add a member,
//! find the change in the journal, switch to Chinese. Screenshots land in target/e2e-artifacts/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_e2e::Browser;
use keiretsu_testkit::{Db, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_browses_adds_a_member_and_switches_language() {
    let s = TestServer::start(Db::Sqlite).await;
    s.svc.demo().seed_demo("keiretsu-demo").await.unwrap();
    let b = Browser::start().await;

    // Wrong password first: a clear message, no session.
    b.goto(&format!("{}/login", s.base)).await;
    b.fill("[data-testid=login-login]", "demo.admin").await;
    b.fill("[data-testid=login-password]", "not-the-password").await;
    b.click("[data-testid=login-submit]").await;
    assert!(b.text("[data-testid=error]").await.contains("Wrong login or password"));

    b.fill("[data-testid=login-login]", "demo.admin").await;
    b.fill("[data-testid=login-password]", "keiretsu-demo").await;
    b.click("[data-testid=login-submit]").await;
    b.wait("[data-testid=nav-departments]").await;
    assert!(b.text("[data-testid=overview-org]").await.contains("Hoshino Precision Manufacturing"));
    let cookies = b.client.get_all_cookies().await.unwrap();
    let session = cookies.iter().find(|c| c.name() == "keiretsu_session").expect("session cookie");
    assert_eq!(session.http_only(), Some(true));
    b.screenshot("01-overview").await;

    // The department tree.
    b.click("[data-testid=nav-departments]").await;
    let tree = b.text("[data-testid=department-tree]").await;
    for name in ["Manufacturing", "Assembly", "Supply Chain", "Logistics"] {
        assert!(tree.contains(name), "{name} missing from the tree: {tree}");
    }
    b.screenshot("02-departments").await;

    // Add a member.
    b.click("[data-testid=nav-members]").await;
    b.click("[data-testid=add-member-link]").await;
    b.fill("[data-testid=member-name]", "Qian Duoduo").await;
    b.fill("[data-testid=member-login]", "qian.duoduo").await;
    b.fill("[data-testid=member-employee-no]", "HP9001").await;
    b.fill("[data-testid=member-email]", "qian@hoshino.example").await;
    b.click("[data-testid=member-submit]").await;
    assert_eq!(b.text("[data-testid=member-detail-name]").await, "Qian Duoduo");
    b.screenshot("03-member-added").await;

    // Search finds them.
    b.click("[data-testid=nav-members]").await;
    b.fill("[data-testid=member-search-q]", "HP9001").await;
    b.click("[data-testid=member-search-submit]").await;
    // The results page replaces the list: wait for it rather than read the old one.
    let mut found = vec![];
    for _ in 0..100 {
        if b.client.current_url().await.unwrap().as_str().contains("q=HP9001") {
            found = b.client.find_all(fantoccini::Locator::Css("[data-testid=member-row]")).await.unwrap();
            if !found.is_empty() {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found.len(), 1);
    assert!(found[0].text().await.unwrap().contains("qian.duoduo"));

    // The journal shows the join.
    b.click("[data-testid=nav-journal]").await;
    let journal = b.text("[data-testid=journal-table]").await;
    assert!(journal.contains("Member joined") && journal.contains("Qian Duoduo"), "{journal}");
    b.screenshot("04-journal").await;
    // A day range includes its last day: everything here happened on 2026-11-24 (the test clock).
    set_day(&b, "from", "2026-11-24").await;
    set_day(&b, "to", "2026-11-24").await;
    b.click("[data-testid=journal-submit]").await;
    b.url_has("to=2026-11-24").await;
    b.wait("[data-testid=journal-row]").await;
    set_day(&b, "from", "").await;
    set_day(&b, "to", "2026-11-23").await;
    b.click("[data-testid=journal-submit]").await;
    b.url_has("to=2026-11-23").await;
    b.gone("[data-testid=journal-row]").await;

    // Switch to Chinese: the same page, in Chinese, and it sticks.
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-journal]", "操作日志").await;
    b.click("[data-testid=nav-members]").await;
    b.wait("[data-testid=member-table]").await;
    b.wait_text("[data-testid=nav-members]", "成员").await;
    b.screenshot("05-chinese").await;

    // Sign out ends the session on the server: the old cookie no longer opens the console.
    b.click("[data-testid=logout]").await;
    b.wait("[data-testid=login-form]").await;
    b.goto(&format!("{}/console", s.base)).await;
    b.wait("[data-testid=login-form]").await;
    b.close().await;
}

/// Sets a date input as its calendar would (typing into one depends on the browser's locale).
async fn set_day(b: &Browser, name: &str, day: &str) {
    let script = format!("document.querySelector('[data-testid=journal-{name}]').value = '{day}';");
    b.client.execute(&script, vec![]).await.unwrap();
}
