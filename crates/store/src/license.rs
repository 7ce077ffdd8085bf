//! Editions, seat pools and seats. A pool's `assigned` count moves only through the
//! conditional updates here, in the transaction that moves the seats themselves.

use keiretsu_domain::error::DomainError;
use keiretsu_domain::license::{Edition, SeatReason, SeatStatus};
use serde_json::json;
use sqlx::AnyConnection;

use crate::{Backend, Col, Result, flag, upsert_json};

#[derive(Clone, Debug, sqlx::FromRow)]
struct EditionRow {
    key: String,
    name: String,
    seat_limited: i64,
    auto_default: i64,
    auto_locked: i64,
    downstream: i64,
    max_networks: i64,
}

impl From<EditionRow> for Edition {
    fn from(e: EditionRow) -> Self {
        Edition {
            key: e.key,
            name: e.name,
            seat_limited: e.seat_limited != 0,
            auto_default: e.auto_default != 0,
            auto_locked: e.auto_locked != 0,
            downstream: e.downstream != 0,
            max_networks: e.max_networks,
        }
    }
}

const EDITION_COLUMNS: &str = "key, name, seat_limited, auto_default, auto_locked, downstream, max_networks";

pub async fn editions(c: &mut AnyConnection) -> Result<Vec<Edition>> {
    let rows: Vec<EditionRow> =
        sqlx::query_as(&format!("SELECT {EDITION_COLUMNS} FROM editions ORDER BY key")).fetch_all(c).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn edition(c: &mut AnyConnection, key: &str) -> Result<Option<Edition>> {
    let row: Option<EditionRow> = sqlx::query_as(&format!("SELECT {EDITION_COLUMNS} FROM editions WHERE key = $1"))
        .bind(key)
        .fetch_optional(c)
        .await?;
    Ok(row.map(Into::into))
}

pub async fn update_edition(c: &mut AnyConnection, e: &Edition) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE editions SET name = $1, seat_limited = $2, auto_default = $3, auto_locked = $4, downstream = $5, \
         max_networks = $6 WHERE key = $7",
    )
    .bind(&e.name)
    .bind(flag(e.seat_limited))
    .bind(flag(e.auto_default))
    .bind(flag(e.auto_locked))
    .bind(flag(e.downstream))
    .bind(e.max_networks)
    .bind(&e.key)
    .execute(c)
    .await?
    .rows_affected())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PoolRow {
    pub org_id: String,
    pub edition: String,
    pub purchased: Option<i64>,
    pub assigned: i64,
    pub auto_on: i64,
    pub auto_by_admin: i64,
    pub warned_level: i64,
}

pub async fn pool(c: &mut AnyConnection, org: &str) -> Result<Option<PoolRow>> {
    Ok(sqlx::query_as(
        "SELECT org_id, edition, purchased, assigned, auto_on, auto_by_admin, warned_level FROM seat_pools \
         WHERE org_id = $1",
    )
    .bind(org)
    .fetch_optional(c)
    .await?)
}

/// Reads the pool and locks its row until the transaction ends. Every transaction that moves
/// seats, changes the purchase or warns takes this before reading the seat rows, so what it
/// reads stays true until it commits: SQLite's `BEGIN IMMEDIATE` already serializes writers,
/// PostgreSQL at READ COMMITTED needs the row lock. A transaction that locks several pools
/// takes them in id order, so two of them never wait on each other.
pub async fn lock_pool(c: &mut AnyConnection, backend: Backend, org: &str) -> Result<Option<PoolRow>> {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    Ok(sqlx::query_as(&format!(
        "SELECT org_id, edition, purchased, assigned, auto_on, auto_by_admin, warned_level FROM seat_pools \
         WHERE org_id = $1{lock}"
    ))
    .bind(org)
    .fetch_optional(c)
    .await?)
}

