//! The partner network's rules: partner types and tiers, who sees whom, invitations, and who
//! takes over when a contact leaves.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::directory::{name, optional_text};
use crate::error::{DomainError, Reason, Rule};

/// The partner types every network starts with; admins add custom ones.
pub const BUILTIN_TYPES: &[(&str, &str)] = &[
    ("supplier", "Supplier"),
    ("distributor", "Distributor"),
    ("service_provider", "Service provider"),
    ("ecosystem_staff", "Ecosystem staff"),
];

/// The tiers a new partner type gets.
pub const DEFAULT_TIERS: &[&str] = &["strategic", "a", "b", "c"];

/// A partner type's key: lowercase letters, digits and `_`, 2 to 32 long.
pub fn type_key(field: &str, text: &str) -> Result<String, DomainError> {
    let key = text.trim();
    if key.is_empty() {
        return Err(DomainError::invalid(field, Rule::Required));
    }
    if key.len() < 2 {
        return Err(DomainError::invalid(field, Rule::TooShort(2)));
    }
    if key.len() > 32 {
        return Err(DomainError::invalid(field, Rule::TooLong(32)));
    }
    if !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(DomainError::invalid(field, Rule::Reason(Reason::NameKeyFormat)));
    }
    Ok(key.to_owned())
}

/// One tier of a partner type, with the cooperation policy that goes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    #[serde(default)]
    pub policy: String,
}

