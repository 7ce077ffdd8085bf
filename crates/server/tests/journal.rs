//! The journal as an auditor reads it: filtered by person and organization, exported as CSV
//! with names, and never showing another organization's entries or names; on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, TestServer, both};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

async fn member_id(admin: &Client, org: &str, login: &str) -> String {
    let (_, p) = admin.get(&format!("/api/v1/organizations/{org}/members?q={login}")).await;
    p["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn csv(s: &TestServer, c: &Client, query: &str) -> (StatusCode, String) {
    let res = c
        .http
        .get(format!("{}/api/v1/journal/export?{query}", s.base))
        .bearer_auth(c.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

both! {
    async fn a_person_is_found_as_actor_and_as_target_in_their_organization_only(db) {
        let s = TestServer::start(db).await;
        let (acme, admin) = s.org("Acme", "acme.admin").await;
        let (globex, rival) = s.org("Globex", "globex.admin").await;
        let (plain, _) = s.member(&admin, &acme, "li.na").await;
        let (outsider, _) = s.member(&rival, &globex, "wang.wei").await;
        admin.post(&format!("/api/v1/organizations/{acme}/departments"), json!({"name": "Sales"})).await;
        rival.post(&format!("/api/v1/organizations/{globex}/departments"), json!({"name": "Rival sales"})).await;
        let boss = member_id(&admin, &acme, "acme.admin").await;

        // The admin: their own joining (target) and what they did (actor).
        let (st, p) = admin.get(&format!("/api/v1/journal?person={boss}")).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let mine = actions(&p);
        assert!(mine.contains(&"department.create".to_owned()), "{mine:?}");
        assert!(p["items"].as_array().unwrap().iter().any(|e| e["target"] == boss.as_str()), "as target: {p}");
        assert!(p["items"].as_array().unwrap().iter().any(|e| e["target"] == plain.as_str()), "as actor of Li Na's joining: {p}");
        // Li Na: her joining and the token she made, not the department the admin made.
        let (_, p) = admin.get(&format!("/api/v1/journal?person={plain}")).await;
        assert_eq!(actions(&p), ["token.create", "member.join"]);
        // By account id too.
        let acc = p["items"][0]["actor"].as_str().unwrap().to_owned();
        assert_ne!(acc, p["items"][1]["actor"].as_str().unwrap(), "the admin added her");
        let (_, by_account) = admin.get(&format!("/api/v1/journal?person={acc}")).await;
        assert_eq!(by_account["items"], p["items"], "her account finds her member entries too");
        // Another organization's member is an unknown person here: nothing, no error, no hint.
        let (st, p) = admin.get(&format!("/api/v1/journal?person={outsider}")).await;
        let (st2, unknown) = admin.get("/api/v1/journal?person=mem_nosuchperson").await;
        assert_eq!((st, &p), (st2, &unknown));
        assert_eq!(p["items"], json!([]));
        // A malformed person names the field.
        let (st, p) = admin.get("/api/v1/journal?person=li.na").await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("person")));
        // So does an empty one: the document's pattern has no empty id, and a script that sends
        // `person=` meant someone.
        for bad in ["", "%20"] {
            let (st, p) = admin.get(&format!("/api/v1/journal?person={bad}")).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("person")), "{bad:?}");
        }
    }

    async fn the_organization_filter_never_reaches_another_tenant(db) {
        let s = TestServer::start(db).await;
        let (acme, admin) = s.org("Acme", "acme.admin").await;
        let (globex, rival) = s.org("Globex", "globex.admin").await;
        rival.post(&format!("/api/v1/organizations/{globex}/departments"), json!({"name": "Rival sales"})).await;
        admin.post(&format!("/api/v1/organizations/{acme}/departments"), json!({"name": "Sales"})).await;
        let (_, own) = admin.get(&format!("/api/v1/journal?organization={acme}")).await;
        let all = own["items"].as_array().unwrap();
        assert!(!all.is_empty() && all.iter().all(|e| e["organization"] == acme.as_str()), "{own}");
        // Asking for Globex from Acme: none of Globex's own entries, however asked.
        let (st, theirs) = admin.get(&format!("/api/v1/journal?organization={globex}")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(theirs["items"].as_array().unwrap().iter().all(|e| e["organization"] == acme.as_str()), "{theirs}");
        let (_, csv_text) = csv(&s, &admin, &format!("organization={globex}")).await;
        assert!(!csv_text.contains("Rival sales") && !csv_text.contains("Globex"), "{csv_text}");
        for bad in ["acme", ""] {
            let (st, p) = admin.get(&format!("/api/v1/journal?organization={bad}")).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("organization")), "{bad:?}");
        }
    }

    async fn the_csv_export_has_names_quotes_and_exactly_the_filter(db) {
        let s = TestServer::start(db).await;
        let (acme, admin) = s.org("Acme", "acme.admin").await;
        let (globex, rival) = s.org("Globex", "globex.admin").await;
        let (_, dep) = admin.post(&format!("/api/v1/organizations/{acme}/departments"), json!({"name": "Sales, \"East\""})).await;
        let dep = dep["id"].as_str().unwrap().to_owned();
        s.member(&admin, &acme, "li.na").await;
        rival.post(&format!("/api/v1/organizations/{globex}/departments"), json!({"name": "Rival sales"})).await;

        let (st, text) = csv(&s, &admin, "action=department.create").await;
        assert_eq!(st, StatusCode::OK);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "revision,time,actor,actor_name,organization,organization_name,action,target,target_name,details,details_names,hash"
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 1, "only the filtered entry: {text}");
        let row = rows[0];
        assert!(row.contains(",Acme Admin (Acme),"), "the actor by name: {row}");
        assert!(row.contains(&format!(",{acme},Acme,department.create,{dep},")), "{row}");
        // A comma and quotes in a name are quoted the CSV way, in the name column and in the details.
        assert!(row.contains(",\"Sales, \"\"East\"\"\","), "{row}");
        assert!(row.contains(r#","{""name"":""Sales, \""East\"""","#), "{row}");
        // The export and the page agree on what the filter holds.
        let (_, page) = admin.get("/api/v1/journal?action=member").await;
        let (_, text) = csv(&s, &admin, "action=member").await;
        assert_eq!(text.lines().count() - 1, page["items"].as_array().unwrap().len());
        assert!(!text.contains("Globex") && !text.contains("Rival"), "{text}");
        // An inclusive end date: the test clock's day is 2026-11-24.
        let (_, day) = csv(&s, &admin, "from=2026-11-24&to=2026-11-24&action=department").await;
        assert_eq!(day.lines().count(), 2);
        let (_, before) = csv(&s, &admin, "to=2026-11-23").await;
        assert_eq!(before.lines().count(), 1, "the header alone");
    }

    async fn a_partner_is_named_through_the_network_but_its_people_are_not(db) {
        let s = TestServer::start(db).await;
        let (_, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (_, n) = admin.post("/api/v1/networks", json!({"name": "Supply network"})).await;
        let net = n["id"].as_str().unwrap().to_owned();
        let (_, inv) = admin
            .post(&format!("/api/v1/networks/{net}/invitations"), json!({"partner_name": "Kato", "partner_type": "supplier", "tier": "a"}))
            .await;
        let (kato, partner) = s.certified_org("Kato Steel", "kato.admin").await;
        let (st, unit) = partner.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let (_, stranger) = s.certified_org("Mori Foods", "mori.admin").await;
        stranger.post("/api/v1/networks", json!({"name": "Mori's own"})).await;

        let (_, text) = csv(&s, &admin, "action=invitation").await;
        let accept = text.lines().find(|l| l.contains("invitation.accept")).unwrap_or_else(|| panic!("{text}"));
        // The partner organization is named: the backbone sees who is in its network.
        assert!(accept.contains(&format!("{kato}=Kato Steel")), "{accept}");
        assert!(accept.contains(&format!("{net}=Supply network")), "{accept}");
        // The invitation by the partner name it was sent to.
        assert!(accept.contains(",invitation.accept,inv_") && accept.contains(",Kato,"), "{accept}");
        // The partner's admin is not a member here: an account id, never a name.
        assert!(!text.contains("Kato Steel Admin"), "{text}");
        assert!(!text.contains("Mori"), "{text}");
    }

    async fn the_operator_reads_the_platform_entries_with_names_and_no_tenant_entries(db) {
        let s = TestServer::start(db).await;
        s.svc.identity().ensure_operator(Some(keiretsu_testkit::PASSWORD)).await.unwrap();
        let (st, t) = s.client().post("/api/v1/tokens", json!({"login": "operator", "password": keiretsu_testkit::PASSWORD, "name": "ops"})).await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let operator = s.client_with(t["secret"].as_str().unwrap());
        let (acme, admin) = s.certified_org("Acme", "acme.admin").await;
        admin.post(&format!("/api/v1/organizations/{acme}/departments"), json!({"name": "Sales"})).await;
        let (st, text) = csv(&s, &operator, "").await;
        assert_eq!(st, StatusCode::OK, "{text}");
        assert!(!text.contains("department.create") && !text.contains("Sales"), "no tenant entries: {text}");
        let (_, page) = operator.get("/api/v1/journal").await;
        assert!(page["items"].as_array().unwrap().iter().all(|e| e["organization"].is_null()), "{page}");
        assert_eq!(text.lines().count() - 1, page["items"].as_array().unwrap().len());
        // The platform's own objects by name: organizations and accounts.
        assert!(text.contains(&format!(",org.certify,{acme},Acme,")), "{text}");
        assert!(text.contains(",Platform operator,,,token.create,"), "{text}");
    }
}
