//! The one map from errors to HTTP: RFC 9457 problem details with a stable `type` per error
//! and, where an input was wrong, the field and the rule. Every problem also carries a stable
//! `code` with its `params`, which the console renders from its catalogues in the viewer's language.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keiretsu_domain::{DomainError, Param};
use keiretsu_service::Error;
use serde::Serialize;
use std::collections::BTreeMap;

/// Every kind of problem the server answers with, so each `type` is written once, with its status
/// and title. Clients branch on `type`; the title is for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemType {
    Validation,
    /// A body that is not JSON at all: a validation problem with status 400.
    MalformedJson,
    Conflict,
    NotFound,
    Forbidden,
    Unauthenticated,
    BadCredentials,
    Throttled,
    Internal,
    PayloadTooLarge,
    UnsupportedMediaType,
    MethodNotAllowed,
    RequestTimeout,
    Csrf,
    IdempotencyMismatch,
    IdempotencyRetry,
    IdempotencyInProgress,
    UriTooLong,
    HeadersTooLarge,
    MalformedRequest,
}

impl ProblemType {
    pub const ALL: &'static [ProblemType] = &[
        ProblemType::Validation,
        ProblemType::MalformedJson,
        ProblemType::Conflict,
        ProblemType::NotFound,
        ProblemType::Forbidden,
        ProblemType::Unauthenticated,
        ProblemType::BadCredentials,
        ProblemType::Throttled,
        ProblemType::Internal,
        ProblemType::PayloadTooLarge,
        ProblemType::UnsupportedMediaType,
        ProblemType::MethodNotAllowed,
        ProblemType::RequestTimeout,
        ProblemType::Csrf,
        ProblemType::IdempotencyMismatch,
        ProblemType::IdempotencyRetry,
        ProblemType::IdempotencyInProgress,
        ProblemType::UriTooLong,
        ProblemType::HeadersTooLarge,
        ProblemType::MalformedRequest,
    ];

    /// The code of a problem that no rule of the domain names: distinct from every rule's code.
    pub const fn code(self) -> &'static str {
        match self {
            ProblemType::Validation => "invalid_input",
            ProblemType::MalformedJson => "malformed_json",
            ProblemType::Conflict => "conflict",
            ProblemType::NotFound => "unknown_address",
            ProblemType::Forbidden => "forbidden",
            ProblemType::Unauthenticated => "unauthenticated",
            ProblemType::BadCredentials => "bad_credentials",
            ProblemType::Throttled => "throttled",
            ProblemType::Internal => "internal",
            ProblemType::PayloadTooLarge => "payload_too_large",
            ProblemType::UnsupportedMediaType => "unsupported_media_type",
            ProblemType::MethodNotAllowed => "method_not_allowed",
            ProblemType::RequestTimeout => "request_timeout",
            ProblemType::Csrf => "csrf",
            ProblemType::IdempotencyMismatch => "idempotency_mismatch",
            ProblemType::IdempotencyRetry => "idempotency_retry",
            ProblemType::IdempotencyInProgress => "idempotency_in_progress",
            ProblemType::UriTooLong => "uri_too_long",
            ProblemType::HeadersTooLarge => "headers_too_large",
            ProblemType::MalformedRequest => "malformed_request",
        }
    }

    pub const fn uri(self) -> &'static str {
        match self {
            ProblemType::Validation | ProblemType::MalformedJson => "/problems/validation",
            ProblemType::Conflict => "/problems/conflict",
            ProblemType::NotFound => "/problems/not-found",
            ProblemType::Forbidden => "/problems/forbidden",
            ProblemType::Unauthenticated => "/problems/unauthenticated",
            ProblemType::BadCredentials => "/problems/bad-credentials",
            ProblemType::Throttled => "/problems/throttled",
            ProblemType::Internal => "/problems/internal",
            ProblemType::PayloadTooLarge => "/problems/payload-too-large",
            ProblemType::UnsupportedMediaType => "/problems/unsupported-media-type",
            ProblemType::MethodNotAllowed => "/problems/method-not-allowed",
            ProblemType::RequestTimeout => "/problems/request-timeout",
            ProblemType::Csrf => "/problems/csrf",
            ProblemType::IdempotencyMismatch => "/problems/idempotency-mismatch",
            ProblemType::IdempotencyRetry => "/problems/idempotency-retry",
            ProblemType::IdempotencyInProgress => "/problems/idempotency-in-progress",
            ProblemType::UriTooLong => "/problems/uri-too-long",
            ProblemType::HeadersTooLarge => "/problems/headers-too-large",
            ProblemType::MalformedRequest => "/problems/malformed-request",
        }
    }

    pub const fn status(self) -> StatusCode {
        match self {
            ProblemType::Validation | ProblemType::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::MalformedJson | ProblemType::MalformedRequest => StatusCode::BAD_REQUEST,
            ProblemType::Conflict | ProblemType::IdempotencyRetry | ProblemType::IdempotencyInProgress => {
                StatusCode::CONFLICT
            }
            ProblemType::NotFound => StatusCode::NOT_FOUND,
            ProblemType::Forbidden | ProblemType::Csrf => StatusCode::FORBIDDEN,
            ProblemType::Unauthenticated | ProblemType::BadCredentials => StatusCode::UNAUTHORIZED,
            ProblemType::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ProblemType::UriTooLong => StatusCode::URI_TOO_LONG,
            ProblemType::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            ProblemType::Validation => "Invalid input",
            ProblemType::MalformedJson => "Malformed JSON",
            ProblemType::Conflict => "Conflict",
            ProblemType::NotFound => "Not found",
            ProblemType::Forbidden => "Forbidden",
            ProblemType::Unauthenticated => "Not signed in",
            ProblemType::BadCredentials => "Sign-in failed",
            ProblemType::Throttled => "Too many attempts",
            ProblemType::Internal => "Internal error",
            ProblemType::PayloadTooLarge => "Body too large",
            ProblemType::UnsupportedMediaType => "Unsupported media type",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::RequestTimeout => "Request timeout",
            ProblemType::Csrf => "CSRF check failed",
            ProblemType::IdempotencyMismatch => "Idempotency key reused",
            ProblemType::IdempotencyRetry => "Retry",
            ProblemType::IdempotencyInProgress => "In progress",
            ProblemType::UriTooLong => "URI too long",
            ProblemType::HeadersTooLarge => "Request header fields too large",
            ProblemType::MalformedRequest => "Malformed request",
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable per kind of error, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    /// For people, in English; clients branch on `code`.
    pub detail: String,
    /// Stable, snake_case: the rule broken (`too_long`, `required`, `needs_unit_id`), the reason a
    /// right was refused (`not_allowed`, `no_seat`), `not_found`, or the problem's own
    /// (`unauthenticated`, `throttled`, `invalid_input`, ...). Never reworded.
    #[schema(example = "too_long")]
    pub code: &'static str,
    /// The values the code's message names, e.g. `{"max": 100}` for `too_long`, `{"what": "member"}`
    /// for `not_found`: numbers as numbers, anything else as text. Absent when there are none.
    // Boxed, and `retry_after` kept to 32 bits, so a `Result` carrying an error stays small.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"max": 100}))]
    pub params: Option<Box<BTreeMap<&'static str, serde_json::Value>>>,
    /// The input that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (throttling).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub retry_after: Option<u32>,
}

#[derive(Debug)]
pub struct ApiError(pub Problem);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> ApiError {
        ApiError(Problem {
            kind: kind.uri(),
            title: kind.title(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            code: kind.code(),
            params: None,
            field: None,
            retry_after: None,
        })
    }

    /// The same problem with another status: a rejection from axum keeps the status it chose.
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.0.status = status.as_u16();
        self
    }

    /// The same problem named by a rule's code and filled in with its params.
    pub fn with_code(mut self, code: &'static str, params: Vec<(&'static str, Param)>) -> ApiError {
        self.0.code = code;
        let params: BTreeMap<_, _> = params
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Param::Number(n) => serde_json::Value::from(n),
                    Param::Text(t) => serde_json::Value::from(t),
                };
                (k, v)
            })
            .collect();
        self.0.params = (!params.is_empty()).then(|| Box::new(params));
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.0.field = Some(field.into());
        self
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(ProblemType::Unauthenticated, "sign in or send a bearer token")
    }

    pub fn payload_too_large() -> ApiError {
        ApiError::new(ProblemType::PayloadTooLarge, "the request body is larger than this endpoint accepts")
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
                let mut e = ApiError::new(ProblemType::Throttled, e.to_string())
                    .with_code(ProblemType::Throttled.code(), vec![("retry_after", Param::Number(retry_after_s))]);
                e.0.retry_after = Some(u32::try_from(retry_after_s.max(0)).unwrap_or(u32::MAX));
                e
            }
            Error::BadCredentials => ApiError::new(ProblemType::BadCredentials, "wrong login or password"),
            Error::Store(_) | Error::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                ApiError::new(ProblemType::Internal, "the server could not finish the request")
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(d: DomainError) -> ApiError {
        let detail = d.to_string();
        let (code, params) = (d.code(), d.params());
        let e = match &d {
            DomainError::Invalid { field, .. } => {
                ApiError::new(ProblemType::Validation, detail).with_field(field.clone())
            }
            DomainError::Conflict { field, .. } => {
                ApiError::new(ProblemType::Conflict, detail).with_field(field.clone())
            }
            DomainError::NotFound { .. } => ApiError::new(ProblemType::NotFound, detail),
            DomainError::Forbidden(_) if d == keiretsu_domain::identity::NOT_SIGNED_IN => {
                return ApiError::unauthenticated();
            }
            DomainError::Forbidden(_) => ApiError::new(ProblemType::Forbidden, detail),
        };
        e.with_code(code, params)
    }
}

