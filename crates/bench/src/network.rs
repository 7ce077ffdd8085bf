//! The network benchmark (`--network`): the address book and person picker of one network of
//! 10,000 units with 100 members each (1,000,000 partner people) beside a backbone of 5,000
//! members, 1,000 of them in the network; and the departure of a contact holder with its handover.
//!
//! Every figure is taken through the service (`Service::people`, `Service::person`,
//! `Service::leave`), next to a peer: the same question as one straightforward hand-written SQL
//! statement (or transaction) on the same database. The peer's page is checked against the
//! service's, so a fast answer is also the right one.

use std::time::{Duration, Instant};

use anyhow::Context;
use keiretsu_domain::identity::{Acting, Role};
use keiretsu_domain::ids::{AccountId, ContactId, DepartmentId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_service::network::PeopleQuery;
use keiretsu_service::page::encode_cursor;
use keiretsu_service::{Backend, Caller, Service, random_id_bytes};
use keiretsu_store::Col::{BigInt, Text};
use keiretsu_store::directory::{self as dir, AccountRow, MemberRow};
use keiretsu_store::network::{self as net, NetworkRow, PartnerTypeRow};
use keiretsu_store::{Store, insert_json};
use serde_json::{Value, json};

use crate::mem;
use crate::{GIVEN, SURNAMES, Stats, cores};

/// What the issue asks for: search p99 under 20 ms, a departure with handover under 10 ms.
const SEARCH_TARGET_MS: f64 = 20.0;
const LEAVE_TARGET_MS: f64 = 10.0;
const PAGE: i64 = 50;
const BACKBONE_MEMBERS: usize = 5000;
const BACKBONE_DEPARTMENTS: usize = 50;
/// Every fifth backbone member works with partners.
const NETWORK_MEMBERS: usize = BACKBONE_MEMBERS / 5;
const TYPES: &[&str] = &["supplier", "distributor", "service_provider"];
pub(crate) const TIERS: &[&str] = &["strategic", "a", "b", "c"];
/// Units per bulk transaction while generating.
const UNITS_PER_BATCH: usize = 100;
/// The peer (plain SQL) can take a second per question: it is sampled until it has used this
/// much time (and at least a few times), so the run stays short.
const PEER_BUDGET: Duration = Duration::from_secs(4);
const PEER_MIN_SAMPLES: usize = 5;
/// Departures of each kind; service and peer take different contact holders.
const LEAVES: usize = 200;

pub struct Args {
    pub units: usize,
    pub unit_members: usize,
    pub queries: usize,
}

/// What one database measured.
pub struct Results {
    pub db: &'static str,
    pub generate: Duration,
    pub people: usize,
    /// The people index's build, size and resident memory.
    pub index: String,
    pub kinds: Vec<Kind>,
}

pub struct Kind {
    name: &'static str,
    target: f64,
    service: Stats,
    peer: Stats,
    peer_samples: usize,
}

/// The generated network, as the queries need it.
struct Fixture {
    backbone: OrgId,
    network: NetworkId,
    /// `(org, unit, member, account)` of one ordinary member per unit (a unit viewer).
    viewers: Vec<(String, String, String, String)>,
    /// `(org, member)` of the partner-side contact of each unit (their backup is a colleague).
    partner_contacts: Vec<(String, String)>,
    /// Backbone network members in creation order; member `i` holds the backbone contact of
    /// the units `i, i + 1000, ...`, with member `(i + 500) % 1000` as backup.
    network_members: Vec<String>,
    /// `(name, member id)` of unit members spread over the whole network, for cursors and persons.
    spread: Vec<(String, String)>,
    /// Logins of the spread members, for sparse searches.
    logins: Vec<String>,
}

pub async fn bench(db: &'static str, url: &str, args: &Args) -> anyhow::Result<Results> {
    let people = args.units * args.unit_members;
    println!(
        "\n== {db}: network of {} units x {} members ({people} people) + {BACKBONE_MEMBERS} backbone members",
        args.units, args.unit_members
    );
    let store = keiretsu_service::open_store(url, 8).await?;
    let svc = Service::new(store, std::sync::Arc::new(keiretsu_service::SystemClock), Default::default()).await?;
    let result = async {
        let start = Instant::now();
        let fx = generate(&svc, url, args).await?;
        let generate = start.elapsed();
        println!("generated in {:.1} s", generate.as_secs_f64());
        let index = people_index(&svc).await?;
        println!("{index}");
        let kinds = measure(&svc, &fx, args).await?;
        Ok(Results { db, generate, people, index, kinds })
    }
    .await;
    svc.store().close().await;
    result
}

/// Builds the people index as the server does at start (the wide questions read it), and says
/// what it took and holds.
async fn people_index(svc: &Service) -> anyhow::Result<String> {
    let (rss_before, _) = mem();
    let t = Instant::now();
    svc.advance_people().await?;
    let build = t.elapsed();
    let (rss_after, hwm) = mem();
    let (live, heap) = svc.people_index_size().await?;
    Ok(format!(
        "people index: built from the database in {:.2} s, {live} people, heap ~{} MiB; RSS {} MiB before, \
         {} MiB after (+{} MiB), peak {} MiB",
        build.as_secs_f64(),
        heap >> 20,
        rss_before >> 10,
        rss_after >> 10,
        rss_after.saturating_sub(rss_before) >> 10,
        hwm >> 10
    ))
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
        status: if left { "left" } else { "active" }.into(),
        role: "member".into(),
        joined_at: now,
        left_at: left.then_some(now),
    };
    (account, member)
}

