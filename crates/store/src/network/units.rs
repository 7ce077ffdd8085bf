//! Units of a network, whom they bring in, and the departments they bring.

use super::*;

// ----- units -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub network_id: String,
    pub org_id: String,
    pub org_name: String,
    pub partner_type: String,
    pub tier: String,
    pub tags: Json<Vec<String>>,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    pub managed: i64,
    #[sqlx(try_from = "String")]
    pub status: UnitStatus,
    pub blocked_reason: Option<String>,
    pub joined_at: i64,
    pub removed_at: Option<i64>,
    /// Its whole organization, or the departments of `unit_departments`.
    #[sqlx(try_from = "String")]
    pub brings: Brings,
}

/// A unit as it is written: a new unit always starts active, with no tags, contract or
/// departments, bringing its whole organization.
#[derive(Clone, Debug)]
pub struct NewUnitRow {
    pub id: String,
    pub network_id: String,
    pub org_id: String,
    pub partner_type: String,
    pub tier: String,
    pub managed: bool,
    pub joined_at: i64,
}

const UNIT_COLUMNS: &str = "SELECT u.id, u.network_id, u.org_id, o.name AS org_name, u.partner_type, u.tier, u.tags, \
    u.contract_start, u.contract_end, u.managed, u.status, u.blocked_reason, u.joined_at, u.removed_at, u.brings \
    FROM units u JOIN organizations o ON o.id = u.org_id";

/// SQL: member `m` is one of unit `u`'s people, given `m.org_id = u.org_id`. Two index probes
/// when the unit brings departments, none when it brings its whole organization.
pub(crate) const BROUGHT: &str = "(u.brings = 'organization' OR EXISTS (SELECT 1 FROM member_departments md \
    JOIN unit_departments ud ON ud.department_id = md.department_id WHERE md.member_id = m.id AND ud.unit_id = u.id))";

/// Inserts a unit and reads it back as stored.
pub async fn insert_unit(c: &mut AnyConnection, u: &NewUnitRow) -> Result<UnitRow> {
    sqlx::query(&format!(
        "INSERT INTO units (id, network_id, org_id, partner_type, tier, tags, contract_start, contract_end, managed, \
         status, blocked_reason, joined_at, removed_at, brings) VALUES ({})",
        placeholders(1, 14)
    ))
    .bind(&u.id)
    .bind(&u.network_id)
    .bind(&u.org_id)
    .bind(&u.partner_type)
    .bind(&u.tier)
    .bind(Json(Vec::<String>::new()))
    .bind(None::<String>)
    .bind(None::<String>)
    .bind(i64::from(u.managed))
    .bind(UnitStatus::Active.as_str())
    .bind(None::<String>)
    .bind(u.joined_at)
    .bind(None::<i64>)
    .bind(Brings::Organization.as_str())
    .execute(&mut *c)
    .await?;
    unit_by_id(c, &u.id).await?.ok_or_else(|| sqlx::Error::RowNotFound.into())
}

