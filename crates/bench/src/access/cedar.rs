//! The peer: the same access model as `cedar-policy` policies, a per-request entity slice, and
//! Cedar's decisions timed and compared with the index's.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use keiretsu_domain::access::{AppFacts, Audience, Facts, Index, MemberFacts, Principal, Right, UnitFacts};

/// Decisions per batch of prebuilt Cedar slices (bounded memory at any sample size).
const CEDAR_CHUNK: usize = 2000;
/// Cedar with every app's policies in one set takes a few hundred microseconds a decision: it runs
/// on the first this many decisions only (the app's own policies run on all of them).
const CEDAR_ALL_MAX: usize = 20_000;

/// One way of giving Cedar its policies, measured on every decision.
pub(super) struct CedarWay {
    pub(super) policies: usize,
    /// Nanoseconds per decision, in decision order.
    pub(super) samples: Vec<u64>,
    pub(super) mismatches: usize,
    pub(super) errors: usize,
}

pub(super) struct CedarRun {
    /// Every app's policies in one set (Cedar evaluates each policy on each request).
    pub(super) all: CedarWay,
    /// Only the requested app's policies (the two global forbids, its reach forbid, its groups).
    pub(super) per_app: CedarWay,
    pub(super) slice_ns: f64,
    pub(super) shown: Vec<String>,
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn uids<'a>(ty: &str, ids: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = ids.into_iter().map(|i| format!("{ty}::{}", quote(i))).collect();
    format!("[{}]", list.join(", "))
}

/// The access model as Cedar policies. A decision is allowed when some permit holds and no forbid
/// does: the conditions every decision needs are forbids, the permission groups are permits.
///
/// `only`: the policies of one app (with the two that hold for every app), or of all apps.
fn cedar_policies(facts: &Facts, only: Option<&str>) -> String {
    let mut p = String::new();
    p += "@id(\"active\")\nforbid (principal, action, resource) unless { principal.active };\n";
    p += "@id(\"seat\")\nforbid (principal, action, resource) unless { principal.seats.contains(resource.org) };\n";
    for a in facts.apps.iter().filter(|a| only.is_none_or(|id| a.id == id)) {
        let app = quote(&a.id);
        let mut reach = "principal.org == resource.org".to_owned();
        if !a.publications.is_empty() {
            let pubs: Vec<String> = a
                .publications
                .iter()
                .map(|(network, audience)| {
                    let names = match audience {
                        Audience::AllUnits => "true".to_owned(),
                        Audience::PartnerTypes(t) => {
                            format!("principal.unit in {}", uids("Type", t.iter().map(String::as_str)))
                        }
                        Audience::Units(u) => {
                            format!("principal.unit in {}", uids("Unit", u.iter().map(String::as_str)))
                        }
                        Audience::Departments(d) => {
                            format!("principal in {}", uids("Dept", d.iter().map(String::as_str)))
                        }
                    };
                    format!("(principal.unit.network == Network::{} && {names})", quote(network))
                })
                .collect();
            let _ = write!(
                reach,
                " || (principal has unit && principal.unit.active && principal.unit.network.owner == resource.org \
                 && ({}))",
                pubs.join(" || ")
            );
        }
        let _ = writeln!(
            p,
            "@id(\"reach {}\")\nforbid (principal, action, resource == App::{app}) unless {{ {reach} }};",
            a.id
        );
        for (group, rights, principals) in &a.groups {
            let actions = uids("Action", rights.iter().map(|r| r.as_str()));
            let who: Vec<String> = principals
                .iter()
                .map(|x| match x {
                    Principal::Everyone => "true".to_owned(),
                    Principal::Member(m) => format!("principal == User::{}", quote(m)),
                    Principal::Department(d) => format!("principal in Dept::{}", quote(d)),
                    Principal::PartnerType(t) => format!("principal in Type::{}", quote(t)),
                    Principal::Unit(u) => format!("principal in Unit::{}", quote(u)),
                    Principal::Admins => "principal.admin".to_owned(),
                })
                .collect();
            let who = if who.is_empty() { "false".to_owned() } else { who.join(" || ") };
            let _ = writeln!(
                p,
                "@id(\"group {} {group}\")\npermit (principal, action in {actions}, resource == App::{app}) when {{ {who} }};",
                a.id
            );
        }
    }
    p
}

struct Types {
    user: EntityTypeName,
    dept: EntityTypeName,
    unit: EntityTypeName,
    ty: EntityTypeName,
    network: EntityTypeName,
    org: EntityTypeName,
    app: EntityTypeName,
    action: EntityTypeName,
}

