//! Form apps' schema versions, submissions and attachments.

use keiretsu_domain::form::{Schema, Values};
use sqlx::AnyConnection;

use crate::{Json, Result};

pub async fn insert_version(c: &mut AnyConnection, app: &str, version: i64, schema: &Schema, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO app_versions (app_id, version, schema, created_at) VALUES ($1, $2, $3, $4)")
        .bind(app)
        .bind(version)
        .bind(Json(schema))
        .bind(at)
        .execute(c)
        .await?;
    Ok(())
}

/// `(version, schema)` of the app's newest schema.
pub async fn latest_version(c: &mut AnyConnection, app: &str) -> Result<Option<(i64, Schema)>> {
    let row: Option<(i64, Json<Schema>)> =
        sqlx::query_as("SELECT version, schema FROM app_versions WHERE app_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(app)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|(v, s)| (v, s.0)))
}

/// Every version of the app's schema, oldest first.
pub async fn versions(c: &mut AnyConnection, app: &str) -> Result<Vec<(i64, Schema)>> {
    let rows: Vec<(i64, Json<Schema>)> =
        sqlx::query_as("SELECT version, schema FROM app_versions WHERE app_id = $1 ORDER BY version")
            .bind(app)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(v, s)| (v, s.0)).collect())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: String,
    pub app_id: String,
    pub version: i64,
    pub member_id: String,
    pub org_id: String,
    pub unit_id: Option<String>,
    /// The submitter's departments when they submitted.
    pub departments: Json<Vec<String>>,
    pub data: Json<Values>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A submission with the names the list shows beside it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubmissionItem {
    #[sqlx(flatten)]
    pub row: SubmissionRow,
    pub member_name: String,
    pub org_name: String,
    pub unit_partner_type: Option<String>,
}

const COLUMNS: &str = "s.id, s.app_id, s.version, s.member_id, s.org_id, s.unit_id, s.departments, s.data, \
    s.created_at, s.updated_at, m.name AS member_name, o.name AS org_name, u.partner_type AS unit_partner_type";
const FROM: &str = "FROM submissions s JOIN members m ON m.id = s.member_id \
    JOIN organizations o ON o.id = s.org_id LEFT JOIN units u ON u.id = s.unit_id";

pub async fn insert_submission(c: &mut AnyConnection, s: &SubmissionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO submissions (id, app_id, version, member_id, org_id, unit_id, departments, data, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&s.id)
    .bind(&s.app_id)
    .bind(s.version)
    .bind(&s.member_id)
    .bind(&s.org_id)
    .bind(&s.unit_id)
    .bind(&s.departments)
    .bind(&s.data)
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Rewrites a submission's values, in the schema version they were checked against.
pub async fn update_submission(c: &mut AnyConnection, id: &str, version: i64, data: &Values, at: i64) -> Result<()> {
    sqlx::query("UPDATE submissions SET version = $1, data = $2, updated_at = $3 WHERE id = $4")
        .bind(version)
        .bind(Json(data))
        .bind(at)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn submission(c: &mut AnyConnection, id: &str) -> Result<Option<SubmissionItem>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} {FROM} WHERE s.id = $1")).bind(id).fetch_optional(c).await?)
}

/// What the database narrows a list to; field filters and the departments scope are applied after.
#[derive(Clone, Debug, Default)]
pub struct Narrow {
    pub member: Option<String>,
    pub org: Option<String>,
    pub unit: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// An app's submissions, newest first.
pub async fn submissions(c: &mut AnyConnection, app: &str, n: &Narrow) -> Result<Vec<SubmissionItem>> {
    let mut sql = format!("SELECT {COLUMNS} {FROM} WHERE s.app_id = $1");
    let mut binds: Vec<String> = vec![app.to_owned()];
    for (column, value) in [("s.member_id", &n.member), ("s.org_id", &n.org), ("s.unit_id", &n.unit)] {
        if let Some(v) = value {
            binds.push(v.clone());
            sql.push_str(&format!(" AND {column} = ${}", binds.len()));
        }
    }
    let mut at = binds.len();
    if n.from.is_some() {
        at += 1;
        sql.push_str(&format!(" AND s.created_at >= ${at}"));
    }
    if n.to.is_some() {
        at += 1;
        sql.push_str(&format!(" AND s.created_at < ${at}"));
    }
    sql.push_str(" ORDER BY s.created_at DESC, s.id DESC");
    let mut q = sqlx::query_as(&sql);
    for b in binds {
        q = q.bind(b);
    }
    for t in [n.from, n.to].into_iter().flatten() {
        q = q.bind(t);
    }
    Ok(q.fetch_all(c).await?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: String,
    pub app_id: String,
    pub member_id: String,
    pub submission_id: Option<String>,
    /// The approval request it was uploaded to, for a comment.
    pub approval_id: Option<String>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

pub async fn insert_attachment(c: &mut AnyConnection, a: &AttachmentRow, content: &[u8]) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (id, app_id, member_id, submission_id, name, content_type, size, sha256, content, \
         created_at, approval_id) VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&a.id)
    .bind(&a.app_id)
    .bind(&a.member_id)
    .bind(&a.name)
    .bind(&a.content_type)
    .bind(a.size)
    .bind(&a.sha256)
    .bind(content)
    .bind(a.created_at)
    .bind(&a.approval_id)
    .execute(c)
    .await?;
    Ok(())
}

const ATTACHMENT: &str = "SELECT id, app_id, member_id, submission_id, approval_id, name, content_type, size, sha256, created_at \
     FROM attachments";

pub async fn attachment(c: &mut AnyConnection, id: &str) -> Result<Option<AttachmentRow>> {
    Ok(sqlx::query_as(&format!("{ATTACHMENT} WHERE id = $1")).bind(id).fetch_optional(c).await?)
}

/// `(submission, attachment id, file name)` of every file the submissions hold.
pub async fn attachment_names(c: &mut AnyConnection, submissions: &[String]) -> Result<Vec<(String, String, String)>> {
    crate::rows_in(
        c,
        "SELECT submission_id, id, name FROM attachments WHERE submission_id IN (?) ORDER BY id",
        submissions,
    )
    .await
}

pub async fn attachment_content(c: &mut AnyConnection, id: &str) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT content FROM attachments WHERE id = $1").bind(id).fetch_optional(c).await?;
    Ok(row.map(|r| r.0))
}

/// Ties the uploader's unattached files to their submission; returns how many it took.
pub async fn attach(c: &mut AnyConnection, ids: &[String], app: &str, member: &str, submission: &str) -> Result<u64> {
    let mut n = 0;
    for id in ids {
        n += sqlx::query(
            "UPDATE attachments SET submission_id = $1 WHERE id = $2 AND app_id = $3 AND member_id = $4 \
             AND approval_id IS NULL AND (submission_id IS NULL OR submission_id = $1)",
        )
        .bind(submission)
        .bind(id)
        .bind(app)
        .bind(member)
        .execute(&mut *c)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// The active unit through which `member` of `org` reaches an app of `owner`: one that brings
/// them into a network of the owner's (the first, if several).
pub async fn unit_of(c: &mut AnyConnection, member: &str, org: &str, owner: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT u.id FROM units u JOIN networks n ON n.id = u.network_id JOIN members m ON m.id = $1 \
         WHERE u.org_id = $2 AND n.org_id = $3 AND u.status = 'active' AND {} ORDER BY u.id LIMIT 1",
        crate::network::BROUGHT
    ))
    .bind(member)
    .bind(org)
    .bind(owner)
    .fetch_optional(c)
    .await?;
    Ok(row.map(|r| r.0))
}
