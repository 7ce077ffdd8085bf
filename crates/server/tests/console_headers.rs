//! The console's Content-Security-Policy runs no inline script: the pages carry no inline code or
//! `on…=` handlers, and their one script is served from its own address as JavaScript.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Db, TestServer};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, X_CONTENT_TYPE_OPTIONS};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in through the console form; the session cookie pair (`name=value`).
async fn sign_in(s: &TestServer, login: &str) -> String {
    s.console_session(login).await.split(';').next().unwrap().to_owned()
}

/// The `script-src` directive of a CSP header, which must exist.
fn script_src(csp: &str) -> &str {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("no script-src: {csp}"))
}

/// An opening tag: its name and attributes (lowercase names), and its text for messages.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    raw: String,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(a, _)| a == name).map(|(_, v)| v.as_str())
    }
}

/// The opening tags of a page. Maud escapes `<` and `>` in text and attribute values, so every
/// `<` opens a tag.
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>').unwrap_or(after.len());
        let raw = &after[..close];
        rest = &after[close..];
        if raw.starts_with('/') || raw.starts_with('!') {
            continue;
        }
        let name_end = raw.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(raw.len());
        let name = raw[..name_end].to_ascii_lowercase();
        out.push(Tag { name, attrs: attributes(&raw[name_end..]), raw: raw.to_owned() });
    }
    out
}

/// Attribute names (lowercase) and values of a tag's inside, honouring quotes.
fn attributes(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return out;
        }
        let end = s.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(s.len());
        let name = s[..end].to_ascii_lowercase();
        s = &s[end..];
        let mut value = String::new();
        if let Some(v) = s.strip_prefix('=') {
            if let Some(q) = v.strip_prefix('"') {
                let e = q.find('"').unwrap_or(q.len());
                value = q[..e].to_owned();
                s = q.get(e + 1..).unwrap_or("");
            } else {
                let e = v.find(char::is_whitespace).unwrap_or(v.len());
                value = v[..e].to_owned();
                s = &v[e..];
            }
        }
        out.push((name, value));
    }
}

/// Fetches a console page and checks its policy and markup; returns the page.
async fn checked_page(s: &TestServer, session: Option<&str>, path: &str) -> String {
    let mut req = client().get(format!("{}{path}", s.base));
    if let Some(c) = session {
        req = req.header(COOKIE, c);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let scripts = script_src(&csp);
    assert!(scripts.starts_with("script-src 'self'"), "{path}: {csp}");
    assert!(!scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"), "{path}: {csp}");
    let html = res.text().await.unwrap();
    let mut loaded = 0;
    for tag in tags(&html) {
        for (attr, _) in &tag.attrs {
            assert!(!attr.starts_with("on"), "{path}: an inline handler in <{}>", tag.raw);
        }
        if tag.name == "script" {
            let src = tag.attr("src").is_some();
            assert!(src || tag.attr("type") == Some("application/json"), "{path}: an inline script <{}>", tag.raw);
            loaded += usize::from(src);
        }
    }
    assert_eq!(loaded, 1, "{path}: the console script, once");
    assert!(!html.contains("javascript:"), "{path}: a javascript: URL");
    html
}

/// The address of the console script a page loads.
fn script_url(html: &str) -> String {
    let tags = tags(html);
    let src = tags.iter().filter(|t| t.name == "script").find_map(|t| t.attr("src"));
    src.expect("a script src").replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_run_no_inline_script_and_load_one_script_file() {
    let s = TestServer::start(Db::Sqlite).await;
    let (org, admin) = s.org("Acme", "acme.admin").await;
    s.license(&org, "standard", Some(10)).await;
    let (member, _) = s.member(&admin, &org, "acme.worker").await;
    let (status, body) =
        admin.post(&format!("/api/v1/organizations/{org}/departments"), serde_json::json!({"name": "Sales"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let login = checked_page(&s, None, "/login").await;
    let session = sign_in(&s, "acme.admin").await;
    let overview = checked_page(&s, Some(&session), "/console").await;
    // The behaviours that were inline code are now data- attributes the script reads.
    assert!(overview.contains("data-autosubmit"), "the organization switcher");
    let import = checked_page(&s, Some(&session), "/console/import").await;
    assert!(import.contains("data-read-into=\"import-csv\""), "the import file picker");
    let seats = checked_page(&s, Some(&session), "/console/license/seats").await;
    assert!(seats.contains("data-check-all=\"member_ids\""), "select all seats");
    let departments = checked_page(&s, Some(&session), "/console/departments").await;
    assert!(departments.contains("data-confirm="), "deleting a department asks first");
    let worker = checked_page(&s, Some(&session), &format!("/console/members/{member}")).await;
    assert!(worker.contains("data-confirm="), "a member leaving asks first");
    for path in ["/console/members", "/console/tokens", "/console/networks", "/console/license", "/console/inbox"] {
        checked_page(&s, Some(&session), path).await;
    }

    // The script: one versioned address for every page, served as JavaScript, cached for good.
    let url = script_url(&login);
    assert_eq!(url, script_url(&overview));
    assert!(url.starts_with("/assets/console.js?v="), "{url}");
    let res = client().get(format!("{}{url}", s.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(res.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
    let cache = res.headers()[CACHE_CONTROL].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{cache}");
    let js = res.text().await.unwrap();
    assert!(js.contains("data-confirm") && js.contains("data-autosubmit"), "the console script");
    // Any other version is still the script, but must be checked again before use.
    let res = client().get(format!("{}/assets/console.js?v=old", s.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(res.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff");
}
