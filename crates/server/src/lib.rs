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
pub mod wire;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hyper::body::{Body as _, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use keiretsu_service::Service;
use tokio::sync::Semaphore;

/// Largest JSON body the API reads; larger ones get 413.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Largest member import (CSV) the API reads.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;
/// Largest bulk invitation file (CSV) the API reads: one line per partner organization.
pub const INVITATION_IMPORT_LIMIT: usize = 2 * 1024 * 1024;
/// Largest attachment upload the API reads: the file and a little room.
pub const UPLOAD_LIMIT: usize = keiretsu_service::forms::MAX_ATTACHMENT + 1024;

/// The largest body a route under `path` reads, for the idempotency layer, which reads the body
/// before the route does. The routes set the same limits for their own extractors.
pub fn body_limit(path: &str) -> usize {
    if path.ends_with("/members/import") {
        IMPORT_LIMIT
    } else if path.ends_with("/invitations/import") {
        INVITATION_IMPORT_LIMIT
    } else if path.ends_with("/attachments") {
        UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// How long a client may take to send a request's headers, and how long an idle keep-alive
/// connection may wait for its next request, before the connection is closed.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's whole body may take to arrive, counted from its headers.
pub const DEFAULT_REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Open client connections per listener.
pub const DEFAULT_MAX_CLIENT_CONNECTIONS: usize = 1024;
/// How long the accept loop waits after a failed accept (most often: out of file descriptors).
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Set when the console is served over TLS (directly or behind a proxy): cookies get the
    /// `__Host-` prefix and `Secure`.
    pub secure_cookies: bool,
    /// Closes a connection that has not sent a whole request head in this time, whether it is
    /// new or idle between keep-alive requests (slowloris).
    pub header_read_timeout: Duration,
    /// Cuts off a request whose body has not fully arrived this long after its headers: it gets
    /// 408 and the connection is closed. Must cover the largest upload on the slowest link.
    pub request_body_timeout: Duration,
    /// Open connections per listener; beyond it new ones wait, unaccepted, until one closes.
    pub max_client_connections: usize,
    /// The bearer token `/metrics` requires on the main listener; without one it answers 404
    /// there (see [`serve_metrics`] for a listener of its own).
    pub metrics_token: Option<metrics::MetricsToken>,
    /// Proxies whose `X-Forwarded-For` is believed for the client's address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            secure_cookies: false,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_body_timeout: DEFAULT_REQUEST_BODY_TIMEOUT,
            max_client_connections: DEFAULT_MAX_CLIENT_CONNECTIONS,
            metrics_token: None,
            trusted_proxies: Vec::new(),
        }
    }
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

/// The whole application: API, OpenAPI document, console, health and (with a token) metrics.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::split();
    let openapi = Arc::new(openapi);
    let api = api
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn(stamp_revision));
    let mut router = Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .merge(console::router())
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    // Without a token the route does not exist here: nothing about the deployment leaks.
    if state.settings.metrics_token.is_some() {
        router = router.route("/metrics", get(metrics::guarded));
    }
    router
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
    let (_, openapi) = api::split();
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

/// Serves the app on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = tokio::spawn(state.svc.clone().follow_journal());
    let clock = tokio::spawn(approval_clock(state.svc.clone()));
    let limits = Limits::of(&state.settings);
    let served = serve_router(listener, app(state), limits, shutdown).await;
    follower.abort();
    clock.abort();
    served
}

/// Reminds and escalates overdue approval tasks once a minute. Several servers on one database
/// may all run it: a request changes once per round whoever gets there first.
async fn approval_clock(svc: keiretsu_service::Service) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = svc.approvals().sweep().await {
            tracing::warn!(error = %e, "approval clock");
        }
    }
}

/// What `metrics_listen` serves: `/metrics` without authentication, for a scraper on a private
/// network, and nothing else. Pass the main server's state (a clone) so it counts its requests.
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics::render)).with_state(state)
}

