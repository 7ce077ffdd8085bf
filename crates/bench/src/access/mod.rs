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

mod cedar;
mod data;
mod http;
mod measure;
mod probe;
mod report;
mod scenarios;

use std::sync::Arc;

use keiretsu_service::{Service, Settings, SystemClock};

use data::{APPS, BACKBONE_MEMBERS};
pub use probe::probe;
pub use report::print_summary;

pub struct Args {
    pub units: usize,
    pub unit_members: usize,
    /// In-process decisions sampled (index and Cedar run all of them).
    pub decisions: usize,
    /// Check requests over HTTP (both clients together).
    pub http: usize,
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
    let result = scenarios::run(db, url, &svc, args).await;
    svc.store().close().await;
    result
}