/// The field a deserialization error is about: the path axum puts before the message
/// (`department_ids[0]: ...`), else the name serde quotes (`missing field `login``).
fn serde_field(message: &str) -> Option<String> {
    // axum's own words come first: "... into the target type: " for bodies, "... query string: "
    // for queries; the path follows them.
    let rest = ["target type: ", "query string: "]
        .iter()
        .find_map(|prefix| message.split_once(prefix).map(|(_, r)| r))
        .unwrap_or(message);
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
        let mut e = match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::new(ProblemType::UnsupportedMediaType, "send `Content-Type: application/json`")
            }
            StatusCode::BAD_REQUEST => ApiError::new(ProblemType::MalformedJson, text),
            _ => ApiError::new(ProblemType::Validation, text),
        };
        e.0.field = field.or(Some("body".into()));
        e
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        let text = r.body_text();
        let field = serde_field(&text).unwrap_or_else(|| "query".into());
        ApiError::new(ProblemType::Validation, text).with_field(field)
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

#[cfg(test)]
mod tests {
    use super::serde_field;

    #[test]
    fn deserialization_errors_name_the_field_not_the_value() {
        let query = "Failed to deserialize query string: inbox: unknown variant `everything`, expected one of `todo`";
        assert_eq!(serde_field(query).as_deref(), Some("inbox"));
        let body = "Failed to deserialize the JSON body into the target type: department_ids[0]: invalid type";
        assert_eq!(serde_field(body).as_deref(), Some("department_ids"));
        let missing = "Failed to deserialize the JSON body into the target type: missing field `login` at line 1";
        assert_eq!(serde_field(missing).as_deref(), Some("login"));
    }
}
