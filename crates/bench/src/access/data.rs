//! The generated data: a backbone with its network and departments, the units with their people
//! and seats, and the 50 apps with their permission groups and publications.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use keiretsu_domain::access::{Audience, Principal, Right};
use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::identity::Role;
use keiretsu_domain::ids::{AppId, DepartmentId, NetworkId, OrgId, UnitId};
use keiretsu_domain::network::{Tier, Visibility};
use keiretsu_service::license::LicenseChange;
use keiretsu_service::{Backend, Caller, Service, random_id_bytes};
use keiretsu_store::Col::{BigInt, Text};
use keiretsu_store::Json;
use keiretsu_store::apps::{self as apps_store, AppRow};
use keiretsu_store::directory as dir;
use keiretsu_store::insert_json;
use keiretsu_store::network::{self as net, NetworkRow, PartnerTypeRow};
use serde_json::{Value, json};

use super::Args;
use crate::network::{DEPARTMENT_COLS, ORG_COLS, TIERS, UNIT_COLS, new_id, now_millis, person};

pub(super) const BACKBONE_MEMBERS: usize = 5000;
const BACKBONE_TOPS: usize = 10;
const BACKBONE_SUBS: usize = 4;
pub(super) const APPS: usize = 50;
const SUPPLIER: &str = "supplier";
const DISTRIBUTOR: &str = "distributor";
const SERVICE: &str = "service_provider";
/// Units per bulk transaction while generating.
const UNITS_PER_BATCH: usize = 100;
/// Each unit's departments: two at the top, two below each.
const UNIT_DEPARTMENTS: [(&str, Option<usize>); 6] = [
    ("Sales", None),
    ("Operations", None),
    ("Sales North", Some(0)),
    ("Sales South", Some(0)),
    ("Operations East", Some(1)),
    ("Operations West", Some(1)),
];

/// The partner type of unit `i`: 11% service providers (the ~100,000-person audience at 10,000
/// units), 34% distributors, 55% suppliers.
fn unit_type(i: usize) -> &'static str {
    match i % 100 {
        0..=10 => SERVICE,
        11..=44 => DISTRIBUTOR,
        _ => SUPPLIER,
    }
}

/// One unit in a hundred is blocked (reaches nothing), one in five hundred removed (not a unit).
fn unit_status(i: usize) -> &'static str {
    if i % 500 == 13 {
        "removed"
    } else if i % 100 == 42 {
        "blocked"
    } else {
        "active"
    }
}

struct GenUnit {
    id: String,
    departments: Vec<String>,
}

pub(super) struct Fixture {
    pub(super) backbone: OrgId,
    /// The app published to the largest audience (a partner type of ~100,000 people).
    pub(super) lookup_app: String,
    pub(super) departments: String,
    pub(super) seats: usize,
}

