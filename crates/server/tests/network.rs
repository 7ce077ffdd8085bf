//! The partner network through the API, on SQLite and PostgreSQL: the pain points of seed 000
//! (a contact leaves and nobody knows; partners see each other's people; stale invitations;
//! untrusted organizations joining) as tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn revision(s: &TestServer) -> i64 {
    s.svc.journal().latest_revision().await.unwrap()
}

/// The names on every page of `url`, following each page's cursor to the end.
async fn every_page(c: &Client, url: &str) -> Vec<String> {
    let (mut seen, mut cursor) = (vec![], None::<String>);
    loop {
        let page_url = match &cursor {
            Some(k) => format!("{url}&cursor={k}"),
            None => url.to_owned(),
        };
        let (st, page) = c.get(&page_url).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(k) => cursor = Some(k.to_owned()),
            None => return seen,
        }
    }
}

fn names(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

async fn inbox_kinds(c: &Client) -> Vec<String> {
    let (st, inbox) = c.get("/api/v1/notifications").await;
    assert_eq!(st, StatusCode::OK, "{inbox}");
    inbox["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

async fn me(c: &Client) -> String {
    c.get("/api/v1/me").await.1["member_id"].as_str().unwrap().to_owned()
}

/// A partner organization that joined the network by accepting an invitation.
struct Partner {
    org: String,
    admin: Client,
    unit: String,
}

struct Net {
    backbone_org: String,
    admin: Client,
    id: String,
}

impl Net {
    async fn create(s: &TestServer) -> Net {
        let (backbone_org, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (st, n) = admin.post("/api/v1/networks", json!({"name": "Supply network"})).await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        Net { backbone_org, admin, id: n["id"].as_str().unwrap().to_owned() }
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/v1/networks/{}{rest}", self.id)
    }

    async fn invite(&self, partner: &str, ty: &str) -> Value {
        let (st, inv) = self
            .admin
            .post(&self.path("/invitations"), json!({"partner_name": partner, "partner_type": ty, "tier": "a"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{inv}");
        inv
    }

    /// A certified organization with members that accepts an invitation of type `ty`.
    async fn join(&self, s: &TestServer, name: &str, login: &str, ty: &str) -> Partner {
        let (org, admin) = s.certified_org(name, login).await;
        let inv = self.invite(name, ty).await;
        let (st, unit) = admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        Partner { org, admin, unit: unit["id"].as_str().unwrap().to_owned() }
    }
}

both! {
    async fn only_certified_organizations_with_the_right_edition_own_networks(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Plain", "plain.admin").await;
        let before = revision(&s).await;
        let (st, p) = admin.post("/api/v1/networks", json!({"name": "N"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("certified"), "{p}");
        s.svc.directory().set_certification(&keiretsu_service::Caller::System, &keiretsu_domain::ids::OrgId::parse(&org).unwrap(),
            keiretsu_domain::directory::Certification::Certified).await.unwrap();
        let before_edition = revision(&s).await;
        let (st, p) = admin.post("/api/v1/networks", json!({"name": "N"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("downstream"), "{p}");
        assert_eq!(revision(&s).await, before_edition);
        assert!(before < before_edition);

        let (_, admin) = s.backbone("Big", "big.admin").await;
        for i in 0..3 {
            let (st, p) = admin.post("/api/v1/networks", json!({"name": format!("Network {i}")})).await;
            assert_eq!(st, StatusCode::CREATED, "{p}");
        }
        let (st, p) = admin.post("/api/v1/networks", json!({"name": "Fourth"})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("limit"), "{p}");
        let (st, p) = admin.post("/api/v1/networks", json!({"name": "  "})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "{p}");
        // A plain member of a backbone cannot create one.
        let (big, admin) = s.backbone("Bigger", "bigger.admin").await;
        let (_, member) = s.member(&admin, &big, "bigger.member").await;
        let (st, _) = member.post("/api/v1/networks", json!({"name": "Mine"})).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }

    async fn invitations_are_answered_once_and_expire(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let (partner_org, partner) = s.certified_org("Kato Metals", "kato.admin").await;
        let inv = net.invite("Kato Metals", "supplier").await;
        assert_eq!(inv["status"], "pending");
        let code = inv["code"].as_str().unwrap().to_owned();
        assert!(inv["link"].as_str().unwrap().ends_with(&code));

        // The partner admin sees what is offered, accepts, and the unit exists with the preset type.
        let (st, preview) = partner.post("/api/v1/invitations/preview", json!({"code": code})).await;
        assert_eq!(st, StatusCode::OK, "{preview}");
        assert_eq!(preview["backbone_name"], "Hoshino");
        assert_eq!(preview["partner_type"], "supplier");
        let (st, unit) = partner.post("/api/v1/invitations/accept", json!({"code": code})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["organization_id"], partner_org.as_str());
        assert_eq!((unit["partner_type"].as_str(), unit["tier"].as_str()), (Some("supplier"), Some("a")));
        let sides: Vec<_> = unit["contacts"].as_array().unwrap().iter().map(|c| c["side"].as_str().unwrap()).collect();
        assert!(sides.contains(&"backbone") && sides.contains(&"partner"), "owner and partner contact: {unit}");
        assert!(inbox_kinds(&net.admin).await.contains(&"invitation_accepted".to_owned()));

        // Replaying the accepted code is refused and changes nothing.
        let before = revision(&s).await;
        let (st, p) = partner.post("/api/v1/invitations/accept", json!({"code": code})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("already answered"), "{p}");
        assert_eq!(revision(&s).await, before);

        // An expired invitation cannot be used.
        let (_, other) = s.certified_org("Late Co", "late.admin").await;
        let late = net.invite("Late Co", "distributor").await;
        s.clock.advance(15 * 86_400_000);
        let (st, p) = other.post("/api/v1/invitations/accept", json!({"code": late["code"]})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");
        let (_, list) = net.admin.get(&net.path("/invitations?status=pending")).await;
        assert_eq!(list[0]["expired"], true, "{list}");
        // Resending gives a new code; the old one stops working.
        let (st, fresh) = net.admin.post(&net.path(&format!("/invitations/{}/resend", late["id"].as_str().unwrap())), json!({})).await;
        assert_eq!(st, StatusCode::OK, "{fresh}");
        let (st, _) = other.post("/api/v1/invitations/preview", json!({"code": late["code"]})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Revoked: a clear error.
        let (st, _) = net.admin.post(&net.path(&format!("/invitations/{}/revoke", late["id"].as_str().unwrap())), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (st, p) = other.post("/api/v1/invitations/accept", json!({"code": fresh["code"]})).await;
        assert_eq!(st, StatusCode::CONFLICT, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");

        // Unknown codes and garbage are not found; a member without partner rights cannot answer.
        let (st, _) = other.post("/api/v1/invitations/accept", json!({"code": "0123456789abcdef"})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, p) = other.post("/api/v1/invitations/accept", json!({})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{p}");
        let (st, p) = other.post("/api/v1/invitations/accept", json!({"code": "x".repeat(10_000)})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("at most 128"), "{p}");
        let (st, p) = other.post("/api/v1/invitations/accept", json!({"code": " "})).await;
        assert!(st == StatusCode::UNPROCESSABLE_ENTITY && p["detail"].as_str().unwrap().contains("required"), "{p}");
    }

    async fn an_uncertified_organization_cannot_join_and_loses_access_when_decertified(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let (_, plain) = s.org("Unverified Ltd", "unverified.admin").await;
        let inv = net.invite("Unverified Ltd", "supplier").await;
        let before = revision(&s).await;
        let (st, p) = plain.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("organization")), "{p}");
        assert!(p["detail"].as_str().unwrap().contains("certified"), "{p}");
        assert_eq!(revision(&s).await, before, "nothing changed");
        let (_, units) = net.admin.get(&net.path("/units")).await;
        assert_eq!(units.as_array().unwrap().len(), 0);

        // A unit whose organization loses certification is blocked and the backbone is told.
        let p = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let (st, _) = p.admin.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::OK);
        let org = keiretsu_domain::ids::OrgId::parse(&p.org).unwrap();
        use keiretsu_domain::directory::Certification;
        s.svc.directory().set_certification(&keiretsu_service::Caller::System, &org, Certification::Revoked).await.unwrap();
        let (st, body) = p.admin.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("blocked"), "{body}");
        let (_, unit) = net.admin.get(&net.path(&format!("/units/{}", p.unit))).await;
        assert_eq!(unit["status"], "blocked");
        assert!(inbox_kinds(&net.admin).await.contains(&"unit_blocked".to_owned()));
        // The backbone no longer lists its people; certified again, they are back.
        let (_, people) = net.admin.get(&net.path("/people?q=kato")).await;
        assert!(names(&people).is_empty(), "{people}");
        s.svc.directory().set_certification(&keiretsu_service::Caller::System, &org, Certification::Certified).await.unwrap();
        let (st, _) = p.admin.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::OK);
    }

    async fn a_supplier_does_not_see_a_distributors_people(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let s1 = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let s2 = net.join(&s, "Mori Plastics", "mori.admin", "supplier").await;
        let d = net.join(&s, "Sato Retail", "sato.admin", "distributor").await;
        let (kato_member, kato_worker) = s.member(&s1.admin, &s1.org, "kato.worker").await;
        s.member(&d.admin, &d.org, "sato.seller").await;

        // By default: own unit and the backbone's network members only.
        let (st, book) = kato_worker.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::OK, "{book}");
        let seen = names(&book);
        assert!(seen.contains(&"kato.worker".to_owned()), "{seen:?}");
        assert!(seen.contains(&"Hoshino Admin".to_owned()), "the backbone's network member: {seen:?}");
        assert!(!seen.iter().any(|n| n.starts_with("Sato") || n.starts_with("sato")), "{seen:?}");
        assert!(!seen.iter().any(|n| n.starts_with("Mori")), "{seen:?}");
        let (st, _) = kato_worker.get(&net.path(&format!("/units/{}", d.unit))).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = kato_worker.get(&net.path(&format!("/units/{}/departments", d.unit))).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "a supplier cannot browse a distributor's tree");
        let (_, units) = kato_worker.get(&net.path("/units")).await;
        assert_eq!(units.as_array().unwrap().len(), 1, "{units}");
        let sato_admin = me(&d.admin).await;
        let (st, _) = kato_worker.get(&net.path(&format!("/people/{sato_admin}"))).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "a distributor's person page is hidden too");
        // Asking for a unit outside the scope returns nobody.
        let (_, filtered) = kato_worker.get(&net.path(&format!("/people?unit_id={}", d.unit))).await;
        assert!(names(&filtered).is_empty());

        // Same type: the other supplier appears, the distributor still does not.
        let (st, _) = net.admin.send(Method::PATCH, &net.path(""), Some(json!({"visibility": "same_type"}))).await;
        assert_eq!(st, StatusCode::OK);
        let seen = names(&kato_worker.get(&net.path("/people")).await.1);
        assert!(seen.contains(&"Mori Plastics Admin".to_owned()), "{seen:?}");
        assert!(!seen.contains(&"Sato Retail Admin".to_owned()), "{seen:?}");
        // All units.
        net.admin.send(Method::PATCH, &net.path(""), Some(json!({"visibility": "all"}))).await;
        let seen = names(&kato_worker.get(&net.path("/people")).await.1);
        assert!(seen.contains(&"Sato Retail Admin".to_owned()), "{seen:?}");

        // The backbone sees every unit; search and paging work across them.
        let (_, page) = net.admin.get(&net.path("/people?limit=2")).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, next) = net.admin.get(&net.path(&format!("/people?limit=2&cursor={cursor}"))).await;
        let first = names(&page);
        assert!(names(&next).iter().all(|n| !first.contains(n) && n.as_str() > first[1].as_str()), "{next}");
        let (_, found) = net.admin.get(&net.path("/people?q=SATO")).await;
        assert_eq!(names(&found), vec!["Sato Retail Admin", "sato.seller"]);
        // The picker narrows by unit and department (with the departments below it).
        let deps = format!("/api/v1/organizations/{}/departments", d.org);
        let (_, stores) = d.admin.post(&deps, json!({"name": "Stores"})).await;
        let stores = stores["id"].as_str().unwrap().to_owned();
        let (_, east) = d.admin.post(&deps, json!({"name": "East", "parent_id": stores})).await;
        let seller = s.svc.directory().members(&keiretsu_service::Caller::System, &keiretsu_domain::ids::OrgId::parse(&d.org).unwrap(),
            &keiretsu_service::directory::MemberQuery { q: Some("sato.seller".into()), ..Default::default() }).await.unwrap().items[0].id.clone();
        d.admin.post(&format!("/api/v1/organizations/{}/members/{seller}/transfer", d.org), json!({"department_ids": [east["id"]]})).await;
        let (st, tree) = net.admin.get(&net.path(&format!("/units/{}/departments", d.unit))).await;
        assert_eq!(st, StatusCode::OK, "{tree}");
        assert!(tree.as_array().unwrap().iter().any(|t| t["name"] == "East"));
        let (_, picked) = net.admin.get(&net.path(&format!("/people?unit_id={}&department_id={stores}", d.unit))).await;
        assert_eq!(names(&picked), vec!["sato.seller"]);
        let (st, p) = net.admin.get(&net.path(&format!("/people?department_id={stores}"))).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("department_id")));
        // A partner member's page: organization, unit, type, tier and their contact at the backbone.
        let (st, person) = net.admin.get(&net.path(&format!("/people/{kato_member}"))).await;
        assert_eq!(st, StatusCode::OK, "{person}");
        assert_eq!(person["organization_name"], "Kato Metals");
        assert_eq!((person["partner_type"].as_str(), person["tier"].as_str()), (Some("supplier"), Some("a")));
        assert_eq!(person["backbone_contacts"][0]["member_name"], "Hoshino Admin");
        assert_eq!(person["status"], "active");

        // A backbone member outside the network sees no partner people at all.
        let (_, outsider) = s.member(&net.admin, &net.backbone_org, "hoshino.clerk").await;
        let (st, _) = outsider.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, mine) = outsider.get("/api/v1/networks").await;
        assert_eq!(mine.as_array().unwrap().len(), 0);
        // Added to the network, they see it.
        let clerk = s.svc.directory().members(&keiretsu_service::Caller::System, &keiretsu_domain::ids::OrgId::parse(&net.backbone_org).unwrap(),
            &keiretsu_service::directory::MemberQuery { q: Some("hoshino.clerk".into()), ..Default::default() }).await.unwrap().items[0].id.clone();
        let (st, added) = net.admin.post(&net.path("/members"), json!({"member_ids": [clerk]})).await;
        assert_eq!((st, added["added"].as_i64()), (StatusCode::OK, Some(1)), "{added}");
        let (st, _) = outsider.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::OK);
        // Removing a unit takes its people out at once.
        let (st, _) = net.admin.send(Method::DELETE, &net.path(&format!("/units/{}", d.unit)), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, _) = d.admin.get(&net.path("/people")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let seen = names(&kato_worker.get(&net.path("/people")).await.1);
        assert!(!seen.contains(&"Sato Retail Admin".to_owned()), "{seen:?}");
        assert!(inbox_kinds(&d.admin).await.contains(&"unit_removed".to_owned()));
        // A partner admin can leave on their own; a plain partner member cannot.
        let (st, _) = kato_worker.send(Method::DELETE, &net.path(&format!("/units/{}", s1.unit)), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = s2.admin.send(Method::DELETE, &net.path(&format!("/units/{}", s1.unit)), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "another unit's admin cannot remove it");
        let (st, _) = s2.admin.send(Method::DELETE, &net.path(&format!("/units/{}", s2.unit)), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert!(inbox_kinds(&net.admin).await.contains(&"unit_left".to_owned()));
    }

    async fn the_wide_address_book_follows_every_change(db) {
        // The backbone's view (every unit) is answered by the people index: searched, paged
        // with cursors, and changed by leaves, renames, units and network members, each read
        // reflecting the write just made, also from a second server on the same database.
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let a = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let b = net.join(&s, "Mori Plastics", "mori.admin", "distributor").await;
        let mut ids = std::collections::HashMap::new();
        for (p, prefix) in [(&a, "zhang.k"), (&b, "zhang.m")] {
            for i in 0..4 {
                let login = format!("{prefix}{i}");
                ids.insert(login.clone(), s.member(&p.admin, &p.org, &login).await.0);
            }
        }
        let (clerk, _) = s.member(&net.admin, &net.backbone_org, "zhang.clerk").await;
        net.admin.post(&net.path("/members"), json!({"member_ids": [clerk]})).await;
        let twin = Client { base: s.twin().await, ..net.admin.clone() };
        // Every page of two, cursor after cursor, on either server.
        let all = |c: Client, q: &'static str| {
            let url = format!("{}?q={q}&limit=2", net.path("/people"));
            async move { every_page(&c, &url).await }
        };
        let mut want: Vec<String> = ids.keys().cloned().chain(["zhang.clerk".to_owned()]).collect();
        want.sort();
        assert_eq!(all(net.admin.clone(), "zhang").await, want);
        assert_eq!(all(twin.clone(), "ZHANG.").await, want);
        let (_, first) = net.admin.get(&net.path("/people?q=zhang.m1")).await;
        assert_eq!(first["items"][0]["unit_id"], b.unit.as_str(), "{first}");
        assert_eq!(first["items"][0]["partner_type"], "distributor", "{first}");

        // A member leaves.
        let gone = &ids["zhang.k1"];
        let (st, _) = a.admin.post(&format!("/api/v1/organizations/{}/members/{gone}/leave", a.org), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        want.retain(|n| n != "zhang.k1");
        assert_eq!(all(net.admin.clone(), "zhang").await, want);
        // A rename moves the member in the order and out of the term.
        let renamed = &ids["zhang.k2"];
        let (st, body) = a.admin.send(Method::PATCH, &format!("/api/v1/organizations/{}/members/{renamed}", a.org),
            Some(json!({"name": "Aoki"}))).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        let (_, first) = net.admin.get(&net.path("/people?limit=1")).await;
        assert_eq!(names(&first), vec!["Aoki"]);
        // Still found by login: the search key keeps it.
        assert_eq!(names(&net.admin.get(&net.path("/people?q=zhang.k2")).await.1), vec!["Aoki"]);
        want = want.into_iter().map(|n| if n == "zhang.k2" { "Aoki".to_owned() } else { n }).collect();
        want.sort();
        assert_eq!(all(twin.clone(), "zhang").await, want);
        // A removed unit's people leave the book at once.
        let (st, _) = net.admin.send(Method::DELETE, &net.path(&format!("/units/{}", b.unit)), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        want.retain(|n| !n.starts_with("zhang.m"));
        assert_eq!(all(net.admin.clone(), "zhang").await, want);
        assert_eq!(all(twin.clone(), "zhang").await, want);
        // A network member taken out of the network is no longer in it.
        let (st, _) = net.admin.send(Method::DELETE, &net.path(&format!("/members/{clerk}")), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        want.retain(|n| n != "zhang.clerk");
        assert_eq!(all(net.admin.clone(), "zhang").await, want);
        // A blocked unit hides its people; unblocked, they are back.
        let org = keiretsu_domain::ids::OrgId::parse(&a.org).unwrap();
        use keiretsu_domain::directory::Certification;
        s.svc.directory().set_certification(&keiretsu_service::Caller::System, &org, Certification::Revoked).await.unwrap();
        assert_eq!(all(net.admin.clone(), "zhang").await, Vec::<String>::new());
        s.svc.directory().set_certification(&keiretsu_service::Caller::System, &org, Certification::Certified).await.unwrap();
        assert_eq!(all(twin.clone(), "zhang").await, want);
    }

    async fn a_partner_seeing_many_units_pages_through_them(db) {
        // A supplier's member under `same_type` sees 50 supplier units and more: a wide scope the
        // people index answers; below 50 units the SQL plan does, with the same pages.
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        net.admin.send(Method::PATCH, &net.path(""), Some(json!({"visibility": "same_type"}))).await;
        let mut units = vec![];
        for (i, ty) in (0..51).map(|i| (i, if i < 50 { "supplier" } else { "distributor" })) {
            let unit = json!({"name": format!("Unit {i:02}"), "partner_type": ty, "tier": "b"});
            let (st, u) = net.admin.post(&net.path("/units"), unit).await;
            assert_eq!(st, StatusCode::CREATED, "{u}");
            let org = u["organization_id"].as_str().unwrap().to_owned();
            let (st, m) = net.admin.post(&format!("/api/v1/organizations/{org}/members"),
                json!({"name": format!("Person {i:02}"), "login": format!("person.{i:02}")})).await;
            assert_eq!(st, StatusCode::CREATED, "{m}");
            units.push((u["id"].as_str().unwrap().to_owned(), org));
        }
        let (_, viewer) = s.member(&net.admin, &units[0].1, "viewer.00").await;
        let all = |c: Client| {
            let url = format!("{}?q=person&limit=7", net.path("/people"));
            async move { every_page(&c, &url).await }
        };
        let mut want: Vec<String> = (0..50).map(|i| format!("Person {i:02}")).collect();
        assert_eq!(all(viewer.clone()).await, want);
        let mut everyone = want.clone();
        everyone.push("Person 50".into());
        assert_eq!(all(net.admin.clone()).await, everyone, "the backbone sees the distributor too");
        // Removed units leave at once, on either side of the plans' 50-unit line.
        for gone in [7, 8, 9] {
            let (st, _) = net.admin.send(Method::DELETE, &net.path(&format!("/units/{}", units[gone].0)), None).await;
            assert_eq!(st, StatusCode::NO_CONTENT);
            want.retain(|n| *n != format!("Person {gone:02}"));
            assert_eq!(all(viewer.clone()).await, want);
        }
    }

    async fn a_contact_who_leaves_is_succeeded_and_the_counterpart_told(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let p = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let (li, _) = s.member(&p.admin, &p.org, "li.sales").await;
        let (wang, wang_client) = s.member(&p.admin, &p.org, "wang.backup").await;
        let units = net.path(&format!("/units/{}", p.unit));
        let (st, contact) = p.admin.post(&format!("{units}/contacts"),
            json!({"side": "partner", "member_id": li, "role": "finance", "backup_id": wang})).await;
        assert_eq!(st, StatusCode::CREATED, "{contact}");
        let contact_id = contact["id"].as_str().unwrap().to_owned();
        // Each one's member page knows the post: Li holds it, Wang backs it up.
        let posts = |m: &str| format!("/api/v1/organizations/{}/members/{m}/posts", p.org);
        let (st, li_posts) = p.admin.get(&posts(&li)).await;
        assert_eq!(st, StatusCode::OK, "{li_posts}");
        assert_eq!(li_posts.as_array().unwrap().len(), 1, "{li_posts}");
        assert_eq!((&li_posts[0]["unit_name"], &li_posts[0]["role"], &li_posts[0]["backup"]),
            (&json!("Kato Metals"), &json!("finance"), &json!(false)));
        assert_eq!(li_posts[0]["network_name"], "Supply network");
        assert_eq!(p.admin.get(&posts(&wang)).await.1[0]["backup"], true);
        // The backbone may not read the partner's directory this way.
        assert_eq!(net.admin.get(&posts(&li)).await.0, StatusCode::NOT_FOUND);

        // Li leaves the supplier: Wang takes over at once and the backbone owner is told.
        let (st, _) = p.admin.post(&format!("/api/v1/organizations/{}/members/{li}/leave", p.org), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (_, unit) = net.admin.get(&units).await;
        let finance = unit["contacts"].as_array().unwrap().iter().find(|c| c["id"] == contact_id.as_str()).unwrap();
        assert_eq!(finance["member_id"], wang.as_str(), "{unit}");
        assert!(finance["backup_id"].is_null());
        let (_, inbox) = net.admin.get("/api/v1/notifications").await;
        let n = inbox["items"].as_array().unwrap().iter().find(|n| n["kind"] == "contact_handover").expect("handover notice");
        assert_eq!(n["params"]["name"], "li.sales");
        assert_eq!(n["params"]["successor"], "wang.backup");
        assert!(inbox_kinds(&wang_client).await.contains(&"contact_assigned".to_owned()));
        let (_, history) = net.admin.get(&net.path("/handovers")).await;
        let entry = &history[0];
        assert_eq!(entry["action"], "contact.handover");
        let details: Value = serde_json::from_str(entry["details"].as_str().unwrap()).unwrap();
        assert_eq!((details["from"].as_str(), details["to"].as_str()), (Some(li.as_str()), Some(wang.as_str())));

        // Wang leaves with no backup and no department head: the post is vacant and the owner alerted.
        let (st, _) = p.admin.post(&format!("/api/v1/organizations/{}/members/{wang}/leave", p.org), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (_, unit) = net.admin.get(&units).await;
        assert!(!unit["contacts"].as_array().unwrap().iter().any(|c| c["id"] == contact_id.as_str()));
        assert!(inbox_kinds(&net.admin).await.contains(&"contact_missing".to_owned()));
        let (_, history) = net.admin.get(&net.path("/handovers")).await;
        assert_eq!(history[0]["action"], "contact.vacant");

        // A department head steps in when there is no backup.
        let deps = format!("/api/v1/organizations/{}/departments", p.org);
        let (_, dep) = p.admin.post(&deps, json!({"name": "Sales"})).await;
        let dep = dep["id"].as_str().unwrap().to_owned();
        let (head, _) = s.member(&p.admin, &p.org, "head.sales").await;
        let (zhao, _) = s.member(&p.admin, &p.org, "zhao.sales").await;
        for m in [&head, &zhao] {
            p.admin.post(&format!("/api/v1/organizations/{}/members/{m}/transfer", p.org), json!({"department_ids": [dep]})).await;
        }
        p.admin.send(Method::PUT, &format!("{deps}/{dep}/heads"), Some(json!({"member_ids": [head]}))).await;
        p.admin.post(&format!("{units}/contacts"), json!({"side": "partner", "member_id": zhao, "role": "technical"})).await;
        p.admin.post(&format!("/api/v1/organizations/{}/members/{zhao}/leave", p.org), json!({})).await;
        let (_, unit) = net.admin.get(&units).await;
        assert!(unit["contacts"].as_array().unwrap().iter().any(|c| c["role"] == "technical" && c["member_id"] == head.as_str()), "{unit}");

        // Removing a contact by hand: the backup takes over; the last contact of a side stays.
        let (extra, _) = s.member(&p.admin, &p.org, "extra.person").await;
        let (st, c2) = p.admin.post(&format!("{units}/contacts"), json!({"side": "partner", "member_id": extra, "role": "legal", "backup_id": head})).await;
        assert_eq!(st, StatusCode::CREATED, "{c2}");
        let (st, _) = p.admin.send(Method::DELETE, &format!("{units}/contacts/{}", c2["id"].as_str().unwrap()), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (_, unit) = net.admin.get(&units).await;
        assert!(unit["contacts"].as_array().unwrap().iter().any(|c| c["role"] == "legal" && c["member_id"] == head.as_str()), "{unit}");
        let owner = unit["contacts"].as_array().unwrap().iter().find(|c| c["side"] == "backbone").unwrap()["id"].as_str().unwrap().to_owned();
        let before = revision(&s).await;
        let (st, body) = net.admin.send(Method::DELETE, &format!("{units}/contacts/{owner}"), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{body}");
        assert_eq!(revision(&s).await, before);
        // The partner admin cannot touch the backbone's side.
        let (st, _) = p.admin.send(Method::PATCH, &format!("{units}/contacts/{owner}"), Some(json!({"role": "other"}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }

    async fn bad_input_is_refused_and_changes_nothing(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let p = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let (other_org, other_admin) = s.org("Elsewhere", "elsewhere.admin").await;
        let (stranger, _) = s.member(&other_admin, &other_org, "stranger").await;
        let before = revision(&s).await;
        let units = net.path(&format!("/units/{}", p.unit));
        let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
            (Method::POST, net.path("/invitations"), json!({"partner_name": "X", "partner_type": "pirate", "tier": "a"}), StatusCode::UNPROCESSABLE_ENTITY, "partner_type"),
            (Method::POST, net.path("/invitations"), json!({"partner_name": "X", "partner_type": "supplier", "tier": "z"}), StatusCode::UNPROCESSABLE_ENTITY, "tier"),
            (Method::POST, net.path("/invitations"), json!({"partner_name": "", "partner_type": "supplier", "tier": "a"}), StatusCode::UNPROCESSABLE_ENTITY, "partner_name"),
            (Method::POST, net.path("/invitations"), json!({"partner_name": "X", "partner_type": "supplier", "tier": "a", "expires_in_hours": 0}), StatusCode::UNPROCESSABLE_ENTITY, "expires_in_hours"),
            (Method::POST, net.path("/invitations"), json!({"partner_name": "X", "partner_type": "supplier", "tier": "a", "organization_id": p.org}), StatusCode::CONFLICT, "organization_id"),
            (Method::POST, net.path("/invitations"), json!({"partner_name": "X", "partner_type": "supplier", "tier": "a", "organization_id": net.backbone_org}), StatusCode::UNPROCESSABLE_ENTITY, "organization_id"),
            (Method::POST, format!("{units}/contacts"), json!({"side": "partner", "member_id": stranger, "role": "finance"}), StatusCode::UNPROCESSABLE_ENTITY, "member_id"),
            (Method::POST, format!("{units}/contacts"), json!({"side": "partner", "member_id": stranger, "role": "boss"}), StatusCode::UNPROCESSABLE_ENTITY, "role"),
            (Method::PATCH, units.clone(), json!({"tier": "platinum"}), StatusCode::UNPROCESSABLE_ENTITY, "tier"),
            (Method::PATCH, units.clone(), json!({"contract_start": "2026-05-01", "contract_end": "2026-04-01"}), StatusCode::UNPROCESSABLE_ENTITY, "contract_end"),
            (Method::PATCH, units.clone(), json!({"contract_start": "2026-02-30"}), StatusCode::UNPROCESSABLE_ENTITY, "contract_start"),
            (Method::PUT, net.path("/partner-types/Bad Key"), json!({"name": "X", "tiers": [{"name": "a"}]}), StatusCode::UNPROCESSABLE_ENTITY, "key"),
            (Method::PUT, net.path("/partner-types/supplier"), json!({"name": "Supplier", "tiers": [{"name": "gold"}]}), StatusCode::CONFLICT, "tiers"),
            (Method::POST, net.path("/members"), json!({"member_ids": [stranger]}), StatusCode::UNPROCESSABLE_ENTITY, "member_ids[0]"),
            (Method::PATCH, net.path(""), json!({"visibility": "everyone"}), StatusCode::UNPROCESSABLE_ENTITY, ""),
        ];
        for (method, path, body, want, field) in cases {
            let (st, p) = net.admin.send(method.clone(), &path, Some(body.clone())).await;
            assert_eq!(st, want, "{method} {path} {body}: {p}");
            if !field.is_empty() {
                assert_eq!(p["field"], field, "{method} {path} {body}: {p}");
            }
        }
        // Unknown ids and other networks' ids are not found.
        for path in [
            "/api/v1/networks/net_00000000000000000000000000".to_owned(),
            net.path("/units/unt_00000000000000000000000000"),
            net.path("/units/not-an-id"),
            net.path(&format!("/people/{stranger}")),
        ] {
            let (st, _) = net.admin.get(&path).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(revision(&s).await, before, "nothing changed");

        // A duplicate pending invitation to the same organization is refused.
        let (target, _) = s.certified_org("Target Co", "target.admin").await;
        let body = json!({"partner_name": "Target", "partner_type": "supplier", "tier": "a", "organization_id": target});
        let (st, _) = net.admin.post(&net.path("/invitations"), body.clone()).await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, p) = net.admin.post(&net.path("/invitations"), body).await;
        assert_eq!((st, p["field"].as_str()), (StatusCode::CONFLICT, Some("organization_id")), "{p}");

        // A custom partner type with its own tiers, then an invitation of that type.
        let (st, t) = net.admin.send(Method::PUT, &net.path("/partner-types/logistics"),
            Some(json!({"name": "Logistics", "tiers": [{"name": "core", "policy": "Weekly review"}, {"name": "spot"}], "policy": "Carriers"}))).await;
        assert_eq!(st, StatusCode::OK, "{t}");
        assert_eq!(t["builtin"], false);
        let (st, _) = net.admin.post(&net.path("/invitations"), json!({"partner_name": "Truckers", "partner_type": "logistics", "tier": "spot"})).await;
        assert_eq!(st, StatusCode::CREATED);
    }

    async fn bulk_invitations_report_each_row(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let (target, target_admin) = s.certified_org("Target Co", "target.admin").await;
        let csv = format!("partner_name,partner_type,tier,organization_id,departments\nAlpha,supplier,a,,Sales; Finance\nBeta,pirate,a,\n,supplier,b,\nGamma,distributor,c,{target}\nDelta,supplier,a,org_bad\n");
        let res = reqwest::Client::new().post(format!("{}{}", s.base, net.path("/invitations/import")))
            .bearer_auth(net.admin.token.as_ref().unwrap()).header("content-type", "text/csv").body(csv).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let report: Value = res.json().await.unwrap();
        let created: Vec<_> = report["created"].as_array().unwrap().iter().map(|c| c["partner_name"].as_str().unwrap()).collect();
        assert_eq!(created, vec!["Alpha", "Gamma"], "{report}");
        assert!(report["created"][0]["code"].is_string());
        assert_eq!(report["created"][0]["departments"], json!(["Sales", "Finance"]));
        assert_eq!(report["created"][1]["departments"], json!([]));
        let errors: Vec<_> = report["errors"].as_array().unwrap().iter().map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap().to_owned())).collect();
        assert_eq!(errors, vec![(3, "partner_type".to_owned()), (4, "partner_name".to_owned()), (6, "organization_id".to_owned())]);
        let (_, list) = net.admin.get(&net.path("/invitations")).await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        // The targeted organization's admin sees it and accepts it by id.
        assert!(inbox_kinds(&target_admin).await.contains(&"invitation_received".to_owned()));
        let (_, received) = target_admin.get("/api/v1/invitations").await;
        let id = received[0]["id"].as_str().unwrap().to_owned();
        let (st, unit) = target_admin.post("/api/v1/invitations/accept", json!({"invitation_id": id})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["partner_type"], "distributor");
    }

    async fn a_managed_unit_is_run_by_the_backbone(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let (st, unit) = net.admin.post(&net.path("/units"), json!({"name": "Field Crew", "partner_type": "ecosystem_staff", "tier": "b"})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        assert_eq!(unit["managed"], true);
        let org = unit["organization_id"].as_str().unwrap().to_owned();
        // The backbone's partner admin keeps the unit's people through the directory API.
        let (st, m) = net.admin.post(&format!("/api/v1/organizations/{org}/members"),
            json!({"name": "Crew Lead", "login": "crew.lead", "password": keiretsu_testkit::PASSWORD})).await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        let (_, people) = net.admin.get(&net.path("/people?q=crew")).await;
        assert_eq!(names(&people), vec!["Crew Lead"]);
        // Another organization's admin cannot.
        let (_, stranger) = s.backbone("Other", "other.admin").await;
        let (st, _) = stranger.post(&format!("/api/v1/organizations/{org}/members"), json!({"name": "X", "login": "x.x"})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Nor can a backbone member without partner rights.
        let (_, clerk) = s.member(&net.admin, &net.backbone_org, "hoshino.clerk").await;
        let (st, _) = clerk.get(&format!("/api/v1/organizations/{org}/members")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }

    async fn partners_of_one_network_cannot_reach_another(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let p = net.join(&s, "Kato Metals", "kato.admin", "supplier").await;
        let (_, other_admin) = s.backbone("Rival", "rival.admin").await;
        let (_, other) = other_admin.post("/api/v1/networks", json!({"name": "Rival network"})).await;
        let other_id = other["id"].as_str().unwrap();
        let before = revision(&s).await;
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/networks/{other_id}/people"), None),
            (Method::GET, format!("/api/v1/networks/{other_id}/units"), None),
            (Method::PATCH, format!("/api/v1/networks/{other_id}"), Some(json!({"visibility": "all"}))),
            (Method::POST, format!("/api/v1/networks/{other_id}/invitations"), Some(json!({"partner_name": "X", "partner_type": "supplier", "tier": "a"}))),
        ] {
            let (st, body) = p.admin.send(method.clone(), &path, body).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        }
        // The partner admin cannot manage the network itself.
        let (st, _) = p.admin.send(Method::PATCH, &net.path(""), Some(json!({"visibility": "all"}))).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = p.admin.get(&net.path("/invitations")).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_eq!(revision(&s).await, before);
    }

    async fn the_demo_network_is_ready_to_try(db) {
        let s = TestServer::start(db).await;
        s.svc.demo().seed_demo(keiretsu_testkit::PASSWORD).await.unwrap();
        let backbone = s.svc.demo().seed_demo(keiretsu_testkit::PASSWORD).await.unwrap();
        assert!(!backbone.created, "seeding twice changes nothing");
        let admin = s.client_with(&s.token("demo.admin", Some(backbone.org.as_str())).await);
        let (_, networks) = admin.get("/api/v1/networks").await;
        assert_eq!(networks.as_array().unwrap().len(), 1, "{networks}");
        let net = networks[0]["id"].as_str().unwrap().to_owned();
        let (_, units) = admin.get(&format!("/api/v1/networks/{net}/units")).await;
        let mut summary: Vec<_> = units.as_array().unwrap().iter()
            .map(|u| (u["organization_name"].as_str().unwrap().to_owned(), u["partner_type"].as_str().unwrap().to_owned(), u["member_count"].as_i64().unwrap()))
            .collect();
        summary.sort();
        assert_eq!(summary, vec![
            ("Kato Metal Works".to_owned(), "supplier".to_owned(), 51),
            ("Mori Plastics".to_owned(), "supplier".to_owned(), 26),
            ("Sato Retail Group".to_owned(), "distributor".to_owned(), 51),
        ]);
        let (_, unit) = admin.get(&format!("/api/v1/networks/{net}/units/{}", units[0]["id"].as_str().unwrap())).await;
        let roles: Vec<_> = unit["contacts"].as_array().unwrap().iter().map(|c| c["role"].as_str().unwrap()).collect();
        assert!(roles.contains(&"owner") && roles.contains(&"finance"), "{unit}");
        // The exclusive edition past 80% used: the dashboard shows the warning.
        let (_, license) = admin.get(&format!("/api/v1/organizations/{}/license", backbone.org)).await;
        assert_eq!(license["edition"]["key"], "exclusive");
        assert_eq!(license["counts"], json!({"purchased": 260, "assigned": 227, "unassigned": 33}));
        assert_eq!(license["warning_level"], 80);
        let (_, pending) = admin.get(&format!("/api/v1/networks/{net}/invitations?status=pending")).await;
        assert_eq!(pending.as_array().unwrap().len(), 1);
        assert_eq!(pending[0]["partner_name"], "Fujita Logistics");
        // A supplier's member sees their own people and the backbone's partner-facing staff only.
        let (_, kato) = s.svc.directory().org(&keiretsu_service::Caller::System, &keiretsu_domain::ids::OrgId::parse(units.as_array().unwrap().iter().find(|u| u["organization_name"] == "Kato Metal Works").unwrap()["organization_id"].as_str().unwrap()).unwrap()).await.map(|o| ((), o.id)).unwrap();
        let member = s.client_with(&s.token("kato.m001", Some(&kato)).await);
        let (_, page) = member.get(&format!("/api/v1/networks/{net}/people?limit=200")).await;
        let orgs: std::collections::BTreeSet<_> = page["items"].as_array().unwrap().iter().map(|p| p["organization_name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(orgs.into_iter().collect::<Vec<_>>(), vec!["Hoshino Precision Manufacturing", "Kato Metal Works"]);
        // A supplier's seated sales person sees the supplier app on the workbench, not the distributor's.
        let (_, workbench) = member.get("/api/v1/workbench").await;
        assert_eq!(workbench.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect::<Vec<_>>(), vec!["Supplier onboarding"]);
        // Partner staff have submitted: the backbone reads all of them with the unit, the supplier its own.
        let app = workbench[0]["id"].as_str().unwrap();
        let (_, all) = admin.get(&format!("/api/v1/apps/{app}/submissions")).await;
        let all = all["items"].as_array().unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|x| x["organization_name"] == "Kato Metal Works" && x["partner_type"] == "supplier"));
        let (_, mine) = member.get(&format!("/api/v1/apps/{app}/submissions")).await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    }

    async fn racing_accepts_of_one_code_make_one_unit(db) {
        let s = TestServer::start(db).await;
        let net = Net::create(&s).await;
        let inv = net.invite("Whoever is first", "supplier").await;
        let mut admins = Vec::new();
        for i in 0..6 {
            admins.push(s.certified_org(&format!("Racer {i}"), &format!("racer{i}.admin")).await.1);
        }
        let tasks: Vec<_> = admins
            .into_iter()
            .map(|a| {
                let code = inv["code"].clone();
                tokio::spawn(async move { a.post("/api/v1/invitations/accept", json!({"code": code})).await.0 })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{statuses:?}");
        let (_, units) = net.admin.get(&net.path("/units")).await;
        assert_eq!(units.as_array().unwrap().len(), 1);
    }
}

/// A backbone member who is not one of a network's members is told why they see no network,
/// rather than that their organization is in none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backbone_member_outside_the_networks_is_told_why_the_list_is_empty() {
    let s = TestServer::start(keiretsu_testkit::Db::Sqlite).await;
    let (org, admin) = s.backbone("Alpha Works", "alpha.admin").await;
    s.member(&admin, &org, "alpha.member").await;
    let page = |cookie: String| {
        let base = s.base.clone();
        async move {
            let res = reqwest::Client::new()
                .get(format!("{base}/console/networks"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            res.text().await.unwrap()
        }
    };
    let cookie = s.console_session("alpha.member").await.split(';').next().unwrap().to_owned();
    assert!(page(cookie.clone()).await.contains("not in any network yet"));
    let (st, _) = admin.post("/api/v1/networks", json!({"name": "Alpha network"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let html = page(cookie).await;
    assert!(html.contains("Your organization is in a network, but you are not one of its members"), "{html}");
}
