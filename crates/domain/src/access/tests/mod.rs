//! Decisions on a small backbone with a supplier and a distributor, example by example.

use super::*;

mod model;

fn s(x: &str) -> String {
    x.to_owned()
}

fn member(id: &str, org: &str, deps: &[&str], pools: &[&str]) -> MemberFacts {
    MemberFacts {
        id: s(id),
        org: s(org),
        active: true,
        admin: false,
        departments: deps.iter().map(|d| s(d)).collect(),
        pools: pools.iter().map(|p| s(p)).collect(),
    }
}

fn unit(id: &str, org: &str, ty: &str) -> UnitFacts {
    UnitFacts { id: s(id), network: s("n"), org: s(org), partner_type: s(ty), active: true, departments: None }
}

/// A backbone with one app published to suppliers; a supplier and a distributor unit.
fn facts() -> Facts {
    Facts {
        members: vec![
            member("m_back", "o_back", &["d_sales"], &["o_back"]),
            member("m_sup", "o_sup", &["d_sup_east"], &["o_back"]),
            member("m_sup_noseat", "o_sup", &[], &[]),
            member("m_dist", "o_dist", &[], &["o_back"]),
            MemberFacts { active: false, ..member("m_gone", "o_sup", &[], &["o_back"]) },
        ],
        departments: vec![(s("d_sales"), None), (s("d_sup"), None), (s("d_sup_east"), Some(s("d_sup")))],
        units: vec![unit("u_sup", "o_sup", "supplier"), unit("u_dist", "o_dist", "distributor")],
        networks: vec![(s("n"), s("o_back"))],
        apps: vec![AppFacts {
            id: s("app"),
            org: s("o_back"),
            groups: vec![(s("g_all"), vec![Right::Submit, Right::ViewOwn], vec![Principal::Everyone])],
            publications: vec![(s("n"), Audience::PartnerTypes(vec![s("supplier")]))],
        }],
    }
}

#[test]
fn managing_the_app_never_reaches_a_partner_not_even_its_admins() {
    let mut f = facts();
    for m in &mut f.members {
        m.admin = true;
    }
    let manage = vec![Right::Manage, Right::ViewAll];
    f.apps[0].groups.push((s("g_admins"), manage, vec![Principal::Admins, Principal::Everyone]));
    let ix = Index::build(&f);
    assert!(ix.allows("m_back", "app", Right::Manage), "the owner's admin manages");
    let d = ix.check("m_sup", "app", Right::Manage).decision();
    assert!(!d.allowed, "a supplier's admin reached by the app does not: {d:?}");
    assert!(d.reasons.last().unwrap().contains("manage is the owner's alone"), "{d:?}");
    assert_eq!(ix.who_can("app", Right::Manage, None, 10), vec!["m_back"]);
    assert_eq!(ix.count_who_can("app", Right::ViewAll), 1);
}

#[test]
fn ids_too_long_to_keep_inline_work_like_short_ones() {
    let long = "m_".to_owned() + &"x".repeat(40);
    let mut f = facts();
    f.members.push(member(&long, "o_sup", &["d_sup"], &["o_back"]));
    f.members.push(member("", "o_sup", &[], &["o_back"]));
    let mut ix = Index::build(&f);
    assert!(ix.allows(&long, "app", Right::Submit));
    assert!(ix.allows("", "app", Right::Submit), "an empty id is kept by number, not lost");
    ix.put_seat(&long, "o_back", false);
    assert!(!ix.allows(&long, "app", Right::Submit), "seat released");
    ix.remove_member(&long);
    assert!(!ix.check(&long, "app", Right::Submit).allowed);
    assert!(ix.allows("m_sup", "app", Right::Submit), "others untouched");
}

