//! Adding a person who already has an account (in another organization) invites them: no
//! membership until they accept. Over real HTTP on SQLite and PostgreSQL: invite, accept,
//! decline, cancel, expiry, import, what other tenants and the invited person may see, and two
//! servers racing on one invitation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

/// Acme (which invites, with a Sales department) and Globex, where Kim Park works.
struct World {
    s: TestServer,
    acme: String,
    acme_admin: Client,
    sales: String,
    globex: String,
    /// Kim Park, signed in to Globex.
    kim: Client,
}

impl World {
    async fn new(db: keiretsu_testkit::Db) -> World {
        let s = TestServer::start(db).await;
        let (acme, acme_admin) = s.org("Acme", "acme.admin").await;
        let (globex, globex_admin) = s.org("Globex", "globex.admin").await;
        let (_, kim) = s.member(&globex_admin, &globex, "kim.park").await;
        let (st, sales) =
            acme_admin.post(&format!("/api/v1/organizations/{acme}/departments"), json!({"name": "Sales"})).await;
        assert_eq!(st, StatusCode::CREATED, "{sales}");
        let sales = sales["id"].as_str().unwrap().to_owned();
        World { s, acme, acme_admin, sales, globex, kim }
    }

    fn members(&self) -> String {
        format!("/api/v1/organizations/{}/members", self.acme)
    }

    fn invitations(&self) -> String {
        format!("/api/v1/organizations/{}/member-invitations", self.acme)
    }

    /// Acme's admin adds Kim Park; the answer.
    async fn invite(&self) -> (StatusCode, Value) {
        let body = json!({"name": "Kim Park", "login": "kim.park", "title": "Buyer", "employee_no": "A-7",
            "department_ids": [self.sales]});
        self.acme_admin.post(&self.members(), body).await
    }

    async fn invited(&self) -> String {
        let (st, inv) = self.invite().await;
        assert_eq!(st, StatusCode::ACCEPTED, "{inv}");
        inv["id"].as_str().unwrap().to_owned()
    }

    async fn acme_has_kim(&self) -> bool {
        let (st, page) = self.acme_admin.get(&format!("{}?q=kim&status=active", self.members())).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        !page["items"].as_array().unwrap().is_empty()
    }
}

async fn answer(c: &Client, id: &str, verb: &str) -> (StatusCode, Value) {
    c.send(Method::POST, &format!("/api/v1/me/invitations/{id}/{verb}"), None).await
}

async fn cancel(c: &Client, org: &str, id: &str) -> (StatusCode, Value) {
    c.send(Method::POST, &format!("/api/v1/organizations/{org}/member-invitations/{id}/cancel"), None).await
}

