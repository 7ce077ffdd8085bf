//! Storage for `Idempotency-Key` records; the server's middleware drives them.

use keiretsu_store::idempotency as store;
pub use keiretsu_store::idempotency::{Answer, Record};

use crate::Result;

crate::use_cases!();

/// How long a key holds: a day, the usual window for retries.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

impl Cases<'_> {
    /// Reserves `key` for this request; true if it is now this request's to run. Records older
    /// than the window are dropped first, so their keys may be used again.
    pub async fn idempotency_reserve(&self, scope: &str, key: &str, fingerprint: &str) -> Result<bool> {
        let now = self.now();
        let mut c = self.store.read().await?;
        Ok(store::reserve(&mut c, scope, key, fingerprint, now, now - IDEMPOTENCY_WINDOW_MS).await?)
    }

    pub async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<Record>> {
        Ok(store::get(&mut *self.store.read().await?, scope, key).await?)
    }

    /// Stores the answer to replay, or gives the key back when the request failed on our side.
    pub async fn idempotency_finish(&self, scope: &str, key: &str, answer: Option<&Answer<'_>>) -> Result<()> {
        let mut c = self.store.read().await?;
        match answer {
            Some(a) => store::complete(&mut c, scope, key, a).await?,
            None => store::release(&mut c, scope, key).await?,
        }
        Ok(())
    }
}
