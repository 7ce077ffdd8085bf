//! The seat pool under concurrency, on SQLite and PostgreSQL, with two servers on one database:
//! bursts of random enables, freezes, department batches, first visits under auto-authorization,
//! departures, rejoins and edition changes on a small pool. After every burst the pool's count
//! equals its enabled seats and never exceeds the purchase, the per-organization counts agree,
//! nobody who left holds a seat, and no answer was a server error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::OrgId;
use keiretsu_service::Caller;
use keiretsu_service::license::LicenseChange;
use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MEMBERS: usize = 14;
const BURSTS: usize = 10;
const OPS_PER_BURST: usize = 24;

/// `(edition, seats)` the operator switches between while seats move.
const EDITIONS: [(&str, Option<i64>); 4] =
    [("standard", Some(5)), ("standard", Some(7)), ("light", Some(9)), ("professional", None)];

struct World {
    s: TestServer,
    org: String,
    /// The admin on each of the two servers.
    admins: [Client; 2],
    members: Vec<(String, String)>,
    departments: [String; 2],
}

async fn world(s: TestServer) -> World {
    let (org, admin) = s.certified_org("Racers", "racers.admin").await;
    s.license(&org, EDITIONS[0].0, EDITIONS[0].1).await;
    let (st, _) = admin
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/organizations/{org}/license/auto-authorize"),
            Some(json!({"on": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut departments = Vec::new();
    for name in ["Press", "Paint"] {
        let (st, d) = admin.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": name})).await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
        departments.push(d["id"].as_str().unwrap().to_owned());
    }
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let login = format!("racer.{i:02}");
        let body = json!({"name": login, "login": login, "password": PASSWORD, "department_ids": [departments[i % 2]]});
        let (st, m) = admin.post(&format!("/api/v1/organizations/{org}/members"), body).await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        members.push((m["id"].as_str().unwrap().to_owned(), login));
    }
    let twin = Client { base: s.twin().await, ..admin.clone() };
    World { s, org, admins: [admin, twin], members, departments: [departments[0].clone(), departments[1].clone()] }
}

/// Every invariant of the pool, read straight from the database and through the API.
async fn check_pool(w: &World, after: &str) {
    let problems = w.s.svc.license().verify_seats().await.unwrap();
    assert!(problems.is_empty(), "{after}: {problems:?}");
    let held_by_leavers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM seats s JOIN members m ON m.id = s.member_id WHERE m.status = 'left'")
            .fetch_one(w.s.svc.store().pool())
            .await
            .unwrap();
    assert_eq!(held_by_leavers, 0, "{after}: members who left still hold seats");
    let (_, license) = w.admins[0].get(&format!("/api/v1/organizations/{}/license", w.org)).await;
    let (_, enabled) =
        w.admins[1].get(&format!("/api/v1/organizations/{}/seats?status=enabled&limit=200", w.org)).await;
    let listed = enabled["items"].as_array().unwrap().len() as i64;
    assert_eq!(license["counts"]["assigned"], json!(listed), "{after}: the dashboard and the list agree");
    if let Some(p) = license["counts"]["purchased"].as_i64() {
        assert!(listed <= p, "{after}: {listed} enabled for {p} purchased");
    }
}

/// A request's status must be an answer, never a server error.
fn answered(what: &str, st: StatusCode, body: &Value) {
    assert!(!st.is_server_error(), "{what} answered {st}: {body}");
}

both! {
    async fn one_account_enabled_twenty_times_at_once_gets_one_seat(db) {
        let w = world(TestServer::start(db).await).await;
        let (id, _) = w.members[0].clone();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let client = w.admins[i % 2].clone();
                let path = format!("/api/v1/organizations/{}/seats/enable", w.org);
                let body = json!({"member_ids": [id]});
                tokio::spawn(async move { client.post(&path, body).await })
            })
            .collect();
        for t in tasks {
            let (st, body) = t.await.unwrap();
            assert_eq!(st, StatusCode::OK, "{body}");
        }
        let (_, page) = w.admins[0].get(&format!("/api/v1/organizations/{}/seats?status=enabled", w.org)).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        check_pool(&w, "twenty enables of one account").await;
    }

    async fn random_bursts_keep_the_count_equal_to_the_seats(db) {
        let w = world(TestServer::start(db).await).await;
        let mut rng = StdRng::seed_from_u64(0x5ea7);
        for burst in 0..BURSTS {
            // Sign-in throttling counts per 15 minutes; each burst starts a fresh window.
            w.s.clock.advance(16 * 60 * 1000);
            let mut tasks = Vec::new();
            for _ in 0..OPS_PER_BURST {
                let client = w.admins[rng.random_range(0..2)].clone();
                let org = w.org.clone();
                let (id, login) = w.members[rng.random_range(0..MEMBERS)].clone();
                let (other, _) = w.members[rng.random_range(0..MEMBERS)].clone();
                let department = w.departments[rng.random_range(0..2)].clone();
                let edition = EDITIONS[rng.random_range(0..EDITIONS.len())];
                let svc = w.s.svc.clone();
                let op = rng.random_range(0..9);
                tasks.push(tokio::spawn(async move {
                    let seats = format!("/api/v1/organizations/{org}/seats");
                    let members = format!("/api/v1/organizations/{org}/members");
                    let (what, (st, body)) = match op {
                        0 | 1 => ("enable", client.post(&format!("{seats}/enable"), json!({"member_ids": [id, other]})).await),
                        2 => ("freeze", client.post(&format!("{seats}/freeze"), json!({"member_ids": [id]})).await),
                        3 => ("enable a department", client.post(&format!("{seats}/enable"), json!({"department_id": department})).await),
                        4 => ("freeze a department", client.post(&format!("{seats}/freeze"), json!({"department_id": department})).await),
                        5 | 6 => {
                            let body = json!({"login": login, "password": PASSWORD, "organization_id": org, "name": "visit"});
                            ("first visit", Client { token: None, ..client }.post("/api/v1/tokens", body).await)
                        }
                        7 => {
                            let left = client.post(&format!("{members}/{id}/leave"), json!({})).await;
                            if left.0 == StatusCode::CONFLICT {
                                ("rejoin", client.post(&format!("{members}/{id}/rejoin"), json!({})).await)
                            } else {
                                ("leave", left)
                            }
                        }
                        _ => {
                            let change = LicenseChange { edition: edition.0.into(), seats: edition.1 };
                            let org = OrgId::parse(&org).unwrap();
                            match svc.license().set_license(&Caller::System, &org, &change).await {
                                Ok(_) => ("edition change", (StatusCode::OK, Value::Null)),
                                Err(keiretsu_service::Error::Domain(e)) => ("edition change", (StatusCode::CONFLICT, json!(e.to_string()))),
                                Err(e) => ("edition change", (StatusCode::INTERNAL_SERVER_ERROR, json!(e.to_string()))),
                            }
                        }
                    };
                    answered(what, st, &body);
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            check_pool(&w, &format!("burst {burst}")).await;
        }
    }
}