async fn generate(svc: &Service, url: &str, args: &Args) -> anyhow::Result<Fixture> {
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
            visibility: "own".into(),
            created_at: now,
        },
    )
    .await?;
    let tiers = serde_json::to_string(&TIERS.iter().map(|t| json!({ "name": t, "policy": "" })).collect::<Vec<_>>())?;
    for key in TYPES {
        let t = PartnerTypeRow {
            network_id: network.to_string(),
            key: (*key).into(),
            name: (*key).replace('_', " "),
            tiers: tiers.clone(),
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
            m.status = "active".into();
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
                    m.status = "active".into();
                    m.left_at = None;
                }
                let left_out = production.is_some() && k >= args.unit_members * 3 / 4;
                if g % spread_every == spread_every / 2 && m.status == "active" && status == "active" && !left_out {
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

/// One address-book question: who asks, what, and the same as plain SQL.
struct Case {
    caller: Caller,
    query: PeopleQuery,
    peer: Peer,
}

/// The address book as one straightforward SELECT: both halves, merged, sorted, cut.
#[derive(Clone, Default)]
struct Peer {
    unit: Option<String>,
    text: Option<String>,
    after: Option<(String, String)>,
}

impl Peer {
    async fn run(&self, store: &Store, network: &str) -> anyhow::Result<Vec<String>> {
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
fn pick<T>(list: &[T], i: usize) -> &T {
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

fn cases(fx: &Fixture) -> Vec<(&'static str, Vec<Case>)> {
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
async fn peer_person(store: &Store, network: &str, member: &str) -> anyhow::Result<usize> {
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
async fn peer_leave(store: &Store, member: &str, now: i64) -> anyhow::Result<()> {
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

struct Samples {
    service: Vec<Duration>,
    peer: Vec<Duration>,
    peer_time: Duration,
}

impl Samples {
    fn new() -> Samples {
        Samples { service: vec![], peer: vec![], peer_time: Duration::ZERO }
    }

    fn peer_due(&self) -> bool {
        self.peer.len() < PEER_MIN_SAMPLES || self.peer_time < PEER_BUDGET
    }

    fn add_peer(&mut self, d: Duration) {
        self.peer.push(d);
        self.peer_time += d;
    }
}

async fn measure(svc: &Service, fx: &Fixture, args: &Args) -> anyhow::Result<Vec<Kind>> {
    let store = svc.store();
    let network = fx.network.as_str();
    let kinds = cases(fx);
    let n_kinds = kinds.len() + 1;
    let per_kind = (args.queries / n_kinds).max(1);
    let mut samples: Vec<Samples> = (0..n_kinds).map(|_| Samples::new()).collect();
    // One warm-up round, then the kinds interleaved so none profits from running alone.
    for round in 0..=per_kind {
        for (k, (name, cases)) in kinds.iter().enumerate() {
            let case = &cases[round % cases.len()];
            let t = Instant::now();
            let page = svc.network().people(&case.caller, &fx.network, &case.query).await?;
            let s = t.elapsed();
            if round > 0 {
                samples[k].service.push(s);
            }
            if round == 0 || samples[k].peer_due() {
                let t = Instant::now();
                let rows = case.peer.run(store, network).await?;
                let r = t.elapsed();
                let got: Vec<&str> = page.items.iter().map(|p| p.member_id.as_str()).collect();
                let want: Vec<&str> = rows.iter().take(PAGE as usize).map(String::as_str).collect();
                anyhow::ensure!(
                    got == want,
                    "{name}: the service's page differs from plain SQL's ({:?})",
                    case.query.q
                );
                anyhow::ensure!(round > 0 || !got.is_empty() || *name == "search sparse", "{name}: nobody found");
                if round > 0 {
                    samples[k].add_peer(r);
                }
            }
        }
        // The person page.
        let k = kinds.len();
        let (_, member) = pick(&fx.spread, round);
        let id = MemberId::from_trusted(member.clone());
        let t = Instant::now();
        let detail = svc.network().person(&Caller::System, &fx.network, &id).await?;
        let s = t.elapsed();
        anyhow::ensure!(detail.backbone_contacts.len() == 1, "a unit has one backbone contact");
        let t = Instant::now();
        peer_person(store, network, member).await?;
        let r = t.elapsed();
        if round > 0 {
            samples[k].service.push(s);
            samples[k].add_peer(r);
        }
    }

    let mut out = vec![];
    for (k, (name, _)) in kinds.iter().enumerate() {
        out.push(kind(name, SEARCH_TARGET_MS, &mut samples[k]));
    }
    out.push(kind("person page", SEARCH_TARGET_MS, &mut samples[kinds.len()]));

    // Departures: a partner-side contact (one post) and a backbone-side one (ten posts), each
    // handing over to the backup. The service and the peer take different people.
    let leaves = LEAVES.min(fx.partner_contacts.len() / 2).min(NETWORK_MEMBERS / 5);
    let sys = Caller::System;
    let now = now_millis();
    let mut partner = Samples::new();
    for i in 0..leaves {
        let (org, member) = &fx.partner_contacts[i];
        let t = Instant::now();
        svc.directory().leave(&sys, &OrgId::from_trusted(org.clone()), &MemberId::from_trusted(member.clone())).await?;
        partner.service.push(t.elapsed());
        let (_, member) = &fx.partner_contacts[fx.partner_contacts.len() - 1 - i];
        let t = Instant::now();
        peer_leave(store, member, now).await?;
        partner.add_peer(t.elapsed());
    }
    let mut backbone = Samples::new();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE member_id = $1")
        .bind(&fx.network_members[0])
        .fetch_one(store.pool())
        .await?;
    for i in 0..leaves {
        let t = Instant::now();
        svc.directory().leave(&sys, &fx.backbone, &MemberId::from_trusted(fx.network_members[i].clone())).await?;
        backbone.service.push(t.elapsed());
        let t = Instant::now();
        peer_leave(store, &fx.network_members[NETWORK_MEMBERS / 5 + i], now).await?;
        backbone.add_peer(t.elapsed());
    }
    // The posts moved: the first leaver holds none, the backup took them over.
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE member_id = $1")
        .bind(&fx.network_members[0])
        .fetch_one(store.pool())
        .await?;
    anyhow::ensure!(left == 0, "the leaver still holds {left} contacts");
    out.push(kind("leave partner", LEAVE_TARGET_MS, &mut partner));
    let name: &'static str = Box::leak(format!("leave backbone/{held}").into_boxed_str());
    out.push(kind(name, LEAVE_TARGET_MS, &mut backbone));
    print_kinds(&out);
    Ok(out)
}

fn kind(name: &'static str, target: f64, s: &mut Samples) -> Kind {
    let peer_samples = s.peer.len();
    Kind { name, target, service: Stats::of(&mut s.service), peer: Stats::of(&mut s.peer), peer_samples }
}

fn print_kinds(kinds: &[Kind]) {
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>5} | {:>8} | {:>6}",
        "question", "p50 ms", "p90 ms", "p99 ms", "max ms", "SQL p50", "SQL p99", "n SQL", "target", "p99 ok"
    );
    for k in kinds {
        println!(
            "{:<20} {:>8.2} {:>8.2} {:>8.2} {:>8.2} | {:>8.2} {:>8.2} {:>5} | {:>5} ms | {:>6}",
            k.name,
            k.service.p50,
            k.service.p90,
            k.service.p99,
            k.service.max,
            k.peer.p50,
            k.peer.p99,
            k.peer_samples,
            format!("< {}", k.target),
            if k.service.p99 < k.target { "yes" } else { "MISSED" }
        );
    }
}

pub fn print_summary(args: &Args, postgres: bool, results: &[Results]) {
    println!("\n== Network summary ({} cores, {} {})", cores(), std::env::consts::OS, std::env::consts::ARCH);
    println!(
        "command: cargo run --release -p keiretsu-bench -- --network --units {} --unit-members {} --queries {}{}",
        args.units,
        args.unit_members,
        args.queries,
        if postgres { " --postgres" } else { "" }
    );
    println!(
        "service = Service::people / person / leave (backbone viewer = Caller::System, unit viewer = a unit member, \
         visibility own); SQL = the same question as one plain statement (sampled for {} s at most); \
         page {PAGE}",
        PEER_BUDGET.as_secs()
    );
    for r in results {
        println!(
            "\n{}: {} unit members + {BACKBONE_MEMBERS} backbone members ({NETWORK_MEMBERS} in the network), \
             generated in {:.1} s",
            r.db,
            r.people,
            r.generate.as_secs_f64()
        );
        println!("{}", r.index);
        print_kinds(&r.kinds);
        let missed: Vec<&str> = r.kinds.iter().filter(|k| k.service.p99 >= k.target).map(|k| k.name).collect();
        if missed.is_empty() {
            println!("every p99 within its target");
        } else {
            println!("p99 OVER target: {}", missed.join(", "));
        }
    }
}
