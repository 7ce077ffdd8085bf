//! Departments to bring in, through the API on SQLite and PostgreSQL: a partner that joins a
//! network with some of its departments shows only their people (and those of the departments
//! below them, present and future) to the backbone, in every place the backbone could see them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn department(c: &Client, org: &str, name: &str, parent: Option<&str>) -> String {
    let (st, d) =
        c.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": name, "parent_id": parent})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    id(&d)
}

async fn member(c: &Client, org: &str, login: &str, deps: &[&str]) -> String {
    let body = json!({"name": login, "login": login, "password": PASSWORD, "department_ids": deps});
    let (st, m) = c.post(&format!("/api/v1/organizations/{org}/members"), body).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    id(&m)
}

/// Every name in the address book `query` shows the caller, following the cursors.
async fn book(c: &Client, network: &str, query: &str) -> Vec<String> {
    let (mut out, mut cursor) = (vec![], None::<String>);
    loop {
        let more = cursor.as_ref().map(|k| format!("&cursor={k}")).unwrap_or_default();
        let (st, page) = c.get(&format!("/api/v1/networks/{network}/people?limit=2&{query}{more}")).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        out.extend(page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(k) => cursor = Some(k.to_owned()),
            None => return out,
        }
    }
}

/// A backbone with a network, and a certified partner whose tree is
/// root > Sales > North, root > Production, with one person in each of those three.
struct World {
    s: TestServer,
    backbone: String,
    admin: Client,
    net: String,
    partner: String,
    partner_admin: Client,
    sales: String,
    north: String,
    production: String,
    seller: String,
    northerner: String,
    maker: String,
}

impl World {
    async fn new(db: keiretsu_testkit::Db) -> World {
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (st, n) = admin.post("/api/v1/networks", json!({"name": "Supply"})).await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        let (partner, partner_admin) = s.certified_org("Kato Metals", "kato.admin").await;
        let sales = department(&partner_admin, &partner, "Sales", None).await;
        let north = department(&partner_admin, &partner, "North", Some(&sales)).await;
        let production = department(&partner_admin, &partner, "Production", None).await;
        let seller = member(&partner_admin, &partner, "kato.seller", &[&sales]).await;
        let northerner = member(&partner_admin, &partner, "kato.north", &[&north]).await;
        let maker = member(&partner_admin, &partner, "kato.maker", &[&production]).await;
        World {
            s,
            backbone,
            admin,
            net: id(&n),
            partner,
            partner_admin,
            sales,
            north,
            production,
            seller,
            northerner,
            maker,
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/v1/networks/{}{rest}", self.net)
    }

    async fn invite(&self, departments: Value) -> Value {
        let body = json!({"partner_name": "Kato", "organization_id": self.partner, "partner_type": "supplier",
            "tier": "a", "departments": departments});
        let (st, inv) = self.admin.post(&self.path("/invitations"), body).await;
        assert_eq!(st, StatusCode::CREATED, "{inv}");
        inv
    }

    async fn revision(&self) -> i64 {
        self.s.svc.journal().latest_revision().await.unwrap()
    }

    async fn client(&self, login: &str) -> Client {
        self.s.client_with(&self.s.token(login, Some(&self.partner)).await)
    }
}

both! {
    async fn a_unit_shows_only_the_departments_it_brings(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!(["sales"])).await;
        assert_eq!(inv["departments"], json!(["sales"]));
        let (st, preview) = w.partner_admin.post("/api/v1/invitations/preview", json!({"code": inv["code"]})).await;
        assert_eq!((st, &preview["departments"]), (StatusCode::OK, &json!(["sales"])), "{preview}");

        // Accepted as proposed: the name is matched to the partner's own Sales department.
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["brings"], "departments");
        assert_eq!(unit["departments"], json!([{"id": w.sales, "name": "Sales"}]));
        assert_eq!(unit["member_count"], 2, "the seller and the northerner, not the maker nor the admin: {unit}");
        let u = id(&unit);