#[test]
fn suppliers_get_supplier_apps_with_reasons() {
    let ix = Index::build(&facts());
    let d = ix.check("m_sup", "app", Right::Submit).decision();
    assert!(d.allowed, "{d:?}");
    assert!(d.reasons.iter().any(|r| r.contains("unit u_sup (supplier)")), "{d:?}");
    assert!(d.reasons.iter().any(|r| r.contains("seat held")));
    assert!(d.reasons.last().unwrap().contains("permission group g_all grants submit"));
    let d = ix.check("m_dist", "app", Right::Submit).decision();
    assert!(!d.allowed);
    assert!(d.reasons.last().unwrap().starts_with("missing: a publication"), "{d:?}");
    let d = ix.check("m_sup_noseat", "app", Right::Submit).decision();
    assert!(d.reasons.last().unwrap().contains("missing: a seat"), "{d:?}");
    assert!(!ix.check("m_gone", "app", Right::Submit).allowed);
    assert!(ix.check("m_back", "app", Right::Submit).allowed);
    assert!(!ix.check("m_back", "app", Right::Manage).allowed, "no group grants manage");
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_sup"]);
    assert_eq!(ix.who_can("app", Right::Submit, Some("m_back"), 10), vec!["m_sup"], "pages go on after the cursor");
    assert_eq!(ix.who_can("app", Right::Submit, None, 1), vec!["m_back"]);
    assert_eq!(ix.apps_of("m_sup", Right::Submit), vec!["app"]);
    assert!(ix.apps_of("m_dist", Right::Submit).is_empty());
    assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 3, "the distributor would join");
    assert_eq!(ix.preview("app", "n", &Audience::Units(vec![s("nope")]), Right::Submit), 1);
    // What a confirmation says before the change: unpublishing loses the supplier, removing the
    // only group loses everyone, and a network or group the app does not have loses no one.
    assert_eq!(ix.losses("app", Without::Publication("n"), &[Right::Submit]), 1);
    assert_eq!(ix.losses("app", Without::Publication("elsewhere"), &[Right::Submit]), 0);
    assert_eq!(ix.losses("app", Without::Group("g_all"), &[Right::Submit]), 2);
    assert_eq!(ix.losses("app", Without::Group("g_none"), &[Right::Submit]), 0);
    assert_eq!(ix.losses("nope", Without::Group("g_all"), &[Right::Submit]), 0);
    assert_eq!(ix.count_who_can("app", Right::Submit), 2, "counting changes nothing");
}

#[test]
fn department_audiences_include_subdepartments_and_groups_narrow() {
    let mut f = facts();
    f.apps[0].publications = vec![(s("n"), Audience::Departments(vec![s("d_sup")]))];
    f.apps[0].groups = vec![(
        s("g_unit"),
        vec![Right::Submit],
        vec![Principal::Unit(s("u_sup")), Principal::Department(s("d_sales"))],
    )];
    let ix = Index::build(&f);
    assert!(ix.check("m_sup", "app", Right::Submit).allowed, "d_sup_east is below d_sup");
    assert!(ix.check("m_back", "app", Right::Submit).allowed, "named by department");
    f.apps[0].groups = vec![(s("g_dist"), vec![Right::Submit], vec![Principal::PartnerType(s("distributor"))])];
    let ix = Index::build(&f);
    assert!(!ix.check("m_sup", "app", Right::Submit).allowed);
    assert!(!ix.check("m_back", "app", Right::Submit).allowed);
}

#[test]
fn a_removed_unit_or_a_moved_department_takes_effect_at_once() {
    let mut f = facts();
    f.apps[0].publications = vec![(s("n"), Audience::Departments(vec![s("d_sup")]))];
    let mut ix = Index::build(&f);
    assert!(ix.allows("m_sup", "app", Right::Submit));
    ix.put_department("d_sup_east", None);
    assert!(!ix.allows("m_sup", "app", Right::Submit), "no longer below d_sup");
    ix.put_department("d_sup_east", Some("d_sup"));
    assert!(ix.allows("m_sup", "app", Right::Submit));
    ix.remove_unit("u_sup");
    assert!(!ix.allows("m_sup", "app", Right::Submit));
    assert!(ix.who_can("app", Right::Submit, None, 10).iter().all(|m| m != "m_sup"));
}

