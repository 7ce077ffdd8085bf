//! Members: a person in one organization, their departments and supervisor, and the member list.

use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::identity::Role;
use keiretsu_domain::ids::OrgId;
use serde_json::json;
use sqlx::AnyConnection;

use super::placeholders;
use crate::{Backend, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub id: String,
    pub org_id: String,
    pub account_id: String,
    pub login: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    pub supervisor_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

const MEMBER_COLUMNS: &str = "SELECT m.id, m.org_id, m.account_id, a.login, m.name, a.phone, a.email, m.title, \
    m.employee_no, m.supervisor_id, m.status, m.role, m.joined_at, m.left_at";
const MEMBER_FROM: &str = "FROM members m JOIN accounts a ON a.id = m.account_id";
/// The text member search matches against: lowercased, one field per line.
pub fn search_key(m: &MemberRow) -> String {
    [Some(&m.name), Some(&m.login), m.phone.as_ref(), m.email.as_ref(), m.employee_no.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn insert_member(c: &mut AnyConnection, m: &MemberRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO members (id, org_id, account_id, name, title, employee_no, supervisor_id, status, role, search, \
         joined_at, left_at) VALUES ({})",
        placeholders(1, 12)
    ))
    .bind(&m.id)
    .bind(&m.org_id)
    .bind(&m.account_id)
    .bind(&m.name)
    .bind(&m.title)
    .bind(&m.employee_no)
    .bind(&m.supervisor_id)
    .bind(m.status.as_str())
    .bind(m.role.encode())
    .bind(search_key(m))
    .bind(m.joined_at)
    .bind(m.left_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Writes a member's own fields back (name, title, employee number, supervisor, status, role).
pub async fn update_member(c: &mut AnyConnection, m: &MemberRow) -> Result<()> {
    sqlx::query(
        "UPDATE members SET name = $1, title = $2, employee_no = $3, supervisor_id = $4, status = $5, role = $6, \
         search = $7, joined_at = $8, left_at = $9 WHERE org_id = $10 AND id = $11",
    )
    .bind(&m.name)
    .bind(&m.title)
    .bind(&m.employee_no)
    .bind(&m.supervisor_id)
    .bind(m.status.as_str())
    .bind(m.role.encode())
    .bind(search_key(m))
    .bind(m.joined_at)
    .bind(m.left_at)
    .bind(&m.org_id)
    .bind(&m.id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn member(c: &mut AnyConnection, org: &OrgId, id: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(&format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1 AND m.id = $2"))
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// [`member`], locking its row until the transaction ends: a use case that reads a member to
/// decide a change (leave, rejoin, transfer, edit) holds it, so two servers cannot both decide
/// on the same old row. Seat pools are locked after member rows, never before. `NO KEY UPDATE`
/// leaves the row open to the key-share locks that inserts referencing it take (a seat, say).
pub async fn member_for_update(c: &mut crate::Tx, org: &OrgId, id: &str) -> Result<Option<MemberRow>> {
    let lock = match c.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR NO KEY UPDATE OF m",
    };
    Ok(sqlx::query_as(&format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1 AND m.id = $2{lock}"))
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(&mut **c)
        .await?)
}

pub async fn member_by_employee_no(c: &mut AnyConnection, org: &OrgId, no: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(&format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1 AND m.employee_no = $2"))
        .bind(org.as_str())
        .bind(no)
        .fetch_optional(c)
        .await?)
}

pub async fn member_of_account(c: &mut AnyConnection, org: &OrgId, account: &str) -> Result<Option<MemberRow>> {
    Ok(sqlx::query_as(&format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1 AND m.account_id = $2"))
        .bind(org.as_str())
        .bind(account)
        .fetch_optional(c)
        .await?)
}

/// An account's active memberships, with their organizations' names, for the organization switcher.
pub async fn memberships(c: &mut AnyConnection, account: &str) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.name, m.id FROM members m JOIN organizations o ON o.id = m.org_id \
         WHERE m.account_id = $1 AND m.status = 'active' ORDER BY o.name, o.id",
    )
    .bind(account)
    .fetch_all(c)
    .await?)
}

pub async fn members_by_ids(c: &mut AnyConnection, org: &OrgId, ids: &[String]) -> Result<Vec<MemberRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql =
        format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1 AND m.id IN ({})", placeholders(2, ids.len()));
    let mut q = sqlx::query_as(&sql).bind(org.as_str());
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(c).await?)
}

/// Members whose supervisor is `member`.
pub async fn reports(c: &mut AnyConnection, org: &OrgId, member: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM members WHERE org_id = $1 AND supervisor_id = $2 ORDER BY id")
        .bind(org.as_str())
        .bind(member)
        .fetch_all(c)
        .await?)
}

pub async fn set_supervisor_of(
    c: &mut AnyConnection,
    org: &OrgId,
    members: &[String],
    supervisor: Option<&str>,
) -> Result<()> {
    for m in members {
        sqlx::query("UPDATE members SET supervisor_id = $1 WHERE org_id = $2 AND id = $3")
            .bind(supervisor)
            .bind(org.as_str())
            .bind(m)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub async fn set_member_departments(c: &mut AnyConnection, member: &str, departments: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM member_departments WHERE member_id = $1").bind(member).execute(&mut *c).await?;
    for d in departments {
        sqlx::query("INSERT INTO member_departments (member_id, department_id) VALUES ($1, $2)")
            .bind(member)
            .bind(d)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// `(member_id, department_id)` pairs for the given members.
pub async fn departments_of(c: &mut AnyConnection, members: &[String]) -> Result<Vec<(String, String)>> {
    if members.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT member_id, department_id FROM member_departments WHERE member_id IN ({}) ORDER BY member_id, department_id",
        placeholders(1, members.len())
    );
    let mut q = sqlx::query_as(&sql);
    for m in members {
        q = q.bind(m);
    }
    Ok(q.fetch_all(c).await?)
}

/// A filtered, name-ordered page of an organization's members.
#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    /// Lowercased substring of name, login, phone, email or employee number.
    pub text: Option<String>,
    /// Members of any of these departments.
    pub departments: Option<Vec<String>>,
    pub status: Option<MemberStatus>,
    /// Cursor: the `(name, id)` of the last member of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

pub async fn list_members(
    c: &mut AnyConnection,
    backend: Backend,
    org: &OrgId,
    f: &MemberFilter,
) -> Result<Vec<MemberRow>> {
    let pattern = f.text.as_ref().map(|t| format!("%{}%", t.replace(['%', '_'], "")));
    // On SQLite the planner would walk every member in name order and test each against the
    // trigram index; for a term with few matches, let the index drive instead.
    let index_first = match (&pattern, backend) {
        (Some(p), Backend::Sqlite) => p.chars().count() >= 5 && sparse_match(c, p).await?,
        _ => false,
    };
    // Byte order on both databases, so pages and cursors agree whatever the server's locale.
    let collate = if backend == Backend::Postgres { " COLLATE \"C\"" } else { "" };
    let mut n = 1;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let mut sql = if index_first {
        format!(
            "{MEMBER_COLUMNS} FROM member_search s CROSS JOIN members m ON m.rowid = s.rowid \
             JOIN accounts a ON a.id = m.account_id WHERE s.search LIKE {} AND m.org_id = $1",
            p()
        )
    } else {
        format!("{MEMBER_COLUMNS} {MEMBER_FROM} WHERE m.org_id = $1")
    };
    if f.status.is_some() {
        sql += &format!(" AND m.status = {}", p());
    }
    if pattern.is_some() && !index_first {
        // On PostgreSQL a trigram GIN index serves this (see the 0002 migrations).
        sql += &format!(" AND m.search LIKE {}", p());
    }
    if let Some(deps) = &f.departments {
        let list: Vec<String> = deps.iter().map(|_| p()).collect();
        sql += &format!(
            " AND m.id IN (SELECT member_id FROM member_departments WHERE department_id IN ({}))",
            if list.is_empty() { "NULL".to_owned() } else { list.join(", ") }
        );
    }
    if f.after.is_some() {
        let (name, name2, id) = (p(), p(), p());
        sql += &format!(" AND (m.name{collate} > {name} OR (m.name = {name2} AND m.id > {id}))");
    }
    // PostgreSQL would rather walk the name index and test every member against a search term
    // or a department than use the trigram or department index and sort the matches; ordering
    // by an expression the index cannot give (the same order) makes it filter first.
    let filter_first = backend == Backend::Postgres && (pattern.is_some() || f.departments.is_some());
    let order = if filter_first { "(m.name || '')" } else { "m.name" };
    sql += &format!(" ORDER BY {order}{collate}, m.id LIMIT {}", p());
    let mut q = sqlx::query_as(&sql).bind(org.as_str());
    if index_first {
        q = q.bind(pattern.clone());
    }
    if let Some(s) = f.status {
        q = q.bind(s.as_str());
    }
    if !index_first && let Some(t) = &pattern {
        q = q.bind(t);
    }
    if let Some(deps) = &f.departments {
        for d in deps {
            q = q.bind(d);
        }
    }
    if let Some((name, id)) = &f.after {
        q = q.bind(name).bind(name).bind(id);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// True when fewer than a thousand members match `pattern` in SQLite's trigram index.
async fn sparse_match(c: &mut AnyConnection, pattern: &str) -> Result<bool> {
    let hits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM member_search WHERE search LIKE $1 LIMIT 1000) AS x")
            .bind(pattern)
            .fetch_one(c)
            .await?;
    Ok(hits < 1000)
}

pub async fn count_members(c: &mut AnyConnection, org: &OrgId) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = $1 AND status = 'active'")
        .bind(org.as_str())
        .fetch_one(c)
        .await?)
}

/// The organization's primary admins (one, unless a transfer is under way).
pub async fn primary_admin_members(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM members WHERE org_id = $1 AND role = 'primary_admin' ORDER BY id")
        .bind(org.as_str())
        .fetch_all(c)
        .await?)
}

/// Accounts of the organization's active primary admins.
pub async fn primary_admin_accounts(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM members WHERE org_id = $1 AND role = 'primary_admin' AND status = 'active' ORDER BY id",
    )
    .bind(org.as_str())
    .fetch_all(c)
    .await?)
}

/// `(employee_no, member id, account login)` of every numbered member, for imports.
pub async fn employee_numbers(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT m.employee_no, m.id, a.login FROM members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.org_id = $1 AND m.employee_no IS NOT NULL",
    )
    .bind(org.as_str())
    .fetch_all(c)
    .await?)
}

/// Inserts many members with their departments in bulk.
pub async fn insert_members(c: &mut AnyConnection, backend: Backend, rows: &[(MemberRow, Vec<String>)]) -> Result<()> {
    use crate::Col::{BigInt, Text};
    let cols = [
        Text("id"),
        Text("org_id"),
        Text("account_id"),
        Text("name"),
        Text("title"),
        Text("employee_no"),
        Text("supervisor_id"),
        Text("status"),
        Text("role"),
        Text("search"),
        BigInt("joined_at"),
        BigInt("left_at"),
    ];
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(m, _)| {
            json!([
                m.id,
                m.org_id,
                m.account_id,
                m.name,
                m.title,
                m.employee_no,
                m.supervisor_id,
                m.status.as_str(),
                m.role.encode(),
                search_key(m),
                m.joined_at,
                m.left_at
            ])
        })
        .collect();
    crate::insert_json(c, backend, "members", &cols, &json).await?;
    let pairs: Vec<serde_json::Value> =
        rows.iter().flat_map(|(m, deps)| deps.iter().map(move |d| json!([m.id, d]))).collect();
    crate::insert_json(c, backend, "member_departments", &[Text("member_id"), Text("department_id")], &pairs).await
}
