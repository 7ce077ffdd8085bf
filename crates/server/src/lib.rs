//! Keiretsu's HTTP edge: the REST API under `/api/v1` with its OpenAPI document, the console,
//! and the health and metrics endpoints. Handlers parse, authenticate, call one use case and
//! map the result; errors become RFC 9457 problem details in exactly one place.

pub mod api;
pub mod auth;
pub mod console;
pub mod error;
pub mod i18n;
pub mod idempotency;
pub mod metrics;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use keiretsu_service::Service;

/// Largest JSON body the API reads; larger ones get 413.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Largest member import (CSV) the API reads.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug, Default)]
pub struct ServerSettings {
    /// Set when the console is served over TLS (directly or behind a proxy): cookies get the
    /// `__Host-` prefix and `Secure`.
    pub secure_cookies: bool,
}

/// What every handler shares, behind one pointer: each layer and handler clones the state for
/// each request, and one reference count costs less than one per part of the service.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub svc: Service,
    pub settings: ServerSettings,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn new(svc: Service, settings: ServerSettings) -> AppState {
        AppState(Arc::new(Shared { svc, settings, metrics: metrics::Metrics::default() }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application: API, OpenAPI document, console, health and metrics.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let api = api
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn(stamp_revision));
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .merge(console::router())
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Sends the journal revision of the request's last write as `Keiretsu-Revision`, so the caller
/// can ask later reads for `at_least` that revision.
async fn stamp_revision(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let written = keiretsu_service::WRITTEN.scope(std::cell::Cell::new(0), async {
        let res = next.run(req).await;
        (res, keiretsu_service::WRITTEN.with(std::cell::Cell::get))
    });
    let (mut res, revision) = written.await;
    if revision > 0 {
        res.headers_mut().insert("keiretsu-revision", axum::http::HeaderValue::from(revision));
    }
    res
}

/// The OpenAPI document as served, for the contract test and `keiretsu openapi`.
pub fn openapi_json() -> String {
    let (_, openapi) = api::router().split_for_parts();
    openapi.to_pretty_json().unwrap_or_default()
}

/// Ready when the database answers and every migration is applied.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.svc.store().migrations_applied().await {
        Ok(true) if !state.svc.indexes_built() => (StatusCode::SERVICE_UNAVAILABLE, "indexes building").into_response(),
        Ok(true) => "ready".into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain")], "database unreachable")
            .into_response(),
    }
}

/// Serves the app on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = tokio::spawn(state.svc.clone().follow_journal());
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Answers are written whole: without Nagle's algorithm a short one leaves at once.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    follower.abort();
    served
}
