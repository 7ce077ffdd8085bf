//! The address-book questions the benchmark asks, and their peers: the same question as one
//! plain SQL statement (or transaction).

use anyhow::Context;
use keiretsu_domain::identity::{Acting, Role};
use keiretsu_domain::ids::{AccountId, MemberId, OrgId};
use keiretsu_service::Caller;
use keiretsu_service::network::PeopleQuery;
use keiretsu_service::page::encode_cursor;
use keiretsu_store::Store;

use super::PAGE;
use super::data::Fixture;
use crate::{GIVEN, SURNAMES};

/// One address-book question: who asks, what, and the same as plain SQL.
pub(super) struct Case {
    pub(super) caller: Caller,
    pub(super) query: PeopleQuery,
    pub(super) peer: Peer,
}

/// The address book as one straightforward SELECT: both halves, merged, sorted, cut.
#[derive(Clone, Default)]
pub(super) struct Peer {
    unit: Option<String>,
    text: Option<String>,
    after: Option<(String, String)>,
}

impl Peer {
    pub(super) async fn run(&self, store: &Store, network: &str) -> anyhow::Result<Vec<String>> {
        let mut binds = vec![network.to_owned()];
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        // A unit bringing departments shows the members of those it brings (the fixture's are
        // flat: no department below another).
        let mut units = "SELECT m.id AS member_id, m.name FROM units u JOIN members m ON m.org_id = u.org_id \
            WHERE u.network_id = $1 AND u.status = 'active' AND m.status = 'active' AND (u.brings = 'organization' \
            OR m.id IN (SELECT md.member_id FROM member_departments md JOIN unit_departments ud \
            ON ud.department_id = md.department_id AND ud.unit_id = u.id))"
            .to_owned();
        let mut backbone =
            "SELECT m.id AS member_id, m.name FROM network_members nm JOIN members m ON m.id = nm.member_id \
            WHERE nm.network_id = $1 AND m.status = 'active'"
                .to_owned();
        if let Some(u) = &self.unit {
            units += &format!(" AND u.id = {}", bind(u.clone()));
        }
        if let Some(t) = &self.text {
            let p = bind(format!("%{t}%"));
            units += &format!(" AND m.search LIKE {p}");
            backbone += &format!(" AND m.search LIKE {p}");
        }
        if let Some((name, id)) = &self.after {
            let (a, b) = (bind(name.clone()), bind(id.clone()));
            let after = format!(" AND (m.name > {a} OR (m.name = {a} AND m.id > {b}))");
            units += &after;
            backbone += &after;
        }
        let mut sql = format!("SELECT member_id FROM ({units} UNION ALL {backbone}) AS people");
        sql += &format!(" ORDER BY name, member_id LIMIT {}", PAGE + 1);
        let mut q = sqlx::query_scalar(&sql);
        for b in binds {
            q = q.bind(b);
        }
        Ok(q.fetch_all(store.pool()).await?)
    }
}

fn unit_viewer(v: &(String, String, String, String)) -> Caller {
    Caller::Account {
        account: AccountId::from_trusted(v.3.clone()),
        operator: false,
        acting: Some(Acting {
            org: OrgId::from_trusted(v.0.clone()),
            member: MemberId::from_trusted(v.2.clone()),
            role: Role::Member,
        }),
    }
}

/// The `i`-th of a few hundred spread choices.
pub(super) fn pick<T>(list: &[T], i: usize) -> &T {
    &list[(i * 7919 + 13) % list.len()]
}

fn query(q: Option<String>, cursor: Option<String>) -> PeopleQuery {
    PeopleQuery { q, cursor, limit: Some(PAGE), ..PeopleQuery::default() }
}

fn backbone_case(text: Option<String>, after: Option<(String, String)>) -> Case {
    let cursor = after.as_ref().map(|(n, id)| encode_cursor(&[n, id]));
    Case { caller: Caller::System, query: query(text.clone(), cursor), peer: Peer { unit: None, text, after } }
}

