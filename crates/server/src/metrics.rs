//! Prometheus text metrics: requests by route and status, and their total duration.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `(method, route, status)` -> (count, seconds).
type Requests = BTreeMap<(String, String, u16), (u64, f64)>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    if let Ok(mut m) = state.metrics.requests.lock() {
        let e = m.entry((method, route, res.status().as_u16())).or_default();
        e.0 += 1;
        e.1 += secs;
    }
    res
}

pub async fn render(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    out.push_str("# HELP keiretsu_http_requests_total HTTP requests by method, route and status.\n");
    out.push_str("# TYPE keiretsu_http_requests_total counter\n");
    let snapshot: Vec<_> = state.metrics.requests.lock().map(|m| m.clone().into_iter().collect()).unwrap_or_default();
    for ((method, route, status), (count, _)) in &snapshot {
        out.push_str(&format!(
            "keiretsu_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"
        ));
    }
    out.push_str("# HELP keiretsu_http_request_seconds_total Time spent answering, by method, route and status.\n");
    out.push_str("# TYPE keiretsu_http_request_seconds_total counter\n");
    for ((method, route, status), (_, secs)) in &snapshot {
        out.push_str(&format!(
            "keiretsu_http_request_seconds_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {secs:.6}\n"
        ));
    }
    let revision = state.svc.latest_revision().await.unwrap_or(-1);
    out.push_str(
        "# HELP keiretsu_journal_revision The newest journal revision.\n# TYPE keiretsu_journal_revision gauge\n",
    );
    out.push_str(&format!("keiretsu_journal_revision {revision}\n"));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
