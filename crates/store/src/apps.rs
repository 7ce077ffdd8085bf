//! Apps, permission groups and publications, and the facts the access index is built from.

use std::collections::HashMap;

use keiretsu_domain::access::{AppFacts, Audience, Facts, Index, Loader, MemberFacts, Principal, Right, UnitFacts};
use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::identity::Role;
use sqlx::AnyConnection;

use crate::{Json, Result, Store, rows_in};

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
    .bind(Json(rights))
    .bind(Json(principals))
    .execute(c)
    .await?;
    Ok(())
}

/// An app's permission groups, by name: `(name, rights, principals)`.
pub async fn groups(c: &mut AnyConnection, app: &str) -> Result<Vec<(String, Vec<Right>, Vec<Principal>)>> {
    let rows: Vec<(String, Rights, Principals)> =
        sqlx::query_as("SELECT name, rights, principals FROM permission_groups WHERE app_id = $1 ORDER BY name")
            .bind(app)
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|(name, rights, principals)| (name, rights.0, principals.0)).collect())
}

/// Removes a permission group; how many rows went (0 or 1).
pub async fn delete_group(c: &mut AnyConnection, app: &str, name: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM permission_groups WHERE app_id = $1 AND name = $2")
        .bind(app)
        .bind(name)
        .execute(c)
        .await?
        .rows_affected())
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
    .bind(Json(audience))
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// `(network, audience)` of each network the app is published to.
pub async fn publications(c: &mut AnyConnection, app: &str) -> Result<Vec<(String, Json<Audience>)>> {
    Ok(sqlx::query_as("SELECT network_id, audience FROM publications WHERE app_id = $1 ORDER BY network_id")
        .bind(app)
        .fetch_all(c)
        .await?)
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
/// Members, their departments and their seats are read folded into long strings: one row per
/// organization (`<id> <1 if active + 2 if an admin>,...`), per department (member ids) and one
/// for all enabled seats (`<member> <pool>,...`; seats have no index by pool to group by).
///
/// The driver's cost is per row (a few microseconds), so three million rows took 14 s where the
/// same data in 70,000 rows takes about 2. Ids never hold a space or a comma. Each query may see
/// a later snapshot than the revision the caller read first, which is harmless: entries after
/// that revision are applied again.
const MEMBERS_FOLDED: &str = "SELECT org_id, string_agg(id || ' ' || ((CASE WHEN status = 'active' THEN 1 ELSE 0 END) + \
     (CASE WHEN role = 'primary_admin' OR substr(role, 1, 10) = 'sub_admin:' THEN 2 ELSE 0 END)), ',') \
     FROM members GROUP BY org_id";
const MEMBERSHIPS_FOLDED: &str =
    "SELECT department_id, string_agg(member_id, ',') FROM member_departments GROUP BY department_id";
/// All seats in one value: fine to some 20M seats, under both databases' 1 GB limit on a value.
const SEATS_FOLDED: &str =
    "SELECT CAST('' AS TEXT), string_agg(member_id || ' ' || pool_id, ',') FROM seats WHERE status = 'enabled'";

type Folded = Vec<(String, Option<String>)>;

/// A folding query running on a connection of its own, in a task of its own, so that the
/// loader can take in what came before while the database folds the rest. Dropped unawaited
/// (an error earlier, or a caller that went away), it stops the query.
struct Fold(tokio::task::JoinHandle<Result<Folded>>);

impl Drop for Fold {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn fold(store: &Store, sql: &'static str) -> Fold {
    let store = store.clone();
    Fold(tokio::spawn(async move { Ok(sqlx::query_as(sql).fetch_all(&mut *store.read().await?).await?) }))
}

async fn joined(mut f: Fold) -> Result<Folded> {
    match (&mut f.0).await {
        Ok(folded) => folded,
        // Only `Fold::drop` aborts the task, so a failed join is a panic inside it.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn items(rows: &Folded) -> impl Iterator<Item = (&str, &str)> {
    rows.iter().flat_map(|(key, folded)| {
        folded.as_deref().unwrap_or_default().split(',').filter(|x| !x.is_empty()).map(move |x| (key.as_str(), x))
    })
}

/// `(member, department)`.
fn memberships(rows: &Folded) -> impl Iterator<Item = (&str, &str)> {
    items(rows).map(|(d, m)| (m, d))
}

/// `(member, pool)`.
fn seats(rows: &Folded) -> impl Iterator<Item = (&str, &str)> {
    items(rows).filter_map(|(_, seat)| seat.split_once(' '))
}

/// `(id, organization, active, admin)`.
fn members(rows: &Folded) -> impl Iterator<Item = (&str, &str, bool, bool)> {
    items(rows).filter_map(|(org, m)| {
        let (id, flags) = m.split_once(' ')?;
        let flags: u8 = flags.parse().ok()?;
        Some((id, org, flags & 1 == 1, flags & 2 == 2))
    })
}

/// The rest of the facts: departments, units, networks and apps.
async fn structure(store: &Store) -> Result<Facts> {
    let mut c = store.read().await?;
    let units = crate::network::unit_facts(&mut c, None, &[]).await?;
    Ok(Facts {
        members: Vec::new(),
        departments: sqlx::query_as("SELECT id, parent_id FROM departments").fetch_all(&mut *c).await?,
        units: units.into_iter().filter(|u| !u.1).map(|u| u.0).collect(),
        networks: sqlx::query_as("SELECT id, org_id FROM networks").fetch_all(&mut *c).await?,
        apps: app_facts(&mut c, None).await?,
    })
}

/// The access index, built from the database: each folded part is taken in as soon as it
/// arrives, the members (the slowest to fold) last, as the loader needs.
pub async fn index(store: &Store) -> Result<Index> {
    let (member_rows, seat_rows, membership_rows) =
        (fold(store, MEMBERS_FOLDED), fold(store, SEATS_FOLDED), fold(store, MEMBERSHIPS_FOLDED));
    let rest = structure(store).await?;
    let mut l = Loader::new(&rest);
    for (m, d) in memberships(&joined(membership_rows).await?) {
        l.membership(m, d);
    }
    for (m, p) in seats(&joined(seat_rows).await?) {
        l.seat(m, p);
    }
    let member_rows = joined(member_rows).await?;
    l.reserve(members(&member_rows).count());
    for (id, org, active, admin) in members(&member_rows) {
        l.member(id, org, active, admin);
    }
    Ok(l.finish(&rest.apps))
}

/// Everything the access index reads, as owned facts (for tests and the benchmark's peer).
pub async fn facts(store: &Store) -> Result<Facts> {
    let (member_rows, seat_rows, membership_rows) =
        (fold(store, MEMBERS_FOLDED), fold(store, SEATS_FOLDED), fold(store, MEMBERSHIPS_FOLDED));
    let mut facts = structure(store).await?;
    let (member_rows, seat_rows, membership_rows) =
        (joined(member_rows).await?, joined(seat_rows).await?, joined(membership_rows).await?);
    let mut departments_of: HashMap<&str, Vec<String>> = HashMap::new();
    for (m, d) in memberships(&membership_rows) {
        departments_of.entry(m).or_default().push(d.to_owned());
    }
    let mut pools_of: HashMap<&str, Vec<String>> = HashMap::new();
    for (m, p) in seats(&seat_rows) {
        pools_of.entry(m).or_default().push(p.to_owned());
    }
    facts.members = members(&member_rows)
        .map(|(id, org, active, admin)| MemberFacts {
            id: id.to_owned(),
            org: org.to_owned(),
            active,
            admin,
            departments: departments_of.remove(id).unwrap_or_default(),
            pools: pools_of.remove(id).unwrap_or_default(),
        })
        .collect();
    Ok(facts)
}

/// The members `refresh` reads again, a row each with their departments and enabled seats'
/// pools folded into lists.
const MEMBERS: &str = "SELECT m.id, m.org_id, m.status, m.role, \
     (SELECT string_agg(d.department_id, ',') FROM member_departments d WHERE d.member_id = m.id) AS departments, \
     (SELECT string_agg(s.pool_id, ',') FROM seats s WHERE s.member_id = m.id AND s.status = 'enabled') AS pools \
     FROM members m";

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: String,
    org_id: String,
    #[sqlx(try_from = "String")]
    status: MemberStatus,
    #[sqlx(try_from = "String")]
    role: Role,
    departments: Option<String>,
    pools: Option<String>,
}

fn member_facts(m: MemberRow) -> MemberFacts {
    let list = |v: Option<String>| v.map_or_else(Vec::new, |v| v.split(',').map(str::to_owned).collect());
    MemberFacts {
        admin: m.role.is_admin(),
        active: m.status == MemberStatus::Active,
        departments: list(m.departments),
        pools: list(m.pools),
        id: m.id,
        org: m.org_id,
    }
}

/// `($1, $2, ...)` for an IN list of `n` values.
/// The objects a run of journal entries touched, to be read again and put in the index.
#[derive(Clone, Debug, Default)]
pub struct Touched {
    pub members: Vec<String>,
    pub departments: Vec<String>,
    pub units: Vec<String>,
    /// Organizations whose units changed (certification blocks and unblocks them).
    pub unit_orgs: Vec<String>,
    pub networks: Vec<String>,
    pub apps: Vec<String>,
}

/// The current facts of what was touched; a touched id missing from the answer is gone.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub members: Vec<MemberFacts>,
    pub departments: Vec<(String, Option<String>)>,
    /// With their status: `removed` units leave the index.
    pub units: Vec<(UnitFacts, bool)>,
    pub networks: Vec<(String, String)>,
    pub apps: Vec<AppFacts>,
}

pub async fn refresh(c: &mut AnyConnection, t: &Touched) -> Result<Refreshed> {
    let members: Vec<MemberRow> = rows_in(c, &format!("{MEMBERS} WHERE m.id IN (?)"), &t.members).await?;
    let mut units = crate::network::unit_facts(c, Some("id"), &t.units).await?;
    units.extend(crate::network::unit_facts(c, Some("org_id"), &t.unit_orgs).await?);
    units.extend(crate::network::unit_facts(c, Some("network_id"), &t.networks).await?);
    Ok(Refreshed {
        members: members.into_iter().map(member_facts).collect(),
        departments: rows_in(c, "SELECT id, parent_id FROM departments WHERE id IN (?)", &t.departments).await?,
        units,
        networks: rows_in(c, "SELECT id, org_id FROM networks WHERE id IN (?)", &t.networks).await?,
        apps: if t.apps.is_empty() { Vec::new() } else { app_facts(c, Some(&t.apps)).await? },
    })
}

/// `(app, name, rights, principals)`.
type GroupRow = (String, String, Rights, Principals);
type Rights = Json<Vec<Right>>;
type Principals = Json<Vec<Principal>>;
/// `(app, network, audience)`.
type PublicationRow = (String, String, Json<Audience>);

/// Apps with their groups and publications: all of them, or those in `ids`.
async fn app_facts(c: &mut AnyConnection, ids: Option<&[String]>) -> Result<Vec<AppFacts>> {
    let (apps, groups, publications): (Vec<(String, String)>, Vec<GroupRow>, Vec<PublicationRow>) = match ids {
        None => (
            sqlx::query_as("SELECT id, org_id FROM apps").fetch_all(&mut *c).await?,
            sqlx::query_as("SELECT app_id, name, rights, principals FROM permission_groups ORDER BY app_id, name")
                .fetch_all(&mut *c)
                .await?,
            sqlx::query_as("SELECT app_id, network_id, audience FROM publications ORDER BY app_id, network_id")
                .fetch_all(&mut *c)
                .await?,
        ),
        Some(ids) => (
            rows_in(c, "SELECT id, org_id FROM apps WHERE id IN (?)", ids).await?,
            rows_in(
                c,
                "SELECT app_id, name, rights, principals FROM permission_groups WHERE app_id IN (?) \
                     ORDER BY app_id, name",
                ids,
            )
            .await?,
            rows_in(
                c,
                "SELECT app_id, network_id, audience FROM publications WHERE app_id IN (?) \
                     ORDER BY app_id, network_id",
                ids,
            )
            .await?,
        ),
    };
    let mut by_app: HashMap<String, AppFacts> =
        apps.into_iter().map(|(id, org)| (id.clone(), AppFacts { id, org, ..AppFacts::default() })).collect();
    for (app, name, rights, principals) in groups {
        if let Some(a) = by_app.get_mut(&app) {
            a.groups.push((name, rights.0, principals.0));
        }
    }
    for (app, network, audience) in publications {
        if let Some(a) = by_app.get_mut(&app) {
            a.publications.push((network, audience.0));
        }
    }
    Ok(by_app.into_values().collect())
}
