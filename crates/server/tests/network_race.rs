//! The partner network under concurrency, on SQLite and PostgreSQL, with two servers on one
//! database: the same request, or two that decide on the same rows, fired at both servers at
//! once. Whatever the order, no answer is a server error, the loser gets the answer it would
//! get arriving second, and what is stored is what one order or the other leaves: one unit per
//! accepted code, one choice of departments, a contact on each side, no post held by someone
//! who left or someone the unit does not bring in. Sign-in failures count once each.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A request's status must be an answer, never a server error.
fn answered(what: &str, st: StatusCode, body: &Value) {
    assert!(!st.is_server_error(), "{what} answered {st}: {body}");
}

/// What a refusal says: status, field and detail.
fn problem(st: StatusCode, body: &Value) -> (StatusCode, Value, Value) {
    (st, body["field"].clone(), body["detail"].clone())
}

/// A backbone with a network, and a certified partner whose tree is root > Sales > North,
/// root > Production; every admin on both servers.
struct World {
    s: TestServer,
    net: String,
    /// The backbone's admin on each server.
    admins: [Client; 2],
    partner: String,
    /// The partner's admin on each server.
    partners: [Client; 2],
    sales: String,
    north: String,
    production: String,
}

impl World {
    async fn new(db: keiretsu_testkit::Db) -> World {
        let s = TestServer::start(db).await;
        let (_, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let (st, n) = admin.post("/api/v1/networks", json!({"name": "Supply"})).await;
        assert_eq!(st, StatusCode::CREATED, "{n}");
        let (partner, partner_admin) = s.certified_org("Kato Metals", "kato.admin").await;
        let department = async |name: &str, parent: Option<&str>| {
            let (st, d) = partner_admin
                .post(
                    &format!("/api/v1/organizations/{partner}/departments"),
                    json!({"name": name, "parent_id": parent}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{d}");
            id(&d)
        };
        let sales = department("Sales", None).await;
        let north = department("North", Some(&sales)).await;
        let production = department("Production", None).await;
        let twin = s.twin().await;
        let on_twin = |c: &Client| Client { base: twin.clone(), ..c.clone() };
        World {
            net: id(&n),
            admins: [on_twin(&admin), admin],
            partners: [on_twin(&partner_admin), partner_admin],
            partner,
            sales,
            north,
            production,
            s,
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/v1/networks/{}{rest}", self.net)
    }

    /// An open invitation (any organization may answer it) for a supplier.
    async fn invite(&self) -> Value {
        let body = json!({"partner_name": "Anyone", "partner_type": "supplier", "tier": "a"});
        let (st, inv) = self.admins[0].post(&self.path("/invitations"), body).await;
        assert_eq!(st, StatusCode::CREATED, "{inv}");
        inv
    }

    /// The partner joins, bringing `departments` (empty: the whole organization).
    async fn join(&self, departments: &[&str]) -> String {
        let inv = self.invite().await;
        let body = json!({"code": inv["code"], "department_ids": departments});
        let (st, unit) = self.partners[0].post("/api/v1/invitations/accept", body).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        id(&unit)
    }

    async fn remove_unit(&self, unit: &str) {
        let (st, p) = self.admins[0].send(Method::DELETE, &self.path(&format!("/units/{unit}")), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
    }

    /// A partner member in these departments.
    async fn member(&self, login: &str, departments: &[&str]) -> String {
        let body = json!({"name": login, "login": login, "password": PASSWORD, "department_ids": departments});
        let (st, m) = self.partners[0].post(&format!("/api/v1/organizations/{}/members", self.partner), body).await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        id(&m)
    }

    async fn contact(&self, unit: &str, member: &str, role: &str, backup: Option<&str>) -> String {
        let body = json!({"side": "partner", "member_id": member, "role": role, "backup_id": backup});
        let (st, k) = self.partners[0].post(&self.path(&format!("/units/{unit}/contacts")), body).await;
        assert_eq!(st, StatusCode::CREATED, "{k}");
        id(&k)
    }

    fn leave(&self, server: usize, member: &str) -> impl Future<Output = (StatusCode, Value)> + use<> {
        let (c, path) =
            (self.partners[server].clone(), format!("/api/v1/organizations/{}/members/{member}/leave", self.partner));
        async move { c.post(&path, json!({})).await }
    }

    async fn scalar(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query_scalar(sql).bind(bind).fetch_one(self.s.svc.store().pool()).await.unwrap()
    }

    /// Live units of the network.
    async fn units(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM units WHERE network_id = $1 AND status <> 'removed'", &self.net).await
    }

    /// Every contact of a live unit is held and backed by active members, and on the partner's
    /// side by people the unit brings into the network.
    async fn check_contacts(&self, after: &str) {
        let gone = self
            .scalar(
                "SELECT COUNT(*) FROM contacts k JOIN units u ON u.id = k.unit_id JOIN members m \
                 ON m.id = k.member_id OR m.id = k.backup_id WHERE u.network_id = $1 AND u.status <> 'removed' \
                 AND m.status <> 'active'",
                &self.net,
            )
            .await;
        assert_eq!(gone, 0, "{after}: a post is held or backed by someone who left");
        let outside = self
            .scalar(
                "SELECT COUNT(*) FROM contacts k JOIN units u ON u.id = k.unit_id JOIN members m \
                 ON m.id = k.member_id OR m.id = k.backup_id WHERE u.network_id = $1 AND u.status <> 'removed' \
                 AND k.side = 'partner' AND u.brings = 'departments' \
                 AND NOT EXISTS (SELECT 1 FROM member_departments md JOIN unit_departments ud \
                 ON ud.department_id = md.department_id WHERE md.member_id = m.id AND ud.unit_id = u.id)",
                &self.net,
            )
            .await;
        assert_eq!(outside, 0, "{after}: a partner post is held or backed by someone the unit leaves out");
    }
}

/// Fires `a` and `b` at once.
async fn race<A, B>(a: A, b: B) -> ((StatusCode, Value), (StatusCode, Value))
where
    A: Future<Output = (StatusCode, Value)> + Send + 'static,
    B: Future<Output = (StatusCode, Value)> + Send + 'static,
{
    let (a, b) = (tokio::spawn(a), tokio::spawn(b));
    (a.await.unwrap(), b.await.unwrap())
}

fn post(c: &Client, path: &str, body: Value) -> impl Future<Output = (StatusCode, Value)> + use<> {
    let (c, path) = (c.clone(), path.to_owned());
    async move { c.post(&path, body).await }
}

fn send(
    c: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> impl Future<Output = (StatusCode, Value)> + use<> {
    let (c, path) = (c.clone(), path.to_owned());
    async move { c.send(method, &path, body).await }
}

both! {
    async fn one_code_accepted_at_once_makes_one_unit(db) {
        let w = World::new(db).await;
        let (_, other) = w.s.certified_org("Sato Steel", "sato.admin").await;
        let others = [Client { base: w.partners[0].base.clone(), ..other.clone() }, other];
        for round in 0..6 {
            let inv = w.invite().await;
            let accept = json!({"code": inv["code"]});
            // The same organization on both servers, and another one on both.
            let takers = [&w.partners[0], &w.partners[1], &others[0], &others[1]];
            let tasks: Vec<_> =
                takers.iter().map(|c| tokio::spawn(post(c, "/api/v1/invitations/accept", accept.clone()))).collect();
            let mut won = None;
            for (i, t) in tasks.into_iter().enumerate() {
                let (st, body) = t.await.unwrap();
                answered("accept", st, &body);
                if st == StatusCode::CREATED {
                    assert!(won.is_none(), "round {round}: a second acceptance: {body}");
                    won = Some((i, id(&body)));
                } else {
                    // The same refusal as accepting once it was taken.
                    let again = takers[i].post("/api/v1/invitations/accept", accept.clone()).await;
                    assert_eq!(problem(st, &body), problem(again.0, &again.1), "round {round}");
                }
            }
            let (_, unit) = won.expect("one acceptance");
            assert_eq!(w.units().await, 1, "round {round}");
            let (_, list) = w.admins[0].get(&w.path("/invitations?status=accepted")).await;
            let row = list.as_array().unwrap().iter().find(|i| i["id"] == inv["id"]).unwrap().clone();
            assert_eq!(row["unit_id"], json!(unit), "round {round}: {row}");
            w.remove_unit(&unit).await;
        }
    }

    async fn two_codes_accepted_at_once_by_one_organization_make_one_unit(db) {
        let w = World::new(db).await;
        for round in 0..4 {
            let (a, b) = (w.invite().await, w.invite().await);
            let accept = |inv: &Value| json!({"code": inv["code"]});
            let (ra, rb) = race(
                post(&w.partners[0], "/api/v1/invitations/accept", accept(&a)),
                post(&w.partners[1], "/api/v1/invitations/accept", accept(&b)),
            )
            .await;
            answered("accept", ra.0, &ra.1);
            answered("accept", rb.0, &rb.1);
            let ((won, _), (lost, lost_inv, i)) = match (ra.0, rb.0) {
                (StatusCode::CREATED, _) => ((ra, &a), (rb, &b, 1)),
                (_, StatusCode::CREATED) => ((rb, &b), (ra, &a, 0)),
                _ => panic!("round {round}: nobody joined: {ra:?} {rb:?}"),
            };
            assert_eq!(w.units().await, 1, "round {round}: {won:?} {lost:?}");
            // The loser's code is still pending and says what it says once the unit exists.
            let again = w.partners[i].post("/api/v1/invitations/accept", accept(lost_inv)).await;
            assert_eq!(problem(lost.0, &lost.1), problem(again.0, &again.1), "round {round}");
            let path = w.path(&format!("/invitations/{}/revoke", lost_inv["id"].as_str().unwrap()));
            let (st, p) = w.admins[0].post(&path, json!({})).await;
            assert_eq!(st, StatusCode::OK, "round {round}: the losing code stayed pending: {p}");
            w.remove_unit(&id(&won.1)).await;
        }
    }

    async fn a_code_resent_or_revoked_while_accepted_is_answered_once(db) {
        let w = World::new(db).await;
        for round in 0..8 {
            let inv = w.invite().await;
            let accept = json!({"code": inv["code"]});
            let action = if round % 2 == 0 { "resend" } else { "revoke" };
            let path = w.path(&format!("/invitations/{}/{action}", inv["id"].as_str().unwrap()));
            let (ra, rb) = race(
                post(&w.partners[0], "/api/v1/invitations/accept", accept.clone()),
                post(&w.admins[1], &path, json!({})),
            )
            .await;
            answered("accept", ra.0, &ra.1);
            answered(action, rb.0, &rb.1);
            // One of them went first; the other answers as it would have second.
            match (ra.0, rb.0) {
                (StatusCode::CREATED, _) => {
                    let again = w.admins[1].post(&path, json!({})).await;
                    assert_eq!(problem(rb.0, &rb.1), problem(again.0, &again.1), "round {round}: {action} second");
                    assert_eq!(w.units().await, 1, "round {round}");
                    w.remove_unit(&id(&ra.1)).await;
                }
                (_, StatusCode::OK) => {
                    let again = w.partners[0].post("/api/v1/invitations/accept", accept.clone()).await;
                    assert_eq!(problem(ra.0, &ra.1), problem(again.0, &again.1), "round {round}: accept second");
                    assert_eq!(w.units().await, 0, "round {round}: joined with a code that was {action}");
                    if action == "resend" {
                        let path = w.path(&format!("/invitations/{}/revoke", inv["id"].as_str().unwrap()));
                        assert_eq!(w.admins[0].post(&path, json!({})).await.0, StatusCode::OK);
                    }
                }
                _ => panic!("round {round}: neither went through: {ra:?} {rb:?}"),
            }
        }
    }

    async fn departments_chosen_at_once_leave_one_choice(db) {
        let w = World::new(db).await;
        // The admin is in no department: brought in by none of the choices, never a contact.
        let unit = w.join(&[&w.sales]).await;
        let (sales, north, production) = (w.sales.as_str(), w.north.as_str(), w.production.as_str());
        let choices: [Vec<&str>; 5] =
            [vec![sales], vec![production], vec![sales, production], vec![north, production], vec![]];
        let path = w.path(&format!("/units/{unit}/departments"));
        for round in 0..6 {
            let picked: Vec<&Vec<&str>> = (0..4).map(|i| &choices[(round + i * 2) % choices.len()]).collect();
            let mut tasks: Vec<_> = picked
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let body = Some(json!({"department_ids": c}));
                    tokio::spawn(send(&w.partners[i % 2], Method::PUT, &path, body))
                })
                .collect();
            // Meanwhile the partner tries to join again with another code: it is already a unit.
            let code = w.invite().await["code"].clone();
            let again = post(&w.partners[round % 2], "/api/v1/invitations/accept", json!({"code": code}));
            tasks.push(tokio::spawn(again));
            for (i, t) in tasks.into_iter().enumerate() {
                let (st, body) = t.await.unwrap();
                answered("departments", st, &body);
                if i < picked.len() {
                    assert_eq!(st, StatusCode::OK, "round {round}: {body}");
                } else {
                    assert_eq!(st, StatusCode::CONFLICT, "round {round}: {body}");
                    assert!(body["detail"].as_str().unwrap().contains("already a unit"), "{body}");
                }
            }
            // What is stored is one of the choices, with the departments below it.
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT department_id, top FROM unit_departments WHERE unit_id = $1")
                    .bind(&unit)
                    .fetch_all(w.s.svc.store().pool())
                    .await
                    .unwrap();
            let brings: String = sqlx::query_scalar("SELECT brings FROM units WHERE id = $1")
                .bind(&unit)
                .fetch_one(w.s.svc.store().pool())
                .await
                .unwrap();
            let mut tops: Vec<&str> = rows.iter().filter(|r| r.1 == 1).map(|r| r.0.as_str()).collect();
            tops.sort();
            let mut all: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
            all.sort();
            let mut expanded: Vec<&str> = tops.clone();
            if tops.contains(&sales) && !tops.contains(&north) {
                expanded.push(north);
            }
            expanded.sort();
            let chosen = picked.iter().any(|c| {
                let mut c = (*c).clone();
                c.sort();
                c == tops
            });
            assert!(chosen, "round {round}: tops {tops:?} are none of {picked:?}");
            assert_eq!(brings == "departments", !tops.is_empty(), "round {round}: brings {brings} with {rows:?}");
            assert_eq!(all, expanded, "round {round}: rows {rows:?}");
            let (_, view) = w.admins[0].get(&w.path(&format!("/units/{unit}"))).await;
            assert_eq!(view["departments"].as_array().unwrap().len(), tops.len(), "{view}");
        }
    }

    async fn contacts_removed_at_once_leave_one(db) {
        let w = World::new(db).await;
        let unit = w.join(&[]).await;
        let admin_contact: String =
            sqlx::query_scalar("SELECT id FROM contacts WHERE unit_id = $1 AND side = 'partner'")
                .bind(&unit)
                .fetch_one(w.s.svc.store().pool())
                .await
                .unwrap();
        let mut contacts = vec![admin_contact];
        for round in 0..6 {
            let m = w.member(&format!("kato.m{round}"), &[]).await;
            contacts.push(w.contact(&unit, &m, "finance", None).await);
            let path = |k: &str| w.path(&format!("/units/{unit}/contacts/{k}"));
            let (ra, rb) = race(
                send(&w.partners[0], Method::DELETE, &path(&contacts[0]), None),
                send(&w.partners[1], Method::DELETE, &path(&contacts[1]), None),
            )
            .await;
            answered("remove", ra.0, &ra.1);
            answered("remove", rb.0, &rb.1);
            let left = w.scalar("SELECT COUNT(*) FROM contacts WHERE unit_id = $1 AND side = 'partner'", &unit).await;
            assert_eq!(left, 1, "round {round}: {ra:?} {rb:?}");
            // One went; the other is the last contact, as it would be second.
            let (lost, kept) = match (ra.0, rb.0) {
                (StatusCode::NO_CONTENT, _) => (rb, contacts.remove(1)),
                (_, StatusCode::NO_CONTENT) => (ra, contacts.remove(0)),
                _ => panic!("round {round}: neither went: {ra:?} {rb:?}"),
            };
            let again = w.partners[0].send(Method::DELETE, &path(&kept), None).await;
            assert_eq!(problem(lost.0, &lost.1), problem(again.0, &again.1), "round {round}");
            contacts = vec![kept];
        }
    }

    async fn a_contact_named_as_its_member_leaves(db) {
        let w = World::new(db).await;
        let unit = w.join(&[]).await;
        let roles = ["business", "finance", "technical", "legal", "logistics", "other"];
        for (round, role) in roles.iter().enumerate() {
            let x = w.member(&format!("kato.x{round}"), &[]).await;
            // Even rounds name the leaver as the contact, odd rounds as the backup.
            let body = if round % 2 == 0 {
                json!({"side": "partner", "member_id": x, "role": role})
            } else {
                let holder = w.member(&format!("kato.h{round}"), &[]).await;
                json!({"side": "partner", "member_id": holder, "role": role, "backup_id": x})
            };
            let add = post(&w.partners[0], &w.path(&format!("/units/{unit}/contacts")), body);
            let (ra, rb) = race(add, w.leave(1, &x)).await;
            answered("add contact", ra.0, &ra.1);
            answered("leave", rb.0, &rb.1);
            assert!(rb.0.is_success(), "round {round}: {rb:?}");
            w.check_contacts(&format!("round {round}")).await;
        }
    }

    async fn a_holder_and_their_backup_leave_at_once(db) {
        let w = World::new(db).await;
        let unit = w.join(&[]).await;
        let roles = ["business", "finance", "technical", "legal", "logistics"];
        for (round, role) in roles.iter().enumerate() {
            let a = w.member(&format!("kato.a{round}"), &[]).await;
            let b = w.member(&format!("kato.b{round}"), &[]).await;
            w.contact(&unit, &a, role, Some(&b)).await;
            // And the other way round, so each leaver hands a post to the other.
            w.contact(&unit, &b, "other", Some(&a)).await;
            let (ra, rb) = race(w.leave(0, &a), w.leave(1, &b)).await;
            answered("leave", ra.0, &ra.1);
            answered("leave", rb.0, &rb.1);
            assert!(ra.0.is_success() && rb.0.is_success(), "round {round}: {ra:?} {rb:?}");
            w.check_contacts(&format!("round {round}")).await;
        }
    }

    async fn a_post_handed_over_while_the_unit_narrows(db) {
        let w = World::new(db).await;
        let unit = w.join(&[&w.sales, &w.production]).await;
        // A contact who stays in Sales, so the partner's side never runs out.
        let anchor = w.member("kato.anchor", &[&w.sales]).await;
        w.contact(&unit, &anchor, "owner", None).await;
        // The head of Sales works in Production: a successor only while Production is brought.
        let head = w.member("kato.head", &[&w.production]).await;
        let heads = format!("/api/v1/organizations/{}/departments/{}/heads", w.partner, w.sales);
        let (st, p) = w.partners[0].send(Method::PUT, &heads, Some(json!({"member_ids": [head]}))).await;
        assert!(st.is_success(), "{p}");
        let deps = w.path(&format!("/units/{unit}/departments"));
        for round in 0..6 {
            let a = w.member(&format!("kato.a{round}"), &[&w.sales]).await;
            w.contact(&unit, &a, "finance", None).await;
            let (ra, rb) = race(
                w.leave(0, &a),
                send(&w.partners[1], Method::PUT, &deps, Some(json!({"department_ids": [w.sales]}))),
            )
            .await;
            answered("leave", ra.0, &ra.1);
            answered("departments", rb.0, &rb.1);
            assert!(ra.0.is_success(), "round {round}: {ra:?}");
            w.check_contacts(&format!("round {round}")).await;
            // Back to both departments, without the head's post.
            let held: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE unit_id = $1 AND member_id = $2")
                .bind(&unit)
                .bind(&head)
                .fetch_all(w.s.svc.store().pool())
                .await
                .unwrap();
            for k in held {
                let path = w.path(&format!("/units/{unit}/contacts/{k}"));
                let (st, p) = w.partners[0].send(Method::DELETE, &path, None).await;
                assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
            }
            let both = json!({"department_ids": [w.sales, w.production]});
            let (st, p) = w.partners[0].send(Method::PUT, &deps, Some(both)).await;
            assert_eq!(st, StatusCode::OK, "{p}");
        }
    }

    async fn a_unit_edited_as_it_is_removed_stays_removed(db) {
        let w = World::new(db).await;
        for round in 0..10 {
            let unit = w.join(&[]).await;
            let at = w.path(&format!("/units/{unit}"));
            let (edit, removal) = race(
                send(&w.admins[0], Method::PATCH, &at, Some(json!({"tags": [format!("round{round}")]}))),
                send(&w.admins[1], Method::DELETE, &at, None),
            )
            .await;
            answered("edit", edit.0, &edit.1);
            assert_eq!(removal.0, StatusCode::NO_CONTENT, "{}", removal.1);
            assert!(matches!(edit.0, StatusCode::OK | StatusCode::NOT_FOUND), "round {round}: {edit:?}");
            assert_eq!(w.units().await, 0, "round {round}: an edit brought the removed unit back");
        }
    }

    async fn sign_in_failures_count_once_each_on_both_servers(db) {
        let w = World::new(db).await;
        w.member("kato.guessed", &[]).await;
        let body = json!({"login": "kato.guessed", "password": "wrong-password", "name": "guess"});
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let c = Client { token: None, ..w.partners[i % 2].clone() };
                tokio::spawn(post(&c, "/api/v1/tokens", body.clone()))
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let (st, body) = t.await.unwrap();
            answered("sign-in", st, &body);
            statuses.push(st);
        }
        // The limit is five a login: five were checked, every other one throttled.
        let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
        let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!((checked, throttled), (5, 7), "{statuses:?}");
        let right = json!({"login": "kato.guessed", "password": PASSWORD, "name": "right"});
        let (st, _) = Client { token: None, ..w.partners[1].clone() }.post("/api/v1/tokens", right).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    }
}
