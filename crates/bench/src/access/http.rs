//! The check over HTTP: the real server on the generated database, two keep-alive clients in a
//! process of their own, and the in-process split (token, use case, the server's own time).

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use keiretsu_domain::access::{Index, Right};
use keiretsu_domain::ids::AppId;
use keiretsu_service::apps::CheckQuery;
use keiretsu_service::identity::NewToken;
use keiretsu_service::{Caller, Service};

use super::data::Fixture;
use super::measure::pct;

/// The bearer token the bench's own server asks for on `/metrics`.
const BENCH_METRICS_TOKEN: &str = "bench-metrics";

pub(super) struct Http {
    pub(super) requests: usize,
    /// Mean time inside the server (its metrics) for the check and for `/healthz`, ns.
    pub(super) inside: (u64, u64),
    pub(super) check: (u64, u64),
    pub(super) health: (u64, u64),
    pub(super) token: (u64, u64),
    pub(super) service: (u64, u64),
    pub(super) server_build: Duration,
    /// From serving to `/readyz` saying ready: the people index built (the access index was).
    pub(super) ready: Duration,
    pub(super) mismatches: usize,
}

fn p50_p99(mut v: Vec<u64>) -> (u64, u64) {
    (pct(&mut v, 0.5), pct(&mut v, 0.99))
}

pub(super) async fn http(
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
    // People who left are in nobody's sight, so asking about them answers 404 exactly as an
    // unknown id does; the checks ask about people still there (untimed filter).
    let mut seen: Vec<(&str, &str)> = Vec::with_capacity(requests);
    for &(m, a) in decisions {
        if seen.len() == requests {
            break;
        }
        let q = CheckQuery { member_id: Some(m.to_owned()), ..CheckQuery::default() };
        match svc.apps().check_access(&caller, &AppId::parse(a)?, &q).await {
            Ok(_) => seen.push((m, a)),
            Err(keiretsu_service::Error::Domain(keiretsu_domain::DomainError::NotFound { .. })) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let decisions = &seen[..];
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