/// Creates the pool or changes its edition, purchase and auto-authorization; `assigned` stays.
pub async fn put_pool(c: &mut AnyConnection, p: &PoolRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO seat_pools (org_id, edition, purchased, assigned, auto_on, auto_by_admin, warned_level) \
         VALUES ($1, $2, $3, 0, $4, $5, 0) ON CONFLICT (org_id) DO UPDATE SET edition = excluded.edition, \
         purchased = excluded.purchased, auto_on = excluded.auto_on, auto_by_admin = excluded.auto_by_admin",
    )
    .bind(&p.org_id)
    .bind(&p.edition)
    .bind(p.purchased)
    .bind(p.auto_on)
    .bind(p.auto_by_admin)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn set_warned(c: &mut AnyConnection, org: &str, level: i64) -> Result<()> {
    sqlx::query("UPDATE seat_pools SET warned_level = $1 WHERE org_id = $2").bind(level).bind(org).execute(c).await?;
    Ok(())
}

/// Takes `n` seats if the pool has room for all of them and returns the pool as it now is;
/// `None` (and nothing taken) otherwise. One conditional statement: concurrent takers serialize
/// on the pool's row and none overdraws.
pub async fn take_seats(c: &mut AnyConnection, org: &str, n: i64) -> Result<Option<PoolRow>> {
    Ok(sqlx::query_as(
        "UPDATE seat_pools SET assigned = assigned + $1 WHERE org_id = $2 AND (purchased IS NULL OR assigned + $3 <= purchased) \
         RETURNING org_id, edition, purchased, assigned, auto_on, auto_by_admin, warned_level",
    )
    .bind(n)
    .bind(org)
    .bind(n)
    .fetch_optional(c)
    .await?)
}

/// A pool and a member's row in it, in one read: every sign-in asks.
pub async fn pool_and_seat(
    c: &mut AnyConnection,
    org: &str,
    member: &str,
) -> Result<Option<(PoolRow, Option<SeatStatus>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        pool: PoolRow,
        status: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT p.org_id, p.edition, p.purchased, p.assigned, p.auto_on, p.auto_by_admin, p.warned_level, s.status \
         FROM seat_pools p LEFT JOIN seats s ON s.member_id = $1 AND s.pool_id = p.org_id WHERE p.org_id = $2",
    )
    .bind(member)
    .bind(org)
    .fetch_optional(c)
    .await?;
    row.map(|r| Ok((r.pool, r.status.map(SeatStatus::try_from).transpose()?))).transpose()
}

pub async fn return_seats(c: &mut AnyConnection, org: &str, n: i64) -> Result<()> {
    sqlx::query("UPDATE seat_pools SET assigned = assigned - $1 WHERE org_id = $2")
        .bind(n)
        .bind(org)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SeatRow {
    pub pool_id: String,
    pub member_id: String,
    pub org_id: String,
    #[sqlx(try_from = "String")]
    pub status: SeatStatus,
    #[sqlx(try_from = "String")]
    pub reason: SeatReason,
    pub changed_at: i64,
}

pub async fn seat(c: &mut AnyConnection, pool: &str, member: &str) -> Result<Option<SeatRow>> {
    Ok(sqlx::query_as(
        "SELECT pool_id, member_id, org_id, status, reason, changed_at FROM seats WHERE pool_id = $1 AND member_id = $2",
    )
    .bind(pool)
    .bind(member)
    .fetch_optional(c)
    .await?)
}

/// Every seat row a member has, in any pool.
pub async fn seats_of_member(c: &mut AnyConnection, member: &str) -> Result<Vec<SeatRow>> {
    Ok(sqlx::query_as(
        "SELECT pool_id, member_id, org_id, status, reason, changed_at FROM seats WHERE member_id = $1 ORDER BY pool_id",
    )
    .bind(member)
    .fetch_all(c)
    .await?)
}

/// `SELECT` of the texts in the JSON array bound as parameter `$n`.
fn json_texts(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
        Backend::Postgres => format!("SELECT json_array_elements_text(${n}::json)"),
    }
}

