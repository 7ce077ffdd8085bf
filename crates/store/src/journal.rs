//! Appending to and reading the journal.

use keiretsu_domain::journal::{Change, Entry, GENESIS_HASH};
use keiretsu_domain::time::Millis;
use sqlx::AnyConnection;

use crate::{Backend, Result, Tx};

/// Any key unique to Keiretsu: serializes journal appends across PostgreSQL replicas.
const JOURNAL_LOCK: i64 = 0x6b65_6972_6574;

#[derive(sqlx::FromRow)]
struct Row {
    revision: i64,
    at: i64,
    actor: String,
    org_id: Option<String>,
    action: String,
    target: String,
    details: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for Entry {
    fn from(r: Row) -> Entry {
        Entry {
            revision: r.revision,
            at: r.at,
            actor: r.actor,
            organization: r.org_id,
            action: r.action,
            target: r.target,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str = "revision, at, actor, org_id, action, target, details, prev_hash, hash";

/// The PostgreSQL channel on which each commit of journal entries is announced.
pub const CHANNEL: &str = "keiretsu_journal";

/// Appends changes in the caller's transaction: if this fails, the change fails with it.
pub async fn append(tx: &mut Tx, changes: &[Change], at: Millis) -> Result<Option<Entry>> {
    if changes.is_empty() {
        return Ok(None);
    }
    if tx.backend() == Backend::Postgres {
        // Held to commit; SQLite's IMMEDIATE transaction already serializes writers.
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(JOURNAL_LOCK).execute(&mut **tx).await?;
    }
    let last: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT revision, hash, at FROM journal ORDER BY revision DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
    let (mut revision, mut prev_hash, at) = match last {
        // Times never run backwards in the chain, even if the clock does.
        Some((rev, hash, last_at)) => (rev, hash, at.max(last_at)),
        None => (0, GENESIS_HASH.to_owned(), at),
    };
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        revision += 1;
        let entry = Entry::seal(change, revision, at, &prev_hash);
        prev_hash.clone_from(&entry.hash);
        entries.push(entry);
    }
    // In bulk: an import of 100k members journals 100k entries.
    use crate::Col::{BigInt, Text};
    let cols = [
        BigInt("revision"),
        BigInt("at"),
        Text("actor"),
        Text("org_id"),
        Text("action"),
        Text("target"),
        Text("details"),
        Text("prev_hash"),
        Text("hash"),
    ];
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!([
                e.revision,
                e.at,
                e.actor,
                e.organization,
                e.action,
                e.target,
                e.details,
                e.prev_hash,
                e.hash
            ])
        })
        .collect();
    let backend = tx.backend();
    crate::insert_json(tx, backend, "journal", &cols, &rows).await?;
    if backend == Backend::Postgres {
        // Delivered on commit: other servers' access indexes advance at once instead of at their next poll.
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(revision.to_string()).execute(&mut **tx).await?;
    }
    Ok(entries.pop())
}

/// How many journal entries one read of the chain takes: enough to amortize the round trip,
/// few enough that a follower catching up holds no more than a few MiB at a time.
pub const CHAIN_PAGE: i64 = 5000;

/// A page of the whole chain in revision order, for verification.
pub async fn chain_page(c: &mut AnyConnection, after: i64, limit: i64) -> Result<Vec<Entry>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM journal WHERE revision > $1 ORDER BY revision LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

/// Filters for reading an organization's journal. Newest first; `before` is the cursor.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub org: Option<String>,
    /// Only entries that belong to no organization (the platform's own).
    pub platform_only: bool,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn query(c: &mut AnyConnection, q: &Query) -> Result<Vec<Entry>> {
    let mut n = 0;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let mut sql = format!("SELECT {COLUMNS} FROM journal WHERE 1 = 1");
    if q.org.is_some() {
        sql += &format!(" AND org_id = {}", p());
    }
    if q.platform_only {
        sql += " AND org_id IS NULL";
    }
    if q.from.is_some() {
        sql += &format!(" AND at >= {}", p());
    }
    if q.to.is_some() {
        sql += &format!(" AND at < {}", p());
    }
    if q.actor.is_some() {
        sql += &format!(" AND actor = {}", p());
    }
    if q.action.is_some() {
        // `member` matches every `member.*` action; `member.join` matches itself.
        let (exact, prefix) = (p(), p());
        sql += &format!(" AND (action = {exact} OR action LIKE {prefix})");
    }
    if q.target.is_some() {
        sql += &format!(" AND target = {}", p());
    }
    if q.before.is_some() {
        sql += &format!(" AND revision < {}", p());
    }
    sql += &format!(" ORDER BY revision DESC LIMIT {}", p());
    let mut query = sqlx::query_as::<_, Row>(&sql);
    if let Some(v) = &q.org {
        query = query.bind(v);
    }
    if let Some(v) = q.from {
        query = query.bind(v);
    }
    if let Some(v) = q.to {
        query = query.bind(v);
    }
    if let Some(v) = &q.actor {
        query = query.bind(v);
    }
    if let Some(v) = &q.action {
        query = query.bind(v).bind(format!("{}.%", v.replace(['%', '_'], "")));
    }
    if let Some(v) = &q.target {
        query = query.bind(v);
    }
    if let Some(v) = q.before {
        query = query.bind(v);
    }
    let rows = query.bind(q.limit).fetch_all(c).await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

pub async fn latest_revision(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(revision), 0) FROM journal").fetch_one(c).await?)
}
