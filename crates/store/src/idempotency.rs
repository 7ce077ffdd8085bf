//! `Idempotency-Key` records: the first request with a key reserves it; the response is
//! stored so a repeat gets the same answer and causes no second effect.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Record {
    pub request_hash: String,
    pub status: Option<i64>,
    pub body: Option<String>,
    pub created_at: i64,
}

/// Tries to reserve the key; true if this request holds it now.
pub async fn reserve(c: &mut AnyConnection, scope: &str, key: &str, request_hash: &str, now: i64) -> Result<bool> {
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
    Ok(sqlx::query_as("SELECT request_hash, status, body, created_at FROM idempotency WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .fetch_optional(c)
        .await?)
}

pub async fn complete(c: &mut AnyConnection, scope: &str, key: &str, status: i64, body: &str) -> Result<()> {
    sqlx::query("UPDATE idempotency SET status = $1, body = $2 WHERE scope = $3 AND key = $4")
        .bind(status)
        .bind(body)
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