/// Writes a unit's profile and status back.
pub async fn update_unit(c: &mut AnyConnection, u: &UnitRow) -> Result<()> {
    sqlx::query(
        "UPDATE units SET partner_type = $1, tier = $2, tags = $3, contract_start = $4, contract_end = $5, \
         status = $6, blocked_reason = $7, removed_at = $8 WHERE network_id = $9 AND id = $10",
    )
    .bind(&u.partner_type)
    .bind(&u.tier)
    .bind(&u.tags)
    .bind(&u.contract_start)
    .bind(&u.contract_end)
    .bind(u.status.as_str())
    .bind(&u.blocked_reason)
    .bind(u.removed_at)
    .bind(&u.network_id)
    .bind(&u.id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn unit(c: &mut AnyConnection, network: &str, id: &str) -> Result<Option<UnitRow>> {
    Ok(sqlx::query_as(&format!("{UNIT_COLUMNS} WHERE u.network_id = $1 AND u.id = $2"))
        .bind(network)
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// [`unit`], locked until the transaction ends: taken before a unit's departments or contacts
/// are read to decide a change to them.
pub async fn lock_unit(c: &mut Tx, network: &str, id: &str) -> Result<Option<UnitRow>> {
    let lock = row_lock(Some(c.backend()), "u");
    Ok(sqlx::query_as(&format!("{UNIT_COLUMNS} WHERE u.network_id = $1 AND u.id = $2{lock}"))
        .bind(network)
        .bind(id)
        .fetch_optional(&mut **c)
        .await?)
}

/// Locks, in id order, every live unit where a member of `org` may hold or back a contact: the
/// units `org` is (partner side) and the units of the networks it owns (backbone side). A
/// departure takes them before it reads the leaver's posts, so a post named meanwhile on another
/// server is either seen or refused there, and a successor leaving at once waits its turn.
pub async fn lock_units_of_org(c: &mut Tx, org: &str) -> Result<()> {
    if c.backend() == Backend::Sqlite {
        return Ok(());
    }
    sqlx::query(
        "SELECT u.id FROM units u WHERE u.status <> 'removed' AND (u.org_id = $1 \
         OR u.network_id IN (SELECT n.id FROM networks n WHERE n.org_id = $1)) ORDER BY u.id FOR NO KEY UPDATE OF u",
    )
    .bind(org)
    .execute(&mut **c)
    .await?;
    Ok(())
}

pub async fn unit_by_id(c: &mut AnyConnection, id: &str) -> Result<Option<UnitRow>> {
    Ok(sqlx::query_as(&format!("{UNIT_COLUMNS} WHERE u.id = $1")).bind(id).fetch_optional(c).await?)
}

/// The live (not removed) unit an organization is in a network.
pub async fn unit_of_org(c: &mut AnyConnection, network: &str, org: &str) -> Result<Option<UnitRow>> {
    Ok(sqlx::query_as(&format!("{UNIT_COLUMNS} WHERE u.network_id = $1 AND u.org_id = $2 AND u.status <> 'removed'"))
        .bind(network)
        .bind(org)
        .fetch_optional(c)
        .await?)
}

/// Every live unit an organization is, across networks.
pub async fn live_units_of_org(c: &mut AnyConnection, org: &str) -> Result<Vec<UnitRow>> {
    Ok(sqlx::query_as(&format!("{UNIT_COLUMNS} WHERE u.org_id = $1 AND u.status <> 'removed' ORDER BY u.id"))
        .bind(org)
        .fetch_all(c)
        .await?)
}

/// A network's live units, by organization name.
pub async fn units(c: &mut AnyConnection, network: &str) -> Result<Vec<UnitRow>> {
    Ok(sqlx::query_as(&format!(
        "{UNIT_COLUMNS} WHERE u.network_id = $1 AND u.status <> 'removed' ORDER BY o.name, u.id"
    ))
    .bind(network)
    .fetch_all(c)
    .await?)
}

/// Active people per live unit of a network.
pub async fn unit_member_counts(c: &mut AnyConnection, network: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.id, COUNT(m.id) FROM units u LEFT JOIN members m ON m.org_id = u.org_id AND m.status = 'active' \
         AND {BROUGHT} WHERE u.network_id = $1 AND u.status <> 'removed' GROUP BY u.id"
    ))
    .bind(network)
    .fetch_all(c)
    .await?)
}

/// Active people of one unit.
pub async fn unit_member_count(c: &mut AnyConnection, unit: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM units u JOIN members m ON m.org_id = u.org_id AND m.status = 'active' AND {BROUGHT} \
         WHERE u.id = $1"
    ))
    .bind(unit)
    .fetch_one(c)
    .await?)
}

/// Every active member a unit brings into its network.
pub async fn brought_members(c: &mut AnyConnection, unit: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT m.id FROM units u JOIN members m ON m.org_id = u.org_id AND m.status = 'active' AND {BROUGHT} \
         WHERE u.id = $1"
    ))
    .bind(unit)
    .fetch_all(c)
    .await?)
}

/// Whether a unit brings `member` (of its organization) into its network.
pub async fn brings(c: &mut AnyConnection, unit: &str, member: &str) -> Result<bool> {
    Ok(!brought_of(c, unit, &[member.to_owned()]).await?.is_empty())
}

