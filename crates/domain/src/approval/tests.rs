//! Approval templates, plans and instances: examples first, then random runs of actions over
//! random templates checked against what must always hold.

#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::form::Values;

fn schema() -> Schema {
    serde_json::from_value(json!({"fields": [
        {"key": "amount", "label": "Amount", "kind": "money"},
        {"key": "region", "label": "Region", "kind": "single_choice", "options": ["North", "South"]},
        {"key": "reviewer", "label": "Reviewer", "kind": "member"},
        {"key": "note", "label": "Note", "kind": "text"},
    ]}))
    .unwrap()
}

fn values(v: Value) -> Values {
    Values::from_trusted(serde_json::from_value(v).unwrap())
}

fn node(name: &str, approvers: Vec<Approvers>) -> Node {
    Node {
        name: name.into(),
        approvers,
        mode: Mode::Any,
        when: Vec::new(),
        copy_to: Vec::new(),
        remind_after_hours: None,
        escalate_after_hours: None,
    }
}

fn members(ids: &[&str]) -> Approvers {
    Approvers::Members { member_ids: ids.iter().map(|s| (*s).to_owned()).collect() }
}

/// A backbone member `mem_sub` with a head, two supervisors and one approval admin.
fn facts() -> Facts {
    Facts {
        submitter: "mem_sub".into(),
        department_heads: vec!["mem_head".into()],
        supervisors: vec!["mem_boss".into(), "mem_bigboss".into()],
        approval_admins: vec!["mem_admin".into()],
        values: values(json!({"amount": "12000.00", "region": "North", "reviewer": "mem_rev"})),
        ..Default::default()
    }
}

fn purchase() -> Template {
    let mut finance = node("Finance", vec![Approvers::Scope { scope: Scope::License }]);
    finance.when = vec![Condition::Field { filter: "amount:gt:10000".into() }];
    Template {
        nodes: vec![
            node("Manager", vec![Approvers::Supervisor { levels: 1 }]),
            finance,
            node("Reviewer", vec![Approvers::Field { key: "reviewer".into() }]),
        ],
        copy_to: vec![Approvers::DepartmentHead],
    }
}

fn check_error(t: &Template) -> String {
    t.check(&schema()).unwrap_err().to_string()
}

#[test]
fn templates_are_checked_against_their_form_and_name_the_path() {
    assert!(purchase().check(&schema()).is_ok());
    assert_eq!(check_error(&Template::default()), "nodes is required");
    let mut t = purchase();
    t.nodes[0].approvers = vec![Approvers::Supervisor { levels: 9 }];
    assert_eq!(check_error(&t), "nodes.0.approvers.0.levels must be between 1 and 5");
    let mut t = purchase();
    t.nodes[2].approvers = vec![Approvers::Field { key: "note".into() }];
    assert_eq!(check_error(&t), "nodes.2.approvers.0.key must be a member field of the form");
    let mut t = purchase();
    t.nodes[1].when = vec![Condition::Field { filter: "amount:contains:1".into() }];
    assert!(check_error(&t).starts_with("nodes.1.when.0.filter"), "{}", check_error(&t));
    let mut t = purchase();
    t.nodes[0].name = " Manager".into();
    assert!(check_error(&t).starts_with("nodes.0.name"));
    let mut t = purchase();
    t.nodes[0].remind_after_hours = Some(48);
    t.nodes[0].escalate_after_hours = Some(24);
    assert_eq!(check_error(&t), "nodes.0.escalate_after_hours must be later than the reminder");
    let mut t = purchase();
    t.nodes[0].approvers = vec![members(&["acc_x"])];
    assert!(check_error(&t).starts_with("nodes.0.approvers.0.member_ids.0"));
    // JSON the API takes: unknown fields and kinds are refused.
    assert!(
        serde_json::from_value::<Template>(json!({"nodes": [{"name": "A", "approvers": [{"kind": "everyone"}]}]}))
            .is_err()
    );
}

