//! Look and feel in a real browser: the admins' dashboard and where its tiles lead, the grouped
//! navigation as each role sees it, the frame at laptop (1280px) and tablet (768px) widths, and
//! an axe-core accessibility sweep of every main page in English and Chinese at both widths.
//! Screenshots of each page, language and width land in target/e2e-artifacts/look-*.png.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::{MemberId, OrgId};
use keiretsu_e2e::{Browser, axe_source};
use keiretsu_service::Caller;
use keiretsu_service::directory::{MemberPatch, MemberQuery};
use keiretsu_testkit::{Db, TestServer};

const DEMO_PASSWORD: &str = "keiretsu-demo";
const WIDTHS: [u32; 2] = [1280, 768];

async fn member_id(s: &TestServer, org: &OrgId, login: &str) -> MemberId {
    let q = MemberQuery { q: Some(login.into()), ..Default::default() };
    let page = s.svc.directory().members(&Caller::System, org, &q).await.unwrap();
    MemberId::parse(&page.items.iter().find(|m| m.login == login).unwrap().id).unwrap()
}

async fn sign_in(b: &Browser, base: &str, login: &str) {
    b.goto(&format!("{base}/login?lang=en")).await;
    b.fill("[data-testid=login-login]", login).await;
    b.fill("[data-testid=login-password]", DEMO_PASSWORD).await;
    b.click("[data-testid=login-submit]").await;
    b.wait("[data-testid=page-title]").await;
}

/// The widest thing on the page is no wider than the window: nothing pushes it sideways.
async fn fits(b: &Browser) -> bool {
    let v = b.client.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await;
    v.unwrap().as_bool().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_what_admins_watch_and_leads_to_where_they_act() {
    let s = TestServer::start(Db::Sqlite).await;
    let demo = s.svc.demo().seed_demo(DEMO_PASSWORD).await.unwrap();
    let org = demo.org;
    // A head of department leaves; their reports go to the admin, their supervisor.
    let head = member_id(&s, &org, "emp0004").await;
    let boss = member_id(&s, &org, "demo.admin").await;
    let patch = MemberPatch { supervisor_id: Some(boss.to_string()), ..Default::default() };
    s.svc.directory().update_member(&Caller::System, &org, &head, &patch).await.unwrap();
    let left = s.svc.directory().leave(&Caller::System, &org, &head).await.unwrap();
    let license = s.svc.license().get(&Caller::System, &org).await.unwrap();

    let b = Browser::start().await;
    sign_in(&b, &s.base, "demo.admin").await;
    b.wait_text("[data-testid=page-title]", "Dashboard").await;
    let used = b.text("[data-testid=dash-seats-used]").await;
    let purchased = license.counts.purchased.unwrap();
    assert_eq!(used, format!("{} of {purchased} purchased seats in use", license.counts.assigned));
    assert!(b.text("[data-testid=dash-edition]").await.contains(&license.edition.name));
    let rows = b.texts_when("[data-testid=dash-usage-row]", license.usage.len()).await;
    assert!(rows[0].contains("Hoshino Precision Manufacturing"), "the pool's own organization first: {rows:?}");
    // The demo's one invitation still waiting: Fujita Logistics.
    assert_eq!(b.text("[data-testid=dash-sent-count]").await, "1 sent, awaiting an answer");
    assert!(b.text("[data-testid=dash-sent]").await.contains("Fujita Logistics"));
    assert_eq!(b.text("[data-testid=dash-departure-name]").await, left.name);
    let handover = b.text("[data-testid=dash-handover]").await;
    assert!(handover.contains("reports now report to Tanaka Hoshino"), "{handover}");
    // The current page is marked in the navigation, for eyes and screen readers.
    let current = b.wait("[data-testid=nav-overview]").await;
    assert_eq!(current.attr("aria-current").await.unwrap().as_deref(), Some("page"));
    b.screenshot("look-dashboard-admin").await;

    // Each tile leads to where one acts on it.
    b.click("[data-testid=dash-seats-link]").await;
    b.url_has("/console/license/seats").await;
    b.click("[data-testid=nav-overview]").await;
    b.click("[data-testid=dash-departures-link]").await;
    b.url_has("status=left").await;
    let listed = b.text("main").await;
    assert!(listed.contains(&left.name), "{listed}");
    b.click("[data-testid=nav-overview]").await;
    b.click("[data-testid=dash-sent] a").await;
    b.url_has("#invitations").await;

    // In Chinese, the same figures.
    b.click("[data-testid=nav-overview]").await;
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=page-title]", "管理概览").await;
    assert_eq!(b.text("[data-testid=dash-sent-count]").await, "已发出 1 个，等待对方回复");
    b.screenshot("look-dashboard-admin-zh").await;
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=page-title]", "Dashboard").await;
    b.sign_out().await;

    // A member keeps the simple overview, and a navigation of what they can use.
    sign_in(&b, &s.base, "demo.member").await;
    b.wait_text("[data-testid=page-title]", "Overview").await;
    b.wait("[data-testid=overview-members]").await;
    b.gone("[data-testid=dashboard]").await;
    for hidden in ["nav-license", "nav-journal", "nav-apps", "nav-import"] {
        b.gone(&format!("[data-testid={hidden}]")).await;
    }
    b.wait("[data-testid=nav-workbench]").await;
    b.screenshot("look-overview-member").await;
    b.sign_out().await;

    // A directory sub-admin sees departures, not seats or invitations.
    sign_in(&b, &s.base, "demo.hr").await;
    b.wait("[data-testid=dash-departures]").await;
    b.gone("[data-testid=dash-seats]").await;
    b.gone("[data-testid=dash-invitations]").await;
    b.gone("[data-testid=nav-license]").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_navigation_folds_on_a_tablet_and_tables_scroll_in_place() {
    let s = TestServer::start(Db::Sqlite).await;
    s.svc.demo().seed_demo(DEMO_PASSWORD).await.unwrap();
    let b = Browser::start().await;
    sign_in(&b, &s.base, "demo.admin").await;
    b.goto(&format!("{}/console/license/seats", s.base)).await;
    b.wait("[data-testid=page-title]").await;
    let nav = b.wait("[data-testid=nav]").await;
    assert!(nav.is_displayed().await.unwrap(), "the navigation is beside the page at 1280px");
    assert!(!b.wait("[data-testid=menu-toggle]").await.is_displayed().await.unwrap());
    assert!(fits(&b).await);

    b.width(768).await;
    b.goto(&format!("{}/console/license/seats", s.base)).await;
    b.wait("[data-testid=page-title]").await;
    assert!(!b.wait("[data-testid=nav]").await.is_displayed().await.unwrap(), "folded at 768px");
    assert!(fits(&b).await, "a wide table scrolls inside its box, the page does not");
    b.screenshot("look-tablet-folded").await;
    let toggle = b.wait("[data-testid=menu-toggle]").await;
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));
    toggle.click().await.unwrap();
    assert!(b.wait("[data-testid=nav]").await.is_displayed().await.unwrap());
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("true"));
    b.screenshot("look-tablet-open").await;
    b.click("[data-testid=nav-members]").await;
    b.url_has("/console/members").await;
    b.close().await;
}