/// Sets the status of existing rows of these members in a pool.
pub async fn update_seats(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    members: &[String],
    status: SeatStatus,
    reason: SeatReason,
    at: i64,
) -> Result<()> {
    let sql = format!(
        "UPDATE seats SET status = $1, reason = $2, changed_at = $3 WHERE pool_id = $4 AND member_id IN ({})",
        json_texts(backend, 5)
    );
    for chunk in members.chunks(50_000) {
        sqlx::query(&sql)
            .bind(status.as_str())
            .bind(reason.as_str())
            .bind(at)
            .bind(pool)
            .bind(json!(chunk).to_string())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Rows for members with none in the pool: `(member, member's organization)`. Under the pool's
/// lock none exists; were one there, it is set as asked rather than failing the transaction.
pub async fn insert_seats(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    members: &[(String, String)],
    status: SeatStatus,
    reason: SeatReason,
    at: i64,
) -> Result<()> {
    let cols = [
        Col::Text("pool_id"),
        Col::Text("member_id"),
        Col::Text("org_id"),
        Col::Text("status"),
        Col::Text("reason"),
        Col::BigInt("changed_at"),
    ];
    let rows: Vec<serde_json::Value> =
        members.iter().map(|(m, o)| json!([pool, m, o, status.as_str(), reason.as_str(), at])).collect();
    upsert_json(
        c,
        backend,
        "seats",
        &cols,
        &rows,
        "ON CONFLICT (member_id, pool_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
         changed_at = excluded.changed_at",
    )
    .await
}

pub async fn delete_seats(c: &mut AnyConnection, backend: Backend, pool: &str, members: &[String]) -> Result<()> {
    let sql = format!("DELETE FROM seats WHERE pool_id = $1 AND member_id IN ({})", json_texts(backend, 2));
    for chunk in members.chunks(50_000) {
        sqlx::query(&sql).bind(pool).bind(json!(chunk).to_string()).execute(&mut *c).await?;
    }
    Ok(())
}

/// Enabled seats held by members who have left: `(member, member's organization)`.
pub async fn departed_holders(c: &mut AnyConnection, pool: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT s.member_id, s.org_id FROM seats s JOIN members m ON m.id = s.member_id \
         WHERE s.pool_id = $1 AND s.status = 'enabled' AND m.status = 'left' ORDER BY s.member_id",
    )
    .bind(pool)
    .fetch_all(c)
    .await?)
}

/// Enabled seats per holding organization (the pool's own and each unit's).
pub async fn usage_by_org(c: &mut AnyConnection, pool: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT org_id, assigned FROM seat_usage WHERE pool_id = $1 AND assigned > 0 ORDER BY org_id")
        .bind(pool)
        .fetch_all(c)
        .await?)
}

/// Moves the per-organization counts of a pool by `(organization, delta)`.
pub async fn add_usage(c: &mut AnyConnection, pool: &str, deltas: &[(String, i64)]) -> Result<()> {
    for (org, delta) in deltas.iter().filter(|(_, d)| *d != 0) {
        // A decrease only ever meets an existing row; the CHECK would refuse it as a new one.
        let sql = if *delta > 0 {
            "INSERT INTO seat_usage (pool_id, org_id, assigned) VALUES ($1, $2, $3) \
             ON CONFLICT (pool_id, org_id) DO UPDATE SET assigned = seat_usage.assigned + excluded.assigned"
        } else {
            "UPDATE seat_usage SET assigned = assigned + $3 WHERE pool_id = $1 AND org_id = $2"
        };
        sqlx::query(sql).bind(pool).bind(org).bind(delta).execute(&mut *c).await?;
    }
    Ok(())
}

