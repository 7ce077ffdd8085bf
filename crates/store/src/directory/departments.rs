//! Departments, their heads and their member counts.

use keiretsu_domain::ids::OrgId;
use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: String,
    pub org_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_at: i64,
}

pub async fn insert_department(c: &mut AnyConnection, d: &DepartmentRow) -> Result<()> {
    sqlx::query("INSERT INTO departments (id, org_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&d.id)
        .bind(&d.org_id)
        .bind(&d.parent_id)
        .bind(&d.name)
        .bind(d.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn departments(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<DepartmentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, org_id, parent_id, name, created_at FROM departments WHERE org_id = $1 ORDER BY name, id",
    )
    .bind(org.as_str())
    .fetch_all(c)
    .await?)
}

pub async fn department(c: &mut AnyConnection, org: &OrgId, id: &str) -> Result<Option<DepartmentRow>> {
    Ok(sqlx::query_as("SELECT id, org_id, parent_id, name, created_at FROM departments WHERE org_id = $1 AND id = $2")
        .bind(org.as_str())
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn update_department(
    c: &mut AnyConnection,
    org: &OrgId,
    id: &str,
    name: &str,
    parent: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE departments SET name = $1, parent_id = $2 WHERE org_id = $3 AND id = $4")
        .bind(name)
        .bind(parent)
        .bind(org.as_str())
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Counts of what keeps a department from being deleted: child departments and active members.
pub async fn department_contents(c: &mut AnyConnection, org: &OrgId, id: &str) -> Result<(i64, i64)> {
    let children: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM departments WHERE org_id = $1 AND parent_id = $2")
        .bind(org.as_str())
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
    let members: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM member_departments md JOIN members m ON m.id = md.member_id \
         WHERE md.department_id = $1 AND m.status = 'active'",
    )
    .bind(id)
    .fetch_one(c)
    .await?;
    Ok((children, members))
}

pub async fn delete_department(c: &mut AnyConnection, org: &OrgId, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM member_departments WHERE department_id = $1").bind(id).execute(&mut *c).await?;
    sqlx::query("DELETE FROM department_heads WHERE department_id = $1").bind(id).execute(&mut *c).await?;
    sqlx::query("DELETE FROM departments WHERE org_id = $1 AND id = $2").bind(org.as_str()).bind(id).execute(c).await?;
    Ok(())
}

/// `(department_id, member_id)` of every head in the organization.
pub async fn heads(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT h.department_id, h.member_id FROM department_heads h JOIN departments d ON d.id = h.department_id \
         WHERE d.org_id = $1 ORDER BY h.department_id, h.member_id",
    )
    .bind(org.as_str())
    .fetch_all(c)
    .await?)
}

pub async fn set_heads(c: &mut AnyConnection, department: &str, members: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM department_heads WHERE department_id = $1").bind(department).execute(&mut *c).await?;
    for m in members {
        sqlx::query("INSERT INTO department_heads (department_id, member_id) VALUES ($1, $2)")
            .bind(department)
            .bind(m)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Departments a member heads; removes the headships and returns them.
pub async fn remove_headships(c: &mut AnyConnection, member: &str) -> Result<Vec<String>> {
    let deps: Vec<String> =
        sqlx::query_scalar("SELECT department_id FROM department_heads WHERE member_id = $1 ORDER BY department_id")
            .bind(member)
            .fetch_all(&mut *c)
            .await?;
    sqlx::query("DELETE FROM department_heads WHERE member_id = $1").bind(member).execute(c).await?;
    Ok(deps)
}

/// Active members per department of the organization.
pub async fn department_member_counts(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT md.department_id, COUNT(*) FROM member_departments md JOIN members m ON m.id = md.member_id \
         WHERE m.org_id = $1 AND m.status = 'active' GROUP BY md.department_id",
    )
    .bind(org.as_str())
    .fetch_all(c)
    .await?)
}
