//! The people index's host: built from the database once, then advanced from the journal like
//! the access index (both are [`JournalIndex`]es the follower advances). A wide address-book
//! read first brings it up to the journal's latest revision (one indexed read when nothing is
//! new), so nobody reads a page older than a write that had committed when they asked, whichever
//! server made it. While a build holds it (seconds at a million people), wide reads go to the
//! SQL plans rather than wait.

use std::sync::{RwLock, RwLockReadGuard};

use keiretsu_domain::journal::Entry;
use keiretsu_domain::people::Index;
use keiretsu_store::Store;
use keiretsu_store::network::{self as store, PeopleRefreshed};

use crate::follower::{JournalIndex, Revision};
use crate::reactions::BoxFuture;
use crate::{Result, Service};

/// The process's people index (`None` until first built) and the revision it reflects.
#[derive(Default)]
pub struct People {
    index: RwLock<Option<Index>>,
    /// -1 until the index is first built.
    revision: Revision,
    /// One advance at a time: entries are applied in revision order.
    advancing: tokio::sync::Mutex<()>,
}

/// Past this many touched members in one run, a rebuild is quicker than reading them one by one.
const REBUILD_ABOVE: usize = 20_000;
/// Past this many records made since the build (live in the delta, or dead), queries would scan
/// too many and memory would grow with churn.
const DELTA_ABOVE: usize = 20_000;
/// How long a wide read waits for an advance under way; a build takes seconds at a million.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

fn poisoned() -> crate::Error {
    crate::Error::Internal("people index lock".into())
}

/// What a run of entries touched that the address book shows: `(members, units, unit orgs)`.
/// Every entry's organization is among the unit orgs: a department moved or a member's
/// departments changed there changes whom that organization's units bring.
fn touched(entries: &[Entry]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut members, mut units, mut orgs) = (vec![], vec![], vec![]);
    for e in entries {
        orgs.extend(e.organization.iter().cloned());
        match e.target.split_once('_').map(|(p, _)| p) {
            Some("mem") => members.push(e.target.clone()),
            Some("unt") => units.push(e.target.clone()),
            Some("org") => orgs.push(e.target.clone()),
            _ => {}
        }
        // Seat movements list many members but change nobody's place in the book.
        if e.action.starts_with("seat.") || !(e.details.contains("\"member") || e.details.contains("\"unit\"")) {
            continue;
        }
        let Ok(d) = serde_json::from_str::<serde_json::Value>(&e.details) else { continue };
        // Network members come and go by entries on the network naming them.
        if let Some(list) = d.get("members").and_then(|m| m.as_array()) {
            members.extend(list.iter().filter_map(|m| m.as_str()).map(str::to_owned));
        }
        if let Some(m) = d.get("member").and_then(|m| m.as_str()) {
            members.push(m.to_owned());
        }
        if let Some(u) = d.get("unit").and_then(|u| u.as_str()) {
            units.push(u.to_owned());
        }
    }
    for list in [&mut members, &mut units, &mut orgs] {
        list.sort_unstable();
        list.dedup();
    }
    (members, units, orgs)
}

/// Puts what was read again into the index; a touched member not found is gone.
fn apply(ix: &mut Index, members: &[String], r: &PeopleRefreshed) {
    let found: std::collections::HashSet<&str> = r.people.iter().map(|p| p.id.as_str()).collect();
    r.people.iter().for_each(|p| ix.put_person(p));
    members.iter().filter(|m| !found.contains(m.as_str())).for_each(|m| ix.remove_person(m));
    for (m, nets) in &r.networks {
        ix.set_networks(m, nets);
    }
    let brought: std::collections::HashMap<&str, &[String]> =
        r.brought.iter().map(|(u, ms)| (u.as_str(), ms.as_slice())).collect();
    for (u, removed) in &r.units {
        if *removed {
            ix.remove_unit(&u.id);
            continue;
        }
        ix.put_unit(u);
        // A unit bringing departments with none of its people read brings nobody.
        let members = u.departments.as_ref().map(|_| brought.get(u.id.as_str()).copied().unwrap_or_default());
        ix.set_brought(&u.id, members);
    }
}

