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
    /// One person, as actor or target: entries by any of these accounts or about any of these ids.
    pub person: Option<Person>,
    /// Entries about one organization: recorded in it, aimed at it or at one of its units,
    /// naming it in their details, or made by one of its members.
    pub about_org: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(Clone, Debug, Default)]
pub struct Person {
    pub accounts: Vec<String>,
    pub ids: Vec<String>,
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
    if let Some(person) = &q.person {
        let mut any = vec!["1 = 0".to_owned()];
        any.extend(person.accounts.iter().map(|_| format!("actor = {}", p())));
        any.extend(person.ids.iter().map(|_| format!("target = {}", p())));
        sql += &format!(" AND ({})", any.join(" OR "));
    }
    if q.about_org.is_some() {
        let (o, like) = (p(), p());
        sql += &format!(
            " AND (org_id = {o} OR target = {o} OR target IN (SELECT id FROM units WHERE org_id = {o}) \
             OR details LIKE {like} ESCAPE '!' OR actor IN (SELECT account_id FROM members WHERE org_id = {o}))"
        );
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
    if let Some(person) = &q.person {
        for v in person.accounts.iter().chain(&person.ids) {
            query = query.bind(v);
        }
    }
    if let Some(v) = &q.about_org {
        // The id as a JSON string anywhere in the details; `!` escapes LIKE's wildcards.
        let escaped = v.replace('!', "!!").replace('%', "!%").replace('_', "!_");
        query = query.bind(v).bind(format!("%\"{escaped}\"%"));
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

/// What the journal's ids stand for, as far as one viewer may know: a name and, for a person,
/// the organization they belong to.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub org_name: Option<String>,
}

/// Names for `ids` as `viewer` (an organization, or `None` for the platform operator) may see
/// them. An id the viewer may not see is left out, exactly as an unknown one: people only as
/// members of the viewer's organization; organizations, networks and units only where the
/// viewer owns the network or is a unit of it; departments, apps and tokens only its own.
/// Where the viewer's networks reach: networks it owns or is a unit of.
const NETWORKS: &str =
    "SELECT id FROM networks WHERE org_id = {org} UNION SELECT network_id FROM units WHERE org_id = {org}";

/// The organizations `viewer`'s journal may name, by name: itself, the units and backbones of its
/// networks; for the operator (no viewer), every organization.
pub async fn organizations(c: &mut AnyConnection, viewer: Option<&str>) -> Result<Vec<Named>> {
    let Some(org) = viewer else {
        return Ok(sqlx::query_as(
            "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM organizations ORDER BY name, id",
        )
        .fetch_all(c)
        .await?);
    };
    let sql = format!(
        "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM organizations WHERE id = {{org}} \
         OR id IN (SELECT org_id FROM units WHERE network_id IN ({NETWORKS})) \
         OR id IN (SELECT org_id FROM networks WHERE id IN ({NETWORKS})) ORDER BY name, id"
    )
    .replace("{org}", "$1");
    Ok(sqlx::query_as(&sql).bind(org).fetch_all(c).await?)
}

pub async fn names(c: &mut AnyConnection, viewer: Option<&str>, ids: &[String]) -> Result<Vec<Named>> {
    let of = |prefix: &str| -> Vec<String> {
        let mut v: Vec<String> = ids.iter().filter(|i| i.starts_with(prefix)).cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    let Some(org) = viewer else {
        // The operator's entries are the platform's: accounts and organizations.
        let mut out = crate::rows_in(
            c,
            "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM accounts WHERE id IN (?)",
            &of("acc_"),
        )
        .await?;
        out.extend(
            crate::rows_in(
                c,
                "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM organizations WHERE id IN (?)",
                &of("org_"),
            )
            .await?,
        );
        return Ok(out);
    };
    let queries: [(&str, String); 9] = [
        (
            "acc_",
            "SELECT m.account_id AS id, m.name, o.name AS org_name FROM members m JOIN organizations o ON o.id = m.org_id \
             WHERE m.org_id = {org} AND m.account_id IN (?)"
                .into(),
        ),
        (
            "mem_",
            "SELECT m.id, m.name, o.name AS org_name FROM members m JOIN organizations o ON o.id = m.org_id \
             WHERE m.org_id = {org} AND m.id IN (?)"
                .into(),
        ),
        (
            "org_",
            format!(
                "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM organizations WHERE id IN (?) AND (id = {{org}} \
                 OR id IN (SELECT org_id FROM units WHERE network_id IN ({NETWORKS})) \
                 OR id IN (SELECT org_id FROM networks WHERE id IN ({NETWORKS})))"
            ),
        ),
        (
            "net_",
            format!("SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM networks WHERE id IN (?) AND id IN ({NETWORKS})"),
        ),
        (
            "unt_",
            format!(
                "SELECT u.id, o.name, CAST(NULL AS TEXT) AS org_name FROM units u JOIN organizations o ON o.id = u.org_id \
                 WHERE u.id IN (?) AND u.network_id IN ({NETWORKS})"
            ),
        ),
        (
            "inv_",
            format!(
                "SELECT id, partner_name AS name, CAST(NULL AS TEXT) AS org_name FROM invitations \
                 WHERE id IN (?) AND network_id IN ({NETWORKS})"
            ),
        ),
        ("dep_", "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM departments WHERE org_id = {org} AND id IN (?)".into()),
        ("app_", "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM apps WHERE org_id = {org} AND id IN (?)".into()),
        ("tok_", "SELECT id, name, CAST(NULL AS TEXT) AS org_name FROM tokens WHERE org_id = {org} AND id IN (?)".into()),
    ];
    let mut out = Vec::new();
    for (prefix, sql) in &queries {
        for chunk in of(prefix).chunks(400) {
            // The ids first, then the viewer as one more parameter, used wherever `{org}` stands.
            let org_param = format!("${}", chunk.len() + 1);
            let q = sql
                .replace("(?)", &format!("({})", crate::directory::placeholders(1, chunk.len())))
                .replace("{org}", &org_param);
            let mut query = sqlx::query_as::<_, Named>(&q);
            for id in chunk {
                query = query.bind(id);
            }
            out.extend(query.bind(org).fetch_all(&mut *c).await?);
        }
    }
    Ok(out)
}

/// The accounts and ids one person appears under in `viewer`'s journal, from a member id
/// (`mem_`) or an account id (`acc_`). A person outside the viewer's organization is known by
/// the id given alone, the same as an unknown id.
pub async fn person(c: &mut AnyConnection, viewer: Option<&str>, id: &str) -> Result<Person> {
    let mut person = Person { accounts: Vec::new(), ids: vec![id.to_owned()] };
    if id.starts_with("acc_") {
        person.accounts.push(id.to_owned());
    }
    let Some(org) = viewer else { return Ok(person) };
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, account_id FROM members WHERE org_id = $1 AND (id = $2 OR account_id = $2)")
            .bind(org)
            .bind(id)
            .fetch_all(c)
            .await?;
    for (member, account) in rows {
        person.ids.extend([member, account.clone()]);
        person.accounts.push(account);
    }
    person.ids.sort();
    person.ids.dedup();
    person.accounts.sort();
    person.accounts.dedup();
    Ok(person)
}
