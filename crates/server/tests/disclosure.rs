//! The explaining routes (`check`, `usable`) never tell one tenant about another's people, on
//! SQLite and PostgreSQL. An app admin asking about a member they cannot see (another
//! organization's, a partner's staff their networks do not bring in, someone who left a
//! partner) gets exactly the answer an unknown id gets; and over random worlds no answer to an
//! admin carries an id of an organization, network, unit or member outside that admin's sight.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use keiretsu_testkit::{Client, TestServer, both};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const UNKNOWN: &str = "mem_00000000000000000000000000";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("an id in {v}")).to_owned()
}

/// One organization of a random world: a backbone with a network and an app published to all
/// of its units, or only a partner.
struct Org {
    id: String,
    admin: Client,
    network: String,
    app: String,
    /// `(member, still active)`.
    members: Vec<(String, bool)>,
    /// `(unit, backbone organization it is a unit of)`.
    units: Vec<(String, usize)>,
}

async fn org(s: &TestServer, i: usize) -> Org {
    let (id_, admin) = s.backbone(&format!("Org {i}"), &format!("org{i}.admin")).await;
    let (st, net) = admin.post("/api/v1/networks", json!({"name": format!("Network {i}")})).await;
    assert_eq!(st, StatusCode::CREATED, "{net}");
    let (st, app) = admin.post("/api/v1/apps", json!({"name": format!("App {i}")})).await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    let (network, app) = (id(&net), id(&app));
    let (st, p) = admin
        .send(
            Method::PUT,
            &format!("/api/v1/apps/{app}/publications/{network}"),
            Some(json!({"audience": {"kind": "all_units"}})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{p}");
    Org { id: id_, admin, network, app, members: Vec::new(), units: Vec::new() }
}

/// Both explaining routes as `who` asks them about `member`.
async fn explain(who: &Org, member: &str) -> [(StatusCode, Value); 2] {
    [
        who.admin.get(&format!("/api/v1/apps/{}/check?member_id={member}", who.app)).await,
        who.admin.get(&format!("/api/v1/apps/usable?member_id={member}")).await,
    ]
}

both! {
    async fn a_member_out_of_sight_is_an_unknown_id(db) {
        let s = TestServer::start(db).await;
        let mut a = org(&s, 1).await;
        let b = org(&s, 2).await;
        let (partner, partner_admin) = s.certified_org("Kato Metals", "kato.admin").await;
        // Kato is a unit of A's network only.
        let (_, inv) = a.admin.post(&format!("/api/v1/networks/{}/invitations", a.network),
            json!({"partner_name": "Kato", "partner_type": "supplier", "tier": "a"})).await;
        let (st, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
        assert_eq!(st, StatusCode::CREATED, "{unit}");
        let (kato_staff, _) = s.member(&partner_admin, &partner, "kato.staff").await;
        let (a_staff, _) = s.member(&a.admin, &a.id, "a.staff").await;
        let (a_leaver, _) = s.member(&a.admin, &a.id, "a.leaver").await;
        let (st, _) = a.admin.post(&format!("/api/v1/organizations/{}/members/{a_leaver}/leave", a.id), json!({})).await;
        assert_eq!(st, StatusCode::OK);
        let (b_staff, _) = s.member(&b.admin, &b.id, "b.staff").await;
        a.members.push((a_staff.clone(), true));

        // B's admin knows nothing of A's people or of A's partner's: each is an unknown id,
        // status and body alike.
        let unknown = explain(&b, UNKNOWN).await;
        assert_eq!(unknown[0].0, StatusCode::NOT_FOUND, "{:?}", unknown[0]);
        assert_eq!(unknown[1].0, StatusCode::NOT_FOUND, "usable answers 404, not an empty list: {:?}", unknown[1]);
        for stranger in [&a_staff, &a_leaver, &kato_staff] {
            assert_eq!(explain(&b, stranger).await, unknown, "{stranger}");
        }
        // Their own member, and A's partner's staff for A, are answered.
        let [(st, d), (su, u)] = explain(&b, &b_staff).await;
        assert_eq!((st, su), (StatusCode::OK, StatusCode::OK), "{d} {u}");
        let [(st, d), _] = explain(&a, &kato_staff).await;
        assert_eq!(st, StatusCode::OK, "{d}");
        assert!(d["reasons"].to_string().contains(&id(&unit)), "A sees its own unit named: {d}");
        // A's own leaver stays known to A (the directory lists them), as someone who left.
        let [(st, d), _] = explain(&a, &a_leaver).await;
        assert_eq!(st, StatusCode::OK, "{d}");
        assert_eq!(d["allowed"], false);
    }

    async fn no_answer_carries_an_id_out_of_the_askers_sight(db) {
        let s = TestServer::start(db).await;
        let mut rng = StdRng::seed_from_u64(0xd15c);
        for world in 0..2 {
            let mut orgs = Vec::new();
            for i in 0..3 {
                orgs.push(org(&s, world * 10 + i).await);
            }
            // Random partnerships: each organization joins each other's network with a chance.
            for host in 0..orgs.len() {
                for guest in 0..orgs.len() {
                    if host == guest || !rng.random_bool(0.5) {
                        continue;
                    }
                    let (_, inv) = orgs[host].admin.post(&format!("/api/v1/networks/{}/invitations", orgs[host].network),
                        json!({"partner_name": format!("Guest {guest}"), "partner_type": "supplier", "tier": "a"})).await;
                    let (st, unit) = orgs[guest].admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
                    assert_eq!(st, StatusCode::CREATED, "{unit}");
                    orgs[guest].units.push((id(&unit), host));
                }
            }
            for (i, o) in orgs.iter_mut().enumerate() {
                for k in 0..3 {
                    let (m, _) = s.member(&o.admin, &o.id, &format!("w{world}o{i}m{k}")).await;
                    let active = !rng.random_bool(0.3);
                    if !active {
                        let (st, _) = o.admin.post(&format!("/api/v1/organizations/{}/members/{m}/leave", o.id), json!({})).await;
                        assert_eq!(st, StatusCode::OK);
                    }
                    o.members.push((m, active));
                }
            }
            // What each asker may see, by the plain rule: its own organization, its own network
            // and units, and the active members of the organizations that are its units.
            for (x, asker) in orgs.iter().enumerate() {
                let guests: BTreeSet<usize> =
                    (0..orgs.len()).filter(|g| orgs[*g].units.iter().any(|(_, host)| *host == x)).collect();
                let mut foreign = Vec::new();
                for (g, o) in orgs.iter().enumerate() {
                    if g != x && !guests.contains(&g) {
                        foreign.push(o.id.clone());
                    }
                    if g != x {
                        foreign.push(o.network.clone());
                    }
                    foreign.extend(o.units.iter().filter(|(_, host)| *host != x).map(|(u, _)| u.clone()));
                    if g != x {
                        let hidden = o.members.iter().filter(|(_, active)| !guests.contains(&g) || !active);
                        foreign.extend(hidden.map(|(m, _)| m.clone()));
                    }
                }
                let unknown = explain(asker, UNKNOWN).await;
                for (g, o) in orgs.iter().enumerate() {
                    for (m, active) in &o.members {
                        let seen = g == x || (guests.contains(&g) && *active);
                        let answers = explain(asker, m).await;
                        if !seen {
                            assert_eq!(answers, unknown, "org {x} asking about {m} of org {g}");
                            continue;
                        }
                        for (st, body) in &answers {
                            assert_eq!(*st, StatusCode::OK, "org {x} asking about {m} of org {g}: {body}");
                            let text = body.to_string();
                            for f in &foreign {
                                assert!(!text.contains(f.as_str()), "org {x} learned {f} asking about {m}: {text}");
                            }
                        }
                    }
                }
            }
        }
    }
}
