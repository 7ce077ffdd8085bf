//! Licenses and account authorization through the API, on SQLite and PostgreSQL: the worked
//! example of seed 000's FAQ, every auto-authorization rule of seed 001 §3.3, batch changes,
//! departures, usage warnings, and a pool that is never overdrawn under concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::OrgId;
use keiretsu_service::Caller;
use keiretsu_testkit::{Client, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn revision(s: &TestServer) -> i64 {
    s.svc.journal().latest_revision().await.unwrap()
}

/// Adds `n` members to `department` (created under the root) through a member import.
async fn import(s: &TestServer, admin: &Client, org: &str, department: &str, prefix: &str, n: usize) -> String {
    let (_, dep) = admin.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": department})).await;
    let mut csv = String::from("employee_no,name,login,department\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i:05},{prefix} person {i:05},{prefix}.{i:05},{department}\n"));
    }
    let report =
        s.svc.directory().import_members(&Caller::System, &OrgId::parse(org).unwrap(), &csv, false, &()).await.unwrap();
    assert_eq!(report.created, n as u64);
    dep["id"].as_str().unwrap().to_owned()
}

async fn counts(admin: &Client, org: &str) -> Value {
    let (st, license) = admin.get(&format!("/api/v1/organizations/{org}/license")).await;
    assert_eq!(st, StatusCode::OK, "{license}");
    license
}

/// Adds a member without signing them in (so they have not visited yet); returns the id.
async fn quiet_member(admin: &Client, org: &str, login: &str) -> String {
    let (st, m) = admin
        .post(
            &format!("/api/v1/organizations/{org}/members"),
            json!({"name": login, "login": login, "password": keiretsu_testkit::PASSWORD}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    m["id"].as_str().unwrap().to_owned()
}

async fn seat_of(admin: &Client, org: &str, login: &str) -> String {
    let (_, page) = admin.get(&format!("/api/v1/organizations/{org}/seats?q={login}")).await;
    page["items"][0]["status"].as_str().unwrap_or("missing").to_owned()
}

async fn listed(admin: &Client, org: &str, query: &str) -> (StatusCode, Value) {
    admin.get(&format!("/api/v1/organizations/{org}/seats?{query}&limit=200")).await
}

async fn enable(admin: &Client, org: &str, ids: &[String]) -> (StatusCode, Value) {
    admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"member_ids": ids})).await
}

