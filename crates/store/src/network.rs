//! Networks, partner types, units, invitations, contacts and the network address book. Every
//! query about a network's data takes the network's id and filters by it inside the SQL.
//!
//! A use case that reads network rows to decide a write locks them first, so two servers on one
//! PostgreSQL decide one after the other, as SQLite's single writer does. What each lock keeps:
//! an invitation row its answer (accept, decline, revoke, resend); a unit row its choice of
//! departments and its contacts (every change to them locks the unit first). Lock order, with
//! directory's and license's: invitation, member rows, units in id order, seat pools in id order.
//! The locks are `NO KEY UPDATE`: the key-share locks that inserts naming the row take (a contact,
//! a seat, an entry rule) never wait on them.

use sqlx::AnyConnection;

use keiretsu_domain::people::{Facts as PeopleFacts, PersonFacts, UnitFacts};

use crate::directory::placeholders;
use crate::{Backend, Result, Tx, rows_in};

/// The clause that locks the rows of `alias` a read returns, given the backend of the write
/// transaction it runs in; nothing for a plain read, or on SQLite, whose writer is alone.
fn row_lock(lock: Option<Backend>, alias: &str) -> String {
    match lock {
        Some(Backend::Postgres) => format!(" FOR NO KEY UPDATE OF {alias}"),
        Some(Backend::Sqlite) | None => String::new(),
    }
}

// ----- organizations' network settings -----

/// The organization that keeps `org` as a managed unit, if any.
pub async fn managed_by(c: &mut AnyConnection, org: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT managed_by FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_optional(c)
        .await?
        .flatten())
}

pub async fn set_managed_by(c: &mut AnyConnection, org: &str, manager: &str) -> Result<()> {
    sqlx::query("UPDATE organizations SET managed_by = $1 WHERE id = $2").bind(manager).bind(org).execute(c).await?;
    Ok(())
}

// ----- networks -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct NetworkRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub created_at: i64,
}

const NETWORK_COLUMNS: &str = "n.id, n.org_id, n.name, n.description, n.visibility, n.created_at";