/// Active members of `org` in any of these departments.
pub async fn active_members_in(
    c: &mut AnyConnection,
    backend: Backend,
    org: &str,
    departments: &[String],
) -> Result<Vec<String>> {
    // Driven by the department index; `IN` removes members listed in two of the departments.
    let sql = format!(
        "SELECT m.id FROM members m WHERE m.id IN (SELECT md.member_id FROM member_departments md \
         WHERE md.department_id IN ({})) AND m.org_id = $1 AND m.status = 'active'",
        json_texts(backend, 2)
    );
    Ok(sqlx::query_scalar(&sql).bind(org).bind(json!(departments).to_string()).fetch_all(c).await?)
}

/// Enables the seats of `org`'s active members in these departments in one statement: new rows
/// for those who never had one, `enabled` for the others who were not. Returns the members whose
/// seat moved; the caller takes that many from the pool in the same transaction or rolls back.
/// The rows go in in key order: a hundred thousand of them then append to the seats' B-tree
/// instead of landing all over it (about a third less work on SQLite at that size).
pub async fn enable_in_departments(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    org: &str,
    departments: &[String],
    reason: SeatReason,
    at: i64,
) -> Result<Vec<String>> {
    let sql = format!(
        "INSERT INTO seats (pool_id, member_id, org_id, status, reason, changed_at) \
         SELECT $1, m.id, m.org_id, 'enabled', $2, $3 FROM members m WHERE m.id IN \
         (SELECT md.member_id FROM member_departments md WHERE md.department_id IN ({})) \
         AND m.org_id = $5 AND m.status = 'active' ORDER BY m.id \
         ON CONFLICT (member_id, pool_id) DO UPDATE SET status = 'enabled', reason = excluded.reason, \
         changed_at = excluded.changed_at WHERE seats.status <> 'enabled' RETURNING member_id",
        json_texts(backend, 4)
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(pool)
        .bind(reason.as_str())
        .bind(at)
        .bind(json!(departments).to_string())
        .bind(org)
        .fetch_all(c)
        .await?)
}

/// Active members of `org` among these ids.
pub async fn active_among(
    c: &mut AnyConnection,
    backend: Backend,
    org: &str,
    members: &[String],
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT id FROM members WHERE org_id = $1 AND status = 'active' AND id IN ({}) ORDER BY id",
        json_texts(backend, 2)
    );
    Ok(sqlx::query_scalar(&sql).bind(org).bind(json!(members).to_string()).fetch_all(c).await?)
}

/// Those of `members` who may hold a seat in `pool` now: active, and of the pool's organization
/// or brought in by an active unit of one of its networks. Asked again under the pool's lock,
/// so a member who left, or whose unit left, meanwhile gets no seat.
pub async fn seatable(c: &mut AnyConnection, backend: Backend, pool: &str, members: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in members.chunks(50_000) {
        let sql = format!(
            "SELECT m.id FROM members m WHERE m.id IN ({}) AND m.status = 'active' AND (m.org_id = $2 OR EXISTS \
             (SELECT 1 FROM units u JOIN networks n ON n.id = u.network_id WHERE u.org_id = m.org_id \
             AND n.org_id = $2 AND u.status = 'active' AND {})) ORDER BY m.id",
            json_texts(backend, 1),
            crate::network::BROUGHT
        );
        out.extend(
            sqlx::query_scalar::<_, String>(&sql).bind(json!(chunk).to_string()).bind(pool).fetch_all(&mut *c).await?,
        );
    }
    Ok(out)
}

/// The pools that may hold seats of `org`'s members, in id order: its own and those of the
/// organizations whose networks it is a unit of (or was: seats may outlive a unit's removal).
pub async fn pools_for_org(c: &mut AnyConnection, org: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT org_id FROM seat_pools WHERE org_id = $1 OR org_id IN \
         (SELECT n.org_id FROM units u JOIN networks n ON n.id = u.network_id WHERE u.org_id = $1) ORDER BY org_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// A member's row in a pool, with the member's organization.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Held {
    pub member_id: String,
    pub org_id: String,
    #[sqlx(try_from = "String")]
    pub status: SeatStatus,
}

