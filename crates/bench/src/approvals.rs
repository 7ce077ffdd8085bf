//! `--approvals`: requests through a two-step template, beside a plain-SQL peer on the same
//! database. Prints:
//! 1. submit-then-approve through two steps (`forms().submit`, then `approvals().act` twice),
//!    requests per second, against three plain transactions per request (insert, two updates);
//! 2. the first page of a member's inbox holding 10,000 open tasks (`approvals().inbox`), p50 and
//!    p99, against the same page read with plain SQL;
//! 3. planning a 10-step template with conditions for one submission (`approval::plan`), per plan.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keiretsu_domain::approval::{self, Approvers, Condition, Facts, Mode, Node, Template};
use keiretsu_domain::form::{Schema, Values};
use keiretsu_domain::ids::{AppId, ApprovalId, OrgId};
use keiretsu_service::approvals::{Action, InboxQuery};
use keiretsu_service::apps::NewApp;
use keiretsu_service::directory::NewMember;
use keiretsu_service::forms::SubmissionInput;
use keiretsu_service::license::{LicenseChange, SeatSelection};
use keiretsu_service::{Caller, Service, Settings, SystemClock};

const INBOX: usize = 10_000;
const READS: usize = 300;
const PLANS: usize = 20_000;

fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn person(svc: &Service, org: &OrgId, login: &str) -> anyhow::Result<String> {
    let input = NewMember { name: login.into(), login: login.into(), ..Default::default() };
    let added = svc.directory().add_member(&Caller::System, org, &input).await?;
    added.member().map(|m| m.id).ok_or_else(|| anyhow::anyhow!("{login} was invited, not added"))
}

fn node(name: &str, approver: &str, when: Vec<Condition>) -> Node {
    Node {
        name: name.into(),
        approvers: vec![Approvers::Members { member_ids: vec![approver.to_owned()] }],
        mode: Mode::Any,
        when,
        copy_to: Vec::new(),
        remind_after_hours: None,
        escalate_after_hours: None,
    }
}

