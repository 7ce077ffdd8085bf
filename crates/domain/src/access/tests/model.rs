//! The index held to a reference model read straight off the facts, through random changes.

use proptest::prelude::*;

use super::*;

/// What the access model says, read straight off the facts: the reference the index is held to.
fn reference(f: &Facts, member: &str, app: &str, right: Right) -> bool {
    let (Some(m), Some(a)) = (f.members.iter().find(|x| x.id == member), f.apps.iter().find(|x| x.id == app)) else {
        return false;
    };
    let parent = |d: &str| f.departments.iter().find(|(x, _)| x == d).and_then(|(_, p)| p.as_deref());
    // In `top` or below it; a cycle of parents ends the walk.
    let under = |top: &str| {
        m.departments.iter().any(|d| {
            let mut seen = Vec::new();
            let mut cur = Some(d.as_str());
            while let Some(c) = cur.filter(|c| !seen.contains(c)) {
                if c == top {
                    return true;
                }
                seen.push(c);
                cur = parent(c);
            }
            false
        })
    };
    let names = |p: &Principal, unit: Option<&UnitFacts>| match p {
        Principal::Everyone => true,
        Principal::Member(x) => x == member,
        Principal::Department(d) => under(d),
        Principal::PartnerType(t) => unit.is_some_and(|u| u.partner_type == *t),
        Principal::Unit(x) => unit.is_some_and(|u| u.id == *x),
        Principal::Admins => m.admin,
    };
    let granted = |unit: Option<&UnitFacts>| {
        a.groups.iter().any(|(_, rights, ps)| rights.contains(&right) && ps.iter().any(|p| names(p, unit)))
    };
    let owner = |net: &str| f.networks.iter().find(|(n, _)| n == net).map(|(_, o)| o);
    let published = |u: &UnitFacts| {
        a.publications.iter().any(|(net, audience)| {
            *net == u.network
                && match audience {
                    Audience::AllUnits => true,
                    Audience::PartnerTypes(t) => t.contains(&u.partner_type),
                    Audience::Units(us) => us.contains(&u.id),
                    Audience::Departments(ds) => ds.iter().any(|d| under(d)),
                }
        })
    };
    let brings = |u: &UnitFacts| u.departments.as_ref().is_none_or(|ds| ds.iter().any(|d| under(d)));
    let reaches =
        |u: &&UnitFacts| u.org == m.org && u.active && owner(&u.network) == Some(&a.org) && published(u) && brings(u);
    let reached = if m.org == a.org {
        granted(None)
    } else {
        !right.owner_only() && f.units.iter().filter(reaches).any(|u| granted(Some(u)))
    };
    m.active && m.pools.contains(&a.org) && reached
}

/// A change to the facts, applied both to the facts (then rebuilt) and to a live index.
#[derive(Clone, Debug)]
enum Step {
    Seat(usize, bool),
    /// The same, told as a seat movement rather than a whole member.
    SeatMove(usize, bool),
    Active(usize, bool),
    Department(usize, usize),
    Parent(usize, Option<usize>),
    UnitActive(usize, bool),
    UnitType(usize, usize),
    /// The departments the unit of `o{u}` in `n` brings (`None`: its whole organization).
    Brings(usize, Option<Vec<usize>>),
    RemoveUnit(usize),
    /// The unit of organization `o{u}` in network `n` is replaced by a new unit with a new
    /// id, the new one put before the old one is removed.
    Readd(usize, usize),
    /// App, network (`n` or `n2`), audience.
    Audience(usize, usize, Audience),
    Unpublish(usize),
    Group(usize, Vec<Right>, Principal),
    RemoveApp(usize),
    /// The member joins organization `o` (0 is the backbone), coming back if they had left.
    Org(usize, usize),
    Leave(usize),
}

const TYPES: [&str; 2] = ["supplier", "distributor"];
const DEPS: usize = 6;

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        Just(Principal::Everyone),
        (0..12usize).prop_map(|m| Principal::Member(format!("m{m}"))),
        (0..DEPS).prop_map(|d| Principal::Department(format!("d{d}"))),
        (0..2usize).prop_map(|t| Principal::PartnerType(TYPES[t].to_owned())),
        (0..3usize).prop_map(|u| Principal::Unit(format!("u{u}"))),
        Just(Principal::Admins),
    ]
}

