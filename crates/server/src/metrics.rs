//! Prometheus text metrics: requests by route and status, and their total duration.
//!
//! They are not public: the main listener serves `/metrics` only with a bearer token
//! ([`MetricsToken`]), and [`crate::serve_metrics`] serves them without one on a listener of their
//! own, meant for a private network.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The bearer token `/metrics` asks for on the main listener. Only its SHA-256 is kept: it never
/// shows in `Debug` output, and comparing digests takes the same time however much of a guess is
/// right.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    /// `None` for an empty token, which would let `Authorization: Bearer ` in.
    pub fn new(token: &str) -> Option<MetricsToken> {
        let token = token.trim();
        (!token.is_empty()).then(|| MetricsToken(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether the request carries `Authorization: Bearer <this token>`.
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer") && <[u8; 32]>::from(Sha256::digest(token.trim().as_bytes())) == self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

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

/// `/metrics` on the main listener, routed only when a token is configured (404 otherwise).
pub async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match &state.settings.metrics_token {
        Some(token) if token.admits(&headers) => render(State(state)).await,
        Some(_) => {
            ApiError::new(crate::error::ProblemType::Unauthenticated, "send the metrics bearer token").into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The metrics, to whoever asks: for the metrics listener, or behind [`guarded`].
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
    let revision = state.svc.journal().latest_revision().await.unwrap_or(-1);
    out.push_str(
        "# HELP keiretsu_journal_revision The newest journal revision.\n# TYPE keiretsu_journal_revision gauge\n",
    );
    out.push_str(&format!("keiretsu_journal_revision {revision}\n"));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
