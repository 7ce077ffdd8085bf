//! How running requests follow people: a departure, a unit leaving the network.

use super::*;

/// A departed member's places in running requests move to their supervisor, then to the
/// approval admins of the request's organization; each move is journaled and in the timeline.
/// Requests they submitted stay as they are.
pub(crate) struct TasksMove;

impl Reaction<Departure> for TasksMove {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let gone = d.member.id.as_str();
            let mut changes = Vec::new();
            for row in store::running_naming(tx, gone).await? {
                if row.submitter_id == gone {
                    continue;
                }
                let mut instead: Vec<String> = Vec::new();
                if let Some(sup) = &d.member.supervisor_id
                    && let Some(m) = dir::member(tx, &d.org, sup).await?
                    && m.status == keiretsu_domain::directory::MemberStatus::Active
                {
                    instead.push(m.id);
                }
                instead.extend(approval_admins(tx, &row.org_id).await?);
                let mut instance = row.body.0.clone();
                let asked = holders(&instance);
                let events = instance.depart(gone, &instead);
                instance.record(d.at, gone, &events);
                let (_, more) = save(tx, row, instance, events, &asked, &d.actor, d.at).await?;
                changes.extend(more);
            }
            Ok(changes)
        })
    }
}

/// A unit left a network or brings fewer people: whoever can no longer be reached by the
/// network's organization loses their places in its running requests, which go to its
/// approval admins (as a departure's would), so nobody out of reach decides and no step waits
/// on someone who cannot see it.
pub(crate) struct TasksLeaveUnit;

impl Reaction<UnitNarrowed> for TasksLeaveUnit {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a UnitNarrowed) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let mut changes = Vec::new();
            let mut reach: std::collections::HashMap<String, bool> =
                e.left_out.iter().map(|m| (m.clone(), false)).collect();
            for row in store::running_of_org(tx, &e.pool_org).await? {
                let mut named: Vec<String> = row.body.plan.steps.iter().flat_map(|s| s.approvers.clone()).collect();
                named.extend(row.body.approvers.clone());
                named.sort();
                named.dedup();
                let mut gone = Vec::new();
                for m in named {
                    let reachable = match reach.get(&m) {
                        Some(r) => *r,
                        None => {
                            let r = store::reachable_member(tx, &e.pool_org, &m).await?;
                            reach.insert(m.clone(), r);
                            r
                        }
                    };
                    if !reachable {
                        gone.push(m);
                    }
                }
                if gone.is_empty() {
                    continue;
                }
                let admins = approval_admins(tx, &row.org_id).await?;
                let mut instance = row.body.0.clone();
                let asked = holders(&instance);
                let mut events = Vec::new();
                for m in &gone {
                    events.extend(instance.depart(m, &admins));
                }
                instance.record(e.at, SYSTEM, &events);
                let (_, more) = save(tx, row, instance, events, &asked, &e.actor, e.at).await?;
                changes.extend(more);
            }
            Ok(changes)
        })
    }
}