fn kinds(inbox: &Value) -> Vec<String> {
    inbox["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

both! {
    async fn the_seed_faq_comes_out_exactly(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.backbone("Main Organization", "main.admin").await;
        s.license(&org, "exclusive", Some(3000)).await;
        let sales = import(&s, &admin, &org, "Sales", "m", 2000).await;
        import(&s, &admin, &org, "Plant", "p", 300).await;
        let (st, done) = admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"department_id": sales})).await;
        assert_eq!(st, StatusCode::OK, "{done}");
        assert_eq!(done["changed"], 2000);

        // A downstream unit of 1000 people; its 200 sales people are authorized as partners.
        let (_, net) = admin.post("/api/v1/networks", json!({"name": "Downstream"})).await;
        let net = net["id"].as_str().unwrap().to_owned();
        let (_, inv) = admin.post(&format!("/api/v1/networks/{net}/invitations"), json!({"partner_name": "Down", "partner_type": "distributor", "tier": "a"})).await;
        let (down, down_admin) = s.certified_org("Downstream Co", "down.admin").await;
        let (_, unit) = down_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        let unit = unit["id"].as_str().unwrap().to_owned();
        let partner_sales = import(&s, &down_admin, &down, "Partner sales", "d", 200).await;
        import(&s, &down_admin, &down, "Works", "w", 799).await;
        let (st, rule) = admin.post(&format!("/api/v1/organizations/{org}/seats/entry-rules"),
            json!({"unit_id": unit, "department_id": partner_sales})).await;
        assert_eq!(st, StatusCode::CREATED, "{rule}");
        assert_eq!(rule["authorized"], 200);

        let license = counts(&admin, &org).await;
        assert_eq!(license["counts"], json!({"purchased": 3000, "assigned": 2200, "unassigned": 800}));
        let usage: Vec<(String, i64)> = license["usage"].as_array().unwrap().iter()
            .map(|u| (u["organization_name"].as_str().unwrap().to_owned(), u["assigned"].as_i64().unwrap())).collect();
        assert_eq!(usage, vec![("Main Organization".to_owned(), 2000), ("Downstream Co".to_owned(), 200)]);
        assert_eq!(license["usage"][1]["unit_id"], unit.as_str());

        // Partner intelligent entry: someone joining the bound department later gets a seat.
        let (st, newcomer) = down_admin.post(&format!("/api/v1/organizations/{down}/members"),
            json!({"name": "New Seller", "login": "new.seller", "department_ids": [partner_sales]})).await;
        assert_eq!(st, StatusCode::CREATED, "{newcomer}");
        assert_eq!(counts(&admin, &org).await["counts"]["assigned"], 2201);
        // Partner intelligent resignation: they leave and the seat comes back at once.
        let id = newcomer["id"].as_str().unwrap();
        down_admin.post(&format!("/api/v1/organizations/{down}/members/{id}/leave"), json!({})).await;
        assert_eq!(counts(&admin, &org).await["counts"]["assigned"], 2200);
        // The unit's list under the backbone's pool.
        let (_, listed) = admin.get(&format!("/api/v1/organizations/{org}/seats?unit_id={unit}&status=enabled&limit=1")).await;
        assert_eq!(listed["items"][0]["reason"], "entry_rule", "{listed}");
        // The unit leaves the network: its partner seats go back.
        down_admin.send(Method::DELETE, &format!("/api/v1/networks/{net}/units/{unit}"), None).await;
        assert_eq!(counts(&admin, &org).await["counts"], json!({"purchased": 3000, "assigned": 2000, "unassigned": 1000}));
    }

    async fn auto_authorization_follows_every_rule(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.certified_org("Autos", "autos.admin").await;
        s.license(&org, "standard", Some(3)).await;
        let license = counts(&admin, &org).await;
        assert_eq!(license["auto_authorize"], false, "seat-limited editions start with it off");
        let a = quiet_member(&admin, &org, "aaa.visitor").await;
        // A visit while it is off lists the account as not authorized.
        let a_client = s.client_with(&s.token("aaa.visitor", Some(&org)).await);
        assert_eq!(seat_of(&admin, &org, "aaa.visitor").await, "unauthorized");
        assert_eq!(a_client.get("/api/v1/me").await.1["seat"], "unauthorized");

        let (st, _) = admin.send(Method::PUT, &format!("/api/v1/organizations/{org}/license/auto-authorize"), Some(json!({"on": true}))).await;
        assert_eq!(st, StatusCode::OK);
        // A first visit after switching on: authorized.
        quiet_member(&admin, &org, "bbb.newcomer").await;
        let b_client = s.client_with(&s.token("bbb.newcomer", Some(&org)).await);
        assert_eq!(seat_of(&admin, &org, "bbb.newcomer").await, "enabled");
        // Listed before: never authorized automatically, however often they come back.
        s.token("aaa.visitor", Some(&org)).await;
        assert_eq!(seat_of(&admin, &org, "aaa.visitor").await, "unauthorized");
        // An admin's freeze sticks.
        let b = b_client.get("/api/v1/me").await.1["member_id"].as_str().unwrap().to_owned();
        admin.post(&format!("/api/v1/organizations/{org}/seats/freeze"), json!({"member_ids": [b]})).await;
        s.token("bbb.newcomer", Some(&org)).await;
        assert_eq!(seat_of(&admin, &org, "bbb.newcomer").await, "frozen");
        assert_eq!(b_client.get("/api/v1/me").await.1["seat"], "frozen", "in effect without signing in again");
        // Authorized by hand: in effect at once on the same token.
        admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"member_ids": [a]})).await;
        assert_eq!(a_client.get("/api/v1/me").await.1["seat"], "enabled");
        // Fill the pool (3 seats); the next first visit finds it full.
        for login in ["ccc.third", "ddd.fourth", "eee.fifth"] {
            quiet_member(&admin, &org, login).await;
            s.token(login, Some(&org)).await;
        }
        assert_eq!(seat_of(&admin, &org, "ccc.third").await, "enabled");
        assert_eq!(seat_of(&admin, &org, "ddd.fourth").await, "enabled");
        assert_eq!(seat_of(&admin, &org, "eee.fifth").await, "unauthorized");
        assert_eq!(counts(&admin, &org).await["counts"], json!({"purchased": 3, "assigned": 3, "unassigned": 0}));

        // Edition changes keep an admin's hand-set value ...
        admin.send(Method::PUT, &format!("/api/v1/organizations/{org}/license/auto-authorize"), Some(json!({"on": false}))).await;
        s.license(&org, "professional", None).await;
        let license = counts(&admin, &org).await;
        assert_eq!((license["auto_authorize"].as_bool(), license["auto_set_by_admin"].as_bool()), (Some(false), Some(true)));
        assert!(license["counts"]["purchased"].is_null() && license["counts"]["unassigned"].is_null(), "unlimited: {license}");
        // ... and apply the new edition's initial value otherwise.
        let (other, other_admin) = s.certified_org("Untouched", "untouched.admin").await;
        s.license(&other, "standard", Some(5)).await;
        s.license(&other, "professional", None).await;
        assert_eq!(counts(&other_admin, &other).await["auto_authorize"], true);
        s.license(&other, "light", Some(5)).await;
        assert_eq!(counts(&other_admin, &other).await["auto_authorize"], false);
        // Trial: on, and it cannot be switched off.
        s.license(&other, "trial", None).await;
        assert_eq!(counts(&other_admin, &other).await["auto_authorize"], true);
        let before = revision(&s).await;
        let (st, p) = other_admin.send(Method::PUT, &format!("/api/v1/organizations/{other}/license/auto-authorize"), Some(json!({"on": false}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("auto_authorize")), "{p}");
        assert_eq!(revision(&s).await, before);
    }

    async fn batch_changes_filters_and_departures(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.certified_org("Batches", "batch.admin").await;
        s.license(&org, "standard", Some(50)).await;
        let sales = import(&s, &admin, &org, "Sales", "s", 30).await;
        let (_, east) = admin.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": "East", "parent_id": sales})).await;
        let east = east["id"].as_str().unwrap().to_owned();
        import(&s, &admin, &org, "Plant", "p", 30).await;
        // Too many for the pool: refused whole, nothing changed.
        let all = admin.get(&format!("/api/v1/organizations/{org}/departments")).await.1;
        let root = all.as_array().unwrap().iter().find(|d| d["parent_id"].is_null()).unwrap()["id"].as_str().unwrap().to_owned();
        let before = revision(&s).await;
        let (st, p) = admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"department_id": root})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("seats")), "{p}");
        assert_eq!(revision(&s).await, before);
        assert_eq!(counts(&admin, &org).await["counts"]["assigned"], 0);
        // A subtree: Sales and East below it.
        let mover = admin.get(&format!("/api/v1/organizations/{org}/members?q=s%20person%2000001")).await.1["items"][0]["id"].as_str().unwrap().to_owned();
        admin.post(&format!("/api/v1/organizations/{org}/members/{mover}/transfer"), json!({"department_ids": [east]})).await;
        let (_, done) = admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"department_id": sales})).await;
        assert_eq!(done["changed"], 30);
        assert_eq!(done["counts"], json!({"purchased": 50, "assigned": 30, "unassigned": 20}));
        assert_eq!(listed(&admin, &org, "status=enabled").await.1["items"].as_array().unwrap().len(), 30);
        assert_eq!(listed(&admin, &org, "status=never").await.1["items"].as_array().unwrap().len(), 31, "Plant and the admin");
        assert_eq!(listed(&admin, &org, &format!("department_id={east}")).await.1["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed(&admin, &org, "q=s%20person%2000002").await.1["items"][0]["status"], "enabled");
        let (st, p) = listed(&admin, &org, "status=maybe").await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
        // Freeze a subtree.
        let (_, frozen) = admin.post(&format!("/api/v1/organizations/{org}/seats/freeze"), json!({"department_id": east})).await;
        assert_eq!((frozen["changed"].as_i64(), frozen["counts"]["assigned"].as_i64()), (Some(1), Some(29)));
        assert_eq!(listed(&admin, &org, "status=frozen").await.1["items"][0]["member_id"], mover.as_str());
        // Authorizing the subtree again moves only the frozen seat back.
        let (_, again) = admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"department_id": sales})).await;
        assert_eq!((again["changed"].as_i64(), again["counts"]["assigned"].as_i64()), (Some(1), Some(30)));
        let (_, dashboard) = admin.get(&format!("/api/v1/organizations/{org}/license")).await;
        assert_eq!(dashboard["usage"][0]["assigned"], 30, "the breakdown moved with it: {dashboard}");
        admin.post(&format!("/api/v1/organizations/{org}/seats/freeze"), json!({"department_id": east})).await;
        // Bad selections: clear errors naming the field.
        for (body, field) in [
            (json!({}), "member_ids"),
            (json!({"member_ids": ["mem_00000000000000000000000000"]}), "member_ids"),
            (json!({"department_id": "dep_00000000000000000000000000"}), "department_id"),
            (json!({"unit_id": "unt_00000000000000000000000000", "member_ids": [mover]}), "unit_id"),
        ] {
            let (st, p) = admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), body.clone()).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {p}");
        }
        // A departure returns the seat at once and says why in the journal.
        let leaver = listed(&admin, &org, "status=enabled").await.1["items"][0]["member_id"].as_str().unwrap().to_owned();
        admin.post(&format!("/api/v1/organizations/{org}/members/{leaver}/leave"), json!({})).await;
        assert_eq!(counts(&admin, &org).await["counts"]["assigned"], 28);
        let (_, journal) = admin.get("/api/v1/journal?action=seat.release").await;
        let details: Value = serde_json::from_str(journal["items"][0]["details"].as_str().unwrap()).unwrap();
        assert_eq!(details["reason"], "departure");
        // History: a seat left behind by a departure recorded before releases were automatic.
        let stale = listed(&admin, &org, "status=enabled").await.1["items"][0]["member_id"].as_str().unwrap().to_owned();
        sqlx::query("UPDATE members SET status = 'left' WHERE id = $1").bind(&stale).execute(s.svc.store().pool()).await.unwrap();
        let (st, released) = admin.post(&format!("/api/v1/organizations/{org}/seats/release-departed"), json!({})).await;
        assert_eq!(st, StatusCode::OK, "{released}");
        assert_eq!((released["changed"].as_i64(), released["counts"]["assigned"].as_i64()), (Some(1), Some(27)));
        // Operator rules for the purchase.
        let fewer = keiretsu_service::license::LicenseChange { edition: "standard".into(), seats: Some(10) };
        let err = s.svc.license().set_license(&Caller::System, &OrgId::parse(&org).unwrap(), &fewer).await.unwrap_err();
        assert!(err.to_string().contains("below the seats already assigned"), "{err}");
    }

    async fn usage_warnings_come_once_per_crossing(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.certified_org("Warned", "warned.admin").await;
        s.license(&org, "standard", Some(10)).await;
        // A license sub-admin is told too; a directory sub-admin is not.
        let (lic, lic_client) = s.member(&admin, &org, "license.keeper").await;
        admin.send(Method::PUT, &format!("/api/v1/organizations/{org}/members/{lic}/role"), Some(json!({"role": {"role": "sub_admin", "scopes": ["license"]}}))).await;
        let (dir, dir_client) = s.member(&admin, &org, "directory.keeper").await;
        admin.send(Method::PUT, &format!("/api/v1/organizations/{org}/members/{dir}/role"), Some(json!({"role": {"role": "sub_admin", "scopes": ["directory"]}}))).await;
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(quiet_member(&admin, &org, &format!("worker.{i:02}")).await);
        }
        let warnings = || async { kinds(&admin.get("/api/v1/notifications").await.1).iter().filter(|k| *k == "seats_warning").count() };
        enable(&admin, &org, &ids[0..7]).await;
        assert_eq!(warnings().await, 0);
        enable(&admin, &org, &ids[7..8]).await;
        assert_eq!(warnings().await, 1, "80% reached");
        let (_, inbox) = admin.get("/api/v1/notifications").await;
        assert_eq!(inbox["items"][0]["params"]["level"], 80);
        enable(&admin, &org, &ids[8..9]).await;
        assert_eq!(warnings().await, 1, "no repeat while above");
        enable(&admin, &org, &ids[9..10]).await;
        assert_eq!(warnings().await, 2, "100% reached");
        assert_eq!(counts(&admin, &org).await["warning_level"], 100);
        admin.post(&format!("/api/v1/organizations/{org}/seats/freeze"), json!({"member_ids": ids[0..5]})).await;
        enable(&admin, &org, &ids[10..12]).await;
        assert_eq!(warnings().await, 2, "7 of 10: below the line");
        admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), json!({"member_ids": ids[0..1]})).await;
        assert_eq!(warnings().await, 3, "crossing 80% again warns again");
        assert!(kinds(&lic_client.get("/api/v1/notifications").await.1).contains(&"seats_warning".to_owned()));
        assert!(!kinds(&dir_client.get("/api/v1/notifications").await.1).contains(&"seats_warning".to_owned()));
    }

    async fn the_pool_is_never_overdrawn_under_concurrency(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.certified_org("Racers", "racers.admin").await;
        s.license(&org, "standard", Some(5)).await;
        import(&s, &admin, &org, "Crowd", "c", 40).await;
        let (_, crowd) = admin.get(&format!("/api/v1/organizations/{org}/members?q=c%20person&limit=200")).await;
        let ids: Vec<String> = crowd["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), 40);
        // Half of the requests go to a second server on the same database.
        let twin = s.twin().await;
        let twin_admin = Client { base: twin, ..admin.clone() };
        let tasks: Vec<_> = ids.iter().enumerate().map(|(i, id)| {
            let client = if i % 2 == 0 { admin.clone() } else { twin_admin.clone() };
            let path = format!("/api/v1/organizations/{org}/seats/enable");
            let body = json!({"member_ids": [id]});
            tokio::spawn(async move { client.post(&path, body).await.0 })
        }).collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(ok, 5, "exactly the free seats were given");
        let license = counts(&admin, &org).await;
        assert_eq!(license["counts"], json!({"purchased": 5, "assigned": 5, "unassigned": 0}));
        let (_, enabled) = admin.get(&format!("/api/v1/organizations/{org}/seats?status=enabled&limit=200")).await;
        assert_eq!(enabled["items"].as_array().unwrap().len(), 5, "the count and the seats agree");
    }
}