/// 1 to 20 tiers with distinct names (case-insensitive) of at most 40 characters.
pub fn tiers(field: &str, input: &[Tier]) -> Result<Vec<Tier>, DomainError> {
    if input.is_empty() {
        return Err(DomainError::invalid(field, Rule::Required));
    }
    if input.len() > 20 {
        return Err(DomainError::invalid(field, Rule::Range { min: 1, max: 20 }));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(input.len());
    for (i, t) in input.iter().enumerate() {
        let tier_name = name(&format!("{field}[{i}].name"), &t.name, 40)?;
        if !seen.insert(tier_name.to_lowercase()) {
            return Err(DomainError::invalid(format!("{field}[{i}].name"), Rule::Unique));
        }
        let policy = policy(&format!("{field}[{i}].policy"), &t.policy)?;
        out.push(Tier { name: tier_name, policy });
    }
    Ok(out)
}

/// A cooperation policy: free text up to 2000 characters, line breaks allowed.
/// What [`policy`] accepts, for the API's document: no control character but tab and line breaks.
pub const POLICY_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// The API document's schemas of a free text (a description, a policy): see [`POLICY_PATTERN`].
pub mod policy_schemas {
    use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

    fn schema(nullable: bool) -> Object {
        let kind =
            if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { SchemaType::new(Type::String) };
        ObjectBuilder::new().schema_type(kind).pattern(Some(super::POLICY_PATTERN)).max_length(Some(2000)).build()
    }
    pub fn text() -> Object {
        schema(false)
    }
    pub fn optional() -> Object {
        schema(true)
    }
}

pub fn policy(field: &str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.chars().count() > 2000 {
        return Err(DomainError::invalid(field, Rule::TooLong(2000)));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(DomainError::invalid(field, Rule::NoControlCharacters));
    }
    Ok(text.to_owned())
}

/// Up to 20 distinct tags of at most 40 characters each, in the order given.
pub fn tags(field: &str, input: &[String]) -> Result<Vec<String>, DomainError> {
    if input.len() > 20 {
        return Err(DomainError::invalid(field, Rule::Range { min: 0, max: 20 }));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in input.iter().enumerate() {
        if let Some(t) = optional_text(&format!("{field}[{i}]"), t, 40)?
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    Ok(out)
}

/// Departments an invitation proposes to bring in, by name (the backbone cannot see the
/// partner's tree): up to 20 distinct names of at most 120 characters, in the order given.
pub fn department_names(field: &str, input: &[String]) -> Result<Vec<String>, DomainError> {
    if input.len() > 20 {
        return Err(DomainError::invalid(field, Rule::Count { min: 0, max: 20 }));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, n) in input.iter().enumerate() {
        let n = name(&format!("{field}[{i}]"), n, 120)?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

/// One department of the accepting organization's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeDepartment {
    pub id: String,
    pub parent: Option<String>,
    pub name: String,
}

/// The departments a unit brings into its network: `None` for the whole organization.
///
/// `picked` (ids from the partner's own tree) wins when given: empty means the whole
/// organization. Otherwise the invitation's `named` departments are looked up by name (none
/// named: the whole organization). A department below another chosen one adds nobody and is
/// dropped, so the choice is kept as its outermost departments, in tree order.
pub fn departments_to_bring(
    tree: &[TreeDepartment],
    named: &[String],
    picked: Option<&[String]>,
) -> Result<Option<Vec<String>>, DomainError> {
    let parents: std::collections::HashMap<&str, Option<&str>> =
        tree.iter().map(|d| (d.id.as_str(), d.parent.as_deref())).collect();
    let chosen: Vec<&str> = match picked {
        Some([]) => return Ok(None),
        Some(ids) => {
            if ids.len() > 100 {
                return Err(DomainError::invalid("department_ids", Rule::Count { min: 0, max: 100 }));
            }
            for (i, id) in ids.iter().enumerate() {
                if !parents.contains_key(id.as_str()) {
                    return Err(DomainError::invalid(
                        format!("department_ids[{i}]"),
                        Rule::Reason(Reason::NotYourDepartment),
                    ));
                }
            }
            ids.iter().map(String::as_str).collect()
        }
        None if named.is_empty() => return Ok(None),
        None => {
            let mut ids = Vec::new();
            for (i, n) in named.iter().enumerate() {
                let mut found = tree.iter().filter(|d| d.name.eq_ignore_ascii_case(n));
                match (found.next(), found.next()) {
                    (Some(d), None) => ids.push(d.id.as_str()),
                    (None, _) => {
                        return Err(DomainError::invalid(
                            format!("departments[{i}]"),
                            Rule::Reason(Reason::NoSuchDepartmentName),
                        ));
                    }
                    (Some(_), Some(_)) => {
                        return Err(DomainError::invalid(
                            format!("departments[{i}]"),
                            Rule::Reason(Reason::AmbiguousDepartmentName),
                        ));
                    }
                }
            }
            ids
        }
    };
    let parent = |id: &str| parents.get(id).copied().flatten();
    // Is `id` strictly below a chosen department? The walk is bounded in case of a cycle.
    let below_chosen = |id: &str| {
        let mut cur = parent(id);
        for _ in 0..=tree.len() {
            match cur {
                Some(p) if chosen.contains(&p) => return true,
                Some(p) => cur = parent(p),
                None => return false,
            }
        }
        false
    };
    let out: Vec<String> =
        tree.iter().filter(|d| chosen.contains(&d.id.as_str()) && !below_chosen(&d.id)).map(|d| d.id.clone()).collect();
    Ok(Some(out))
}

/// A calendar date `YYYY-MM-DD`, checked for a real day.
pub fn date(field: &str, text: &str) -> Result<String, DomainError> {
    let bad = || DomainError::invalid(field, Rule::Reason(Reason::DateFormat));
    let b = text.as_bytes();
    let digits = b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    // `u32::parse` alone would take "+1" as a month.
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let (y, m, d) = (num(&text[0..4])?, num(&text[5..7])?, num(&text[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if y < 1900 || d == 0 || d > days {
        return Err(bad());
    }
    Ok(text.to_owned())
}

/// A contract period: both ends optional, the end not before the start.
pub fn contract(start: Option<&str>, end: Option<&str>) -> Result<(Option<String>, Option<String>), DomainError> {
    let start = start.filter(|s| !s.trim().is_empty()).map(|s| date("contract_start", s.trim())).transpose()?;
    let end = end.filter(|s| !s.trim().is_empty()).map(|s| date("contract_end", s.trim())).transpose()?;
    if let (Some(s), Some(e)) = (&start, &end)
        && e < s
    {
        return Err(DomainError::invalid("contract_end", Rule::Reason(Reason::EndBeforeStart)));
    }
    Ok((start, end))
}

/// Which units' people a unit's members see. The backbone's network members see everyone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Their own unit and the backbone's network members (the default).
    #[default]
    Own,
    /// Also units of the same partner type.
    SameType,
    /// Every unit in the network.
    All,
}

text_enum!(Visibility {
    Own = "own",
    SameType = "same_type",
    All = "all",
});

/// Someone looking into a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// A member of the backbone organization who was added to the network, or one of its
    /// partner admins.
    Backbone { admin: bool },
    /// An active member of an active unit.
    Unit { unit: String, partner_type: String, admin: bool },
}

/// What a viewer may see of the units: `None` means every unit; otherwise the unit ids and
/// partner types whose people are visible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitScope {
    Every,
    Only { units: Vec<String>, partner_types: Vec<String> },
}

impl UnitScope {
    pub fn sees(&self, unit: &str, partner_type: &str) -> bool {
        match self {
            UnitScope::Every => true,
            UnitScope::Only { units, partner_types } => {
                units.iter().any(|u| u == unit) || partner_types.iter().any(|t| t == partner_type)
            }
        }
    }
}

impl Viewer {
    /// The rule of the address book: backbone people see all units; a unit sees itself, plus
    /// units of its type or all units when the network allows it.
    pub fn unit_scope(&self, visibility: Visibility) -> UnitScope {
        match (self, visibility) {
            (Viewer::Backbone { .. }, _) | (Viewer::Unit { .. }, Visibility::All) => UnitScope::Every,
            (Viewer::Unit { unit, partner_type, .. }, Visibility::SameType) => {
                UnitScope::Only { units: vec![unit.clone()], partner_types: vec![partner_type.clone()] }
            }
            (Viewer::Unit { unit, .. }, Visibility::Own) => {
                UnitScope::Only { units: vec![unit.clone()], partner_types: vec![] }
            }
        }
    }

    pub fn is_backbone(&self) -> bool {
        matches!(self, Viewer::Backbone { .. })
    }
}

/// The roles a contact can have on a partnership.
pub const CONTACT_ROLES: &[&str] = &["owner", "business", "finance", "technical", "legal", "logistics", "other"];

pub fn contact_role(field: &str, text: &str) -> Result<String, DomainError> {
    if CONTACT_ROLES.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(DomainError::invalid(field, Rule::OneOf(CONTACT_ROLES)))
    }
}

/// Where a unit stands in its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    Active,
    /// Its organization lost its certification; its people are out until it is certified again.
    Blocked,
    Removed,
}

text_enum!(UnitStatus {
    Active = "active",
    Blocked = "blocked",
    Removed = "removed",
});

/// Whom a unit brings into its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Brings {
    /// Every person of its organization.
    Organization,
    /// The people of the departments named for the unit, and of those below them.
    Departments,
}

text_enum!(Brings {
    Organization = "organization",
    Departments = "departments",
});

/// Which side of the partnership a contact speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Backbone,
    Partner,
}

