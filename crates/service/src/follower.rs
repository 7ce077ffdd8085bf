//! What every in-memory index advanced from the journal has in common, and the one loop that
//! follows the journal for all of them. An index (access, people; inventory and communication
//! next) implements [`JournalIndex`] and is put in the list in the composition root,
//! `Service::new`; the follower, readiness and logs then know it without naming it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use keiretsu_store::Store;

use crate::reactions::BoxFuture;
use crate::{Result, Service};

/// Where PostgreSQL's NOTIFY is not heard (SQLite, a dropped listener), how often the follower
/// looks at the journal's head anyway.
const POLL: Duration = Duration::from_secs(1);

/// An in-memory index built from the database once, then advanced by the journal's entries.
pub trait JournalIndex: Send + Sync {
    /// What logs call it: "access", "people".
    fn name(&self) -> &'static str;

    /// The journal revision it reflects; negative until it is first built.
    fn revision(&self) -> i64;

    /// Brings it up to the journal's latest revision (building it the first time), applying
    /// entries in revision order, one advance at a time; returns the revision reached.
    fn advance<'a>(&'a self, db: &'a Store) -> BoxFuture<'a, Result<i64>>;
}

/// The journal revision an index reflects: -1 until it is first built. Stored after the index
/// has changed, so whoever reads a revision finds the index at least that far along.
pub struct Revision(AtomicI64);

impl Default for Revision {
    fn default() -> Self {
        Revision(AtomicI64::new(-1))
    }
}

impl Revision {
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, at: i64) {
        self.0.store(at, Ordering::Release);
    }

    pub fn built(&self) -> bool {
        self.get() >= 0
    }
}

/// The service's indexes, in the order the follower advances them.
pub struct Indexes(Vec<Arc<dyn JournalIndex>>);

impl Indexes {
    pub fn new(indexes: Vec<Arc<dyn JournalIndex>>) -> Self {
        Indexes(indexes)
    }

    /// Advances every index in turn; one that fails is logged and the next still advances.
    async fn advance_all(&self, db: &Store, doing: &str) {
        for ix in &self.0 {
            if let Err(e) = ix.advance(db).await {
                tracing::warn!(error = %e, "{doing} the {} index", ix.name());
            }
        }
    }
}

impl Service {
    /// Whether every index has been built: until then a request would wait for a build of
    /// seconds, so the server does not call itself ready.
    pub fn indexes_built(&self) -> bool {
        self.indexes.0.iter().all(|ix| ix.revision() >= 0)
    }

    /// Builds the indexes, then follows other servers' writes for as long as the server runs.
    pub async fn follow_journal(self) {
        // Built now rather than on the first request, which would otherwise wait for it.
        self.indexes.advance_all(&self.store, "building").await;
        let mut follower = self.store.follower(POLL).await;
        let mut seen = 0;
        loop {
            follower.wait().await;
            // Another server's write ends this one's cached token callers too.
            match self.journal().latest_revision().await {
                Ok(latest) if latest != seen => {
                    seen = latest;
                    self.tokens.invalidate();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the journal's revision"),
            }
            // Building too, when the build at start failed: `/readyz` waits for every index,
            // so a replica whose database was away for a moment must not stay unready.
            self.indexes.advance_all(&self.store, "advancing").await;
        }
    }
}
