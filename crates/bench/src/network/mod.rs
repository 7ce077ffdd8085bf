//! The network benchmark (`--network`): the address book and person picker of one network of
//! 10,000 units with 100 members each (1,000,000 partner people) beside a backbone of 5,000
//! members, 1,000 of them in the network; and the departure of a contact holder with its handover.
//!
//! Every figure is taken through the service (`Service::people`, `Service::person`,
//! `Service::leave`), next to a peer: the same question as one straightforward hand-written SQL
//! statement (or transaction) on the same database. The peer's page is checked against the
//! service's, so a fast answer is also the right one.

mod data;
mod measure;
mod questions;
mod report;

use std::time::{Duration, Instant};

use keiretsu_service::Service;

use crate::Stats;

pub(crate) use data::{DEPARTMENT_COLS, ORG_COLS, TIERS, UNIT_COLS, new_id, now_millis, person};
pub use report::print_summary;

const PAGE: i64 = 50;
const BACKBONE_MEMBERS: usize = 5000;
/// Every fifth backbone member works with partners.
const NETWORK_MEMBERS: usize = BACKBONE_MEMBERS / 5;
/// The peer (plain SQL) can take a second per question: it is sampled until it has used this
/// much time (and at least a few times), so the run stays short.
const PEER_BUDGET: Duration = Duration::from_secs(4);

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
        let fx = data::generate(&svc, url, args).await?;
        let generate = start.elapsed();
        println!("generated in {:.1} s", generate.as_secs_f64());
        let index = measure::people_index(&svc).await?;
        println!("{index}");
        let kinds = measure::measure(&svc, &fx, args).await?;
        Ok(Results { db, generate, people, index, kinds })
    }
    .await;
    svc.store().close().await;
    result
}