#[test]
fn conditions_decide_which_nodes_apply_and_the_submitter_never_approves() {
    let s = schema();
    let p = plan(&purchase(), &s, &facts()).unwrap();
    let names: Vec<&str> = p.steps.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Manager", "Finance", "Reviewer"]);
    assert_eq!(p.steps[0].approvers, ["mem_boss"]);
    assert!(p.steps[1].fallback, "nobody holds the license scope: the approval admin stands in");
    assert_eq!(p.steps[1].approvers, ["mem_admin"]);
    assert_eq!(p.steps[2].approvers, ["mem_rev"]);
    assert_eq!(p.copy_to, ["mem_head"]);

    // A smaller amount skips finance.
    let mut small = facts();
    small.values = values(json!({"amount": "50.00", "reviewer": "mem_rev"}));
    let p = plan(&purchase(), &s, &small).unwrap();
    assert_eq!(p.steps.iter().map(|x| x.node).collect::<Vec<_>>(), [Some(0), Some(2)]);

    // The submitter picked as reviewer is left out; the admin takes that node.
    let mut own = facts();
    own.values = values(json!({"amount": "1.00", "reviewer": "mem_sub"}));
    let p = plan(&purchase(), &s, &own).unwrap();
    assert_eq!(p.steps[1].approvers, ["mem_admin"]);
    assert!(p.steps.iter().all(|x| !x.approvers.contains(&"mem_sub".to_owned())));

    // With nobody else at all, the submission is refused rather than passed.
    let mut alone = own.clone();
    alone.approval_admins = vec!["mem_sub".into()];
    let e = plan(&purchase(), &s, &alone).unwrap_err();
    assert_eq!(
        e.to_string(),
        "nodes.2 has nobody who may approve besides the submitter; name approvers or an approval admin"
    );
}

#[test]
fn partner_type_and_tier_pick_a_branch() {
    let mut t = Template { nodes: vec![node("Quality", vec![Approvers::BackboneOwner])], copy_to: Vec::new() };
    t.nodes[0].when =
        vec![Condition::Side { side: Side::Partner }, Condition::PartnerType { any_of: vec!["supplier".into()] }];
    t.nodes.push(node("Contact", vec![Approvers::UnitContact]));
    t.nodes[1].when = vec![Condition::Tier { any_of: vec!["a".into()] }];
    let mut f = facts();
    f.partner = Some(("supplier".into(), "b".into()));
    f.backbone_owners = vec!["mem_owner".into()];
    f.unit_contacts = vec!["mem_contact".into()];
    let p = plan(&t, &schema(), &f).unwrap();
    assert_eq!(p.steps.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["Quality"]);
    f.partner = Some(("distributor".into(), "a".into()));
    let p = plan(&t, &schema(), &f).unwrap();
    assert_eq!(p.steps.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["Contact"]);
    // A backbone submitter meets neither branch: the approval admin decides, never nobody.
    let p = plan(&t, &schema(), &facts()).unwrap();
    assert_eq!((p.steps.len(), p.steps[0].node, p.steps[0].approvers.clone()), (1, None, vec!["mem_admin".to_owned()]));
}

#[test]
fn people_who_left_are_never_asked() {
    let t = Template { nodes: vec![node("Team", vec![members(&["mem_a", "mem_b"])])], copy_to: Vec::new() };
    let mut f = facts();
    f.unavailable = vec!["mem_a".into()];
    assert_eq!(plan(&t, &schema(), &f).unwrap().steps[0].approvers, ["mem_b"]);
    f.unavailable.push("mem_b".into());
    let p = plan(&t, &schema(), &f).unwrap();
    assert!(p.steps[0].fallback && p.steps[0].approvers == ["mem_admin"], "the approval admin stands in: {p:?}");
}

fn two_steps(mode: Mode) -> Instance {
    let mut first = node("Team", vec![members(&["mem_a", "mem_b"])]);
    first.mode = mode;
    let t = Template { nodes: vec![first, node("Director", vec![members(&["mem_d"])])], copy_to: Vec::new() };
    let p = plan(&t, &schema(), &facts()).unwrap();
    Instance::start("mem_sub", p).unwrap().0
}

#[test]
fn modes_decide_when_a_step_is_passed() {
    let mut any = two_steps(Mode::Any);
    assert_eq!(any.open_tasks().len(), 2);
    any.approve("mem_b").unwrap();
    assert_eq!((any.step, any.open_tasks()[0].member.as_str()), (1, "mem_d"), "one approval passes an any-step");
    assert!(any.approve("mem_a").is_err(), "a's task closed with the step");

    let mut all = two_steps(Mode::All);
    all.approve("mem_b").unwrap();
    assert_eq!(all.step, 0);
    assert!(all.approve("mem_b").is_err(), "no second approval from the same person");
    all.approve("mem_a").unwrap();
    assert_eq!(all.step, 1);

    let mut seq = two_steps(Mode::Sequence);
    assert_eq!(seq.open_tasks().iter().map(|t| t.member.as_str()).collect::<Vec<_>>(), ["mem_a"]);
    assert!(seq.approve("mem_b").is_err(), "b waits for a");
    seq.approve("mem_a").unwrap();
    seq.approve("mem_b").unwrap();
    let events = seq.approve("mem_d").unwrap();
    assert_eq!(seq.state, State::Approved);
    assert_eq!(events.last(), Some(&Event::Finished { state: State::Approved }));
    assert!(seq.approve("mem_d").is_err() && seq.withdraw("mem_sub").is_err(), "decided is decided");
}

