//! Approval templates (versioned per app), instances and the people each one asks or tells.

use keiretsu_domain::approval::{Instance, State, Template};
use sqlx::AnyConnection;

use crate::{Json, Result};

pub async fn latest_template(c: &mut AnyConnection, app: &str) -> Result<Option<(i64, Json<Template>)>> {
    Ok(sqlx::query_as("SELECT version, body FROM approval_templates WHERE app_id = $1 ORDER BY version DESC LIMIT 1")
        .bind(app)
        .fetch_optional(c)
        .await?)
}

/// One version of an app's template: the one a running request started with.
pub async fn template_at(c: &mut AnyConnection, app: &str, version: i64) -> Result<Option<Json<Template>>> {
    Ok(sqlx::query_scalar("SELECT body FROM approval_templates WHERE app_id = $1 AND version = $2")
        .bind(app)
        .bind(version)
        .fetch_optional(c)
        .await?)
}

/// Adds the next version of an app's template; two admins publishing at once meet the primary
/// key, and the second is told to try again.
pub async fn insert_template(
    c: &mut AnyConnection,
    app: &str,
    version: i64,
    body: &Template,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO approval_templates (app_id, version, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(app)
    .bind(version)
    .bind(Json(body))
    .bind(by)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: String,
    pub org_id: String,
    pub app_id: String,
    pub template_version: i64,
    pub submission_id: String,
    pub submitter_id: String,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub body: Json<Instance>,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "SELECT id, org_id, app_id, template_version, submission_id, submitter_id, state, body, \
    revision, created_at, updated_at FROM approval_instances";

pub async fn insert_instance(c: &mut AnyConnection, r: &InstanceRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO approval_instances (id, org_id, app_id, template_version, submission_id, submitter_id, \
         state, body, revision, created_at, updated_at, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.app_id)
    .bind(r.template_version)
    .bind(&r.submission_id)
    .bind(&r.submitter_id)
    .bind(r.state.as_str())
    .bind(&r.body)
    .bind(r.revision)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.body.due())
    .execute(c)
    .await?;
    Ok(())
}

/// `(submission, request id, state)` of the submissions' approval requests.
pub async fn of_submissions(c: &mut AnyConnection, submissions: &[String]) -> Result<Vec<(String, String, State)>> {
    let rows: Vec<(String, String, String)> = crate::rows_in(
        c,
        "SELECT submission_id, id, state FROM approval_instances WHERE submission_id IN (?)",
        submissions,
    )
    .await?;
    Ok(rows.into_iter().filter_map(|(s, id, state)| State::try_from(state).ok().map(|st| (s, id, st))).collect())
}

pub async fn instance(c: &mut AnyConnection, id: &str) -> Result<Option<InstanceRow>> {
    Ok(sqlx::query_as(&format!("{COLUMNS} WHERE id = $1")).bind(id).fetch_optional(c).await?)
}

pub async fn instance_of_submission(c: &mut AnyConnection, submission: &str) -> Result<Option<InstanceRow>> {
    Ok(sqlx::query_as(&format!("{COLUMNS} WHERE submission_id = $1")).bind(submission).fetch_optional(c).await?)
}

/// Writes an action's result if nobody acted since `revision` was read; 0 rows when someone did.
pub async fn update_instance(c: &mut AnyConnection, r: &InstanceRow, revision: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE approval_instances SET state = $1, body = $2, revision = $3, updated_at = $4, due_at = $7 \
         WHERE id = $5 AND revision = $6",
    )
    .bind(r.state.as_str())
    .bind(&r.body)
    .bind(r.revision)
    .bind(r.updated_at)
    .bind(&r.id)
    .bind(revision)
    .bind(r.body.due())
    .execute(c)
    .await?
    .rows_affected())
}

/// Moves an instance's inbox rows from the task holders `asked` (as the last write left them)
/// to `tasks`: those no longer asked keep it as `done`, the newly asked get a task (dated now),
/// and `copied` are added as `copy`. Holders who stay keep their row and its date.
pub async fn set_people(
    c: &mut AnyConnection,
    instance: &str,
    asked: &[String],
    tasks: &[String],
    copied: &[String],
    at: i64,
) -> Result<()> {
    for m in asked.iter().filter(|m| !tasks.contains(m)) {
        sqlx::query("DELETE FROM approval_people WHERE instance_id = $1 AND member_id = $2 AND kind = 'task'")
            .bind(instance)
            .bind(m)
            .execute(&mut *c)
            .await?;
        mark(c, instance, m, "done", at).await?;
    }
    for m in tasks.iter().filter(|m| !asked.contains(m)) {
        mark(c, instance, m, "task", at).await?;
    }
    for m in copied {
        mark(c, instance, m, "copy", at).await?;
    }
    Ok(())
}

