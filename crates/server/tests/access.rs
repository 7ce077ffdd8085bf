//! The access index under stress, on SQLite and PostgreSQL: two servers on one database never
//! give a stale allow after a write's revision; an index advanced by the journal answers exactly
//! like one rebuilt from the database; and `check`, `who`, `usable` and the workbench agree with
//! an oracle that applies the rules to the fixture's own description.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use keiretsu_domain::access::{Audience, Principal, Right};
use keiretsu_domain::directory::Certification;
use keiretsu_domain::ids::OrgId;
use keiretsu_service::Caller;
use keiretsu_testkit::{Client, Db, PASSWORD, TestServer, both};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_owned()
}

/// Sends a request and returns its status, its body and its `keiretsu-revision` header.
async fn write(c: &Client, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value, Option<i64>) {
    let mut req = c.http.request(method, format!("{}{path}", c.base)).bearer_auth(c.token.as_ref().unwrap());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let revision = res.headers().get("keiretsu-revision").map(|h| h.to_str().unwrap().parse::<i64>().unwrap());
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), revision)
}

/// The member id the client acts as.
async fn me(c: &Client) -> String {
    let (st, body) = c.get("/api/v1/me").await;
    assert_eq!(st, StatusCode::OK, "{body}");
    body["member_id"].as_str().unwrap().to_owned()
}

async fn root_department(c: &Client, org: &str) -> String {
    let (st, deps) = c.get(&format!("/api/v1/organizations/{org}/departments")).await;
    assert_eq!(st, StatusCode::OK, "{deps}");
    id(deps.as_array().unwrap().iter().find(|d| d["parent_id"].is_null()).unwrap())
}