pub async fn insert_network(c: &mut AnyConnection, n: &NetworkRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO networks (id, org_id, name, description, visibility, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&n.id)
    .bind(&n.org_id)
    .bind(&n.name)
    .bind(&n.description)
    .bind(&n.visibility)
    .bind(n.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_network(c: &mut AnyConnection, n: &NetworkRow) -> Result<()> {
    sqlx::query("UPDATE networks SET name = $1, description = $2, visibility = $3 WHERE id = $4")
        .bind(&n.name)
        .bind(&n.description)
        .bind(&n.visibility)
        .bind(&n.id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn network(c: &mut AnyConnection, id: &str) -> Result<Option<NetworkRow>> {
    Ok(sqlx::query_as(&format!("SELECT {NETWORK_COLUMNS} FROM networks n WHERE n.id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

pub async fn count_networks(c: &mut AnyConnection, org: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM networks WHERE org_id = $1").bind(org).fetch_one(c).await?)
}

/// Networks an organization owns, and those it is a live (active or blocked) unit of.
pub async fn networks_of_org(c: &mut AnyConnection, org: &str) -> Result<Vec<NetworkRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {NETWORK_COLUMNS} FROM networks n WHERE n.org_id = $1 OR n.id IN \
         (SELECT network_id FROM units WHERE org_id = $2 AND status <> 'removed') ORDER BY n.name, n.id"
    ))
    .bind(org)
    .bind(org)
    .fetch_all(c)
    .await?)
}

// ----- partner types -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerTypeRow {
    pub network_id: String,
    pub key: String,
    pub name: String,
    pub tiers: String,
    pub policy: String,
}

pub async fn upsert_partner_type(c: &mut AnyConnection, t: &PartnerTypeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO partner_types (network_id, key, name, tiers, policy) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (network_id, key) DO UPDATE SET name = excluded.name, tiers = excluded.tiers, \
         policy = excluded.policy",
    )
    .bind(&t.network_id)
    .bind(&t.key)
    .bind(&t.name)
    .bind(&t.tiers)
    .bind(&t.policy)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn partner_types(c: &mut AnyConnection, network: &str) -> Result<Vec<PartnerTypeRow>> {
    Ok(sqlx::query_as(
        "SELECT network_id, key, name, tiers, policy FROM partner_types WHERE network_id = $1 ORDER BY key",
    )
    .bind(network)
    .fetch_all(c)
    .await?)
}

pub async fn partner_type(c: &mut AnyConnection, network: &str, key: &str) -> Result<Option<PartnerTypeRow>> {
    Ok(sqlx::query_as(
        "SELECT network_id, key, name, tiers, policy FROM partner_types WHERE network_id = $1 AND key = $2",
    )
    .bind(network)
    .bind(key)
    .fetch_optional(c)
    .await?)
}

// ----- units -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitRow {
    pub id: String,
    pub network_id: String,
    pub org_id: String,
    pub org_name: String,
    pub partner_type: String,
    pub tier: String,
    pub tags: String,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    pub managed: i64,
    pub status: String,
    pub blocked_reason: Option<String>,
    pub joined_at: i64,
    pub removed_at: Option<i64>,
    /// `organization` (all its people) or `departments` (those of `unit_departments`).
    pub brings: String,
}

const UNIT_COLUMNS: &str = "SELECT u.id, u.network_id, u.org_id, o.name AS org_name, u.partner_type, u.tier, u.tags, \
    u.contract_start, u.contract_end, u.managed, u.status, u.blocked_reason, u.joined_at, u.removed_at, u.brings \
    FROM units u JOIN organizations o ON o.id = u.org_id";

/// SQL: member `m` is one of unit `u`'s people, given `m.org_id = u.org_id`. Two index probes
/// when the unit brings departments, none when it brings its whole organization.
pub(crate) const BROUGHT: &str = "(u.brings = 'organization' OR EXISTS (SELECT 1 FROM member_departments md \
    JOIN unit_departments ud ON ud.department_id = md.department_id WHERE md.member_id = m.id AND ud.unit_id = u.id))";

pub async fn insert_unit(c: &mut AnyConnection, u: &UnitRow) -> Result<()> {
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
    .bind(&u.tags)
    .bind(&u.contract_start)
    .bind(&u.contract_end)
    .bind(u.managed)
    .bind(&u.status)
    .bind(&u.blocked_reason)
    .bind(u.joined_at)
    .bind(u.removed_at)
    .bind(&u.brings)
    .execute(c)
    .await?;
    Ok(())
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
    .bind(&u.status)
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
        .bind(if tops.is_some() { "departments" } else { "organization" })
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

// ----- the backbone's network members -----

pub async fn add_network_members(c: &mut AnyConnection, network: &str, members: &[String], at: i64) -> Result<u64> {
    let mut added = 0;
    for m in members {
        added += sqlx::query(
            "INSERT INTO network_members (network_id, member_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (network_id, member_id) DO NOTHING",
        )
        .bind(network)
        .bind(m)
        .bind(at)
        .execute(&mut *c)
        .await?
        .rows_affected();
    }
    Ok(added)
}

pub async fn remove_network_member(c: &mut AnyConnection, network: &str, member: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM network_members WHERE network_id = $1 AND member_id = $2")
        .bind(network)
        .bind(member)
        .execute(c)
        .await?
        .rows_affected())
}

pub async fn is_network_member(c: &mut AnyConnection, network: &str, member: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM network_members WHERE network_id = $1 AND member_id = $2")
        .bind(network)
        .bind(member)
        .fetch_one(c)
        .await?;
    Ok(n > 0)
}

// ----- invitations -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub network_id: String,
    pub code_hash: String,
    pub partner_name: String,
    pub target_org: Option<String>,
    pub partner_type: String,
    pub tier: String,
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
    pub answered_by_org: Option<String>,
    pub unit_id: Option<String>,
    /// JSON array of the department names proposed to bring in.
    pub departments: String,
}

const INVITATION_COLUMNS: &str = "id, network_id, code_hash, partner_name, target_org, partner_type, tier, status, \
    created_by, created_at, expires_at, answered_at, answered_by_org, unit_id, departments";

pub async fn insert_invitation(c: &mut AnyConnection, i: &InvitationRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ({})", placeholders(1, 15)))
        .bind(&i.id)
        .bind(&i.network_id)
        .bind(&i.code_hash)
        .bind(&i.partner_name)
        .bind(&i.target_org)
        .bind(&i.partner_type)
        .bind(&i.tier)
        .bind(&i.status)
        .bind(&i.created_by)
        .bind(i.created_at)
        .bind(i.expires_at)
        .bind(i.answered_at)
        .bind(&i.answered_by_org)
        .bind(&i.unit_id)
        .bind(&i.departments)
        .execute(c)
        .await?;
    Ok(())
}

/// A network's invitation; `lock` (the write transaction's backend) holds it until the end, for
/// an answer decided on what it says.
pub async fn invitation(
    c: &mut AnyConnection,
    network: &str,
    id: &str,
    lock: Option<Backend>,
) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.network_id = $1 AND i.id = $2{lock}"
    ))
    .bind(network)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

