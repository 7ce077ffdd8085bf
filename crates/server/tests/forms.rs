//! Form apps through the API on SQLite and PostgreSQL: partners submit what was published to
//! them, each side reads only its scope, values are checked field by field, schemas are
//! versioned, and files are checked like every other read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A backbone with a network, a supplier (two staff) and a distributor (one), all seated, and
/// an order form published to suppliers whose admins read every submission.
struct World {
    s: TestServer,
    admin: Client,
    app: String,
    supplier_unit: String,
    suppliers: Vec<(String, Client)>,
    distributor: Client,
}

async fn world(s: TestServer) -> World {
    let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
    let (_, me) = admin.get("/api/v1/me").await;
    let admin_member = me["member_id"].as_str().unwrap().to_owned();
    admin.post(&format!("/api/v1/organizations/{backbone}/seats/enable"), json!({"member_ids": [admin_member]})).await;
    let (_, net) = admin.post("/api/v1/networks", json!({"name": "Partners"})).await;
    let net = net["id"].as_str().unwrap().to_owned();
    let mut people = Vec::new();
    let mut supplier_unit = String::new();
    for (name, login, ty, staff) in [("Kato Metals", "kato", "supplier", 2), ("Sato Retail", "sato", "distributor", 1)]
    {
        let (_, inv) = admin
            .post(
                &format!("/api/v1/networks/{net}/invitations"),
                json!({"partner_name": name, "partner_type": ty, "tier": "a"}),
            )
            .await;
        let (org, partner_admin) = s.certified_org(name, &format!("{login}.admin")).await;
        let (_, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        let unit = unit["id"].as_str().unwrap().to_owned();
        if ty == "supplier" {
            supplier_unit = unit.clone();
        }
        for i in 0..staff {
            let (member, client) = s.member(&partner_admin, &org, &format!("{login}.staff{i}")).await;
            let (st, _) = admin
                .post(
                    &format!("/api/v1/organizations/{backbone}/seats/enable"),
                    json!({"unit_id": unit, "member_ids": [member]}),
                )
                .await;
            assert_eq!(st, StatusCode::OK);
            people.push((member, client, ty));
        }
    }
    let fields = json!([
        {"key": "product", "label": "Product", "kind": "text", "required": true, "rules": {"max_length": 40}},
        {"key": "category", "label": "Category", "kind": "single_choice", "options": ["steel", "copper"], "required": true},
        {"key": "quantity", "label": "Quantity", "kind": "number", "rules": {"min": 1, "max": 10000}},
        {"key": "amount", "label": "Amount", "kind": "money"},
        {"key": "needed_by", "label": "Needed by", "kind": "date"},
        {"key": "files", "label": "Files", "kind": "attachment"}
    ]);
    let (st, app) = admin.post("/api/v1/apps", json!({"name": "Orders", "fields": fields})).await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    let app = app["id"].as_str().unwrap().to_owned();
    let (st, _) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/apps/{app}/publications/{net}"),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/apps/{app}/permission-groups/reviewers"),
            Some(json!({"rights": ["view_all", "edit"], "principals": [{"kind": "admins"}]})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let distributor = people.iter().find(|p| p.2 == "distributor").unwrap().1.clone();
    let suppliers = people.into_iter().filter(|p| p.2 == "supplier").map(|p| (p.0, p.1)).collect();
    World { s, admin, app, supplier_unit, suppliers, distributor }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

both! {
    async fn a_member_it_is_published_to_without_a_seat_is_told_so(db) {
        let w = world(TestServer::start(db).await).await;
        let (app, admin) = (&w.app, &w.admin);
        let (member, client) = &w.suppliers[0];
        let (_, me) = admin.get("/api/v1/me").await;
        let backbone = me["organization_id"].as_str().unwrap();
        let (st, _) = admin
            .post(&format!("/api/v1/organizations/{backbone}/seats/freeze"), json!({"unit_id": w.supplier_unit, "member_ids": [member]}))
            .await;
        assert_eq!(st, StatusCode::OK);
        // Published to them, only the seat missing: they hear that, and who gives seats.
        let (st, body) = client.get(&format!("/api/v1/apps/{app}/schema")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("no seat"), "{body}");
        // Someone it is not published to still hears that there is no such app.
        let (st, body) = w.distributor.get(&format!("/api/v1/apps/{app}/schema")).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
        let (_, unknown) = w.distributor.get("/api/v1/apps/app_unknown/schema").await;
        assert_eq!(body, unknown);
    }

    async fn suppliers_submit_and_the_backbone_sees_their_unit(db) {
        let w = world(TestServer::start(db).await).await;
        let (app, admin) = (&w.app, &w.admin);
        let (first, first_client) = &w.suppliers[0];
        let second_client = &w.suppliers[1].1;
        let submissions = format!("/api/v1/apps/{app}/submissions");

        let (st, one) = first_client.post(&submissions, json!({"values": {"product": "Rebar", "category": "steel", "quantity": 120, "amount": "1500.5", "needed_by": "2026-12-31"}})).await;
        assert_eq!(st, StatusCode::CREATED, "{one}");
        w.s.clock.advance(60_000);
        assert_eq!(one["values"]["amount"], "1500.50", "money is kept exact, two decimals");
        assert_eq!((one["unit_id"].as_str(), one["partner_type"].as_str()), (Some(w.supplier_unit.as_str()), Some("supplier")));
        let (st, two) = second_client.post(&submissions, json!({"values": {"product": "Wire", "category": "copper", "quantity": 5, "amount": 20}})).await;
        assert_eq!(st, StatusCode::CREATED, "{two}");

        // Bad values name the field and the rule, and change nothing.
        let before = w.s.svc.journal().latest_revision().await.unwrap();
        for (values, field) in [
            (json!({"category": "steel"}), "values.product"),
            (json!({"product": "X", "category": "gold"}), "values.category"),
            (json!({"product": "X", "category": "steel", "quantity": 0}), "values.quantity"),
            (json!({"product": "X", "category": "steel", "amount": "1.234"}), "values.amount"),
            (json!({"product": "X", "category": "steel", "needed_by": "2026-02-30"}), "values.needed_by"),
            (json!({"product": "X", "category": "steel", "colour": "red"}), "values.colour"),
        ] {
            let (st, p) = first_client.post(&submissions, json!({"values": values})).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{p}");
        }
        assert_eq!(w.s.svc.journal().latest_revision().await.unwrap(), before);

        // The distributor is not reached: the app does not exist for them.
        let (st, _) = w.distributor.post(&submissions, json!({"values": {"product": "X", "category": "steel"}})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = w.distributor.get(&format!("/api/v1/submissions/{}", one["id"].as_str().unwrap())).await;
        assert_eq!(st, StatusCode::NOT_FOUND);

        // Each supplier member reads their own; the backbone's admins read all, with the unit.
        let (_, mine) = first_client.get(&submissions).await;
        assert_eq!(ids(&mine), vec![one["id"].as_str().unwrap()]);
        let (st, _) = second_client.get(&format!("/api/v1/submissions/{}", one["id"].as_str().unwrap())).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "a colleague's submission is outside view_own");
        let (_, all) = admin.get(&submissions).await;
        assert_eq!(ids(&all), vec![two["id"].as_str().unwrap(), one["id"].as_str().unwrap()], "newest first");
        assert!(all["items"].as_array().unwrap().iter().all(|s| s["organization_name"] == "Kato Metals" && s["partner_type"] == "supplier"));
        // Widening the partner's view to their organization shows them their colleague's too.
        admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/everyone"),
            Some(json!({"rights": ["submit", "view_org"], "principals": [{"kind": "everyone"}]}))).await;
        assert_eq!(ids(&second_client.get(&submissions).await.1).len(), 2);

        // Filters on any field, by submitter, paging, totals and CSV.
        let (_, big) = admin.get(&format!("{submissions}?filter=quantity:ge:100")).await;
        assert_eq!(ids(&big), vec![one["id"].as_str().unwrap()]);
        let (_, by) = admin.get(&format!("{submissions}?member_id={first}")).await;
        assert_eq!(ids(&by).len(), 1);
        let (st, p) = admin.get(&format!("{submissions}?filter=colour:eq:red")).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("filter.colour")), "{p}");
        let long = "product:contains:x;".repeat(120);
        for (query, field) in [
            (format!("filter={long}"), "filter"),
            ("filter=quantity:gt:many".to_owned(), "filter.quantity"),
            ("cursor=zz".to_owned(), "cursor"),
            ("organization_id=mem_00000000000000000000000000".to_owned(), "organization_id"),
            ("from=yesterday".to_owned(), "from"),
        ] {
            let (st, p) = admin.get(&format!("{submissions}?{query}")).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{query}: {p}");
        }
        let (_, page1) = admin.get(&format!("{submissions}?limit=1")).await;
        let (_, page2) = admin.get(&format!("{submissions}?limit=1&cursor={}", page1["next_cursor"].as_str().unwrap())).await;
        assert_eq!(ids(&page2), vec![one["id"].as_str().unwrap()]);
        let (_, totals) = admin.get(&format!("{submissions}/totals?by=category&of=amount")).await;
        let steel = totals.as_array().unwrap().iter().find(|g| g["key"] == "steel").expect("a steel group");
        assert_eq!((steel["count"].as_i64(), steel["sum"].as_str()), (Some(1), Some("1500.50")), "{totals}");
        let (st, csv) = admin.get(&format!("{submissions}/export")).await;
        assert_eq!(st, StatusCode::OK);
        let csv = csv.as_str().unwrap();
        assert!(csv.lines().next().unwrap().contains("Product"), "{csv}");
        assert!(csv.contains("Rebar") && csv.contains("Kato Metals") && csv.lines().count() == 3, "{csv}");

        // A new form version: old submissions keep theirs; an edit moves to the new one.
        let (st, v2) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/schema"), Some(json!({"fields": [
            {"key": "product", "label": "Product", "kind": "text", "required": true},
            {"key": "category", "label": "Category", "kind": "single_choice", "options": ["steel", "copper", "tin"], "required": true}
        ]}))).await;
        assert_eq!((st, v2["version"].as_i64()), (StatusCode::OK, Some(2)), "{v2}");
        let (_, kept) = admin.get(&format!("/api/v1/submissions/{}", one["id"].as_str().unwrap())).await;
        assert_eq!((kept["version"].as_i64(), kept["values"]["quantity"].as_i64()), (Some(1), Some(120)));
        let (st, edited) = w.s.client_with(first_client.token.as_ref().unwrap())
            .send(Method::PUT, &format!("/api/v1/submissions/{}", one["id"].as_str().unwrap()), Some(json!({"values": {"product": "Rebar", "category": "tin"}}))).await;
        assert_eq!((st, edited["version"].as_i64()), (StatusCode::OK, Some(2)), "{edited}");
        let (st, _) = second_client.send(Method::PUT, &format!("/api/v1/submissions/{}", one["id"].as_str().unwrap()), Some(json!({"values": {"product": "Mine", "category": "tin"}}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "reading a colleague's is not editing it");
        let (st, p) = first_client.send(Method::PUT, &format!("/api/v1/apps/{app}/schema"), Some(json!({"fields": []}))).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "a partner does not manage the form: {p}");
        let (st, p) = admin.send(Method::PUT, &format!("/api/v1/apps/{app}/schema"), Some(json!({"fields": [{"key": "Bad Key", "label": "x", "kind": "text"}]}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fields[0].key")), "{p}");

    }

    async fn attachments_are_checked_like_every_read(db) {
        let w = world(TestServer::start(db).await).await;
        let (app, admin) = (&w.app, &w.admin);
        let (_, first_client) = &w.suppliers[0];
        let second_client = &w.suppliers[1].1;
        let upload = |client: &Client, content_type: &str, body: Vec<u8>| {
            let req = client.http.post(format!("{}/api/v1/apps/{app}/attachments?name=spec.pdf", client.base))
                .bearer_auth(client.token.clone().unwrap()).header("content-type", content_type.to_owned()).body(body);
            async move {
                let res = req.send().await.unwrap();
                (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (st, p) = upload(first_client, "application/x-msdownload", b"MZ".to_vec()).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("content_type")), "{p}");
        let (st, p) = upload(first_client, "application/pdf", vec![0u8; 10 * 1024 * 1024 + 10]).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file")), "{p}");
        let (st, file) = upload(first_client, "application/pdf", b"%PDF-1.7 drawings".to_vec()).await;
        assert_eq!(st, StatusCode::CREATED, "{file}");
        let file_id = file["id"].as_str().unwrap().to_owned();
        assert_eq!(file["sha256"].as_str().unwrap().len(), 64);

        // Before it is attached only the uploader has it; nobody else can attach it either.
        let download = |client: &Client| {
            let req = client.http.get(format!("{}/api/v1/attachments/{file_id}", client.base)).bearer_auth(client.token.clone().unwrap());
            async move {
                let res = req.send().await.unwrap();
                let sum = res.headers().get("x-checksum-sha256").map(|v| v.to_str().unwrap().to_owned());
                (res.status(), sum, res.bytes().await.unwrap().to_vec())
            }
        };
        assert_eq!(download(first_client).await.0, StatusCode::OK);
        assert_eq!(download(admin).await.0, StatusCode::NOT_FOUND);
        let values = json!({"product": "Rebar", "category": "steel", "files": [file_id]});
        let (st, p) = second_client.post(&format!("/api/v1/apps/{app}/submissions"), json!({"values": values})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("values (attachment ".to_owned() + &file_id + ")").as_deref()), "{p}");
        let (st, sub) = first_client.post(&format!("/api/v1/apps/{app}/submissions"), json!({"values": values})).await;
        assert_eq!(st, StatusCode::CREATED, "{sub}");

        // Attached, it follows the submission: the backbone reads it, a colleague does not.
        let (st, sum, bytes) = download(admin).await;
        assert_eq!((st, bytes.as_slice()), (StatusCode::OK, &b"%PDF-1.7 drawings"[..]));
        assert_eq!(sum.as_deref(), file["sha256"].as_str());
        assert_eq!(download(second_client).await.0, StatusCode::NOT_FOUND);
        assert_eq!(download(&w.distributor).await.0, StatusCode::NOT_FOUND);
    }
}