#[test]
fn returns_resubmissions_transfers_and_departures() {
    let mut i = two_steps(Mode::Any);
    i.approve("mem_a").unwrap();
    // Back to the first step: its approvers decide again.
    assert!(i.send_back("mem_d", Target::Step { step: 1 }, "again").is_err(), "only an earlier step");
    assert!(i.send_back("mem_d", Target::Step { step: 0 }, "  ").is_err(), "a reason is required");
    i.send_back("mem_d", Target::Step { step: 0 }, "check the quantity").unwrap();
    assert_eq!((i.step, i.open_tasks().len()), (0, 2));
    // To the submitter, who resubmits on a fresh plan.
    i.send_back("mem_a", Target::Submitter, "attach the quote").unwrap();
    assert_eq!(i.state, State::Returned);
    assert!(i.open_tasks().is_empty());
    let fresh = i.plan.clone();
    assert!(i.resubmit("mem_a", fresh.clone()).is_err(), "only the submitter resubmits");
    i.resubmit("mem_sub", fresh).unwrap();
    assert_eq!((i.state, i.step), (State::Pending, 0));
    // A transfer never reaches the submitter nor someone already asked.
    assert!(i.transfer("mem_a", "mem_sub").is_err());
    assert!(i.transfer("mem_a", "mem_b").is_err());
    i.transfer("mem_a", "mem_x").unwrap();
    assert!(i.open_tasks().iter().any(|t| t.member == "mem_x"));
    // The director leaves before their step: the admin takes their place ahead of time.
    let events = i.depart("mem_d", &["mem_sub".into(), "mem_admin".into()]);
    assert!(events.is_empty(), "no open task moved yet");
    i.approve("mem_x").unwrap();
    assert_eq!(i.open_tasks()[0].member, "mem_admin");
    // A co-approver in an any-step would decide alone: refused.
    assert!(i.add_approver("mem_admin", "mem_y", false).is_err());
    assert!(i.withdraw("mem_admin").is_err(), "only the submitter withdraws");
    i.withdraw("mem_sub").unwrap();
    assert_eq!(i.state, State::Withdrawn);
}

#[test]
fn a_co_approver_before_oneself_decides_first() {
    let mut i = two_steps(Mode::Sequence);
    i.add_approver("mem_a", "mem_c", true).unwrap();
    assert_eq!(i.open_tasks()[0].member, "mem_c");
    assert!(i.approve("mem_a").is_err());
    i.approve("mem_c").unwrap();
    i.approve("mem_a").unwrap();
    assert_eq!(i.open_tasks()[0].member, "mem_b");
}

#[test]
fn the_clock_reminds_then_escalates_once_per_opening_and_a_delegate_stands_in() {
    let mut first = node("Team", vec![members(&["mem_a", "mem_b"])]);
    first.mode = Mode::All;
    first.remind_after_hours = Some(24);
    first.escalate_after_hours = Some(48);
    let t = Template { nodes: vec![first, node("Director", vec![members(&["mem_d"])])], copy_to: Vec::new() };
    let (mut i, opened) = Instance::start("mem_sub", plan(&t, &schema(), &facts()).unwrap()).unwrap();
    i.record(1_000, "mem_sub", &opened);
    assert_eq!(i.due(), Some(1_000 + 24 * HOUR));
    assert!(i.tick(1_000 + 23 * HOUR, &["mem_admin".into()]).is_empty(), "not yet");
    let reminded = i.tick(1_000 + 24 * HOUR, &["mem_admin".into()]);
    assert_eq!(reminded, [Event::Reminded { step: 0, members: vec!["mem_a".into(), "mem_b".into()] }]);
    assert!(i.tick(1_000 + 25 * HOUR, &["mem_admin".into()]).is_empty(), "reminded once");
    i.approve("mem_a").unwrap();
    // b still waits: at 48 hours b's task goes to the approval admin; a's approval stands.
    let escalated = i.tick(1_000 + 48 * HOUR, &["mem_admin".into()]);
    assert_eq!(escalated, [Event::Escalated { step: 0, from: vec!["mem_b".into()], to: vec!["mem_admin".into()] }]);
    assert_eq!(i.due(), None, "nothing more for the clock at this opening");
    // The submitter may remind, but not twice within the hour.
    let now = 1_000 + 49 * HOUR;
    let r = i.remind("mem_sub", now).unwrap();
    i.record(now, "mem_sub", &r);
    assert_eq!(i.remind("mem_sub", now + HOUR / 2).unwrap_err().code(), "reminded_recently");
    assert!(i.remind("mem_admin", now).is_err(), "only the submitter reminds");
    // The admin is away: a delegate takes the task, never the submitter.
    assert_eq!(i.delegate("mem_admin", "mem_sub"), None);
    assert!(i.delegate("mem_admin", "mem_e").is_some());
    i.approve("mem_e").unwrap();
    assert_eq!((i.step, i.open_tasks()[0].member.as_str()), (1, "mem_d"));
    assert!(i.comment("mem_d", " ", &[]).is_err(), "a comment says something");
}

