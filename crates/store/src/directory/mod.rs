//! Organizations, departments, accounts and members. Every query about an organization's
//! data takes the organization's id and filters by it inside the SQL.

use keiretsu_domain::directory::Certification;
use sqlx::AnyConnection;

use crate::Result;

mod accounts;
mod departments;
mod invitations;
mod members;

pub use accounts::*;
pub use departments::*;
pub use invitations::*;
pub use members::*;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub certification: Certification,
    pub edition: Option<String>,
    pub created_at: i64,
}

pub async fn insert_org(c: &mut AnyConnection, org: &OrgRow) -> Result<()> {
    sqlx::query("INSERT INTO organizations (id, name, certification, edition, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&org.id)
        .bind(&org.name)
        .bind(org.certification.as_str())
        .bind(&org.edition)
        .bind(org.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn org(c: &mut AnyConnection, id: &str) -> Result<Option<OrgRow>> {
    Ok(sqlx::query_as("SELECT id, name, certification, edition, created_at FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn orgs(c: &mut AnyConnection) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as("SELECT id, name, certification, edition, created_at FROM organizations ORDER BY name, id")
        .fetch_all(c)
        .await?)
}

pub async fn set_certification(c: &mut AnyConnection, id: &str, certification: Certification) -> Result<u64> {
    Ok(sqlx::query("UPDATE organizations SET certification = $1 WHERE id = $2")
        .bind(certification.as_str())
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
}

pub async fn set_edition(c: &mut AnyConnection, id: &str, edition: &str) -> Result<()> {
    sqlx::query("UPDATE organizations SET edition = $1 WHERE id = $2").bind(edition).bind(id).execute(c).await?;
    Ok(())
}

/// Values in one `IN` list. SQLite looks `$N` parameters up by name while it parses, so very
/// long lists cost more than they save.
pub const PARAMS_PER_STATEMENT: usize = 400;

/// `$start, $start+1, ...` for an `IN` list of `count` values.
pub fn placeholders(start: usize, count: usize) -> String {
    (start..start + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