fn audience_() -> impl Strategy<Value = Audience> {
    prop_oneof![
        Just(Audience::AllUnits),
        (0..2usize).prop_map(|t| Audience::PartnerTypes(vec![TYPES[t].to_owned()])),
        (0..3usize).prop_map(|u| Audience::Units(vec![format!("u{u}")])),
        (0..DEPS).prop_map(|d| Audience::Departments(vec![format!("d{d}")])),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let rights = prop::sample::subsequence(Right::ALL.to_vec(), 1..3);
    prop_oneof![
        (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::Seat(m, on)),
        (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::SeatMove(m, on)),
        (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::Active(m, on)),
        (0..12usize, 0..DEPS).prop_map(|(m, d)| Step::Department(m, d)),
        (0..DEPS, prop::option::of(0..DEPS)).prop_map(|(d, p)| Step::Parent(d, p)),
        (0..3usize, any::<bool>()).prop_map(|(u, on)| Step::UnitActive(u, on)),
        (0..3usize, 0..2usize).prop_map(|(u, t)| Step::UnitType(u, t)),
        (0..3usize, prop::option::of(prop::collection::vec(0..DEPS, 0..3))).prop_map(|(u, d)| Step::Brings(u, d)),
        (0..3usize).prop_map(Step::RemoveUnit),
        (0..3usize, 0..1000usize).prop_map(|(u, k)| Step::Readd(u, k)),
        (0..2usize, 0..2usize, audience_()).prop_map(|(a, n, au)| Step::Audience(a, n, au)),
        (0..2usize).prop_map(Step::Unpublish),
        (0..2usize, rights, principal()).prop_map(|(a, r, p)| Step::Group(a, r, p)),
        (0..2usize).prop_map(Step::RemoveApp),
        (0..12usize, 0..4usize).prop_map(|(m, o)| Step::Org(m, o)),
        (0..12usize).prop_map(Step::Leave),
    ]
}

/// Twelve members: four in the backbone, the rest in three unit organizations; two in three
/// hold a seat; member `m` is in department `d{m % 6}`, and d2 is below d0, d4 below d2 and
/// d3 below d1. u1 brings d1 into n, v0 brings d0 into n2; a0 is published to all of n2.
fn start() -> Facts {
    let org = |m: usize| if m < 4 { s("o_back") } else { format!("o{}", (m - 4) / 3) };
    Facts {
        members: (0..12)
            .map(|m| {
                let pools: &[&str] = if m % 3 == 2 { &[] } else { &["o_back"] };
                let dep = format!("d{}", m % DEPS);
                MemberFacts { admin: m % 5 == 0, ..member(&format!("m{m}"), &org(m), &[&dep], pools) }
            })
            .collect(),
        departments: (0..DEPS)
            .map(|d| (format!("d{d}"), [None, None, Some(0), Some(1), Some(2), None][d].map(|p| format!("d{p}"))))
            .collect(),
        // o0 is a supplier in n and a distributor in n2.
        units: (0..3)
            .map(|u| UnitFacts {
                departments: (u == 1).then(|| vec![s("d1")]),
                ..unit(&format!("u{u}"), &format!("o{u}"), TYPES[u % 2])
            })
            .chain([UnitFacts {
                network: s("n2"),
                departments: Some(vec![s("d0")]),
                ..unit("v0", "o0", "distributor")
            }])
            .collect(),
        networks: vec![(s("n"), s("o_back")), (s("n2"), s("o_back"))],
        apps: (0..2)
            .map(|a| AppFacts {
                id: format!("a{a}"),
                org: s("o_back"),
                groups: vec![(s("g"), vec![Right::Submit], vec![Principal::Everyone])],
                publications: if a == 0 { vec![(s("n2"), Audience::AllUnits)] } else { vec![] },
            })
            .collect(),
    }
}

/// Changes member `m`, if they have not left, in the facts and in the live index.
fn change(f: &mut Facts, ix: &mut Index, m: usize, edit: impl FnOnce(&mut MemberFacts)) {
    if let Some(x) = f.members.iter_mut().find(|x| x.id == format!("m{m}")) {
        edit(x);
        ix.put_member(x);
    }
}

/// The unit of organization `o{u}` in network `n`, whatever its id.
fn unit_in_n(f: &mut Facts, u: usize) -> Option<&mut UnitFacts> {
    f.units.iter_mut().find(|x| x.org == format!("o{u}") && x.network == "n")
}

/// Applies `step` to the facts and tells the live index.
fn apply(f: &mut Facts, ix: &mut Index, step: &Step) {
    match step {
        Step::Seat(m, on) => change(f, ix, *m, |x| x.pools = if *on { vec![s("o_back")] } else { vec![] }),
        Step::SeatMove(m, on) => {
            if let Some(x) = f.members.iter_mut().find(|x| x.id == format!("m{m}")) {
                x.pools = if *on { vec![s("o_back")] } else { vec![] };
            }
            ix.put_seat(&format!("m{m}"), "o_back", *on);
        }
        Step::Active(m, on) => change(f, ix, *m, |x| x.active = *on),
        Step::Department(m, d) => change(f, ix, *m, |x| x.departments = vec![format!("d{d}")]),
        Step::Org(m, o) => {
            let org = if *o == 0 { s("o_back") } else { format!("o{}", o - 1) };
            if !f.members.iter().any(|x| x.id == format!("m{m}")) {
                f.members.push(member(&format!("m{m}"), &org, &[], &[]));
            }
            change(f, ix, *m, |x| x.org = org);
        }
        Step::Leave(m) => {
            f.members.retain(|x| x.id != format!("m{m}"));
            ix.remove_member(&format!("m{m}"));
        }
        Step::Parent(d, p) => {
            let p = p.filter(|p| p != d).map(|p| format!("d{p}"));
            f.departments[*d].1.clone_from(&p);
            ix.put_department(&f.departments[*d].0, p.as_deref());
        }
        Step::UnitActive(u, on) => {
            if let Some(x) = unit_in_n(f, *u) {
                x.active = *on;
                ix.put_unit(x);
            }
        }
        Step::UnitType(u, t) => {
            if let Some(x) = unit_in_n(f, *u) {
                x.partner_type = TYPES[*t].to_owned();
                ix.put_unit(x);
            }
        }
        Step::Brings(u, ds) => {
            if let Some(x) = unit_in_n(f, *u) {
                x.departments = ds.as_ref().map(|ds| ds.iter().map(|d| format!("d{d}")).collect());
                ix.put_unit(x);
            }
        }
        Step::RemoveUnit(u) => {
            if let Some(id) = unit_in_n(f, *u).map(|x| x.id.clone()) {
                f.units.retain(|x| x.id != id);
                ix.remove_unit(&id);
            }
        }
        Step::Readd(u, k) => {
            let new_id = format!("r{k}");
            if let Some(old) = unit_in_n(f, *u).cloned()
                && !f.units.iter().any(|x| x.id == new_id)
            {
                let new = UnitFacts { id: new_id, ..old.clone() };
                f.units.retain(|x| x.id != old.id);
                f.units.push(new.clone());
                ix.put_unit(&new);
                ix.remove_unit(&old.id);
            }
        }
        Step::Audience(a, n, au) => {
            let net = if *n == 0 { s("n") } else { s("n2") };
            if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                x.publications.retain(|(p, _)| *p != net);
                x.publications.push((net, au.clone()));
                ix.put_app(x);
            }
        }
        Step::Unpublish(a) => {
            if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                x.publications.clear();
                ix.put_app(x);
            }
        }
        Step::Group(a, rights, p) => {
            if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                x.groups = vec![(s("g"), rights.clone(), vec![p.clone()])];
                ix.put_app(x);
            }
        }
        Step::RemoveApp(a) => {
            f.apps.retain(|x| x.id != format!("a{a}"));
            ix.remove_app(&format!("a{a}"));
        }
    }
}

