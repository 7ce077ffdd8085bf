//! What other capabilities' events do to seats: departures, members joining or moving, units
//! leaving or bringing fewer people, first visits. Wired in the crate root's registries.

use super::*;

/// A departing member's seats, in every pool, go back at once ("partner intelligent resignation"
/// for unit members).
pub(crate) struct ReleaseSeats;

impl Reaction<Departure> for ReleaseSeats {
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

/// Members who join (or come back, or are imported) and members moved to other departments get
/// seats where entry rules cover them.
pub(crate) struct EntryRules;

impl Reaction<Joined> for EntryRules {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a Joined) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(apply_entry_rules(tx, &e.org, &e.members, &e.actor, e.at))
    }
}

impl MoveReaction for EntryRules {
    fn before<'a>(&'a self, _: &'a mut Tx, _: &'a Move) -> BoxFuture<'a, Result<Box<dyn Settle>>> {
        Box::pin(async { Ok(Box::new(EntryRules) as Box<dyn Settle>) })
    }
}

impl Settle for EntryRules {
    fn settle<'a>(self: Box<Self>, tx: &'a mut Tx, e: &'a Move) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            // A department moving takes its rules' coverage with it; only a moved member is new
            // to the rules that cover their new departments.
            match &e.member {
                Some(m) => apply_entry_rules(tx, &e.org, std::slice::from_ref(m), &e.actor, e.at).await,
                None => Ok(Vec::new()),
            }
        })
    }
}

/// A unit that left its network or brings fewer people gives back its people's seats.
pub(crate) struct UnitSeats;

impl Reaction<UnitNarrowed> for UnitSeats {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a UnitNarrowed) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            if e.removed {
                release_unit(tx, &e.pool_org, &e.unit.org_id, &e.actor, e.at).await
            } else {
                unit_narrowed(tx, &e.pool_org, &e.unit, &e.left_out, &e.actor, e.at).await
            }
        })
    }
}

/// Signing in is a visit: the first one under auto-authorization takes a seat.
pub(crate) struct FirstVisit;

impl Reaction<SignedIn> for FirstVisit {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a SignedIn) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(visit(tx, &e.org, &e.member, e.at))
    }
}

/// A unit that leaves a network gives back the seats its people held in the backbone's pool.
async fn release_unit(c: &mut Tx, pool: &str, unit_org: &str, actor: &str, now: Millis) -> Result<Vec<Change>> {
    let backend = c.backend();
    store::lock_pool(c, backend, pool).await?;
    let held: Vec<String> = store::seats_of_org(c, pool, unit_org).await?.into_iter().map(|s| s.member_id).collect();
    Ok(release(c, backend, pool, &held, SeatReason::Manual, actor, now).await?.into_iter().collect())
}

/// A unit now brings fewer people into its network: those left out give back the seats they
/// held in the backbone's pool (unless another of the organization's units on that pool still
/// brings them), and entry rules on departments it no longer brings are dropped.
async fn unit_narrowed(
    c: &mut Tx,
    pool: &str,
    unit: &net::UnitRow,
    left_out: &[String],
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    if unit.brings == Brings::Departments {
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
        .map(|s| s.member_id)
        .filter(|m| out.contains(m))
        .collect();
    changes.extend(release(c, backend, pool, &held, SeatReason::Manual, actor, now).await?);
    Ok(changes)
}
