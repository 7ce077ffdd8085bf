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

use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::network::{Brings, InvitationStatus, Side, Tier, UnitStatus, Visibility};
use keiretsu_domain::people::{Facts as PeopleFacts, PersonFacts, UnitFacts};

use crate::directory::placeholders;
use crate::{Backend, Json, Result, Tx, rows_in};

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
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
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
    .bind(n.visibility.as_str())
    .bind(n.created_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update_network(c: &mut AnyConnection, n: &NetworkRow) -> Result<()> {
    sqlx::query("UPDATE networks SET name = $1, description = $2, visibility = $3 WHERE id = $4")
        .bind(&n.name)
        .bind(&n.description)
        .bind(n.visibility.as_str())
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
    pub tiers: Json<Vec<Tier>>,
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

mod address_book;
mod contacts;
mod invitations;
mod people;
mod units;

pub use address_book::*;
pub use contacts::*;
pub use invitations::*;
pub use people::*;
pub use units::*;
