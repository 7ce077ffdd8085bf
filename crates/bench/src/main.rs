//! `cargo run --release -p keiretsu-bench -- [--members 100000] [--queries 2000] [--postgres]`
//! `cargo run --release -p keiretsu-bench -- --network [--units 10000] [--unit-members 100] [--postgres]`
//! `cargo run --release -p keiretsu-bench -- --license [--accounts 1000000] [--postgres]`
//! `cargo run --release -p keiretsu-bench -- --access [--units 10000] [--unit-members 100] [--decisions 200000]
//!  [--http-requests 20000] [--postgres]`
//!
//! Prints figures, never asserts on time. The default run measures the directory:
//! 1. the import of N members from CSV through the real use case (`Service::import_members`);
//! 2. the latency of member search and filtered lists at that size (`Service::members`);
//! 3. the same filters as plain SQL on the same database, so the service's overhead shows as a ratio.
//!
//! On SQLite in a temporary directory, and with `--postgres` also on PostgreSQL
//! (`KEIRETSU_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`) in a fresh
//! schema that is dropped at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use keiretsu_domain::ids::{DepartmentId, MemberId, OrgId};
use keiretsu_service::directory::{MemberQuery, NewDepartment, NewOrg};
use keiretsu_service::{Backend, Caller, Service, Settings, SystemClock};
use keiretsu_store::Store;
use keiretsu_store::directory::MemberRow;

const TOPS: &[&str] =
    &["Manufacturing", "Supply Chain", "Sales", "Research", "Finance", "Service", "Quality", "Logistics"];
const SUBS: &[&str] = &["Assembly", "North", "South", "East", "West"];
const SURNAMES: &[&str] = &["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun"];
const GIVEN: &[&str] = &["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Hui", "Tao", "Ping", "Xin"];
/// Members who leave after the import, so the status filter has something rare to find.
const LEAVERS: usize = 200;
const PAGE: i64 = 50;
/// The columns the store reads for a member, for the plain-SQL baseline.
const COLUMNS: &str = "m.id, m.org_id, m.account_id, a.login, m.name, a.phone, a.email, m.title, \
    m.employee_no, m.supervisor_id, m.status, m.role, m.joined_at, m.left_at";

mod access;
mod approvals;
mod http_client;
mod license;
mod network;

struct Args {
    members: usize,
    queries: usize,
    postgres: bool,
    /// `--network`: the network benchmark instead of the directory's.
    network: bool,
    /// `--license`: the seat pool benchmark, with `--accounts N` enabled seats.
    license: bool,
    /// `--approvals`: requests through two steps, a large inbox, planning.
    approvals: bool,
    requests: usize,
    accounts: usize,
    units: usize,
    unit_members: usize,
    /// `--access`: the access index beside cedar-policy, with `--decisions N` sampled decisions
    /// and `--http-requests N` checks over HTTP.
    access: bool,
    decisions: usize,
    http_requests: usize,
    /// `--access-probe URL`: the access benchmark's child process that builds the index once.
    access_probe: Option<String>,
    /// `--http-client ADDR`: the access benchmark's child process that sends the HTTP requests.
    http_client: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        members: 100_000,
        queries: 2000,
        postgres: false,
        network: false,
        license: false,
        approvals: false,
        requests: 2000,
        accounts: 1_000_000,
        units: 10_000,
        unit_members: 100,
        access: false,
        decisions: 200_000,
        http_requests: 20_000,
        access_probe: None,
        http_client: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--members" => a.members = it.next().context("--members N")?.parse()?,
            "--queries" => a.queries = it.next().context("--queries N")?.parse()?,
            "--postgres" => a.postgres = true,
            "--network" => a.network = true,
            "--license" => a.license = true,
            "--approvals" => a.approvals = true,
            "--requests" => a.requests = it.next().context("--requests N")?.parse()?,
            "--accounts" => a.accounts = it.next().context("--accounts N")?.parse()?,
            "--units" => a.units = it.next().context("--units N")?.parse()?,
            "--unit-members" => a.unit_members = it.next().context("--unit-members N")?.parse()?,
            "--access" => a.access = true,
            "--decisions" => a.decisions = it.next().context("--decisions N")?.parse()?,
            "--http-requests" => a.http_requests = it.next().context("--http-requests N")?.parse()?,
            "--access-probe" => a.access_probe = Some(it.next().context("--access-probe URL")?),
            "--http-client" => a.http_client = Some(it.next().context("--http-client ADDR")?),
            other => anyhow::bail!(
                "unknown argument {other}; use --members N, --queries N, --postgres, --network [--units N] \
                 [--unit-members N], --license [--accounts N], --approvals [--requests N], --access [--units N] [--unit-members N] \
                 [--decisions N] [--http-requests N]"
            ),
        }
    }
    anyhow::ensure!(a.members >= 1000, "--members must be at least 1000");
    anyhow::ensure!(a.units >= 100 && a.unit_members >= 10, "--units must be at least 100, --unit-members 10");
    anyhow::ensure!(a.decisions >= 1000 && a.http_requests >= 1000, "--decisions and --http-requests at least 1000");
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    // Plain threads, no runtime: the client's process runs nothing else.
    if let Some(addr) = &args.http_client {
        return http_client::child(addr);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        if let Some(url) = &args.access_probe {
            return access::probe(url).await;
        }
        if args.access {
            return run_access(&args).await;
        }
        if args.network {
            return run_network(&args).await;
        }
        if args.approvals {
            let requests = args.requests;
            let mut lines = sqlite(|url| async move { approvals::run("SQLite", &url, requests).await }).await?;
            if args.postgres {
                lines.extend(postgres(|url| async move { approvals::run("PostgreSQL", &url, requests).await }).await?);
            }
            println!("\n== approvals summary ({} cores)", cores());
            for l in lines {
                println!("{l}");
            }
            return Ok(());
        }
        if args.license {
            let accounts = args.accounts;
            let mut lines = sqlite(|url| async move { license::run("SQLite", &url, accounts).await }).await?;
            if args.postgres {
                lines.extend(postgres(|url| async move { license::run("PostgreSQL", &url, accounts).await }).await?);
            }
            println!("\n== seat pool summary ({} cores)", cores());
            for l in lines {
                println!("{l}");
            }
            return Ok(());
        }
        let mut results = vec![run_sqlite(&args).await?];
        if args.postgres {
            results.push(run_postgres(&args).await?);
        }
        print_summary(&args, &results);
        Ok(())
    })
}