/// `facts()` with the supplier unit bringing `departments`, and more supplier members: `m_in`
/// in d_sup, `m_deep` two levels below it, `m_out` in d_sup_north (outside d_sup), `m_none`
/// in no department; `m_sup` is in d_sup_east, below d_sup.
fn bringing(departments: Option<Vec<String>>) -> Facts {
    let mut f = facts();
    f.units[0].departments = departments;
    f.departments.push((s("d_sup_north"), None));
    f.departments.push((s("d_sup_sub"), Some(s("d_sup_east"))));
    f.members.push(member("m_in", "o_sup", &["d_sup"], &["o_back"]));
    f.members.push(member("m_deep", "o_sup", &["d_sup_sub"], &["o_back"]));
    f.members.push(member("m_out", "o_sup", &["d_sup_north"], &["o_back"]));
    f.members.push(member("m_none", "o_sup", &[], &["o_back"]));
    f
}

#[test]
fn a_unit_bringing_departments_reaches_only_their_members() {
    let f = bringing(Some(vec![s("d_sup")]));
    let ix = Index::build(&f);
    for m in ["m_in", "m_sup", "m_deep"] {
        assert!(ix.allows(m, "app", Right::Submit), "{m} is in d_sup or below it");
        assert!(ix.check(m, "app", Right::Submit).allowed, "{m}");
        assert_eq!(ix.apps_of(m, Right::Submit), vec!["app"], "{m}");
    }
    for m in ["m_out", "m_none"] {
        assert!(!ix.allows(m, "app", Right::Submit), "{m} is of o_sup but outside d_sup");
        let d = ix.check(m, "app", Right::Submit).decision();
        assert!(!d.allowed);
        assert_eq!(d.reasons, vec!["missing: membership of a department that unit u_sup brings into network n"], "{m}");
        assert!(ix.apps_of(m, Right::Submit).is_empty(), "{m}");
    }
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_deep", "m_in", "m_sup"]);
    assert_eq!(ix.who_can("app", Right::Submit, Some("m_deep"), 2), vec!["m_in", "m_sup"]);
    assert_eq!(ix.count_who_can("app", Right::Submit), 4);
    assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 5, "the whole distributor joins");
    assert_eq!(ix.preview("app", "n", &Audience::Units(vec![s("u_sup")]), Right::Submit), 4);
    let departments = Audience::Departments(vec![s("d_sup_north"), s("d_sup_east")]);
    assert_eq!(ix.preview("app", "n", &departments, Right::Submit), 3, "m_back, m_sup, m_deep: not m_out");

    // Groups naming the unit or its partner type name only the members it brings.
    let mut f = f;
    f.apps[0].groups = vec![
        (s("g_unit"), vec![Right::Submit], vec![Principal::Unit(s("u_sup"))]),
        (s("g_type"), vec![Right::ViewOwn], vec![Principal::PartnerType(s("supplier"))]),
    ];
    f.apps[0].publications = vec![(s("n"), Audience::AllUnits)];
    let ix = Index::build(&f);
    for right in [Right::Submit, Right::ViewOwn] {
        assert!(ix.allows("m_in", "app", right));
        assert!(!ix.allows("m_out", "app", right));
        assert_eq!(ix.who_can("app", right, None, 10), vec!["m_deep", "m_in", "m_sup"]);
    }

    // A unit of the same organization in another network that brings it whole still reaches m_out.
    f.networks.push((s("n2"), s("o_back")));
    f.units.push(UnitFacts { network: s("n2"), ..unit("v_sup", "o_sup", "supplier") });
    f.apps[0].groups = vec![(s("g"), vec![Right::Submit], vec![Principal::Unit(s("v_sup"))])];
    f.apps[0].publications.push((s("n2"), Audience::AllUnits));
    let ix = Index::build(&f);
    let d = ix.check("m_out", "app", Right::Submit).decision();
    assert!(d.allowed, "{d:?}");
    assert!(d.reasons[0].contains("unit v_sup (supplier) in network n2"), "{d:?}");
    assert!(ix.allows("m_in", "app", Right::Submit), "by v_sup too, though u_sup brings m_in as well");
    f.units.last_mut().unwrap().departments = Some(vec![s("d_sup_sub")]);
    let ix = Index::build(&f);
    assert!(!ix.allows("m_out", "app", Right::Submit));
    assert!(ix.allows("m_deep", "app", Right::Submit));
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_deep"]);
}

