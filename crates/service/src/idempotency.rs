//! Storage for `Idempotency-Key` records; the server's middleware drives them.

use keiretsu_store::idempotency as store;
pub use keiretsu_store::idempotency::Record;

use crate::{Result, Service};

impl Service {
    /// Reserves `key` for this request; true if it is now this request's to run.
    pub async fn idempotency_reserve(&self, scope: &str, key: &str, fingerprint: &str) -> Result<bool> {
        Ok(store::reserve(&mut *self.store.read().await?, scope, key, fingerprint, self.now()).await?)
    }

    pub async fn idempotency_get(&self, scope: &str, key: &str) -> Result<Option<Record>> {
        Ok(store::get(&mut *self.store.read().await?, scope, key).await?)
    }

    /// Stores the answer to replay, or gives the key back when the request failed on our side.
    pub async fn idempotency_finish(&self, scope: &str, key: &str, answer: Option<(u16, &str)>) -> Result<()> {
        let mut c = self.store.read().await?;
        match answer {
            Some((status, body)) => store::complete(&mut c, scope, key, i64::from(status), body).await?,
            None => store::release(&mut c, scope, key).await?,
        }
        Ok(())
    }
}
