//! Licenses and account authorization: editions, the seat pool, the authorization list,
//! auto-authorization on first visits, partner seats with entry rules, and usage warnings.
//!
//! Every seat movement goes through [`move_seats`] (or [`release`]), which keeps the pool's
//! count in the same transaction, warns on crossings and returns the journal entry. Each takes
//! the pool's row lock (`store::lock_pool`) before it reads a seat, so two servers on one
//! PostgreSQL serialize on the pool exactly as SQLite's single writer does.

use std::collections::{HashMap, HashSet};

use keiretsu_domain::directory::{optional_text, subtree};
use keiretsu_domain::identity::{Caller, Need, Scope};
use keiretsu_domain::ids::{DepartmentId, OrgId, UnitId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::license::{self as rules, AutoSetting, Counts, Edition, SeatReason, SeatStatus};
use keiretsu_domain::time::Millis;
use keiretsu_domain::{DomainError, Rule};
use keiretsu_store::license::{self as store, EntryRuleRow, ListFilter, PoolRow};
use keiretsu_store::{AnyConnection, Backend, Tx, directory as dir, network as net};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::departure::{BoxFuture, Departure, Reaction};
use crate::notifications::notify;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::{Result, Service};

const NO_LICENSE: DomainError = DomainError::NotFound { what: "license" };

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseChange {
    /// An edition key from the catalogue.
    pub edition: String,
    /// Purchased seats; required for seat-limited editions, absent for unlimited ones.
    #[serde(default, deserialize_with = "keiretsu_domain::whole::option")]
    pub seats: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoChange {
    pub on: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    pub organization_id: String,
    pub organization_name: String,
    /// Set for a network unit's people authorized as partners.
    pub unit_id: Option<String>,
    pub assigned: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LicenseView {
    pub organization_id: String,
    pub edition: Edition,
    /// `purchased` and `unassigned` are absent for unlimited editions.
    pub counts: Counts,
    pub auto_authorize: bool,
    /// An admin set auto-authorization by hand: edition changes keep it.
    pub auto_set_by_admin: bool,
    /// Usage in percent of the purchased seats; absent for unlimited editions.
    pub usage_percent: Option<i64>,
    /// 80 or 100 once usage reached that level; 0 below.
    pub warning_level: i64,
    /// Seats by the organization holding them: the pool's own first, then network units.
    pub usage: Vec<UsageView>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeatQuery {
    /// List a network unit's people (as partners of this pool) instead of the organization's own.
    pub unit_id: Option<String>,
    /// Part of a name, login, phone, email or employee number.
    pub q: Option<String>,
    pub department_id: Option<String>,
    /// With `department_id`: include every department below it.
    pub include_sub_departments: Option<bool>,
    /// `enabled`, `frozen`, `unauthorized` (visited, never authorized) or `never`.
    #[param(pattern = "^(enabled|frozen|unauthorized|never)?$")]
    pub status: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeatView {
    pub member_id: String,
    pub name: String,
    pub login: String,
    pub title: Option<String>,
    pub status: SeatStatus,
    /// Why the seat last moved: `manual`, `auto`, `entry_rule` or `departure`.
    pub reason: Option<String>,
}

/// Whose seats to change: chosen members, or a whole department subtree (of the organization,
/// or of a unit with `unit_id`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatSelection {
    #[serde(default)]
    pub member_ids: Vec<String>,
    pub department_id: Option<DepartmentId>,
    pub unit_id: Option<UnitId>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeatsChanged {
    /// Accounts whose standing changed.
    pub changed: u64,
    pub counts: Counts,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntryRule {
    pub unit_id: UnitId,
    pub department_id: DepartmentId,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryRuleView {
    pub unit_id: String,
    pub department_id: String,
    /// Seats the rule gave when it was bound.
    pub authorized: Option<u64>,
}

/// A member and their own organization.
type Holder = (String, String);

/// The seats of `members` in `pool` move to `to`. Enabling needs room for every one of them
/// when `all_or_nothing`; otherwise as many as fit, in the order given. Returns the members whose
/// standing changed and the journal entry, if any changed.
#[allow(clippy::too_many_arguments)]
async fn move_seats(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    members: &[(String, String)],
    to: SeatStatus,
    reason: SeatReason,
    all_or_nothing: bool,
    actor: &str,
    now: Millis,
) -> Result<(Vec<String>, Option<Change>)> {
    store::lock_pool(c, backend, pool).await?.ok_or(NO_LICENSE)?;
    // Read under the lock: who may still hold a seat, and where each one stands now.
    let ids: Vec<String> = members.iter().map(|(m, _)| m.clone()).collect();
    let seatable: HashSet<String> = store::seatable(c, backend, pool, &ids).await?.into_iter().collect();
    let current: HashMap<String, String> =
        store::rows_of(c, backend, pool, &ids).await?.into_iter().map(|(m, _, s)| (m, s)).collect();
    let mut moving: Vec<&(String, String)> = members
        .iter()
        .filter(|(m, _)| seatable.contains(m) && current.get(m).map(String::as_str) != Some(to.as_str()))
        .collect();
    let was_enabled = moving.iter().filter(|(m, _)| current.get(m).map(String::as_str) == Some("enabled")).count();
    if to == SeatStatus::Enabled && !moving.is_empty() {
        let wanted = moving.len() as i64;
        if store::take_seats(c, pool, wanted).await?.is_none() {
            let p = store::pool(c, pool).await?.ok_or(NO_LICENSE)?;
            let free = p.purchased.map_or(wanted, |x| x - p.assigned).max(0);
            if all_or_nothing || free == 0 {
                return Err(DomainError::conflict(
                    "seats",
                    Rule::Custom(if all_or_nothing {
                        "are not enough: the pool has fewer unassigned seats than accounts to authorize"
                    } else {
                        "are all assigned"
                    }),
                )
                .into());
            }
            // As many as fit: the count was read under the pool's lock.
            moving.truncate(free as usize);
            if store::take_seats(c, pool, free).await?.is_none() {
                return Err(DomainError::conflict("seats", Rule::Custom("are all assigned")).into());
            }
        }
    } else if was_enabled > 0 {
        store::return_seats(c, pool, was_enabled as i64).await?;
    }
    if moving.is_empty() {
        return Ok((Vec::new(), None));
    }
    let (existing, new): (Vec<&Holder>, Vec<&Holder>) = moving.iter().partition(|(m, _)| current.contains_key(m));
    let existing: Vec<String> = existing.into_iter().map(|(m, _)| m.clone()).collect();
    let new: Vec<(String, String)> = new.into_iter().cloned().collect();
    store::update_seats(c, backend, pool, &existing, to.as_str(), reason.as_str(), now).await?;
    store::insert_seats(c, backend, pool, &new, to.as_str(), reason.as_str(), now).await?;
    warn_if_crossed(c, pool, now).await?;
    store::add_usage(
        c,
        pool,
        &usage_deltas(moving.iter().map(|(m, org)| {
            let was = current.get(m).map(String::as_str) == Some("enabled");
            (org.as_str(), i64::from(to == SeatStatus::Enabled) - i64::from(was))
        })),
    )
    .await?;
    let changed: Vec<String> = moving.iter().map(|(m, _)| m.clone()).collect();
    let change = seat_change(actor, pool, to, reason, &changed);
    Ok((changed, change))
}

/// The journal entry of a seat movement: who moved whose seats, where to, and why.
fn seat_change(actor: &str, pool: &str, to: SeatStatus, reason: SeatReason, changed: &[String]) -> Option<Change> {
    let action = match to {
        SeatStatus::Enabled => "seat.enable",
        SeatStatus::Frozen => "seat.freeze",
        SeatStatus::Unauthorized | SeatStatus::Never => "seat.list",
    };
    let target = match changed {
        [] => return None,
        [one] => one.clone(),
        _ => pool.to_owned(),
    };
    Some(Change::new(actor, Some(pool), action, &target).with("reason", reason.as_str()).with("members", changed))
}

/// Sums per-organization changes of enabled seats.
fn usage_deltas<'a>(moves: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, i64)> {
    let mut by_org: HashMap<&str, i64> = HashMap::new();
    for (org, d) in moves {
        *by_org.entry(org).or_default() += d;
    }
    let mut out: Vec<(String, i64)> = by_org.into_iter().map(|(o, d)| (o.to_owned(), d)).collect();
    out.sort();
    out
}

/// Takes every seat row of `members` out of `pool`, returning enabled seats to it. The rows are
/// read under the pool's lock, so a seat moved meanwhile by another server is counted as it is.
async fn release(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    members: &[String],
    reason: SeatReason,
    actor: &str,
    now: Millis,
) -> Result<Option<Change>> {
    if members.is_empty() || store::lock_pool(c, backend, pool).await?.is_none() {
        return Ok(None);
    }
    let rows = store::rows_of(c, backend, pool, members).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let enabled: Vec<&(String, String, String)> = rows.iter().filter(|(_, _, s)| s == "enabled").collect();
    let all: Vec<String> = rows.iter().map(|(m, _, _)| m.clone()).collect();
    store::delete_seats(c, backend, pool, &all).await?;
    if !enabled.is_empty() {
        store::add_usage(c, pool, &usage_deltas(enabled.iter().map(|(_, org, _)| (org.as_str(), -1)))).await?;
        store::return_seats(c, pool, enabled.len() as i64).await?;
        warn_if_crossed(c, pool, now).await?;
    }
    let target = if all.len() == 1 { all[0].clone() } else { pool.to_owned() };
    Ok(Some(
        Change::new(actor, Some(pool), "seat.release", &target)
            .with("reason", reason.as_str())
            .with("members", &all)
            .with("seats_returned", enabled.len()),
    ))
}

/// Tells the primary admins and license sub-admins when usage climbs past 80% or 100%, once
/// per crossing.
async fn warn_if_crossed(c: &mut AnyConnection, pool: &str, now: Millis) -> Result<()> {
    let p = store::pool(c, pool).await?.ok_or(NO_LICENSE)?;
    warn(c, &p, now).await
}

/// [`warn_if_crossed`] for a pool row read under the pool's lock.
async fn warn(c: &mut AnyConnection, p: &PoolRow, now: Millis) -> Result<()> {
    let pool = p.org_id.as_str();
    let (level, send) = rules::warning(p.warned_level, p.assigned, p.purchased);
    if level != p.warned_level {
        store::set_warned(c, pool, level).await?;
    }
    if let Some(level) = send {
        let org = OrgId::from_trusted(pool.to_owned());
        let params = json!({ "level": level, "assigned": p.assigned, "purchased": p.purchased });
        for account in store::license_admin_accounts(c, pool).await? {
            notify(c, &account, Some(&org), "seats_warning", params.clone(), Some("/console/license"), now).await?;
        }
    }
    Ok(())
}

/// A first visit under auto-authorization: run when an account signs in to an organization
/// (a session or a token acting there). Later visits change nothing. On every sign-in, so it
/// reads once and writes only on a first visit.
pub(crate) async fn visit(c: &mut Tx, org: &str, member: &str, now: Millis) -> Result<Vec<Change>> {
    let Some((pool, status)) = store::pool_and_seat(c, org, member).await? else {
        return Ok(Vec::new());
    };
    if visit_moves(&pool, status.as_deref())?.is_none() {
        return Ok(Vec::new());
    }
    // A first visit: decide again under the pool's lock, as a second sign-in may have been first.
    let backend = c.backend();
    store::lock_pool(c, backend, org).await?;
    let Some((pool, status)) = store::pool_and_seat(c, org, member).await? else {
        return Ok(Vec::new());
    };
    let Some(mut to) = visit_moves(&pool, status.as_deref())? else {
        return Ok(Vec::new());
    };
    if store::seatable(c, backend, org, &[member.to_owned()]).await?.is_empty() {
        return Ok(Vec::new());
    }
    let mut taken = None;
    if to == SeatStatus::Enabled {
        taken = store::take_seats(c, org, 1).await?;
        if taken.is_none() {
            // Filled up meanwhile: listed as not authorized, like any visit to a full pool.
            to = SeatStatus::Unauthorized;
        }
    }
    let holder = [(member.to_owned(), org.to_owned())];
    store::insert_seats(c, backend, org, &holder, to.as_str(), SeatReason::Auto.as_str(), now).await?;
    if let Some(p) = taken {
        store::add_usage(c, org, &[(org.to_owned(), 1)]).await?;
        warn(c, &p, now).await?;
    }
    Ok(seat_change("system", org, to, SeatReason::Auto, &[member.to_owned()]).into_iter().collect())
}

/// Where a visit moves a member's seat, if anywhere.
fn visit_moves(pool: &PoolRow, status: Option<&str>) -> Result<Option<SeatStatus>> {
    let current = match status {
        Some(s) => SeatStatus::parse("status", s)?,
        None => SeatStatus::Never,
    };
    let room = pool.purchased.is_none_or(|p| pool.assigned < p);
    Ok(rules::on_visit(current, pool.auto_on != 0, room))
}

/// A member's standing in an organization's pool; `None` when the organization has no license.
pub(crate) async fn standing(c: &mut AnyConnection, org: &str, member: &str) -> Result<Option<SeatStatus>> {
    if store::pool(c, org).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(match store::seat(c, org, member).await? {
        Some(s) => SeatStatus::parse("status", &s.status)?,
        None => SeatStatus::Never,
    }))
}

/// New or moved members of a unit's organization get seats from the pools whose entry rules
/// cover their departments ("partner intelligent entry").
pub(crate) async fn apply_entry_rules(
    c: &mut Tx,
    org: &str,
    members: &[String],
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    let mut rules = store::entry_rules_of_org(c, org).await?;
    // Pools are locked in id order (see `store::lock_pool`).
    rules.sort_by(|a, b| (&a.pool_id, a.created_at).cmp(&(&b.pool_id, b.created_at)));
    if rules.is_empty() || members.is_empty() {
        return Ok(Vec::new());
    }
    let backend = c.backend();
    let mut changes = Vec::new();
    for rule in rules {
        let covered = subtree_of(c, org, &rule.department_id).await?;
        let inside = store::active_members_in(c, backend, org, &covered).await?;
        let wanted: HashSet<&String> = members.iter().collect();
        let targets: Vec<(String, String)> =
            inside.into_iter().filter(|m| wanted.contains(m)).map(|m| (m, org.to_owned())).collect();
        if targets.is_empty() {
            continue;
        }
        let moved = move_seats(
            c,
            backend,
            &rule.pool_id,
            &targets,
            SeatStatus::Enabled,
            SeatReason::EntryRule,
            false,
            actor,
            now,
        )
        .await;
        match moved {
            Ok((_, change)) => changes.extend(change),
            // A full pool leaves newcomers without a seat; the warnings already told the admins.
            Err(crate::Error::Domain(DomainError::Conflict { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(changes)
}

/// Whose seats a list or selection is about: an organization's members, or a unit's, which may
/// bring only some departments into the network.
struct People {
    org: String,
    unit: Option<String>,
    /// The departments a unit brings, those below its chosen ones included; `None`: all.
    brought: Option<HashSet<String>>,
}

impl People {
    /// `department` must be one of the organization's that these people include.
    async fn check_department(&self, c: &mut AnyConnection, department: &str) -> Result<()> {
        let ours = dir::department(c, &OrgId::from_trusted(self.org.clone()), department).await?.is_some()
            && self.brought.as_ref().is_none_or(|b| b.contains(department));
        if !ours {
            let rule = if self.unit.is_some() {
                "is not a department the unit brings into the network"
            } else {
                "is not a department of that organization"
            };
            return Err(DomainError::invalid("department_id", Rule::Custom(rule)).into());
        }
        Ok(())
    }

    /// Departments narrowed to those these people include.
    fn narrow(&self, departments: Vec<String>) -> Vec<String> {
        match &self.brought {
            None => departments,
            Some(b) => departments.into_iter().filter(|d| b.contains(d)).collect(),
        }
    }
}

/// A department and all below it, by id.
async fn subtree_of(c: &mut AnyConnection, org: &str, department: &str) -> Result<Vec<String>> {
    let all = dir::departments(c, &OrgId::from_trusted(org.to_owned())).await?;
    let parents = all
        .iter()
        .map(|d| (DepartmentId::from_trusted(d.id.clone()), d.parent_id.clone().map(DepartmentId::from_trusted)))
        .collect();
    Ok(subtree(&parents, &DepartmentId::from_trusted(department.to_owned())).into_iter().map(String::from).collect())
}

/// A departing member's seats, in every pool, go back at once ("partner intelligent resignation"
/// for unit members).
pub(crate) struct ReleaseSeats;

impl Reaction for ReleaseSeats {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let backend = tx.backend();
            // Lock every pool that could seat the member before reading their seats: a seat
            // given meanwhile by another server is then either seen here or refused there.
            let mut pools = store::pools_for_org(tx, d.org.as_str()).await?;
            pools.extend(store::seats_of_member(tx, &d.member.id).await?.into_iter().map(|s| s.pool_id));
            pools.sort();
            pools.dedup();
            let member = [d.member.id.clone()];
            let mut changes = Vec::new();
            for pool in &pools {
                changes.extend(release(tx, backend, pool, &member, SeatReason::Departure, &d.actor, d.at).await?);
            }
            Ok(changes)
        })
    }
}

/// A unit that leaves a network gives back the seats its people held in the backbone's pool.
pub(crate) async fn release_unit(
    c: &mut Tx,
    pool: &str,
    unit_org: &str,
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    let backend = c.backend();
    store::lock_pool(c, backend, pool).await?;
    let held: Vec<String> = store::seats_of_org(c, pool, unit_org).await?.into_iter().map(|s| s.0).collect();
    Ok(release(c, backend, pool, &held, SeatReason::Manual, actor, now).await?.into_iter().collect())
}

/// A unit now brings fewer people into its network: those left out give back the seats they
/// held in the backbone's pool (unless another of the organization's units on that pool still
/// brings them), and entry rules on departments it no longer brings are dropped.
pub(crate) async fn unit_narrowed(
    c: &mut Tx,
    pool: &str,
    unit: &net::UnitRow,
    left_out: &[String],
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    if unit.brings == "departments" {
        let brought = net::unit_departments_of(c, &unit.id).await?;
        for rule in store::entry_rules(c, pool).await? {
            if rule.unit_id == unit.id && !brought.contains_key(&rule.department_id) {
                store::delete_entry_rule(c, pool, &rule.department_id).await?;
                changes.push(Change::new(actor, Some(pool), "seat.entry_rule_removed", &rule.department_id));
            }
        }
    }
    let mut out: HashSet<String> = left_out.iter().cloned().collect();
    for other in net::live_units_of_org(c, &unit.org_id).await? {
        if other.id == unit.id || out.is_empty() {
            continue;
        }
        if net::network(c, &other.network_id).await?.is_some_and(|n| n.org_id == pool) {
            let still: Vec<String> = out.iter().cloned().collect();
            for m in net::brought_of(c, &other.id, &still).await? {
                out.remove(&m);
            }
        }
    }
    if out.is_empty() {
        return Ok(changes);
    }
    let backend = c.backend();
    store::lock_pool(c, backend, pool).await?;
    let held: Vec<String> = store::seats_of_org(c, pool, &unit.org_id)
        .await?
        .into_iter()
        .map(|s| s.0)
        .filter(|m| out.contains(m))
        .collect();
    changes.extend(release(c, backend, pool, &held, SeatReason::Manual, actor, now).await?);
    Ok(changes)
}

fn license_view(org: &str, edition: Edition, pool: &PoolRow, usage: Vec<UsageView>) -> LicenseView {
    LicenseView {
        organization_id: org.to_owned(),
        counts: rules::counts(pool.purchased, pool.assigned),
        auto_authorize: pool.auto_on != 0,
        auto_set_by_admin: pool.auto_by_admin != 0,
        usage_percent: pool.purchased.filter(|p| *p > 0).map(|p| pool.assigned * 100 / p),
        warning_level: pool.warned_level,
        edition,
        usage,
    }
}

impl Service {
    /// For `keiretsu verify`: every seat pool whose count is not its enabled rows or exceeds the
    /// purchase, and every holding organization whose count is not its rows, each named.
    pub async fn verify_seats(&self) -> Result<Vec<String>> {
        let mut c = self.store.read().await?;
        let mut problems = Vec::new();
        for (org, name, purchased, assigned, enabled) in store::pool_tallies(&mut c).await? {
            if let Some(p) = rules::pool_problem(purchased, assigned, enabled) {
                problems.push(format!("seat pool of {name} ({org}) {p}"));
            }
        }
        for (pool, org, kept, rows) in store::usage_mismatches(&mut c).await? {
            problems.push(format!("seat pool {pool} counts {kept} seats held by {org} but {rows} are enabled"));
        }
        Ok(problems)
    }

    // ----- the catalogue (the platform operator) -----

    pub async fn editions(&self, caller: &Caller) -> Result<Vec<Edition>> {
        if matches!(caller, Caller::Anonymous) {
            return Err(keiretsu_domain::identity::NOT_SIGNED_IN.into());
        }
        Ok(store::editions(&mut *self.store.read().await?).await?)
    }

    pub async fn update_edition(&self, caller: &Caller, key: &str, input: &Edition) -> Result<Edition> {
        let permit = caller.operator()?;
        let mut e = input.clone();
        e.key = key.to_owned();
        e.name = keiretsu_domain::directory::name("name", &e.name, 60)?;
        if !(0..=100).contains(&e.max_networks) {
            return Err(DomainError::invalid("max_networks", Rule::Range { min: 0, max: 100 }).into());
        }
        if e.auto_locked && !e.auto_default {
            return Err(DomainError::invalid("auto_default", Rule::Custom("must be on when auto_locked is on")).into());
        }
        let mut tx = self.store.write().await?;
        if store::update_edition(&mut tx, &e).await? == 0 {
            return Err(DomainError::NotFound { what: "edition" }.into());
        }
        let change = Change::new(permit.actor(), None, "edition.update", key).with("edition", &e);
        self.commit(tx, &[change]).await?;
        Ok(e)
    }

    /// The operator sets an organization's edition and purchased seats. Auto-authorization takes
    /// the new edition's initial value unless an admin set it by hand.
    pub async fn set_license(&self, caller: &Caller, org: &OrgId, input: &LicenseChange) -> Result<LicenseView> {
        let permit = caller.operator()?;
        let mut tx = self.store.write().await?;
        dir::org(&mut tx, org.as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        let edition = store::edition(&mut tx, &input.edition)
            .await?
            .ok_or_else(|| DomainError::invalid("edition", Rule::Custom("is not an edition of the catalogue")))?;
        let backend = tx.backend();
        let before = store::lock_pool(&mut tx, backend, org.as_str()).await?;
        let assigned = before.as_ref().map_or(0, |p| p.assigned);
        let purchased = match (edition.seat_limited, input.seats) {
            (true, Some(n)) => Some(rules::purchased_seats("seats", n, assigned)?),
            (true, None) => return Err(DomainError::invalid("seats", Rule::Required).into()),
            (false, Some(_)) => {
                return Err(
                    DomainError::invalid("seats", Rule::Custom("must be absent for an unlimited edition")).into()
                );
            }
            (false, None) => None,
        };
        let auto = match &before {
            Some(p) => rules::auto_after_edition_change(
                AutoSetting { on: p.auto_on != 0, by_admin: p.auto_by_admin != 0 },
                &edition,
            ),
            None => AutoSetting { on: edition.auto_default, by_admin: false },
        };
        let row = PoolRow {
            org_id: org.to_string(),
            edition: edition.key.clone(),
            purchased,
            assigned,
            auto_on: i64::from(auto.on),
            auto_by_admin: i64::from(auto.by_admin),
            warned_level: before.as_ref().map_or(0, |p| p.warned_level),
        };
        store::put_pool(&mut tx, &row).await?;
        dir::set_edition(&mut tx, org.as_str(), &edition.key).await?;
        warn_if_crossed(&mut tx, org.as_str(), self.now()).await?;
        let change = Change::new(permit.actor(), Some(org.as_str()), "license.set", org.as_str())
            .with("edition", &edition.key)
            .with("seats", purchased)
            .with("auto_authorize", auto.on);
        self.commit(tx, &[change]).await?;
        self.license(&Caller::System, org).await
    }

    /// The license dashboard: counts, auto-authorization, usage by organization and unit.
    pub async fn license(&self, caller: &Caller, org: &OrgId) -> Result<LicenseView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut c = self.store.read().await?;
        let pool = store::pool(&mut c, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let edition = store::edition(&mut c, &pool.edition).await?.ok_or(NO_LICENSE)?;
        let mut usage = Vec::new();
        let mut unit_of: HashMap<String, (String, String)> = HashMap::new();
        for n in net::networks_of_org(&mut c, org.as_str()).await?.into_iter().filter(|n| n.org_id == org.as_str()) {
            for u in net::units(&mut c, &n.id).await? {
                unit_of.insert(u.org_id.clone(), (u.id, u.org_name));
            }
        }
        let own = dir::org(&mut c, org.as_str()).await?.map(|o| o.name).unwrap_or_default();
        let mut by_org = store::usage_by_org(&mut c, org.as_str()).await?;
        // The pool's own organization first, then units by name.
        by_org.sort_by_key(|(o, _)| (o != org.as_str(), unit_of.get(o).map(|u| u.1.clone())));
        for (o, n) in by_org {
            let (unit_id, name) = match unit_of.get(&o) {
                Some((u, name)) => (Some(u.clone()), name.clone()),
                None if o == org.as_str() => (None, own.clone()),
                None => (None, dir::org(&mut c, &o).await?.map(|x| x.name).unwrap_or_default()),
            };
            usage.push(UsageView { organization_id: o, organization_name: name, unit_id, assigned: n });
        }
        Ok(license_view(org.as_str(), edition, &pool, usage))
    }

    /// An admin switches auto-authorization; from then on the setting survives edition changes.
    pub async fn set_auto_authorize(&self, caller: &Caller, org: &OrgId, input: &AutoChange) -> Result<LicenseView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        let mut pool = store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let edition = store::edition(&mut tx, &pool.edition).await?.ok_or(NO_LICENSE)?;
        let auto = rules::switch_auto(&edition, input.on)?;
        pool.auto_on = i64::from(auto.on);
        pool.auto_by_admin = i64::from(auto.by_admin);
        store::put_pool(&mut tx, &pool).await?;
        let change =
            Change::new(permit.actor(), Some(org.as_str()), "license.auto_authorize", org.as_str()).with("on", auto.on);
        self.commit(tx, &[change]).await?;
        self.license(caller, org).await
    }

    /// The people a selection or list is about: the pool organization's own, or a unit's, of one
    /// of the pool organization's networks.
    async fn people_of(&self, c: &mut AnyConnection, pool: &OrgId, unit: Option<&str>) -> Result<People> {
        let Some(unit) = unit.filter(|u| !u.is_empty()) else {
            return Ok(People { org: pool.to_string(), unit: None, brought: None });
        };
        let unit = UnitId::parse(unit)?;
        let u = net::unit_by_id(c, unit.as_str()).await?.filter(|u| u.status == "active");
        let Some(u) = u else {
            return Err(DomainError::invalid(
                "unit_id",
                Rule::Custom("is not an active unit of this organization's networks"),
            )
            .into());
        };
        let owner = net::network(c, &u.network_id).await?.map(|n| n.org_id);
        if owner.as_deref() != Some(pool.as_str()) {
            return Err(DomainError::invalid(
                "unit_id",
                Rule::Custom("is not an active unit of this organization's networks"),
            )
            .into());
        }
        let brought = match u.brings.as_str() {
            "departments" => Some(net::unit_departments_of(c, &u.id).await?.into_keys().collect()),
            _ => None,
        };
        Ok(People { org: u.org_id, unit: Some(u.id), brought })
    }

    /// The authorization list: an organization's (or a unit's) active members with their standing.
    pub async fn seats(&self, caller: &Caller, org: &OrgId, q: &SeatQuery) -> Result<Page<SeatView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let limit = page_limit(q.limit)?;
        let status =
            q.status.as_deref().filter(|s| !s.is_empty()).map(|s| SeatStatus::parse("status", s)).transpose()?;
        let text = match &q.q {
            Some(t) => optional_text("q", t, 100)?.map(|t| t.to_lowercase()),
            None => None,
        };
        let after = match q.cursor.as_deref() {
            Some(cur) => {
                let parts = decode_cursor(cur, 2)?;
                Some((parts[0].clone(), parts[1].clone()))
            }
            None => None,
        };
        let mut c = self.store.read().await?;
        store::pool(&mut c, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let who = self.people_of(&mut c, permit.org(), q.unit_id.as_deref()).await?;
        let people = who.org.clone();
        let departments = match q.department_id.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                who.check_department(&mut c, d.as_str()).await?;
                Some(who.narrow(if q.include_sub_departments.unwrap_or(true) {
                    subtree_of(&mut c, &people, d.as_str()).await?
                } else {
                    vec![d.to_string()]
                }))
            }
            None => who.brought.as_ref().map(|b| b.iter().cloned().collect()),
        };
        let filter =
            ListFilter { text, departments, status: status.map(|s| s.as_str().to_owned()), after, limit: limit + 1 };
        let mut rows = store::list(&mut c, self.store.backend(), permit.org().as_str(), &people, &filter).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&[&r.name, &r.member_id]))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|r| SeatView {
                status: r
                    .status
                    .as_deref()
                    .map_or(Ok(SeatStatus::Never), |s| SeatStatus::parse("status", s))
                    .unwrap_or(SeatStatus::Never),
                member_id: r.member_id,
                name: r.name,
                login: r.login,
                title: r.title,
                reason: r.reason,
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// The members a selection names: chosen active members, or the active members of a
    /// department subtree.
    async fn selected(
        &self,
        c: &mut AnyConnection,
        pool: &OrgId,
        sel: &SeatSelection,
    ) -> Result<(String, Vec<String>)> {
        let who = self.people_of(c, pool, sel.unit_id.as_ref().map(|u| u.as_str())).await?;
        let people = who.org.clone();
        let backend = self.store.backend();
        match (&sel.department_id, sel.member_ids.is_empty()) {
            (Some(d), true) => {
                who.check_department(c, d.as_str()).await?;
                let deps = who.narrow(subtree_of(c, &people, d.as_str()).await?);
                Ok((people.clone(), store::active_members_in(c, backend, &people, &deps).await?))
            }
            (None, false) => {
                if sel.member_ids.len() > 10_000 {
                    return Err(DomainError::invalid("member_ids", Rule::Range { min: 1, max: 10_000 }).into());
                }
                let mut found = store::active_among(c, backend, &people, &sel.member_ids).await?;
                if let (Some(unit), Some(_)) = (&who.unit, &who.brought) {
                    found = net::brought_of(c, unit, &found).await?;
                }
                if found.len() != sel.member_ids.iter().collect::<HashSet<_>>().len() {
                    return Err(DomainError::invalid(
                        "member_ids",
                        Rule::Custom("must all be active members of that organization"),
                    )
                    .into());
                }
                Ok((people, found))
            }
            _ => Err(DomainError::invalid("member_ids", Rule::Custom("or department_id is required, not both")).into()),
        }
    }

    /// Batch authorize (all or nothing: the pool must have room for every account) or freeze.
    pub async fn set_seats(
        &self,
        caller: &Caller,
        org: &OrgId,
        sel: &SeatSelection,
        enable: bool,
    ) -> Result<SeatsChanged> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        if enable
            && sel.member_ids.is_empty()
            && let Some(department) = &sel.department_id
        {
            return self.enable_subtree(tx, &permit, sel.unit_id.as_ref(), department).await;
        }
        let (people, members) = self.selected(&mut tx, permit.org(), sel).await?;
        let targets: Vec<(String, String)> = members.into_iter().map(|m| (m, people.clone())).collect();
        let to = if enable { SeatStatus::Enabled } else { SeatStatus::Frozen };
        let (changed, change) = move_seats(
            &mut tx,
            backend,
            org.as_str(),
            &targets,
            to,
            SeatReason::Manual,
            true,
            permit.actor(),
            self.now(),
        )
        .await?;
        let pool = store::pool(&mut tx, org.as_str()).await?.ok_or(NO_LICENSE)?;
        let changes: Vec<Change> = change.into_iter().collect();
        self.commit(tx, &changes).await?;
        Ok(SeatsChanged { changed: changed.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }

    /// Batch authorization of a department subtree, the largest batch there is: the seats move
    /// in one statement that returns whose moved, so 100,000 ids do not travel there and back.
    async fn enable_subtree(
        &self,
        mut tx: Tx,
        permit: &keiretsu_domain::identity::Permit,
        unit: Option<&UnitId>,
        department: &DepartmentId,
    ) -> Result<SeatsChanged> {
        let org = permit.org().as_str();
        let who = self.people_of(&mut tx, permit.org(), unit.map(|u| u.as_str())).await?;
        let people = who.org.clone();
        who.check_department(&mut tx, department.as_str()).await?;
        let deps = who.narrow(subtree_of(&mut tx, &people, department.as_str()).await?);
        let now = self.now();
        let reason = SeatReason::Manual;
        let backend = self.store.backend();
        let moved = store::enable_in_departments(&mut tx, backend, org, &people, &deps, reason.as_str(), now).await?;
        if !moved.is_empty() && store::take_seats(&mut tx, org, moved.len() as i64).await?.is_none() {
            // Dropping the transaction undoes the rows written above.
            return Err(DomainError::conflict(
                "seats",
                Rule::Custom("are not enough: the pool has fewer unassigned seats than accounts to authorize"),
            )
            .into());
        }
        store::add_usage(&mut tx, org, &[(people, moved.len() as i64)]).await?;
        warn_if_crossed(&mut tx, org, now).await?;
        let pool = store::pool(&mut tx, org).await?.ok_or(NO_LICENSE)?;
        let change = seat_change(permit.actor(), org, SeatStatus::Enabled, reason, &moved);
        self.commit(tx, &change.into_iter().collect::<Vec<_>>()).await?;
        Ok(SeatsChanged { changed: moved.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }

    /// Releases the seats still held by members who left before releases were automatic.
    pub async fn release_departed(&self, caller: &Caller, org: &OrgId) -> Result<SeatsChanged> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let held: Vec<String> =
            store::departed_holders(&mut tx, org.as_str()).await?.into_iter().map(|(m, _)| m).collect();
        let change =
            release(&mut tx, backend, org.as_str(), &held, SeatReason::Departure, permit.actor(), self.now()).await?;
        let pool = store::pool(&mut tx, org.as_str()).await?.ok_or(NO_LICENSE)?;
        self.commit(tx, &change.into_iter().collect::<Vec<_>>()).await?;
        Ok(SeatsChanged { changed: held.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }

    pub async fn entry_rules(&self, caller: &Caller, org: &OrgId) -> Result<Vec<EntryRuleView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut c = self.store.read().await?;
        Ok(store::entry_rules(&mut c, permit.org().as_str())
            .await?
            .into_iter()
            .map(|r| EntryRuleView { unit_id: r.unit_id, department_id: r.department_id, authorized: None })
            .collect())
    }

    /// Binds a unit's department to the pool: its present members get seats now (as many as
    /// fit), and anyone who joins it later gets one when they join.
    pub async fn add_entry_rule(&self, caller: &Caller, org: &OrgId, input: &NewEntryRule) -> Result<EntryRuleView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let who = self.people_of(&mut tx, permit.org(), Some(input.unit_id.as_str())).await?;
        let people = who.org.clone();
        who.check_department(&mut tx, input.department_id.as_str()).await?;
        let now = self.now();
        let rule = EntryRuleRow {
            pool_id: org.to_string(),
            unit_id: input.unit_id.to_string(),
            department_id: input.department_id.to_string(),
            created_at: now,
        };
        store::insert_entry_rule(&mut tx, &rule).await.map_err(|e| crate::unique_to_field(e, "department_id"))?;
        let deps = who.narrow(subtree_of(&mut tx, &people, input.department_id.as_str()).await?);
        let members: Vec<(String, String)> = store::active_members_in(&mut tx, backend, &people, &deps)
            .await?
            .into_iter()
            .map(|m| (m, people.clone()))
            .collect();
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "seat.entry_rule", input.department_id.as_str())
                .with("unit", input.unit_id.as_str()),
        ];
        let moved = move_seats(
            &mut tx,
            backend,
            org.as_str(),
            &members,
            SeatStatus::Enabled,
            SeatReason::EntryRule,
            false,
            permit.actor(),
            now,
        )
        .await;
        let authorized = match moved {
            Ok((changed, change)) => {
                changes.extend(change);
                changed.len() as u64
            }
            Err(crate::Error::Domain(DomainError::Conflict { .. })) => 0,
            Err(e) => return Err(e),
        };
        self.commit(tx, &changes).await?;
        Ok(EntryRuleView { unit_id: rule.unit_id, department_id: rule.department_id, authorized: Some(authorized) })
    }

    pub async fn remove_entry_rule(&self, caller: &Caller, org: &OrgId, department: &DepartmentId) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        if store::delete_entry_rule(&mut tx, permit.org().as_str(), department.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "entry rule" }.into());
        }
        let change = Change::new(permit.actor(), Some(org.as_str()), "seat.entry_rule_removed", department.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }
}
