//! The access benchmark's table: its rows and their units, and the summary of the run.

use std::time::Duration;

use super::{Args, Results};
use crate::cores;

pub(super) fn row(
    name: &str,
    index: impl Into<String>,
    cedar: impl Into<String>,
    ratio: impl Into<String>,
    target: &str,
) -> [String; 5] {
    [name.to_owned(), index.into(), cedar.into(), ratio.into(), target.to_owned()]
}

pub(super) fn print_rows(rows: &[[String; 5]]) {
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

pub(super) fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub(super) fn us(ns: u64) -> String {
    format!("{:.2} us", ns as f64 / 1000.0)
}

pub(super) fn ms(ns: u64) -> String {
    format!("{:.1} ms", ns as f64 / 1e6)
}
