//! The one map from errors to HTTP: RFC 9457 problem details with a stable `type` per error
//! and, where an input was wrong, the field and the rule.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keiretsu_domain::DomainError;
use keiretsu_service::Error;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable per kind of error, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The input that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (throttling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

#[derive(Debug)]
pub struct ApiError(pub Problem);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError(Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            retry_after: None,
        })
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.0.field = Some(field.into());
        self
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "/problems/unauthenticated",
            "Not signed in",
            "sign in or send a bearer token",
        )
    }

    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "/problems/payload-too-large",
            "Body too large",
            "the request body is larger than this endpoint accepts",
        )
    }

    pub fn status(&self) -> u16 {
        self.0.status
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Domain(d) => d.into(),
            Error::Throttled { retry_after_s } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "/problems/throttled",
                    "Too many attempts",
                    e.to_string(),
                );
                e.0.retry_after = Some(retry_after_s);
                e
            }
            Error::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "/problems/bad-credentials",
                "Sign-in failed",
                "wrong login or password",
            ),
            Error::Store(_) | Error::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "/problems/internal",
                    "Internal error",
                    "the server could not finish the request",
                )
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(d: DomainError) -> ApiError {
        let detail = d.to_string();
        match &d {
            DomainError::Invalid { field, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "/problems/validation", "Invalid input", detail)
                    .with_field(field.clone())
            }
            DomainError::Conflict { field, .. } => {
                ApiError::new(StatusCode::CONFLICT, "/problems/conflict", "Conflict", detail).with_field(field.clone())
            }
            DomainError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "/problems/not-found", "Not found", detail)
            }
            DomainError::Forbidden(_) if d == keiretsu_domain::identity::NOT_SIGNED_IN => ApiError::unauthenticated(),
            DomainError::Forbidden(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "/problems/forbidden", "Forbidden", detail)
            }
        }
    }
}

/// The field a deserialization error is about: the path axum puts before the message
/// (`department_ids[0]: ...`), else the name serde quotes (`missing field `login``).
fn serde_field(message: &str) -> Option<String> {
    let rest = message.split_once("target type: ").map_or(message, |(_, r)| r);
    if let Some((path, _)) = rest.split_once(": ")
        && !path.is_empty()
        && path != "."
        && !path.contains(' ')
    {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        return Some(top.to_owned());
    }
    let start = rest.find('`')? + 1;
    let len = rest[start..].find('`')?;
    Some(rest[start..start + len].to_owned())
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = r.status();
        let text = r.body_text();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::payload_too_large();
        }
        let field = match &r {
            JsonRejection::JsonDataError(_) => serde_field(&text),
            _ => None,
        };
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "/problems/validation", "Invalid input", text);
        if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            e = ApiError::new(
                status,
                "/problems/unsupported-media-type",
                "Unsupported media type",
                "send `Content-Type: application/json`",
            );
        } else if status == StatusCode::BAD_REQUEST {
            e.0.title = "Malformed JSON";
            e.0.status = status.as_u16();
        }
        e.0.field = field.or(Some("body".into()));
        e
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        let text = r.body_text();
        let field = serde_field(&text).unwrap_or_else(|| "query".into());
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "/problems/validation", "Invalid input", text).with_field(field)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.0.retry_after;
        let mut res = (status, Json(self.0)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
