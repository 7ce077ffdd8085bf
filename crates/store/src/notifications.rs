//! The in-app inbox. Notifications are written in the transaction of the change that causes them.

use sqlx::AnyConnection;

use crate::{Json, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub account_id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub title: String,
    /// The parameters the title and body are rendered from.
    pub body: Json<serde_json::Value>,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

const COLUMNS: &str = "id, account_id, org_id, kind, title, body, link, created_at, read_at";

pub async fn insert(c: &mut AnyConnection, n: &NotificationRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO notifications ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&n.id)
        .bind(&n.account_id)
        .bind(&n.org_id)
        .bind(&n.kind)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(n.created_at)
        .bind(n.read_at)
        .execute(c)
        .await?;
    Ok(())
}

/// Newest first; `before` is `(created_at, id)` of the last one seen.
pub async fn list(
    c: &mut AnyConnection,
    account: &str,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let rows = match before {
        Some((at, id)) => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE account_id = $1 AND (created_at < $2 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ))
        .bind(account)
        .bind(at)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(c)
        .await?,
        None => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(account)
        .bind(limit)
        .fetch_all(c)
        .await?,
    };
    Ok(rows)
}

pub async fn unread(c: &mut AnyConnection, account: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL")
        .bind(account)
        .fetch_one(c)
        .await?)
}

/// Marks one notification read (only the account's own); returns how many changed.
pub async fn mark_read(c: &mut AnyConnection, account: &str, id: Option<&str>, now: i64) -> Result<u64> {
    let q = match id {
        Some(id) => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND id = $3 AND read_at IS NULL")
                .bind(now)
                .bind(account)
                .bind(id)
        }
        None => sqlx::query("UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL")
            .bind(now)
            .bind(account),
    };
    Ok(q.execute(c).await?.rows_affected())
}

pub async fn exists(c: &mut AnyConnection, account: &str, id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .fetch_one(c)
        .await?;
    Ok(n > 0)
}