/// A member's page says whether they hold a seat and why not, in words, for a license admin;
/// a departed member's page still opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_page_says_why_they_have_a_seat_or_not() {
    let s = TestServer::start(keiretsu_testkit::Db::Sqlite).await;
    let (org, admin) = s.org("Acme", "acme.admin").await;
    s.license(&org, "exclusive", Some(10)).await;
    let (st, _) = admin
        .send(Method::PUT, &format!("/api/v1/organizations/{org}/license/auto-authorize"), Some(json!({"on": false})))
        .await;
    assert_eq!(st, StatusCode::OK);
    // Added, never signed in: no seat row at all.
    let (_, added) = admin
        .post(&format!("/api/v1/organizations/{org}/members"), json!({"name": "Plain", "login": "plain.member"}))
        .await;
    let member = added["id"].as_str().unwrap().to_owned();
    let cookie = s.console_session("acme.admin").await.split(';').next().unwrap().to_owned();
    let page = async |cookie: &str| {
        let res = reqwest::Client::new()
            .get(format!("{}/console/members/{member}", s.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    };
    let (_, html) = page(&cookie).await;
    assert!(html.contains("auto-authorization is off and this member has never been authorized"), "{html}");
    let enable = json!({"member_ids": [member]});
    assert_eq!(admin.post(&format!("/api/v1/organizations/{org}/seats/enable"), enable).await.0, StatusCode::OK);
    let (_, html) = page(&cookie).await;
    assert!(html.contains("Holds a seat, given by an administrator."), "{html}");
    admin.post(&format!("/api/v1/organizations/{org}/members/{member}/leave"), json!({})).await;
    let (st, html) = page(&cookie).await;
    assert_eq!(st, StatusCode::OK, "{html}");
}