impl Types {
    fn new() -> anyhow::Result<Types> {
        let t = |s: &str| EntityTypeName::from_str(s).map_err(|e| anyhow::anyhow!("{e}"));
        Ok(Types {
            user: t("User")?,
            dept: t("Dept")?,
            unit: t("Unit")?,
            ty: t("Type")?,
            network: t("Network")?,
            org: t("Org")?,
            app: t("App")?,
            action: t("Action")?,
        })
    }
}

fn uid(t: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id))
}

fn entity_ref(t: &EntityTypeName, id: &str) -> RestrictedExpression {
    RestrictedExpression::new_entity_uid(uid(t, id))
}

fn entity(u: EntityUid, attrs: Vec<(&str, RestrictedExpression)>, parents: Vec<EntityUid>) -> anyhow::Result<Entity> {
    let attrs: HashMap<String, RestrictedExpression> = attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Entity::new(u, attrs, parents.into_iter().collect()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The facts by id, to cut a per-request slice of entities.
struct Slicer<'a> {
    t: Types,
    members: HashMap<&'a str, &'a MemberFacts>,
    parents: HashMap<&'a str, &'a str>,
    /// The units of an organization (a unit organization is in one network in this data).
    units: HashMap<&'a str, Vec<&'a UnitFacts>>,
    owners: HashMap<&'a str, &'a str>,
    apps: HashMap<&'a str, &'a AppFacts>,
}

impl<'a> Slicer<'a> {
    fn new(facts: &'a Facts) -> anyhow::Result<Slicer<'a>> {
        let mut units: HashMap<&str, Vec<&UnitFacts>> = HashMap::new();
        for u in &facts.units {
            units.entry(u.org.as_str()).or_default().push(u);
        }
        Ok(Slicer {
            t: Types::new()?,
            members: facts.members.iter().map(|m| (m.id.as_str(), m)).collect(),
            parents: facts.departments.iter().filter_map(|(d, p)| Some((d.as_str(), p.as_deref()?))).collect(),
            units,
            owners: facts.networks.iter().map(|(n, o)| (n.as_str(), o.as_str())).collect(),
            apps: facts.apps.iter().map(|a| (a.id.as_str(), a)).collect(),
        })
    }

    /// Does `u` bring `m` into its network: its whole organization, or a department `m` is in
    /// or below?
    fn brings(&self, u: &UnitFacts, m: &MemberFacts) -> bool {
        let within = |dep: &str, top: &str| {
            let mut cur = dep;
            for _ in 0..64 {
                if cur == top {
                    return true;
                }
                match self.parents.get(cur) {
                    Some(p) => cur = p,
                    None => return false,
                }
            }
            false
        };
        u.departments.as_ref().is_none_or(|tops| tops.iter().any(|t| m.departments.iter().any(|d| within(d, t))))
    }

    /// The request and its entities: the user (parents: departments and unit), the department
    /// chain, the unit (parent: partner type), the network, the app.
    fn slice(&self, member: &str, app: &str) -> anyhow::Result<(Request, Entities)> {
        let t = &self.t;
        let m = self.members.get(member).context("sampled member")?;
        let a = self.apps.get(app).context("sampled app")?;
        let mut entities = vec![];
        let mut parents: Vec<EntityUid> = m.departments.iter().map(|d| uid(&t.dept, d)).collect();
        let mut seen = HashSet::new();
        for d in &m.departments {
            let mut cur = d.as_str();
            for _ in 0..64 {
                if !seen.insert(cur) {
                    break;
                }
                let parent = self.parents.get(cur).copied();
                entities.push(entity(
                    uid(&t.dept, cur),
                    vec![],
                    parent.map(|p| uid(&t.dept, p)).into_iter().collect(),
                )?);
                match parent {
                    Some(p) => cur = p,
                    None => break,
                }
            }
        }
        let mut attrs = vec![
            ("active", RestrictedExpression::new_bool(m.active)),
            ("admin", RestrictedExpression::new_bool(m.admin)),
            ("org", entity_ref(&t.org, &m.org)),
            ("seats", RestrictedExpression::new_set(m.pools.iter().map(|p| entity_ref(&t.org, p)))),
        ];
        // The member's unit: the one in a network of the app's organization if there is one, of
        // those that bring the member in (all of the organization, or the member's departments).
        let units = self.units.get(m.org.as_str()).map_or(&[][..], Vec::as_slice);
        let brought = || units.iter().filter(|u| self.brings(u, m));
        let unit = brought()
            .find(|u| self.owners.get(u.network.as_str()) == Some(&a.org.as_str()))
            .or_else(|| brought().next());
        if let Some(u) = unit {
            attrs.push(("unit", entity_ref(&t.unit, &u.id)));
            parents.push(uid(&t.unit, &u.id));
            entities.push(entity(
                uid(&t.unit, &u.id),
                vec![
                    ("active", RestrictedExpression::new_bool(u.active)),
                    ("network", entity_ref(&t.network, &u.network)),
                ],
                vec![uid(&t.ty, &u.partner_type)],
            )?);
            entities.push(Entity::new_no_attrs(uid(&t.ty, &u.partner_type), HashSet::new()));
            let owner = self.owners.get(u.network.as_str()).copied().unwrap_or("");
            entities.push(entity(uid(&t.network, &u.network), vec![("owner", entity_ref(&t.org, owner))], vec![])?);
        }
        entities.push(entity(uid(&t.user, member), attrs, parents)?);
        entities.push(entity(uid(&t.app, app), vec![("org", entity_ref(&t.org, &a.org))], vec![])?);
        let entities = Entities::from_entities(entities, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        let request = Request::new(
            uid(&t.user, member),
            uid(&t.action, Right::Submit.as_str()),
            uid(&t.app, app),
            Context::empty(),
            None,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((request, entities))
    }
}

fn parse_policies(text: &str) -> anyhow::Result<PolicySet> {
    PolicySet::from_str(text).map_err(|e| anyhow::anyhow!("the Cedar policies do not parse: {e}"))
}

pub(super) fn cedar(facts: &Facts, index: &Index, decisions: &[(&str, &str)]) -> anyhow::Result<CedarRun> {
    let all = parse_policies(&cedar_policies(facts, None))?;
    let mut per_app = HashMap::new();
    for a in &facts.apps {
        per_app.insert(a.id.as_str(), parse_policies(&cedar_policies(facts, Some(&a.id)))?);
    }
    let slicer = Slicer::new(facts)?;
    let authorizer = Authorizer::new();
    // Warm-up.
    for (m, a) in decisions.iter().take(1000) {
        let (r, e) = slicer.slice(m, a)?;
        black_box(authorizer.is_authorized(&r, &all, &e));
        black_box(authorizer.is_authorized(&r, &per_app[a], &e));
    }
    let way =
        |policies: usize| CedarWay { policies, samples: Vec::with_capacity(decisions.len()), mismatches: 0, errors: 0 };
    let app_policies = per_app.values().map(|p| p.policies().count()).max().unwrap_or(0);
    let mut run =
        CedarRun { all: way(all.policies().count()), per_app: way(app_policies), slice_ns: 0.0, shown: vec![] };
    let mut slice_total = Duration::ZERO;
    for (c, chunk) in decisions.chunks(CEDAR_CHUNK).enumerate() {
        let t = Instant::now();
        let slices = chunk.iter().map(|(m, a)| slicer.slice(m, a)).collect::<anyhow::Result<Vec<_>>>()?;
        slice_total += t.elapsed();
        let with_all = c * CEDAR_CHUNK < CEDAR_ALL_MAX;
        for ((m, a), (request, entities)) in chunk.iter().zip(&slices) {
            let expected = index.allows(m, a, Right::Submit);
            let ways = [(&per_app[a], &mut run.per_app, true), (&all, &mut run.all, with_all)];
            for (policies, way, _) in ways.into_iter().filter(|w| w.2) {
                let t = Instant::now();
                let response = authorizer.is_authorized(request, policies, entities);
                way.samples.push(t.elapsed().as_nanos() as u64);
                let errors = response.diagnostics().errors().count();
                way.errors += errors;
                let allowed = response.decision() == CedarDecision::Allow;
                if allowed != expected {
                    way.mismatches += 1;
                }
                if (allowed != expected || errors > 0) && run.shown.len() < 10 {
                    let label = |id: &cedar_policy::PolicyId| {
                        policies
                            .policy(id)
                            .and_then(|p| p.annotation("id"))
                            .map_or_else(|| id.to_string(), str::to_owned)
                    };
                    let reasons: Vec<String> = response.diagnostics().reason().map(label).collect();
                    let errs: Vec<String> = response.diagnostics().errors().map(|e| e.to_string()).collect();
                    run.shown.push(format!(
                        "member {m} app {a}: Cedar {allowed} by {reasons:?} errors {errs:?}; index {:?}",
                        index.check(m, a, Right::Submit)
                    ));
                }
            }
        }
    }
    run.slice_ns = slice_total.as_nanos() as f64 / decisions.len().max(1) as f64;
    Ok(run)
}
