//! `--access`: the access index at the size of issue 5 (a backbone with a network of 10,000 units
//! of 100 members, departments two levels deep, three partner types, 50 published apps with
//! permission groups, seats for most members), beside `cedar-policy` deciding the same model on the
//! same decisions. Prints figures, never asserts on time. In one run:
//!
//! 1. the index build from the database (`store::apps::index`, as the server builds it): time and resident
//!    memory, in a fresh child process (`--access-probe URL`) so the generator's heap does not count,
//!    and once more in this process;
//! 2. in-process decisions on a fixed sample: `Index::allows` (no reasons) and `Index::check` (with
//!    reasons), one `Instant` pair around each call;
//! 3. Cedar on the same decisions, each with its own entity slice (the principal, its department
//!    chain, its unit, the unit's type and network, the app) built outside the timing, so only
//!    `Authorizer::is_authorized` is timed; every Cedar answer is compared with `Index::allows`;
//! 4. `Index::who_can` (first page of 50) for the app published to a partner type of ~100,000 people;
//! 5. the check over HTTP on loopback: the real server on the generated database, a bearer token of
//!    the backbone's admin, two keep-alive clients; with `GET /healthz` and the in-process
//!    `Service::token` and `Service::check_access` as the split.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use keiretsu_domain::access::{AppFacts, Audience, Facts, Index, MemberFacts, Principal, Right, UnitFacts};
use keiretsu_domain::ids::{AppId, DepartmentId, NetworkId, OrgId, UnitId};
use keiretsu_service::apps::CheckQuery;
use keiretsu_service::identity::NewToken;
use keiretsu_service::license::LicenseChange;
use keiretsu_service::{Backend, Caller, Service, Settings, SystemClock, random_id_bytes};
use keiretsu_store::Col::{BigInt, Text};
use keiretsu_store::apps::{self as apps_store, AppRow};
use keiretsu_store::directory as dir;
use keiretsu_store::network::{self as net, NetworkRow, PartnerTypeRow};
use keiretsu_store::{Store, insert_json};
use serde_json::{Value, json};

use crate::network::{DEPARTMENT_COLS, ORG_COLS, TIERS, UNIT_COLS, new_id, now_millis, person};
use crate::{cores, mem};

const BACKBONE_MEMBERS: usize = 5000;
const BACKBONE_TOPS: usize = 10;
const BACKBONE_SUBS: usize = 4;
const APPS: usize = 50;
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
const LOOKUP_RUNS: usize = 20;
/// The bearer token the bench's own server asks for on `/metrics`.
const BENCH_METRICS_TOKEN: &str = "bench-metrics";
const LOOKUP_PAGE: usize = 50;
/// Decisions per batch of prebuilt Cedar slices (bounded memory at any sample size).
const CEDAR_CHUNK: usize = 2000;
const PROBE: &str = "ACCESS_PROBE";
/// Cedar with every app's policies in one set takes a few hundred microseconds a decision: it runs
/// on the first this many decisions only (the app's own policies run on all of them).
const CEDAR_ALL_MAX: usize = 20_000;

pub struct Args {
    pub units: usize,
    pub unit_members: usize,
    /// In-process decisions sampled (index and Cedar run all of them).
    pub decisions: usize,
    /// Check requests over HTTP (both clients together).
    pub http: usize,
}

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

struct Fixture {
    backbone: OrgId,
    /// The app published to the largest audience (a partner type of ~100,000 people).
    lookup_app: String,
    departments: String,
    seats: usize,
}

/// What one database measured: rows of `(figure, index, cedar, ratio, target)`.
pub struct Results {
    pub db: &'static str,
    pub header: String,
    pub rows: Vec<[String; 5]>,
    pub notes: Vec<String>,
}

pub async fn bench(db: &'static str, url: &str, args: &Args) -> anyhow::Result<Results> {
    let people = args.units * args.unit_members;
    println!(
        "\n== {db}: access, {} units x {} members ({people} people) + {BACKBONE_MEMBERS} backbone members, {APPS} apps",
        args.units, args.unit_members
    );
    let store = keiretsu_service::open_store(url, 8).await?;
    // Signing in is not measured here: cheap hashing keeps the setup short.
    let settings = Settings { argon2_memory_kib: 8 * 1024, argon2_iterations: 1, ..Settings::default() };
    let svc = Service::new(store, Arc::new(SystemClock), settings).await?;
    let result = run(db, url, &svc, args).await;
    svc.store().close().await;
    result
}