/// The invitation a code opens; `lock` as for [`invitation`]. Locked, a code renewed meanwhile
/// on another server is found no more, as it would be a moment later.
pub async fn invitation_by_code(
    c: &mut AnyConnection,
    code_hash: &str,
    lock: Option<Backend>,
) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.code_hash = $1{lock}"))
        .bind(code_hash)
        .fetch_optional(c)
        .await?)
}

/// A network's invitations, newest first; `status` filters.
pub async fn invitations(c: &mut AnyConnection, network: &str, status: Option<&str>) -> Result<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE network_id = $1 {} ORDER BY created_at DESC, id LIMIT 500",
        if status.is_some() { "AND status = $2" } else { "" }
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    if let Some(s) = status {
        q = q.bind(s);
    }
    Ok(q.fetch_all(c).await?)
}

/// Moves a pending invitation to its answer. Conditional on it still being pending, so a code
/// is answered once however many requests race: the loser sees 0 rows.
pub async fn answer_invitation(
    c: &mut AnyConnection,
    id: &str,
    status: &str,
    org: Option<&str>,
    unit: Option<&str>,
    at: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE invitations SET status = $1, answered_at = $2, answered_by_org = $3, unit_id = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(at)
    .bind(org)
    .bind(unit)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected())
}

/// A fresh code and expiry for a pending invitation; the old code stops working.
pub async fn renew_invitation(c: &mut AnyConnection, id: &str, code_hash: &str, expires_at: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE invitations SET code_hash = $1, expires_at = $2 WHERE id = $3 AND status = 'pending'")
        .bind(code_hash)
        .bind(expires_at)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
}

// ----- contacts -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ContactRow {
    pub id: String,
    pub unit_id: String,
    pub side: String,
    pub member_id: String,
    pub member_name: String,
    pub account_id: String,
    pub org_id: String,
    pub role: String,
    pub backup_id: Option<String>,
    pub created_at: i64,
}

const CONTACT_COLUMNS: &str = "SELECT k.id, k.unit_id, k.side, k.member_id, m.name AS member_name, m.account_id, \
    m.org_id, k.role, k.backup_id, k.created_at FROM contacts k JOIN members m ON m.id = k.member_id";

