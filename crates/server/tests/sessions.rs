//! Console sessions over real HTTP: cookie attributes, a new id on every sign-in, CSRF on every
//! change, and nothing changed by a GET.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_server::ServerSettings;
use keiretsu_testkit::{PASSWORD, TestServer, both, test_settings};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in through the form and returns the `Set-Cookie` header of the session.
async fn sign_in(s: &TestServer, login: &str) -> String {
    s.console_session(login).await
}

fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

both! {
    async fn session_cookies_are_fresh_httponly_and_lax(db) {
        let s = TestServer::start(db).await;
        s.org("Acme", "acme.admin").await;
        let a = sign_in(&s, "acme.admin").await;
        let b = sign_in(&s, "acme.admin").await;
        assert!(a.starts_with("keiretsu_session="), "{a}");
        assert!(a.contains("HttpOnly") && a.contains("SameSite=Lax") && a.contains("Path=/"), "{a}");
        assert_ne!(pair(&a), pair(&b), "every sign-in gets a new session id");
        // A planted cookie is not a session: it is refused, not adopted.
        let res = client().get(format!("{}/api/v1/me", s.base)).header(COOKIE, "keiretsu_session=planted").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // The session works for the API's GETs.
        let res = client().get(format!("{}/api/v1/me", s.base)).header(COOKIE, pair(&a)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn every_change_needs_the_csrf_token(db) {
        let s = TestServer::start(db).await;
        let (org, _) = s.org("Acme", "acme.admin").await;
        let session = pair(&sign_in(&s, "acme.admin").await);
        let before = s.svc.journal().latest_revision().await.unwrap();
        // API over a cookie without the header: refused.
        let res = client()
            .post(format!("{}/api/v1/organizations/{org}/departments", s.base))
            .header(COOKIE, &session)
            .json(&serde_json::json!({"name": "Forged"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A console form without the token, or with a wrong one: refused.
        for form in [vec![("name", "Forged")], vec![("name", "Forged"), ("csrf", "guess")]] {
            let res = client()
                .post(format!("{}/console/departments", s.base))
                .header(COOKIE, &session)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
        }
        // A multipart form (a form with a file) without the token, with a wrong one, or cut short:
        // refused before any file is kept.
        let part = |csrf: Option<&str>| {
            let token = csrf.map_or(String::new(), |t| {
                format!("--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n")
            });
            format!(
                "{token}--XB\r\nContent-Disposition: form-data; name=\"v_doc\"; filename=\"a.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\nforged file\r\n--XB--\r\n"
            )
        };
        let cut = "--XB\r\nContent-Disposition: form-da".to_owned();
        for (body, want) in [(part(None), 403), (part(Some("guess")), 403), (cut, 400)] {
            let res = client()
                .post(format!("{}/console/workbench/app_x", s.base))
                .header(COOKIE, &session)
                .header("content-type", "multipart/form-data; boundary=XB")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), want);
        }
        // Sign-out needs it too.
        let res = client().post(format!("{}/logout", s.base)).header(COOKIE, &session).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // GETs of every console page change nothing.
        for page in ["/console", "/console/departments", "/console/members", "/console/journal", "/console/inbox", "/console/tokens", "/console/import"] {
            let res = client().get(format!("{}{page}", s.base)).header(COOKIE, &session).send().await.unwrap();
            assert!(res.status().is_success(), "{page}: {}", res.status());
        }
        assert_eq!(s.svc.journal().latest_revision().await.unwrap(), before, "refused posts and GETs changed nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_cookie_is_host_prefixed_and_secure() {
    let settings = ServerSettings { secure_cookies: true, ..ServerSettings::default() };
    let s = TestServer::start_full(keiretsu_testkit::Db::Sqlite, test_settings(), settings).await;
    s.org("Acme", "acme.admin").await;
    let http = client();
    let page = http.get(format!("{}/login", s.base)).send().await.unwrap();
    let pre = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(pre.contains("Secure"), "{pre}");
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = html[at..at + html[at..].find('"').unwrap()].to_owned();
    let res = http
        .post(format!("{}/login", s.base))
        .header(COOKIE, pair(&pre))
        .form(&[("login", "acme.admin"), ("password", PASSWORD), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("_session="))
        .unwrap();
    assert!(
        cookie.starts_with("__Host-keiretsu_session=") && cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain="), "{cookie}");
}

/// After a failed form the browser's address is the form's; switching language returns there
/// with a GET, which must land on the page above rather than on an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_on_a_form_address_goes_up_to_a_page() {
    let s = TestServer::start(keiretsu_testkit::Db::Sqlite).await;
    let http = client();
    for (path, to) in [
        ("/console/networks/net_x/invitations/inv_y/revoke", "/console/networks/net_x/invitations/inv_y"),
        ("/console/networks/net_x/invitations/inv_y", "/console/networks/net_x/invitations"),
        ("/console/networks/net_x/invitations", "/console/networks/net_x"),
        ("/console/lang", "/console"),
        ("/logout", "/console"),
    ] {
        let res = http.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], to, "{path}");
    }
    let res = http.put(format!("{}/console/lang", s.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = http.get(format!("{}/elsewhere", s.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "outside the console, unknown is unknown");
}

/// Someone who signs in from the Chinese sign-in page reads the console in Chinese, whatever
/// their account said before; the choice is kept for next time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_pages_language_carries_into_the_console() {
    let s = TestServer::start(keiretsu_testkit::Db::Sqlite).await;
    s.org("Acme", "acme.admin").await;
    let http = client();
    let page = http.get(format!("{}/login?lang=zh", s.base)).send().await.unwrap();
    let cookies: Vec<String> = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = &html[at..at + html[at..].find('"').unwrap()];
    let form = [("login", "acme.admin"), ("password", PASSWORD), ("csrf", token), ("lang", "zh")];
    let res =
        http.post(format!("{}/login", s.base)).header(COOKIE, cookies.join("; ")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("keiretsu_session="))
        .unwrap();
    // Only the session cookie: the language comes from the account, not from the sign-in page's cookie.
    let console = http.get(format!("{}/console", s.base)).header(COOKIE, pair(&session)).send().await.unwrap();
    assert!(console.text().await.unwrap().contains("<html lang=\"zh-CN\""), "the console is in Chinese");
    // "姓名" is a person's name; a network's, an app's or an organization's is "名称".
    let networks =
        http.get(format!("{}/console/networks", s.base)).header(COOKIE, pair(&session)).send().await.unwrap();
    let html = networks.text().await.unwrap();
    assert!(html.contains("<th>名称</th>") && !html.contains("姓名"), "{html}");
    let (_, me) = s.client_with(&s.token("acme.admin", None).await).get("/api/v1/me").await;
    assert_eq!(me["lang"], "zh");
}
