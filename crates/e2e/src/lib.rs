//! The browser harness: Debian's chromedriver and headless Chromium, driven over WebDriver,
//! against a real server started by the testkit. Screenshots go to `target/e2e-artifacts/`.
//! Accessibility checks run axe-core, installed from npm into `target/axe/` by scripts/test.sh.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use keiretsu_domain::directory::Certification;
use keiretsu_domain::ids::{DepartmentId, OrgId};
use keiretsu_service::Caller;
use keiretsu_service::directory::{NewDepartment, NewMember, NewOrg};
use keiretsu_testkit::TestServer;

/// A chromedriver process and a browser session on it; both end when this is dropped.
/// The password of every account the browser tests create.
pub const PASSWORD: &str = "keiretsu-e2e-pass";

/// A department of `org`, below `parent` (or the root).
pub async fn department(s: &TestServer, org: &OrgId, name: &str, parent: Option<&DepartmentId>) -> DepartmentId {
    let input = NewDepartment { name: name.into(), parent_id: parent.cloned() };
    DepartmentId::parse(&s.svc.directory().create_department(&Caller::System, org, &input).await.unwrap().id).unwrap()
}

/// A member of `org` in `dep` who signs in as `login` (password [`PASSWORD`]); their id.
pub async fn member(s: &TestServer, org: &OrgId, name: &str, login: &str, dep: &DepartmentId) -> String {
    let input = NewMember {
        name: name.into(),
        login: login.into(),
        title: Some("Engineer".into()),
        department_ids: vec![dep.clone()],
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    s.svc.directory().add_member(&Caller::System, org, &input).await.unwrap().member().expect("a new login").id
}

/// A certified organization with a primary admin `login` (password [`PASSWORD`]).
pub async fn certified_org(s: &TestServer, name: &str, login: &str, admin_name: &str) -> OrgId {
    let input = NewOrg {
        name: name.into(),
        certification: Some(Certification::Certified),
        admin_login: login.into(),
        admin_name: admin_name.into(),
        admin_password: Some(PASSWORD.into()),
    };
    OrgId::parse(&s.svc.directory().create_org(&Caller::System, &input).await.unwrap().id).unwrap()
}

/// The axe-core version scripts/test.sh installs (npm, into `target/axe/`).
pub const AXE_VERSION: &str = "4.10.3";

/// axe-core's script as npm ships it, read from `target/axe/` (never committed). Missing, the
/// test fails and says how to install it: accessibility is checked on every run, never skipped.
pub fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed ({}: {e}). Run the install step of scripts/test.sh: \
             npm install --no-save --no-package-lock --prefix target/axe axe-core@{AXE_VERSION}",
            path.display()
        )
    })
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (Debian package chromium-driver; scripts/test.sh installs it)");
        let profile = std::env::temp_dir().join(format!("keiretsu-chromium-{}", keiretsu_service::random_token(6)));
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        // Wait for chromedriver to listen, then open a session (never a fixed sleep).
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // WebDriver runs over plain HTTP on loopback, but the client still wants a TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client =
            ClientBuilder::rustls().expect("tls").capabilities(caps).connect(&url).await.expect("browser session");
        Browser { client, driver, profile }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Types `text` into the person picker `css` and picks the first suggestion that shows it.
    pub async fn pick(&self, css: &str, text: &str) {
        self.fill(css, text).await;
        let options = format!("{css} ~ .pick-list [data-testid=pick-option]");
        let mut seen = Vec::new();
        for _ in 0..200 {
            if let Ok(found) = self.client.find_all(Locator::Css(&options)).await {
                seen.clear();
                for el in found {
                    let shown = el.text().await.unwrap_or_default();
                    if shown.contains(text) {
                        el.click().await.unwrap();
                        return;
                    }
                    seen.push(shown);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("`{css}` offered no one showing `{text}`: {seen:?}");
    }

    /// The names a person picker holds, in order.
    pub async fn picked(&self, css: &str) -> Vec<String> {
        // The chips of the picker holding `css`; `:has()` cannot take a selector that starts
        // outside the picker, so the script walks up from the input instead.
        let script = r#"
            const input = document.querySelector(arguments[0]);
            const picker = input && input.closest('.picker');
            if (!picker) return [];
            return Array.from(picker.querySelectorAll('[data-testid=picked] span'), el => el.textContent);
        "#;
        let v = self.client.execute(script, vec![serde_json::Value::from(css)]).await.unwrap();
        serde_json::from_value(v).unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.wait(css).await.click().await.unwrap();
    }

    /// Clicks a destructive action, waits for the question it asks, says yes, and returns the
    /// question's text.
    pub async fn confirm(&self, css: &str) -> String {
        self.answer(css, true).await
    }

    /// Clicks a destructive action and says no to its question.
    pub async fn decline(&self, css: &str) -> String {
        self.answer(css, false).await
    }

    async fn answer(&self, css: &str, yes: bool) -> String {
        self.wait(css).await.click().await.unwrap();
        for _ in 0..200 {
            if let Ok(text) = self.client.get_alert_text().await {
                if yes {
                    self.client.accept_alert().await.unwrap();
                } else {
                    self.client.dismiss_alert().await.unwrap();
                }
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{css} asked no question");
    }

    /// Waits up to ten seconds for an element.
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element `{css}`: {e}"))
    }

    /// Waits up to ten seconds for an element to show `expected` (a page may still be loading).
    pub async fn wait_text(&self, css: &str, expected: &str) {
        let mut last = String::new();
        for _ in 0..200 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
            {
                if text == expected {
                    return;
                }
                last = text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("`{css}` shows `{last}`, not `{expected}`");
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.unwrap()
    }

    pub async fn body(&self) -> String {
        self.text("body").await
    }

    /// Saves a screenshot as a test artifact.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Signs in through the login form with [`PASSWORD`] and waits for `landmark`.
    pub async fn sign_in(&self, base: &str, login: &str, landmark: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("[data-testid=login-login]", login).await;
        self.fill("[data-testid=login-password]", PASSWORD).await;
        self.click("[data-testid=login-submit]").await;
        self.wait(landmark).await;
    }

    pub async fn sign_out(&self) {
        self.click("[data-testid=logout]").await;
        self.wait("[data-testid=login-form]").await;
    }

    /// The texts of every element matching `css` once there are `n` of them (the page may still be loading).
    pub async fn texts_when(&self, css: &str, n: usize) -> Vec<String> {
        let mut last = Vec::new();
        for _ in 0..200 {
            if let Ok(found) = self.client.find_all(Locator::Css(css)).await {
                last.clear();
                for el in &found {
                    last.push(el.text().await.unwrap_or_default());
                }
                if last.len() == n {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} of `{css}`, found {}: {last:?}", last.len());
    }

    /// Waits until the address bar holds `part` (a form was sent and its page came back).
    pub async fn url_has(&self, part: &str) {
        for _ in 0..200 {
            if self.client.current_url().await.unwrap().as_str().contains(part) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the address never showed `{part}`");
    }

    /// Waits until nothing matches `css`.
    pub async fn gone(&self, css: &str) {
        for _ in 0..200 {
            if self.client.find_all(Locator::Css(css)).await.map(|v| v.is_empty()).unwrap_or(false) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("`{css}` is still on the page");
    }

    /// The page's visible text: each rendered text node, and each placeholder, trimmed. For
    /// checks on the language a page speaks.
    pub async fn visible_texts(&self) -> Vec<String> {
        let script = r#"
            const out = [];
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) {
                const el = walk.currentNode.parentElement;
                if (!el || el.closest('script, style') || el.getClientRects().length === 0) continue;
                if (getComputedStyle(el).visibility === 'hidden') continue;
                const text = walk.currentNode.textContent.trim();
                if (text) out.push(text);
            }
            for (const el of document.querySelectorAll('[placeholder]')) {
                if (el.getClientRects().length > 0) out.push(el.getAttribute('placeholder').trim());
            }
            return out;
        "#;
        let v = self.client.execute(script, vec![]).await.unwrap();
        serde_json::from_value(v).unwrap()
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.wait(css).await.select_by_value(value).await.unwrap();
    }

    /// A screenshot with `css` scrolled into view.
    pub async fn shot(&self, css: &str, name: &str) {
        self.wait(css).await;
        let script = format!("document.querySelector(\"{css}\").scrollIntoView({{block: 'center'}})");
        self.client.execute(&script, vec![]).await.unwrap();
        self.screenshot(name).await;
    }

    /// Sets the window's width (900 pixels high): 1280 a laptop, 768 a tablet.
    pub async fn width(&self, width: u32) {
        self.client.set_window_size(width, 900).await.unwrap();
    }

    /// Runs axe-core (`axe`, from [`axe_source`]) on the page as it is now and returns its
    /// serious and critical violations, one line each with the elements concerned.
    pub async fn axe_violations(&self, axe: &str) -> Vec<String> {
        // The source runs as the body of WebDriver's script function: no eval, so the CSP stands.
        let script = format!(
            "{axe}\n;var done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ resultTypes: ['violations'] }}).then(\
               function (r) {{ done(JSON.stringify(r.violations)); }},\
               function (e) {{ done(JSON.stringify([{{ id: 'axe-failed', impact: 'critical', help: String(e), nodes: [] }}])); }});"
        );
        let out = self.client.execute_async(&script, vec![]).await.unwrap();
        let violations: serde_json::Value = serde_json::from_str(out.as_str().unwrap_or("[]")).unwrap();
        let mut found = Vec::new();
        for v in violations.as_array().into_iter().flatten() {
            let impact = v["impact"].as_str().unwrap_or_default();
            if impact != "serious" && impact != "critical" {
                continue;
            }
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .take(5)
                .map(|n| {
                    format!("{} {}", n["target"], n["failureSummary"].as_str().unwrap_or_default().replace('\n', " "))
                })
                .collect();
            found.push(format!(
                "{} ({impact}): {} [{}]",
                v["id"].as_str().unwrap_or_default(),
                v["help"],
                nodes.join(" | ")
            ));
        }
        found
    }

    pub async fn close(self) {
        let mut this = self;
        let _ = this.client.clone().close().await;
        let _ = this.driver.kill();
        let _ = this.driver.wait();
        let _ = std::fs::remove_dir_all(&this.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