// ---- Model-based: random templates, facts and actions ----------------------------------------

const PEOPLE: &[&str] = &["mem_sub", "mem_a", "mem_b", "mem_c", "mem_d", "mem_admin"];

#[derive(Clone, Debug)]
enum Action {
    Approve(usize),
    Reject(usize),
    Return(usize, Option<usize>),
    Resubmit,
    Withdraw(usize),
    Transfer(usize, usize),
    Add(usize, usize, bool),
    Depart(usize),
    Comment(usize),
    Remind,
    /// Hours pass, then the clock looks at the instance.
    Wait(u8),
}

fn person() -> impl Strategy<Value = usize> {
    0..PEOPLE.len()
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => person().prop_map(Action::Approve),
        1 => person().prop_map(Action::Reject),
        1 => (person(), proptest::option::of(0..4usize)).prop_map(|(p, s)| Action::Return(p, s)),
        1 => Just(Action::Resubmit),
        1 => person().prop_map(Action::Withdraw),
        1 => (person(), person()).prop_map(|(a, b)| Action::Transfer(a, b)),
        1 => (person(), person(), any::<bool>()).prop_map(|(a, b, c)| Action::Add(a, b, c)),
        1 => person().prop_map(Action::Depart),
        1 => person().prop_map(Action::Comment),
        1 => Just(Action::Remind),
        2 => (0..30u8).prop_map(Action::Wait),
    ]
}

fn rule() -> impl Strategy<Value = Approvers> {
    prop_oneof![
        proptest::sample::subsequence(PEOPLE.to_vec(), 1..4)
            .prop_map(|ids| Approvers::Members { member_ids: ids.into_iter().map(str::to_owned).collect() }),
        Just(Approvers::DepartmentHead),
        (1..3u8).prop_map(|levels| Approvers::Supervisor { levels }),
        Just(Approvers::ApprovalAdmin),
        Just(Approvers::Field { key: "reviewer".into() }),
    ]
}

fn template() -> impl Strategy<Value = Template> {
    let mode = prop_oneof![Just(Mode::Any), Just(Mode::All), Just(Mode::Sequence)];
    let when = proptest::option::of(prop_oneof![Just("amount:gt:100"), Just("region:eq:North")]);
    let hours = (proptest::option::of(1..10u32), proptest::option::of(1..20u32));
    let node =
        (proptest::collection::vec(rule(), 1..3), mode, when, hours).prop_map(|(approvers, mode, when, (r, e))| Node {
            mode,
            when: when.map(|f| Condition::Field { filter: f.into() }).into_iter().collect(),
            remind_after_hours: r,
            escalate_after_hours: e.map(|e| e + r.unwrap_or(0)),
            ..node("Step", approvers)
        });
    proptest::collection::vec(node, 1..4).prop_map(|nodes| Template { nodes, copy_to: Vec::new() })
}