/// Every main page of the console in one language, at both widths: axe's serious and critical
/// findings are collected in `failures`, and a screenshot of each is kept.
async fn sweep(b: &Browser, base: &str, lang: &str, pages: &[(&str, String)], axe: &str, failures: &mut Vec<String>) {
    for (name, path) in pages {
        for width in WIDTHS {
            b.width(width).await;
            b.goto(&format!("{base}{path}")).await;
            b.wait("h1").await;
            let html_lang = b.wait("html").await.attr("lang").await.unwrap().unwrap_or_default();
            let want = if lang == "zh" { "zh-CN" } else { "en" };
            if html_lang != want {
                failures.push(format!("{lang} {width}px {path}: <html lang={html_lang}>, not {want}"));
            }
            for v in b.axe_violations(axe).await {
                failures.push(format!("{lang} {width}px {path}: {v}"));
            }
            b.screenshot(&format!("look-{lang}-{width}-{name}")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_passes_axe_in_both_languages_at_both_widths() {
    let axe = axe_source();
    let s = TestServer::start(Db::Sqlite).await;
    let org = s.svc.demo().seed_demo(DEMO_PASSWORD).await.unwrap().org;
    let member = member_id(&s, &org, "emp0010").await;
    let admin = {
        let session = s.svc.identity().login("demo.admin", DEMO_PASSWORD, "test").await.unwrap();
        s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
    };
    let network = s.svc.network().networks(&admin).await.unwrap().remove(0);
    let nid = keiretsu_domain::ids::NetworkId::parse(&network.id).unwrap();
    let unit = s.svc.network().units(&admin, &nid).await.unwrap().remove(0);
    let app = s.svc.apps().list(&admin).await.unwrap().remove(0);
    let todo = s.svc.approvals().inbox(&admin, &Default::default()).await.unwrap();
    let request = todo.items.first().expect("the demo holds a request for its admin").id.clone();
    let pages: Vec<(&str, String)> = vec![
        ("dashboard", "/console".into()),
        ("members", "/console/members".into()),
        ("member", format!("/console/members/{member}")),
        ("departments", "/console/departments".into()),
        ("networks", "/console/networks".into()),
        ("network", format!("/console/networks/{}", network.id)),
        ("unit", format!("/console/networks/{}/units/{}", network.id, unit.id)),
        ("license", "/console/license".into()),
        ("seats", "/console/license/seats".into()),
        ("apps", "/console/apps".into()),
        ("app", format!("/console/apps/{}", app.id)),
        ("form", format!("/console/workbench/{}", app.id)),
        ("approval-steps", format!("/console/apps/{}/approvals", app.id)),
        ("workbench", "/console/workbench".into()),
        ("journal", "/console/journal".into()),
        ("approvals", "/console/approvals".into()),
        ("approval", format!("/console/approvals/{request}")),
        ("tokens", "/console/tokens".into()),
        ("inbox", "/console/inbox".into()),
        ("account", "/console/account".into()),
    ];
    let b = Browser::start().await;
    // The check itself works: a field nobody labelled is a critical finding.
    b.goto(&format!("{}/login?lang=en", s.base)).await;
    b.wait("[data-testid=login-form]").await;
    b.client
        .execute("document.querySelector('main').appendChild(document.createElement('input'));", vec![])
        .await
        .unwrap();
    let canary = b.axe_violations(&axe).await;
    assert!(
        canary.iter().any(|v| v.starts_with("label (critical)")),
        "axe did not see an unlabelled input: {canary:?}"
    );
    let mut failures = Vec::new();
    // The sign-in page, in each language, before anyone signs in.
    for lang in ["en", "zh"] {
        sweep(&b, &s.base, lang, &[("sign-in", format!("/login?lang={lang}"))], &axe, &mut failures).await;
    }
    b.width(1280).await;
    sign_in(&b, &s.base, "demo.admin").await;
    sweep(&b, &s.base, "en", &pages, &axe, &mut failures).await;
    b.width(1280).await;
    b.goto(&format!("{}/console", s.base)).await;
    b.click("[data-testid=lang-button]").await;
    b.wait_text("[data-testid=page-title]", "管理概览").await;
    sweep(&b, &s.base, "zh", &pages, &axe, &mut failures).await;
    b.close().await;
    assert!(
        failures.is_empty(),
        "{} serious or critical accessibility findings:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