pub async fn insert_contact(c: &mut AnyConnection, k: &ContactRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO contacts (id, unit_id, side, member_id, role, backup_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&k.id)
    .bind(&k.unit_id)
    .bind(&k.side)
    .bind(&k.member_id)
    .bind(&k.role)
    .bind(&k.backup_id)
    .bind(k.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_contact(
    c: &mut AnyConnection,
    id: &str,
    member: &str,
    role: &str,
    backup: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE contacts SET member_id = $1, role = $2, backup_id = $3 WHERE id = $4")
        .bind(member)
        .bind(role)
        .bind(backup)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_contact(c: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM contacts WHERE id = $1").bind(id).execute(c).await?;
    Ok(())
}

pub async fn contacts_of_unit(c: &mut AnyConnection, unit: &str) -> Result<Vec<ContactRow>> {
    Ok(sqlx::query_as(&format!("{CONTACT_COLUMNS} WHERE k.unit_id = $1 ORDER BY k.side, k.role, m.name, k.id"))
        .bind(unit)
        .fetch_all(c)
        .await?)
}

pub async fn contact(c: &mut AnyConnection, unit: &str, id: &str) -> Result<Option<ContactRow>> {
    Ok(sqlx::query_as(&format!("{CONTACT_COLUMNS} WHERE k.unit_id = $1 AND k.id = $2"))
        .bind(unit)
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Contacts a member holds in live units.
pub async fn contacts_held_by(c: &mut AnyConnection, member: &str) -> Result<Vec<ContactRow>> {
    Ok(sqlx::query_as(&format!(
        "{CONTACT_COLUMNS} JOIN units u ON u.id = k.unit_id WHERE k.member_id = $1 AND u.status <> 'removed' \
         ORDER BY k.id"
    ))
    .bind(member)
    .fetch_all(c)
    .await?)
}

/// `(member, status)` of these members in id order, each share-locked until the transaction ends,
/// for posts in a unit no other transaction sees yet (a departure's unit locks cannot reach
/// them): a departure, which locks its member first, waits for this transaction, or this one
/// for it and then reads the member as gone.
pub async fn hold_members(c: &mut Tx, ids: &[String]) -> Result<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let lock = if c.backend() == Backend::Postgres { " FOR SHARE" } else { "" };
    let sql = format!("SELECT id, status FROM members WHERE id IN ({}) ORDER BY id{lock}", placeholders(1, ids.len()));
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(&mut **c).await?)
}

/// Clears a member as backup everywhere; returns the contacts affected.
pub async fn clear_backup(c: &mut AnyConnection, member: &str) -> Result<Vec<String>> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE backup_id = $1 ORDER BY id")
        .bind(member)
        .fetch_all(&mut *c)
        .await?;
    sqlx::query("UPDATE contacts SET backup_id = NULL WHERE backup_id = $1").bind(member).execute(c).await?;
    Ok(ids)
}

/// `(member, status)` of the heads of the departments a member belongs to.
pub async fn heads_over(c: &mut AnyConnection, member: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT h.member_id, m.status FROM member_departments md \
         JOIN department_heads h ON h.department_id = md.department_id \
         JOIN members m ON m.id = h.member_id WHERE md.member_id = $1 ORDER BY h.member_id",
    )
    .bind(member)
    .fetch_all(c)
    .await?)
}

// ----- the address book -----

