//! The generated network: the backbone, its network and the units with their people, written
//! in bulk; and the row builders the access benchmark shares.

use std::time::{Duration, Instant};

use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::identity::Role;
use keiretsu_domain::ids::{AccountId, ContactId, DepartmentId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::network::{Tier, Visibility};
use keiretsu_service::{Backend, Service, random_id_bytes};
use keiretsu_store::Col::{BigInt, Text};
use keiretsu_store::Json;
use keiretsu_store::directory::{self as dir, AccountRow, MemberRow};
use keiretsu_store::insert_json;
use keiretsu_store::network::{self as net, NetworkRow, PartnerTypeRow};
use serde_json::{Value, json};

use super::{Args, BACKBONE_MEMBERS, NETWORK_MEMBERS};
use crate::{GIVEN, SURNAMES};

const BACKBONE_DEPARTMENTS: usize = 50;
const TYPES: &[&str] = &["supplier", "distributor", "service_provider"];
pub(crate) const TIERS: &[&str] = &["strategic", "a", "b", "c"];
/// Units per bulk transaction while generating.
const UNITS_PER_BATCH: usize = 100;

/// The generated network, as the queries need it.
pub(super) struct Fixture {
    pub(super) backbone: OrgId,
    pub(super) network: NetworkId,
    /// `(org, unit, member, account)` of one ordinary member per unit (a unit viewer).
    pub(super) viewers: Vec<(String, String, String, String)>,
    /// `(org, member)` of the partner-side contact of each unit (their backup is a colleague).
    pub(super) partner_contacts: Vec<(String, String)>,
    /// Backbone network members in creation order; member `i` holds the backbone contact of
    /// the units `i, i + 1000, ...`, with member `(i + 500) % 1000` as backup.
    pub(super) network_members: Vec<String>,
    /// `(name, member id)` of unit members spread over the whole network, for cursors and persons.
    pub(super) spread: Vec<(String, String)>,
    /// Logins of the spread members, for sparse searches.
    pub(super) logins: Vec<String>,
}

pub(crate) fn now_millis() -> i64 {
    keiretsu_domain::time::Clock::now(&keiretsu_service::SystemClock)
}

pub(crate) fn new_id(prefix: &str) -> String {
    // Every typed id has the same random part; the prefix says what it is.
    format!("{prefix}{}", &MemberId::from_random(random_id_bytes()).as_str()[MemberId::PREFIX.len()..])
}

fn person_name(g: usize) -> String {
    format!("{} {}{}", SURNAMES[g % SURNAMES.len()], GIVEN[(g / SURNAMES.len()) % GIVEN.len()], g % 97)
}

/// An account and its membership with the fields search looks at.
pub(crate) fn person(
    org: &str,
    g: usize,
    login: String,
    email: String,
    employee_no: String,
    now: i64,
) -> (AccountRow, MemberRow) {
    let name = person_name(g);
    let phone = format!("+86138{:04}{:04}", (g / 10_000) % 10_000, g % 10_000);
    let account = AccountRow {
        id: new_id(AccountId::PREFIX),
        login: login.clone(),
        name: name.clone(),
        phone: Some(phone.clone()),
        email: Some(email.clone()),
        password_hash: None,
        operator: 0,
        disabled: 0,
        lang: "en".into(),
        created_at: now,
    };
    // A few people have left: the address book must skip them.
    let left = g % 50 == 7;
    let member = MemberRow {
        id: new_id(MemberId::PREFIX),
        org_id: org.into(),
        account_id: account.id.clone(),
        login,
        name,
        phone: Some(phone),
        email: Some(email),
        title: Some("Specialist".into()),
        employee_no: Some(employee_no),
        supervisor_id: None,
        status: if left { MemberStatus::Left } else { MemberStatus::Active },
        role: Role::Member,
        joined_at: now,
        left_at: left.then_some(now),
    };
    (account, member)
}

pub(super) async fn generate(svc: &Service, url: &str, args: &Args) -> anyhow::Result<Fixture> {
    let backend = svc.store().backend();
    let store = &crate::load_store(url, backend).await?;
    let now = now_millis();
    let backbone = crate::certified_org(svc, "Bench Backbone", "bench.admin").await?;
    let network = NetworkId::from_random(random_id_bytes());

    // The backbone: departments with heads, members, the network and its members.
    let mut tx = store.write().await?;
    net::insert_network(
        &mut tx,
        &NetworkRow {
            id: network.to_string(),
            org_id: backbone.to_string(),
            name: "Bench Network".into(),
            description: String::new(),
            visibility: Visibility::Own,
            created_at: now,
        },
    )
    .await?;
    let tiers: Vec<Tier> = TIERS.iter().map(|t| Tier { name: (*t).into(), policy: String::new() }).collect();
    for key in TYPES {
        let t = PartnerTypeRow {
            network_id: network.to_string(),
            key: (*key).into(),
            name: (*key).replace('_', " "),
            tiers: Json(tiers.clone()),
            policy: String::new(),
        };
        net::upsert_partner_type(&mut tx, &t).await?;
    }
    let deps: Vec<String> = (0..BACKBONE_DEPARTMENTS).map(|_| new_id(DepartmentId::PREFIX)).collect();
    let rows: Vec<Value> =
        deps.iter().enumerate().map(|(i, d)| json!([d, backbone.as_str(), null, format!("Team {i}"), now])).collect();
    insert_json(&mut tx, backend, "departments", &DEPARTMENT_COLS, &rows).await?;
    let mut accounts = vec![];
    let mut members = vec![];
    for j in 0..BACKBONE_MEMBERS {
        // Offset so backbone names do not line up with the first units'.
        let (a, mut m) = person(
            backbone.as_str(),
            j * 7 + 3,
            format!("b{j:05}"),
            format!("b{j:05}@backbone.example.com"),
            format!("B{j:05}"),
            now,
        );
        if j % 5 == 0 {
            // Network members stay: they hold the contacts.
            m.status = MemberStatus::Active;
            m.left_at = None;
        }
        accounts.push(a);
        members.push((m, vec![deps[j % deps.len()].clone()]));
    }
    dir::insert_accounts(&mut tx, backend, &accounts).await?;
    dir::insert_members(&mut tx, backend, &members).await?;
    // The head of each team is one of its members who is not in the network.
    let heads: Vec<Value> =
        (0..BACKBONE_DEPARTMENTS).map(|d| json!([deps[d], members[d + BACKBONE_DEPARTMENTS * 2 + 1].0.id])).collect();
    insert_json(&mut tx, backend, "department_heads", &[Text("department_id"), Text("member_id")], &heads).await?;
    let network_members: Vec<String> = members.iter().step_by(5).map(|(m, _)| m.id.clone()).collect();
    anyhow::ensure!(network_members.len() == NETWORK_MEMBERS);
    let rows: Vec<Value> = network_members.iter().map(|m| json!([network.as_str(), m, now])).collect();
    insert_json(
        &mut tx,
        backend,
        "network_members",
        &[Text("network_id"), Text("member_id"), BigInt("added_at")],
        &rows,
    )
    .await?;
    tx.commit().await?;

    // The units, a batch per transaction: each an organization with one department, its
    // members, a head, a unit row, a backbone-side and a partner-side contact with backups.
    let mut fx = Fixture {
        backbone,
        network,
        viewers: vec![],
        partner_contacts: vec![],
        network_members,
        spread: vec![],
        logins: vec![],
    };
    let spread_every = (args.units * args.unit_members / 400).max(1);
    let mut last = Instant::now();
    for batch in (0..args.units).collect::<Vec<_>>().chunks(UNITS_PER_BATCH) {
        let (mut orgs, mut departments, mut heads, mut units, mut contacts) = (vec![], vec![], vec![], vec![], vec![]);
        let mut brought = vec![];
        let (mut accounts, mut members) = (vec![], vec![]);
        for &i in batch {
            let org = new_id(OrgId::PREFIX);
            let unit = new_id(UnitId::PREFIX);
            let dep = new_id(DepartmentId::PREFIX);
            let ty = TYPES[i % TYPES.len()];
            orgs.push(json!([org, format!("{} {i:05} Co", ty.replace('_', " ")), "certified", null, now]));
            departments.push(json!([dep, org, null, "Sales", now]));
            // One unit in ten brings only Sales into the network: the last quarter of its people
            // work in Production and stay out of the book.
            let production = (i % BRINGS_EVERY == BRINGS_EVERY - 3).then(|| new_id(DepartmentId::PREFIX));
            if let Some(p) = &production {
                departments.push(json!([p, org, null, "Production", now]));
                brought.push(json!([unit, dep, 1]));
            }
            // One unit in a hundred is blocked and one in two hundred removed: not in the book.
            let status = match i % 200 {
                13 => "removed",
                42 | 142 => "blocked",
                _ => "active",
            };
            units.push(json!([
                unit,
                fx.network.as_str(),
                org,
                ty,
                TIERS[i % TIERS.len()],
                "[]",
                null,
                null,
                0,
                status,
                if status == "blocked" { Some("organization not certified") } else { None },
                now,
                if status == "removed" { Some(now) } else { None }
            ]));
            let first = members.len();
            for k in 0..args.unit_members {
                let g = i * args.unit_members + k;
                let (a, mut m) = person(
                    &org,
                    g,
                    format!("p{g:07}"),
                    format!("p{g:07}@u{i:05}.example.com"),
                    format!("E{k:04}"),
                    now,
                );
                if k < 4 {
                    // The head, the contact, the backup and a viewer stay.
                    m.status = MemberStatus::Active;
                    m.left_at = None;
                }
                let left_out = production.is_some() && k >= args.unit_members * 3 / 4;
                if g % spread_every == spread_every / 2
                    && m.status == MemberStatus::Active
                    && status == "active"
                    && !left_out
                {
                    fx.spread.push((m.name.clone(), m.id.clone()));
                    fx.logins.push(m.login.clone());
                }
                accounts.push(a);
                let in_dep = if left_out { production.clone().unwrap_or_default() } else { dep.clone() };
                members.push((m, vec![in_dep]));
            }
            let id = |k: usize| members[first + k].0.id.clone();
            heads.push(json!([dep, id(0)]));
            let holder = &fx.network_members[i % NETWORK_MEMBERS];
            let backup = &fx.network_members[(i + NETWORK_MEMBERS / 2) % NETWORK_MEMBERS];
            contacts.push(json!([new_id(ContactId::PREFIX), unit, "backbone", holder, "owner", backup, now]));
            contacts.push(json!([new_id(ContactId::PREFIX), unit, "partner", id(1), "owner", id(2), now]));
            if status == "active" {
                fx.partner_contacts.push((org.clone(), id(1)));
                let m = &members[first + 3].0;
                fx.viewers.push((org.clone(), unit.clone(), m.id.clone(), m.account_id.clone()));
            }
        }
        let mut tx = store.write().await?;
        insert_json(&mut tx, backend, "organizations", &ORG_COLS, &orgs).await?;
        insert_json(&mut tx, backend, "departments", &DEPARTMENT_COLS, &departments).await?;
        dir::insert_accounts(&mut tx, backend, &accounts).await?;
        dir::insert_members(&mut tx, backend, &members).await?;
        insert_json(&mut tx, backend, "department_heads", &[Text("department_id"), Text("member_id")], &heads).await?;
        insert_json(&mut tx, backend, "units", &UNIT_COLS, &units).await?;
        insert_json(&mut tx, backend, "contacts", &CONTACT_COLS, &contacts).await?;
        insert_json(&mut tx, backend, "unit_departments", &UNIT_DEPARTMENT_COLS, &brought).await?;
        tx.commit().await?;
        if last.elapsed() > Duration::from_secs(10) {
            last = Instant::now();
            println!("  {} of {} units", batch[batch.len() - 1] + 1, args.units);
        }
    }
    sqlx::query("UPDATE units SET brings = 'departments' WHERE id IN (SELECT unit_id FROM unit_departments)")
        .execute(store.pool())
        .await?;
    if backend == Backend::Postgres {
        // What autovacuum would have done by the time anyone searches.
        sqlx::query("ANALYZE").execute(store.pool()).await?;
    }
    store.close().await;
    Ok(fx)
}

pub(crate) const ORG_COLS: [keiretsu_store::Col; 5] =
    [Text("id"), Text("name"), Text("certification"), Text("edition"), BigInt("created_at")];
pub(crate) const DEPARTMENT_COLS: [keiretsu_store::Col; 5] =
    [Text("id"), Text("org_id"), Text("parent_id"), Text("name"), BigInt("created_at")];
const UNIT_DEPARTMENT_COLS: [keiretsu_store::Col; 3] = [Text("unit_id"), Text("department_id"), BigInt("top")];
/// Every tenth unit brings only some of its departments into the network.
const BRINGS_EVERY: usize = 10;
pub(crate) const UNIT_COLS: [keiretsu_store::Col; 13] = [
    Text("id"),
    Text("network_id"),
    Text("org_id"),
    Text("partner_type"),
    Text("tier"),
    Text("tags"),
    Text("contract_start"),
    Text("contract_end"),
    BigInt("managed"),
    Text("status"),
    Text("blocked_reason"),
    BigInt("joined_at"),
    BigInt("removed_at"),
];
const CONTACT_COLS: [keiretsu_store::Col; 7] = [
    Text("id"),
    Text("unit_id"),
    Text("side"),
    Text("member_id"),
    Text("role"),
    Text("backup_id"),
    BigInt("created_at"),
];