/// A certified organization whose primary admin signs in as `admin`.
async fn certified_org(svc: &Service, name: &str, admin: &str) -> anyhow::Result<OrgId> {
    let input = NewOrg {
        name: name.into(),
        certification: Some(keiretsu_domain::directory::Certification::Certified),
        admin_login: admin.into(),
        admin_name: format!("{name} admin"),
        admin_password: Some("bench-password".into()),
    };
    Ok(OrgId::parse(&svc.directory().create_org(&Caller::System, &input).await?.id)?)
}

/// A connection of its own for a generator's load: on SQLite with a page cache that holds the
/// indexes being filled (the service's connections keep their ordinary one for the queries).
async fn load_store(url: &str, backend: Backend) -> anyhow::Result<Store> {
    let store = Store::open(url, 1).await?;
    if backend == Backend::Sqlite {
        sqlx::query("PRAGMA cache_size = -1048576").execute(store.pool()).await?;
    }
    Ok(store)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

async fn run_network(args: &Args) -> anyhow::Result<()> {
    let net = &network::Args { units: args.units, unit_members: args.unit_members, queries: args.queries };
    let mut results = vec![sqlite(|url| async move { network::bench("SQLite", &url, net).await }).await?];
    if args.postgres {
        results.push(postgres(|url| async move { network::bench("PostgreSQL", &url, net).await }).await?);
    }
    network::print_summary(net, args.postgres, &results);
    Ok(())
}

async fn run_access(args: &Args) -> anyhow::Result<()> {
    let acc = &access::Args {
        units: args.units,
        unit_members: args.unit_members,
        decisions: args.decisions,
        http: args.http_requests,
    };
    let mut results = vec![sqlite(|url| async move { access::bench("SQLite", &url, acc).await }).await?];
    if args.postgres {
        results.push(postgres(|url| async move { access::bench("PostgreSQL", &url, acc).await }).await?);
    }
    access::print_summary(acc, args.postgres, &results);
    Ok(())
}

async fn run_sqlite(args: &Args) -> anyhow::Result<Results> {
    sqlite(|url| async move { bench("SQLite", &url, args).await }).await
}

async fn run_postgres(args: &Args) -> anyhow::Result<Results> {
    postgres(|url| async move { bench("PostgreSQL", &url, args).await }).await
}

/// Runs `f` on a fresh SQLite database in a temporary directory, removed afterwards.
async fn sqlite<T, F: Future<Output = anyhow::Result<T>>>(f: impl FnOnce(String) -> F) -> anyhow::Result<T> {
    let dir = std::env::temp_dir().join(format!("keiretsu-bench-{}", keiretsu_service::random_token(8)));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite:{}", dir.join("keiretsu.db").display());
    let result = f(url).await;
    if std::env::var_os("KEIRETSU_BENCH_KEEP").is_some() {
        println!("kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    result
}

/// Runs `f` on PostgreSQL in a fresh schema, dropped afterwards.
async fn postgres<T, F: Future<Output = anyhow::Result<T>>>(f: impl FnOnce(String) -> F) -> anyhow::Result<T> {
    let base = std::env::var("KEIRETSU_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("kbench_{}", keiretsu_service::random_token(6));
    let admin = Store::open(&base, 1).await.context("PostgreSQL is reachable (KEIRETSU_TEST_DATABASE_URL)")?;
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(admin.pool()).await?;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let result = f(url).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(admin.pool()).await?;
    admin.close().await;
    result
}

/// What one database measured.
struct Results {
    db: &'static str,
    import: Duration,
    leave: Duration,
    kinds: Vec<(&'static str, Stats, Stats)>,
    overall: Stats,
    raw_overall: Stats,
}

async fn bench(db: &'static str, url: &str, args: &Args) -> anyhow::Result<Results> {
    println!("\n== {db}: {} members, {} queries", args.members, args.queries);
    let store = keiretsu_service::open_store(url, 8).await?;
    let svc = Service::new(store, Arc::new(SystemClock), Settings::default()).await?;
    let result = measure(db, &svc, args).await;
    svc.store().close().await;
    result
}

async fn measure(db: &'static str, svc: &Service, args: &Args) -> anyhow::Result<Results> {
    let sys = Caller::System;
    let new_org = NewOrg {
        name: "Bench Manufacturing".into(),
        certification: None,
        admin_login: "bench.admin".into(),
        admin_name: "Bench Admin".into(),
        admin_password: Some("bench-password".into()),
    };
    let org = OrgId::parse(&svc.directory().create_org(&sys, &new_org).await?.id)?;

    // Departments: eight at the top, five under each; every member goes to one of the forty below.
    let mut tops = vec![];
    let mut subs = vec![];
    for top in TOPS {
        let d = svc
            .directory()
            .create_department(&sys, &org, &NewDepartment { name: (*top).into(), parent_id: None })
            .await?;
        let mut children = vec![];
        for sub in SUBS {
            let parent_id = Some(DepartmentId::parse(&d.id)?);
            let s = svc
                .directory()
                .create_department(&sys, &org, &NewDepartment { name: (*sub).into(), parent_id })
                .await?;
            children.push(s.id.clone());
            subs.push(s.id);
        }
        tops.push((d.id, children));
    }

    // 1. Import.
    let text = csv(args.members);
    let start = Instant::now();
    let report = svc.directory().import_members(&sys, &org, &text, false, &()).await?;
    let import = start.elapsed();
    anyhow::ensure!(
        report.applied && report.created as usize == args.members,
        "import failed: {:?}",
        report.errors.first()
    );
    println!(
        "import: {:.2} s, {:.0} rows/s (target under 10 s)",
        import.as_secs_f64(),
        args.members as f64 / import.as_secs_f64()
    );

    // Some members leave, one use case each, so `status=left` has a rare match.
    let leavers = svc
        .directory()
        .members(
            &sys,
            &org,
            &MemberQuery { department_id: Some(subs[0].clone()), limit: Some(200), ..Default::default() },
        )
        .await?;
    let start = Instant::now();
    for m in leavers.items.iter().take(LEAVERS) {
        svc.directory().leave(&sys, &org, &MemberId::parse(&m.id)?).await?;
    }
    let leave = start.elapsed() / leavers.items.len().clamp(1, LEAVERS) as u32;
    println!("leave: {:.2} ms per member ({} members)", ms(&leave), leavers.items.len().min(LEAVERS));

    // 2 and 3. Queries: each case is a service query and the same filter as plain SQL.
    let mut kinds = vec![];
    for (name, make) in KINDS {
        let mut cases = vec![];
        for i in 0..VARIANTS {
            cases.push(make(i, &Fixture { n: args.members, tops: &tops, subs: &subs }));
        }
        kinds.push((*name, cases));
    }
    // Page 2: continue each of a few first pages through its cursor.
    let mut page2 = vec![];
    for (_, cases) in &kinds {
        let Some(case) = cases.first() else { continue };
        let first = svc.directory().members(&sys, &org, &case.query).await?;
        let (Some(cursor), Some(last)) = (first.next_cursor, first.items.last()) else { continue };
        let mut raw = case.raw.clone();
        raw.after = Some((last.name.clone(), last.id.clone()));
        page2.push(Case { query: MemberQuery { cursor: Some(cursor), ..case.query.clone() }, raw });
    }
    kinds.push(("page 2", page2));

    let backend = svc.store().backend();
    let per_kind = (args.queries / kinds.len()).max(1);
    let mut service = vec![vec![]; kinds.len()];
    let mut raw = vec![vec![]; kinds.len()];
    // One warm-up round, then the kinds interleaved so none profits from running alone.
    for round in 0..=per_kind {
        for (k, (_, cases)) in kinds.iter().enumerate() {
            let Some(case) = cases.get(round % cases.len().max(1)) else { continue };
            let t = Instant::now();
            let page = svc.directory().members(&sys, &org, &case.query).await?;
            let s = t.elapsed();
            let t = Instant::now();
            let rows = case.raw.run(svc.store(), backend, &org).await?;
            let r = t.elapsed();
            anyhow::ensure!(
                page.items.len() == rows.len().min(PAGE as usize),
                "{}: the service found {} members, plain SQL {}",
                kinds[k].0,
                page.items.len(),
                rows.len()
            );
            if round > 0 {
                service[k].push(s);
                raw[k].push(r);
            }
        }
    }

    println!(
        "{:<16} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>6}",
        "query", "p50 ms", "p90 ms", "p99 ms", "max ms", "SQL p50", "SQL p99", "ratio"
    );
    let mut results = vec![];
    for (k, (name, _)) in kinds.iter().enumerate() {
        let (s, r) = (Stats::of(&mut service[k]), Stats::of(&mut raw[k]));
        println!("{}", row(name, &s, &r));
        results.push((*name, s, r));
    }
    let overall = Stats::of(&mut service.concat());
    let raw_overall = Stats::of(&mut raw.concat());
    println!("{}", row("all", &overall, &raw_overall));
    Ok(Results { db, import, leave, kinds: results, overall, raw_overall })
}

fn row(name: &str, s: &Stats, r: &Stats) -> String {
    format!(
        "{:<16} {:>8.2} {:>8.2} {:>8.2} {:>8.2} | {:>8.2} {:>8.2} | {:>6.2}",
        name,
        s.p50,
        s.p90,
        s.p99,
        s.max,
        r.p50,
        r.p99,
        s.p50 / r.p50.max(1e-9)
    )
}

fn print_summary(args: &Args, results: &[Results]) {
    let command = format!(
        "cargo run --release -p keiretsu-bench -- --members {} --queries {}{}",
        args.members,
        args.queries,
        if args.postgres { " --postgres" } else { "" }
    );
    println!("\n== Summary ({} cores, {} {})", cores(), std::env::consts::OS, std::env::consts::ARCH);
    println!("command: {command}");
    println!("service = Service::members; SQL = the same filter as one plain SELECT; ratio = service p50 / SQL p50");
    for r in results {
        println!(
            "\n{}: import of {} members {:.2} s ({:.0} rows/s, target < 10 s); leave {:.2} ms each",
            r.db,
            args.members,
            r.import.as_secs_f64(),
            args.members as f64 / r.import.as_secs_f64(),
            ms(&r.leave)
        );
        println!(
            "{:<16} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>6}",
            "query", "p50 ms", "p90 ms", "p99 ms", "max ms", "SQL p50", "SQL p99", "ratio"
        );
        for (name, s, raw) in &r.kinds {
            println!("{}", row(name, s, raw));
        }
        println!("{}", row("all", &r.overall, &r.raw_overall));
        println!(
            "p99 over all queries: {:.2} ms ({} the 20 ms target)",
            r.overall.p99,
            if r.overall.p99 < 20.0 { "within" } else { "OVER" }
        );
    }
}

/// The CSV: names from a small pool (so name fragments match many), unique logins, phones, emails
/// and employee numbers, every member in one of the forty lower departments.
fn csv(n: usize) -> String {
    let mut out = String::with_capacity(n * 120);
    out.push_str("employee_no,name,login,phone,email,title,department\n");
    for i in 0..n {
        let dept = format!("{}/{}", TOPS[i % TOPS.len()], SUBS[(i / TOPS.len()) % SUBS.len()]);
        out.push_str(&format!("E{i:07},{},user{i},{},user{i}@example.com,Engineer,{dept}\n", name(i), phone(i)));
    }
    out
}

fn name(i: usize) -> String {
    format!("{} {}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / SURNAMES.len()) % GIVEN.len()], i % 97)
}

fn phone(i: usize) -> String {
    format!("+86 139 {:04} {:04}", (i / 10_000) % 10_000, i % 10_000)
}

/// How many different queries of each kind run in rotation.
const VARIANTS: usize = 64;

struct Fixture<'a> {
    n: usize,
    /// Top departments with their children.
    tops: &'a [(String, Vec<String>)],
    subs: &'a [String],
}

type Make = fn(usize, &Fixture) -> Case;

/// The kinds of query, each building its `i`-th variant.
const KINDS: &[(&str, Make)] = &[
    ("name fragment", |i, _| text(&format!("{} {}", SURNAMES[i % SURNAMES.len()], GIVEN[i % GIVEN.len()]))),
    ("phone fragment", |i, c| {
        // Phones are stored as digits only (`+8613900044321`): the last six digits.
        let i = spread(i, c.n);
        text(&format!("{:02}{:04}", (i / 10_000) % 100, i % 10_000))
    }),
    ("email", |i, c| text(&format!("user{}@example.com", spread(i, c.n)))),
    ("employee no", |i, c| text(&format!("E{:07}", spread(i, c.n)))),
    ("department", |i, c| {
        let d = &c.subs[i % c.subs.len()];
        Case::new(
            MemberQuery { department_id: Some(d.clone()), ..page() },
            Raw { departments: Some(vec![d.clone()]), ..Raw::default() },
        )
    }),
    ("subtree", |i, c| {
        let (top, children) = &c.tops[i % c.tops.len()];
        let mut all = vec![top.clone()];
        all.extend(children.iter().cloned());
        Case::new(
            MemberQuery { department_id: Some(top.clone()), include_sub_departments: Some(true), ..page() },
            Raw { departments: Some(all), ..Raw::default() },
        )
    }),
    ("status", |i, _| {
        let status = if i % 2 == 0 { "active" } else { "left" };
        Case::new(
            MemberQuery { status: Some(status.into()), ..page() },
            Raw { status: Some(status.into()), ..Raw::default() },
        )
    }),
];

/// The `i`-th of 64 members spread over the whole directory.
fn spread(i: usize, n: usize) -> usize {
    (i * 7919 + 13) % n
}

fn page() -> MemberQuery {
    MemberQuery { limit: Some(PAGE), ..MemberQuery::default() }
}

fn text(q: &str) -> Case {
    Case::new(MemberQuery { q: Some(q.into()), ..page() }, Raw { text: Some(q.to_lowercase()), ..Raw::default() })
}

struct Case {
    query: MemberQuery,
    raw: Raw,
}

impl Case {
    fn new(query: MemberQuery, raw: Raw) -> Case {
        Case { query, raw }
    }
}

/// A member filter as one plain SELECT: what any implementation on this schema pays at least.
#[derive(Clone, Default)]
struct Raw {
    text: Option<String>,
    departments: Option<Vec<String>>,
    status: Option<String>,
    after: Option<(String, String)>,
}

impl Raw {
    async fn run(&self, store: &Store, backend: Backend, org: &OrgId) -> anyhow::Result<Vec<MemberRow>> {
        let collate = if backend == Backend::Postgres { " COLLATE \"C\"" } else { "" };
        let mut binds: Vec<String> = vec![org.as_str().to_owned()];
        let mut bind = |v: &str| {
            binds.push(v.to_owned());
            format!("${}", binds.len())
        };
        let mut sql =
            format!("SELECT {COLUMNS} FROM members m JOIN accounts a ON a.id = m.account_id WHERE m.org_id = $1");
        if let Some(t) = &self.text {
            sql += &format!(" AND m.search LIKE {}", bind(&format!("%{t}%")));
        }
        if let Some(deps) = &self.departments {
            let list: Vec<String> = deps.iter().map(|d| bind(d)).collect();
            sql += &format!(
                " AND m.id IN (SELECT member_id FROM member_departments WHERE department_id IN ({}))",
                list.join(", ")
            );
        }
        if let Some(s) = &self.status {
            sql += &format!(" AND m.status = {}", bind(s));
        }
        if let Some((name, id)) = &self.after {
            let (n1, n2, i) = (bind(name), bind(name), bind(id));
            sql += &format!(" AND (m.name{collate} > {n1} OR (m.name = {n2} AND m.id > {i}))");
        }
        sql += &format!(" ORDER BY m.name{collate}, m.id LIMIT {}", PAGE + 1);
        let mut q = sqlx::query_as(&sql);
        for b in binds {
            q = q.bind(b);
        }
        Ok(q.fetch_all(store.pool()).await?)
    }
}

struct Stats {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    /// Percentiles in milliseconds (nearest rank).
    fn of(samples: &mut [Duration]) -> Stats {
        samples.sort();
        let at = |q: f64| samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, ms);
        Stats { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1.0) }
    }
}

fn ms(d: &Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `(VmRSS, VmHWM)` in KiB.
pub(crate) fn mem() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