        // The backbone's address book, unit by unit and across the network, and the person page.
        assert_eq!(book(&w.admin, &w.net, &format!("unit_id={u}")).await, ["kato.north", "kato.seller"]);
        assert_eq!(book(&w.admin, &w.net, "q=kato").await, ["kato.north", "kato.seller"]);
        assert_eq!(book(&w.admin, &w.net, "q=maker").await, Vec::<String>::new());
        let (st, _) = w.admin.get(&w.path(&format!("/people/{}", w.maker))).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, p) = w.admin.get(&w.path(&format!("/people/{}", w.northerner))).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (_, units) = w.admin.get(&w.path("/units")).await;
        assert_eq!(units[0]["member_count"], 2, "{units}");
        // The unit's tree as the network sees it: Sales as a root, North below it.
        let (_, tree) = w.admin.get(&w.path(&format!("/units/{u}/departments"))).await;
        let tree: Vec<(String, Value)> = tree.as_array().unwrap().iter()
            .map(|d| (d["name"].as_str().unwrap().to_owned(), d["parent_id"].clone())).collect();
        assert_eq!(tree, [("North".to_owned(), json!(w.sales)), ("Sales".to_owned(), Value::Null)]);

        // A partner member left out does not see the network; one brought in does.
        let (st, _) = w.client("kato.maker").await.get(&w.path("")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = w.client("kato.seller").await.get(&w.path("")).await;
        assert_eq!(st, StatusCode::OK);

        // A department made later below Sales comes in with its people.
        let south = department(&w.partner_admin, &w.partner, "South", Some(&w.sales)).await;
        member(&w.partner_admin, &w.partner, "kato.south", &[&south]).await;
        assert_eq!(book(&w.admin, &w.net, "q=kato").await, ["kato.north", "kato.seller", "kato.south"]);
        // Production moved under Sales comes in too; moved out again, it leaves.
        let dep = format!("/api/v1/organizations/{}/departments/{}", w.partner, w.production);
        let (st, body) = w.partner_admin.send(Method::PATCH, &dep, Some(json!({"parent_id": w.north}))).await;
        assert!(st.is_success(), "{body}");
        assert!(book(&w.admin, &w.net, "q=kato").await.contains(&"kato.maker".to_owned()));
        let (_, deps) = w.partner_admin.get(&format!("/api/v1/organizations/{}/departments", w.partner)).await;
        let root = deps.as_array().unwrap().iter().find(|d| d["parent_id"].is_null()).map(id).unwrap();
        let (st, body) = w.partner_admin.send(Method::PATCH, &dep, Some(json!({"parent_id": root}))).await;
        assert!(st.is_success(), "{body}");
        assert!(!book(&w.admin, &w.net, "q=kato").await.contains(&"kato.maker".to_owned()));
        // A department with people cannot be deleted from under the unit.
        let (st, _) = w.partner_admin.send(Method::DELETE,
            &format!("/api/v1/organizations/{}/departments/{south}", w.partner), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "South still has a member");
    }

    async fn the_partner_admin_picks_and_changes_what_comes_in(db) {
        let w = World::new(db).await;
        // A name the partner's tree does not have: refused, naming the entry, and nothing changes.
        let inv = w.invite(json!(["Sales", "Legal"])).await;
        let before = w.revision().await;
        let (st, p) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("departments[1]")), "{p}");
        assert_eq!(w.revision().await, before);
        // Another organization's department is not the partner's to pick.
        let (_, other) = w.admin.get(&format!("/api/v1/organizations/{}/departments", w.backbone)).await;
        let foreign = id(&other[0]);
        let (st, p) = w.partner_admin.post("/api/v1/invitations/accept",
            json!({"code": inv["code"], "department_ids": [w.north, foreign]})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("department_ids[1]")), "{p}");
        assert_eq!(w.revision().await, before);
        // Picking North by id wins over the names.
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept",
            json!({"code": inv["code"], "department_ids": [w.north]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["departments"], json!([{"id": w.north, "name": "North"}]));
        // The accepting admin is not among the people brought in, so is not the partner contact.
        let partner_contacts = |u: &Value| u["contacts"].as_array().unwrap().iter().filter(|c| c["side"] == "partner").count();
        assert_eq!(partner_contacts(&unit), 0, "{unit}");
        let u = id(&unit);

        // Contacts come from the people brought in.
        let contacts = w.path(&format!("/units/{u}/contacts"));
        let (st, p) = w.partner_admin.post(&contacts, json!({"side": "partner", "member_id": w.seller, "role": "business"})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("member_id")), "{p}");
        let (st, k) = w.partner_admin.post(&contacts,
            json!({"side": "partner", "member_id": w.northerner, "role": "business", "backup_id": w.maker})).await;
        assert_eq!((st, k["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("backup_id")), "{k}");
        let (st, k) = w.partner_admin.post(&contacts, json!({"side": "partner", "member_id": w.northerner, "role": "business"})).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");

        // The backbone cannot widen what a linked partner shares.
        let deps = w.path(&format!("/units/{u}/departments"));
        let before = w.revision().await;
        let (st, _) = w.admin.send(Method::PUT, &deps, Some(json!({"department_ids": []}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Leaving out the unit's contact is refused until another contact is named.
        let (st, p) = w.partner_admin.send(Method::PUT, &deps, Some(json!({"department_ids": [w.production]}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("department_ids")), "{p}");
        assert_eq!(w.revision().await, before);

        // Sales (North is below it) and Production: everyone but the admin, at the root.
        let (st, unit) = w.partner_admin.send(Method::PUT, &deps,
            Some(json!({"department_ids": [w.production, w.north, w.sales]}))).await;
        assert_eq!(st, StatusCode::OK, "{unit}");
        let chosen: Vec<&str> = unit["departments"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(chosen, ["Production", "Sales"], "North is below Sales and adds nobody");
        assert_eq!(book(&w.admin, &w.net, &format!("unit_id={u}")).await, ["kato.maker", "kato.north", "kato.seller"]);
        let (_, j) = w.admin.get(&format!("/api/v1/journal?action=unit.departments&target={u}")).await;
        let items = j["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{j}");
        let details: Value = serde_json::from_str(items[0]["details"].as_str().unwrap()).unwrap();
        let mut journaled: Vec<&str> = details["departments"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        journaled.sort();
        let mut expected = [w.sales.as_str(), w.production.as_str()];
        expected.sort();
        assert_eq!(journaled, expected, "{j}");
        // The partner's own journal shows its admin's choice too.
        let (_, j) = w.partner_admin.get(&format!("/api/v1/journal?action=unit.departments&target={u}")).await;
        assert_eq!(j["items"].as_array().unwrap().len(), 1, "{j}");
        // An empty list brings the whole organization, the admin too.
        let (st, unit) = w.partner_admin.send(Method::PUT, &deps, Some(json!({"department_ids": []}))).await;
        assert_eq!((st, &unit["brings"]), (StatusCode::OK, &json!("organization")), "{unit}");
        assert_eq!(unit["member_count"], 4, "{unit}");
    }

    async fn seats_follow_the_departments_brought_in(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!([])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!((st, &unit["brings"]), (StatusCode::CREATED, &json!("organization")), "{unit}");
        let u = id(&unit);
        let seats = format!("/api/v1/organizations/{}/seats", w.backbone);
        let (st, p) = w.admin.post(&format!("{seats}/enable"), json!({"unit_id": u, "member_ids": [w.seller, w.maker]})).await;
        assert_eq!(st, StatusCode::OK, "{p}");

        // The partner narrows to Sales: the maker's seat goes back to the pool. The accepting
        // admin (at the root) hands the contact post to the northerner first.
        let contacts = w.path(&format!("/units/{u}/contacts"));
        let (st, k) = w.partner_admin.post(&contacts, json!({"side": "partner", "member_id": w.northerner, "role": "business"})).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        let admin_contact = unit["contacts"].as_array().unwrap().iter().find(|c| c["side"] == "partner").map(id).unwrap();
        let (st, _) = w.partner_admin.send(Method::DELETE, &format!("{contacts}/{admin_contact}"), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, p) = w.partner_admin.send(Method::PUT, &w.path(&format!("/units/{u}/departments")),
            Some(json!({"department_ids": [w.sales]}))).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (_, list) = w.admin.get(&format!("{seats}?unit_id={u}&limit=50")).await;
        let listed: Vec<(&str, &str)> = list["items"].as_array().unwrap().iter()
            .map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap())).collect();
        assert_eq!(listed, [("kato.north", "never"), ("kato.seller", "enabled")], "{list}");
        let (_, license) = w.admin.get(&format!("/api/v1/organizations/{}/license", w.backbone)).await;
        assert_eq!(license["counts"]["assigned"], 1, "the maker's seat went back to the pool: {license}");
        // Nobody outside what the unit brings can be seated, one by one or by department.
        let before = w.revision().await;
        let (st, p) = w.admin.post(&format!("{seats}/enable"), json!({"unit_id": u, "member_ids": [w.maker]})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("member_ids")), "{p}");
        let (st, p) = w.admin.post(&format!("{seats}/enable"), json!({"unit_id": u, "department_id": w.production})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("department_id")), "{p}");
        let (st, p) = w.admin.post(&format!("/api/v1/organizations/{}/seats/entry-rules", w.backbone),
            json!({"unit_id": u, "department_id": w.production})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("department_id")), "{p}");
        assert_eq!(w.revision().await, before);
    }

    async fn the_access_index_follows_what_a_unit_brings(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!(["Sales"])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let u = id(&unit);
        let fields = json!([{"key": "note", "label": "Note", "kind": "text"}]);
        let (st, app) = w.admin.post("/api/v1/apps", json!({"name": "Supplier onboarding", "fields": fields})).await;
        assert_eq!(st, StatusCode::CREATED, "{app}");
        let app = id(&app);
        let (st, p) = w.admin.send(Method::PUT, &format!("/api/v1/apps/{app}/publications/{}", w.net),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}}))).await;
        assert!(st.is_success(), "{p}");
        let (st, p) = w.admin.send(Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/suppliers"),
            Some(json!({"rights": ["submit"], "principals": [{"kind": "partner_type", "id": "supplier"}]}))).await;
        assert!(st.is_success(), "{p}");
        let seats = format!("/api/v1/organizations/{}/seats/enable", w.backbone);
        let (st, p) = w.admin.post(&seats, json!({"unit_id": u, "member_ids": [w.seller]})).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let check = async |member: &str| {
            let at = w.revision().await;
            let (st, d) = w.admin.get(&format!("/api/v1/apps/{app}/check?member_id={member}&right=submit&at_least={at}")).await;
            assert_eq!(st, StatusCode::OK, "{d}");
            d
        };
        assert_eq!(check(&w.seller).await["allowed"], true);

        // Production moved below Sales: the maker is brought in, gets a seat, and may submit.
        let dep = format!("/api/v1/organizations/{}/departments/{}", w.partner, w.production);
        let (st, body) = w.partner_admin.send(Method::PATCH, &dep, Some(json!({"parent_id": w.sales}))).await;
        assert!(st.is_success(), "{body}");
        let (st, p) = w.admin.post(&seats, json!({"unit_id": u, "member_ids": [w.maker]})).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        assert_eq!(check(&w.maker).await["allowed"], true);
        // Moved out again, the unit no longer brings them (and their seat goes back).
        let (_, deps) = w.partner_admin.get(&format!("/api/v1/organizations/{}/departments", w.partner)).await;
        let root = deps.as_array().unwrap().iter().find(|d| d["parent_id"].is_null()).map(id).unwrap();
        let (st, body) = w.partner_admin.send(Method::PATCH, &dep, Some(json!({"parent_id": root}))).await;
        assert!(st.is_success(), "{body}");
        // Out of the backbone's sight now: asked about, they are exactly an unknown id.
        let at = w.revision().await;
        let ask = async |member: &str| w.admin.get(&format!("/api/v1/apps/{app}/check?member_id={member}&at_least={at}")).await;
        let (st, d) = ask(&w.maker).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{d}");
        assert_eq!((st, d), ask("mem_00000000000000000000000000").await);
        assert_eq!(check(&w.seller).await["allowed"], true);
    }

    async fn a_partner_contact_passes_only_to_someone_brought_in(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!(["Sales"])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let u = id(&unit);
        // North's head works in Production, which the unit leaves out.
        let heads = format!("/api/v1/organizations/{}/departments/{}/heads", w.partner, w.north);
        let (st, p) = w.partner_admin.send(Method::PUT, &heads, Some(json!({"member_ids": [w.maker]}))).await;
        assert!(st.is_success(), "{p}");
        // The unit's tree does not name a head it leaves out.
        let (_, tree) = w.admin.get(&w.path(&format!("/units/{u}/departments"))).await;
        let north = tree.as_array().unwrap().iter().find(|d| d["name"] == "North").unwrap();
        assert_eq!(north["head_ids"], json!([]), "{tree}");
        let contacts = w.path(&format!("/units/{u}/contacts"));
        let (st, k) = w.partner_admin.post(&contacts, json!({"side": "partner", "member_id": w.northerner, "role": "business"})).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        let (st, p) = w.partner_admin.post(&format!("/api/v1/organizations/{}/members/{}/leave", w.partner, w.northerner), json!({})).await;
        assert!(st.is_success(), "{p}");
        let (_, unit) = w.admin.get(&w.path(&format!("/units/{u}"))).await;
        let holders: Vec<&str> = unit["contacts"].as_array().unwrap().iter()
            .filter(|c| c["side"] == "partner").map(|c| c["member_id"].as_str().unwrap()).collect();
        assert!(!holders.contains(&w.maker.as_str()), "the post went to someone left out: {unit}");
        // Once Production is brought in, the head may take a post over.
        let deps = w.path(&format!("/units/{u}/departments"));
        let (st, p) = w.partner_admin.send(Method::PUT, &deps, Some(json!({"department_ids": [w.sales, w.production]}))).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (st, k) = w.partner_admin.post(&contacts, json!({"side": "partner", "member_id": w.seller, "role": "finance"})).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        let sales_heads = format!("/api/v1/organizations/{}/departments/{}/heads", w.partner, w.sales);
        let (st, p) = w.partner_admin.send(Method::PUT, &sales_heads, Some(json!({"member_ids": [w.maker]}))).await;
        assert!(st.is_success(), "{p}");
        let (st, p) = w.partner_admin.post(&format!("/api/v1/organizations/{}/members/{}/leave", w.partner, w.seller), json!({})).await;
        assert!(st.is_success(), "{p}");
        let (_, unit) = w.admin.get(&w.path(&format!("/units/{u}"))).await;
        let holders: Vec<&str> = unit["contacts"].as_array().unwrap().iter()
            .filter(|c| c["side"] == "partner").map(|c| c["member_id"].as_str().unwrap()).collect();
        assert!(holders.contains(&w.maker.as_str()), "{unit}");
        // North's head is the maker, now brought in: the unit's tree names them as head.
        let (_, tree) = w.admin.get(&w.path(&format!("/units/{u}/departments"))).await;
        let north = tree.as_array().unwrap().iter().find(|d| d["name"] == "North").unwrap();
        assert_eq!(north["head_ids"], json!([w.maker]), "{tree}");
    }

    async fn changes_to_the_tree_settle_what_a_unit_brings(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!(["Sales", "Production"])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let u = id(&unit);
        // A chosen department moved below another chosen one: both still count, nobody twice.
        let production = format!("/api/v1/organizations/{}/departments/{}", w.partner, w.production);
        let (st, body) = w.partner_admin.send(Method::PATCH, &production, Some(json!({"parent_id": w.north}))).await;
        assert!(st.is_success(), "{body}");
        assert_eq!(book(&w.admin, &w.net, &format!("unit_id={u}")).await, ["kato.maker", "kato.north", "kato.seller"]);
        // The person page lists only the departments the unit brings.
        let other = department(&w.partner_admin, &w.partner, "Board", None).await;
        let transfer = |m: &str| format!("/api/v1/organizations/{}/members/{m}/transfer", w.partner);
        let (st, body) = w.partner_admin.post(&transfer(&w.seller), json!({"department_ids": [w.sales, other]})).await;
        assert!(st.is_success(), "{body}");
        let (_, person) = w.admin.get(&w.path(&format!("/people/{}", w.seller))).await;
        assert_eq!(person["departments"], json!(["Sales"]), "{person}");

        // A contact moved out of what the unit brings, by either path, is refused: nothing changes.
        let contacts = w.path(&format!("/units/{u}/contacts"));
        let (st, k) = w.partner_admin.post(&contacts,
            json!({"side": "partner", "member_id": w.seller, "role": "business", "backup_id": w.northerner})).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        let before = w.revision().await;
        let (st, p) = w.partner_admin.post(&transfer(&w.seller), json!({"department_ids": [other]})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("department_ids")), "{p}");
        let (_, deps) = w.partner_admin.get(&format!("/api/v1/organizations/{}/departments", w.partner)).await;
        let root = deps.as_array().unwrap().iter().find(|d| d["parent_id"].is_null()).map(id).unwrap();
        let north = format!("/api/v1/organizations/{}/departments/{}", w.partner, w.north);
        let (st, p) = w.partner_admin.send(Method::PATCH, &north, Some(json!({"parent_id": other}))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("parent_id")), "the backup would be left out: {p}");
        assert_eq!(w.revision().await, before);
        // Someone else moved out gives back their partner seat.
        let seats = format!("/api/v1/organizations/{}/seats/enable", w.backbone);
        let (st, p) = w.admin.post(&seats, json!({"unit_id": u, "member_ids": [w.maker]})).await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (st, body) = w.partner_admin.post(&transfer(&w.maker), json!({"department_ids": [root]})).await;
        assert!(st.is_success(), "{body}");
        let (_, license) = w.admin.get(&format!("/api/v1/organizations/{}/license", w.backbone)).await;
        assert_eq!(license["counts"]["assigned"], 0, "{license}");
        assert!(!book(&w.admin, &w.net, &format!("unit_id={u}")).await.contains(&"kato.maker".to_owned()));
    }

    async fn only_the_units_own_admins_choose(db) {
        let w = World::new(db).await;
        let inv = w.invite(json!(["Sales"])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let deps = w.path(&format!("/units/{}/departments", id(&unit)));
        // Another unit's admin, and a plain member the unit brings in.
        let (other_org, other_admin) = w.s.certified_org("Sato Retail", "sato.admin").await;
        let body = json!({"partner_name": "Sato", "organization_id": other_org, "partner_type": "distributor", "tier": "a"});
        let (_, inv) = w.admin.post(&w.path("/invitations"), body).await;
        let (st, _) = other_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED);
        let seller = w.client("kato.seller").await;
        let before = w.revision().await;
        let (st, _) = other_admin.send(Method::PUT, &deps, Some(json!({"department_ids": []}))).await;
        assert!(st == StatusCode::NOT_FOUND || st == StatusCode::FORBIDDEN, "{st}");
        let (st, _) = seller.send(Method::PUT, &deps, Some(json!({"department_ids": []}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(w.revision().await, before);
        let (_, unit) = w.admin.get(&deps.replace("/departments", "")).await;
        assert_eq!(unit["brings"], "departments", "{unit}");
    }

    async fn bad_choices_are_refused_and_change_nothing(db) {
        let w = World::new(db).await;
        // An invitation naming too many departments, or a name too long, is not created.
        let before = w.revision().await;
        let too_many: Vec<String> = (0..21).map(|i| format!("Dept {i}")).collect();
        for (names, field) in [(json!(too_many), "departments"), (json!(["Sales", "x".repeat(121)]), "departments[1]")] {
            let body = json!({"partner_name": "Kato", "organization_id": w.partner, "partner_type": "supplier",
                "tier": "a", "departments": names});
            let (st, p) = w.admin.post(&w.path("/invitations"), body).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{p}");
        }
        assert_eq!(w.revision().await, before);

        let inv = w.invite(json!(["Sales"])).await;
        let (st, unit) = w.partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let deps = w.path(&format!("/units/{}/departments", id(&unit)));
        // Another organization's department, an id that is no department, too many ids, or a
        // body that is not the input: refused, naming the field, and nothing changes.
        let (_, other) = w.admin.get(&format!("/api/v1/organizations/{}/departments", w.backbone)).await;
        let foreign = id(&other[0]);
        let before = w.revision().await;
        let many: Vec<String> = (0..101).map(|_| w.north.clone()).collect();
        for (body, field) in [
            (json!({"department_ids": [w.north, foreign]}), "department_ids[1]"),
            (json!({"department_ids": ["dep_nothere"]}), "department_ids[0]"),
            (json!({"department_ids": many}), "department_ids"),
        ] {
            let (st, p) = w.partner_admin.send(Method::PUT, &deps, Some(body)).await;
            assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{p}");
        }
        let (st, _) = w.partner_admin.send(Method::PUT, &deps, Some(json!({"departments": ["Sales"]}))).await;
        assert!(st.is_client_error(), "an unknown field is refused");
        assert_eq!(w.revision().await, before);
        let (_, unit) = w.admin.get(&deps.replace("/departments", "")).await;
        assert_eq!(unit["departments"], json!([{"id": w.sales, "name": "Sales"}]), "{unit}");
    }
}
