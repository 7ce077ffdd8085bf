//! Postings and interner checks, and the index held to the SQL's reference through random changes.

use proptest::prelude::*;

use super::postings::Walk;
use super::*;

#[test]
fn postings_seek_from_anywhere() {
    let mut p = Postings::default();
    let ranks: Vec<u32> = (0..1000).map(|i| i * 3 + (i % 7) * 1000).collect::<FxHashSet<_>>().into_iter().collect();
    let mut ranks = ranks;
    ranks.sort_unstable();
    for r in &ranks {
        p.push(*r);
    }
    for target in [0, 1, 2, 5, 190, 191, 192, 3000, 7000, 9000, 100_000] {
        let want = ranks.iter().copied().find(|r| *r >= target);
        assert_eq!(Walk::new(&p).seek(target), want, "{target}");
    }
    let mut w = Walk::new(&p);
    let mut got = vec![];
    let mut t = 0;
    while let Some(r) = w.seek(t) {
        got.push(r);
        t = r + 1;
    }
    assert_eq!(got, ranks);
}

#[test]
fn strings_sharing_a_hash_keep_their_own_numbers() {
    let mut i = Interner::default();
    let (a, b) = (i.intern_hashed("mem_a", 7), i.intern_hashed("mem_b", 7));
    assert_ne!(a, b);
    assert_eq!((i.get_hashed("mem_a", 7), i.get_hashed("mem_b", 7), i.get_hashed("mem_c", 7)), (a, b, NONE));
    assert_eq!((i.intern_hashed("mem_b", 7), i.name(b)), (b, "mem_b"));
    assert_eq!(i.get("mem_a"), NONE, "found by its own hash only");
}

/// The world a test run builds from and changes.
#[derive(Clone, Debug)]
enum Step {
    Person(usize, String, String, usize, bool),
    /// `(unit, network, org, type, active, brings)`: `brings` is `None` for the whole
    /// organization; `Some(None)` brings departments but gives no new members (the unit
    /// keeps those it had); `Some(Some(mask))` brings the org's members whose bit is set.
    Unit(usize, usize, usize, usize, bool, Option<Option<u16>>),
    RemoveUnit(usize),
    /// The members a unit brings changed (a department moved, a member's departments
    /// changed): applied only to a unit that brings departments.
    Brought(usize, u16),
    Networks(usize, Vec<usize>),
}

fn word() -> impl Strategy<Value = String> {
    "[abcA]{0,4}"
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..14usize, word(), "[abc]{0,3}", 0..5usize, prop::bool::weighted(0.85))
            .prop_map(|(m, n, k, o, a)| Step::Person(m, n, k, o, a)),
        2 => (0..6usize, 0..2usize, 0..5usize, 0..2usize, prop::bool::weighted(0.8), brings())
            .prop_map(|(u, n, o, t, a, b)| Step::Unit(u, n, o, t, a, b)),
        1 => (0..6usize).prop_map(Step::RemoveUnit),
        1 => (0..6usize, any::<u16>()).prop_map(|(u, m)| Step::Brought(u, m)),
        1 => (0..14usize, prop::collection::vec(0..2usize, 0..2)).prop_map(|(m, n)| Step::Networks(m, n)),
    ]
}

fn brings() -> impl Strategy<Value = Option<Option<u16>>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(None)), 2 => any::<u16>().prop_map(|m| Some(Some(m)))]
}

/// The org's members whose bit is set in the mask: a random subset of them.
fn subset(f: &Facts, org: &str, mask: u16) -> Vec<String> {
    let mut ids: Vec<String> = f.people.iter().filter(|p| p.org == org).map(|p| p.id.clone()).collect();
    ids.sort();
    ids.into_iter().enumerate().filter(|(i, _)| mask & (1 << (i % 16)) != 0).map(|(_, id)| id).collect()
}

