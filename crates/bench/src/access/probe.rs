//! The index build in a fresh process (`--access-probe URL`) and the parent's side that runs it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use keiretsu_store::Store;
use keiretsu_store::apps as apps_store;
use serde_json::{Value, json};

use crate::mem;

const PROBE: &str = "ACCESS_PROBE";

pub(super) struct Probe {
    pub(super) build: Duration,
    pub(super) rss_before: u64,
    pub(super) rss_after: u64,
    pub(super) hwm: u64,
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

pub(super) async fn run_probe(url: &str) -> anyhow::Result<Probe> {
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
