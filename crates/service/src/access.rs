//! The access index's host, apart from the apps use cases that answer from it, as the people
//! index's is: each index the journal advances has a file of its own.
//!
//! The index is built from the database once, then advanced by the journal: each run of new
//! entries names the objects it touched, and those are read again and put in the index. This
//! server's own writes advance it before they return; other servers' writes arrive by NOTIFY
//! (PostgreSQL) or by polling (see [`crate::follower`]), and `at_least` waits for a given
//! revision.

use std::sync::{RwLock, RwLockReadGuard};
use std::time::Duration;

use keiretsu_domain::access::Index;
use keiretsu_domain::journal::Entry;
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::Store;
use keiretsu_store::apps::{self as store, Refreshed, Touched};

use crate::follower::{JournalIndex, Revision};
use crate::reactions::BoxFuture;
use crate::{Result, Service};

fn poisoned() -> crate::Error {
    crate::Error::Internal("access index lock".into())
}

/// The process's access index and the journal revision it reflects.
#[derive(Default)]
pub struct Access {
    index: RwLock<Index>,
    /// -1 until the index is first built.
    revision: Revision,
    /// One advance at a time: entries are applied in revision order.
    advancing: tokio::sync::Mutex<()>,
}

/// How long a read demanding `at_least` waits for another server's write to reach this one:
/// this many pauses of [`AT_LEAST_PAUSE`] (two seconds), then a conflict naming `at_least`.
const AT_LEAST_TRIES: u32 = 40;
const AT_LEAST_PAUSE: Duration = Duration::from_millis(50);

/// Past this many touched members a rebuild is quicker than reading them one by one.
const REBUILD_ABOVE: usize = 20_000;

/// What a run of journal entries touched, by the kind of id they name, and the seats they
/// moved: `(member, pool, enabled)` in journal order.
type SeatMoves = Vec<(String, String, bool)>;

fn touched(entries: &[Entry]) -> (Touched, SeatMoves) {
    let mut t = Touched::default();
    let mut seats = SeatMoves::new();
    for e in entries {
        let list = match e.target.split_once('_').map(|(p, _)| p) {
            Some("mem") => Some(&mut t.members),
            Some("dep") => Some(&mut t.departments),
            Some("unt") => Some(&mut t.units),
            Some("org") => Some(&mut t.unit_orgs),
            Some("net") => Some(&mut t.networks),
            Some("app") => Some(&mut t.apps),
            _ => None,
        };
        if let Some(list) = list {
            list.push(e.target.clone());
        }
        let Some(members) = e
            .details
            .contains("\"members\"")
            .then(|| serde_json::from_str::<serde_json::Value>(&e.details).ok())
            .flatten()
            .and_then(|d| d.get("members").and_then(|m| m.as_array()).cloned())
        else {
            continue;
        };
        let members = members.iter().filter_map(|m| m.as_str()).map(str::to_owned);
        // A seat entry says whose seat in its organization's pool moved, and to what: it is put in
        // as it stands, so a batch of 100,000 needs no reading back (nor a rebuild).
        match (e.action.strip_prefix("seat."), &e.organization) {
            (Some(to), Some(pool)) => seats.extend(members.map(|m| (m, pool.clone(), to == "enable"))),
            _ => t.members.extend(members),
        }
    }
    for list in [&mut t.members, &mut t.departments, &mut t.units, &mut t.unit_orgs, &mut t.networks, &mut t.apps] {
        list.sort_unstable();
        list.dedup();
    }
    (t, seats)
}

