//! Apps published to partners and the decisions of the access index, through the API, on SQLite
//! and PostgreSQL: suppliers see supplier apps, distributors do not, and every decision says why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn names(apps: &Value) -> Vec<String> {
    apps.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
}

both! {
    async fn suppliers_see_supplier_apps_and_every_decision_says_why(db) {
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (_, net) = admin.post("/api/v1/networks", json!({"name": "Partners"})).await;
        let net = net["id"].as_str().unwrap().to_owned();
        let mut units = Vec::new();
        let mut members = Vec::new();
        for (name, login, ty) in [("Kato Metals", "kato", "supplier"), ("Sato Retail", "sato", "distributor")] {
            let (_, inv) = admin.post(&format!("/api/v1/networks/{net}/invitations"), json!({"partner_name": name, "partner_type": ty, "tier": "a"})).await;
            let (org, partner_admin) = s.certified_org(name, &format!("{login}.admin")).await;
            let (_, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
            let unit = unit["id"].as_str().unwrap().to_owned();
            let (member, client) = s.member(&partner_admin, &org, &format!("{login}.staff")).await;
            // Partner seats from the backbone's pool.
            let (st, _) = admin.post(&format!("/api/v1/organizations/{backbone}/seats/enable"), json!({"unit_id": unit, "member_ids": [member]})).await;
            assert_eq!(st, StatusCode::OK);
            units.push((unit, partner_admin));
            members.push((member, client));
        }
        let ((supplier, supplier_client), (distributor, distributor_client)) = (members[0].clone(), members[1].clone());

        let (st, app) = admin.post("/api/v1/apps", json!({"name": "Supplier onboarding"})).await;
        assert_eq!(st, StatusCode::CREATED, "{app}");
        let app = app["id"].as_str().unwrap().to_owned();
        // Not yet published: nobody outside sees it.
        assert!(names(&supplier_client.get("/api/v1/workbench").await.1).is_empty());
        let (st, p) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/publications/{net}"),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
        // The app's admins read the audience back, network by network; its users may not.
        let (st, pubs) = admin.get(&format!("/api/v1/apps/{app}/publications")).await;
        assert_eq!(st, StatusCode::OK, "{pubs}");
        assert_eq!(pubs.as_array().unwrap().len(), 1, "{pubs}");
        assert_eq!(pubs[0]["network_id"], net.as_str());
        assert_eq!(pubs[0]["audience"], json!({"kind": "partner_types", "ids": ["supplier"]}));
        assert_eq!(supplier_client.get(&format!("/api/v1/apps/{app}/publications")).await.0, StatusCode::NOT_FOUND);
        let (_, inbox) = units[0].1.get("/api/v1/notifications").await;
        assert!(inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "app_published"), "the supplier's admin is told");
        let (_, inbox) = units[1].1.get("/api/v1/notifications").await;
        assert!(!inbox["items"].as_array().unwrap().iter().any(|n| n["kind"] == "app_published"), "the distributor's is not");

        // The supplier sees and may use it, with the path of grants; the distributor does not.
        assert_eq!(names(&supplier_client.get("/api/v1/workbench").await.1), vec!["Supplier onboarding"]);
        assert!(names(&distributor_client.get("/api/v1/workbench").await.1).is_empty());
        let (st, d) = supplier_client.get(&format!("/api/v1/apps/{app}/check")).await;
        assert_eq!(st, StatusCode::OK, "{d}");
        assert_eq!(d["allowed"], true);
        let why = d["reasons"].to_string();
        assert!(why.contains("(supplier)") && why.contains("seat held") && why.contains("permission group everyone"), "{why}");
        let (st, _) = distributor_client.get(&format!("/api/v1/apps/{app}/check")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "an app that does not reach them stays unknown");
        // The backbone's app admin asks about anyone and sees the missing link.
        let (_, d) = admin.get(&format!("/api/v1/apps/{app}/check?member_id={distributor}")).await;
        assert_eq!(d["allowed"], false);
        assert!(d["reasons"].as_array().unwrap().last().unwrap().as_str().unwrap().starts_with("missing: a publication"), "{d}");
        let (_, who) = admin.get(&format!("/api/v1/apps/{app}/who")).await;
        assert_eq!(who["items"], json!([supplier]));

        // Freezing the seat takes effect at once.
        admin.post(&format!("/api/v1/organizations/{backbone}/seats/freeze"), json!({"unit_id": units[0].0, "member_ids": [supplier]})).await;
        assert!(names(&supplier_client.get("/api/v1/workbench").await.1).is_empty());
        let (_, d) = admin.get(&format!("/api/v1/apps/{app}/check?member_id={supplier}")).await;
        assert!(d["reasons"].as_array().unwrap().last().unwrap().as_str().unwrap().contains("missing: a seat"), "{d}");
        admin.post(&format!("/api/v1/organizations/{backbone}/seats/enable"), json!({"unit_id": units[0].0, "member_ids": [supplier]})).await;
        assert_eq!(names(&supplier_client.get("/api/v1/workbench").await.1).len(), 1);

        // A permission group narrows who may submit.
        let (st, _) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/everyone"),
            Some(json!({"rights": ["submit"], "principals": [{"kind": "partner_type", "id": "distributor"}]}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert!(names(&supplier_client.get("/api/v1/workbench").await.1).is_empty());
        admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/everyone"),
            Some(json!({"rights": ["submit"], "principals": [{"kind": "unit", "id": units[0].0}]}))).await;
        assert_eq!(names(&supplier_client.get("/api/v1/workbench").await.1).len(), 1);
        // Publishing to distributors too reaches them; unpublishing ends it for everyone.
        admin.send(Method::PUT, &format!("/api/v1/apps/{app}/publications/{net}"), Some(json!({"audience": {"kind": "all_units"}}))).await;
        admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/everyone"),
            Some(json!({"rights": ["submit"], "principals": [{"kind": "everyone"}]}))).await;
        assert_eq!(names(&distributor_client.get("/api/v1/workbench").await.1).len(), 1);
        let (st, _) = admin.send(Method::DELETE, &format!("/api/v1/apps/{app}/publications/{net}"), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert!(names(&supplier_client.get("/api/v1/workbench").await.1).is_empty());
        assert!(names(&distributor_client.get("/api/v1/workbench").await.1).is_empty());

        // Bad input: a network of another organization, an unknown right, an empty group.
        let (_, other_admin) = s.backbone("Rival", "rival.admin").await;
        let (_, other_net) = other_admin.post("/api/v1/networks", json!({"name": "Theirs"})).await;
        let (st, p) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/publications/{}", other_net["id"].as_str().unwrap()),
            Some(json!({"audience": {"kind": "all_units"}}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("network_id")), "{p}");
        let (st, p) = admin.get(&format!("/api/v1/apps/{app}/check?right=fly")).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("right")), "{p}");
        let (st, _) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/empty"), Some(json!({"rights": [], "principals": []}))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // Another organization's admin cannot manage or list it.
        let (st, _) = other_admin.get(&format!("/api/v1/apps/{app}/who")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert!(names(&other_admin.get("/api/v1/apps").await.1).is_empty());
    }

    async fn permission_groups_are_listed_and_removed_and_removal_ends_what_they_granted(db) {
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (member, member_client) = s.member(&admin, &backbone, "hoshino.staff").await;
        let (st, _) = admin.post(&format!("/api/v1/organizations/{backbone}/seats/enable"), json!({"member_ids": [member]})).await;
        assert_eq!(st, StatusCode::OK);
        let (_, app) = admin.post("/api/v1/apps", json!({"name": "Quality audits"})).await;
        let app = app["id"].as_str().unwrap().to_owned();
        let groups = format!("/api/v1/apps/{app}/permission-groups");

        // Two groups of its own besides the two every app starts with.
        let auditors = json!({"rights": ["view_all"], "principals": [{"kind": "member", "id": member}]});
        let (st, p) = admin.send(Method::PUT, &format!("{groups}/auditors"), Some(auditors.clone())).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
        let editors = json!({"rights": ["edit", "manage"], "principals": [{"kind": "admins"}, {"kind": "partner_type", "id": "supplier"}]});
        let (st, p) = admin.send(Method::PUT, &format!("{groups}/editors"), Some(editors.clone())).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
        let (st, list) = admin.get(&groups).await;
        assert_eq!(st, StatusCode::OK, "{list}");
        let listed: Vec<&str> = list.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(listed, ["auditors", "editors", "everyone", "reviewers"], "by name");
        assert_eq!(list[0]["rights"], auditors["rights"]);
        assert_eq!(list[0]["principals"], auditors["principals"]);
        assert_eq!(list[1]["principals"], editors["principals"]);

        // The member reads every submission through "auditors" alone, until it is removed.
        let why = format!("/api/v1/apps/{app}/check?member_id={member}&right=view_all");
        let (_, d) = admin.get(&why).await;
        assert_eq!(d["allowed"], true, "{d}");
        assert!(d["reasons"].to_string().contains("permission group auditors"), "{d}");
        let res = reqwest::Client::new()
            .delete(format!("{}{groups}/auditors", s.base))
            .bearer_auth(admin.token.as_ref().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let revision: i64 = res.headers()["keiretsu-revision"].to_str().unwrap().parse().unwrap();
        let (_, d) = admin.get(&format!("{why}&at_least={revision}")).await;
        assert_eq!(d["allowed"], false, "{d}");
        let (_, d) = member_client.get(&format!("/api/v1/apps/{app}/check?right=view_all&at_least={revision}")).await;
        assert_eq!(d["allowed"], false, "the member's own question: {d}");
        let (_, list) = admin.get(&groups).await;
        let listed: Vec<&str> = list.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(listed, ["editors", "everyone", "reviewers"]);
        let (_, j) = admin.get("/api/v1/journal?action=app.permission_group.remove").await;
        let entries = j["items"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{j}");
        assert_eq!(entries[0]["target"], app.as_str());
        assert!(entries[0].to_string().contains("auditors"), "the entry names the group: {j}");

        // Saving under an existing name replaces the group.
        let (st, _) = admin.send(Method::PUT, &format!("{groups}/editors"), Some(json!({"rights": ["edit"], "principals": [{"kind": "admins"}]}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (_, list) = admin.get(&groups).await;
        assert_eq!(list[0]["rights"], json!(["edit"]));
        assert_eq!(list[0]["principals"], json!([{"kind": "admins"}]));

        // Bad input names the field: an unknown group, a malformed name, a group naming nobody or a bad id.
        let (st, p) = admin.send(Method::DELETE, &format!("{groups}/auditors"), None).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::NOT_FOUND, Some("group")), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("permission group"), "{p}");
        let (st, p) = admin.send(Method::DELETE, &format!("{groups}/Bad%20Name"), None).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("group")), "{p}");
        let (st, p) = admin.send(Method::PUT, &format!("{groups}/nobody"), Some(json!({"rights": ["submit"], "principals": []}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("principals")), "{p}");
        let (st, p) = admin.send(Method::PUT, &format!("{groups}/typo"),
            Some(json!({"rights": ["submit"], "principals": [{"kind": "everyone"}, {"kind": "member", "id": "hoshino.staff"}]}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("principals[1].id")), "{p}");

        // Another organization's admin does not learn the app exists; a plain member may not manage it.
        let (_, rival) = s.backbone("Rival", "rival.admin").await;
        let (st, p) = rival.get(&groups).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
        let (st, p) = rival.send(Method::DELETE, &format!("{groups}/editors"), None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{p}");
        let (st, p) = member_client.get(&groups).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{p}");
        let (st, p) = member_client.send(Method::DELETE, &format!("{groups}/editors"), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{p}");
        let (_, list) = admin.get(&groups).await;
        assert_eq!(list.as_array().unwrap().len(), 3, "nothing was removed by them: {list}");
    }

    async fn writes_return_their_revision_and_reads_honour_it(db) {
        let s = TestServer::start(db).await;
        let (_, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/apps", s.base))
            .bearer_auth(admin.token.as_ref().unwrap())
            .json(&json!({"name": "Fresh"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let revision: i64 = res.headers()["keiretsu-revision"].to_str().unwrap().parse().unwrap();
        assert_eq!(revision, s.svc.journal().latest_revision().await.unwrap(), "the write's own revision");
        let app = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let (st, d) = admin.get(&format!("/api/v1/apps/{app}/check?at_least={revision}")).await;
        assert_eq!(st, StatusCode::OK, "{d}");
        // A revision nobody wrote yet: a clear refusal after a bounded wait, not a stale answer.
        let (st, p) = admin.get(&format!("/api/v1/apps/{app}/check?at_least={}", revision + 1000)).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("at_least")), "{p}");
        // Reads carry no revision.
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/workbench", s.base))
            .bearer_auth(admin.token.as_ref().unwrap())
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("keiretsu-revision").is_none());
    }
}