async fn run(db: &'static str, url: &str, svc: &Service, args: &Args) -> anyhow::Result<Results> {
    let start = Instant::now();
    let fx = generate(svc, url, args).await?;
    let generated = start.elapsed();
    println!("generated in {:.1} s", generated.as_secs_f64());
    let mut rows: Vec<[String; 5]> = vec![];
    let mut notes = vec![];

    // 1. The build, first in a fresh process, then here (the index the rest uses).
    let probe = run_probe(url).await?;
    println!(
        "build (fresh process): store::apps::index {:.2} s; RSS {} MiB before, {} MiB after, peak {} MiB",
        probe.build.as_secs_f64(),
        probe.rss_before / 1024,
        probe.rss_after / 1024,
        probe.hwm / 1024
    );
    let t = Instant::now();
    let index = apps_store::index(svc.store()).await?;
    let build = t.elapsed();
    // The owned facts, for the sample and the peer: not part of the index's build.
    let facts = apps_store::facts(svc.store()).await?;
    rows.push(row("build from DB, fresh process: store::apps::index", secs(probe.build), "", "", "< 5 s"));
    rows.push(row(
        "  resident: peak / after the build",
        format!("{} / {} MiB", probe.hwm / 1024, probe.rss_after / 1024),
        "",
        "",
        "< 2048 MiB",
    ));
    rows.push(row("build again in the bench process", secs(build), "", "", ""));
    let members = facts.members.len();
    let departments = facts.departments.len();
    let units = facts.units.len();
    notes.push(format!(
        "data: {members} members ({} units x {} + {BACKBONE_MEMBERS} backbone + admin), {units} units (blocked 1%, \
         removed 0.2% not counted), {departments} departments ({}), {} seats, {} apps; generated in {:.1} s",
        args.units,
        args.unit_members,
        fx.departments,
        fx.seats,
        facts.apps.len(),
        generated.as_secs_f64()
    ));

    // 2. In-process decisions.
    // The ids are copied out in decision order, as a request would carry them (not scattered over
    // the facts), so a call starts from ids in cache like a handler's.
    let owned: Vec<(Box<str>, Box<str>)> =
        sample(&facts, fx.backbone.as_str(), args.decisions).into_iter().map(|(m, a)| (m.into(), a.into())).collect();
    let decisions: Vec<(&str, &str)> = owned.iter().map(|(m, a)| (&**m, &**a)).collect();
    let floor = timer_floor();
    let mut lookup_ns = id_lookup_floor(&facts, &decisions);
    for (m, a) in decisions.iter().take(20_000) {
        black_box(index.allows(m, a, Right::Submit));
    }
    let (mut allows_ns, allowed) = time_each(&decisions, |m, a| index.allows(m, a, Right::Submit));
    let (mut check_ns, checked) = time_each(&decisions, |m, a| index.check(m, a, Right::Submit).allowed);
    let (mut words_ns, _) = time_each(&decisions, |m, a| index.check(m, a, Right::Submit).decision().allowed);
    anyhow::ensure!(allowed == checked, "allows said yes {allowed} times, check {checked}");
    let t = Instant::now();
    for (m, a) in &decisions {
        black_box(index.allows(m, a, Right::Submit));
    }
    let mean_allows = t.elapsed().as_nanos() as f64 / decisions.len() as f64;
    let t = Instant::now();
    for (m, a) in &decisions {
        black_box(index.check(m, a, Right::Submit));
    }
    let mean_check = t.elapsed().as_nanos() as f64 / decisions.len() as f64;
    let allows_each = allows_ns.clone();
    let (a50, a99) = (pct(&mut allows_ns, 0.5), pct(&mut allows_ns, 0.99));
    let (c50, c99) = (pct(&mut check_ns, 0.5), pct(&mut check_ns, 0.99));
    println!(
        "index: {} decisions, {allowed} allowed; allows p50 {} p99 {}; check p50 {} p99 {} (timer floor {} ns)",
        decisions.len(),
        us(a50),
        us(a99),
        us(c50),
        us(c99),
        floor
    );

    // 3. Cedar on the same decisions.
    let cedar = cedar(&facts, &index, &decisions)?;
    let slice_ns = cedar.slice_ns;
    let (mut all_ns, mut app_ns) = (cedar.all.samples.clone(), cedar.per_app.samples.clone());
    let (f50, f99) = (pct(&mut all_ns, 0.5), pct(&mut all_ns, 0.99));
    let (e50, e99) = (pct(&mut app_ns, 0.5), pct(&mut app_ns, 0.99));
    println!(
        "cedar: all {} policies p50 {} p99 {}; the app's policies (at most {}) p50 {} p99 {}; slice {} each; \
         mismatches {} / {}, evaluation errors {} / {}",
        cedar.all.policies,
        us(f50),
        us(f99),
        cedar.per_app.policies,
        us(e50),
        us(e99),
        us(slice_ns as u64),
        cedar.all.mismatches,
        cedar.per_app.mismatches,
        cedar.all.errors,
        cedar.per_app.errors
    );
    let ratio = |c: u64, i: u64| format!("{:.0}x", c as f64 / (i.max(1)) as f64);
    let per_app_label = format!("Cedar: the app's {} policies", cedar.per_app.policies);
    rows.push(row(
        &format!("decision p50, index allows / {per_app_label}"),
        us(a50),
        us(e50),
        ratio(e50, a50),
        "< 0.5 us, >= 10x",
    ));
    rows.push(row(
        &format!("decision p99, index allows / {per_app_label}"),
        us(a99),
        us(e99),
        ratio(e99, a99),
        "< 2 us",
    ));
    rows.push(row("decision p50, index check (reasons) / same Cedar", us(c50), us(e50), ratio(e50, c50), "< 0.5 us"));
    rows.push(row("decision p99, index check (reasons) / same Cedar", us(c99), us(e99), ratio(e99, c99), "< 2 us"));
    rows.push(row(
        "  check with the reasons put in words (as the API shows them), p50 / p99",
        format!("{} / {}", us(pct(&mut words_ns, 0.5)), us(pct(&mut words_ns, 0.99))),
        "",
        "",
        "",
    ));
    rows.push(row(
        &format!(
            "decision p50 / p99, Cedar: all {} policies in one set (first {})",
            cedar.all.policies,
            cedar.all.samples.len()
        ),
        "",
        format!("{} / {}", us(f50), us(f99)),
        ratio(f50, a50),
        "",
    ));
    let mean = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
    let mean_cedar = mean(&cedar.per_app.samples);
    rows.push(row(
        &format!("  floor: one member id -> number in a map of {} ids, p50 / p99", facts.members.len()),
        format!("{} / {}", us(pct(&mut lookup_ns, 0.5)), us(pct(&mut lookup_ns, 0.99))),
        "",
        "",
        "",
    ));
    rows.push(row(
        "decision mean: untimed index loop (allows / check) / Cedar",
        format!("{} / {}", us(mean_allows as u64), us(mean_check as u64)),
        us(mean_cedar as u64),
        ratio(mean_cedar as u64, mean_allows as u64),
        "",
    ));
    rows.push(row(
        "Cedar entity slice per request (outside its timing), mean",
        "",
        us(slice_ns as u64),
        format!("{:.0}x", (slice_ns + mean_cedar) / mean_allows.max(1.0)),
        "",
    ));
    rows.push(row(
        "same answer as the index (Cedar = allows)",
        format!("{allowed} allowed of {}", decisions.len()),
        format!(
            "{} + {} mismatches, {} errors",
            cedar.per_app.mismatches,
            cedar.all.mismatches,
            cedar.per_app.errors + cedar.all.errors
        ),
        "",
        "0 mismatches",
    ));
    // By the kind of audience the app is published to: where the time goes.
    let kind_of: HashMap<&str, &str> = facts
        .apps
        .iter()
        .map(|a| {
            let kind = match a.publications.first().map(|p| &p.1) {
                None => "unpublished (owner only)",
                Some(Audience::AllUnits) => "all units",
                Some(Audience::PartnerTypes(_)) => "partner types",
                Some(Audience::Units(_)) => "unit lists",
                Some(Audience::Departments(_)) => "departments of units",
            };
            (a.id.as_str(), kind)
        })
        .collect();
    for kind in ["all units", "partner types", "unit lists", "departments of units", "unpublished (owner only)"] {
        let pick = |v: &[u64]| -> Vec<u64> {
            decisions.iter().zip(v).filter(|((_, a), _)| kind_of.get(a) == Some(&kind)).map(|(_, ns)| *ns).collect()
        };
        let (mut i, mut c) = (pick(&allows_each), pick(&cedar.per_app.samples));
        if i.is_empty() {
            continue;
        }
        let n = i.len();
        rows.push(row(
            &format!("  p50 / p99 by audience: {kind} ({n})"),
            format!("{} / {}", us(pct(&mut i, 0.5)), us(pct(&mut i, 0.99))),
            format!("{} / {}", us(pct(&mut c, 0.5)), us(pct(&mut c, 0.99))),
            "",
            "",
        ));
    }
    notes.push(format!(
        "decisions: {} (member, app) pairs, members uniform over the network plus 5% backbone, apps uniform, right \
         submit; {:.0}% allowed; index latencies with one Instant pair per call (the pair alone costs {floor} ns, \
         not subtracted)",
        decisions.len(),
        allowed as f64 * 100.0 / decisions.len() as f64
    ));
    notes.push(format!(
        "Cedar: cedar-policy 4.x without default features, schema-less; policies: forbid unless active, forbid unless \
         seat, per app a forbid unless an owner member or reached by a publication, per permission group a permit \
         ({} in all); measured with the requested app's policies only (at most {}, the headline ratio) on every \
         decision, and with all of them in one set on the first {}; every request gets its own entity slice (user with its \
         departments and unit as parents, the department chain, unit with its partner type as parent, network, app), \
         built outside the timing (mean {} per slice, shown apart); all 1M users in one Entities is what the issue's \
         peer measured at ~52 s and ~10 GB, so it is not done; ratio = Cedar / index",
        cedar.all.policies,
        cedar.per_app.policies,
        cedar.all.samples.len(),
        us(slice_ns as u64)
    ));
    for m in &cedar.shown {
        notes.push(format!("MISMATCH {m}"));
    }

    // 4. Lookup: who can use the app published to the largest audience, a page at a time (as the
    // API serves it), from the start and from the middle; and the whole count, as the
    // publication preview needs it.
    let timed = |f: &dyn Fn() -> usize| {
        let mut runs: Vec<u64> = (0..=LOOKUP_RUNS)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed().as_nanos() as u64
            })
            .collect();
        runs.remove(0);
        (pct(&mut runs, 0.5), pct(&mut runs, 1.0))
    };
    let reach = index.count_who_can(&fx.lookup_app, Right::Submit);
    let first = index.who_can(&fx.lookup_app, Right::Submit, None, LOOKUP_PAGE);
    let middle = index.who_can(&fx.lookup_app, Right::Submit, None, reach / 2).pop();
    anyhow::ensure!(first.len() == LOOKUP_PAGE.min(reach), "a first page of {} for a reach of {reach}", first.len());
    let (l50, lmax) = timed(&|| index.who_can(&fx.lookup_app, Right::Submit, None, LOOKUP_PAGE).len());
    let (m50, mmax) = timed(&|| index.who_can(&fx.lookup_app, Right::Submit, middle.as_deref(), LOOKUP_PAGE).len());
    let (n50, nmax) = timed(&|| index.count_who_can(&fx.lookup_app, Right::Submit));
    println!("lookup: who_can reaches {reach}; first page p50 {} max {}; count p50 {}", ms(l50), ms(lmax), ms(n50));
    rows.push(row(
        &format!("lookup who_can, app reaching {reach}, first page of {LOOKUP_PAGE}, p50 / max"),
        format!("{} / {}", ms(l50), ms(lmax)),
        "",
        "",
        "< 50 ms",
    ));
    rows.push(row(
        "  a page from the middle (cursor), p50 / max",
        format!("{} / {}", ms(m50), ms(mmax)),
        "",
        "",
        "< 50 ms",
    ));
    rows.push(row(
        "  count of all of them (publication preview), p50 / max",
        format!("{} / {}", ms(n50), ms(nmax)),
        "",
        "",
        "",
    ));
    let mut workbench = vec![];
    for (m, _) in decisions.iter().take(2000) {
        let t = Instant::now();
        black_box(index.apps_of(m, Right::Submit));
        workbench.push(t.elapsed().as_nanos() as u64);
    }
    rows.push(row(
        "workbench apps_of (50 apps), p50 / p99",
        format!("{} / {}", us(pct(&mut workbench, 0.5)), us(pct(&mut workbench, 0.99))),
        "",
        "",
        "",
    ));

    // 5. Over HTTP.
    let http = http(svc, &fx, &index, &decisions, args.http).await?;
    rows.push(row(
        "HTTP check (2 keep-alive clients), p50 / p99",
        format!("{} / {}", us(http.check.0), us(http.check.1)),
        "",
        "",
        "p50 < 60 us",
    ));
    rows.push(row(
        "  floor: GET /healthz, p50 / p99",
        format!("{} / {}", us(http.health.0), us(http.health.1)),
        "",
        "",
        "",
    ));
    rows.push(row(
        "  in process: Service::token (bearer auth), p50 / p99",
        format!("{} / {}", us(http.token.0), us(http.token.1)),
        "",
        "",
        "",
    ));
    rows.push(row(
        "  inside the server (its metrics), mean: check / healthz",
        format!("{} / {}", us(http.inside.0), us(http.inside.1)),
        "",
        "",
        "",
    ));
    rows.push(row(
        "  in process: Service::check_access, p50 / p99",
        format!("{} / {}", us(http.service.0), us(http.service.1)),
        "",
        "",
        "",
    ));
    rows.push(row("  server's own index build on first use", secs(http.server_build), "", "", ""));
    rows.push(row("  server ready after it starts serving (people index built)", secs(http.ready), "", "", ""));
    notes.push(format!(
        "HTTP: GET /api/v1/apps/{{app}}/check?member_id=... with the backbone admin's bearer token, {} requests over \
         two keep-alive connections from a client process of its own (one thread each, raw HTTP/1.1); the server runs \
         on this process's {} runtime threads; {} answers differed from the index",
        http.requests,
        cores(),
        http.mismatches
    ));

    notes.push(format!(
        "load average (1, 5, 15 min) at the end: {} (other work on this machine shows here)",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let header =
        format!("{db}: {members} members, {units} units, {} apps, {} decisions", facts.apps.len(), decisions.len());
    print_rows(&rows);
    Ok(Results { db, header, rows, notes })
}

fn row(
    name: &str,
    index: impl Into<String>,
    cedar: impl Into<String>,
    ratio: impl Into<String>,
    target: &str,
) -> [String; 5] {
    [name.to_owned(), index.into(), cedar.into(), ratio.into(), target.to_owned()]
}

fn print_rows(rows: &[[String; 5]]) {
    let header = ["figure", "index", "cedar-policy", "ratio", "target"].map(str::to_owned);
    for r in std::iter::once(&header).chain(rows) {
        println!("{:<56} {:>24} {:>26} {:>7}   {}", r[0], r[1], r[2], r[3], r[4]);
    }
}

pub fn print_summary(args: &Args, postgres: bool, results: &[Results]) {
    println!("\n== Access summary ({} cores, {} {})", cores(), std::env::consts::OS, std::env::consts::ARCH);
    println!(
        "command: cargo run --release -p keiretsu-bench -- --access --units {} --unit-members {} --decisions {} \
         --http-requests {}{}",
        args.units,
        args.unit_members,
        args.decisions,
        args.http,
        if postgres { " --postgres" } else { "" }
    );
    for r in results {
        println!("\n{} ({})", r.header, r.db);
        print_rows(&r.rows);
        for n in &r.notes {
            println!("- {n}");
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn us(ns: u64) -> String {
    format!("{:.2} us", ns as f64 / 1000.0)
}

fn ms(ns: u64) -> String {
    format!("{:.1} ms", ns as f64 / 1e6)
}

/// Nearest-rank percentile of nanoseconds.
fn pct(samples: &mut [u64], q: f64) -> u64 {
    samples.sort_unstable();
    samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0)
}

/// The Fx hash (as `rustc-hash`, which the index uses), for the id-lookup floor.
#[derive(Default)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..c.len()].copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a decision cannot go below at this size: finding the member's id among all ids (one
/// lookup of a string key in a hash map of every member, as the index's first step), per call.
fn id_lookup_floor(facts: &Facts, decisions: &[(&str, &str)]) -> Vec<u64> {
    let ids: HashMap<Box<str>, u32, std::hash::BuildHasherDefault<Fx>> =
        facts.members.iter().enumerate().map(|(i, m)| (m.id.as_str().into(), i as u32)).collect();
    time_each(decisions, |m, _| ids.contains_key(m)).0
}

/// What a pair of `Instant::now()` costs by itself (p50, ns).
fn timer_floor() -> u64 {
    let mut v: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            t.elapsed().as_nanos() as u64
        })
        .collect();
    pct(&mut v, 0.5)
}

/// Times each decision on its own; returns the nanoseconds and how many were allowed.
fn time_each(decisions: &[(&str, &str)], mut f: impl FnMut(&str, &str) -> bool) -> (Vec<u64>, usize) {
    let mut out = Vec::with_capacity(decisions.len());
    let mut allowed = 0;
    for (m, a) in decisions {
        let t = Instant::now();
        let ok = black_box(f(black_box(*m), black_box(*a)));
        out.push(t.elapsed().as_nanos() as u64);
        allowed += usize::from(ok);
    }
    (out, allowed)
}

/// A small deterministic generator (splitmix64): the same sample every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// `n` (member, app) pairs: members uniform over everyone plus 5% from the backbone, apps uniform.
fn sample<'a>(facts: &'a Facts, backbone: &str, n: usize) -> Vec<(&'a str, &'a str)> {
    let mut rng = Rng(42);
    let own: Vec<&MemberFacts> = facts.members.iter().filter(|m| m.org == backbone).collect();
    (0..n)
        .map(|i| {
            let m = if i % 20 == 0 && !own.is_empty() {
                own[rng.below(own.len())]
            } else {
                &facts.members[rng.below(facts.members.len())]
            };
            (m.id.as_str(), facts.apps[rng.below(facts.apps.len())].id.as_str())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The build in a fresh process.

struct Probe {
    build: Duration,
    rss_before: u64,
    rss_after: u64,
    hwm: u64,
}

/// `--access-probe URL`: loads the facts and builds the index in this (fresh) process, then prints
/// one line of figures for the parent.
pub async fn probe(url: &str) -> anyhow::Result<()> {
    let (rss_before, _) = mem();
    // As many connections as the server's pool gives the build.
    let store = Store::open(url, 4).await?;
    let t = Instant::now();
    let index = apps_store::index(&store).await?;
    let build = t.elapsed();
    let (rss_after, hwm) = mem();
    black_box(&index);
    store.close().await;
    println!(
        "{PROBE} {}",
        json!({ "build_ns": build.as_nanos() as u64, "rss_before": rss_before, "rss_after": rss_after, "hwm": hwm })
    );
    Ok(())
}

async fn run_probe(url: &str) -> anyhow::Result<Probe> {
    let exe = std::env::current_exe()?;
    let url = url.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe).args(["--access-probe", &url]).stderr(std::process::Stdio::inherit()).output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(PROBE))
        .with_context(|| format!("the build probe printed no figures ({})", out.status))?;
    let v: Value = serde_json::from_str(line.trim())?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Ok(Probe {
        build: Duration::from_nanos(n("build_ns")),
        rss_before: n("rss_before"),
        rss_after: n("rss_after"),
        hwm: n("hwm"),
    })
}

// ---------------------------------------------------------------------------------------------
// The data.

async fn generate(svc: &Service, url: &str, args: &Args) -> anyhow::Result<Fixture> {
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
            visibility: "own".into(),
            created_at: now,
        },
    )
    .await?;
    let tiers = serde_json::to_string(&TIERS.iter().map(|t| json!({ "name": t, "policy": "" })).collect::<Vec<_>>())?;
    for key in [SUPPLIER, DISTRIBUTOR, SERVICE] {
        let t = PartnerTypeRow {
            network_id: network.clone(),
            key: key.into(),
            name: key.replace('_', " "),
            tiers: tiers.clone(),
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
        if m.status == "active" && j % 20 != 7 {
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
                    m.role = "primary_admin".into();
                    m.status = "active".into();
                    m.left_at = None;
                }
                // Everyone in one department (the six in turn); every tenth also in a second one.
                let mut of = vec![deps[k % deps.len()].clone()];
                if k % 10 == 9 {
                    of.push(deps[(k + 1) % deps.len()].clone());
                }
                if m.status == "active" && g % 10 != 3 {
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

// ---------------------------------------------------------------------------------------------
// Cedar.

/// One way of giving Cedar its policies, measured on every decision.
struct CedarWay {
    policies: usize,
    /// Nanoseconds per decision, in decision order.
    samples: Vec<u64>,
    mismatches: usize,
    errors: usize,
}

struct CedarRun {
    /// Every app's policies in one set (Cedar evaluates each policy on each request).
    all: CedarWay,
    /// Only the requested app's policies (the two global forbids, its reach forbid, its groups).
    per_app: CedarWay,
    slice_ns: f64,
    shown: Vec<String>,
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn uids<'a>(ty: &str, ids: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = ids.into_iter().map(|i| format!("{ty}::{}", quote(i))).collect();
    format!("[{}]", list.join(", "))
}

/// The access model as Cedar policies. A decision is allowed when some permit holds and no forbid
/// does: the conditions every decision needs are forbids, the permission groups are permits.
///
/// `only`: the policies of one app (with the two that hold for every app), or of all apps.
fn cedar_policies(facts: &Facts, only: Option<&str>) -> String {
    let mut p = String::new();
    p += "@id(\"active\")\nforbid (principal, action, resource) unless { principal.active };\n";
    p += "@id(\"seat\")\nforbid (principal, action, resource) unless { principal.seats.contains(resource.org) };\n";
    for a in facts.apps.iter().filter(|a| only.is_none_or(|id| a.id == id)) {
        let app = quote(&a.id);
        let mut reach = "principal.org == resource.org".to_owned();
        if !a.publications.is_empty() {
            let pubs: Vec<String> = a
                .publications
                .iter()
                .map(|(network, audience)| {
                    let names = match audience {
                        Audience::AllUnits => "true".to_owned(),
                        Audience::PartnerTypes(t) => {
                            format!("principal.unit in {}", uids("Type", t.iter().map(String::as_str)))
                        }
                        Audience::Units(u) => {
                            format!("principal.unit in {}", uids("Unit", u.iter().map(String::as_str)))
                        }
                        Audience::Departments(d) => {
                            format!("principal in {}", uids("Dept", d.iter().map(String::as_str)))
                        }
                    };
                    format!("(principal.unit.network == Network::{} && {names})", quote(network))
                })
                .collect();
            let _ = write!(
                reach,
                " || (principal has unit && principal.unit.active && principal.unit.network.owner == resource.org \
                 && ({}))",
                pubs.join(" || ")
            );
        }
        let _ = writeln!(
            p,
            "@id(\"reach {}\")\nforbid (principal, action, resource == App::{app}) unless {{ {reach} }};",
            a.id
        );
        for (group, rights, principals) in &a.groups {
            let actions = uids("Action", rights.iter().map(|r| r.as_str()));
            let who: Vec<String> = principals
                .iter()
                .map(|x| match x {
                    Principal::Everyone => "true".to_owned(),
                    Principal::Member(m) => format!("principal == User::{}", quote(m)),
                    Principal::Department(d) => format!("principal in Dept::{}", quote(d)),
                    Principal::PartnerType(t) => format!("principal in Type::{}", quote(t)),
                    Principal::Unit(u) => format!("principal in Unit::{}", quote(u)),
                    Principal::Admins => "principal.admin".to_owned(),
                })
                .collect();
            let who = if who.is_empty() { "false".to_owned() } else { who.join(" || ") };
            let _ = writeln!(
                p,
                "@id(\"group {} {group}\")\npermit (principal, action in {actions}, resource == App::{app}) when {{ {who} }};",
                a.id
            );
        }
    }
    p
}

struct Types {
    user: EntityTypeName,
    dept: EntityTypeName,
    unit: EntityTypeName,
    ty: EntityTypeName,
    network: EntityTypeName,
    org: EntityTypeName,
    app: EntityTypeName,
    action: EntityTypeName,
}

impl Types {
    fn new() -> anyhow::Result<Types> {
        let t = |s: &str| EntityTypeName::from_str(s).map_err(|e| anyhow::anyhow!("{e}"));
        Ok(Types {
            user: t("User")?,
            dept: t("Dept")?,
            unit: t("Unit")?,
            ty: t("Type")?,
            network: t("Network")?,
            org: t("Org")?,
            app: t("App")?,
            action: t("Action")?,
        })
    }
}

fn uid(t: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id))
}

fn entity_ref(t: &EntityTypeName, id: &str) -> RestrictedExpression {
    RestrictedExpression::new_entity_uid(uid(t, id))
}

fn entity(u: EntityUid, attrs: Vec<(&str, RestrictedExpression)>, parents: Vec<EntityUid>) -> anyhow::Result<Entity> {
    let attrs: HashMap<String, RestrictedExpression> = attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Entity::new(u, attrs, parents.into_iter().collect()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The facts by id, to cut a per-request slice of entities.
struct Slicer<'a> {
    t: Types,
    members: HashMap<&'a str, &'a MemberFacts>,
    parents: HashMap<&'a str, &'a str>,
    /// The units of an organization (a unit organization is in one network in this data).
    units: HashMap<&'a str, Vec<&'a UnitFacts>>,
    owners: HashMap<&'a str, &'a str>,
    apps: HashMap<&'a str, &'a AppFacts>,
}

impl<'a> Slicer<'a> {
    fn new(facts: &'a Facts) -> anyhow::Result<Slicer<'a>> {
        let mut units: HashMap<&str, Vec<&UnitFacts>> = HashMap::new();
        for u in &facts.units {
            units.entry(u.org.as_str()).or_default().push(u);
        }
        Ok(Slicer {
            t: Types::new()?,
            members: facts.members.iter().map(|m| (m.id.as_str(), m)).collect(),
            parents: facts.departments.iter().filter_map(|(d, p)| Some((d.as_str(), p.as_deref()?))).collect(),
            units,
            owners: facts.networks.iter().map(|(n, o)| (n.as_str(), o.as_str())).collect(),
            apps: facts.apps.iter().map(|a| (a.id.as_str(), a)).collect(),
        })
    }

    /// Does `u` bring `m` into its network: its whole organization, or a department `m` is in
    /// or below?
    fn brings(&self, u: &UnitFacts, m: &MemberFacts) -> bool {
        let within = |dep: &str, top: &str| {
            let mut cur = dep;
            for _ in 0..64 {
                if cur == top {
                    return true;
                }
                match self.parents.get(cur) {
                    Some(p) => cur = p,
                    None => return false,
                }
            }
            false
        };
        u.departments.as_ref().is_none_or(|tops| tops.iter().any(|t| m.departments.iter().any(|d| within(d, t))))
    }

    /// The request and its entities: the user (parents: departments and unit), the department
    /// chain, the unit (parent: partner type), the network, the app.
    fn slice(&self, member: &str, app: &str) -> anyhow::Result<(Request, Entities)> {
        let t = &self.t;
        let m = self.members.get(member).context("sampled member")?;
        let a = self.apps.get(app).context("sampled app")?;
        let mut entities = vec![];
        let mut parents: Vec<EntityUid> = m.departments.iter().map(|d| uid(&t.dept, d)).collect();
        let mut seen = HashSet::new();
        for d in &m.departments {
            let mut cur = d.as_str();
            for _ in 0..64 {
                if !seen.insert(cur) {
                    break;
                }
                let parent = self.parents.get(cur).copied();
                entities.push(entity(
                    uid(&t.dept, cur),
                    vec![],
                    parent.map(|p| uid(&t.dept, p)).into_iter().collect(),
                )?);
                match parent {
                    Some(p) => cur = p,
                    None => break,
                }
            }
        }
        let mut attrs = vec![
            ("active", RestrictedExpression::new_bool(m.active)),
            ("admin", RestrictedExpression::new_bool(m.admin)),
            ("org", entity_ref(&t.org, &m.org)),
            ("seats", RestrictedExpression::new_set(m.pools.iter().map(|p| entity_ref(&t.org, p)))),
        ];
        // The member's unit: the one in a network of the app's organization if there is one, of
        // those that bring the member in (all of the organization, or the member's departments).
        let units = self.units.get(m.org.as_str()).map_or(&[][..], Vec::as_slice);
        let brought = || units.iter().filter(|u| self.brings(u, m));
        let unit = brought()
            .find(|u| self.owners.get(u.network.as_str()) == Some(&a.org.as_str()))
            .or_else(|| brought().next());
        if let Some(u) = unit {
            attrs.push(("unit", entity_ref(&t.unit, &u.id)));
            parents.push(uid(&t.unit, &u.id));
            entities.push(entity(
                uid(&t.unit, &u.id),
                vec![
                    ("active", RestrictedExpression::new_bool(u.active)),
                    ("network", entity_ref(&t.network, &u.network)),
                ],
                vec![uid(&t.ty, &u.partner_type)],
            )?);
            entities.push(Entity::new_no_attrs(uid(&t.ty, &u.partner_type), HashSet::new()));
            let owner = self.owners.get(u.network.as_str()).copied().unwrap_or("");
            entities.push(entity(uid(&t.network, &u.network), vec![("owner", entity_ref(&t.org, owner))], vec![])?);
        }
        entities.push(entity(uid(&t.user, member), attrs, parents)?);
        entities.push(entity(uid(&t.app, app), vec![("org", entity_ref(&t.org, &a.org))], vec![])?);
        let entities = Entities::from_entities(entities, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        let request = Request::new(
            uid(&t.user, member),
            uid(&t.action, Right::Submit.as_str()),
            uid(&t.app, app),
            Context::empty(),
            None,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((request, entities))
    }
}

fn parse_policies(text: &str) -> anyhow::Result<PolicySet> {
    PolicySet::from_str(text).map_err(|e| anyhow::anyhow!("the Cedar policies do not parse: {e}"))
}

fn cedar(facts: &Facts, index: &Index, decisions: &[(&str, &str)]) -> anyhow::Result<CedarRun> {
    let all = parse_policies(&cedar_policies(facts, None))?;
    let mut per_app = HashMap::new();
    for a in &facts.apps {
        per_app.insert(a.id.as_str(), parse_policies(&cedar_policies(facts, Some(&a.id)))?);
    }
    let slicer = Slicer::new(facts)?;
    let authorizer = Authorizer::new();
    // Warm-up.
    for (m, a) in decisions.iter().take(1000) {
        let (r, e) = slicer.slice(m, a)?;
        black_box(authorizer.is_authorized(&r, &all, &e));
        black_box(authorizer.is_authorized(&r, &per_app[a], &e));
    }
    let way =
        |policies: usize| CedarWay { policies, samples: Vec::with_capacity(decisions.len()), mismatches: 0, errors: 0 };
    let app_policies = per_app.values().map(|p| p.policies().count()).max().unwrap_or(0);
    let mut run =
        CedarRun { all: way(all.policies().count()), per_app: way(app_policies), slice_ns: 0.0, shown: vec![] };
    let mut slice_total = Duration::ZERO;
    for (c, chunk) in decisions.chunks(CEDAR_CHUNK).enumerate() {
        let t = Instant::now();
        let slices = chunk.iter().map(|(m, a)| slicer.slice(m, a)).collect::<anyhow::Result<Vec<_>>>()?;
        slice_total += t.elapsed();
        let with_all = c * CEDAR_CHUNK < CEDAR_ALL_MAX;
        for ((m, a), (request, entities)) in chunk.iter().zip(&slices) {
            let expected = index.allows(m, a, Right::Submit);
            let ways = [(&per_app[a], &mut run.per_app, true), (&all, &mut run.all, with_all)];
            for (policies, way, _) in ways.into_iter().filter(|w| w.2) {
                let t = Instant::now();
                let response = authorizer.is_authorized(request, policies, entities);
                way.samples.push(t.elapsed().as_nanos() as u64);
                let errors = response.diagnostics().errors().count();
                way.errors += errors;
                let allowed = response.decision() == CedarDecision::Allow;
                if allowed != expected {
                    way.mismatches += 1;
                }
                if (allowed != expected || errors > 0) && run.shown.len() < 10 {
                    let label = |id: &cedar_policy::PolicyId| {
                        policies
                            .policy(id)
                            .and_then(|p| p.annotation("id"))
                            .map_or_else(|| id.to_string(), str::to_owned)
                    };
                    let reasons: Vec<String> = response.diagnostics().reason().map(label).collect();
                    let errs: Vec<String> = response.diagnostics().errors().map(|e| e.to_string()).collect();
                    run.shown.push(format!(
                        "member {m} app {a}: Cedar {allowed} by {reasons:?} errors {errs:?}; index {:?}",
                        index.check(m, a, Right::Submit)
                    ));
                }
            }
        }
    }
    run.slice_ns = slice_total.as_nanos() as f64 / decisions.len().max(1) as f64;
    Ok(run)
}

// ---------------------------------------------------------------------------------------------
// Over HTTP.

struct Http {
    requests: usize,
    /// Mean time inside the server (its metrics) for the check and for `/healthz`, ns.
    inside: (u64, u64),
    check: (u64, u64),
    health: (u64, u64),
    token: (u64, u64),
    service: (u64, u64),
    server_build: Duration,
    /// From serving to `/readyz` saying ready: the people index built (the access index was).
    ready: Duration,
    mismatches: usize,
}

fn p50_p99(mut v: Vec<u64>) -> (u64, u64) {
    (pct(&mut v, 0.5), pct(&mut v, 0.99))
}

async fn http(
    svc: &Service,
    fx: &Fixture,
    index: &Index,
    decisions: &[(&str, &str)],
    requests: usize,
) -> anyhow::Result<Http> {
    let admin = svc.identity().caller_for_login(&Caller::System, "bench.admin", Some(&fx.backbone)).await?;
    let token =
        svc.identity().create_token(&admin, &NewToken { name: "bench".into(), expires_in_days: Some(1) }).await?.secret;
    let t = Instant::now();
    drop(svc.access_index(None).await?);
    let server_build = t.elapsed();

    // In process: what authentication and the use case cost without HTTP.
    let mut token_ns = vec![];
    let mut caller = None;
    for _ in 0..2000 {
        let t = Instant::now();
        caller = svc.identity().token(&token).await?;
        token_ns.push(t.elapsed().as_nanos() as u64);
    }
    let caller = caller.context("the token authenticates")?;
    let mut service_ns = vec![];
    for (m, a) in decisions.iter().take(requests) {
        let q = CheckQuery { member_id: Some((*m).to_owned()), ..CheckQuery::default() };
        let app = AppId::parse(a)?;
        let t = Instant::now();
        black_box(svc.apps().check_access(&caller, &app, &q).await?);
        service_ns.push(t.elapsed().as_nanos() as u64);
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    // `/metrics` is served on the main listener only with a token; the bench reads it below.
    let settings = keiretsu_server::ServerSettings {
        metrics_token: keiretsu_server::metrics::MetricsToken::new(BENCH_METRICS_TOKEN),
        ..keiretsu_server::ServerSettings::default()
    };
    let state = keiretsu_server::AppState::new(svc.clone(), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let server = tokio::spawn(keiretsu_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    // Ready once the server has built its indexes; the people index of a million takes seconds.
    let ready = async {
        for _ in 0..12_000 {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::bail!("the server did not become ready")
    };
    ready.await?;
    let ready = started.elapsed();

    let health: Vec<String> = (0..requests.min(10_000)).map(|_| "/healthz".to_owned()).collect();
    let (health_ns, _) = load(addr, None, &health).await?;
    let paths: Vec<String> =
        decisions.iter().take(requests).map(|(m, a)| format!("/api/v1/apps/{a}/check?member_id={m}")).collect();
    let (check_ns, answers) = load(addr, Some(&token), &paths).await?;
    let mismatches = answers
        .iter()
        .zip(decisions.iter())
        .filter(|(got, (m, a))| **got != Some(index.allows(m, a, Right::Submit)))
        .count();
    // The server's own count of time spent answering each route, from its metrics: what the
    // router, middleware, extractors and handler cost, apart from the network and scheduling.
    let metrics = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(BENCH_METRICS_TOKEN)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let inside = |route: &str| -> f64 {
        let sum = |metric: &str| -> f64 {
            metrics
                .lines()
                .filter(|l| l.starts_with(metric) && l.contains(&format!("route=\"{route}\"")))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum()
        };
        sum("keiretsu_http_request_seconds_total") * 1e9 / sum("keiretsu_http_requests_total").max(1.0)
    };
    let inside = (inside("/api/v1/apps/{app_id}/check") as u64, inside("/healthz") as u64);
    let _ = stop.send(());
    server.await??;
    Ok(Http {
        inside,
        requests: paths.len(),
        check: p50_p99(check_ns),
        health: p50_p99(health_ns),
        token: p50_p99(token_ns),
        service: p50_p99(service_ns),
        server_build,
        ready,
        mismatches,
    })
}

/// The client in a process of its own (`http_client`): two keep-alive connections, one thread each,
/// take every other path; after a warm-up of 200 requests each, every request is timed. Returns the
/// latencies and each answer's `allowed` (in path order).
async fn load(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    paths: &[String],
) -> anyhow::Result<(Vec<u64>, Vec<Option<bool>>)> {
    let (token, owned) = (token.map(str::to_owned), paths.to_vec());
    let samples =
        tokio::task::spawn_blocking(move || crate::http_client::run(addr, token.as_deref(), &owned)).await??;
    if let Some((s, p)) = samples.iter().zip(paths).find(|(s, _)| !(200..300).contains(&s.status)) {
        anyhow::bail!("{p}: HTTP {}", s.status);
    }
    Ok((samples.iter().map(|s| s.ns).collect(), samples.into_iter().map(|s| s.allowed).collect()))
}
