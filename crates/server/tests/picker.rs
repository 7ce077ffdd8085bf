//! The console's person picker over real HTTP, on SQLite and PostgreSQL: it offers exactly the
//! people the signed-in person could look up anyway, under each network's visibility.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, TestServer, both};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// What the picker of `login`'s console offers for `q` from `from`.
async fn offered(s: &TestServer, cookie: &str, from: &str, q: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}/console/pick/people", s.base))
        .query(&[("from", from), ("q", q)])
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}

/// A certified organization that joins network `net` as a unit of type `ty`; its admin and unit.
async fn join(
    s: &TestServer,
    backbone: &Client,
    net: &str,
    name: &str,
    login: &str,
    ty: &str,
) -> (String, Client, String) {
    let (org, admin) = s.certified_org(name, login).await;
    let (st, inv) = backbone
        .post(
            &format!("/api/v1/networks/{net}/invitations"),
            json!({"partner_name": name, "partner_type": ty, "tier": "a"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{inv}");
    let (st, unit) = admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{unit}");
    (org, admin, unit["id"].as_str().unwrap().to_owned())
}

both! {
    async fn the_person_picker_offers_only_whom_the_caller_may_see(db) {
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (st, n) = admin.post("/api/v1/networks", json!({"name": "Supply network"})).await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        let net = n["id"].as_str().unwrap().to_owned();
        let (aoba, aoba_admin, _) = join(&s, &admin, &net, "Aoba Metals", "aoba.admin", "supplier").await;
        let (kiso, kiso_admin, kiso_unit) = join(&s, &admin, &net, "Kiso Freight", "kiso.admin", "distributor").await;
        s.member(&admin, &backbone, "hoshino.sato").await;
        s.member(&aoba_admin, &aoba, "aoba.sato").await;
        s.member(&kiso_admin, &kiso, "kiso.sato").await;
        let (stranger, stranger_admin) = s.org("Elsewhere", "else.admin").await;
        s.member(&stranger_admin, &stranger, "else.sato").await;

        // The backbone's admin: their own members, or everyone their networks show them.
        let backbone_cookie = cookie_of(&s.console_session("hoshino.admin").await);
        let (st, own) = offered(&s, &backbone_cookie, "org", "sato").await;
        assert_eq!(st, StatusCode::OK, "{own}");
        assert_eq!(names(&own), ["hoshino.sato"]);
        assert!(own[0]["detail"].as_str().unwrap().contains("Hoshino"), "{own}");
        let (_, reach) = offered(&s, &backbone_cookie, "reach", "sato").await;
        assert_eq!(names(&reach), ["aoba.sato", "hoshino.sato", "kiso.sato"]);
        let aoba_person = reach.as_array().unwrap().iter().find(|c| c["name"] == "aoba.sato").unwrap();
        let detail = aoba_person["detail"].as_str().unwrap();
        assert!(detail.contains("Aoba Metals") && detail.contains("Supplier"), "{detail}");
        let (_, unit) = offered(&s, &backbone_cookie, &format!("unit:{net}:{kiso_unit}"), "sato").await;
        assert_eq!(names(&unit), ["kiso.sato"]);

        // A supplier's admin sees its own unit (and the backbone's network members, none yet):
        // never the distributor's people, nor anyone outside the network.
        let aoba_cookie = cookie_of(&s.console_session("aoba.admin").await);
        let (_, reach) = offered(&s, &aoba_cookie, "reach", "sato").await;
        assert_eq!(names(&reach), ["aoba.sato"]);
        let (st, unit) = offered(&s, &aoba_cookie, &format!("unit:{net}:{kiso_unit}"), "sato").await;
        assert!(st == StatusCode::NOT_FOUND || names(&unit).is_empty(), "{st} {unit}");

        // Nothing typed, nothing offered; a source that is not one gets a clear error.
        assert_eq!(offered(&s, &aoba_cookie, "reach", "  ").await, (StatusCode::OK, json!([])));
        let (st, problem) = offered(&s, &aoba_cookie, "everyone", "sato").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["field"], "from");
    }
}