text_enum!(Side {
    Backbone = "backbone",
    Partner = "partner",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Declined,
    Revoked,
}

text_enum!(InvitationStatus {
    Pending = "pending",
    Accepted = "accepted",
    Declined = "declined",
    Revoked = "revoked",
});

/// An invitation as it stands when someone tries to answer it.
#[derive(Clone, Debug)]
pub struct InvitationState<'a> {
    pub status: InvitationStatus,
    pub expires_at: i64,
    /// The organization it was sent to, if it was sent to one.
    pub target_org: Option<&'a str>,
}

/// Whether `org` may accept or decline the invitation now. Each refusal says why, so a partner
/// admin with an old link knows to ask for a new one.
pub fn check_answer(inv: &InvitationState<'_>, org: &str, certified: bool, now: i64) -> Result<(), DomainError> {
    match inv.status {
        InvitationStatus::Pending => {}
        InvitationStatus::Revoked => {
            return Err(DomainError::conflict("code", Rule::Reason(Reason::InvitationRevoked)));
        }
        InvitationStatus::Accepted | InvitationStatus::Declined => {
            return Err(DomainError::conflict("code", Rule::Reason(Reason::InvitationAnswered)));
        }
    }
    if now >= inv.expires_at {
        return Err(DomainError::conflict("code", Rule::Reason(Reason::InvitationExpired)));
    }
    if inv.target_org.is_some_and(|t| t != org) {
        // Someone else's invitation: the same answer as an unknown code.
        return Err(DomainError::NotFound { what: "invitation" });
    }
    if !certified {
        return Err(DomainError::conflict("organization", Rule::Reason(Reason::UncertifiedCannotJoin)));
    }
    Ok(())
}

/// Invitation lifetimes: 1 hour to 90 days, 14 days by default.
pub const INVITATION_HOURS_DEFAULT: i64 = 14 * 24;
pub fn invitation_hours(field: &str, hours: Option<i64>) -> Result<i64, DomainError> {
    let h = hours.unwrap_or(INVITATION_HOURS_DEFAULT);
    if !(1..=90 * 24).contains(&h) {
        return Err(DomainError::invalid(field, Rule::Range { min: 1, max: 90 * 24 }));
    }
    Ok(h)
}

/// A member who could take over a contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub member: String,
    pub active: bool,
}

