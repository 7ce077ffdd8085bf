//! A model-based property test of the seat pool: random sequences of authorize, freeze, leave,
//! rejoin, edition change, auto-authorization switch and first visit, run against the real
//! service and database, checked after every step against a small reference model written
//! from seed 001 §3.3 independently of the domain code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::ids::{MemberId, OrgId};
use keiretsu_domain::license::SeatStatus;
use keiretsu_service::directory::{NewMember, NewOrg};
use keiretsu_service::identity::NewToken;
use keiretsu_service::license::{AutoChange, LicenseChange, SeatQuery, SeatSelection};
use keiretsu_service::{Caller, Service};
use keiretsu_testkit::{Db, TestServer};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const MEMBERS: usize = 6;

/// `(edition, seats)`: two seat-limited editions and two unlimited ones (one of them trial).
const EDITIONS: [(&str, Option<i64>); 4] =
    [("standard", Some(3)), ("light", Some(5)), ("professional", None), ("trial", None)];

#[derive(Clone, Debug)]
enum Op {
    Authorize(usize),
    Freeze(usize),
    Leave(usize),
    Rejoin(usize),
    Visit(usize),
    Edition(usize),
    Auto(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let m = 0..MEMBERS;
    prop_oneof![
        2 => m.clone().prop_map(Op::Authorize),
        1 => m.clone().prop_map(Op::Freeze),
        1 => m.clone().prop_map(Op::Leave),
        1 => m.clone().prop_map(Op::Rejoin),
        3 => m.prop_map(Op::Visit),
        1 => (0..EDITIONS.len()).prop_map(Op::Edition),
        1 => any::<bool>().prop_map(Op::Auto),
    ]
}

/// The reference: what the seed says, in the plainest terms.
#[derive(Clone, Debug)]
struct Model {
    edition: usize,
    auto_on: bool,
    auto_by_admin: bool,
    active: [bool; MEMBERS],
    status: [SeatStatus; MEMBERS],
}

impl Model {
    fn purchased(&self) -> Option<i64> {
        EDITIONS[self.edition].1
    }
    fn assigned(&self) -> i64 {
        self.status.iter().filter(|s| **s == SeatStatus::Enabled).count() as i64
    }
    fn room(&self) -> bool {
        self.purchased().is_none_or(|p| self.assigned() < p)
    }
    fn edition_default(edition: usize) -> bool {
        // Unlimited editions start with auto-authorization on; trial keeps it on.
        EDITIONS[edition].1.is_none()
    }