const VARIANTS: usize = 64;

pub(super) fn cases(fx: &Fixture) -> Vec<(&'static str, Vec<Case>)> {
    let lower = |s: &str| s.to_lowercase();
    let mut kinds = vec![];
    // A login: one person in a million.
    kinds.push((
        "search sparse",
        (0..VARIANTS).map(|i| backbone_case(Some(pick(&fx.logins, i).clone()), None)).collect(),
    ));
    // A name with one digit of its number: some hundreds of people.
    kinds.push((
        "search medium",
        (0..VARIANTS)
            .map(|i| {
                let t = format!("{} {}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i * 5) % GIVEN.len()], 1 + i % 9);
                backbone_case(Some(lower(&t)), None)
            })
            .collect(),
    ));
    // A surname or given name: one person in twelve.
    kinds.push((
        "search common",
        (0..VARIANTS)
            .map(|i| {
                let t = if i % 2 == 0 { SURNAMES[i / 2 % SURNAMES.len()] } else { GIVEN[i / 2 % GIVEN.len()] };
                backbone_case(Some(lower(t)), None)
            })
            .collect(),
    ));
    kinds.push(("browse first", vec![backbone_case(None, None)]));
    kinds
        .push(("browse deep", (0..VARIANTS).map(|i| backbone_case(None, Some(pick(&fx.spread, i).clone()))).collect()));
    kinds.push((
        "unit search",
        (0..VARIANTS)
            .map(|i| {
                let v = pick(&fx.viewers, i);
                let t = lower(SURNAMES[i % SURNAMES.len()]);
                Case {
                    caller: unit_viewer(v),
                    query: query(Some(t.clone()), None),
                    peer: Peer { unit: Some(v.1.clone()), text: Some(t), after: None },
                }
            })
            .collect(),
    ));
    kinds.push((
        "unit browse",
        (0..VARIANTS)
            .map(|i| {
                let v = pick(&fx.viewers, i);
                Case {
                    caller: unit_viewer(v),
                    query: query(None, None),
                    peer: Peer { unit: Some(v.1.clone()), text: None, after: None },
                }
            })
            .collect(),
    ));
    kinds
}

/// A person page as plain SQL: the person with their unit, the unit's contacts, their departments.
pub(super) async fn peer_person(store: &Store, network: &str, member: &str) -> anyhow::Result<usize> {
    let unit: Option<String> = sqlx::query_scalar(
        "SELECT u.id FROM members m JOIN units u ON u.org_id = m.org_id AND u.network_id = $1 \
         AND u.status <> 'removed' WHERE m.id = $2",
    )
    .bind(network)
    .bind(member)
    .fetch_optional(store.pool())
    .await?;
    let unit = unit.context("the person is in a unit")?;
    let contacts: Vec<String> = sqlx::query_scalar(
        "SELECT m.name FROM contacts k JOIN members m ON m.id = k.member_id WHERE k.unit_id = $1 AND k.side = 'backbone'",
    )
    .bind(&unit)
    .fetch_all(store.pool())
    .await?;
    let deps: Vec<String> = sqlx::query_scalar(
        "SELECT d.name FROM member_departments md JOIN departments d ON d.id = md.department_id WHERE md.member_id = $1",
    )
    .bind(member)
    .fetch_all(store.pool())
    .await?;
    Ok(contacts.len() + deps.len())
}

/// A departure as plain SQL: the member leaves, their posts pass to their backups, they stop
/// being anyone's backup; one transaction.
pub(super) async fn peer_leave(store: &Store, member: &str, now: i64) -> anyhow::Result<()> {
    let mut tx = store.write().await?;
    sqlx::query("UPDATE members SET status = 'left', left_at = $1 WHERE id = $2")
        .bind(now)
        .bind(member)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE contacts SET member_id = backup_id, backup_id = NULL WHERE member_id = $1 AND backup_id IS NOT NULL",
    )
    .bind(member)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE contacts SET backup_id = NULL WHERE backup_id = $1").bind(member).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
