//! What other capabilities' events do to seats: departures, units leaving or bringing fewer people.

use super::*;

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