async fn mark(c: &mut AnyConnection, instance: &str, member: &str, kind: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO approval_people (instance_id, member_id, kind, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (instance_id, member_id, kind) DO UPDATE SET at = excluded.at",
    )
    .bind(instance)
    .bind(member)
    .bind(kind)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Whether `member` was ever asked or told of an instance.
pub async fn involved(c: &mut AnyConnection, instance: &str, member: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM approval_people WHERE instance_id = $1 AND member_id = $2")
        .bind(instance)
        .bind(member)
        .fetch_one(c)
        .await?;
    Ok(n > 0)
}

/// Running requests the clock has something to do for by `now`, oldest due first.
pub async fn due(c: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<InstanceRow>> {
    Ok(sqlx::query_as(&format!("{COLUMNS} WHERE due_at <= $1 ORDER BY due_at, id LIMIT {limit}"))
        .bind(now)
        .fetch_all(c)
        .await?)
}

/// A member's delegation: to whom, from when until when.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DelegationRow {
    pub member_id: String,
    pub delegate_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

pub async fn delegation(c: &mut AnyConnection, member: &str) -> Result<Option<DelegationRow>> {
    Ok(sqlx::query_as(
        "SELECT member_id, delegate_id, starts_at, ends_at FROM approval_delegations WHERE member_id = $1",
    )
    .bind(member)
    .fetch_optional(c)
    .await?)
}

pub async fn put_delegation(c: &mut AnyConnection, d: &DelegationRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO approval_delegations (member_id, delegate_id, starts_at, ends_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (member_id) DO UPDATE SET delegate_id = excluded.delegate_id, \
         starts_at = excluded.starts_at, ends_at = excluded.ends_at",
    )
    .bind(&d.member_id)
    .bind(&d.delegate_id)
    .bind(d.starts_at)
    .bind(d.ends_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete_delegation(c: &mut AnyConnection, member: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM approval_delegations WHERE member_id = $1")
        .bind(member)
        .execute(c)
        .await?
        .rows_affected())
}

/// Of `members`, those away now, with their delegates (only delegates still active: a task is
/// never handed to someone who left since).
pub async fn away(c: &mut AnyConnection, members: &[String], now: i64) -> Result<Vec<(String, String)>> {
    let rows = crate::rows_in::<DelegationRow>(
        c,
        "SELECT d.member_id, d.delegate_id, d.starts_at, d.ends_at FROM approval_delegations d \
         JOIN members m ON m.id = d.delegate_id WHERE m.status = 'active' AND d.member_id IN (?)",
        members,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter(|d| d.starts_at <= now && now < d.ends_at)
        .map(|d| (d.member_id, d.delegate_id))
        .collect())
}

/// How many open tasks a member holds: the console header's count.
pub async fn open_tasks(c: &mut AnyConnection, member: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM approval_people WHERE member_id = $1 AND kind = 'task'")
        .bind(member)
        .fetch_one(c)
        .await?)
}

/// Which of a member's inboxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inbox {
    /// Open tasks.
    Todo,
    /// Requests the member submitted.
    Submitted,
    /// Requests the member was copied on.
    Copied,
    /// Requests the member decided or was asked on before.
    Done,
}

/// A page of one inbox, newest first: each request with the time it sorts by (when it reached
/// the member, or for their own requests when it last changed), after `after` = (time, id). The
/// page's keys come from one index range; only those rows are read.
pub async fn inbox(
    c: &mut AnyConnection,
    member: &str,
    inbox: Inbox,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<(i64, InstanceRow)>> {
    let kind = match inbox {
        Inbox::Submitted => None,
        Inbox::Todo => Some("task"),
        Inbox::Copied => Some("copy"),
        Inbox::Done => Some("done"),
    };
    let (mut sql, at, id, next) = match kind {
        None => {
            ("SELECT updated_at, id FROM approval_instances WHERE submitter_id = $1".to_owned(), "updated_at", "id", 2)
        }
        Some(_) => (
            "SELECT at, instance_id FROM approval_people WHERE member_id = $1 AND kind = $2".to_owned(),
            "at",
            "instance_id",
            3,
        ),
    };
    if after.is_some() {
        sql += &format!(" AND ({at} < ${next} OR ({at} = ${next} AND {id} < ${}))", next + 1);
    }
    sql += &format!(" ORDER BY {at} DESC, {id} DESC LIMIT {limit}");
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind(member);
    if let Some(k) = kind {
        q = q.bind(k);
    }
    if let Some((t, i)) = after {
        q = q.bind(t).bind(i);
    }
    let keys = q.fetch_all(&mut *c).await?;
    let ids: Vec<String> = keys.iter().map(|(_, i)| i.clone()).collect();
    let mut rows: std::collections::HashMap<String, InstanceRow> =
        crate::rows_in::<InstanceRow>(c, &format!("{COLUMNS} WHERE id IN (?)"), &ids)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
    Ok(keys.into_iter().filter_map(|(t, i)| rows.remove(&i).map(|r| (t, r))).collect())
}

/// The active admins of an organization (primary and sub-admins) with their roles: who holds a
/// scope, for approver rules that name one.
pub async fn admins(c: &mut AnyConnection, org: &str) -> Result<Vec<(String, keiretsu_domain::identity::Role)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, role FROM members WHERE org_id = $1 AND status = 'active' AND role <> 'member' ORDER BY id",
    )
    .bind(org)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, role)| keiretsu_domain::identity::Role::try_from(role).ok().map(|r| (id, r)))
        .collect())
}