impl People {
    /// Brings the index up to the journal's latest revision, building it the first time and
    /// again when a run touches many members or the changes beside the base pile up.
    async fn advance_to_head(&self, db: &Store) -> Result<i64> {
        let one = self.advancing.lock().await;
        self.advance_locked(db, one).await
    }

    async fn advance_locked(&self, db: &Store, _one: tokio::sync::MutexGuard<'_, ()>) -> Result<i64> {
        let mut at = self.revision.get();
        let mut c = db.read().await?;
        loop {
            let entries = if at < 0 {
                Vec::new()
            } else {
                keiretsu_store::journal::chain_page(&mut c, at, keiretsu_store::journal::CHAIN_PAGE).await?
            };
            let (members, units, orgs) = touched(&entries);
            let delta = self.index.read().map_err(|_| poisoned())?.as_ref().map_or(0, Index::delta_len);
            if at < 0 || members.len() > REBUILD_ABOVE || delta > DELTA_ABOVE {
                // The revision is read first: whatever commits meanwhile is applied again, harmlessly.
                let revision = keiretsu_store::journal::latest_revision(&mut c).await?;
                let facts = store::people_facts(&mut c).await?;
                let index = tokio::task::spawn_blocking(move || Index::build(&facts))
                    .await
                    .map_err(|e| crate::Error::Internal(e.to_string()))?;
                let old = self.index.write().map_err(|_| poisoned())?.replace(index);
                // Freed after the lock is released, so readers do not wait for a million frees.
                drop(old);
                at = revision;
            } else if let Some(last) = entries.last() {
                let fresh = store::refresh_people(&mut c, &members, &units, &orgs).await?;
                if let Some(ix) = self.index.write().map_err(|_| poisoned())?.as_mut() {
                    apply(ix, &members, &fresh);
                }
                at = last.revision;
            } else {
                return Ok(at);
            }
            self.revision.set(at);
        }
    }
}

impl JournalIndex for People {
    fn name(&self) -> &'static str {
        "people"
    }

    fn revision(&self) -> i64 {
        self.revision.get()
    }

    fn advance<'a>(&'a self, db: &'a Store) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.advance_to_head(db))
    }
}

impl Service {
    /// Brings the people index up to the journal's latest revision, building it the first time
    /// and again when a run touches many members or the changes beside the base pile up.
    pub async fn advance_people(&self) -> Result<i64> {
        self.people.advance_to_head(&self.store).await
    }

    /// The people index as of the journal's latest revision; `None` while a build holds it
    /// longer than [`BUSY_WAIT`]: the SQL plans answer meanwhile, slower but as current.
    pub(crate) async fn people_index(&self) -> Result<Option<PeopleGuard<'_>>> {
        // Most reads find nothing new: they need not queue behind each other for the advance.
        let at = self.people.revision.get();
        if at >= 0 {
            let latest = keiretsu_store::journal::latest_revision(&mut *self.store.read().await?).await?;
            if latest <= at {
                return Ok(Some(PeopleGuard(self.people.index.read().map_err(|_| poisoned())?)));
            }
        }
        let Ok(one) = tokio::time::timeout(BUSY_WAIT, self.people.advancing.lock()).await else {
            return Ok(None);
        };
        self.people.advance_locked(&self.store, one).await?;
        Ok(Some(PeopleGuard(self.people.index.read().map_err(|_| poisoned())?)))
    }

    /// Live people in the index and an estimate of its heap bytes (for the benchmark).
    pub async fn people_index_size(&self) -> Result<(usize, usize)> {
        self.advance_people().await?;
        Ok(self.people.index.read().map_err(|_| poisoned())?.as_ref().map_or((0, 0), Index::size))
    }
}

pub(crate) struct PeopleGuard<'a>(RwLockReadGuard<'a, Option<Index>>);

impl PeopleGuard<'_> {
    pub(crate) fn get(&self) -> Option<&Index> {
        self.0.as_ref()
    }
}
