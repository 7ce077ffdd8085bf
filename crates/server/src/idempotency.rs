//! `Idempotency-Key` on creating requests: the same key and body replays the first response
//! with one effect; the same key with another body is refused; parallel repeats wait for the
//! first to finish and then replay it. Keys belong to the signed-in caller and expire after a
//! day; a secret shown once (a token, an invitation code) is never kept for a replay.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::FromRequestParts;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keiretsu_service::Caller;
use keiretsu_service::idempotency::{Answer, Record};
use keiretsu_service::secret_hash;

/// How often a request whose key is held by a request still running looks again.
const IN_PROGRESS_POLL: Duration = Duration::from_millis(20);
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;

pub const HEADER: &str = "idempotency-key";
/// How long a repeat waits for the first request with its key to finish.
const WAIT: Duration = Duration::from_secs(30);

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match handle(state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let Some(key) = req.headers().get(HEADER).cloned() else {
        return Ok(next.run(req).await);
    };
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::new(
                crate::error::ProblemType::Validation,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .with_field("Idempotency-Key")
        })?
        .to_owned();
    // The caller first, before a byte of the body is read: keys belong to a caller, and an
    // anonymous request (signing in) neither reserves a key nor has its answer kept.
    let (mut parts, body) = req.into_parts();
    let auth = Auth::from_request_parts(&mut parts, &state).await?;
    let Some(scope) = scope_of(&auth.caller) else {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    };
    let bytes = to_bytes(body, crate::body_limit(parts.uri.path())).await.map_err(|_| ApiError::payload_too_large())?;
    let fingerprint =
        secret_hash(&format!("{} {}\n{}", parts.method, parts.uri.path(), String::from_utf8_lossy(&bytes)));
    let svc = &state.svc;
    if svc.idempotency().idempotency_reserve(&scope, &key, &fingerprint).await? {
        let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
        let status = res.status();
        let revision = keiretsu_service::WRITTEN.try_with(std::cell::Cell::get).ok().filter(|r| *r > 0);
        let (res_parts, res_body) = res.into_parts();
        let body = to_bytes(res_body, usize::MAX).await.unwrap_or_default();
        let content_type = res_parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let kept = withhold_secrets(&body);
        let answer = Answer {
            status: i64::from(status.as_u16()),
            content_type,
            body: kept.as_deref().unwrap_or_else(|| std::str::from_utf8(&body).unwrap_or_default()),
            revision,
        };
        // A server error gives the key back, so the client may try again.
        svc.idempotency().idempotency_finish(&scope, &key, (!status.is_server_error()).then_some(&answer)).await?;
        return Ok(Response::from_parts(res_parts, Body::from(body)));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let record = svc.idempotency().idempotency_get(&scope, &key).await?;
        match record {
            Some(r) if r.request_hash != fingerprint => {
                return Err(ApiError::new(
                    crate::error::ProblemType::IdempotencyMismatch,
                    "this Idempotency-Key was used with a different request",
                )
                .with_field("Idempotency-Key"));
            }
            Some(Record { status: Some(status), body, content_type, revision, .. }) => {
                return Ok(replay(status, content_type, body.unwrap_or_default(), revision));
            }
            // The first request failed and gave the key back: this one may run it again.
            None => {
                return Err(ApiError::new(
                    crate::error::ProblemType::IdempotencyRetry,
                    "the first request with this key failed; send it again",
                ));
            }
            Some(_) if tokio::time::Instant::now() >= deadline => {
                return Err(ApiError::new(
                    crate::error::ProblemType::IdempotencyInProgress,
                    "a request with this Idempotency-Key is still running",
                ));
            }
            Some(_) => tokio::time::sleep(IN_PROGRESS_POLL).await,
        }
    }
}

/// Whose keys these are: the account and the organization it acts in, whichever credential
/// it sends; `None` for an anonymous request.
fn scope_of(caller: &Caller) -> Option<String> {
    match caller {
        Caller::Account { account, acting, .. } => {
            Some(format!("{account}/{}", acting.as_ref().map_or("", |a| a.org.as_str())))
        }
        Caller::Anonymous | Caller::System => None,
    }
}

/// The first answer again, with its status, Content-Type and journal revision.
fn replay(status: i64, content_type: Option<String>, body: String, revision: Option<i64>) -> Response {
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let withheld = body.contains(WITHHELD_MARK);
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    let content_type = content_type.and_then(|c| HeaderValue::from_str(&c).ok());
    h.insert(header::CONTENT_TYPE, content_type.unwrap_or(HeaderValue::from_static("application/json")));
    h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(r) = revision {
        h.insert("keiretsu-revision", HeaderValue::from(r));
    }
    if withheld {
        h.insert("keiretsu-withheld", HeaderValue::from_static("secrets shown once are not replayed"));
    }
    res
}

/// Fields of an answer that carry a secret shown only once (a token's `secret`, an
/// invitation's `code`): never kept for a replay, nor any text that contains one (a link).
const SECRET_FIELDS: [&str; 2] = ["secret", "code"];
/// What a replay shows in a withheld secret's place.
const WITHHELD_MARK: &str = "(withheld: shown once)";

/// The answer as it may be kept: `None` when it holds no secret and is kept as it is.
fn withhold_secrets(body: &[u8]) -> Option<String> {
    fn secrets(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v.as_str() {
                        Some(s) if SECRET_FIELDS.contains(&k.as_str()) && !s.is_empty() => out.push(s.to_owned()),
                        _ => secrets(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| secrets(v, out)),
            _ => {}
        }
    }
    fn hide(v: &mut Value, found: &[String]) {
        match v {
            Value::String(s) if found.iter().any(|f| s.contains(f.as_str())) => *s = WITHHELD_MARK.into(),
            Value::Object(map) => map.values_mut().for_each(|v| hide(v, found)),
            Value::Array(items) => items.iter_mut().for_each(|v| hide(v, found)),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut found = Vec::new();
    secrets(&v, &mut found);
    if found.is_empty() {
        return None;
    }
    hide(&mut v, &found);
    Some(v.to_string())
}