pub(super) async fn generate(svc: &Service, url: &str, args: &Args) -> anyhow::Result<Fixture> {
    let sys = Caller::System;
    let backend = svc.store().backend();
    let store = &crate::load_store(url, backend).await?;
    let now = now_millis();
    let backbone = crate::certified_org(svc, "Access Backbone", "bench.admin").await?;
    let people = args.units * args.unit_members;
    let purchased = (people + BACKBONE_MEMBERS + 10_000) as i64;
    svc.license()
        .set_license(&sys, &backbone, &LicenseChange { edition: "exclusive".into(), seats: Some(purchased) })
        .await?;
    let network = new_id(NetworkId::PREFIX);
    let pool = backbone.as_str();

    // The backbone: the network, its partner types, departments, members with seats.
    let mut tx = store.write().await?;
    net::insert_network(
        &mut tx,
        &NetworkRow {
            id: network.clone(),
            org_id: pool.to_owned(),
            name: "Access Network".into(),
            description: String::new(),
            visibility: Visibility::Own,
            created_at: now,
        },
    )
    .await?;
    let tiers: Vec<Tier> = TIERS.iter().map(|t| Tier { name: (*t).into(), policy: String::new() }).collect();
    for key in [SUPPLIER, DISTRIBUTOR, SERVICE] {
        let t = PartnerTypeRow {
            network_id: network.clone(),
            key: key.into(),
            name: key.replace('_', " "),
            tiers: Json(tiers.clone()),
            policy: String::new(),
        };
        net::upsert_partner_type(&mut tx, &t).await?;
    }
    let tops: Vec<String> = (0..BACKBONE_TOPS).map(|_| new_id(DepartmentId::PREFIX)).collect();
    let subs: Vec<String> = (0..BACKBONE_TOPS * BACKBONE_SUBS).map(|_| new_id(DepartmentId::PREFIX)).collect();
    let mut rows: Vec<Value> =
        tops.iter().enumerate().map(|(i, d)| json!([d, pool, null, format!("Division {i}"), now])).collect();
    rows.extend(
        subs.iter().enumerate().map(|(i, d)| json!([d, pool, tops[i / BACKBONE_SUBS], format!("Team {i}"), now])),
    );
    insert_json(&mut tx, backend, "departments", &DEPARTMENT_COLS, &rows).await?;
    let all_deps: Vec<&String> = tops.iter().chain(subs.iter()).collect();
    let (mut accounts, mut members, mut seats) = (vec![], vec![], vec![]);
    for j in 0..BACKBONE_MEMBERS {
        let (a, m) = person(
            pool,
            j * 7 + 3,
            format!("ab{j:05}"),
            format!("ab{j:05}@backbone.example.com"),
            format!("B{j:05}"),
            now,
        );
        if m.status == MemberStatus::Active && j % 20 != 7 {
            seats.push(json!([pool, m.id, pool, "enabled", "manual", now]));
        }
        accounts.push(a);
        members.push((m, vec![all_deps[j % all_deps.len()].clone()]));
    }
    let backbone_members: Vec<String> = members.iter().map(|(m, _)| m.id.clone()).collect();
    dir::insert_accounts(&mut tx, backend, &accounts).await?;
    dir::insert_members(&mut tx, backend, &members).await?;
    insert_json(&mut tx, backend, "seats", &SEAT_COLS, &seats).await?;
    insert_json(&mut tx, backend, "seat_usage", &USAGE_COLS, &[json!([pool, pool, seats.len()])]).await?;
    let mut seat_count = seats.len();
    tx.commit().await?;

    // The units, a batch per transaction: an organization with six departments, its members (most
    // with a backbone seat), the unit row.
    let mut units = Vec::with_capacity(args.units);
    let mut last = Instant::now();
    for batch in (0..args.units).collect::<Vec<_>>().chunks(UNITS_PER_BATCH) {
        let (mut orgs, mut departments, mut unit_rows, mut usage) = (vec![], vec![], vec![], vec![]);
        let (mut accounts, mut members, mut seats) = (vec![], vec![], vec![]);
        for &i in batch {
            let org = new_id(OrgId::PREFIX);
            let unit = new_id(UnitId::PREFIX);
            let ty = unit_type(i);
            let status = unit_status(i);
            orgs.push(json!([org, format!("{} {i:05} Co", ty.replace('_', " ")), "certified", null, now]));
            let deps: Vec<String> = UNIT_DEPARTMENTS.iter().map(|_| new_id(DepartmentId::PREFIX)).collect();
            for (d, (name, parent)) in UNIT_DEPARTMENTS.iter().enumerate() {
                departments.push(json!([deps[d], org, parent.map(|p| deps[p].clone()), name, now]));
            }
            unit_rows.push(json!([
                unit,
                network,
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
            let mut unit_seats = 0;
            for k in 0..args.unit_members {
                let g = i * args.unit_members + k;
                let (a, mut m) = person(
                    &org,
                    g,
                    format!("u{g:07}"),
                    format!("u{g:07}@u{i:05}.example.com"),
                    format!("E{k:04}"),
                    now,
                );
                if k == 0 {
                    m.role = Role::PrimaryAdmin;
                    m.status = MemberStatus::Active;
                    m.left_at = None;
                }
                // Everyone in one department (the six in turn); every tenth also in a second one.
                let mut of = vec![deps[k % deps.len()].clone()];
                if k % 10 == 9 {
                    of.push(deps[(k + 1) % deps.len()].clone());
                }
                if m.status == MemberStatus::Active && g % 10 != 3 {
                    seats.push(json!([pool, m.id, org, "enabled", "manual", now]));
                    unit_seats += 1;
                }
                accounts.push(a);
                members.push((m, of));
            }
            usage.push(json!([pool, org, unit_seats]));
            units.push(GenUnit { id: unit, departments: deps });
        }
        seat_count += seats.len();
        let mut tx = store.write().await?;
        insert_json(&mut tx, backend, "organizations", &ORG_COLS, &orgs).await?;
        insert_json(&mut tx, backend, "departments", &DEPARTMENT_COLS, &departments).await?;
        dir::insert_accounts(&mut tx, backend, &accounts).await?;
        dir::insert_members(&mut tx, backend, &members).await?;
        insert_json(&mut tx, backend, "units", &UNIT_COLS, &unit_rows).await?;
        insert_json(&mut tx, backend, "seats", &SEAT_COLS, &seats).await?;
        insert_json(&mut tx, backend, "seat_usage", &USAGE_COLS, &usage).await?;
        tx.commit().await?;
        if last.elapsed() > Duration::from_secs(10) {
            last = Instant::now();
            println!("  {} of {} units", batch[batch.len() - 1] + 1, args.units);
        }
    }

    // The apps, their permission groups and publications.
    let mut tx = store.write().await?;
    sqlx::query("UPDATE seat_pools SET assigned = $1 WHERE org_id = $2")
        .bind(seat_count as i64)
        .bind(pool)
        .execute(&mut *tx)
        .await?;
    let spec = AppSpec { units: &units, tops: &tops, subs: &subs, backbone_members: &backbone_members };
    let mut lookup_app = String::new();
    for a in 0..APPS {
        let id = AppId::from_random(random_id_bytes()).to_string();
        let (name, groups, audience) = spec.app(a);
        let row = AppRow { id: id.clone(), org_id: pool.to_owned(), name, description: String::new(), created_at: now };
        apps_store::insert_app(&mut tx, &row).await?;
        for (g, rights, principals) in &groups {
            apps_store::put_group(&mut tx, &id, g, rights, principals).await?;
        }
        if let Some(audience) = &audience {
            apps_store::put_publication(&mut tx, &id, &network, audience, now).await?;
        }
        if a == 0 {
            lookup_app = id;
        }
    }
    tx.commit().await?;
    if backend == Backend::Postgres {
        sqlx::query("ANALYZE").execute(store.pool()).await?;
    }
    store.close().await;
    Ok(Fixture {
        backbone,
        lookup_app,
        departments: format!(
            "{} backbone and {} per unit, two levels",
            BACKBONE_TOPS * (1 + BACKBONE_SUBS),
            UNIT_DEPARTMENTS.len()
        ),
        seats: seat_count,
    })
}

const SEAT_COLS: [keiretsu_store::Col; 6] =
    [Text("pool_id"), Text("member_id"), Text("org_id"), Text("status"), Text("reason"), BigInt("changed_at")];
const USAGE_COLS: [keiretsu_store::Col; 3] = [Text("pool_id"), Text("org_id"), BigInt("assigned")];

type Group = (String, Vec<Right>, Vec<Principal>);

/// The 50 apps: audiences of every kind, groups naming everyone, partner types, departments,
/// units, members and admins, some granting other rights than submit.
struct AppSpec<'a> {
    units: &'a [GenUnit],
    tops: &'a [String],
    subs: &'a [String],
    backbone_members: &'a [String],
}

impl AppSpec<'_> {
    /// `n` different units spread over the network, chosen by `seed`.
    fn pick(&self, seed: usize, n: usize) -> Vec<&GenUnit> {
        let len = self.units.len();
        let mut seen = HashSet::new();
        (0..n * 4)
            .map(|j| (seed * 7919 + j * 104_729) % len)
            .filter(|i| seen.insert(*i))
            .take(n.min(len))
            .map(|i| &self.units[i])
            .collect()
    }

    fn app(&self, a: usize) -> (String, Vec<Group>, Option<Audience>) {
        let g =
            |name: &str, rights: &[Right], principals: Vec<Principal>| (name.to_owned(), rights.to_vec(), principals);
        let everyone = || g("everyone", &[Right::Submit, Right::ViewOwn], vec![Principal::Everyone]);
        let s = |x: &str| x.to_owned();
        if a == 0 {
            return (s("Service partner onboarding"), vec![everyone()], Some(Audience::PartnerTypes(vec![s(SERVICE)])));
        }
        if a == APPS - 1 {
            return (s("Internal requests"), vec![everyone()], None);
        }
        let name = format!("App {a:02}");
        let top = Principal::Department(self.tops[a % self.tops.len()].clone());
        match a % 6 {
            0 => (name, vec![everyone()], Some(Audience::AllUnits)),
            1 => {
                let ty = if a % 12 == 1 { SUPPLIER } else { DISTRIBUTOR };
                let groups = vec![
                    g("partners", &[Right::Submit, Right::ViewOwn], vec![Principal::PartnerType(s(ty))]),
                    g("backbone", &[Right::Submit, Right::ViewAll], vec![top]),
                ];
                (name, groups, Some(Audience::PartnerTypes(vec![s(ty)])))
            }
            2 => {
                let groups = vec![
                    g("distributors", &[Right::Submit], vec![Principal::PartnerType(s(DISTRIBUTOR))]),
                    g("viewers", &[Right::ViewAll], vec![Principal::Everyone]),
                    g("admins", &[Right::Submit, Right::Manage], vec![Principal::Admins]),
                ];
                (name, groups, Some(Audience::PartnerTypes(vec![s(SUPPLIER), s(DISTRIBUTOR)])))
            }
            3 => {
                let units = self.pick(a, 100);
                let mut named: Vec<Principal> = units.iter().take(50).map(|u| Principal::Unit(u.id.clone())).collect();
                named.push(Principal::Department(self.subs[a % self.subs.len()].clone()));
                named.push(Principal::Member(self.backbone_members[a].clone()));
                let audience = Audience::Units(units.iter().map(|u| u.id.clone()).collect());
                (name, vec![g("units", &[Right::Submit, Right::ViewUnit], named)], Some(audience))
            }
            4 => {
                let units = self.pick(a, 20);
                // The audience is their Sales departments (with the two below); the group only Sales North.
                let audience = Audience::Departments(units.iter().map(|u| u.departments[0].clone()).collect());
                let north = units.iter().map(|u| Principal::Department(u.departments[2].clone())).collect();
                let groups = vec![
                    g("north", &[Right::Submit], north),
                    g("backbone", &[Right::Submit, Right::ViewAll], vec![top]),
                    g("own", &[Right::ViewOwn], vec![Principal::Everyone]),
                ];
                (name, groups, Some(audience))
            }
            _ => {
                let mut named = vec![Principal::PartnerType(s(DISTRIBUTOR))];
                named.extend(self.pick(a, 50).iter().map(|u| Principal::Unit(u.id.clone())));
                named.extend(self.pick(a + 1000, 10).iter().map(|u| Principal::Department(u.departments[1].clone())));
                (
                    name,
                    vec![g("mixed", &[Right::Submit], named), g("admins", &[Right::Manage], vec![Principal::Admins])],
                    Some(Audience::AllUnits),
                )
            }
        }
    }
}