/// One person in a network's address book: a unit's member, or a backbone network member
/// (no unit).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRow {
    pub member_id: String,
    pub account_id: String,
    pub name: String,
    pub title: Option<String>,
    pub status: String,
    pub org_id: String,
    pub org_name: String,
    pub unit_id: Option<String>,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PeopleFilter {
    /// `None`: every active unit; otherwise these units and the units of these types.
    pub scope: Option<(Vec<String>, Vec<String>)>,
    /// Only this unit's people (`Some("")`: only the backbone's).
    pub unit: Option<String>,
    /// Only members of these departments.
    pub departments: Option<Vec<String>>,
    /// Lowercase substring of name, login, phone, email or employee number.
    pub text: Option<String>,
    /// `(name, member id)` of the last person of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

const PERSON_COLUMNS: &str = "m.id AS member_id, m.account_id, m.name, m.title, m.status, m.org_id, o.name AS org_name";

/// Units in scope up to which the address book is read unit by unit (each unit's members come
/// in name order from an index, and the few thousand people are sorted); above it, the book is
/// read by walking all members in name order and keeping those of the network.
pub const NARROW_UNITS: i64 = 50;

/// The address book in name order: active members of the active units in scope, then the
/// backbone's network members, merged.
///
/// Three plans give the same rows:
/// - narrow (one unit, only the backbone, departments, or a scope of few units): the two halves
///   of the book unit by unit, merged and sorted;
/// - text of three characters or more: the trigram index first, then the matches sorted;
/// - otherwise: members walked in name order (`members_status_name`), starting at the cursor,
///   each kept when its organization is an active unit in scope or it is a network member.
///
/// The service answers the wide questions (the last two plans) from its people index and
/// [`people_by_ids`]; they run here while that index is being built.
pub async fn people(c: &mut AnyConnection, network: &str, f: &PeopleFilter) -> Result<Vec<PersonRow>> {
    let sqlite = c.backend_name() == "SQLite";
    let pattern = f.text.as_ref().map(|t| format!("%{}%", t.replace(['%', '_'], "")));
    // A department filter keeps few people: found through `member_departments`.
    let narrow = f.departments.is_some()
        || match (&f.unit, &f.scope) {
            (Some(_), _) => true,
            (None, None) => false,
            (None, Some((ids, types))) => scoped_units(c, network, ids, types).await? < NARROW_UNITS,
        };
    if narrow {
        return people_by_unit(c, network, f, pattern.as_deref()).await;
    }
    // A term of three characters or more is looked up in the trigram index first and its
    // matches sorted. Walking names instead looks fast for a common term but is not: a name
    // term's matches sit together in name order (all the "Wang"s), so the walk reads every name
    // before them first (measured at 1M members: 1.5 s for "wang", 0.7 s index first).
    let sparse = pattern.as_ref().is_some_and(|p| p.chars().count() >= 5);
    let mut binds: Vec<String> = vec![network.to_owned()];
    let mut p = |v: &str| {
        binds.push(v.to_owned());
        format!("${}", binds.len())
    };
    let mut unit_on = format!("u.org_id = m.org_id AND u.network_id = $1 AND u.status = 'active' AND {BROUGHT}");
    if let Some((ids, types)) = &f.scope {
        let ids_sql =
            if ids.is_empty() { "NULL".to_owned() } else { ids.iter().map(|v| p(v)).collect::<Vec<_>>().join(", ") };
        let types_sql = if types.is_empty() {
            "NULL".to_owned()
        } else {
            types.iter().map(|v| p(v)).collect::<Vec<_>>().join(", ")
        };
        unit_on += &format!(" AND (u.id IN ({ids_sql}) OR u.partner_type IN ({types_sql}))");
    }
    let from = match (sparse, sqlite) {
        // The trigram table drives; each match is looked up by rowid.
        (true, true) => "member_search s CROSS JOIN members m ON m.rowid = s.rowid",
        _ => "members m",
    };
    let mut sql = format!(
        "SELECT m.id AS member_id, m.account_id, m.name, m.title, m.status, m.org_id, \
         (SELECT o.name FROM organizations o WHERE o.id = m.org_id) AS org_name, \
         u.id AS unit_id, u.partner_type, u.tier FROM {from} LEFT JOIN units u ON {unit_on} \
         WHERE m.status = 'active' AND (u.id IS NOT NULL OR EXISTS \
         (SELECT 1 FROM network_members nm WHERE nm.network_id = $1 AND nm.member_id = m.id))"
    );
    if let Some(t) = &pattern {
        let column = if sparse && sqlite { "s.search" } else { "m.search" };
        sql += &format!(" AND {column} LIKE {}", p(t));
    }
    if let Some((name, id)) = &f.after {
        let (a, b) = (p(name), p(id));
        // `>=` bounds the walk so it starts at the cursor; the rest is the exact cursor.
        sql += &format!(
            " AND m.name{c} >= {a} AND (m.name{c} > {a} OR (m.name = {a} AND m.id > {b}))",
            c = collate(sqlite)
        );
    }
    // PostgreSQL would walk the name index for a sparse term too; an order the index cannot
    // give (the same order) makes it take the trigram index and sort the few matches.
    let order = if sparse && !sqlite { "(m.name || '')" } else { "m.name" };
    sql += &format!(" ORDER BY {order}{}, m.id LIMIT ${}", collate(sqlite), binds.len() + 1);
    let mut q = sqlx::query_as(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// Names sort in byte order on both databases, as the people index sorts them, so a page from
/// one and the next from the other agree whatever the server's locale.
fn collate(sqlite: bool) -> &'static str {
    if sqlite { "" } else { " COLLATE \"C\"" }
}

/// How many active units of the network are in scope, counted up to [`NARROW_UNITS`].
async fn scoped_units(c: &mut AnyConnection, network: &str, ids: &[String], types: &[String]) -> Result<i64> {
    if types.is_empty() {
        return Ok(ids.len() as i64);
    }
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM units WHERE network_id = $1 AND status = 'active' \
         AND partner_type IN ({}) LIMIT {NARROW_UNITS}) AS x",
        placeholders(2, types.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(network);
    for t in types {
        q = q.bind(t);
    }
    let by_type: i64 = q.fetch_one(c).await?;
    Ok(by_type + ids.len() as i64)
}

/// The narrow plan: each half of the book from its own index, merged and sorted.
async fn people_by_unit(
    c: &mut AnyConnection,
    network: &str,
    f: &PeopleFilter,
    pattern: Option<&str>,
) -> Result<Vec<PersonRow>> {
    let sqlite = c.backend_name() == "SQLite";
    let mut n = 1;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let mut units = format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM units u \
         JOIN members m ON m.org_id = u.org_id JOIN organizations o ON o.id = u.org_id \
         WHERE u.network_id = $1 AND u.status = 'active' AND m.status = 'active' AND {BROUGHT}"
    );
    let mut backbone = format!(
        "SELECT {PERSON_COLUMNS}, NULL AS unit_id, NULL AS partner_type, NULL AS tier FROM network_members nm \
         JOIN members m ON m.id = nm.member_id JOIN organizations o ON o.id = m.org_id \
         WHERE nm.network_id = $1 AND m.status = 'active'"
    );
    let mut binds: Vec<String> = Vec::new();
    if let Some((ids, types)) = &f.scope {
        let list = |n: usize, p: &mut dyn FnMut() -> String| (0..n).map(|_| p()).collect::<Vec<_>>().join(", ");
        // Written so each part can use an index: the ids the primary key, the types
        // `units_network`.
        let mut parts = vec![];
        if !ids.is_empty() {
            parts.push(format!("u.id IN ({})", list(ids.len(), &mut p)));
        }
        if !types.is_empty() {
            parts.push(format!("u.partner_type IN ({})", list(types.len(), &mut p)));
        }
        units += &if parts.is_empty() { " AND 1 = 0".to_owned() } else { format!(" AND ({})", parts.join(" OR ")) };
        binds.extend(ids.iter().cloned());
        binds.extend(types.iter().cloned());
    }
    match f.unit.as_deref() {
        Some("") => units += " AND 1 = 0",
        Some(u) => {
            units += &format!(" AND u.id = {}", p());
            binds.push(u.to_owned());
            backbone += " AND 1 = 0";
        }
        None => {}
    }
    if let Some(deps) = &f.departments {
        let list: Vec<String> = deps.iter().map(|_| p()).collect();
        let list = if list.is_empty() { "NULL".to_owned() } else { list.join(", ") };
        let clause = format!(" AND m.id IN (SELECT member_id FROM member_departments WHERE department_id IN ({list}))");
        units += &clause;
        backbone += &clause;
        binds.extend(deps.iter().cloned());
    }
    if let Some(t) = pattern {
        let (a, b) = (p(), p());
        units += &format!(" AND m.search LIKE {a}");
        backbone += &format!(" AND m.search LIKE {b}");
        binds.push(t.to_owned());
        binds.push(t.to_owned());
    }
    if let Some((name, id)) = &f.after {
        let (a, b, d) = (p(), p(), p());
        let (a2, b2, d2) = (p(), p(), p());
        // In each half, so each walks its index from the cursor on.
        let c = collate(sqlite);
        units += &format!(" AND (m.name{c} > {a} OR (m.name = {b} AND m.id > {d}))");
        backbone += &format!(" AND (m.name{c} > {a2} OR (m.name = {b2} AND m.id > {d2}))");
        binds.extend([name.clone(), name.clone(), id.clone(), name.clone(), name.clone(), id.clone()]);
    }
    let sql = format!(
        "SELECT * FROM ({units} UNION ALL {backbone}) AS people ORDER BY name{}, member_id LIMIT {}",
        collate(sqlite),
        p()
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// One person of a network, whatever their status (a person page shows who left too).
pub async fn person(c: &mut AnyConnection, network: &str, member: &str) -> Result<Option<PersonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM members m \
         JOIN organizations o ON o.id = m.org_id \
         LEFT JOIN units u ON u.org_id = m.org_id AND u.network_id = $1 AND u.status <> 'removed' AND {BROUGHT} \
         WHERE m.id = $2 AND (u.id IS NOT NULL OR m.id IN (SELECT member_id FROM network_members WHERE network_id = $3))"
    ))
    .bind(network)
    .bind(member)
    .bind(network)
    .fetch_optional(c)
    .await?)
}

