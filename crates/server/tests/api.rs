//! The API against a real server, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_server::ServerSettings;
use keiretsu_server::metrics::MetricsToken;
use keiretsu_testkit::{PASSWORD, TestServer, both, test_settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

async fn revision(s: &TestServer) -> i64 {
    s.svc.journal().latest_revision().await.unwrap()
}

both! {
    async fn department_tree_rules(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let deps = format!("/api/v1/organizations/{org}/departments");
        let (st, a) = admin.post(&deps, json!({"name": "Manufacturing"})).await;
        assert_eq!(st, StatusCode::CREATED, "{a}");
        let a = a["id"].as_str().unwrap().to_owned();
        let (_, b) = admin.post(&deps, json!({"name": "Assembly", "parent_id": a})).await;
        let b = b["id"].as_str().unwrap().to_owned();
        // Moving a department under its own child is refused and changes nothing.
        let before = revision(&s).await;
        let (st, p) = admin.send(Method::PATCH, &format!("{deps}/{a}"), Some(json!({"parent_id": b}))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["field"], "parent_id");
        assert_eq!(p["type"], "/problems/validation");
        assert_eq!(p["code"], "no_cycle", "{p}");
        assert_eq!(revision(&s).await, before);
        // Rename and a legal move.
        let (st, _) = admin.send(Method::PATCH, &format!("{deps}/{b}"), Some(json!({"name": "Final Assembly"}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (_, list) = admin.get(&deps).await;
        let renamed = list.as_array().unwrap().iter().find(|d| d["id"] == b.as_str()).unwrap();
        assert_eq!(renamed["name"], "Final Assembly");
        // A department with a sub-department or an active member cannot be deleted.
        let (st, p) = admin.send(Method::DELETE, &format!("{deps}/{a}"), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("sub-departments"));
        assert_eq!((&p["code"], p.get("params")), (&json!("has_sub_departments"), None), "{p}");
        let (st, m) = admin.post(&format!("/api/v1/organizations/{org}/members"), json!({"name": "Li Na", "login": "li.na", "department_ids": [b]})).await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        let (st, p) = admin.send(Method::DELETE, &format!("{deps}/{b}"), None).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert!(p["detail"].as_str().unwrap().contains("members"));
        assert_eq!(p["code"], "has_members", "{p}");
        // Once the member leaves, the department can go.
        let mid = m["id"].as_str().unwrap();
        let (st, _) = admin.post(&format!("/api/v1/organizations/{org}/members/{mid}/leave"), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = admin.send(Method::DELETE, &format!("{deps}/{b}"), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
    }

    async fn member_search_filters_and_pages(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let deps = format!("/api/v1/organizations/{org}/departments");
        let (_, top) = admin.post(&deps, json!({"name": "Sales"})).await;
        let top = top["id"].as_str().unwrap().to_owned();
        let (_, sub) = admin.post(&deps, json!({"name": "Export", "parent_id": top})).await;
        let sub = sub["id"].as_str().unwrap().to_owned();
        let members = format!("/api/v1/organizations/{org}/members");
        for i in 0..7 {
            let dep = if i % 2 == 0 { &top } else { &sub };
            let (st, b) = admin.post(&members, json!({
                "name": format!("Zhang {i}"), "login": format!("zhang{i}"), "phone": format!("+86 139 0000 000{i}"),
                "email": format!("z{i}@acme.example"), "employee_no": format!("E{i}"), "department_ids": [dep]
            })).await;
            assert_eq!(st, StatusCode::CREATED, "{b}");
        }
        // By phone, email and employee number.
        let (_, p) = admin.get(&format!("{members}?q=139%200000%200003")).await;
        assert_eq!(p["items"].as_array().unwrap().len(), 0, "phone search matches the stored digits");
        let (_, p) = admin.get(&format!("{members}?q=1390000000")).await;
        assert_eq!(p["items"].as_array().unwrap().len(), 7);
        let (_, p) = admin.get(&format!("{members}?q=z5@acme")).await;
        assert_eq!(p["items"][0]["name"], "Zhang 5");
        let (_, p) = admin.get(&format!("{members}?q=e6")).await;
        assert_eq!(p["items"][0]["employee_no"], "E6");
        // Department filter with and without sub-departments.
        let (_, p) = admin.get(&format!("{members}?department_id={top}")).await;
        assert_eq!(p["items"].as_array().unwrap().len(), 4);
        let (_, p) = admin.get(&format!("{members}?department_id={top}&include_sub_departments=true")).await;
        assert_eq!(p["items"].as_array().unwrap().len(), 7);
        // Pages of 3 cover everyone exactly once, in name order.
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor { Some(c) => format!("{members}?limit=3&cursor={c}"), None => format!("{members}?limit=3") };
            let (st, p) = admin.get(&url).await;
            assert_eq!(st, StatusCode::OK, "{p}");
            seen.extend(p["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_owned()));
            match p["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(seen.len(), 8, "seven members and the admin");
        // Pages under a search and a department filter agree with the whole list.
        let filter = format!("{members}?department_id={top}&include_sub_departments=true&q=zhang");
        let (_, whole) = admin.get(&filter).await;
        let mut paged = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor { Some(c) => format!("{filter}&limit=2&cursor={c}"), None => format!("{filter}&limit=2") };
            let (_, p) = admin.get(&url).await;
            paged.extend(ids(&p));
            match p["next_cursor"].as_str() { Some(c) => cursor = Some(c.to_owned()), None => break }
        }
        assert_eq!(paged.len(), 7);
        assert_eq!(paged, ids(&whole));
        // Status filter after a departure.
        let (_, p) = admin.get(&format!("{members}?q=zhang0")).await;
        let z0 = p["items"][0]["id"].as_str().unwrap().to_owned();
        admin.post(&format!("{members}/{z0}/leave"), json!({})).await;
        let (_, p) = admin.get(&format!("{members}?status=left")).await;
        assert_eq!(ids(&p), vec![z0.clone()]);
        let (_, p) = admin.get(&format!("{members}?status=active&q=zhang")).await;
        assert_eq!(p["items"].as_array().unwrap().len(), 6);
        // The one who left is still found; a rename is found by the new name, not the old.
        let (_, p) = admin.get(&format!("{members}?status=left&q=z0@acme")).await;
        assert_eq!(ids(&p), vec![z0.clone()]);
        let (_, p) = admin.get(&format!("{members}?q=zhang%202")).await;
        let z2 = p["items"][0]["id"].as_str().unwrap().to_owned();
        let (st, b) = admin.send(Method::PATCH, &format!("{members}/{z2}"), Some(json!({"name": "Okabe Ryo"}))).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(ids(&admin.get(&format!("{members}?q=okabe%20ryo")).await.1), vec![z2.clone()]);
        assert_eq!(ids(&admin.get(&format!("{members}?q=zhang%202")).await.1), Vec::<String>::new());
        // Bad filters and page sizes outside 1 to 200 name the field.
        let (st, p) = admin.get(&format!("{members}?status=gone")).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
        let (st, p) = admin.get(&format!("{members}?cursor=zz")).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")));
        for limit in ["100000", "0", "-1"] {
            let (st, p) = admin.get(&format!("{members}?limit={limit}")).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")), "{limit}");
        }
        let (st, p) = admin.get(&format!("{members}?limit=200")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(p["items"].as_array().unwrap().len(), 8);
        let (st, p) = admin.get(&format!("{members}?color=red")).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("color")));
    }

    async fn departure_runs_every_reaction(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let members = format!("/api/v1/organizations/{org}/members");
        let (boss, boss_client) = s.member(&admin, &org, "boss").await;
        let (lead, lead_client) = s.member(&admin, &org, "lead").await;
        let (_, staff) = admin.post(&members, json!({"name": "Staff", "login": "staff", "supervisor_id": lead})).await;
        let staff = staff["id"].as_str().unwrap().to_owned();
        admin.send(Method::PATCH, &format!("{members}/{lead}"), Some(json!({"supervisor_id": boss}))).await;
        let (_, deps) = admin.get(&format!("/api/v1/organizations/{org}/departments")).await;
        let root = deps[0]["id"].as_str().unwrap().to_owned();
        let (st, _) = admin.send(Method::PUT, &format!("/api/v1/organizations/{org}/departments/{root}/heads"), Some(json!({"member_ids": [lead]}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert_eq!(lead_client.get("/api/v1/me").await.0, StatusCode::OK);

        let (st, left) = admin.post(&format!("{members}/{lead}/leave"), json!({})).await;
        assert_eq!(st, StatusCode::OK, "{left}");
        assert_eq!(left["status"], "left");
        // Their token stops working at once.
        assert_eq!(lead_client.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        // Their report now reports to their supervisor.
        let (_, st_) = admin.get(&format!("{members}/{staff}")).await;
        assert_eq!(st_["supervisor_id"], boss.as_str());
        // The department lost its head.
        let (_, deps) = admin.get(&format!("/api/v1/organizations/{org}/departments")).await;
        assert_eq!(deps[0]["head_ids"], json!([]));
        // The supervisor and the primary admin were told, in their inboxes.
        let (_, inbox) = boss_client.get("/api/v1/notifications").await;
        assert_eq!(inbox["unread"], 1);
        assert_eq!(inbox["items"][0]["kind"], "member_left");
        assert_eq!(inbox["items"][0]["params"]["name"], "lead");
        let (_, inbox) = admin.get("/api/v1/notifications").await;
        assert_eq!(inbox["items"][0]["kind"], "head_left");
        // Every reaction is in the journal.
        let (_, j) = admin.get(&format!("/api/v1/journal?target={lead}")).await;
        let actions: Vec<&str> = j["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in ["member.leave", "departure.end_access", "departure.release_headships", "departure.reassign_reports", "departure.notify_supervisor"] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        // Mark read.
        let nid = inbox["items"][0]["id"].as_str().unwrap();
        assert_eq!(admin.post(&format!("/api/v1/notifications/{nid}/read"), json!({})).await.0, StatusCode::NO_CONTENT);
        assert_eq!(admin.get("/api/v1/notifications").await.1["unread"], 0);
        // Another account cannot mark it.
        assert_eq!(boss_client.post(&format!("/api/v1/notifications/{nid}/read"), json!({})).await.0, StatusCode::NOT_FOUND);
        // Rejoin.
        let (st, back) = admin.post(&format!("{members}/{lead}/rejoin"), json!({})).await;
        assert_eq!((st, back["status"].as_str()), (StatusCode::OK, Some("active")));
        // The primary admin cannot leave before handing over the role.
        let (_, me) = admin.get("/api/v1/me").await;
        let admin_member = me["member_id"].as_str().unwrap();
        let (st, p) = admin.post(&format!("{members}/{admin_member}/leave"), json!({})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("member_id")));
    }

    async fn bad_input_names_the_field_and_changes_nothing(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let members = format!("/api/v1/organizations/{org}/members");
        let before = revision(&s).await;
        for (body, field) in [
            (json!({"name": "", "login": "abc"}), "name"),
            (json!({"name": "A", "login": "a b"}), "login"),
            (json!({"name": "A", "login": "abc", "email": "nope"}), "email"),
            (json!({"name": "A", "login": "abc", "phone": "12ab"}), "phone"),
            (json!({"name": "A", "login": "abc", "password": "short"}), "password"),
            (json!({"name": "A", "login": "abc", "department_ids": ["dep_nothere"]}), "department_ids"),
            (json!({"name": "A", "login": "abc", "department_ids": ["org_wrongkind"]}), "department_ids"),
            (json!({"name": "A", "login": "abc", "shoe_size": 42}), "shoe_size"),
            (json!({"name": "A"}), "login"),
        ] {
            let (st, p) = admin.post(&members, body.clone()).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {p}");
            assert_eq!(p["field"], field, "{body} -> {p}");
        }
        // The code and its params say what was wrong without parsing the English detail.
        let (st, p) = admin.post(&members, json!({"name": "A".repeat(500), "login": "abc"})).await;
        assert_eq!((st, &p["code"], &p["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("too_long"), &json!("name")));
        let max = p["params"]["max"].as_u64().unwrap_or_else(|| panic!("max is a number: {p}"));
        assert!(p["detail"].as_str().unwrap().contains(&format!("at most {max} characters")), "{p}");
        assert_eq!(revision(&s).await, before, "nothing changed");
        // Malformed ids in the path are simply not found.
        for path in [format!("{members}/not-an-id"), format!("{members}/dep_wrongkind"), "/api/v1/organizations/mem_x/members".into()] {
            let (st, p) = admin.get(&path).await;
            assert_eq!((st, p["type"].as_str()), (StatusCode::NOT_FOUND, Some("/problems/not-found")), "{path}");
        }
        // Duplicates are conflicts on the field.
        let (st, _) = admin.post(&members, json!({"name": "A", "login": "dupe", "employee_no": "E1"})).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, p) = admin.post(&members, json!({"name": "B", "login": "dupe2", "employee_no": "E1"})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("employee_no")));
        let (st, p) = admin.post(&members, json!({"name": "B", "login": "dupe"})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("login")));
        // Malformed JSON and an oversized body.
        let res = admin.http.post(format!("{}{members}", s.base)).bearer_auth(admin.token.as_ref().unwrap())
            .header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let big = json!({"name": "x".repeat(300 * 1024), "login": "big"});
        let (st, p) = admin.post(&members, big).await;
        assert_eq!((st, p["type"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("/problems/payload-too-large")));
    }

    async fn sign_in_throttling_is_exact_under_concurrency(db) {
        let s = TestServer::start(db).await;
        let (org, _admin) = s.org("Acme", "acme.admin").await;
        let wrong = json!({"login": "acme.admin", "password": "wrong-password", "name": "t"});
        let attempts = (0..12).map(|_| { let c = s.client(); let w = wrong.clone(); async move { c.post("/api/v1/tokens", w).await.0 } });
        let results = futures_join(attempts).await;
        let refused_as_wrong = results.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        let throttled = results.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        // Exactly the limit (5) of passwords were checked; the rest were throttled.
        assert_eq!((refused_as_wrong, throttled), (5, 7), "{results:?}");
        // Now even the right password waits, with a Retry-After.
        let (st, p) = s.client().post("/api/v1/tokens", json!({"login": "acme.admin", "password": PASSWORD, "name": "t"})).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(p["type"], "/problems/throttled");
        // After the window it works again.
        s.clock.advance(16 * 60_000);
        let (st, _) = s.client().post("/api/v1/tokens", json!({"login": "acme.admin", "password": PASSWORD, "name": "t", "organization_id": org})).await;
        assert_eq!(st, StatusCode::CREATED);
        // Unknown logins are refused exactly like wrong passwords.
        let (st, p) = s.client().post("/api/v1/tokens", json!({"login": "nobody", "password": PASSWORD, "name": "t"})).await;
        assert_eq!((st, p["type"].as_str()), (StatusCode::UNAUTHORIZED, Some("/problems/bad-credentials")));
    }

    async fn tokens_expire_and_revoke(db) {
        let s = TestServer::start(db).await;
        let (_org, admin) = s.org("Acme", "acme.admin").await;
        let (st, t) = admin.post("/api/v1/tokens", json!({"name": "short", "expires_in_days": 1})).await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let short = s.client_with(t["secret"].as_str().unwrap());
        assert_eq!(short.get("/api/v1/me").await.0, StatusCode::OK);
        s.clock.advance(86_400_000 + 1);
        assert_eq!(short.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        let (_, t) = admin.post("/api/v1/tokens", json!({"name": "revoked"})).await;
        let tid = t["id"].as_str().unwrap();
        let revoked = s.client_with(t["secret"].as_str().unwrap());
        assert_eq!(admin.send(Method::DELETE, &format!("/api/v1/tokens/{tid}"), None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(revoked.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        let (_, list) = admin.get("/api/v1/tokens").await;
        assert!(list.as_array().unwrap().iter().any(|t| t["id"] == tid && t["revoked"] == true));
        assert!(!list.to_string().contains("krt_"), "secrets are never listed");
        let (st, p) = admin.post("/api/v1/tokens", json!({"name": "x", "expires_in_days": 1000})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in_days")));
        // A garbage bearer is refused, not treated as anonymous.
        assert_eq!(s.client_with("krt_nothing").get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    }

    async fn idempotency_keys_give_one_effect(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let url = format!("{}/api/v1/organizations/{org}/departments", s.base);
        let token = admin.token.clone().unwrap();
        let send = |key: &'static str, name: &'static str| {
            let (http, url, token) = (admin.http.clone(), url.clone(), token.clone());
            async move {
                let r = http.post(url).bearer_auth(token).header("idempotency-key", key).json(&json!({"name": name})).send().await.unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            }
        };
        let results = futures_join((0..20).map(|_| send("k-1", "Quality"))).await;
        let first = &results[0];
        assert_eq!(first.0, StatusCode::CREATED);
        assert!(results.iter().all(|r| r == first), "every repeat replays the first answer");
        let (_, deps) = admin.get(&format!("/api/v1/organizations/{org}/departments")).await;
        assert_eq!(deps.as_array().unwrap().iter().filter(|d| d["name"] == "Quality").count(), 1);
        let (st, p) = send("k-1", "Other").await;
        assert_eq!((st, p["type"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("/problems/idempotency-mismatch")));
    }

    async fn idempotency_keeps_no_secret_and_belongs_to_the_caller(db) {
        let s = TestServer::start(db).await;
        let (_, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (_, net) = admin.post("/api/v1/networks", json!({"name": "Partners"})).await;
        let url = format!("{}/api/v1/networks/{}/invitations", s.base, net["id"].as_str().unwrap());
        let invite = |token: String, key: &'static str, name: &'static str| {
            let (http, url) = (admin.http.clone(), url.clone());
            async move {
                let body = json!({"partner_name": name, "partner_type": "supplier", "tier": "a"});
                http.post(url).bearer_auth(token).header("idempotency-key", key).json(&body).send().await.unwrap()
            }
        };
        let token = admin.token.clone().unwrap();
        let first = invite(token.clone(), "inv-1", "Kato").await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let revision = first.headers()["keiretsu-revision"].clone();
        let first: Value = first.json().await.unwrap();
        let code = first["code"].as_str().unwrap().to_owned();
        // The replay keeps the status, type and revision, and says the code is not shown again.
        let again = invite(token.clone(), "inv-1", "Kato").await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()["content-type"], "application/json");
        assert_eq!(again.headers()["keiretsu-revision"], revision);
        assert!(again.headers().contains_key("keiretsu-withheld"));
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["id"], first["id"]);
        assert_ne!(again["code"], json!(code), "the code is shown once");
        let stored: Vec<String> = sqlx::query_scalar("SELECT COALESCE(body, '') FROM idempotency")
            .fetch_all(s.svc.store().pool()).await.unwrap();
        assert!(!stored.is_empty() && stored.iter().all(|b| !b.contains(&code)), "no secret is kept: {stored:?}");

        // Another caller's key of the same name is theirs: it runs.
        let (_, sub) = s.org("Other", "other.admin").await;
        let theirs = invite(sub.token.clone().unwrap(), "inv-1", "Kato").await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "their own answer, not a replay of ours");
        // A day later the key is free again.
        s.clock.advance(25 * 60 * 60 * 1000);
        let later = invite(token.clone(), "inv-1", "Sato").await;
        assert_eq!(later.status(), StatusCode::CREATED);
        assert!(!later.headers().contains_key("idempotent-replayed"));

        // Anonymous requests keep nothing, and a body over the route's limit is refused unread.
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idempotency").fetch_one(s.svc.store().pool()).await.unwrap();
        for _ in 0..2 {
            let r = admin.http.post(format!("{}/api/v1/tokens", s.base)).header("idempotency-key", "anon")
                .json(&json!({"login": "hoshino.admin", "password": PASSWORD, "name": "t"})).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            assert!(!r.headers().contains_key("idempotent-replayed"));
        }
        let r = admin.http.post(&url).bearer_auth(&token).header("idempotency-key", "big")
            .header("content-type", "application/json").body(vec![b' '; 400 * 1024]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idempotency").fetch_one(s.svc.store().pool()).await.unwrap();
        assert_eq!(after, before, "neither the anonymous requests nor the refused one left a row");
        // Without a valid credential, 401 before anything is read.
        let r = admin.http.post(&url).bearer_auth("krt_nothing").header("idempotency-key", "x").json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }

    async fn the_operator_gets_a_token_for_the_operators_routes_only(db) {
        let s = TestServer::start(db).await;
        s.svc.identity().ensure_operator(Some(PASSWORD)).await.unwrap();
        let (org, _) = s.org("Acme", "acme.admin").await;
        let (st, t) = s.client().post("/api/v1/tokens", json!({"login": "operator", "password": PASSWORD, "name": "ops"})).await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        assert!(t["organization_id"].is_null(), "{t}");
        let op = s.client_with(t["secret"].as_str().unwrap());
        // The README's operator calls work with it...
        let (st, l) = op.send(Method::PUT, &format!("/api/v1/organizations/{org}/license"), Some(json!({"edition": "standard", "seats": 10}))).await;
        assert_eq!(st, StatusCode::OK, "{l}");
        let (st, tokens) = op.get("/api/v1/tokens").await;
        assert_eq!((st, tokens.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{tokens}");
        // ...and it reads no tenant's data.
        let (st, _) = op.get(&format!("/api/v1/organizations/{org}/members")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Anyone else naming no organization they belong to is still refused.
        let (st, p) = s.client().post("/api/v1/tokens", json!({"login": "acme.admin", "password": PASSWORD, "name": "x", "organization_id": "org_00000000000000000000000000"})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("organization_id")));
    }

    async fn whole_numbers_may_be_written_with_a_zero_fraction(db) {
        let s = TestServer::start(db).await;
        let (_, admin) = s.org("Acme", "acme.admin").await;
        let (st, t) = admin.post("/api/v1/tokens", json!({"name": "seven", "expires_in_days": 7.0})).await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let (st, p) = admin.post("/api/v1/tokens", json!({"name": "half", "expires_in_days": 7.5})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in_days")), "{p}");
    }

    async fn anonymous_requests_are_answered_401_first(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        for path in ["/api/v1/tokens", "/api/v1/me", &format!("/api/v1/organizations/{org}/members?limit=nonsense")] {
            let r = reqwest::get(format!("{}{path}", s.base)).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(r.headers()["www-authenticate"], "Bearer", "{path}");
            assert_eq!(r.headers()["content-type"], "application/problem+json", "{path}");
        }
        // Unknown addresses and methods under /api are problem documents too.
        let r = admin.http.get(format!("{}/api/v1/nowhere", s.base)).bearer_auth(admin.token.clone().unwrap()).send().await.unwrap();
        assert_eq!((r.status(), r.headers()["content-type"].to_str().unwrap()), (StatusCode::NOT_FOUND, "application/problem+json"));
        let r = admin.http.delete(format!("{}/api/v1/me", s.base)).bearer_auth(admin.token.clone().unwrap()).send().await.unwrap();
        assert_eq!((r.status(), r.headers()["content-type"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "application/problem+json"));
        // The scheme's name is case-insensitive.
        let token = admin.token.clone().unwrap();
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let r = admin.http.get(format!("{}/api/v1/me", s.base)).header("authorization", format!("{scheme} {token}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{scheme}");
        }
    }

    async fn import_checks_every_row_first(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        admin.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": "Plant"})).await;
        let url = format!("{}/api/v1/organizations/{org}/members/import", s.base);
        let token = admin.token.clone().unwrap();
        let import = |csv: &'static str, skip: bool| {
            let (http, url, token) = (admin.http.clone(), url.clone(), token.clone());
            async move {
                let r = http.post(format!("{url}?skip_bad={skip}")).bearer_auth(token).header("content-type", "text/csv").body(csv).send().await.unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            }
        };
        let csv = "employee_no,name,login,department\nE1,Ann,ann1,Plant\nE2,,bob2,\nE3,Cy,cyy3,Nowhere\nE4,Di,dii4,\n";
        let before = revision(&s).await;
        let (st, r) = import(csv, false).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r["applied"], false);
        let errs: Vec<(i64, &str)> = r["errors"].as_array().unwrap().iter().map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap())).collect();
        assert_eq!(errs, vec![(3, "name"), (4, "department")]);
        assert_eq!(revision(&s).await, before, "nothing imported");
        let (st, r) = import(csv, true).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!((r["created"].as_i64(), r["skipped"].as_i64()), (Some(2), Some(2)));
        // Idempotent on employee number: the same file again creates nothing.
        let (_, r) = import(csv, true).await;
        assert_eq!((r["created"].as_i64(), r["updated"].as_i64()), (Some(0), Some(0)));
        // A changed title updates the member.
        let (_, r) = import("employee_no,name,login,title\nE1,Ann,ann1,Lead\n", false).await;
        assert_eq!(r["updated"], 1);
        let (_, p) = admin.get(&format!("/api/v1/organizations/{org}/members?q=ann1")).await;
        assert_eq!(p["items"][0]["title"], "Lead");
    }

    async fn journal_is_filtered_exported_and_tamper_evident(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let (_, member) = s.member(&admin, &org, "plain").await;
        admin.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": "Audit me"})).await;
        let (st, j) = admin.get("/api/v1/journal?action=department").await;
        assert_eq!(st, StatusCode::OK);
        let items = j["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.iter().all(|e| e["action"].as_str().unwrap().starts_with("department.")));
        assert!(items.iter().all(|e| e["organization"] == org.as_str()));
        // Paging by cursor walks backwards without overlap.
        let (_, p1) = admin.get("/api/v1/journal?limit=2").await;
        let c = p1["next_cursor"].as_str().unwrap();
        let (_, p2) = admin.get(&format!("/api/v1/journal?limit=2&cursor={c}")).await;
        assert!(p2["items"][0]["revision"].as_i64() < p1["items"][1]["revision"].as_i64());
        // Time filters.
        let (_, none) = admin.get("/api/v1/journal?to=2020-01-01").await;
        assert_eq!(none["items"], json!([]));
        // An end date is inclusive: the test clock's day is 2026-11-24.
        let (_, day) = admin.get("/api/v1/journal?from=2026-11-24&to=2026-11-24&action=department").await;
        assert_eq!(day["items"].as_array().unwrap().len(), items.len());
        let (_, before) = admin.get("/api/v1/journal?to=2026-11-23").await;
        assert_eq!(before["items"], json!([]));
        let (st, p) = admin.get("/api/v1/journal?from=yesterday").await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
        // A plain member may not read the journal.
        assert_eq!(member.get("/api/v1/journal").await.0, StatusCode::FORBIDDEN);
        // CSV export.
        let res = admin.http.get(format!("{}/api/v1/journal/export?action=department", s.base)).bearer_auth(admin.token.as_ref().unwrap()).send().await.unwrap();
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("revision,time,actor"));
        assert!(csv.contains("department.create"));
        // Verify: intact, then an edit behind the server's back is caught at that entry.
        let v = s.svc.journal().verify_journal().await.unwrap();
        assert!(v.first_break.is_none());
        let target = items[0]["revision"].as_i64().unwrap();
        sqlx::query(&format!("UPDATE journal SET details = '{{\"name\":\"forged\"}}' WHERE revision = {target}"))
            .execute(s.svc.store().pool()).await.unwrap();
        let v = s.svc.journal().verify_journal().await.unwrap();
        let broke = v.first_break.expect("tampering is caught");
        assert!(broke.to_string().starts_with(&format!("entry {target}:")), "{broke}");
    }

    async fn health_ready_metrics_and_openapi(db) {
        let settings = ServerSettings { metrics_token: MetricsToken::new("scrape"), ..ServerSettings::default() };
        let s = TestServer::start_full(db, test_settings(), settings).await;
        let c = s.client();
        assert_eq!(c.get("/healthz").await.0, StatusCode::OK);
        assert_eq!(c.get("/readyz").await.0, StatusCode::OK);
        let (_, doc) = c.get("/api/openapi.json").await;
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(c.get("/metrics").await.0, StatusCode::UNAUTHORIZED, "metrics are not public");
        let (_, m) = s.client_with("scrape").get("/metrics").await;
        let m = m.as_str().unwrap();
        assert!(m.contains("keiretsu_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}"), "{m}");
        assert!(m.contains("keiretsu_journal_revision"));
    }

    async fn the_primary_admin_role_is_handed_over_not_copied(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Acme", "acme.admin").await;
        let (next, _) = s.member(&admin, &org, "next.admin").await;
        let members = format!("/api/v1/organizations/{org}/members");
        let (_, me) = admin.get("/api/v1/me").await;
        let old = me["member_id"].as_str().unwrap().to_owned();
        // A sub-admin, even of the directory, cannot assign roles.
        let (st, _) = admin
            .send(Method::PUT, &format!("{members}/{next}/role"), Some(json!({"role": {"role": "sub_admin", "scopes": ["directory"]}})))
            .await;
        assert_eq!(st, StatusCode::OK);
        let sub = s.client_with(&s.token("next.admin", Some(&org)).await);
        let (st, _) = sub.send(Method::PUT, &format!("{members}/{old}/role"), Some(json!({"role": {"role": "member"}}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // The primary admin hands the role over and becomes a sub-admin with every scope.
        let (st, p) = admin.send(Method::PUT, &format!("{members}/{next}/role"), Some(json!({"role": {"role": "primary_admin"}}))).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (_, all) = sub.get(&format!("{members}?limit=200")).await;
        let primaries: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"]["role"] == "primary_admin")
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(primaries, vec![next.as_str()]);
        let (_, old_view) = sub.get(&format!("{members}/{old}")).await;
        assert_eq!(old_view["role"]["role"], "sub_admin");
        assert_eq!(old_view["role"]["scopes"].as_array().unwrap().len(), 6);
    }
}

/// Runs futures concurrently on the runtime and collects their outputs in order.
async fn futures_join<F, T>(futs: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