/// The unit's brought members replaced in the facts and the index.
fn bring(f: &mut Facts, ix: &mut Index, unit: &str, org: &str, mask: u16) {
    let list = subset(f, org, mask);
    f.brought.retain(|(u, _)| u != unit);
    f.brought.extend(list.iter().map(|m| (unit.to_owned(), m.clone())));
    ix.set_brought(unit, Some(&list));
}

fn apply(f: &mut Facts, ix: &mut Index, st: &Step) {
    match st.clone() {
        Step::Person(m, name, key, o, active) => {
            let p = PersonFacts {
                id: format!("m{m}"),
                org: format!("o{o}"),
                key: format!("{}\n{key}", name.to_lowercase()),
                name,
                active,
            };
            f.people.retain(|x| x.id != p.id);
            f.people.push(p.clone());
            ix.put_person(&p);
        }
        Step::Unit(u, n, o, t, active, brings) => {
            let u = UnitFacts {
                id: format!("u{u}"),
                network: format!("n{n}"),
                org: format!("o{o}"),
                partner_type: format!("t{t}"),
                active,
                departments: brings.map(|_| vec!["dep".into()]),
            };
            // An organization has one live unit per network, as the database's index keeps it.
            let clash = f.units.iter().any(|x| x.id != u.id && x.network == u.network && x.org == u.org);
            if clash {
                return;
            }
            f.units.retain(|x| x.id != u.id);
            f.units.push(u.clone());
            ix.put_unit(&u);
            match brings {
                // Only units bringing departments have rows; put_unit forgot the old set.
                None => f.brought.retain(|(x, _)| *x != u.id),
                Some(None) => {}
                Some(Some(mask)) => bring(f, ix, &u.id, &u.org, mask),
            }
        }
        Step::RemoveUnit(u) => {
            let id = format!("u{u}");
            f.units.retain(|x| x.id != id);
            f.brought.retain(|(x, _)| *x != id);
            ix.remove_unit(&id);
        }
        Step::Brought(u, mask) => {
            let id = format!("u{u}");
            let Some(org) = f.units.iter().find(|x| x.id == id && x.departments.is_some()).map(|x| x.org.clone())
            else {
                return;
            };
            bring(f, ix, &id, &org, mask);
        }
        Step::Networks(m, nets) => {
            let id = format!("m{m}");
            let nets: Vec<String> = nets.iter().map(|n| format!("n{n}")).collect();
            f.network_members.retain(|x| x.1 != id);
            f.network_members.extend(nets.iter().map(|n| (n.clone(), id.clone())));
            ix.set_networks(&id, &nets);
        }
    }
}

/// The address book as the SQL's wide plan reads it: filter, then sort.
fn reference(f: &Facts, q: &Query) -> Vec<Hit> {
    let term = q.text.map(|t| t.replace(['%', '_'], ""));
    let mut rows: Vec<(&str, &str, Option<String>)> = vec![];
    for p in f.people.iter().filter(|p| p.active) {
        if term.as_ref().is_some_and(|t| !p.key.contains(t.as_str())) {
            continue;
        }
        if q.after.is_some_and(|(n, id)| (p.name.as_str(), p.id.as_str()) <= (n, id)) {
            continue;
        }
        let unit = f.units.iter().find(|u| {
            u.active
                && u.network == q.network
                && u.org == p.org
                && q.scope.is_none_or(|(ids, types)| ids.contains(&u.id) || types.contains(&u.partner_type))
                && (u.departments.is_none() || f.brought.iter().any(|(x, m)| *x == u.id && *m == p.id))
        });
        let member = f.network_members.iter().any(|(n, m)| n == q.network && *m == p.id);
        if unit.is_some() || member {
            rows.push((&p.name, &p.id, unit.map(|u| u.id.clone())));
        }
    }
    rows.sort();
    rows.into_iter().take(q.limit).map(|(_, m, unit)| Hit { member: m.to_owned(), unit }).collect()
}