/// Any network's invitation by id; `lock` as for [`invitation`].
pub async fn invitation_by_id(c: &mut AnyConnection, id: &str, lock: Option<Backend>) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.id = $1{lock}"))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Pending invitations sent to an organization, newest first.
pub async fn invitations_for(c: &mut AnyConnection, org: &str) -> Result<Vec<InvitationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE target_org = $1 AND status = 'pending' \
         ORDER BY created_at DESC, id LIMIT 200"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn link_invitation(c: &mut AnyConnection, id: &str, unit: &str) -> Result<()> {
    sqlx::query("UPDATE invitations SET unit_id = $1 WHERE id = $2").bind(unit).bind(id).execute(c).await?;
    Ok(())
}

// ----- the people index -----

/// `(id, org, name, search, status)`.
type PersonFactsRow = (String, String, String, String, String);
/// `(id, network, org, partner type, status, brings)`.
type UnitFactsRow = (String, String, String, String, String, String);

fn person_facts((id, org, name, key, status): PersonFactsRow) -> PersonFacts {
    PersonFacts { id, org, name, key, active: status == "active" }
}

const PERSON_FACTS: &str = "SELECT id, org_id, name, search, status FROM members";

/// Units as both indexes take them, with whether each is removed: every unit when `column` is
/// `None`, otherwise those whose `column` is one of `ids`.
pub async fn unit_facts(c: &mut AnyConnection, column: Option<&str>, ids: &[String]) -> Result<Vec<(UnitFacts, bool)>> {
    const UNITS: &str = "SELECT id, network_id, org_id, partner_type, status, brings FROM units";
    const TOPS: &str = "SELECT unit_id, department_id FROM unit_departments WHERE top = 1";
    let (rows, tops_rows): (Vec<UnitFactsRow>, Vec<(String, String)>) = match column {
        None => (sqlx::query_as(UNITS).fetch_all(&mut *c).await?, sqlx::query_as(TOPS).fetch_all(&mut *c).await?),
        Some(column) => {
            let rows: Vec<UnitFactsRow> = rows_in(c, &format!("{UNITS} WHERE {column} IN (?)"), ids).await?;
            let scoped: Vec<String> = rows.iter().filter(|r| r.5 == "departments").map(|r| r.0.clone()).collect();
            let tops = rows_in(c, &format!("{TOPS} AND unit_id IN (?)"), &scoped).await?;
            (rows, tops)
        }
    };
    let mut tops: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (u, d) in tops_rows {
        tops.entry(u).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .map(|(id, network, org, partner_type, status, brings)| {
            let departments = (brings == "departments").then(|| tops.remove(&id).unwrap_or_default());
            let removed = status == "removed";
            (UnitFacts { active: status == "active", id, network, org, partner_type, departments }, removed)
        })
        .collect())
}

