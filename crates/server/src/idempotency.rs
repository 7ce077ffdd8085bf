//! `Idempotency-Key` on creating requests: the same key and body replays the first response
//! with one effect; the same key with another body is refused; parallel repeats wait for the
//! first to finish and then replay it.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keiretsu_service::idempotency::Record;
use keiretsu_service::secret_hash;

use crate::error::ApiError;
use crate::{AppState, IMPORT_LIMIT};

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
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid input",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .with_field("Idempotency-Key")
        })?
        .to_owned();
    // Keys belong to the credential that sent them, so two clients never share one.
    let credential = req
        .headers()
        .get(header::AUTHORIZATION)
        .or_else(|| req.headers().get(header::COOKIE))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous");
    let scope = secret_hash(credential);
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, IMPORT_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "/problems/payload-too-large",
            "Body too large",
            "the request body is too large",
        )
    })?;
    let fingerprint =
        secret_hash(&format!("{} {}\n{}", parts.method, parts.uri.path(), String::from_utf8_lossy(&bytes)));
    let svc = &state.svc;
    if svc.idempotency_reserve(&scope, &key, &fingerprint).await? {
        let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
        let status = res.status();
        let (res_parts, res_body) = res.into_parts();
        let body = to_bytes(res_body, usize::MAX).await.unwrap_or_default();
        let answer =
            (!status.is_server_error()).then(|| (status.as_u16(), String::from_utf8_lossy(&body).into_owned()));
        svc.idempotency_finish(&scope, &key, answer.as_ref().map(|(s, b)| (*s, b.as_str()))).await?;
        return Ok(Response::from_parts(res_parts, Body::from(body)));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let record = svc.idempotency_get(&scope, &key).await?;
        match record {
            Some(r) if r.request_hash != fingerprint => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "/problems/idempotency-mismatch",
                    "Idempotency key reused",
                    "this Idempotency-Key was used with a different request",
                )
                .with_field("Idempotency-Key"));
            }
            Some(Record { status: Some(status), body, .. }) => {
                let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
                let mut res = (status, body.unwrap_or_default()).into_response();
                res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                return Ok(res);
            }
            // The first request failed and gave the key back: this one may run it again.
            None => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "/problems/idempotency-retry",
                    "Retry",
                    "the first request with this key failed; send it again",
                ));
            }
            Some(_) if tokio::time::Instant::now() >= deadline => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "/problems/idempotency-in-progress",
                    "In progress",
                    "a request with this Idempotency-Key is still running",
                ));
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