/// Of `members` (of the unit's organization), those the unit brings into its network.
pub async fn brought_of(c: &mut AnyConnection, unit: &str, members: &[String]) -> Result<Vec<String>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT m.id FROM units u JOIN members m ON m.org_id = u.org_id WHERE u.id = $1 AND {BROUGHT} \
         AND m.id IN ({})",
        placeholders(2, members.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(unit);
    for m in members {
        q = q.bind(m);
    }
    Ok(q.fetch_all(c).await?)
}

// ----- departments to bring in -----

/// The departments a unit chose to bring in (not those below them), by name.
pub async fn unit_tops(c: &mut AnyConnection, unit: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.name FROM unit_departments ud JOIN departments d ON d.id = ud.department_id \
         WHERE ud.unit_id = $1 AND ud.top = 1 ORDER BY d.name, d.id",
    )
    .bind(unit)
    .fetch_all(c)
    .await?)
}

/// Every department a unit brings, with whether it is one it chose (rather than below one).
pub async fn unit_departments_of(c: &mut AnyConnection, unit: &str) -> Result<std::collections::HashMap<String, bool>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT department_id, top FROM unit_departments WHERE unit_id = $1")
        .bind(unit)
        .fetch_all(c)
        .await?;
    Ok(rows.into_iter().map(|(d, top)| (d, top == 1)).collect())
}

/// Sets what a unit brings: `None` its whole organization, otherwise these departments (which
/// the caller checked belong to it) and those below them.
pub async fn set_unit_departments(c: &mut AnyConnection, unit: &str, tops: Option<&[String]>) -> Result<()> {
    sqlx::query("DELETE FROM unit_departments WHERE unit_id = $1").bind(unit).execute(&mut *c).await?;
    sqlx::query("UPDATE units SET brings = $1 WHERE id = $2")
        .bind(if tops.is_some() { Brings::Departments } else { Brings::Organization }.as_str())
        .bind(unit)
        .execute(&mut *c)
        .await?;
    for d in tops.unwrap_or_default() {
        sqlx::query("INSERT INTO unit_departments (unit_id, department_id, top) VALUES ($1, $2, 1)")
            .bind(unit)
            .bind(d)
            .execute(&mut *c)
            .await?;
    }
    expand_unit_departments(c, "u.id", unit).await
}

/// Writes again the departments below the chosen ones, for the units of an organization whose
/// tree changed. Cheap when none of its units brings departments.
pub async fn refresh_unit_departments(c: &mut AnyConnection, org: &str) -> Result<()> {
    expand_unit_departments(c, "u.org_id", org).await
}

/// Drops a department from every unit's choice, before it is deleted.
pub async fn forget_department(c: &mut AnyConnection, department: &str) -> Result<()> {
    sqlx::query("DELETE FROM unit_departments WHERE department_id = $1").bind(department).execute(c).await?;
    Ok(())
}

async fn expand_unit_departments(c: &mut AnyConnection, column: &str, value: &str) -> Result<()> {
    sqlx::query(&format!(
        "DELETE FROM unit_departments WHERE top = 0 AND unit_id IN \
         (SELECT u.id FROM units u WHERE {column} = $1 AND u.brings = 'departments')"
    ))
    .bind(value)
    .execute(&mut *c)
    .await?;
    // The service keeps only the outermost of the chosen departments, but a later move can put
    // one below another: it stays a chosen one, and is not written twice.
    sqlx::query(&format!(
        "WITH RECURSIVE below (unit_id, department_id) AS ( \
           SELECT ud.unit_id, d.id FROM unit_departments ud JOIN units u ON u.id = ud.unit_id \
           JOIN departments d ON d.parent_id = ud.department_id \
           WHERE {column} = $1 AND u.brings = 'departments' AND ud.top = 1 \
           UNION SELECT b.unit_id, d.id FROM below b JOIN departments d ON d.parent_id = b.department_id) \
         INSERT INTO unit_departments (unit_id, department_id, top) SELECT unit_id, department_id, 0 FROM below \
         WHERE NOT EXISTS (SELECT 1 FROM unit_departments x \
         WHERE x.unit_id = below.unit_id AND x.department_id = below.department_id)"
    ))
    .bind(value)
    .execute(c)
    .await?;
    Ok(())
}
