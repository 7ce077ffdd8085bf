//! Sessions, API tokens and sign-in throttling. Secrets are stored only as SHA-256 hashes.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub account_id: String,
    pub org_id: Option<String>,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn insert_session(c: &mut AnyConnection, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, org_id, csrf_token, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.id_hash)
    .bind(&s.account_id)
    .bind(&s.org_id)
    .bind(&s.csrf_token)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn session(c: &mut AnyConnection, id_hash: &str) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT id_hash, account_id, org_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(c)
    .await?)
}

pub async fn touch_session(c: &mut AnyConnection, id_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2").bind(now).bind(id_hash).execute(c).await?;
    Ok(())
}

pub async fn set_session_org(c: &mut AnyConnection, id_hash: &str, org: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET org_id = $1 WHERE id_hash = $2").bind(org).bind(id_hash).execute(c).await?;
    Ok(())
}

pub async fn delete_session(c: &mut AnyConnection, id_hash: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(c).await?.rows_affected())
}

/// Ends every session of an account, or only those acting in one organization.
pub async fn delete_sessions(c: &mut AnyConnection, account: &str, org: Option<&str>) -> Result<u64> {
    let q = match org {
        Some(org) => sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND org_id = $2").bind(account).bind(org),
        None => sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account),
    };
    Ok(q.execute(c).await?.rows_affected())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub secret_hash: String,
    pub account_id: String,
    /// `None` for the platform operator's tokens, which act in no organization.
    pub org_id: Option<String>,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "id, secret_hash, account_id, org_id, name, created_at, expires_at, revoked_at, last_used_at";

pub async fn insert_token(c: &mut AnyConnection, t: &TokenRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&t.id)
        .bind(&t.secret_hash)
        .bind(&t.account_id)
        .bind(&t.org_id)
        .bind(&t.name)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .bind(t.last_used_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn token_by_hash(c: &mut AnyConnection, secret_hash: &str) -> Result<Option<TokenRow>> {
    Ok(sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1"))
        .bind(secret_hash)
        .fetch_optional(c)
        .await?)
}

/// An account's tokens acting in `org`, or its operator tokens with `None`.
pub async fn tokens_of(c: &mut AnyConnection, account: &str, org: Option<&str>) -> Result<Vec<TokenRow>> {
    let which = if org.is_some() { "org_id = $2" } else { "org_id IS NULL" };
    let sql =
        format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND {which} ORDER BY created_at DESC, id");
    let mut q = sqlx::query_as(&sql).bind(account);
    if let Some(org) = org {
        q = q.bind(org);
    }
    Ok(q.fetch_all(c).await?)
}

pub async fn revoke_token(c: &mut AnyConnection, id: &str, account: &str, now: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .bind(account)
        .execute(c)
        .await?
        .rows_affected())
}

/// Revokes an account's live tokens, all or those of one organization.
pub async fn revoke_tokens(c: &mut AnyConnection, account: &str, org: Option<&str>, now: i64) -> Result<u64> {
    let q = match org {
        Some(org) => sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE account_id = $2 AND org_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(account)
        .bind(org),
        None => sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(account),
    };
    Ok(q.execute(c).await?.rows_affected())
}

pub async fn touch_token(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(c).await?;
    Ok(())
}

/// Counts one failure against `key` and returns the failures in the current window. One
/// statement, so concurrent failures each count exactly once.
pub async fn record_failure(c: &mut AnyConnection, key: &str, now: i64, window_ms: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO throttle (key, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.failures + 1 END, \
           window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(c)
    .await?)
}

/// Takes back one counted failure of `key` (an attempt that was refused unchecked, or succeeded).
pub async fn forgive_failure(c: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("UPDATE throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0")
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn clear_failures(c: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM throttle WHERE key = $1").bind(key).execute(c).await?;
    Ok(())
}

// ----- set-password links -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PasswordLinkRow {
    pub id: String,
    pub secret_hash: String,
    pub account_id: String,
    pub org_id: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_password_link(c: &mut AnyConnection, l: &PasswordLinkRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_links (id, secret_hash, account_id, org_id, created_by, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&l.id)
    .bind(&l.secret_hash)
    .bind(&l.account_id)
    .bind(&l.org_id)
    .bind(&l.created_by)
    .bind(l.created_at)
    .bind(l.expires_at)
    .bind(l.used_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn password_link(c: &mut AnyConnection, secret_hash: &str) -> Result<Option<PasswordLinkRow>> {
    Ok(sqlx::query_as(
        "SELECT id, secret_hash, account_id, org_id, created_by, created_at, expires_at, used_at \
         FROM password_links WHERE secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(c)
    .await?)
}

/// Marks a link used, if it still is unused and unexpired at `now`: of two requests racing with
/// one link, one sees 1 and the other 0.
pub async fn use_password_link(c: &mut AnyConnection, id: &str, now: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE password_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
}

/// Ends an account's unused links (a new one replaces them); how many there were.
pub async fn retire_password_links(c: &mut AnyConnection, account: &str, now: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE password_links SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(account)
        .execute(c)
        .await?
        .rows_affected())
}

/// An account's sessions, newest first.
pub async fn sessions_of(c: &mut AnyConnection, account: &str) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT id_hash, account_id, org_id, csrf_token, created_at, last_seen_at FROM sessions \
         WHERE account_id = $1 ORDER BY created_at DESC, id_hash",
    )
    .bind(account)
    .fetch_all(c)
    .await?)
}