fn scopes() -> Vec<Option<(Vec<String>, Vec<String>)>> {
    vec![
        None,
        Some((vec!["u1".into(), "u3".into()], vec![])),
        Some((vec![], vec!["t1".into()])),
        Some((vec!["u0".into()], vec!["t0".into()])),
        Some((vec![], vec![])),
    ]
}

/// Every page of every question, walked with cursors, equals the reference's.
fn check_all(f: &Facts, ix: &Index) -> Result<(), TestCaseError> {
    let names: Vec<String> = f.people.iter().map(|p| p.id.clone()).collect();
    for network in ["n0", "n1", "n9"] {
        for scope in scopes() {
            let scope = scope.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice()));
            for text in
                [None, Some(""), Some("a"), Some("b"), Some("ab"), Some("a_b"), Some("abc"), Some("\na"), Some("ca")]
            {
                for limit in [1usize, 2, 3, 100] {
                    let mut after: Option<(String, String)> = None;
                    let mut pages = 0;
                    loop {
                        let q = Query {
                            network,
                            scope,
                            text,
                            after: after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                            limit,
                        };
                        let got = ix.page(&q);
                        prop_assert_eq!(
                            &got,
                            &reference(f, &q),
                            "{} {:?} {:?} {:?} {}",
                            network,
                            scope,
                            text,
                            after,
                            limit
                        );
                        let Some(last) = got.last() else { break };
                        let p = f.people.iter().find(|p| p.id == last.member).unwrap();
                        after = Some((p.name.clone(), p.id.clone()));
                        pages += 1;
                        prop_assert!(pages <= names.len() + 1);
                        if got.len() < limit {
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn start(n: usize) -> (Facts, Vec<Step>) {
    let mut steps = vec![];
    for m in 0..n {
        let names = ["Ab", "ab", "Bca", "aab", "", "c", "abc"];
        steps.push(Step::Person(m, names[m % names.len()].into(), ["ba", "", "cab"][m % 3].into(), m % 5, m % 9 != 4));
    }
    steps.push(Step::Unit(0, 0, 0, 0, true, None));
    steps.push(Step::Unit(1, 0, 1, 1, true, Some(Some(0b0101))));
    steps.push(Step::Unit(2, 1, 2, 0, true, None));
    steps.push(Step::Unit(3, 0, 3, 1, false, Some(Some(0b0011))));
    steps.push(Step::Unit(4, 1, 4, 1, true, Some(None)));
    steps.push(Step::Networks(4, vec![0]));
    (Facts::default(), steps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// An index built from facts and then changed answers every page as the naive
    /// reference does, and as one rebuilt from the changed facts.
    #[test]
    fn pages_equal_the_reference(people in 0..14usize, steps in prop::collection::vec(step(), 0..30)) {
        let (mut f, setup) = start(people);
        let mut scratch = Index::default();
        for st in &setup {
            apply(&mut f, &mut scratch, st);
        }
        let mut live = Index::build(&f);
        check_all(&f, &live)?;
        for st in &steps {
            apply(&mut f, &mut live, st);
        }
        check_all(&f, &live)?;
        check_all(&f, &Index::build(&f))?;
        check_all(&f, &grown(&f))?;
    }
}

/// An empty index grown entirely from changes: everything in the delta.
fn grown(f: &Facts) -> Index {
    let mut ix = Index::default();
    for p in &f.people {
        ix.put_person(p);
    }
    for u in &f.units {
        ix.put_unit(u);
        if u.departments.is_some() {
            let list: Vec<String> = f.brought.iter().filter(|(x, _)| *x == u.id).map(|(_, m)| m.clone()).collect();
            ix.set_brought(&u.id, Some(&list));
        }
    }
    let mut by: FxHashMap<&str, Vec<String>> = FxHashMap::default();
    for (n, m) in &f.network_members {
        by.entry(m).or_default().push(n.clone());
    }
    for (m, n) in by {
        ix.set_networks(m, &n);
    }
    ix
}

#[test]
fn a_unit_bringing_departments_shows_only_those_it_brings() {
    let person = |id: &str, org: &str| PersonFacts {
        id: id.into(),
        org: org.into(),
        name: id.to_uppercase(),
        key: id.into(),
        active: true,
    };
    let unit = |id: &str, org: &str, departments: Option<Vec<String>>| UnitFacts {
        id: id.into(),
        network: "n".into(),
        org: org.into(),
        partner_type: "t".into(),
        active: true,
        departments,
    };
    let f = Facts {
        people: vec![person("a", "o"), person("b", "o"), person("c", "p")],
        units: vec![unit("u", "o", Some(vec!["dep".into()])), unit("v", "p", None)],
        brought: vec![("u".into(), "a".into()), ("v".into(), "c".into())],
        ..Facts::default()
    };
    let seen = |ix: &Index| -> Vec<(String, Option<String>)> {
        let q = Query { network: "n", scope: None, text: None, after: None, limit: 10 };
        ix.page(&q).into_iter().map(|h| (h.member, h.unit)).collect()
    };
    let hit = |m: &str, u: &str| (m.to_owned(), Some(u.to_owned()));
    let mut ix = Index::build(&f);
    assert_eq!(seen(&ix), [hit("a", "u"), hit("c", "v")], "b is not brought; v brings its whole org");
    ix.set_brought("u", None);
    assert_eq!(seen(&ix), [hit("a", "u"), hit("b", "u"), hit("c", "v")]);
    ix.set_brought("u", Some(&[]));
    assert_eq!(seen(&ix), [hit("c", "v")], "no department left: nobody of o");
    ix.set_brought("u", Some(&["b".into()]));
    ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
    assert_eq!(seen(&ix), [hit("b", "u"), hit("c", "v")], "put_unit keeps what set_brought gave");
    ix.remove_unit("u");
    ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
    assert_eq!(seen(&ix), [hit("c", "v")], "a removed unit's set goes with it");
    ix.put_unit(&unit("u", "o", None));
    assert_eq!(seen(&ix).len(), 3, "the whole organization again");
    ix.set_networks("b", &["n".into()]);
    ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
    assert_eq!(seen(&ix), [("b".to_owned(), None), hit("c", "v")], "not brought, but a network member");
}

#[test]
fn churn_of_one_person_counts_toward_a_rebuild() {
    let person = |name: &str, active: bool| PersonFacts {
        id: "mem1".into(),
        org: "o".into(),
        name: name.into(),
        key: name.to_lowercase(),
        active,
    };
    let mut ix = Index::build(&Facts { people: vec![person("Ann", true)], ..Facts::default() });
    assert_eq!(ix.delta_len(), 0);
    for i in 0..10 {
        ix.put_person(&person(&format!("Ann {i}"), true));
    }
    ix.put_person(&person("Ann 9", false));
    assert_eq!(ix.delta_len(), 10, "every record made counts, though none is live");
}

#[test]
fn a_common_term_reads_about_a_page() {
    let mut f = Facts::default();
    for i in 0..20_000 {
        let surname = ["Chen", "Li", "Wang", "Zhao"][i * 4 / 20_000];
        f.people.push(PersonFacts {
            id: format!("mem{i:06}"),
            org: "o".into(),
            name: format!("{surname} {i}"),
            key: format!("{} {i}", surname.to_lowercase()),
            active: true,
        });
    }
    f.units.push(UnitFacts {
        id: "u".into(),
        network: "n".into(),
        org: "o".into(),
        partner_type: "t".into(),
        active: true,
        departments: None,
    });
    let ix = Index::build(&f);
    let q = Query { network: "n", scope: None, text: Some("wang"), after: None, limit: 3 };
    let got: Vec<String> = ix.page(&q).into_iter().map(|h| h.member).collect();
    assert_eq!(got, ["mem010000", "mem010001", "mem010002"]);
}