/// Rows of these members in a pool.
pub async fn rows_of(c: &mut AnyConnection, backend: Backend, pool: &str, members: &[String]) -> Result<Vec<Held>> {
    let mut out = Vec::new();
    for chunk in members.chunks(50_000) {
        let sql = format!(
            "SELECT member_id, org_id, status FROM seats WHERE pool_id = $1 AND member_id IN ({}) ORDER BY member_id",
            json_texts(backend, 2)
        );
        out.extend(sqlx::query_as::<_, Held>(&sql).bind(pool).bind(json!(chunk).to_string()).fetch_all(&mut *c).await?);
    }
    Ok(out)
}

/// One row of the authorization list: `status` and `reason` are `None` for a member who was
/// never authorized (no row).
#[derive(Clone, Debug)]
pub struct ListedRow {
    pub member_id: String,
    pub name: String,
    pub login: String,
    pub title: Option<String>,
    pub status: Option<SeatStatus>,
    pub reason: Option<SeatReason>,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for ListedRow {
    fn from_row(row: &'r sqlx::any::AnyRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        fn stored<T: TryFrom<String, Error = DomainError>>(
            text: Option<String>,
            index: &str,
        ) -> sqlx::Result<Option<T>> {
            text.map(T::try_from)
                .transpose()
                .map_err(|e| sqlx::Error::ColumnDecode { index: index.to_owned(), source: Box::new(e) })
        }
        Ok(ListedRow {
            member_id: row.try_get("member_id")?,
            name: row.try_get("name")?,
            login: row.try_get("login")?,
            title: row.try_get("title")?,
            status: stored(row.try_get("status")?, "status")?,
            reason: stored(row.try_get("reason")?, "reason")?,
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub text: Option<String>,
    pub departments: Option<Vec<String>>,
    /// `Never`: members with no row.
    pub status: Option<SeatStatus>,
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// Active members of `org` with their standing in `pool`, in name order.
pub async fn list(
    c: &mut AnyConnection,
    backend: Backend,
    pool: &str,
    org: &str,
    f: &ListFilter,
) -> Result<Vec<ListedRow>> {
    let mut sql = String::from(
        "SELECT m.id AS member_id, m.name, a.login, m.title, s.status, s.reason FROM members m \
         JOIN accounts a ON a.id = m.account_id LEFT JOIN seats s ON s.pool_id = $1 AND s.member_id = m.id \
         WHERE m.org_id = $2 AND m.status = 'active'",
    );
    let mut n = 2;
    let mut next = || {
        n += 1;
        n
    };
    let mut binds: Vec<String> = Vec::new();
    if let Some(t) = &f.text {
        sql += &format!(" AND m.search LIKE ${}", next());
        binds.push(format!("%{}%", t.replace(['%', '_'], "")));
    }
    if let Some(deps) = &f.departments {
        let i = next();
        sql += &format!(
            " AND m.id IN (SELECT member_id FROM member_departments WHERE department_id IN ({}))",
            json_texts(backend, i)
        );
        binds.push(json!(deps).to_string());
    }
    match f.status {
        Some(SeatStatus::Never) => sql += " AND s.status IS NULL",
        Some(s) => {
            sql += &format!(" AND s.status = ${}", next());
            binds.push(s.as_str().to_owned());
        }
        None => {}
    }
    if let Some((name, id)) = &f.after {
        let (a, b, d) = (next(), next(), next());
        sql += &format!(" AND (m.name > ${a} OR (m.name = ${b} AND m.id > ${d}))");
        binds.extend([name.clone(), name.clone(), id.clone()]);
    }
    sql += &format!(" ORDER BY m.name, m.id LIMIT ${}", next());
    let mut q = sqlx::query_as(&sql).bind(pool).bind(org);
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// A unit's department bound to the backbone's pool: its members get seats automatically.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EntryRuleRow {
    pub pool_id: String,
    pub unit_id: String,
    pub department_id: String,
    pub created_at: i64,
}

pub async fn insert_entry_rule(c: &mut AnyConnection, r: &EntryRuleRow) -> Result<()> {
    sqlx::query("INSERT INTO seat_entry_rules (pool_id, unit_id, department_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&r.pool_id)
        .bind(&r.unit_id)
        .bind(&r.department_id)
        .bind(r.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_entry_rule(c: &mut AnyConnection, pool: &str, department: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM seat_entry_rules WHERE pool_id = $1 AND department_id = $2")
        .bind(pool)
        .bind(department)
        .execute(c)
        .await?
        .rows_affected())
}

pub async fn entry_rules(c: &mut AnyConnection, pool: &str) -> Result<Vec<EntryRuleRow>> {
    Ok(sqlx::query_as(
        "SELECT pool_id, unit_id, department_id, created_at FROM seat_entry_rules WHERE pool_id = $1 ORDER BY created_at",
    )
    .bind(pool)
    .fetch_all(c)
    .await?)
}

/// Entry rules that cover a member: the rule's department is one of the member's departments or
/// above one of them. `(pool, department of the rule)`; the caller checks the tree.
pub async fn entry_rules_of_org(c: &mut AnyConnection, org: &str) -> Result<Vec<EntryRuleRow>> {
    Ok(sqlx::query_as(
        "SELECT r.pool_id, r.unit_id, r.department_id, r.created_at FROM seat_entry_rules r \
         JOIN units u ON u.id = r.unit_id WHERE u.org_id = $1 AND u.status = 'active' ORDER BY r.created_at",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Accounts to warn about a pool: its primary admins and license sub-admins.
pub async fn license_admin_accounts(c: &mut AnyConnection, org: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM members WHERE org_id = $1 AND status = 'active' \
         AND (role = 'primary_admin' OR (role LIKE 'sub_admin:%' AND role LIKE '%license%')) ORDER BY account_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// Members of `org` holding any row in `pool`.
pub async fn seats_of_org(c: &mut AnyConnection, pool: &str, org: &str) -> Result<Vec<Held>> {
    Ok(sqlx::query_as(
        "SELECT member_id, org_id, status FROM seats WHERE pool_id = $1 AND org_id = $2 ORDER BY member_id",
    )
    .bind(pool)
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// For `verify`: each pool's `(organization, name, purchased, assigned)` beside its enabled rows.
pub async fn pool_tallies(c: &mut AnyConnection) -> Result<Vec<(String, String, Option<i64>, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT p.org_id, o.name, p.purchased, p.assigned, \
         (SELECT COUNT(*) FROM seats s WHERE s.pool_id = p.org_id AND s.status = 'enabled') \
         FROM seat_pools p JOIN organizations o ON o.id = p.org_id ORDER BY p.org_id",
    )
    .fetch_all(c)
    .await?)
}

/// For `verify`: `(pool, holding organization, kept count, enabled rows)` wherever the per-
/// organization count and the rows differ.
pub async fn usage_mismatches(c: &mut AnyConnection) -> Result<Vec<(String, String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT k.pool_id, k.org_id, COALESCE(u.assigned, 0), COALESCE(r.n, 0) FROM \
         (SELECT pool_id, org_id FROM seat_usage UNION SELECT pool_id, org_id FROM seats WHERE status = 'enabled') k \
         LEFT JOIN seat_usage u ON u.pool_id = k.pool_id AND u.org_id = k.org_id \
         LEFT JOIN (SELECT pool_id, org_id, COUNT(*) AS n FROM seats WHERE status = 'enabled' GROUP BY pool_id, org_id) r \
         ON r.pool_id = k.pool_id AND r.org_id = k.org_id \
         WHERE COALESCE(u.assigned, 0) <> COALESCE(r.n, 0) ORDER BY k.pool_id, k.org_id",
    )
    .fetch_all(c)
    .await?)
}
