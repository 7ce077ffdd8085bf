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
use keiretsu_domain::network::{Brings, UnitStatus};
use keiretsu_domain::time::Millis;
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::license::{self as store, EntryRuleRow, Held, ListFilter, PoolRow};
use keiretsu_store::{AnyConnection, Backend, Tx, directory as dir, network as net};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Result;
use crate::notifications::notify;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{BoxFuture, Departure, Joined, Move, MoveReaction, Reaction, Settle, SignedIn, UnitNarrowed};

const NO_LICENSE: DomainError = DomainError::NotFound { what: "license" };

mod entry_rules;
mod reactions;
mod seats;
mod views;

use entry_rules::apply_entry_rules;
pub(crate) use reactions::{EntryRules, FirstVisit, ReleaseSeats, UnitSeats};
pub use seats::MemberSeat;
pub use views::*;

crate::use_cases!();

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
    let current: HashMap<String, SeatStatus> =
        store::rows_of(c, backend, pool, &ids).await?.into_iter().map(|h| (h.member_id, h.status)).collect();
    let mut moving: Vec<&(String, String)> =
        members.iter().filter(|(m, _)| seatable.contains(m) && current.get(m) != Some(&to)).collect();
    let was_enabled = moving.iter().filter(|(m, _)| current.get(m) == Some(&SeatStatus::Enabled)).count();
    if to == SeatStatus::Enabled && !moving.is_empty() {
        let wanted = moving.len() as i64;
        if store::take_seats(c, pool, wanted).await?.is_none() {
            let p = store::pool(c, pool).await?.ok_or(NO_LICENSE)?;
            let free = p.purchased.map_or(wanted, |x| x - p.assigned).max(0);
            if all_or_nothing || free == 0 {
                return Err(DomainError::conflict(
                    "seats",
                    Rule::Reason(if all_or_nothing { Reason::SeatsNotEnough } else { Reason::SeatsAllAssigned }),
                )
                .into());
            }
            // As many as fit: the count was read under the pool's lock.
            moving.truncate(free as usize);
            if store::take_seats(c, pool, free).await?.is_none() {
                return Err(DomainError::conflict("seats", Rule::Reason(Reason::SeatsAllAssigned)).into());
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
    store::update_seats(c, backend, pool, &existing, to, reason, now).await?;
    store::insert_seats(c, backend, pool, &new, to, reason, now).await?;
    warn_if_crossed(c, pool, now).await?;
    store::add_usage(
        c,
        pool,
        &usage_deltas(moving.iter().map(|(m, org)| {
            let was = current.get(m) == Some(&SeatStatus::Enabled);
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
    let enabled: Vec<&Held> = rows.iter().filter(|h| h.status == SeatStatus::Enabled).collect();
    let all: Vec<String> = rows.iter().map(|h| h.member_id.clone()).collect();
    store::delete_seats(c, backend, pool, &all).await?;
    if !enabled.is_empty() {
        store::add_usage(c, pool, &usage_deltas(enabled.iter().map(|h| (h.org_id.as_str(), -1)))).await?;
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
async fn visit(c: &mut Tx, org: &str, member: &str, now: Millis) -> Result<Vec<Change>> {
    let Some((pool, status)) = store::pool_and_seat(c, org, member).await? else {
        return Ok(Vec::new());
    };
    if visit_moves(&pool, status).is_none() {
        return Ok(Vec::new());
    }
    // A first visit: decide again under the pool's lock, as a second sign-in may have been first.
    let backend = c.backend();
    store::lock_pool(c, backend, org).await?;
    let Some((pool, status)) = store::pool_and_seat(c, org, member).await? else {
        return Ok(Vec::new());
    };
    let Some(mut to) = visit_moves(&pool, status) else {
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
    store::insert_seats(c, backend, org, &holder, to, SeatReason::Auto, now).await?;
    if let Some(p) = taken {
        store::add_usage(c, org, &[(org.to_owned(), 1)]).await?;
        warn(c, &p, now).await?;
    }
    Ok(seat_change("system", org, to, SeatReason::Auto, &[member.to_owned()]).into_iter().collect())
}

/// Where a visit moves a member's seat, if anywhere.
fn visit_moves(pool: &PoolRow, status: Option<SeatStatus>) -> Option<SeatStatus> {
    let room = pool.purchased.is_none_or(|p| pool.assigned < p);
    rules::on_visit(status.unwrap_or(SeatStatus::Never), pool.auto_on != 0, room)
}

impl Cases<'_> {
    /// A member's standing in their organization's pool; `None` without a license.
    pub async fn standing(&self, org: &str, member: &str) -> Result<Option<SeatStatus>> {
        standing(&mut *self.store.read().await?, org, member).await
    }
}

/// A member's standing in an organization's pool; `None` when the organization has no license.
async fn standing(c: &mut AnyConnection, org: &str, member: &str) -> Result<Option<SeatStatus>> {
    if store::pool(c, org).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(store::seat(c, org, member).await?.map_or(SeatStatus::Never, |s| s.status)))
}

impl Cases<'_> {
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
            return Err(DomainError::invalid("auto_default", Rule::Reason(Reason::AutoDefaultWhenLocked)).into());
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
            .ok_or_else(|| DomainError::invalid("edition", Rule::Reason(Reason::UnknownEdition)))?;
        let backend = tx.backend();
        let before = store::lock_pool(&mut tx, backend, org.as_str()).await?;
        let assigned = before.as_ref().map_or(0, |p| p.assigned);
        let purchased = match (edition.seat_limited, input.seats) {
            (true, Some(n)) => Some(rules::purchased_seats("seats", n, assigned)?),
            (true, None) => return Err(DomainError::invalid("seats", Rule::Required).into()),
            (false, Some(_)) => {
                return Err(DomainError::invalid("seats", Rule::Reason(Reason::SeatsForUnlimited)).into());
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
        self.get(&Caller::System, org).await
    }

    /// The license dashboard: counts, auto-authorization, usage by organization and unit.
    pub async fn get(&self, caller: &Caller, org: &OrgId) -> Result<LicenseView> {
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
        self.get(caller, org).await
    }
}
