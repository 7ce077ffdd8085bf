//! Approvals against a reference model, on SQLite and PostgreSQL: random templates and random
//! sequences of actions by random people (approve, reject, return, resubmit, withdraw, transfer,
//! add a co-approver, comment, a departure, hours passing under the clock's sweep) go through the
//! real service and through the domain's instance on its own. After every step the two agree on
//! the state, the step and who may act; nobody approves their own request, nobody who left
//! holds a task, and a finished request was decided exactly once in the journal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keiretsu_domain::approval::{Approvers, Condition, HOUR, Instance, Mode, Node, State, Target, Template};
use keiretsu_domain::ids::{AppId, ApprovalId, MemberId, OrgId};
use keiretsu_service::Caller;
use keiretsu_service::approvals::{Action, InboxKind, InboxQuery, InstanceView};
use keiretsu_testkit::{Client, PASSWORD, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A small deterministic generator: the same seed walks the same path on both databases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Person {
    id: String,
    caller: Caller,
}

struct World {
    s: TestServer,
    admin_client: Client,
    backbone: OrgId,
    app: AppId,
    admin: Person,
    /// Backbone members a template may name; some leave along the way.
    staff: Vec<Person>,
    contact: Person,
    submitter: Person,
}

async fn caller(s: &TestServer, login: &str) -> Caller {
    let session = s.svc.identity().login(login, PASSWORD, "test").await.unwrap();
    s.svc.identity().session(&session.secret).await.unwrap().unwrap().caller
}

async fn person(s: &TestServer, login: &str) -> Person {
    let caller = caller(s, login).await;
    Person { id: caller.acting().unwrap().member.to_string(), caller }
}

async fn world(s: TestServer) -> World {
    let (backbone, admin_client) = s.backbone("Mori Works", "mori.admin").await;
    for login in ["mori.a", "mori.b", "mori.c"] {
        s.member(&admin_client, &backbone, login).await;
    }
    let (_, net) = admin_client.post("/api/v1/networks", json!({"name": "Suppliers"})).await;
    let net = net["id"].as_str().unwrap().to_owned();
    let (_, inv) = admin_client
        .post(
            &format!("/api/v1/networks/{net}/invitations"),
            json!({"partner_name": "Sato Parts", "partner_type": "supplier", "tier": "a"}),
        )
        .await;
    let (org, partner_admin) = s.certified_org("Sato Parts", "sato.admin").await;
    let (_, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
    let (member, _) = s.member(&partner_admin, &org, "sato.staff").await;
    let (st, _) = admin_client
        .post(
            &format!("/api/v1/organizations/{backbone}/seats/enable"),
            json!({"unit_id": unit["id"], "member_ids": [member]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let fields = json!([{"key": "amount", "label": "Amount", "kind": "money", "required": true}]);
    let (_, app) = admin_client.post("/api/v1/apps", json!({"name": "Orders", "fields": fields})).await;
    let app = app["id"].as_str().unwrap().to_owned();
    let (st, _) = admin_client
        .send(
            Method::PUT,
            &format!("/api/v1/apps/{app}/publications/{net}"),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}})),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let mut staff = Vec::new();
    for login in ["mori.a", "mori.b", "mori.c"] {
        staff.push(person(&s, login).await);
    }
    World {
        admin: person(&s, "mori.admin").await,
        contact: person(&s, "sato.admin").await,
        submitter: person(&s, "sato.staff").await,
        staff,
        s,
        admin_client,
        backbone: OrgId::parse(&backbone).unwrap(),
        app: AppId::parse(&app).unwrap(),
    }
}

fn template(rng: &mut Rng, staff: &[Person]) -> Template {
    let nodes = (0..1 + rng.below(3))
        .map(|i| {
            let approvers = match rng.below(4) {
                0 => {
                    let mut ids: Vec<String> = staff.iter().filter(|_| rng.chance(60)).map(|p| p.id.clone()).collect();
                    if ids.is_empty() {
                        ids.push(staff[rng.below(staff.len())].id.clone());
                    }
                    Approvers::Members { member_ids: ids }
                }
                1 => Approvers::BackboneOwner,
                2 => Approvers::UnitContact,
                _ => Approvers::ApprovalAdmin,
            };
            let remind = rng.chance(50).then(|| 1 + rng.below(3) as u32);
            Node {
                name: format!("Step {i}"),
                approvers: vec![approvers],
                mode: [Mode::Any, Mode::All, Mode::Sequence][rng.below(3)],
                when: if rng.chance(30) {
                    vec![Condition::Field { filter: format!("amount:gt:{}", [100, 500][rng.below(2)]) }]
                } else {
                    Vec::new()
                },
                copy_to: Vec::new(),
                remind_after_hours: remind,
                escalate_after_hours: rng.chance(50).then(|| remind.unwrap_or(0) + 1 + rng.below(3) as u32),
            }
        })
        .collect();
    Template { nodes, copy_to: Vec::new() }
}

fn holders(i: &Instance) -> Vec<String> {
    i.open_tasks().into_iter().map(|t| t.member).collect()
}

async fn view(w: &World, id: &ApprovalId) -> InstanceView {
    w.s.svc.approvals().instance(&w.admin.caller, id).await.unwrap()
}

/// One round: a fresh template version, one order, then `steps` random actions.
async fn round(w: &World, rng: &mut Rng, departed: &mut Vec<String>, steps: usize) {
    let s = &w.s;
    let active: Vec<&Person> = w.staff.iter().filter(|p| !departed.contains(&p.id)).collect();
    if active.is_empty() {
        return;
    }
    let t = template(rng, &w.staff);
    // A template naming only people who left is refused at publication; try another round.
    if s.svc.approvals().put_template(&w.admin.caller, &w.app, &t).await.is_err() {
        return;
    }
    s.clock.advance(1_000);
    let amount = format!("{}.00", 50 + rng.below(900));
    let input = serde_json::from_value(json!({"values": {"amount": amount}})).unwrap();
    s.svc.forms().submit(&w.submitter.caller, &w.app, &input).await.unwrap();
    let q = InboxQuery { inbox: InboxKind::Submitted, limit: Some(1), ..Default::default() };
    let newest = s.svc.approvals().inbox(&w.submitter.caller, &q).await.unwrap().items.remove(0);
    let id = ApprovalId::parse(&newest.id).unwrap();
    let first = view(w, &id).await;
    let (mut model, opened) = Instance::start(&w.submitter.id, first.plan.clone()).unwrap();
    model.record(s.svc.now(), &w.submitter.id, &opened);
    let admins = vec![w.admin.id.clone()];
    let everyone: Vec<&Person> = w.staff.iter().chain([&w.admin, &w.contact, &w.submitter]).collect();
    for step in 0..steps {
        // Mostly someone the request waits for, so it moves; sometimes anyone, to be refused.
        let waiting: Vec<&Person> = everyone.iter().copied().filter(|p| holders(&model).contains(&p.id)).collect();
        let actor = if !waiting.is_empty() && rng.chance(70) {
            waiting[rng.below(waiting.len())]
        } else {
            everyone[rng.below(everyone.len())]
        };
        let target = everyone[rng.below(everyone.len())];
        let choice = rng.below(11);
        let (what, service, expected) = match choice {
            0..=2 => {
                ("approve", s.svc.approvals().act(&actor.caller, &id, &Action::Approve).await, model.approve(&actor.id))
            }
            3 => {
                let a = Action::Reject { reason: "no".into() };
                ("reject", s.svc.approvals().act(&actor.caller, &id, &a).await, model.reject(&actor.id, "no"))
            }
            4 => {
                let to = if rng.chance(50) { Target::Submitter } else { Target::Step { step: 0 } };
                let a = Action::Return { to, reason: "fix".into() };
                ("return", s.svc.approvals().act(&actor.caller, &id, &a).await, model.send_back(&actor.id, to, "fix"))
            }
            5 => {
                let done = s.svc.approvals().act(&w.submitter.caller, &id, &Action::Resubmit).await;
                // The service plans again for who is still there; the model takes that plan.
                let plan = view(w, &id).await.plan;
                ("resubmit", done, model.resubmit(&w.submitter.id, plan))
            }
            6 => (
                "withdraw",
                s.svc.approvals().act(&actor.caller, &id, &Action::Withdraw).await,
                model.withdraw(&actor.id),
            ),
            7 | 8 if departed.contains(&target.id) => continue,
            7 => {
                let a = Action::Transfer { member_id: MemberId::parse(&target.id).unwrap() };
                ("transfer", s.svc.approvals().act(&actor.caller, &id, &a).await, model.transfer(&actor.id, &target.id))
            }
            8 => {
                let before = rng.chance(50);
                let a = Action::AddApprover { member_id: MemberId::parse(&target.id).unwrap(), before };
                let expected = model.add_approver(&actor.id, &target.id, before);
                ("add", s.svc.approvals().act(&actor.caller, &id, &a).await, expected)
            }
            9 => {
                // Now and then a backbone member leaves (one always stays); their places move to
                // the approval admin.
                let staying = w.staff.iter().filter(|p| !departed.contains(&p.id)).count();
                if staying < 2 || !rng.chance(20) {
                    continue;
                }
                let Some(gone) = w.staff.iter().find(|p| !departed.contains(&p.id)) else { continue };
                departed.push(gone.id.clone());
                let member = MemberId::parse(&gone.id).unwrap();
                s.svc.directory().leave(&w.admin.caller, &w.backbone, &member).await.unwrap();
                let events = model.depart(&gone.id, &admins);
                model.record(s.svc.now(), &gone.id, &events);
                let v = view(w, &id).await;
                assert_eq!((v.state, v.waiting_for.clone()), (model.state, holders(&model)), "after {} left", gone.id);
                continue;
            }
            _ => {
                s.clock.advance(HOUR * (1 + rng.below(3)) as i64);
                let now = s.svc.now();
                s.svc.approvals().sweep().await.unwrap();
                let events = model.tick(now, &admins);
                model.record(now, "system", &events);
                let v = view(w, &id).await;
                assert_eq!(
                    (v.state, v.step, v.waiting_for.clone()),
                    (model.state, model.step, holders(&model)),
                    "after the clock"
                );
                continue;
            }
        };
        match (&service, &expected) {
            (Ok(_), Ok(events)) => model.record(s.svc.now(), &actor.id, events),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "step {step}: {what} by {} disagrees: service {:?}, model {:?}",
                actor.id,
                service.as_ref().map(|v| v.state),
                expected.map(|_| model.state)
            ),
        }
        let v = view(w, &id).await;
        assert_eq!(
            (v.state, v.step, v.waiting_for.clone()),
            (model.state, model.step, holders(&model)),
            "step {step}: after {what} by {}",
            actor.id
        );
        assert!(!v.waiting_for.contains(&w.submitter.id), "the submitter never holds a task");
        assert!(v.waiting_for.iter().all(|m| !departed.contains(m)), "nobody who left holds a task");
    }
    // A finished request was decided once; a running one not yet.
    let (_, entries) = w.admin_client.get(&format!("/api/v1/journal?target={id}&limit=200")).await;
    let finished = entries["items"].as_array().unwrap().iter().filter(|e| e["action"] == "approval.finish").count();
    assert_eq!(finished, usize::from(model.state.is_final()), "{id} ended {:?}", model.state);
    if model.state == State::Approved {
        let passed = entries["items"].as_array().unwrap().iter().filter(|e| e["action"] == "approval.pass").count();
        assert!(passed >= model.plan.steps.len(), "every step passed");
    }
}

both! {
    async fn random_actions_through_the_service_agree_with_the_model(db) {
        let w = world(TestServer::start(db).await).await;
        let mut departed = Vec::new();
        for seed in 1..=20u64 {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
            round(&w, &mut rng, &mut departed, 30).await;
        }
    }
}