/// Whether `member` is an active member of `org` or of an active unit of one of its networks.
pub async fn reachable_member(c: &mut AnyConnection, org: &str, member: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM members WHERE id = $1 AND status = 'active' AND (org_id = $2 OR org_id IN \
         (SELECT u.org_id FROM units u JOIN networks n ON n.id = u.network_id WHERE n.org_id = $2 AND u.status = 'active'))",
    )
    .bind(member)
    .bind(org)
    .fetch_one(c)
    .await?;
    Ok(n > 0)
}

/// Of `ids`, the members of `org` (any status): people its members may always see.
pub async fn of_org(c: &mut AnyConnection, org: &str, ids: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM members WHERE org_id = $1 AND id IN ({})",
            crate::directory::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql).bind(org);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *c).await?);
    }
    Ok(out)
}

/// The files uploaded to a request, oldest first.
pub async fn files(c: &mut AnyConnection, instance: &str) -> Result<Vec<crate::forms::AttachmentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, app_id, member_id, submission_id, approval_id, name, content_type, size, sha256, created_at \
         FROM attachments WHERE approval_id = $1 ORDER BY created_at, id",
    )
    .bind(instance)
    .fetch_all(c)
    .await?)
}

/// The organization of an active member.
pub async fn org_of_member(c: &mut AnyConnection, member: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT org_id FROM members WHERE id = $1 AND status = 'active'")
        .bind(member)
        .fetch_optional(c)
        .await?)
}

/// An organization's requests still running (pending or returned).
pub async fn running_of_org(c: &mut AnyConnection, org: &str) -> Result<Vec<InstanceRow>> {
    Ok(sqlx::query_as(&format!("{COLUMNS} WHERE org_id = $1 AND state IN ('pending', 'returned') ORDER BY id"))
        .bind(org)
        .fetch_all(c)
        .await?)
}

/// Requests still running (pending or returned) that name `member` anywhere in their plan or
/// among their approvers: those a departure must move.
pub async fn running_naming(c: &mut AnyConnection, member: &str) -> Result<Vec<InstanceRow>> {
    Ok(sqlx::query_as(&format!("{COLUMNS} WHERE state IN ('pending', 'returned') AND body LIKE $1 ORDER BY id"))
        .bind(format!("%\"{member}\"%"))
        .fetch_all(c)
        .await?)
}

/// A member's account and name, whatever their organization: whom a notification goes to.
/// The accounts and names of those of `members` still active, by member id.
pub async fn accounts(
    c: &mut AnyConnection,
    members: &[String],
) -> Result<std::collections::HashMap<String, (String, String)>> {
    let rows: Vec<(String, String, String)> =
        crate::rows_in(c, "SELECT id, account_id, name FROM members WHERE status = 'active' AND id IN (?)", members)
            .await?;
    Ok(rows.into_iter().map(|(id, account, name)| (id, (account, name))).collect())
}

pub async fn member_name(c: &mut AnyConnection, member: &str) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as("SELECT account_id, name FROM members WHERE id = $1 AND status = 'active'")
        .bind(member)
        .fetch_optional(c)
        .await?)
}