/// Serves [`metrics_app`] on `listener`, with the same connection limits, until `shutdown`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = Limits::of(&state.settings);
    serve_router(listener, metrics_app(state), limits, shutdown).await
}

#[derive(Clone, Copy)]
struct Limits {
    header_read: Duration,
    body: Duration,
    connections: usize,
}

impl Limits {
    fn of(s: &ServerSettings) -> Limits {
        Limits {
            header_read: s.header_read_timeout,
            body: s.request_body_timeout,
            // A semaphore of none would never accept; one of more than it can count would panic.
            connections: s.max_client_connections.clamp(1, Semaphore::MAX_PERMITS),
        }
    }
}

/// The accept loop: HTTP/1.1 with a header timeout, a body deadline and a connection limit, which
/// `axum::serve` does not set (it gives hyper no timer, so slow or idle clients stay for minutes).
async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    let open = Arc::new(Semaphore::new(limits.connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper has no clock of its own: without a timer the header timeout would do nothing.
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    loop {
        // At the limit the next connection is not accepted, not refused: it waits in the kernel's
        // listen backlog until an open one closes, at the latest when a header timeout ends an
        // idle or slow one, so a burst of real clients is delayed rather than turned away.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, most often: wait for some to close, do not spin.
                    tracing::error!(error = %e, "accept failed");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_RETRY) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are written whole: without Nagle's algorithm a short one leaves at once.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let app = TowerToHyperService::new(router.clone());
        let body_timeout = limits.body;
        let service = hyper::service::service_fn(move |req| answer(&app, remote, body_timeout, req));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(wire::ProblemOnParseError::new(tcp)), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "connection ended");
            }
            drop(permit);
        });
    }
    // Stop accepting, let idle connections close and open requests finish.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A client gave up before it was accepted: nothing to do but accept the next.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// Answers one request: the peer's address as `ConnectInfo` (as axum's
/// `into_make_service_with_connect_info` gave it), and a deadline on the body.
fn answer(
    app: &TowerToHyperService<Router>,
    remote: SocketAddr,
    body_timeout: Duration,
    mut req: Request<Incoming>,
) -> impl Future<Output = Result<Response, Infallible>> + Send + use<> {
    req.extensions_mut().insert(ConnectInfo(remote));
    // Requests without a body (most) need no deadline and cost no allocation for it.
    let expired = (!req.body().is_end_stream()).then(|| Arc::new(AtomicBool::new(false)));
    let req = match &expired {
        None => req.map(Body::new),
        Some(flag) => {
            let deadline = tokio::time::Instant::now() + body_timeout;
            req.map(|inner| Body::new(DeadlineBody { inner, deadline, sleep: None, expired: flag.clone() }))
        }
    };
    let answered = hyper::service::Service::call(app, req);
    async move {
        let res = answered.await?;
        if expired.is_some_and(|e| e.load(Ordering::Relaxed)) {
            // Whatever the handler made of the broken body, the client was too slow: say so and
            // close, since the rest of the body would otherwise be read as the next request.
            let mut res = error::ApiError::new(
                crate::error::ProblemType::RequestTimeout,
                format!("the request body did not arrive within {} s", body_timeout.as_secs_f64()),
            )
            .into_response();
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Ok(res);
        }
        Ok(res)
    }
}

/// A request body that fails once its deadline passes with the body still incomplete: a whole-body
/// deadline, not an idle timeout, so a client trickling a byte now and then is cut off too.
struct DeadlineBody {
    inner: Incoming,
    deadline: tokio::time::Instant,
    /// Made on the first wait only: a body that is already there needs no timer.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: Arc<AtomicBool>,
}

#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body timed out")
    }
}

impl std::error::Error for BodyTimedOut {}

impl hyper::body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        // Only a client that keeps us waiting is cut off, not a handler that reads late.
        let deadline = this.deadline;
        let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimedOut.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