proptest! {
    /// An index kept current change by change answers every question exactly as one
    /// rebuilt from the facts and as the reference model, and `check`, `allows`, `who_can`
    /// and `apps_of` agree.
    #[test]
    fn advancing_equals_rebuilding(steps in prop::collection::vec(step(), 1..40)) {
        let mut f = start();
        let mut live = Index::build(&f);
        for st in &steps {
            apply(&mut f, &mut live, st);
            let fresh = Index::build(&f);
            for a in 0..2 {
                let app = format!("a{a}");
                for right in Right::ALL {
                    let mut allowed = Vec::new();
                    for m in 0..12 {
                        let member = format!("m{m}");
                        let d = live.check(&member, &app, *right);
                        prop_assert_eq!(&d, &fresh.check(&member, &app, *right), "{:?} {} {}", st, member, app);
                        let allowed_here = d.allowed;
                        drop(d);
                        prop_assert_eq!(allowed_here, live.allows(&member, &app, *right));
                        prop_assert_eq!(allowed_here, reference(&f, &member, &app, *right), "{:?} {} {}", st, member, app);
                        prop_assert_eq!(
                            allowed_here && *right == Right::Submit,
                            live.apps_of(&member, Right::Submit).contains(&app) && *right == Right::Submit
                        );
                        if allowed_here {
                            allowed.push(member);
                        }
                    }
                    allowed.sort();
                    prop_assert_eq!(&live.who_can(&app, *right, None, 100), &allowed);
                    prop_assert_eq!(live.count_who_can(&app, *right), allowed.len());
                    // Pages of two, each after the last id of the one before, add up to the whole.
                    let mut paged: Vec<String> = Vec::new();
                    for _ in 0..=allowed.len() {
                        let page = live.who_can(&app, *right, paged.last().map(String::as_str), 2);
                        prop_assert!(page.len() <= 2);
                        paged.extend(page);
                    }
                    prop_assert_eq!(paged, allowed);
                }
            }
        }
    }
}
