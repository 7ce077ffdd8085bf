//! A person's own account over real HTTP: the set-password link an administrator issues for
//! someone without a password, and the sessions a person lists and ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_service::Caller;
use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Adds a member with no password, as an import does; returns the member's id.
async fn without_password(admin: &Client, org: &str, login: &str) -> String {
    let (status, body) = admin
        .send(
            Method::POST,
            &format!("/api/v1/organizations/{org}/members"),
            Some(json!({"name": login, "login": login})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn issue(admin: &Client, org: &str, member: &str) -> (StatusCode, Value) {
    admin.send(Method::POST, &format!("/api/v1/organizations/{org}/members/{member}/password-link"), None).await
}

async fn set(s: &TestServer, code: &str, password: &str) -> (StatusCode, Value) {
    s.client().send(Method::POST, "/api/v1/set-password", Some(json!({"code": code, "password": password}))).await
}

async fn sign_in(s: &TestServer, login: &str, password: &str) -> StatusCode {
    let body = json!({"login": login, "password": password, "name": "probe"});
    s.client().send(Method::POST, "/api/v1/tokens", Some(body)).await.0
}

fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn with_cookie(s: &TestServer, method: Method, path: &str, cookie: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

both! {
    async fn a_set_password_link_lets_an_imported_person_sign_in_once(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let member = without_password(&admin, &org, "new.hire").await;
        assert_eq!(sign_in(&s, "new.hire", "chosen-by-me-1").await, StatusCode::UNAUTHORIZED);

        let (status, link) = issue(&admin, &org, &member).await;
        assert_eq!(status, StatusCode::CREATED, "{link}");
        let code = link["code"].as_str().unwrap().to_owned();
        assert_eq!(link["link"], format!("/set-password?code={code}"));
        assert_eq!(link["expires_at"], "2026-11-27T00:00:00Z", "72 hours from issuing");

        // The password policy holds, and a refusal leaves the link usable.
        let (status, body) = set(&s, &code, "short").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "password");
        assert_eq!(set(&s, &code, "chosen-by-me-1").await.0, StatusCode::NO_CONTENT);
        assert_eq!(sign_in(&s, "new.hire", "chosen-by-me-1").await, StatusCode::CREATED);

        // Once only.
        let (status, body) = set(&s, &code, "another-one-22").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "code");
        assert_eq!(sign_in(&s, "new.hire", "another-one-22").await, StatusCode::UNAUTHORIZED);
        let (status, body) = set(&s, "not-a-code", "another-one-22").await;
        assert_eq!((status, &body["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("code")), "{body}");

        // Both steps are in the journal, without the code.
        let (_, entries) = admin.send(Method::GET, "/api/v1/journal", None).await;
        let text = entries.to_string();
        assert!(text.contains("account.password_link") && text.contains("account.password_set"), "{text}");
        assert!(!text.contains(&code), "the code never reaches the journal");
    }

    async fn a_link_expires_and_a_new_one_replaces_the_old(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let member = without_password(&admin, &org, "late.starter").await;
        let first = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
        let second = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
        assert_eq!(set(&s, &first, "chosen-by-me-1").await.0, StatusCode::UNPROCESSABLE_ENTITY, "replaced");
        s.clock.advance(72 * 3_600_000);
        assert_eq!(set(&s, &second, "chosen-by-me-1").await.0, StatusCode::UNPROCESSABLE_ENTITY, "expired");
        let third = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
        assert_eq!(set(&s, &third, "chosen-by-me-1").await.0, StatusCode::NO_CONTENT);
    }

    async fn a_departure_retires_an_unused_link(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let member = without_password(&admin, &org, "short.stay").await;
        let code = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
        let (st, _) = admin.post(&format!("/api/v1/organizations/{org}/members/{member}/leave"), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (status, body) = set(&s, &code, "chosen-by-me-1").await;
        assert_eq!((status, &body["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("code")), "{body}");
        assert_eq!(sign_in(&s, "short.stay", "chosen-by-me-1").await, StatusCode::UNAUTHORIZED);
    }

    async fn only_the_persons_own_organization_may_issue_a_link(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let (other, other_admin) = s.org("Globex", "globex.admin").await;
        let member = without_password(&admin, &org, "new.hire").await;
        let (_, plain) = s.member(&admin, &org, "plain.member").await;

        // Another organization's admin gets what an unknown member gets; a plain member is refused.
        let (status, foreign) = issue(&other_admin, &org, &member).await;
        let (_, unknown) = issue(&other_admin, "org_unknown", &member).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(foreign["detail"], unknown["detail"]);
        assert_eq!(issue(&plain, &org, &member).await.0, StatusCode::FORBIDDEN);

        // A person who also signs in to another organization is not one organization's to reset.
        let (status, body) = other_admin
            .send(Method::POST, &format!("/api/v1/organizations/{other}/members"), Some(json!({"name": "New Hire", "login": "new.hire"})))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "an existing account is invited: {body}");
        // Only invited, the person still belongs to Acme alone; once they accept, no longer.
        assert_eq!(issue(&admin, &org, &member).await.0, StatusCode::CREATED);
        let person = s.svc.identity().caller_for_login(&Caller::System, "new.hire", None).await.unwrap();
        s.svc.directory().accept_invitation(&person, body["id"].as_str().unwrap()).await.unwrap();
        let (status, body) = issue(&admin, &org, &member).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["field"], "member_id");
    }

    async fn a_person_lists_and_ends_their_own_sessions(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        s.member(&admin, &org, "someone.else").await;
        let first = cookie_of(&s.console_session("acme.admin").await);
        let second = cookie_of(&s.console_session("acme.admin").await);

        let (status, list) = with_cookie(&s, Method::GET, "/api/v1/me/sessions", &second).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(list.iter().filter(|x| x["current"] == true).count(), 1);
        let other_id = list.iter().find(|x| x["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

        // Someone else's session is as unknown as a made-up one.
        let path = format!("/api/v1/me/sessions/{other_id}");
        let theirs = s.client_with(&s.token("someone.else", Some(&org)).await);
        let (status, body) = theirs.send(Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (_, unknown) = theirs.send(Method::DELETE, "/api/v1/me/sessions/0123456789abcdef", None).await;
        assert_eq!(body, unknown);

        // Ending the first session signs it out and leaves the second.
        let token = s.token("acme.admin", Some(&org)).await;
        let (status, _) = s.client_with(&token).send(Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(with_cookie(&s, Method::GET, "/api/v1/me", &first).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(with_cookie(&s, Method::GET, "/api/v1/me", &second).await.0, StatusCode::OK);
    }

    async fn setting_a_password_with_a_link_ends_the_accounts_sessions(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        s.member(&admin, &org, "has.password").await;
        let session = cookie_of(&s.console_session("has.password").await);
        let (_, list) = admin.send(Method::GET, &format!("/api/v1/organizations/{org}/members?q=has.password"), None).await;
        let member = list["items"][0]["id"].as_str().unwrap().to_owned();
        let code = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
        assert_eq!(set(&s, &code, "fresh-secret-99").await.0, StatusCode::NO_CONTENT);
        assert_eq!(with_cookie(&s, Method::GET, "/api/v1/me", &session).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(sign_in(&s, "has.password", PASSWORD).await, StatusCode::UNAUTHORIZED);
        assert_eq!(sign_in(&s, "has.password", "fresh-secret-99").await, StatusCode::CREATED);
    }

    async fn one_link_used_at_once_on_two_servers_sets_one_password(db) {
        let s = TestServer::start(db).await;
        let twin = s.twin().await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let member = without_password(&admin, &org, "racer").await;
        for round in 0..5 {
            let code = issue(&admin, &org, &member).await.1["code"].as_str().unwrap().to_owned();
            let post = |base: String, password: String| {
                let code = code.clone();
                async move {
                    reqwest::Client::new()
                        .post(format!("{base}/api/v1/set-password"))
                        .json(&json!({"code": code, "password": password}))
                        .send()
                        .await
                        .unwrap()
                        .status()
                }
            };
            let (a, b) = tokio::join!(post(s.base.clone(), format!("first-{round}-secret")), post(twin.clone(), format!("second-{round}-secret")));
            let won: Vec<_> = [a, b].into_iter().filter(|x| *x == StatusCode::NO_CONTENT).collect();
            assert_eq!(won.len(), 1, "round {round}: {a} and {b}");
            let which = if a == StatusCode::NO_CONTENT { "first" } else { "second" };
            assert_eq!(sign_in(&s, "racer", &format!("{which}-{round}-secret")).await, StatusCode::CREATED);
        }
    }
}