fn random_facts() -> impl Strategy<Value = Facts> {
    let who = || proptest::sample::select(PEOPLE.to_vec()).prop_map(str::to_owned);
    (who(), who(), proptest::collection::vec(who(), 0..3), any::<bool>(), any::<u16>()).prop_map(
        |(head, reviewer, supervisors, admin_is_sub, amount)| Facts {
            submitter: "mem_sub".into(),
            department_heads: vec![head],
            supervisors,
            approval_admins: if admin_is_sub { vec!["mem_sub".into()] } else { vec!["mem_admin".into()] },
            values: values(json!({"amount": format!("{amount}.00"), "region": "North", "reviewer": reviewer})),
            ..Default::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Whatever happens: the submitter never holds a task, a finished instance was decided once
    /// and stays so, steps are passed in order and each approval came from someone asked, and
    /// nobody who left keeps a task.
    #[test]
    fn no_action_sequence_breaks_the_rules(t in template(), f in random_facts(), actions in proptest::collection::vec(action(), 1..30)) {
        let s = schema();
        prop_assert!(t.check(&s).is_ok());
        let Ok(p) = plan(&t, &s, &f) else {
            // Refused only when nobody but the submitter could approve some step.
            prop_assert_eq!(&f.approval_admins, &vec!["mem_sub".to_owned()]);
            return Ok(());
        };
        prop_assert!(p.steps.iter().all(|x| !x.approvers.is_empty() && !x.approvers.contains(&f.submitter)));
        let (mut i, opened) = Instance::start(&f.submitter, p.clone()).unwrap();
        let mut now = 0i64;
        i.record(now, "mem_sub", &opened);
        let mut finished = 0;
        let mut departed: Vec<String> = Vec::new();
        let mut passed: Vec<usize> = Vec::new();
        for a in actions {
            let before = i.clone();
            let asked: Vec<String> = i.open_tasks().into_iter().map(|t| t.member).collect();
            let result = match a.clone() {
                Action::Approve(p) => i.approve(PEOPLE[p]),
                Action::Reject(p) => i.reject(PEOPLE[p], "no"),
                Action::Return(p, None) => i.send_back(PEOPLE[p], Target::Submitter, "fix"),
                Action::Return(p, Some(k)) => i.send_back(PEOPLE[p], Target::Step { step: k }, "again"),
                // The service plans a resubmission afresh, with who is still there.
                Action::Resubmit => i.resubmit("mem_sub", i.plan.clone()),
                Action::Withdraw(p) => i.withdraw(PEOPLE[p]),
                // Nobody hands a task to someone who left: the service no longer finds them.
                Action::Transfer(_, q) | Action::Add(_, q, _) if departed.iter().any(|d| d == PEOPLE[q]) => continue,
                Action::Transfer(p, q) => i.transfer(PEOPLE[p], PEOPLE[q]),
                Action::Add(p, q, b) => i.add_approver(PEOPLE[p], PEOPLE[q], b),
                Action::Depart(p) => {
                    if PEOPLE[p] == "mem_sub" { continue; }
                    departed.push(PEOPLE[p].to_owned());
                    let instead: Vec<String> =
                        ["mem_admin"].iter().filter(|a| !departed.iter().any(|d| d == *a)).map(|a| (*a).to_owned()).collect();
                    Ok(i.depart(PEOPLE[p], &instead))
                }
                Action::Comment(p) => i.comment(PEOPLE[p], "a remark", &[]),
                Action::Remind => i.remind("mem_sub", now),
                Action::Wait(h) => {
                    now += i64::from(h) * HOUR;
                    let admins: Vec<String> =
                        ["mem_admin"].iter().filter(|a| !departed.iter().any(|d| d == *a)).map(|a| (*a).to_owned()).collect();
                    let due = i.due();
                    let events = i.tick(now, &admins);
                    prop_assert!(events.is_empty() || due.is_some_and(|d| d <= now), "the clock acts only when due");
                    Ok(events)
                }
            };
            match result {
                Err(_) => prop_assert_eq!(&i, &before, "a refused action changes nothing"),
                Ok(events) => {
                    for e in &events {
                        match e {
                            Event::Approved { by, .. } => prop_assert!(asked.contains(by), "{by} was not asked"),
                            Event::Finished { .. } => finished += 1,
                            Event::Passed { step } => passed.push(*step),
                            Event::Resubmitted => passed.clear(),
                            Event::Returned { to: Target::Step { step }, .. } => passed.retain(|x| x < step),
                            Event::Escalated { to, .. } => prop_assert!(to.iter().all(|m| m == "mem_admin"), "escalated to {to:?}"),
                            _ => {}
                        }
                    }
                    if before.state.is_final() {
                        prop_assert!(events.is_empty() || matches!(a, Action::Depart(_) | Action::Comment(_)), "{a:?} after the end");
                        prop_assert_eq!(&i, &before);
                    }
                    i.record(now, PEOPLE[0], &events);
                }
            }
            prop_assert!(i.open_tasks().iter().all(|t| t.member != i.submitter), "a self-approval task");
            prop_assert!(i.open_tasks().iter().all(|t| !departed.contains(&t.member)), "a departed member's task");
            prop_assert!(passed.windows(2).all(|w| w[1] == w[0] + 1), "steps in order: {passed:?}");
        }
        prop_assert_eq!(finished, usize::from(i.state.is_final()), "one final decision, and only when final");
        if i.state == State::Approved {
            prop_assert_eq!(passed.len(), i.plan.steps.len(), "every step passed");
        }
    }
}