async fn department(c: &Client, org: &str, name: &str, parent: Option<&str>) -> String {
    let (st, d) =
        c.post(&format!("/api/v1/organizations/{org}/departments"), json!({"name": name, "parent_id": parent})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    id(&d)
}

/// Adds a member with a password in the given departments; returns its id.
async fn add_member(c: &Client, org: &str, login: &str, deps: &[&str]) -> String {
    let body = json!({"name": login, "login": login, "password": PASSWORD, "department_ids": deps});
    let (st, m) = c.post(&format!("/api/v1/organizations/{org}/members"), body).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    assert_eq!(m["department_ids"].as_array().unwrap().len(), deps.len().max(1), "{m}");
    id(&m)
}

async fn network(admin: &Client) -> String {
    let (st, n) = admin.post("/api/v1/networks", json!({"name": "Partners"})).await;
    assert_eq!(st, StatusCode::CREATED, "{n}");
    id(&n)
}

/// A certified organization that accepted an invitation of type `ty`: its id, admin and unit.
async fn join(
    s: &TestServer,
    admin: &Client,
    net: &str,
    name: &str,
    login: &str,
    ty: &str,
) -> (String, Client, String) {
    let invite = json!({"partner_name": name, "partner_type": ty, "tier": "a"});
    let (st, inv) = admin.post(&format!("/api/v1/networks/{net}/invitations"), invite).await;
    assert_eq!(st, StatusCode::CREATED, "{inv}");
    let (org, partner_admin) = s.certified_org(name, login).await;
    let (st, unit) = partner_admin.post("/api/v1/invitations/accept", json!({"code": inv["code"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{unit}");
    (org, partner_admin, id(&unit))
}

/// Enables (or freezes) seats in `backbone`'s pool; `unit` for partner members.
async fn seats(admin: &Client, backbone: &str, unit: Option<&str>, members: &[&str], on: bool) -> (StatusCode, Value) {
    let verb = if on { "enable" } else { "freeze" };
    let body = json!({"unit_id": unit, "member_ids": members});
    admin.post(&format!("/api/v1/organizations/{backbone}/seats/{verb}"), body).await
}

async fn new_app(admin: &Client, name: &str) -> String {
    // A form app with one field; a server that does not know forms yet takes the name alone.
    let fields = json!([{"key": "note", "label": "Note", "kind": "text"}]);
    let (mut st, mut a) = admin.post("/api/v1/apps", json!({"name": name, "fields": fields})).await;
    if st == StatusCode::UNPROCESSABLE_ENTITY && a.to_string().contains("unknown field") {
        (st, a) = admin.post("/api/v1/apps", json!({"name": name})).await;
    }
    assert_eq!(st, StatusCode::CREATED, "{a}");
    id(&a)
}

/// Grant-and-revoke cycles between the two servers: 1000 on both backends (a debug build takes
/// about 40 ms a cycle on SQLite and 60 to 70 ms on PostgreSQL on two cores); SQLite would drop to
/// 300 if its run went past a minute. `KEIRETSU_ACCESS_CYCLES` overrides it.
fn cycles_for(db: Db) -> usize {
    if let Ok(n) = std::env::var("KEIRETSU_ACCESS_CYCLES") {
        return n.parse().unwrap();
    }
    match db {
        Db::Postgres | Db::Sqlite => 1000,
    }
}

// ----- the advanced index against a rebuilt one -----

/// The world the random sequence plays in, as the test knows it.
struct World {
    backbone: String,
    admin: Client,
    net: String,
    /// Index 0 is the backbone.
    orgs: Vec<OrgW>,
    members: Vec<MemberW>,
    /// `(department, organization index)`.
    deps: Vec<(String, usize)>,
    apps: Vec<String>,
    /// Readable names for ids in the step list.
    names: Vec<(String, String)>,
}

impl World {
    fn label(&self, text: &str) -> String {
        self.names.iter().fold(text.to_owned(), |t, (id, name)| t.replace(id.as_str(), &format!("{name}<{id}>")))
    }
}

struct OrgW {
    id: String,
    admin: Client,
    unit: Option<String>,
    certified: bool,
}

struct MemberW {
    id: String,
    login: String,
    org: usize,
    primary: bool,
    left: bool,
}

fn random_principal(rng: &mut StdRng, w: &World) -> Principal {
    match rng.random_range(0..6) {
        0 => Principal::Everyone,
        1 => Principal::Member(w.members.choose(rng).unwrap().id.clone()),
        2 => Principal::Department(w.deps.choose(rng).unwrap().0.clone()),
        3 => Principal::PartnerType(["supplier", "distributor"].choose(rng).unwrap().to_string()),
        4 => Principal::Unit(w.orgs[rng.random_range(1..w.orgs.len())].unit.clone().unwrap()),
        _ => Principal::Admins,
    }
}

fn random_audience(rng: &mut StdRng, w: &World) -> Audience {
    let units: Vec<String> = w.orgs[1..].iter().map(|o| o.unit.clone().unwrap()).collect();
    let unit_deps: Vec<String> = w.deps.iter().filter(|(_, o)| *o > 0).map(|(d, _)| d.clone()).collect();
    match rng.random_range(0..4) {
        0 => Audience::AllUnits,
        1 => {
            let n = rng.random_range(1..=2);
            Audience::PartnerTypes(["supplier", "distributor"].choose_multiple(rng, n).map(|t| t.to_string()).collect())
        }
        2 => {
            let n = rng.random_range(1..=3);
            Audience::Units(units.choose_multiple(rng, n).cloned().collect())
        }
        _ => {
            let n = rng.random_range(1..=2);
            Audience::Departments(unit_deps.choose_multiple(rng, n).cloned().collect())
        }
    }
}

/// Every decision of the live index against one built from the database now. Returns how many
/// decisions were allowed (so the caller knows the comparison was not trivially all denials).
async fn compare(s: &TestServer, w: &World, steps: &[String], seed: u64) -> usize {
    let revision = s.svc.journal().latest_revision().await.unwrap();
    let facts = keiretsu_testkit::store::apps::facts(s.svc.store()).await.unwrap();
    let fresh = keiretsu_testkit::store::apps::index(s.svc.store()).await.unwrap();
    let mut members: BTreeSet<String> = facts.members.iter().map(|m| m.id.clone()).collect();
    members.extend(w.members.iter().map(|m| m.id.clone()));
    let mut bad = Vec::new();
    let mut allowed = 0;
    {
        let live = s.svc.access_index(Some(revision)).await.unwrap();
        for app in &w.apps {
            for right in Right::ALL {
                for m in &members {
                    let (l, f) = (live.check(m, app, *right), fresh.check(m, app, *right));
                    if l != f {
                        bad.push(format!("check({m}, {app}, {}): live {l:?} rebuilt {f:?}", right.as_str()));
                    }
                    if l.allowed != live.allows(m, app, *right) {
                        bad.push(format!("allows({m}, {app}, {}) disagrees with check", right.as_str()));
                    }
                    allowed += usize::from(f.allowed);
                }
                let (l, f) =
                    (live.who_can(app, *right, None, usize::MAX), fresh.who_can(app, *right, None, usize::MAX));
                if l != f {
                    bad.push(format!("who_can({app}, {}): live {l:?} rebuilt {f:?}", right.as_str()));
                }
            }
        }
        for m in &members {
            let (l, f) = (live.apps_of(m, Right::Submit), fresh.apps_of(m, Right::Submit));
            if l != f {
                bad.push(format!("apps_of({m}): live {l:?} rebuilt {f:?}"));
            }
        }
    }
    if !bad.is_empty() {
        let who: Vec<String> = w.members.iter().map(|m| format!("{} = {} (org {})", m.login, m.id, m.org)).collect();
        panic!(
            "seed {seed}: the advanced index differs from a rebuilt one at revision {revision} ({} mismatches)\n\
             steps:\n{}\nmembers:\n{}\nfirst mismatches:\n{}",
            bad.len(),
            steps.join("\n"),
            who.join("\n"),
            bad.iter().take(12).map(|b| w.label(b)).collect::<Vec<_>>().join("\n")
        );
    }
    allowed
}

// ----- the oracle fixture -----

struct Person {
    login: String,
    id: String,
    /// Index into `Fixture::orgs`; 0 is the backbone.
    org: usize,
    deps: Vec<String>,
    seat: bool,
    admin: bool,
    active: bool,
    client: Option<Client>,
}

struct OrgD {
    /// `(unit, partner type)` for the partners.
    unit: Option<(String, &'static str)>,
}

struct AppD {
    id: String,
    name: &'static str,
    publication: Option<Audience>,
    /// `(name, rights, principals)`: every group the app has.
    groups: Vec<(&'static str, Vec<Right>, Vec<Principal>)>,
}

struct Fixture {
    orgs: Vec<OrgD>,
    people: Vec<Person>,
    /// Department to parent, for every organization.
    parents: HashMap<String, Option<String>>,
    apps: Vec<AppD>,
}

impl Fixture {
    /// Is `dep` the department `top` or below it?
    fn within(&self, dep: &str, top: &str) -> bool {
        let mut cur = Some(dep.to_owned());
        while let Some(d) = cur {
            if d == top {
                return true;
            }
            cur = self.parents.get(&d).cloned().flatten();
        }
        false
    }

    fn in_subtree(&self, p: &Person, top: &str) -> bool {
        p.deps.iter().any(|d| self.within(d, top))
    }

    /// The rules, applied to the description: an active member; of the owner (the backbone) or
    /// of a unit the app's publication reaches; a seat in the owner's pool; a group granting the
    /// right that names them.
    fn oracle(&self, p: &Person, a: &AppD, right: Right) -> bool {
        if !p.active {
            return false;
        }
        let unit = self.orgs[p.org].unit.as_ref();
        if p.org != 0 {
            let (Some((u, ty)), Some(audience)) = (unit, a.publication.as_ref()) else { return false };
            let reached = match audience {
                Audience::AllUnits => true,
                Audience::PartnerTypes(types) => types.iter().any(|t| t == ty),
                Audience::Units(units) => units.contains(u),
                Audience::Departments(deps) => deps.iter().any(|d| self.in_subtree(p, d)),
            };
            if !reached || matches!(right, Right::ViewAll | Right::Manage) {
                // Reading every submission and managing the app are the owner's alone.
                return false;
            }
        }
        if !p.seat {
            return false;
        }
        a.groups.iter().filter(|(_, rights, _)| rights.contains(&right)).any(|(_, _, principals)| {
            principals.iter().any(|x| match x {
                Principal::Everyone => true,
                Principal::Member(m) => *m == p.id,
                Principal::Department(d) => self.in_subtree(p, d),
                Principal::PartnerType(t) => unit.is_some_and(|(_, ty)| ty == t),
                Principal::Unit(u) => unit.is_some_and(|(id, _)| id == u),
                Principal::Admins => p.admin,
            })
        })
    }
}

/// Adds a member with a password in `deps`, and signs them in.
async fn person(s: &TestServer, admin: &Client, org: &str, login: &str, deps: &[&str]) -> (String, Client) {
    let m = add_member(admin, org, login, deps).await;
    (m, s.client_with(&s.token(login, Some(org)).await))
}

both! {
    async fn two_servers_never_give_a_stale_allow(db) {
        let started = Instant::now();
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let net = network(&admin).await;
        let (org, partner_admin, unit) = join(&s, &admin, &net, "Kato Metals", "kato.admin", "supplier").await;
        let member = add_member(&partner_admin, &org, "kato.staff", &[]).await;
        let (st, body) = seats(&admin, &backbone, Some(&unit), &[&member], true).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        let app = new_app(&admin, "Supplier onboarding").await;
        let (st, body, _) = write(&admin, Method::PUT, &format!("/api/v1/apps/{app}/publications/{net}"),
            Some(json!({"audience": {"kind": "partner_types", "ids": ["supplier"]}}))).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
        let group = format!("/api/v1/apps/{app}/permission-groups/everyone");
        let allow = [
            json!({"rights": ["submit"], "principals": [{"kind": "unit", "id": unit}]}),
            json!({"rights": ["submit"], "principals": [{"kind": "partner_type", "id": "supplier"}]}),
        ];
        let deny = json!({"rights": ["submit"], "principals": [{"kind": "partner_type", "id": "distributor"}]});
        let (st, _, _) = write(&admin, Method::PUT, &group, Some(deny.clone())).await;
        assert_eq!(st, StatusCode::NO_CONTENT);

        // Server B: its own service, pool and index on the same database, as a second process.
        let b = Client { base: s.twin().await, ..admin.clone() };
        let check = |at_least: Option<i64>| {
            let fresh = at_least.map(|r| format!("&at_least={r}")).unwrap_or_default();
            format!("/api/v1/apps/{app}/check?member_id={member}{fresh}")
        };
        let (st, d) = b.get(&check(None)).await;
        assert_eq!((st, d["allowed"].as_bool()), (StatusCode::OK, Some(false)), "{d}");

        // Each cycle grants by one path and revokes by the other, so every write flips the
        // decision: (a) a group naming the member's unit or type, then freezing the seat;
        // (b) enabling the seat, then a group naming only distributors.
        let cycles = cycles_for(db);
        let enable = |on: bool| {
            let verb = if on { "enable" } else { "freeze" };
            (format!("/api/v1/organizations/{backbone}/seats/{verb}"), json!({"unit_id": unit, "member_ids": [member]}))
        };
        let mut stale = Vec::new();
        let mut failed = Vec::new();
        let mut catch_ups: Vec<Option<Duration>> = Vec::new();
        let looped = Instant::now();
        for i in 0..cycles {
            let path_a = i % 2 == 0;
            let (st, body, rev) = if path_a {
                write(&admin, Method::PUT, &group, Some(allow[(i / 2) % 2].clone())).await
            } else {
                let (path, body) = enable(true);
                write(&admin, Method::POST, &path, Some(body)).await
            };
            assert!(st.is_success(), "cycle {i}: grant: {st} {body}");
            let rev = rev.unwrap_or_else(|| panic!("cycle {i}: the grant returned no revision"));
            if i % 100 == 0 {
                // Without at_least, B follows on its own (NOTIFY or polling) within two seconds.
                let t = Instant::now();
                let mut caught = None;
                while t.elapsed() < Duration::from_secs(5) {
                    let (st, d) = b.get(&check(None)).await;
                    assert_eq!(st, StatusCode::OK, "{d}");
                    if d["allowed"] == true {
                        caught = Some(t.elapsed());
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                catch_ups.push(caught);
            }
            let (st, d) = b.get(&check(Some(rev))).await;
            match (st, d["allowed"].as_bool()) {
                (StatusCode::OK, Some(true)) => {}
                (StatusCode::OK, Some(false)) => stale.push(format!("cycle {i}: denied after the grant at revision {rev}: {d}")),
                _ => failed.push(format!("cycle {i}: check after grant at {rev}: {st} {d}")),
            }
            let (st, body, rev) = if path_a {
                let (path, body) = enable(false);
                write(&admin, Method::POST, &path, Some(body)).await
            } else {
                write(&admin, Method::PUT, &group, Some(deny.clone())).await
            };
            assert!(st.is_success(), "cycle {i}: revoke: {st} {body}");
            let rev = rev.unwrap_or_else(|| panic!("cycle {i}: the revoke returned no revision"));
            let (st, d) = b.get(&check(Some(rev))).await;
            match (st, d["allowed"].as_bool()) {
                (StatusCode::OK, Some(false)) => {}
                (StatusCode::OK, Some(true)) => stale.push(format!("cycle {i}: STALE ALLOW after the revoke at revision {rev}: {d}")),
                _ => failed.push(format!("cycle {i}: check after revoke at {rev}: {st} {d}")),
            }
        }
        let per_cycle = looped.elapsed() / cycles as u32;
        println!(
            "{db:?}: {cycles} cycles in {:?} ({per_cycle:?} per cycle), {:?} in all; catch-up without at_least: {catch_ups:?}",
            looped.elapsed(),
            started.elapsed()
        );
        assert!(stale.is_empty(), "{} stale answers of {} checks: {:#?}", stale.len(), 2 * cycles, &stale[..stale.len().min(10)]);
        assert!(failed.is_empty(), "{} failed checks: {:#?}", failed.len(), &failed[..failed.len().min(10)]);
        assert!(
            catch_ups.iter().flatten().any(|t| *t < Duration::from_secs(2)),
            "server B never caught up on its own within 2 s: {catch_ups:?}"
        );
        assert!(catch_ups.iter().all(Option::is_some), "server B did not catch up within 5 s: {catch_ups:?}");
    }

    async fn an_advanced_index_equals_a_rebuilt_one(db) {
        let started = Instant::now();
        let seed: u64 = std::env::var("KEIRETSU_ACCESS_SEED").map(|s| s.parse().unwrap()).unwrap_or(0x6b65_6972);
        println!("seed {seed} (set KEIRETSU_ACCESS_SEED to replay another)");
        let mut rng = StdRng::seed_from_u64(seed);
        let s = TestServer::start(db).await;
        // Built before anything happens: everything below advances it entry by entry.
        drop(s.svc.access_index(None).await.unwrap());

        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let net = network(&admin).await;
        let root = root_department(&admin, &backbone).await;
        let sales = department(&admin, &backbone, "Sales", None).await;
        let east = department(&admin, &backbone, "Sales East", Some(&sales)).await;
        let ops = department(&admin, &backbone, "Ops", None).await;
        let mut w = World {
            backbone: backbone.clone(),
            admin: admin.clone(),
            net: net.clone(),
            orgs: vec![OrgW { id: backbone.clone(), admin: admin.clone(), unit: None, certified: true }],
            members: vec![MemberW { id: me(&admin).await, login: "hoshino.admin".into(), org: 0, primary: true, left: false }],
            deps: vec![(root.clone(), 0), (sales.clone(), 0), (east.clone(), 0), (ops.clone(), 0)],
            apps: Vec::new(),
            names: vec![
                (backbone.clone(), "Hoshino".into()),
                (root, "Hoshino/".into()),
                (sales.clone(), "Hoshino/Sales".into()),
                (east.clone(), "Hoshino/Sales/East".into()),
                (ops.clone(), "Hoshino/Ops".into()),
            ],
        };
        for (login, dep) in [("h.sales", &sales), ("h.east", &east), ("h.ops", &ops), ("h.root", &w.deps[0].0.clone())] {
            let m = add_member(&admin, &backbone, login, &[dep]).await;
            w.names.push((m.clone(), login.into()));
            w.members.push(MemberW { id: m, login: login.into(), org: 0, primary: false, left: false });
        }
        let partners =
            [("Kato Metals", "kato", "supplier"), ("Mori Plastics", "mori", "supplier"), ("Sato Retail", "sato", "distributor"), ("Ueda Trading", "ueda", "distributor")];
        for (name, login, ty) in partners {
            let (org, padmin, unit) = join(&s, &admin, &net, name, &format!("{login}.admin"), ty).await;
            let o = w.orgs.len();
            w.members.push(MemberW { id: me(&padmin).await, login: format!("{login}.admin"), org: o, primary: true, left: false });
            let root = root_department(&padmin, &org).await;
            let plant = department(&padmin, &org, "Plant", None).await;
            let line = department(&padmin, &org, "Line 1", Some(&plant)).await;
            let office = department(&padmin, &org, "Office", None).await;
            for (suffix, dep) in [("line", &line), ("plant", &plant), ("office", &office)] {
                let login = format!("{login}.{suffix}");
                let m = add_member(&padmin, &org, &login, &[dep]).await;
                w.names.push((m.clone(), login.clone()));
                w.members.push(MemberW { id: m, login, org: o, primary: false, left: false });
            }
            w.names.extend([
                (org.clone(), name.into()),
                (unit.clone(), format!("unit {name}")),
                (root.clone(), format!("{name}/")),
                (plant.clone(), format!("{name}/Plant")),
                (line.clone(), format!("{name}/Plant/Line 1")),
                (office.clone(), format!("{name}/Office")),
            ]);
            w.deps.extend([(root, o), (plant, o), (line, o), (office, o)]);
            w.orgs.push(OrgW { id: org, admin: padmin, unit: Some(unit), certified: true });
        }
        for name in ["Supplier onboarding", "Order request", "Quality audit"] {
            let app = new_app(&admin, name).await;
            w.names.push((app.clone(), name.into()));
            w.apps.push(app);
        }
        let admins: Vec<(String, String)> = w.members.iter().filter(|m| m.primary).map(|m| (m.id.clone(), m.login.clone())).collect();
        w.names.extend(admins);
        // A lively start: every app published to all units, every member seated.
        for app in &w.apps {
            let (st, body, _) = write(&admin, Method::PUT, &format!("/api/v1/apps/{app}/publications/{net}"),
                Some(json!({"audience": {"kind": "all_units"}}))).await;
            assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
        }
        for (o, org) in w.orgs.iter().enumerate() {
            let ids: Vec<&str> = w.members.iter().filter(|m| m.org == o).map(|m| m.id.as_str()).collect();
            let (st, body) = seats(&admin, &backbone, org.unit.as_deref(), &ids, true).await;
            assert_eq!(st, StatusCode::OK, "{body}");
        }
        let mut steps: Vec<String> = vec![format!("fixture: {} members, {} departments, {} apps", w.members.len(), w.deps.len(), w.apps.len())];
        let mut allowed = compare(&s, &w, &steps, seed).await;

        let mut ok = 0;
        let (mut removals, mut leaves) = (0, 0);
        const STEPS: usize = 60;
        for n in 1..=STEPS {
            // One unit is removed, after the first third; other draws of that step draw again.
            let kind = loop {
                let k = rng.random_range(0..22);
                if k < 21 || (removals == 0 && n > STEPS / 3) {
                    break k;
                }
            };
            let (what, st, answer): (String, StatusCode, Value) = match kind {
                // Seats: enable or freeze one member, or a few of one organization.
                0..=4 => {
                    let on = kind <= 2;
                    let m = &w.members[rng.random_range(0..w.members.len())];
                    let o = m.org;
                    let mut chosen = vec![m.id.clone()];
                    if rng.random_bool(0.3) {
                        chosen.extend(w.members.iter().filter(|x| x.org == o && x.id != m.id).take(2).map(|x| x.id.clone()));
                    }
                    let ids: Vec<&str> = chosen.iter().map(String::as_str).collect();
                    let (st, answer) = seats(&w.admin, &w.backbone, w.orgs[o].unit.as_deref(), &ids, on).await;
                    (format!("{} seats of {:?}", if on { "enable" } else { "freeze" }, ids), st, answer)
                }
                5..=8 => {
                    let app = w.apps.choose(&mut rng).unwrap().clone();
                    let group = ["everyone", "g1", "g2"].choose(&mut rng).unwrap();
                    let count = rng.random_range(1..=3);
                    let rights: Vec<Right> = Right::ALL.choose_multiple(&mut rng, count).copied().collect();
                    let count = rng.random_range(1..=2);
                    let principals: Vec<Principal> = (0..count).map(|_| random_principal(&mut rng, &w)).collect();
                    let req = json!({"rights": rights, "principals": principals});
                    let (st, answer, _) = write(&w.admin, Method::PUT, &format!("/api/v1/apps/{app}/permission-groups/{group}"), Some(req.clone())).await;
                    (format!("group {group} of {app} = {req}"), st, answer)
                }
                9..=11 => {
                    let app = w.apps.choose(&mut rng).unwrap().clone();
                    let audience = random_audience(&mut rng, &w);
                    let req = json!({"audience": audience});
                    let (st, answer, _) = write(&w.admin, Method::PUT, &format!("/api/v1/apps/{app}/publications/{}", w.net), Some(req.clone())).await;
                    (format!("publish {app} to {req}"), st, answer)
                }
                12 => {
                    let app = w.apps.choose(&mut rng).unwrap().clone();
                    let (st, answer, _) = write(&w.admin, Method::DELETE, &format!("/api/v1/apps/{app}/publications/{}", w.net), None).await;
                    (format!("unpublish {app}"), st, answer)
                }
                13 => {
                    // A member leaves, or one who left rejoins.
                    let gone: Vec<usize> = (0..w.members.len()).filter(|i| w.members[*i].left).collect();
                    if !gone.is_empty() && (leaves >= 4 || rng.random_bool(0.4)) {
                        let i = *gone.choose(&mut rng).unwrap();
                        let (m, o) = (&w.members[i], &w.orgs[w.members[i].org]);
                        let (st, answer) = o.admin.post(&format!("/api/v1/organizations/{}/members/{}/rejoin", o.id, m.id), json!({})).await;
                        let what = format!("{} rejoins", m.id);
                        if st.is_success() {
                            w.members[i].left = false;
                        }
                        (what, st, answer)
                    } else {
                        let here: Vec<usize> = (0..w.members.len()).filter(|i| !w.members[*i].left && !w.members[*i].primary).collect();
                        let i = *here.choose(&mut rng).unwrap();
                        let (m, o) = (&w.members[i], &w.orgs[w.members[i].org]);
                        let (st, answer) = o.admin.post(&format!("/api/v1/organizations/{}/members/{}/leave", o.id, m.id), json!({})).await;
                        let what = format!("{} leaves", m.id);
                        if st.is_success() {
                            w.members[i].left = true;
                            leaves += 1;
                        }
                        (what, st, answer)
                    }
                }
                14 | 15 => {
                    // A department moves under another of its organization (never its root).
                    let movable: Vec<&(String, usize)> = w.deps.iter().filter(|(d, o)| w.deps.iter().find(|x| x.1 == *o).unwrap().0 != *d).collect();
                    let (dep, o) = (*movable.choose(&mut rng).unwrap()).clone();
                    let targets: Vec<&String> = w.deps.iter().filter(|(d, x)| *x == o && *d != dep).map(|(d, _)| d).collect();
                    let parent = (*targets.choose(&mut rng).unwrap()).clone();
                    let org = &w.orgs[o];
                    let (st, answer, _) = write(&org.admin, Method::PATCH, &format!("/api/v1/organizations/{}/departments/{dep}", org.id),
                        Some(json!({"parent_id": parent}))).await;
                    (format!("move department {dep} under {parent}"), st, answer)
                }
                16 => {
                    let here: Vec<&MemberW> = w.members.iter().filter(|m| !m.left).collect();
                    let m = here.choose(&mut rng).unwrap();
                    let deps: Vec<&String> = w.deps.iter().filter(|(_, o)| *o == m.org).map(|(d, _)| d).collect();
                    let dep = deps.choose(&mut rng).unwrap();
                    let org = &w.orgs[m.org];
                    let (st, answer) = org.admin.post(&format!("/api/v1/organizations/{}/members/{}/transfer", org.id, m.id), json!({"department_ids": [dep]})).await;
                    (format!("transfer {} to {dep}", m.id), st, answer)
                }
                17 => {
                    // Admins principals follow role changes.
                    let here: Vec<&MemberW> = w.members.iter().filter(|m| !m.left && !m.primary).collect();
                    let m = here.choose(&mut rng).unwrap();
                    let role = if rng.random_bool(0.5) { json!({"role": "sub_admin", "scopes": ["apps"]}) } else { json!({"role": "member"}) };
                    let org = &w.orgs[m.org];
                    let (st, answer, _) = write(&org.admin, Method::PUT, &format!("/api/v1/organizations/{}/members/{}/role", org.id, m.id), Some(json!({"role": role}))).await;
                    (format!("role of {} = {role}", m.id), st, answer)
                }
                18 | 19 => {
                    // Decertification blocks the unit; certification again unblocks it.
                    let o = rng.random_range(1..w.orgs.len());
                    let to = if w.orgs[o].certified { Certification::Revoked } else { Certification::Certified };
                    let r = s.svc.directory().set_certification(&Caller::System, &OrgId::parse(&w.orgs[o].id).unwrap(), to).await;
                    if r.is_ok() {
                        w.orgs[o].certified = !w.orgs[o].certified;
                    }
                    let st = if r.is_ok() { StatusCode::OK } else { StatusCode::CONFLICT };
                    (format!("certification of {} = {to:?}", w.orgs[o].id), st, json!(format!("{r:?}")))
                }
                20 => {
                    // Partner intelligent entry: a unit department's members get seats.
                    let o = rng.random_range(1..w.orgs.len());
                    let deps: Vec<&String> = w.deps.iter().filter(|(_, x)| *x == o).map(|(d, _)| d).collect();
                    let dep = deps.choose(&mut rng).unwrap();
                    let req = json!({"unit_id": w.orgs[o].unit, "department_id": dep});
                    let (st, answer) = w.admin.post(&format!("/api/v1/organizations/{}/seats/entry-rules", w.backbone), req).await;
                    (format!("entry rule for {dep}"), st, answer)
                }
                _ => {
                    let o = rng.random_range(1..w.orgs.len());
                    let unit = w.orgs[o].unit.clone().unwrap();
                    let (st, answer, _) = write(&w.admin, Method::DELETE, &format!("/api/v1/networks/{}/units/{unit}", w.net), None).await;
                    removals += 1;
                    (format!("remove {unit}"), st, answer)
                }
            };
            ok += usize::from(st.is_success());
            let why = if st.is_success() { String::new() } else { format!(" {}", answer["detail"].as_str().unwrap_or(&answer.to_string())) };
            steps.push(w.label(&format!("{n}: {what} -> {st}{why}")));
            if n % 3 == 0 || n == STEPS {
                allowed += compare(&s, &w, &steps, seed).await;
            }
        }
        println!("{db:?}: {ok} of {STEPS} changes accepted, {allowed} allowed decisions compared, in {:?}", started.elapsed());
        println!("{}", steps.join("\n"));
        assert!(ok >= STEPS * 2 / 3, "too few changes were accepted to prove much:\n{}", steps.join("\n"));
        assert!(allowed > 200, "the comparisons saw almost no allowed decisions ({allowed})");
    }

    async fn check_lookup_and_workbench_agree_with_an_oracle(db) {
        let started = Instant::now();
        let s = TestServer::start(db).await;
        let (backbone, admin) = s.backbone("Hoshino", "hoshino.admin").await;
        let net = network(&admin).await;
        let mut fx = Fixture { orgs: vec![OrgD { unit: None }], people: Vec::new(), parents: HashMap::new(), apps: Vec::new() };

        // The backbone: two departments, an admin, members with and without seats, one who left.
        let root = root_department(&admin, &backbone).await;
        let eng = department(&admin, &backbone, "Engineering", None).await;
        let buy = department(&admin, &backbone, "Purchasing", None).await;
        fx.parents.extend([(root.clone(), None), (eng.clone(), Some(root.clone())), (buy.clone(), Some(root.clone()))]);
        let (_, admin_view) = admin.get(&format!("/api/v1/organizations/{backbone}/members/{}", me(&admin).await)).await;
        let admin_deps: Vec<String> = admin_view["department_ids"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
        fx.people.push(Person { login: "hoshino.admin".into(), id: id(&admin_view), org: 0, deps: admin_deps, seat: true, admin: true, active: true, client: Some(admin.clone()) });
        for (login, dep, seat) in [("h.eng1", &eng, true), ("h.eng2", &eng, false), ("h.buy1", &buy, true), ("h.gone", &buy, true)] {
            let (m, c) = person(&s, &admin, &backbone, login, &[dep]).await;
            fx.people.push(Person { login: login.to_string(), id: m, org: 0, deps: vec![dep.clone()], seat, admin: false, active: true, client: Some(c) });
        }

        // Three units: supplier A, supplier B (a nested Sales department), a distributor.
        struct Plan {
            name: &'static str,
            login: &'static str,
            ty: &'static str,
            admin_seat: bool,
            /// `(login, department key, seat)`; departments: "" root, "sales", "east".
            people: &'static [(&'static str, &'static str, bool)],
        }
        let plans = [
            Plan { name: "Kato Metals", login: "kato", ty: "supplier", admin_seat: false,
                people: &[("kato.a1", "", true), ("kato.a2", "", false)] },
            Plan { name: "Mori Plastics", login: "mori", ty: "supplier", admin_seat: false,
                people: &[("mori.east", "east", true), ("mori.root", "", true), ("mori.sales", "sales", false)] },
            Plan { name: "Sato Retail", login: "sato", ty: "distributor", admin_seat: true,
                people: &[("sato.d1", "", true), ("sato.d2", "sales", false)] },
        ];
        let mut mori_sales = String::new();
        for plan in &plans {
            let (org, padmin, unit) = join(&s, &admin, &net, plan.name, &format!("{}.admin", plan.login), plan.ty).await;
            let o = fx.orgs.len();
            fx.orgs.push(OrgD { unit: Some((unit.clone(), plan.ty)) });
            let root = root_department(&padmin, &org).await;
            let sales = department(&padmin, &org, "Sales", None).await;
            let east = department(&padmin, &org, "Sales East", Some(&sales)).await;
            fx.parents.extend([(root.clone(), None), (sales.clone(), Some(root.clone())), (east.clone(), Some(sales.clone()))]);
            if plan.login == "mori" {
                mori_sales = sales.clone();
            }
            let admin_id = me(&padmin).await;
            let (_, view) = padmin.get(&format!("/api/v1/organizations/{org}/members/{admin_id}")).await;
            let deps = view["department_ids"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
            let login = format!("{}.admin", plan.login);
            fx.people.push(Person { login, id: admin_id, org: o, deps, seat: plan.admin_seat, admin: true, active: true, client: Some(padmin.clone()) });
            for (login, key, seat) in plan.people {
                let dep = match *key { "sales" => &sales, "east" => &east, _ => &root };
                let (m, c) = person(&s, &padmin, &org, login, &[dep]).await;
                fx.people.push(Person { login: login.to_string(), id: m, org: o, deps: vec![dep.clone()], seat: *seat, admin: false, active: true, client: Some(c) });
            }
        }
        // Seats as described, one call per organization.
        for (o, org) in fx.orgs.iter().enumerate() {
            let unit = org.unit.as_ref().map(|(u, _)| u.as_str());
            let seated: Vec<&str> = fx.people.iter().filter(|p| p.org == o && p.seat).map(|p| p.id.as_str()).collect();
            if !seated.is_empty() {
                let (st, body) = seats(&admin, &backbone, unit, &seated, true).await;
                assert_eq!(st, StatusCode::OK, "{body}");
            }
        }
        // h.gone had a seat and left: inactive, and the seat went back to the pool.
        let gone = fx.people.iter_mut().find(|p| p.login == "h.gone").unwrap();
        let (st, body) = admin.post(&format!("/api/v1/organizations/{backbone}/members/{}/leave", gone.id), json!({})).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        (gone.active, gone.seat, gone.client) = (false, false, None);

        // The apps. Every group an app has is set here: the fixture overwrites both groups a new
        // app starts with ("everyone" and "reviewers"), so the oracle knows all of them.
        let units = |i: usize| fx.orgs[i].unit.as_ref().unwrap().0.clone();
        let eng1 = fx.people.iter().find(|p| p.login == "h.eng1").unwrap().id.clone();
        let onboarding = AppD {
            id: new_app(&admin, "Supplier onboarding").await,
            name: "Supplier onboarding",
            publication: Some(Audience::PartnerTypes(vec!["supplier".into()])),
            groups: vec![
                ("everyone", vec![Right::Submit, Right::ViewOwn], vec![Principal::Everyone]),
                ("reviewers", vec![Right::ViewAll, Right::Edit], vec![Principal::Admins]),
            ],
        };
        let orders = AppD {
            id: new_app(&admin, "Order request").await,
            name: "Order request",
            publication: Some(Audience::Units(vec![units(2), units(3)])),
            groups: vec![
                ("everyone", vec![Right::Submit, Right::ViewOwn],
                    vec![Principal::Department(mori_sales.clone()), Principal::PartnerType("distributor".into())]),
                ("reviewers", vec![Right::ViewAll], vec![Principal::Admins]),
            ],
        };
        let audit = AppD {
            id: new_app(&admin, "Internal audit").await,
            name: "Internal audit",
            publication: None,
            groups: vec![
                ("everyone", vec![Right::Submit, Right::Manage], vec![Principal::Admins]),
                ("reviewers", vec![Right::ViewAll], vec![Principal::Member(eng1)]),
            ],
        };
        for a in [&onboarding, &orders, &audit] {
            if let Some(audience) = &a.publication {
                let (st, body, _) = write(&admin, Method::PUT, &format!("/api/v1/apps/{}/publications/{net}", a.id), Some(json!({"audience": audience}))).await;
                assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
            }
            for (name, rights, principals) in &a.groups {
                let body = json!({"rights": rights, "principals": principals});
                let (st, body, _) = write(&admin, Method::PUT, &format!("/api/v1/apps/{}/permission-groups/{name}", a.id), Some(body)).await;
                assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
            }
        }
        fx.apps = vec![onboarding, orders, audit];

        // The oracle must not be trivial: it allows and denies both, in each app.
        let expected = |a: &AppD, right: Right| -> BTreeSet<String> {
            fx.people.iter().filter(|p| fx.oracle(p, a, right)).map(|p| p.id.clone()).collect()
        };
        let login_of = |m: &str| fx.people.iter().find(|p| p.id == m).map_or(m.to_owned(), |p| p.login.to_owned());
        let logins = |set: &BTreeSet<String>| set.iter().map(|m| login_of(m)).collect::<Vec<_>>();
        for a in &fx.apps {
            let n = expected(a, Right::Submit).len();
            assert!(n > 0 && n < fx.people.len(), "oracle for {}: {n}", a.id);
        }
        let mut errors = Vec::new();

        // check: every member x app x right, as the backbone's admin.
        for a in &fx.apps {
            for right in Right::ALL {
                for p in &fx.people {
                    let (st, d) = admin.get(&format!("/api/v1/apps/{}/check?member_id={}&right={}", a.id, p.id, right.as_str())).await;
                    let want = fx.oracle(p, a, *right);
                    if st != StatusCode::OK || d["allowed"].as_bool() != Some(want) {
                        errors.push(format!("check {} {} {}: want {want}, got {st} {d}", p.login, a.id, right.as_str()));
                    }
                }
            }
        }
        // who: paged by two, to the end.
        for a in &fx.apps {
            for right in Right::ALL {
                let mut got = Vec::new();
                let mut cursor: Option<String> = None;
                for page in 0.. {
                    assert!(page < 50, "who pages never end");
                    let after = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
                    let (st, body) = admin.get(&format!("/api/v1/apps/{}/who?right={}&limit=2{after}", a.id, right.as_str())).await;
                    assert_eq!(st, StatusCode::OK, "{body}");
                    let items = body["items"].as_array().unwrap_or_else(|| panic!("a page: {body}"));
                    assert!(items.len() <= 2, "{body}");
                    got.extend(items.iter().map(|m| m.as_str().unwrap().to_owned()));
                    match body["next_cursor"].as_str() {
                        Some(c) => cursor = Some(c.to_owned()),
                        None => break,
                    }
                }
                let set: BTreeSet<String> = got.iter().cloned().collect();
                assert_eq!(set.len(), got.len(), "who {} {} repeats members: {got:?}", a.id, right.as_str());
                assert!(got.windows(2).all(|p| p[0] < p[1]), "who pages come sorted: {got:?}");
                let want = expected(a, *right);
                if set != want {
                    errors.push(format!("who {} {}: want {:?}, got {:?}", a.id, right.as_str(), logins(&want), logins(&set)));
                }
            }
        }
        // The workbench of each member who can sign in, and usable apps as the admin sees them.
        for p in &fx.people {
            let want: BTreeSet<String> = fx.apps.iter().filter(|a| fx.oracle(p, a, Right::Submit)).map(|a| a.id.clone()).collect();
            if let Some(c) = &p.client {
                let (st, body) = c.get("/api/v1/workbench").await;
                assert_eq!(st, StatusCode::OK, "{body}");
                let got: BTreeSet<String> = body.as_array().unwrap().iter().map(id).collect();
                if got != want {
                    errors.push(format!("workbench of {}: want {want:?}, got {got:?}", p.login));
                }
            }
            let (st, body) = admin.get(&format!("/api/v1/apps/usable?member_id={}", p.id)).await;
            assert_eq!(st, StatusCode::OK, "{body}");
            let got: BTreeSet<String> = body.as_array().unwrap().iter().map(id).collect();
            if got != want {
                errors.push(format!("usable for {}: want {want:?}, got {got:?}", p.login));
            }
        }
        let apps: Vec<String> = fx.apps.iter().map(|a| a.id.clone()).collect();
        for a in &fx.apps {
            println!("{} ({}): submit by {:?}", a.name, a.id, logins(&expected(a, Right::Submit)));
        }
        println!("{db:?}: oracle test in {:?}", started.elapsed());
        assert!(errors.is_empty(), "apps {apps:?}: {} disagreements with the oracle:\n{}", errors.len(), errors.join("\n"));
    }

    // Token callers are cached per server; a revocation on another server still ends the token
    // here within the journal follower's wake-up, and on the revoking server at once.
    async fn a_token_revoked_on_one_server_stops_working_on_the_other(db) {
        let s = TestServer::start(db).await;
        let (org, admin) = s.org("Kasai Works", "kasai.admin").await;
        let (_, member) = s.member(&admin, &org, "kasai.staff").await;
        let (st, _) = member.get("/api/v1/me").await;
        assert_eq!(st, StatusCode::OK, "the token works and is now cached");
        let twin = Client { base: s.twin().await, ..member.clone() };
        let (_, tokens) = twin.get("/api/v1/tokens").await;
        let id = tokens["items"].as_array().or(tokens.as_array()).unwrap()[0]["id"].as_str().unwrap().to_owned();
        let (st, _) = twin.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        assert_eq!(twin.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "at once where it was revoked");
        let started = Instant::now();
        loop {
            let (st, _) = member.get("/api/v1/me").await;
            if st == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(st, StatusCode::OK);
            assert!(started.elapsed() < Duration::from_secs(3), "still accepted after 3 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
