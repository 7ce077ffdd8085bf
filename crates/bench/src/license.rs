//! `--license`: the seat pool at size. Prints, beside a plain-SQL peer on the same data:
//! 1. batch authorization of a 100,000-member department subtree (`Service::set_seats`);
//! 2. what first-visit auto-authorization adds to signing in (`Service::create_token` in a
//!    licensed organization with auto-authorization on, against one without a license);
//! 3. the dashboard's counts and breakdown with 1,000,000 enabled accounts over ten
//!    organizations (`Service::license`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::identity::Role;
use keiretsu_domain::ids::{DepartmentId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_service::directory::NewDepartment;
use keiretsu_service::identity::NewToken;
use keiretsu_service::license::{AutoChange, LicenseChange, NewEntryRule, SeatSelection};
use keiretsu_service::network::{NewManagedUnit, NewNetwork};
use keiretsu_service::{Caller, Service, Settings, SystemClock};
use keiretsu_store::Backend;
use keiretsu_store::directory::{AccountRow, MemberRow, insert_accounts, insert_members};

const SUBTREE: usize = 100_000;
const VISITS: usize = 300;
const READS: usize = 300;

fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Inserts `n` active members of `org` spread over `departments`, straight into the tables.
async fn people(svc: &Service, org: &str, prefix: &str, n: usize, departments: &[String]) -> anyhow::Result<()> {
    let backend = svc.store().backend();
    let now = svc.now();
    for start in (0..n).step_by(50_000) {
        let end = (start + 50_000).min(n);
        let accounts: Vec<AccountRow> = (start..end)
            .map(|i| AccountRow {
                id: keiretsu_domain::ids::AccountId::from_random(keiretsu_service::random_id_bytes()).to_string(),
                login: format!("{prefix}.{i:07}"),
                name: format!("{prefix} {i:07}"),
                phone: None,
                email: None,
                password_hash: None,
                operator: 0,
                disabled: 0,
                lang: "en".into(),
                created_at: now,
            })
            .collect();
        let members: Vec<(MemberRow, Vec<String>)> = accounts
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let m = MemberRow {
                    id: MemberId::from_random(keiretsu_service::random_id_bytes()).to_string(),
                    org_id: org.to_owned(),
                    account_id: a.id.clone(),
                    login: a.login.clone(),
                    name: a.name.clone(),
                    phone: None,
                    email: None,
                    title: None,
                    employee_no: None,
                    supervisor_id: None,
                    status: MemberStatus::Active,
                    role: Role::Member,
                    joined_at: now,
                    left_at: None,
                };
                (m, vec![departments[(start + k) % departments.len()].clone()])
            })
            .collect();
        let mut tx = svc.store().write().await?;
        insert_accounts(&mut tx, backend, &accounts).await?;
        insert_members(&mut tx, backend, &members).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn tree(svc: &Service, org: &OrgId, top: &str, subs: usize) -> anyhow::Result<(DepartmentId, Vec<String>)> {
    let sys = Caller::System;
    let top =
        svc.directory().create_department(&sys, org, &NewDepartment { name: top.into(), parent_id: None }).await?;
    let top_id = DepartmentId::parse(&top.id)?;
    let mut leaves = Vec::new();
    for i in 0..subs {
        let d = NewDepartment { name: format!("Team {i}"), parent_id: Some(top_id.clone()) };
        leaves.push(svc.directory().create_department(&sys, org, &d).await?.id);
    }
    Ok((top_id, leaves))
}

/// Takes every seat of `pool` back, counters included.
async fn undo_seats(svc: &Service, pool: &OrgId) -> anyhow::Result<()> {
    let mut tx = svc.store().write().await?;
    for sql in [
        format!("DELETE FROM seats WHERE pool_id = '{pool}'"),
        format!("UPDATE seat_pools SET assigned = 0 WHERE org_id = '{pool}'"),
        format!("UPDATE seat_usage SET assigned = 0 WHERE pool_id = '{pool}'"),
    ] {
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Folds SQLite's write-ahead log into the database (nothing on PostgreSQL).
async fn checkpoint(svc: &Service) -> anyhow::Result<()> {
    if svc.store().backend() == Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(svc.store().pool()).await?;
    }
    Ok(())
}

pub async fn run(db: &'static str, url: &str, accounts: usize) -> anyhow::Result<Vec<String>> {
    println!("\n== {db}: seat pool, {accounts} accounts");
    let store = keiretsu_service::open_store(url, 8).await?;
    let settings = Settings { argon2_memory_kib: 8 * 1024, argon2_iterations: 1, ..Settings::default() };
    let svc = Service::new(store, Arc::new(SystemClock), settings).await?;
    let sys = Caller::System;
    let pool = crate::certified_org(&svc, "Pool Backbone", "pool.admin").await?;
    let seats = LicenseChange { edition: "exclusive".into(), seats: Some(accounts as i64 + 10_000) };
    svc.license().set_license(&sys, &pool, &seats).await?;
    let (top, leaves) = tree(&svc, &pool, "Everyone", 20).await?;
    let t = Instant::now();
    people(&svc, pool.as_str(), "p", SUBTREE, &leaves).await?;
    println!("generated {SUBTREE} members in {:.1} s", t.elapsed().as_secs_f64());
    svc.store().analyze().await?;

    // 1. Batch authorization of the subtree, as plain SQL (one INSERT ... SELECT and the pool's
    // count) and through the use case, in turns, each undone before the next and after a WAL
    // checkpoint, so neither runs on the other's freed pages: plain, use case, plain, use case.
    // The best of each is shown; the use case's last run stays.
    let deps: Vec<String> = leaves.iter().chain(std::iter::once(&top.to_string())).cloned().collect();
    let list = deps.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    let (mut raw_batch, mut batch) = (Duration::MAX, Duration::MAX);
    for round in 0..2 {
        checkpoint(&svc).await?;
        let t = Instant::now();
        let mut tx = svc.store().write().await?;
        let n = sqlx::query(&format!(
            "INSERT INTO seats (pool_id, member_id, org_id, status, reason, changed_at) \
             SELECT m.org_id, m.id, m.org_id, 'enabled', 'manual', 0 FROM members m \
             WHERE m.org_id = '{pool}' AND m.status = 'active' AND m.id IN \
             (SELECT member_id FROM member_departments WHERE department_id IN ({list}))"
        ))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(&format!("UPDATE seat_pools SET assigned = assigned + {n} WHERE org_id = '{pool}'"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        raw_batch = raw_batch.min(t.elapsed());
        undo_seats(&svc, &pool).await?;
        checkpoint(&svc).await?;
        let t = Instant::now();
        let selection = SeatSelection { department_id: Some(top.clone()), ..Default::default() };
        let done = svc.license().set_seats(&sys, &pool, &selection, true).await?;
        batch = batch.min(t.elapsed());
        anyhow::ensure!(done.changed as usize == SUBTREE, "authorized {} of {SUBTREE}", done.changed);
        if round == 0 {
            undo_seats(&svc, &pool).await?;
        }
    }

    // 2. First visits: signing in (a token) with auto-authorization on, against the same in an
    // organization without a license.
    let plain = crate::certified_org(&svc, "Unlicensed", "plain.admin").await?;
    let (_, plain_leaves) = tree(&svc, &plain, "Staff", 1).await?;
    people(&svc, plain.as_str(), "u", VISITS, &plain_leaves).await?;
    let (_, visit_leaves) = tree(&svc, &pool, "Visitors", 1).await?;
    people(&svc, pool.as_str(), "v", VISITS, &visit_leaves).await?;
    svc.license().set_auto_authorize(&sys, &pool, &AutoChange { on: true }).await?;
    let token = NewToken { name: "bench".into(), expires_in_days: Some(1) };
    let mut with = Vec::new();
    let mut without = Vec::new();
    for i in 0..VISITS {
        let c = svc.identity().caller_for_login(&sys, &format!("u.{i:07}"), Some(&plain)).await?;
        let t = Instant::now();
        svc.identity().create_token(&c, &token).await?;
        without.push(t.elapsed());
        let c = svc.identity().caller_for_login(&sys, &format!("v.{i:07}"), Some(&pool)).await?;
        let t = Instant::now();
        svc.identity().create_token(&c, &token).await?;
        with.push(t.elapsed());
    }
    let enabled = svc.license().get(&sys, &pool).await?.counts.assigned as usize;
    anyhow::ensure!(enabled == SUBTREE + VISITS, "first visits authorized {} accounts", enabled - SUBTREE);
    let visit_p50 = quantile(&mut with, 0.5).saturating_sub(quantile(&mut without, 0.5));

    // 3. Counts and breakdown at size: units of a network, each bound by an entry rule.
    let network = bench_network(&svc, &pool).await?;
    let per_unit = accounts.saturating_sub(SUBTREE + VISITS) / 9;
    let t = Instant::now();
    for u in 0..9 {
        let unit = svc
            .network()
            .create_managed_unit(
                &sys,
                &network,
                &NewManagedUnit { name: format!("Unit {u}"), partner_type: "supplier".into(), tier: "a".into() },
            )
            .await?;
        let unit_org = OrgId::parse(&unit.organization_id)?;
        let (unit_top, unit_leaves) = tree(&svc, &unit_org, "Staff", 10).await?;
        people(&svc, unit_org.as_str(), &format!("w{u}"), per_unit, &unit_leaves).await?;
        let rule = NewEntryRule { unit_id: UnitId::parse(&unit.id)?, department_id: unit_top };
        svc.license().add_entry_rule(&sys, &pool, &rule).await?;
    }
    svc.store().analyze().await?;
    println!("generated and authorized {} unit members in {:.1} s", per_unit * 9, t.elapsed().as_secs_f64());
    let total = svc.license().get(&sys, &pool).await?.counts.assigned;
    let mut reads = Vec::new();
    let mut raw_reads = Vec::new();
    for i in 0..READS {
        let t = Instant::now();
        let view = svc.license().get(&sys, &pool).await?;
        reads.push(t.elapsed());
        anyhow::ensure!(view.usage.len() == 10);
        // The peer counts every seat each time: a few samples say enough.
        if i % 15 != 0 {
            continue;
        }
        let t = Instant::now();
        let mut c = svc.store().read().await?;
        let _: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT org_id, COUNT(*) FROM seats WHERE pool_id = '{pool}' AND status = 'enabled' GROUP BY org_id"
        ))
        .fetch_all(&mut *c)
        .await?;
        raw_reads.push(t.elapsed());
    }
    svc.store().close().await;
    let lines = vec![
        format!(
            "{db:<10} batch authorize {SUBTREE} (subtree)     {:>9.1} ms   plain SQL {:>9.1} ms   ratio {:>5.2}   target < 1000 ms",
            ms(batch),
            ms(raw_batch),
            ms(batch) / ms(raw_batch).max(0.001)
        ),
        format!(
            "{db:<10} first visit adds (p50 of {VISITS})        {:>9.3} ms   (token with visit {:.3} ms, without {:.3} ms)   target < 1 ms",
            ms(visit_p50),
            ms(quantile(&mut with, 0.5)),
            ms(quantile(&mut without, 0.5))
        ),
        format!(
            "{db:<10} counts + breakdown, {total} seats  p50 {:>7.2} ms  p99 {:>7.2} ms   plain SQL p50 {:>7.2} ms   target < 50 ms",
            ms(quantile(&mut reads, 0.5)),
            ms(quantile(&mut reads, 0.99)),
            ms(quantile(&mut raw_reads, 0.5))
        ),
    ];
    for l in &lines {
        println!("{l}");
    }
    Ok(lines)
}

async fn bench_network(svc: &Service, pool: &OrgId) -> anyhow::Result<NetworkId> {
    let admin = svc.identity().caller_for_login(&Caller::System, "pool.admin", Some(pool)).await?;
    let n = svc
        .network()
        .create_network(&admin, &NewNetwork { name: "Bench partners".into(), description: String::new() })
        .await?;
    Ok(NetworkId::parse(&n.id)?)
}
