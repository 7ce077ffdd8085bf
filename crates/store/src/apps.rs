//! Apps, permission groups and publications, and the facts the access index is built from.

use keiretsu_domain::access::{AppFacts, Audience, Facts, Principal, Right};
use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AppRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

pub async fn insert_app(c: &mut AnyConnection, a: &AppRow) -> Result<()> {
    sqlx::query("INSERT INTO apps (id, org_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&a.id)
        .bind(&a.org_id)
        .bind(&a.name)
        .bind(&a.description)
        .bind(a.created_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn app(c: &mut AnyConnection, id: &str) -> Result<Option<AppRow>> {
    Ok(sqlx::query_as("SELECT id, org_id, name, description, created_at FROM apps WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn apps_by_ids(c: &mut AnyConnection, ids: &[String]) -> Result<Vec<AppRow>> {
    let mut out = Vec::new();
    for id in ids {
        out.extend(app(c, id).await?);
    }
    Ok(out)
}

pub async fn apps_of_org(c: &mut AnyConnection, org: &str) -> Result<Vec<AppRow>> {
    Ok(sqlx::query_as("SELECT id, org_id, name, description, created_at FROM apps WHERE org_id = $1 ORDER BY name, id")
        .bind(org)
        .fetch_all(c)
        .await?)
}

/// Creates or replaces a permission group.
pub async fn put_group(
    c: &mut AnyConnection,
    app: &str,
    name: &str,
    rights: &[Right],
    principals: &[Principal],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO permission_groups (app_id, name, rights, principals) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (app_id, name) DO UPDATE SET rights = excluded.rights, principals = excluded.principals",
    )
    .bind(app)
    .bind(name)
    .bind(serde_json::to_string(rights).unwrap_or_default())
    .bind(serde_json::to_string(principals).unwrap_or_default())
    .execute(c)
    .await?;
    Ok(())
}

pub async fn put_publication(
    c: &mut AnyConnection,
    app: &str,
    network: &str,
    audience: &Audience,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO publications (app_id, network_id, audience, published_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (app_id, network_id) DO UPDATE SET audience = excluded.audience",
    )
    .bind(app)
    .bind(network)
    .bind(serde_json::to_string(audience).unwrap_or_default())
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn delete_publication(c: &mut AnyConnection, app: &str, network: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM publications WHERE app_id = $1 AND network_id = $2")
        .bind(app)
        .bind(network)
        .execute(c)
        .await?
        .rows_affected())
}

/// Everything a decision reads, from the database as it is now.
pub async fn facts(c: &mut AnyConnection) -> Result<Facts> {
    let mut f = Facts::default();
    let members: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, org_id, status, role FROM members").fetch_all(&mut *c).await?;
    let memberships: Vec<(String, String)> =
        sqlx::query_as("SELECT member_id, department_id FROM member_departments ORDER BY member_id")
            .fetch_all(&mut *c)
            .await?;
    let mut deps: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (m, d) in memberships {
        deps.entry(m).or_default().push(d);
    }
    for (id, org, status, role) in members {
        let admin = role == "primary_admin" || role.starts_with("sub_admin:");
        let d = deps.remove(&id).unwrap_or_default();
        f.members.push((id, org, status == "active", admin, d));
    }
    f.departments = sqlx::query_as("SELECT id, parent_id FROM departments").fetch_all(&mut *c).await?;
    f.units = sqlx::query_as::<_, (String, String, String, String, String)>(
        "SELECT id, network_id, org_id, partner_type, status FROM units WHERE status <> 'removed'",
    )
    .fetch_all(&mut *c)
    .await?
    .into_iter()
    .map(|(id, n, o, t, s)| (id, n, o, t, s == "active"))
    .collect();
    f.networks = sqlx::query_as("SELECT id, org_id FROM networks").fetch_all(&mut *c).await?;
    f.seats =
        sqlx::query_as("SELECT pool_id, member_id FROM seats WHERE status = 'enabled'").fetch_all(&mut *c).await?;
    let apps: Vec<(String, String)> = sqlx::query_as("SELECT id, org_id FROM apps").fetch_all(&mut *c).await?;
    let groups: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT app_id, name, rights, principals FROM permission_groups ORDER BY app_id, name")
            .fetch_all(&mut *c)
            .await?;
    let publications: Vec<(String, String, String)> =
        sqlx::query_as("SELECT app_id, network_id, audience FROM publications ORDER BY app_id, network_id")
            .fetch_all(&mut *c)
            .await?;
    for (id, org) in apps {
        let groups = groups
            .iter()
            .filter(|g| g.0 == id)
            .map(|(_, name, rights, principals)| {
                (
                    name.clone(),
                    serde_json::from_str(rights).unwrap_or_default(),
                    serde_json::from_str(principals).unwrap_or_default(),
                )
            })
            .collect();
        let publications = publications
            .iter()
            .filter(|p| p.0 == id)
            .filter_map(|(_, net, audience)| serde_json::from_str(audience).ok().map(|a| (net.clone(), a)))
            .collect();
        f.apps.push(AppFacts { id, org, groups, publications });
    }
    Ok(f)
}