/// Puts what was read again into the index (a touched id that was not found is gone), then the
/// run's seat movements in order.
fn apply(ix: &mut Index, t: &Touched, r: &Refreshed, seats: &SeatMoves) {
    let found = |ids: &mut dyn Iterator<Item = &String>| ids.cloned().collect::<std::collections::HashSet<String>>();
    let members = found(&mut r.members.iter().map(|m| &m.id));
    r.members.iter().for_each(|m| ix.put_member(m));
    t.members.iter().filter(|m| !members.contains(*m)).for_each(|m| ix.remove_member(m));
    let departments = found(&mut r.departments.iter().map(|d| &d.0));
    r.departments.iter().for_each(|(d, p)| ix.put_department(d, p.as_deref()));
    t.departments.iter().filter(|d| !departments.contains(*d)).for_each(|d| ix.remove_department(d));
    r.networks.iter().for_each(|(n, owner)| ix.put_network(n, owner));
    let units = found(&mut r.units.iter().map(|u| &u.0.id));
    for (u, removed) in &r.units {
        if *removed { ix.remove_unit(&u.id) } else { ix.put_unit(u) }
    }
    t.units.iter().filter(|u| !units.contains(*u)).for_each(|u| ix.remove_unit(u));
    let apps = found(&mut r.apps.iter().map(|a| &a.id));
    r.apps.iter().for_each(|a| ix.put_app(a));
    t.apps.iter().filter(|a| !apps.contains(*a)).for_each(|a| ix.remove_app(a));
    for (member, pool, enabled) in seats {
        ix.put_seat(member, pool, *enabled);
    }
}

impl Access {
    /// Brings the index up to the journal's latest revision (building it the first time) and
    /// returns that revision.
    async fn advance_to_head(&self, db: &Store) -> Result<i64> {
        let _one = self.advancing.lock().await;
        let mut at = self.revision.get();
        let mut c = db.read().await?;
        loop {
            let entries = if at < 0 {
                Vec::new()
            } else {
                keiretsu_store::journal::chain_page(&mut c, at, keiretsu_store::journal::CHAIN_PAGE).await?
            };
            let (t, seats) = touched(&entries);
            if at < 0 || t.members.len() > REBUILD_ABOVE {
                // The revision is read first: whatever commits meanwhile is applied again, harmlessly.
                let revision = keiretsu_store::journal::latest_revision(&mut c).await?;
                // The build reads on connections of its own; a small pool must not wait on this one.
                drop(c);
                let index = store::index(db).await?;
                let old = std::mem::replace(&mut *self.index.write().map_err(|_| poisoned())?, index);
                // Freed after the lock is released, so decisions do not wait for a million frees.
                drop(old);
                c = db.read().await?;
                at = revision;
            } else if let Some(last) = entries.last() {
                let fresh = store::refresh(&mut c, &t).await?;
                apply(&mut *self.index.write().map_err(|_| poisoned())?, &t, &fresh, &seats);
                at = last.revision;
            } else {
                return Ok(at);
            }
            self.revision.set(at);
        }
    }
}

impl JournalIndex for Access {
    fn name(&self) -> &'static str {
        "access"
    }

    fn revision(&self) -> i64 {
        self.revision.get()
    }

    fn advance<'a>(&'a self, db: &'a Store) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.advance_to_head(db))
    }
}

impl Service {
    /// Brings the access index up to the journal's latest revision (building it the first time)
    /// and returns that revision.
    pub async fn advance_access(&self) -> Result<i64> {
        self.access.advance_to_head(&self.store).await
    }

    /// After a commit: this server's own change is in the index before the write returns.
    pub(crate) async fn advance_access_if_built(&self) -> Result<()> {
        if self.access.revision.built() {
            self.advance_access().await?;
        }
        Ok(())
    }

    /// The access index, reflecting at least revision `at_least` (one a write returned): nobody
    /// gets a decision older than their own change. Waits up to two seconds, then says so.
    pub async fn access_index(&self, at_least: Option<i64>) -> Result<RwLockReadGuard<'_, Index>> {
        let wanted = at_least.unwrap_or(0);
        let mut at = self.access.revision.get();
        let mut waited = 0;
        while at < 0 || at < wanted {
            at = self.advance_access().await?;
            if at >= wanted {
                break;
            }
            if waited >= AT_LEAST_TRIES {
                return Err(DomainError::conflict("at_least", Rule::Reason(Reason::UnknownRevision)).into());
            }
            waited += 1;
            tokio::time::sleep(AT_LEAST_PAUSE).await;
        }
        self.access.index.read().map_err(|_| poisoned())
    }
}