pub async fn run(db: &'static str, url: &str, requests: usize) -> anyhow::Result<Vec<String>> {
    println!("\n== {db}: approvals, {requests} requests through two steps, an inbox of {INBOX}");
    let store = keiretsu_service::open_store(url, 8).await?;
    let settings = Settings { argon2_memory_kib: 8 * 1024, argon2_iterations: 1, ..Settings::default() };
    let svc = Service::new(store, Arc::new(SystemClock), settings).await?;
    let sys = Caller::System;
    let org = crate::certified_org(&svc, "Approvals Backbone", "appr.admin").await?;
    svc.license().set_license(&sys, &org, &LicenseChange { edition: "exclusive".into(), seats: Some(100) }).await?;
    let submitter = person(&svc, &org, "appr.buyer").await?;
    let (first, second) = (person(&svc, &org, "appr.manager").await?, person(&svc, &org, "appr.finance").await?);
    let queue = person(&svc, &org, "appr.queue").await?;
    let seats = SeatSelection { member_ids: vec![submitter.clone()], ..Default::default() };
    svc.license().set_seats(&sys, &org, &seats, true).await?;
    let admin = svc.identity().caller_for_login(&sys, "appr.admin", Some(&org)).await?;
    let fields: Vec<keiretsu_domain::form::Field> =
        serde_json::from_value(serde_json::json!([{"key": "amount", "label": "Amount", "kind": "money"}]))?;
    let new_app = |name: &str| NewApp { name: name.into(), description: String::new(), fields: fields.clone() };
    let app = AppId::from_trusted(svc.apps().create_app(&admin, &new_app("Orders")).await?.id);
    let two = Template {
        nodes: vec![
            node("Manager", &first, Vec::new()),
            node("Finance", &second, vec![Condition::Field { filter: "amount:gt:0".into() }]),
        ],
        copy_to: Vec::new(),
    };
    svc.approvals().put_template(&admin, &app, &two).await?;
    let buyer = svc.identity().caller_for_login(&sys, "appr.buyer", Some(&org)).await?;
    let manager = svc.identity().caller_for_login(&sys, "appr.manager", Some(&org)).await?;
    let finance = svc.identity().caller_for_login(&sys, "appr.finance", Some(&org)).await?;
    let values = || SubmissionInput {
        values: serde_json::from_value(serde_json::json!({"amount": "120.00"})).unwrap_or_default(),
    };

    // 1. Submit, approve, approve: the use cases, then three plain transactions per request.
    let t = Instant::now();
    for _ in 0..requests {
        let sub = svc.forms().submit(&buyer, &app, &values()).await?;
        let id = request_of(&svc, &sub.id).await?;
        svc.approvals().act(&manager, &id, &Action::Approve).await?;
        let done = svc.approvals().act(&finance, &id, &Action::Approve).await?;
        anyhow::ensure!(done.state == keiretsu_domain::approval::State::Approved, "not approved: {:?}", done.state);
    }
    let service_rate = requests as f64 / t.elapsed().as_secs_f64();
    sqlx::query("CREATE TABLE bench_requests (id TEXT PRIMARY KEY, state TEXT NOT NULL, step BIGINT NOT NULL, body TEXT NOT NULL)")
        .execute(svc.store().pool())
        .await?;
    let t = Instant::now();
    for i in 0..requests {
        let id = format!("r{i:08}");
        let mut tx = svc.store().write().await?;
        sqlx::query("INSERT INTO bench_requests (id, state, step, body) VALUES ($1, 'pending', 0, $2)")
            .bind(&id)
            .bind(r#"{"amount":"120.00"}"#)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        for (from, state) in [(0i64, "pending"), (1, "approved")] {
            let mut tx = svc.store().write().await?;
            let n = sqlx::query("UPDATE bench_requests SET step = step + 1, state = $1 WHERE id = $2 AND step = $3")
                .bind(state)
                .bind(&id)
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            anyhow::ensure!(n == 1, "plain update missed");
            tx.commit().await?;
        }
    }
    let plain_rate = requests as f64 / t.elapsed().as_secs_f64();
    println!("submit + 2 approvals: {service_rate:.0}/s through the service, {plain_rate:.0}/s plain SQL");

    // 2. An inbox of 10,000 open tasks: a second app whose one step is the queue member's.
    let inbox_app = AppId::from_trusted(svc.apps().create_app(&admin, &new_app("Requests")).await?.id);
    let one = Template { nodes: vec![node("Queue", &queue, Vec::new())], copy_to: Vec::new() };
    svc.approvals().put_template(&admin, &inbox_app, &one).await?;
    let t = Instant::now();
    for _ in 0..INBOX {
        svc.forms().submit(&buyer, &inbox_app, &values()).await?;
    }
    println!("filled the inbox in {:.1} s", t.elapsed().as_secs_f64());
    svc.store().analyze().await?;
    let reader = svc.identity().caller_for_login(&sys, "appr.queue", Some(&org)).await?;
    let (mut service_reads, mut plain_reads) = (Vec::new(), Vec::new());
    for _ in 0..READS {
        let t = Instant::now();
        let page = svc.approvals().inbox(&reader, &InboxQuery { limit: Some(50), ..Default::default() }).await?;
        service_reads.push(t.elapsed());
        anyhow::ensure!(page.items.len() == 50 && page.next_cursor.is_some(), "a full first page");
        let t = Instant::now();
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.id, i.body FROM approval_people p JOIN approval_instances i ON i.id = p.instance_id \
             WHERE p.member_id = $1 AND p.kind = 'task' ORDER BY p.at DESC, p.instance_id DESC LIMIT 50",
        )
        .bind(&queue)
        .fetch_all(svc.store().pool())
        .await?;
        plain_reads.push(t.elapsed());
        anyhow::ensure!(rows.len() == 50, "plain page");
    }
    let (s50, s99) = (quantile(&mut service_reads, 0.5), quantile(&mut service_reads, 0.99));
    let (p50, p99) = (quantile(&mut plain_reads, 0.5), quantile(&mut plain_reads, 0.99));
    println!(
        "inbox first page of {INBOX} tasks: p50 {:.2} ms / p99 {:.2} ms through the service, plain SQL p50 {:.2} ms / p99 {:.2} ms",
        us(s50) / 1000.0,
        us(s99) / 1000.0,
        us(p50) / 1000.0,
        us(p99) / 1000.0
    );

    // 3. Planning a 10-step template with a condition on every step.
    let schema: Schema = serde_json::from_value(serde_json::json!({"fields": [
        {"key": "amount", "label": "Amount", "kind": "money"},
        {"key": "region", "label": "Region", "kind": "single_choice", "options": ["North", "South"]}]}))?;
    let ten = Template {
        nodes: (0..10)
            .map(|i| {
                let when = vec![Condition::Field { filter: format!("amount:gt:{}", i * 10) }];
                let mut n = node(&format!("Step {i}"), &first, when);
                n.approvers.push(Approvers::Supervisor { levels: 1 });
                n.approvers.push(Approvers::DepartmentHead);
                n
            })
            .collect(),
        copy_to: Vec::new(),
    };
    let facts = Facts {
        submitter,
        department_heads: vec![first.clone()],
        supervisors: vec![second.clone()],
        approval_admins: vec![queue.clone()],
        values: serde_json::from_value::<Values>(serde_json::json!({"amount": "1000.00", "region": "North"}))?,
        ..Default::default()
    };
    let t = Instant::now();
    for _ in 0..PLANS {
        let p = approval::plan(&ten, &schema, &facts)?;
        anyhow::ensure!(p.steps.len() == 10, "ten steps");
    }
    let per_plan = t.elapsed() / PLANS as u32;
    println!("planning 10 conditional steps: {:.1} us per plan", us(per_plan));
    Ok(vec![format!(
        "{db}: submit+2 approvals {service_rate:.0}/s (plain SQL {plain_rate:.0}/s, ratio {:.2}); inbox of {INBOX} p99 {:.2} ms (plain {:.2} ms); plan of 10 steps {:.1} us",
        service_rate / plain_rate,
        us(s99) / 1000.0,
        us(p99) / 1000.0,
        us(per_plan)
    )])
}

async fn request_of(svc: &Service, submission: &str) -> anyhow::Result<ApprovalId> {
    let row = keiretsu_store::approvals::instance_of_submission(&mut *svc.store().read().await?, submission).await?;
    Ok(ApprovalId::from_trusted(row.ok_or_else(|| anyhow::anyhow!("no request for {submission}"))?.id))
}
