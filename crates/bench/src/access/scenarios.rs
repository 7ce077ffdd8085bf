//! One database's run: the five timed parts in order (the build, in-process decisions, Cedar on
//! the same decisions, who-can lookups, the check over HTTP), each adding its rows and notes.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use keiretsu_domain::access::{Audience, Right};
use keiretsu_service::Service;
use keiretsu_store::apps as apps_store;

use super::cedar::cedar;
use super::data::{BACKBONE_MEMBERS, generate};
use super::http::http;
use super::measure::{id_lookup_floor, pct, sample, time_each, timer_floor};
use super::probe::run_probe;
use super::report::{ms, print_rows, row, secs, us};
use super::{Args, Results};
use crate::cores;

const LOOKUP_RUNS: usize = 20;
const LOOKUP_PAGE: usize = 50;

pub(super) async fn run(db: &'static str, url: &str, svc: &Service, args: &Args) -> anyhow::Result<Results> {
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