/// `(unit, member)`: the active people of units that bring departments, all of them or those
/// of `units`.
async fn brought(c: &mut AnyConnection, units: Option<&[String]>) -> Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT DISTINCT ud.unit_id, md.member_id FROM unit_departments ud \
        JOIN units u ON u.id = ud.unit_id JOIN member_departments md ON md.department_id = ud.department_id \
        JOIN members m ON m.id = md.member_id \
        WHERE u.brings = 'departments' AND u.status <> 'removed' AND m.status = 'active'";
    match units {
        None => Ok(sqlx::query_as(SQL).fetch_all(c).await?),
        Some(units) => rows_in(c, &format!("{SQL} AND ud.unit_id IN (?)"), units).await,
    }
}

/// Everything the people index holds: active members, live units, network members.
pub async fn people_facts(c: &mut AnyConnection) -> Result<PeopleFacts> {
    let people: Vec<PersonFactsRow> =
        sqlx::query_as(&format!("{PERSON_FACTS} WHERE status = 'active'")).fetch_all(&mut *c).await?;
    let people = people.into_iter().map(person_facts).collect();
    let units = unit_facts(c, None, &[]).await?.into_iter().filter(|u| !u.1).map(|u| u.0).collect();
    let network_members =
        sqlx::query_as("SELECT network_id, member_id FROM network_members").fetch_all(&mut *c).await?;
    let brought = brought(c, None).await?;
    Ok(PeopleFacts { people, units, network_members, brought })
}