#[test]
fn moving_departments_or_members_changes_who_a_unit_brings_at_once() {
    let mut ix = Index::build(&bringing(Some(vec![s("d_sup")])));
    assert!(!ix.allows("m_out", "app", Right::Submit));
    ix.put_department("d_sup_north", Some("d_sup"));
    assert!(ix.allows("m_out", "app", Right::Submit), "d_sup_north moved under d_sup");
    assert!(ix.who_can("app", Right::Submit, None, 10).contains(&s("m_out")));
    ix.put_department("d_sup_north", None);
    assert!(!ix.allows("m_out", "app", Right::Submit), "and out again");
    assert!(!ix.who_can("app", Right::Submit, None, 10).contains(&s("m_out")));

    // The member moves in; another moves out.
    ix.put_member(&member("m_out", "o_sup", &["d_sup_east"], &["o_back"]));
    assert!(ix.allows("m_out", "app", Right::Submit), "m_out moved into d_sup_east");
    ix.put_member(&member("m_in", "o_sup", &["d_sup_north"], &["o_back"]));
    assert!(!ix.allows("m_in", "app", Right::Submit), "m_in moved out of d_sup");

    // A department made below d_sup after the unit was put counts too; one moved out, or
    // removed, does not.
    ix.put_department("d_later", Some("d_sup_sub"));
    ix.put_member(&member("m_none", "o_sup", &["d_later"], &["o_back"]));
    assert!(ix.allows("m_none", "app", Right::Submit), "d_later is below d_sup");
    ix.put_department("d_sup_east", Some("d_sup_north"));
    for m in ["m_sup", "m_out", "m_deep", "m_none"] {
        assert!(!ix.allows(m, "app", Right::Submit), "{m}: d_sup_east moved out from under d_sup");
    }
    ix.put_department("d_sup_east", Some("d_sup"));
    assert!(ix.allows("m_none", "app", Right::Submit));
    ix.remove_department("d_sup_east");
    assert!(!ix.allows("m_sup", "app", Right::Submit), "d_sup_east removed");
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back"]);

    // Putting the unit again changes what it brings.
    ix.put_unit(&UnitFacts { departments: Some(vec![s("d_sup_north")]), ..unit("u_sup", "o_sup", "supplier") });
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_in"]);
    ix.put_unit(&unit("u_sup", "o_sup", "supplier"));
    assert_eq!(ix.count_who_can("app", Right::Submit), 6, "the whole organization, those with seats");
}

#[test]
fn a_unit_bringing_no_department_reaches_nobody() {
    for departments in [vec![], vec![s("d_nobody_knows")]] {
        let ix = Index::build(&bringing(Some(departments.clone())));
        for m in ["m_in", "m_sup", "m_deep", "m_out", "m_none"] {
            assert!(!ix.allows(m, "app", Right::Submit), "{departments:?} {m}");
        }
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back"], "{departments:?}");
        assert_eq!(ix.count_who_can("app", Right::Submit), 1, "{departments:?}");
        assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 2, "{departments:?}: m_dist");
    }
}

#[test]
fn a_unit_bringing_its_whole_organization_reaches_all_its_members() {
    let ix = Index::build(&bringing(None));
    for m in ["m_in", "m_sup", "m_deep", "m_out", "m_none"] {
        assert!(ix.allows(m, "app", Right::Submit), "{m}");
    }
    let all = ["m_back", "m_deep", "m_in", "m_none", "m_out", "m_sup"];
    assert_eq!(ix.who_can("app", Right::Submit, None, 10), all);
    let d = ix.check("m_dist", "app", Right::Submit).decision();
    assert!(d.reasons.last().unwrap().starts_with("missing: a publication"), "{d:?}");
}