    /// Applies `op`; `false` when the real system must refuse it (and change nothing).
    fn apply(&mut self, op: &Op) -> bool {
        match *op {
            Op::Authorize(i) => {
                if !self.active[i] {
                    return false;
                }
                if self.status[i] != SeatStatus::Enabled {
                    if !self.room() {
                        return false;
                    }
                    self.status[i] = SeatStatus::Enabled;
                }
                true
            }
            Op::Freeze(i) => {
                if !self.active[i] {
                    return false;
                }
                self.status[i] = SeatStatus::Frozen;
                true
            }
            Op::Leave(i) => {
                if !self.active[i] {
                    return false;
                }
                // A departure returns the seat and forgets the standing.
                self.active[i] = false;
                self.status[i] = SeatStatus::Never;
                true
            }
            Op::Rejoin(i) => {
                if self.active[i] {
                    return false;
                }
                self.active[i] = true;
                true
            }
            Op::Visit(i) => {
                if !self.active[i] {
                    return false;
                }
                // Only a first visit counts: authorized if auto is on and the pool has room,
                // otherwise listed as not authorized.
                if self.status[i] == SeatStatus::Never {
                    self.status[i] =
                        if self.auto_on && self.room() { SeatStatus::Enabled } else { SeatStatus::Unauthorized };
                }
                true
            }
            Op::Edition(e) => {
                if EDITIONS[e].1.is_some_and(|p| p < self.assigned()) {
                    return false;
                }
                self.edition = e;
                if EDITIONS[e].0 == "trial" {
                    self.auto_on = true;
                } else if !self.auto_by_admin {
                    self.auto_on = Self::edition_default(e);
                }
                true
            }
            Op::Auto(on) => {
                if EDITIONS[self.edition].0 == "trial" && !on {
                    return false;
                }
                self.auto_on = on;
                self.auto_by_admin = true;
                true
            }
        }
    }
}

struct World {
    org: OrgId,
    members: Vec<MemberId>,
    logins: Vec<String>,
}

async fn world(svc: &Service, case: u64) -> World {
    let org = svc
        .directory()
        .create_org(
            &Caller::System,
            &NewOrg {
                name: format!("Model {case}"),
                certification: None,
                admin_login: format!("model{case}.admin"),
                admin_name: "Admin".into(),
                admin_password: Some(keiretsu_testkit::PASSWORD.into()),
            },
        )
        .await
        .unwrap();
    let org = OrgId::parse(&org.id).unwrap();
    let license = LicenseChange { edition: EDITIONS[0].0.into(), seats: EDITIONS[0].1 };
    svc.license().set_license(&Caller::System, &org, &license).await.unwrap();
    let mut members = Vec::new();
    let mut logins = Vec::new();
    for i in 0..MEMBERS {
        let login = format!("model{case}.m{i}");
        let input = NewMember { name: format!("Member {i}"), login: login.clone(), ..Default::default() };
        let m = svc.directory().add_member(&Caller::System, &org, &input).await.unwrap().member().unwrap();
        members.push(MemberId::parse(&m.id).unwrap());
        logins.push(login);
    }
    World { org, members, logins }
}

async fn run(svc: &Service, w: &World, op: &Op) -> bool {
    let sys = Caller::System;
    let one = |i: usize| SeatSelection { member_ids: vec![w.members[i].to_string()], ..Default::default() };
    match *op {
        Op::Authorize(i) => svc.license().set_seats(&sys, &w.org, &one(i), true).await.is_ok(),
        Op::Freeze(i) => svc.license().set_seats(&sys, &w.org, &one(i), false).await.is_ok(),
        Op::Leave(i) => svc.directory().leave(&sys, &w.org, &w.members[i]).await.is_ok(),
        Op::Rejoin(i) => svc.directory().rejoin(&sys, &w.org, &w.members[i]).await.is_ok(),
        Op::Visit(i) => match svc.identity().caller_for_login(&sys, &w.logins[i], Some(&w.org)).await {
            Ok(caller) if caller.acting().is_some() => svc
                .identity()
                .create_token(&caller, &NewToken { name: "visit".into(), expires_in_days: Some(1) })
                .await
                .is_ok(),
            _ => false,
        },
        Op::Edition(e) => {
            let change = LicenseChange { edition: EDITIONS[e].0.into(), seats: EDITIONS[e].1 };
            svc.license().set_license(&sys, &w.org, &change).await.is_ok()
        }
        Op::Auto(on) => svc.license().set_auto_authorize(&sys, &w.org, &AutoChange { on }).await.is_ok(),
    }
}

async fn check(svc: &Service, w: &World, model: &Model, step: &str) {
    let license = svc.license().get(&Caller::System, &w.org).await.unwrap();
    assert_eq!(license.counts.assigned, model.assigned(), "{step}: assigned");
    let by_org: i64 = license.usage.iter().map(|u| u.assigned).sum();
    assert_eq!(by_org, model.assigned(), "{step}: the breakdown adds up");
    assert_eq!(license.counts.purchased, model.purchased(), "{step}: purchased");
    assert_eq!(license.auto_authorize, model.auto_on, "{step}: auto");
    assert_eq!(license.edition.key, EDITIONS[model.edition].0, "{step}: edition");
    let page = svc
        .license()
        .seats(&Caller::System, &w.org, &SeatQuery { limit: Some(200), ..Default::default() })
        .await
        .unwrap();
    for (i, m) in w.members.iter().enumerate() {
        let listed = page.items.iter().find(|s| s.member_id == m.as_str());
        match listed {
            Some(s) => {
                assert!(model.active[i], "{step}: member {i} listed while gone");
                assert_eq!(s.status, model.status[i], "{step}: member {i}");
            }
            None => assert!(!model.active[i], "{step}: member {i} missing from the list"),
        }
    }
}

fn model_test(db: Db, cases: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let s = rt.block_on(TestServer::start(db));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let case = std::sync::atomic::AtomicU64::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(async {
                let w = world(&s.svc, case).await;
                let mut model = Model {
                    edition: 0,
                    auto_on: false,
                    auto_by_admin: false,
                    active: [true; MEMBERS],
                    status: [SeatStatus::Never; MEMBERS],
                };
                check(&s.svc, &w, &model, "start").await;
                for (n, op) in ops.iter().enumerate() {
                    let mut next = model.clone();
                    let allowed = next.apply(op);
                    let done = run(&s.svc, &w, op).await;
                    assert_eq!(done, allowed, "step {n} {op:?}: the system and the model disagree on refusing it");
                    if allowed {
                        model = next;
                    }
                    check(&s.svc, &w, &model, &format!("after step {n} {op:?}")).await;
                }
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn seat_pool_matches_the_model_on_sqlite() {
    model_test(Db::Sqlite, 24);
}

#[test]
fn seat_pool_matches_the_model_on_postgres() {
    model_test(Db::Postgres, 8);
}
