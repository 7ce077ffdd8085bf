//! Sign-in throttling, on SQLite and PostgreSQL: successes never count; guessing is stopped per
//! (login, address) pair, so an attacker cannot lock a person out from their own address;
//! forwarding headers are believed only from a configured proxy; the console's refusal carries
//! `Retry-After` like the API's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_server::ServerSettings;
use keiretsu_testkit::{PASSWORD, TestServer, both, test_settings};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::json;

/// A token request for `login` that says it comes from `from` (believed only from a trusted proxy).
async fn sign_in(s: &TestServer, login: &str, password: &str, from: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/tokens", s.base))
        .header("x-forwarded-for", format!("192.0.2.1, {from}"))
        .json(&json!({"login": login, "password": password, "name": "t"}))
        .send()
        .await
        .unwrap()
}

async fn behind_a_proxy(db: keiretsu_testkit::Db) -> TestServer {
    let proxy = ServerSettings { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..ServerSettings::default() };
    TestServer::start_full(db, test_settings(), proxy).await
}

both! {
    async fn successes_never_count(db) {
        let s = behind_a_proxy(db).await;
        s.org("Acme", "acme.admin").await;
        // Far more than any budget, from one address, all good.
        for i in 0..60 {
            let r = sign_in(&s, "acme.admin", PASSWORD, "198.51.100.7").await;
            assert_eq!(r.status(), StatusCode::CREATED, "sign-in {i}");
        }
    }

    async fn a_guesser_cannot_lock_a_person_out(db) {
        let s = behind_a_proxy(db).await;
        s.org("Acme", "acme.admin").await;
        let (attacker, owner) = ("203.0.113.9", "198.51.100.7");
        for _ in 0..5 {
            assert_eq!(sign_in(&s, "acme.admin", "wrong-password", attacker).await.status(), StatusCode::UNAUTHORIZED);
        }
        // The guesser's address is stopped for this login, right password or not.
        for password in ["wrong-password", PASSWORD] {
            let r = sign_in(&s, "acme.admin", password, attacker).await;
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(r.headers()[RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
        }
        // Guesses spread over other addresses only slow the login down.
        for i in 0..6 {
            let r = sign_in(&s, "acme.admin", "wrong-password", &format!("203.0.113.{}", 20 + i)).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        // The person, from their own address, signs in.
        assert_eq!(sign_in(&s, "acme.admin", PASSWORD, owner).await.status(), StatusCode::CREATED);
        // And after the window the guesser's address may try again.
        s.clock.advance(16 * 60_000);
        assert_eq!(sign_in(&s, "acme.admin", PASSWORD, attacker).await.status(), StatusCode::CREATED);
    }

    async fn forwarding_headers_from_anyone_else_are_ignored(db) {
        let s = TestServer::start(db).await;
        s.org("Acme", "acme.admin").await;
        // Each guess claims another address; the server counts the real peer.
        for i in 0..5 {
            let r = sign_in(&s, "acme.admin", "wrong-password", &format!("203.0.113.{i}")).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = sign_in(&s, "acme.admin", PASSWORD, "198.51.100.7").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    async fn the_console_says_when_to_try_again(db) {
        let s = TestServer::start(db).await;
        s.org("Acme", "acme.admin").await;
        let mut last = None;
        for _ in 0..6 {
            last = Some(s.console_login("acme.admin", "wrong-password").await);
        }
        let res = last.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers()[RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() > 0);
    }
}
