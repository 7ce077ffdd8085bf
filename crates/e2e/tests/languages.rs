//! The console in Chinese, in a real headless Chromium: an error beside a field names the field
//! and says what is wrong in Chinese, and the main pages show no English sentence.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_e2e::Browser;
use keiretsu_testkit::{Db, TestServer};

/// The demo's own data (names of organizations, networks, apps, form fields): English words a
/// user typed, not the console's, so they are taken out of a text before it is judged.
fn demo_words() -> Vec<&'static str> {
    let src = include_str!("../../service/src/demo.rs");
    let mut words: Vec<&str> = src.split('"').skip(1).step_by(2).filter(|w| w.len() >= 3).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words
}

/// An English sentence: after the demo's data and the product's name are taken out, a text with
/// no Chinese and three or more words of ASCII letters. Ids, logins, emails, numbers and dates
/// are not words of letters, so they pass.
fn english_sentence(text: &str, demo: &[&str]) -> bool {
    let mut rest = text.replace("Keiretsu", " ");
    for w in demo {
        rest = rest.replace(w, " ");
    }
    if rest.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return false;
    }
    let words = rest
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| ",.:;!?()'\"·".contains(c)))
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .count();
    words >= 3
}

#[test]
fn the_sentence_check_tells_english_from_data() {
    let demo = ["Hoshino Precision Manufacturing"];
    assert!(english_sentence("You do not have the rights", &demo));
    assert!(!english_sentence("Hoshino Precision Manufacturing", &demo));
    assert!(!english_sentence("您没有权限 do it now", &demo));
    assert!(!english_sentence("demo.admin mem_0123abcd 2026-12-31 name@example.com", &demo));
    assert!(!english_sentence("Keiretsu", &demo));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_chinese_says_errors_and_pages_in_chinese() {
    let s = TestServer::start(Db::Sqlite).await;
    s.svc.demo().seed_demo("keiretsu-demo").await.unwrap();
    let b = Browser::start().await;
    b.goto(&format!("{}/login", s.base)).await;
    b.fill("[data-testid=login-login]", "demo.admin").await;
    b.fill("[data-testid=login-password]", "keiretsu-demo").await;
    b.click("[data-testid=login-submit]").await;
    b.wait("[data-testid=nav-members]").await;
    // The check bites: the same overview in English has sentences.
    let demo = demo_words();
    assert!(b.visible_texts().await.iter().any(|t| english_sentence(t, &demo)), "the English overview has sentences");
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=nav-members]", "成员").await;

    // A login with a space: the message beside the field names it and says why, in Chinese.
    b.goto(&format!("{}/console/members/new", s.base)).await;
    b.fill("[data-testid=member-name]", "田中 花").await;
    b.fill("[data-testid=member-login]", "tanaka hana").await;
    b.click("[data-testid=member-submit]").await;
    let said = b.text("[data-testid=field-error-login]").await;
    assert!(said.starts_with("登录名"), "the field is named: {said}");
    assert!(said.contains("只能包含字母"), "the rule is said in Chinese: {said}");
    assert!(!said.contains("login"), "no API field name: {said}");
    b.screenshot("languages-01-field-error-zh").await;

    for (page, path) in [
        ("overview", "/console"),
        ("members", "/console/members"),
        ("departments", "/console/departments"),
        ("networks", "/console/networks"),
        ("license", "/console/license"),
        ("apps", "/console/apps"),
        ("journal", "/console/journal"),
        ("approvals", "/console/approvals"),
    ] {
        b.goto(&format!("{}{path}", s.base)).await;
        b.wait("[data-testid=page-title]").await;
        let english: Vec<String> = b.visible_texts().await.into_iter().filter(|t| english_sentence(t, &demo)).collect();
        assert!(english.is_empty(), "{page} shows English: {english:#?}");
    }
    b.close().await;
}
