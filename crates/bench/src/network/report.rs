//! The network benchmark's tables: one database's questions, and the summary of the run.

use super::{Args, BACKBONE_MEMBERS, Kind, NETWORK_MEMBERS, PAGE, PEER_BUDGET, Results};
use crate::cores;

pub(super) fn print_kinds(kinds: &[Kind]) {
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
