//! `Idempotency-Key` records: the first request with a key reserves it; the response is
//! stored so a repeat gets the same answer and causes no second effect. Rows expire.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Record {
    pub request_hash: String,
    pub status: Option<i64>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    /// The journal revision the first request wrote, if it wrote.
    pub revision: Option<i64>,
    pub created_at: i64,
}

/// The first answer, as it is kept for replays.
pub struct Answer<'a> {
    pub status: i64,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
    pub revision: Option<i64>,
}

/// Drops the records made before `cutoff`, then tries to reserve the key; true if this request
/// holds it now. `ON CONFLICT DO NOTHING` makes the reservation one atomic step on both databases.
pub async fn reserve(
    c: &mut AnyConnection,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    cutoff: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM idempotency WHERE created_at < $1").bind(cutoff).execute(&mut *c).await?;
    let n = sqlx::query(
        "INSERT INTO idempotency (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn get(c: &mut AnyConnection, scope: &str, key: &str) -> Result<Option<Record>> {
    Ok(sqlx::query_as(
        "SELECT request_hash, status, content_type, body, revision, created_at FROM idempotency \
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(c)
    .await?)
}

pub async fn complete(c: &mut AnyConnection, scope: &str, key: &str, a: &Answer<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency SET status = $1, content_type = $2, body = $3, revision = $4 WHERE scope = $5 AND key = $6",
    )
    .bind(a.status)
    .bind(a.content_type)
    .bind(a.body)
    .bind(a.revision)
    .bind(scope)
    .bind(key)
    .execute(c)
    .await?;
    Ok(())
}

/// Gives a key back when its request failed before it could answer, so a retry can run.
pub async fn release(c: &mut AnyConnection, scope: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency WHERE scope = $1 AND key = $2 AND status IS NULL")
        .bind(scope)
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}