/// What a run of journal entries changed, read again for the people index.
#[derive(Debug, Default)]
pub struct PeopleRefreshed {
    /// The touched members found, whatever their status.
    pub people: Vec<PersonFacts>,
    /// `(member, networks)` for every touched member.
    pub networks: Vec<(String, Vec<String>)>,
    /// Touched units (by id or by organization) with whether they are removed.
    pub units: Vec<(UnitFacts, bool)>,
    /// For each of `units` that brings departments, all its active people.
    pub brought: Vec<(String, Vec<String>)>,
}

pub async fn refresh_people(
    c: &mut AnyConnection,
    members: &[String],
    units: &[String],
    unit_orgs: &[String],
) -> Result<PeopleRefreshed> {
    let mut out = PeopleRefreshed::default();
    let mut memberships: std::collections::HashMap<String, Vec<String>> =
        members.iter().map(|m| (m.clone(), Vec::new())).collect();
    let rows: Vec<PersonFactsRow> = rows_in(c, &format!("{PERSON_FACTS} WHERE id IN (?)"), members).await?;
    out.people = rows.into_iter().map(person_facts).collect();
    let rows: Vec<(String, String)> =
        rows_in(c, "SELECT member_id, network_id FROM network_members WHERE member_id IN (?)", members).await?;
    for (m, n) in rows {
        memberships.entry(m).or_default().push(n);
    }
    out.networks = memberships.into_iter().collect();
    out.units = unit_facts(c, Some("id"), units).await?;
    out.units.extend(unit_facts(c, Some("org_id"), unit_orgs).await?);
    let scoped: Vec<String> =
        out.units.iter().filter(|(u, _)| u.departments.is_some()).map(|(u, _)| u.id.clone()).collect();
    let mut by_unit: std::collections::HashMap<String, Vec<String>> =
        scoped.iter().map(|u| (u.clone(), Vec::new())).collect();
    for (u, m) in brought(c, Some(&scoped)).await? {
        by_unit.entry(u).or_default().push(m);
    }
    out.brought = by_unit.into_iter().collect();
    Ok(out)
}

/// The rows of a page the people index chose, in no particular order, for those still active:
/// each member with their organization's active unit in the network, if any.
pub async fn people_by_ids(c: &mut AnyConnection, network: &str, ids: &[String]) -> Result<Vec<PersonRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM members m \
         JOIN organizations o ON o.id = m.org_id \
         LEFT JOIN units u ON u.org_id = m.org_id AND u.network_id = $1 AND u.status = 'active' AND {BROUGHT} \
         WHERE m.status = 'active' AND m.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(c).await?)
}
