//! Contacts between a unit and its backbone, and who succeeds a contact who leaves.

use super::*;

// ----- contacts -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ContactRow {
    pub id: String,
    pub unit_id: String,
    #[sqlx(try_from = "String")]
    pub side: Side,
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

/// A contact as it is written; the person's name and organization come from the member.
#[derive(Clone, Debug)]
pub struct NewContactRow {
    pub id: String,
    pub unit_id: String,
    pub side: Side,
    pub member_id: String,
    pub role: String,
    pub backup_id: Option<String>,
    pub created_at: i64,
}

/// Inserts a contact and reads it back with the person's name.
pub async fn insert_contact(c: &mut AnyConnection, k: &NewContactRow) -> Result<ContactRow> {
    sqlx::query(
        "INSERT INTO contacts (id, unit_id, side, member_id, role, backup_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&k.id)
    .bind(&k.unit_id)
    .bind(k.side.as_str())
    .bind(&k.member_id)
    .bind(&k.role)
    .bind(&k.backup_id)
    .bind(k.created_at)
    .execute(&mut *c)
    .await?;
    contact(c, &k.unit_id, &k.id).await?.ok_or_else(|| sqlx::Error::RowNotFound.into())
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

/// A member and whether they are still with their organization.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Standing {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
}

/// `(member, status)` of these members in id order, each share-locked until the transaction ends,
/// for posts in a unit no other transaction sees yet (a departure's unit locks cannot reach
/// them): a departure, which locks its member first, waits for this transaction, or this one
/// for it and then reads the member as gone.
pub async fn hold_members(c: &mut Tx, ids: &[String]) -> Result<Vec<Standing>> {
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
pub async fn heads_over(c: &mut AnyConnection, member: &str) -> Result<Vec<Standing>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT h.member_id AS id, m.status FROM member_departments md \
         JOIN department_heads h ON h.department_id = md.department_id \
         JOIN members m ON m.id = h.member_id WHERE md.member_id = $1 ORDER BY h.member_id",
    )
    .bind(member)
    .fetch_all(c)
    .await?)
}

/// Where a member works with partners: a network they were added to, or a contact post they
/// hold (or back up) on a live unit.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberPostRow {
    pub network_id: String,
    pub network_name: String,
    /// Absent for a network membership.
    pub unit_id: Option<String>,
    pub unit_org_name: Option<String>,
    pub side: Option<String>,
    pub role: Option<String>,
    /// 1 when the member is the backup, not the contact.
    pub backup: i64,
}

/// Every network `member` was added to and every contact post they hold or back up.
pub async fn member_posts(c: &mut AnyConnection, member: &str) -> Result<Vec<MemberPostRow>> {
    Ok(sqlx::query_as(
        "SELECT n.id AS network_id, n.name AS network_name, NULL AS unit_id, NULL AS unit_org_name, \
             NULL AS side, NULL AS role, CAST(0 AS BIGINT) AS backup \
         FROM network_members nm JOIN networks n ON n.id = nm.network_id WHERE nm.member_id = $1 \
         UNION ALL \
         SELECT n.id, n.name, u.id, o.name, k.side, k.role, CAST(CASE WHEN k.member_id = $1 THEN 0 ELSE 1 END AS BIGINT) \
         FROM contacts k JOIN units u ON u.id = k.unit_id JOIN networks n ON n.id = u.network_id \
             JOIN organizations o ON o.id = u.org_id \
         WHERE (k.member_id = $1 OR k.backup_id = $1) AND u.status <> 'removed'",
    )
    .bind(member)
    .fetch_all(c)
    .await?)
}