/// Who takes over from a contact who left: the designated backup if still active, otherwise
/// the first active head of the leaver's departments. `None` leaves the choice to the owner.
pub fn successor(leaver: &str, backup: Option<&Candidate>, heads: &[Candidate]) -> Option<String> {
    backup.into_iter().chain(heads).find(|c| c.active && c.member != leaver).map(|c| c.member.clone())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tree() -> Vec<TreeDepartment> {
        // root > sales > (north, south); root > finance
        [
            ("root", None, "Acme"),
            ("sales", Some("root"), "Sales"),
            ("north", Some("sales"), "North"),
            ("south", Some("sales"), "South"),
            ("finance", Some("root"), "Finance"),
        ]
        .into_iter()
        .map(|(id, p, n)| TreeDepartment { id: id.into(), parent: p.map(Into::into), name: n.into() })
        .collect()
    }

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn departments_to_bring_are_picked_by_id_or_matched_by_name() {
        let t = tree();
        // Nothing named and nothing picked, or an empty pick: the whole organization.
        assert_eq!(departments_to_bring(&t, &[], None), Ok(None));
        assert_eq!(departments_to_bring(&t, &v(&["Sales"]), Some(&[])), Ok(None));
        // Names match without regard to case; a pick wins over the names.
        assert_eq!(departments_to_bring(&t, &v(&["sales", "FINANCE"]), None), Ok(Some(v(&["sales", "finance"]))));
        assert_eq!(departments_to_bring(&t, &v(&["Sales"]), Some(&v(&["north"]))), Ok(Some(v(&["north"]))));
        // A department below another chosen one is dropped.
        assert_eq!(departments_to_bring(&t, &[], Some(&v(&["north", "sales"]))), Ok(Some(v(&["sales"]))));
        assert_eq!(departments_to_bring(&t, &[], Some(&v(&["south", "north"]))), Ok(Some(v(&["north", "south"]))));
    }

    #[test]
    fn departments_to_bring_name_the_field_at_fault() {
        let t = tree();
        let field = |r: Result<Option<Vec<String>>, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        };
        assert_eq!(field(departments_to_bring(&t, &v(&["Sales", "Legal"]), None)), "departments[1]");
        assert_eq!(field(departments_to_bring(&t, &[], Some(&v(&["sales", "elsewhere"])))), "department_ids[1]");
        let twice = [t.clone(), vec![TreeDepartment { id: "s2".into(), parent: None, name: "SALES".into() }]].concat();
        assert_eq!(field(departments_to_bring(&twice, &v(&["Sales"]), None)), "departments[0]");
        assert_eq!(field(department_names("departments", &v(&["ok", " "])).map(Some)), "departments[1]");
        assert_eq!(department_names("departments", &v(&["Sales", "Sales", " North "])), Ok(v(&["Sales", "North"])));
    }

    proptest! {
        /// Whatever is picked, what is kept brings the same people: every picked department is
        /// a kept one or below one, and no kept department is below another.
        #[test]
        fn the_outermost_departments_cover_the_pick(pick in proptest::collection::vec(0usize..5, 1..6)) {
            let t = tree();
            let ids: Vec<String> = pick.iter().map(|i| t[*i].id.clone()).collect();
            let kept = departments_to_bring(&t, &[], Some(&ids)).unwrap().unwrap();
            let parent = |id: &str| t.iter().find(|d| d.id == id).and_then(|d| d.parent.clone());
            let within = |mut id: String, top: &str| loop {
                if id == top { return true; }
                match parent(&id) { Some(p) => id = p, None => return false }
            };
            for id in &ids {
                prop_assert!(kept.iter().any(|k| within(id.clone(), k)));
            }
            for a in &kept {
                for b in &kept {
                    prop_assert!(a == b || !within(a.clone(), b));
                }
                prop_assert!(ids.contains(a));
            }
        }
    }

    fn cand(m: &str, active: bool) -> Candidate {
        Candidate { member: m.into(), active }
    }

    #[test]
    fn the_backup_takes_over_then_a_head_then_nobody() {
        assert_eq!(successor("a", Some(&cand("b", true)), &[cand("h", true)]), Some("b".into()));
        assert_eq!(successor("a", Some(&cand("b", false)), &[cand("h", true)]), Some("h".into()));
        // The leaver heading their own department is no successor.
        assert_eq!(successor("a", None, &[cand("a", true), cand("h2", true)]), Some("h2".into()));
        assert_eq!(successor("a", Some(&cand("b", false)), &[cand("a", true)]), None);
    }

    #[test]
    fn visibility_by_default_keeps_units_apart() {
        let supplier = Viewer::Unit { unit: "u1".into(), partner_type: "supplier".into(), admin: false };
        let own = supplier.unit_scope(Visibility::Own);
        assert!(own.sees("u1", "supplier"));
        assert!(!own.sees("u2", "supplier"));
        assert!(!own.sees("u3", "distributor"));
        let same = supplier.unit_scope(Visibility::SameType);
        assert!(same.sees("u2", "supplier"));
        assert!(!same.sees("u3", "distributor"));
        assert!(supplier.unit_scope(Visibility::All).sees("u3", "distributor"));
        assert!(Viewer::Backbone { admin: false }.unit_scope(Visibility::Own).sees("u3", "distributor"));
    }

    #[test]
    fn invitations_refuse_with_reasons() {
        let pending = InvitationState { status: InvitationStatus::Pending, expires_at: 100, target_org: None };
        assert!(check_answer(&pending, "org_a", true, 99).is_ok());
        let expired = check_answer(&pending, "org_a", true, 100).unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
        let uncertified = check_answer(&pending, "org_a", false, 1).unwrap_err();
        assert_eq!(uncertified.field(), Some("organization"));
        let taken = InvitationState { status: InvitationStatus::Accepted, ..pending.clone() };
        assert!(check_answer(&taken, "org_a", true, 1).unwrap_err().to_string().contains("already answered"));
        let revoked = InvitationState { status: InvitationStatus::Revoked, ..pending.clone() };
        assert!(check_answer(&revoked, "org_a", true, 1).unwrap_err().to_string().contains("revoked"));
        let aimed = InvitationState { target_org: Some("org_b"), ..pending };
        assert_eq!(check_answer(&aimed, "org_a", true, 1), Err(DomainError::NotFound { what: "invitation" }));
    }

    #[test]
    fn dates_and_contracts() {
        assert!(date("d", "2024-02-29").is_ok());
        assert!(date("d", "2023-02-29").is_err());
        assert!(date("d", "2023-13-01").is_err());
        assert!(date("d", "23-01-01").is_err());
        assert!(date("d", "2026-+1-01").is_err(), "a sign is not a digit");
        assert_eq!(contract(Some("2026-01-01"), Some("2025-12-31")).unwrap_err().field(), Some("contract_end"));
        assert_eq!(contract(Some(""), None).unwrap(), (None, None));
    }

    #[test]
    fn tiers_need_distinct_names() {
        let t = |n: &str| Tier { name: n.into(), policy: String::new() };
        assert!(tiers("tiers", &[t("A"), t("B")]).is_ok());
        assert_eq!(tiers("tiers", &[t("A"), t("a")]).unwrap_err().field(), Some("tiers[1].name"));
        assert_eq!(tiers("tiers", &[]).unwrap_err().field(), Some("tiers"));
        assert_eq!(type_key("key", "Bad Key").unwrap_err().field(), Some("key"));
    }

    proptest! {
        /// Whatever the visibility, a viewer always sees its own unit, and a stricter
        /// setting never shows more than a looser one.
        #[test]
        fn visibility_is_monotone(unit in "u[0-3]", ty in "(supplier|distributor)", other in "u[0-3]", oty in "(supplier|distributor)") {
            let v = Viewer::Unit { unit: unit.clone(), partner_type: ty.clone(), admin: false };
            let (own, same, all) = (v.unit_scope(Visibility::Own), v.unit_scope(Visibility::SameType), v.unit_scope(Visibility::All));
            prop_assert!(own.sees(&unit, &ty));
            prop_assert!(!own.sees(&other, &oty) || same.sees(&other, &oty));
            prop_assert!(!same.sees(&other, &oty) || all.sees(&other, &oty));
            prop_assert_eq!(own.sees(&other, &oty), other == unit);
        }

        /// The successor is never the leaver and never inactive.
        #[test]
        fn successor_is_active_and_not_the_leaver(backup in proptest::option::of(("m[0-4]", any::<bool>())), heads in proptest::collection::vec(("m[0-4]", any::<bool>()), 0..4)) {
            let backup = backup.map(|(m, a)| cand(&m, a));
            let heads: Vec<_> = heads.into_iter().map(|(m, a)| cand(&m, a)).collect();
            if let Some(s) = successor("m0", backup.as_ref(), &heads) {
                prop_assert!(s != "m0");
                prop_assert!(backup.iter().chain(&heads).any(|c| c.member == s && c.active));
            }
        }

        #[test]
        fn date_parser_never_panics(s in "\\PC{0,12}") {
            let _ = date("d", &s);
        }
    }
}