both! {
    async fn an_existing_account_is_invited_and_becomes_a_member_on_accepting(db) {
        let w = World::new(db).await;
        let (st, inv) = w.invite().await;
        assert_eq!(st, StatusCode::ACCEPTED, "an invitation, not a member: {inv}");
        let id = inv["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("minv_"), "{inv}");
        assert_eq!((inv["login"].as_str(), inv["name"].as_str()), (Some("kim.park"), Some("Kim Park")));
        assert_eq!(inv["department_ids"], json!([w.sales]));
        assert_eq!(inv["expires_at"], "2026-12-08T00:00:00Z", "14 days");
        assert!(!w.acme_has_kim().await, "no membership before they accept");
        let (_, open) = w.acme_admin.get(&w.invitations()).await;
        assert_eq!(open.as_array().unwrap().len(), 1, "{open}");

        // Kim sees who asks, as what; none of Acme's members, departments or ids of people.
        let (st, mine) = w.kim.get("/api/v1/me/invitations").await;
        assert_eq!(st, StatusCode::OK, "{mine}");
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["organization_name"], "Acme");
        assert_eq!(mine[0]["title"], "Buyer");
        assert_eq!(mine[0]["invited_by_name"], "Acme Admin");
        assert!(mine[0].get("department_ids").is_none() && mine[0].get("supervisor_id").is_none(), "{mine}");
        let (st, refused) = w.kim.get(&w.members()).await;
        let (_, unknown) = w.kim.get("/api/v1/organizations/org_unknown/members").await;
        assert_eq!(st, StatusCode::NOT_FOUND, "Acme's members stay hidden before accepting: {refused}");
        assert_eq!(refused["detail"], unknown["detail"]);

        let (st, member) = answer(&w.kim, &id, "accept").await;
        assert_eq!(st, StatusCode::CREATED, "{member}");
        assert_eq!((member["name"].as_str(), member["title"].as_str()), (Some("Kim Park"), Some("Buyer")));
        assert_eq!(member["employee_no"], "A-7");
        assert_eq!(member["department_ids"], json!([w.sales]), "the departments the admin chose");
        assert!(w.acme_has_kim().await);

        // Once: a second answer changes nothing.
        let (st, again) = answer(&w.kim, &id, "accept").await;
        assert_eq!((st, again["field"].as_str()), (StatusCode::CONFLICT, Some("invitation_id")), "{again}");
        assert_eq!(w.kim.get("/api/v1/me/invitations").await.1, json!([]));
        assert_eq!(w.acme_admin.get(&w.invitations()).await.1, json!([]));

        // Kim signs in to Acme with their own password, and still to Globex.
        let acme_kim = w.s.client_with(&w.s.token("kim.park", Some(&w.acme)).await);
        assert_eq!(acme_kim.get(&w.members()).await.0, StatusCode::OK);
        w.s.token("kim.park", Some(&w.globex)).await;

        let (_, journal) = w.acme_admin.get("/api/v1/journal?action=member").await;
        let text = journal.to_string();
        for action in ["member.invite", "member.invitation_accept", "member.join"] {
            assert!(text.contains(action), "{action} in {text}");
        }
    }

    async fn a_new_login_still_joins_at_once_and_an_existing_one_gets_no_password(db) {
        let w = World::new(db).await;
        let (st, m) = w.acme_admin.post(&w.members(), json!({"name": "New Hire", "login": "new.hire", "password": PASSWORD})).await;
        assert_eq!(st, StatusCode::CREATED, "{m}");
        assert!(m["id"].as_str().unwrap().starts_with("mem_"));

        let before = w.s.svc.journal().latest_revision().await.unwrap();
        let body = json!({"name": "Kim Park", "login": "kim.park", "password": "taken-over-123"});
        let (st, refused) = w.acme_admin.post(&w.members(), body).await;
        assert_eq!((st, refused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{refused}");
        assert_eq!(w.s.svc.journal().latest_revision().await.unwrap(), before, "nothing changed");
        assert_eq!(w.acme_admin.get(&w.invitations()).await.1, json!([]));
        let (st, _) = w.s.client().post("/api/v1/tokens", json!({"login": "kim.park", "password": "taken-over-123", "name": "x"})).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "the admin's password was not set");

        // One open invitation at a time; a member is not invited.
        w.invited().await;
        let (st, twice) = w.invite().await;
        assert_eq!((st, twice["field"].as_str()), (StatusCode::CONFLICT, Some("login")), "{twice}");
        let (st, member) = w.acme_admin.post(&w.members(), json!({"name": "Again", "login": "new.hire"})).await;
        assert_eq!((st, member["field"].as_str()), (StatusCode::CONFLICT, Some("login")), "{member}");
    }

    async fn a_declined_or_cancelled_invitation_cannot_be_accepted(db) {
        let w = World::new(db).await;
        let id = w.invited().await;
        assert_eq!(answer(&w.kim, &id, "decline").await.0, StatusCode::NO_CONTENT);
        assert_eq!(w.kim.get("/api/v1/me/invitations").await.1, json!([]));
        assert_eq!(w.acme_admin.get(&w.invitations()).await.1, json!([]));
        let (st, late) = answer(&w.kim, &id, "accept").await;
        assert_eq!((st, late["field"].as_str()), (StatusCode::CONFLICT, Some("invitation_id")), "{late}");
        assert!(!w.acme_has_kim().await);

        // Asked again, then taken back by the admin.
        let id = w.invited().await;
        assert_eq!(cancel(&w.acme_admin, &w.acme, &id).await.0, StatusCode::NO_CONTENT);
        assert_eq!(w.kim.get("/api/v1/me/invitations").await.1, json!([]));
        let (st, late) = answer(&w.kim, &id, "accept").await;
        assert_eq!(st, StatusCode::CONFLICT, "{late}");
        let (st, twice) = cancel(&w.acme_admin, &w.acme, &id).await;
        assert_eq!(st, StatusCode::CONFLICT, "{twice}");
        assert!(!w.acme_has_kim().await);
        let (_, journal) = w.acme_admin.get("/api/v1/journal?action=member").await;
        let text = journal.to_string();
        assert!(text.contains("member.invitation_decline") && text.contains("member.invitation_cancel"), "{text}");
    }

    async fn an_invitation_expires_after_fourteen_days(db) {
        let w = World::new(db).await;
        let id = w.invited().await;
        w.s.clock.advance(14 * DAY_MS);
        assert_eq!(w.kim.get("/api/v1/me/invitations").await.1, json!([]));
        assert_eq!(w.acme_admin.get(&w.invitations()).await.1, json!([]));
        let (st, late) = answer(&w.kim, &id, "accept").await;
        assert_eq!((st, late["field"].as_str()), (StatusCode::CONFLICT, Some("invitation_id")), "{late}");
        assert!(!w.acme_has_kim().await);
        // The lapsed one does not block a new one.
        let again = w.invited().await;
        assert_eq!(answer(&w.kim, &again, "accept").await.0, StatusCode::CREATED);
    }

    async fn other_tenants_and_other_people_get_what_an_unknown_id_gets(db) {
        let w = World::new(db).await;
        let id = w.invited().await;
        let (initech, initech_admin) = w.s.org("Initech", "initech.admin").await;
        let (_, plain) = w.s.member(&w.acme_admin, &w.acme, "acme.plain").await;
        let globex_admin = w.s.client_with(&w.s.token("globex.admin", Some(&w.globex)).await);
        let unknown = "minv_unknown";

        let (st, body) = initech_admin.get(&w.invitations()).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
        for (org, who) in [(&w.acme, &initech_admin), (&initech, &initech_admin), (&w.globex, &globex_admin)] {
            let (st, foreign) = cancel(who, org, &id).await;
            let (st2, none) = cancel(who, org, unknown).await;
            assert_eq!((st, &foreign["detail"]), (st2, &none["detail"]), "{foreign} / {none}");
            assert_eq!(st, StatusCode::NOT_FOUND);
        }
        // Anyone but Kim: as unknown as none, for accepting and declining alike.
        for who in [&globex_admin, &initech_admin, &w.acme_admin, &plain] {
            assert_eq!(who.get("/api/v1/me/invitations").await.1, json!([]));
            for verb in ["accept", "decline"] {
                let (st, foreign) = answer(who, &id, verb).await;
                let (_, none) = answer(who, unknown, verb).await;
                assert_eq!(st, StatusCode::NOT_FOUND, "{verb}: {foreign}");
                assert_eq!(foreign, none, "{verb}");
            }
        }
        // A plain member of Acme may neither list nor cancel.
        assert_eq!(plain.get(&w.invitations()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(cancel(&plain, &w.acme, &id).await.0, StatusCode::FORBIDDEN);
        // Still open for Kim.
        assert_eq!(answer(&w.kim, &id, "accept").await.0, StatusCode::CREATED);
    }

    async fn an_import_invites_existing_accounts_once(db) {
        let w = World::new(db).await;
        let csv = "employee_no,name,login,title,department\nA-1,Lee Ming,lee.ming,Clerk,Sales\nA-2,Kim Park,kim.park,Buyer,Sales\n";
        let import = async || {
            let res = w.acme_admin.http.post(format!("{}/api/v1/organizations/{}/members/import", w.s.base, w.acme))
                .bearer_auth(w.acme_admin.token.as_ref().unwrap()).header("content-type", "text/csv").body(csv)
                .send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        };
        let report = import().await;
        assert_eq!(report["created"], 1, "{report}");
        assert_eq!(report["invited"].as_array().unwrap().len(), 1, "{report}");
        assert_eq!((report["invited"][0]["line"].as_i64(), report["invited"][0]["login"].as_str()), (Some(3), Some("kim.park")));
        assert!(!w.acme_has_kim().await);
        let again = import().await;
        assert_eq!((again["created"].as_i64(), again["invited"].as_array().unwrap().len()), (Some(0), 0), "{again}");
        let (_, open) = w.acme_admin.get(&w.invitations()).await;
        assert_eq!(open.as_array().unwrap().len(), 1, "{open}");

        let (_, mine) = w.kim.get("/api/v1/me/invitations").await;
        let (st, member) = answer(&w.kim, mine[0]["id"].as_str().unwrap(), "accept").await;
        assert_eq!(st, StatusCode::CREATED, "{member}");
        assert_eq!((member["employee_no"].as_str(), member["department_ids"].clone()), (Some("A-2"), json!([w.sales])));
    }

    async fn two_servers_accepting_or_cancelling_at_once_give_one_outcome(db) {
        let w = World::new(db).await;
        let twin = w.s.twin().await;
        let on_twin = |c: &Client| Client { base: twin.clone(), ..c.clone() };
        let admins = [w.acme_admin.clone(), on_twin(&w.acme_admin)];
        let globex_admin = w.s.client_with(&w.s.token("globex.admin", Some(&w.globex)).await);
        for round in 0..6 {
            // A person of Globex per round, signed in on both servers, invited by Acme.
            let login = format!("racer.{round}");
            let (_, person) = w.s.member(&globex_admin, &w.globex, &login).await;
            let people = [person.clone(), on_twin(&person)];
            let (st, inv) = admins[round % 2].post(&w.members(), json!({"name": login, "login": login})).await;
            assert_eq!(st, StatusCode::ACCEPTED, "{inv}");
            let id = inv["id"].as_str().unwrap().to_owned();
            let accepted = if round < 3 {
                // The person accepts on both servers at once: one membership.
                let (a, b) = tokio::join!(answer(&people[0], &id, "accept"), answer(&people[1], &id, "accept"));
                let mut statuses = [a.0, b.0];
                statuses.sort();
                assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{a:?} {b:?}");
                true
            } else {
                // Accepting on one server while the admin cancels on the other: one of the two.
                let (a, c) = tokio::join!(answer(&people[round % 2], &id, "accept"), cancel(&admins[(round + 1) % 2], &w.acme, &id));
                assert!(!a.0.is_server_error() && !c.0.is_server_error(), "{a:?} {c:?}");
                let accepted = a.0 == StatusCode::CREATED;
                assert_ne!(accepted, c.0 == StatusCode::NO_CONTENT, "exactly one wins: {a:?} {c:?}");
                accepted
            };
            let (_, page) = w.acme_admin.get(&format!("{}?q={login}", w.members())).await;
            let found = page["items"].as_array().unwrap().len();
            assert_eq!(found, usize::from(accepted), "{page}");
            assert_eq!(w.acme_admin.get(&w.invitations()).await.1, json!([]), "nothing left open");
        }
    }
}
