//! Who is calling: a bearer token, a console session cookie, or no one. Console forms carry
//! a CSRF token that [`Csrf`] checks before the handler sees the form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use keiretsu_service::Caller;
use keiretsu_service::identity::SessionInfo;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "keiretsu_session";
pub const SECURE_SESSION_COOKIE: &str = "__Host-keiretsu_session";

pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value for a session: HttpOnly, SameSite=Lax, and `__Host-`/Secure over TLS.
pub fn session_set_cookie(state: &AppState, secret: &str) -> String {
    let max_age = state.svc.identity().session_absolute_ms() / 1000;
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", session_cookie_name(state))
}

pub fn session_clear_cookie(state: &AppState) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", session_cookie_name(state))
}

/// The client's address, for sign-in throttling: the TCP peer, unless the peer is one of the
/// configured trusted proxies; then the nearest address its forwarding headers name that is
/// not itself a trusted proxy. A client reaching the server directly cannot choose its address.
pub fn client_address(parts: &Parts, state: &AppState) -> String {
    let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".into();
    };
    let trusted = &state.settings.trusted_proxies;
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    forwarded_chain(&parts.headers).into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer).to_string()
}

/// The addresses a request passed through, first client first: `Forwarded`'s `for=` when sent
/// (RFC 7239), else `X-Forwarded-For`. An entry that is not an IP address ends the chain there,
/// so nothing before it is believed.
fn forwarded_chain(headers: &HeaderMap) -> Vec<std::net::IpAddr> {
    let forwarded: Vec<String> = headers
        .get_all(header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.eq_ignore_ascii_case("for").then(|| v.trim().trim_matches('"').to_owned())
            })
        })
        .collect();
    let entries: Vec<String> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|e| e.trim().to_owned())
            .collect()
    } else {
        forwarded
    };
    let mut chain = Vec::new();
    // From the right: the entries nearest the server were written by the proxies we trust.
    for e in entries.iter().rev() {
        // `[v6]:port`, `[v6]`, `v4:port` or a bare address.
        let bare = e.strip_prefix('[').and_then(|r| r.split_once(']')).map_or_else(
            || e.rsplit_once(':').filter(|(h, _)| !h.contains(':')).map_or(e.as_str(), |(h, _)| h),
            |(h, _)| h,
        );
        match bare.parse() {
            Ok(ip) => chain.push(ip),
            Err(_) => break,
        }
    }
    chain.reverse();
    chain
}

/// The credentials of `Authorization: Bearer <token>`; the scheme's name in any case (RFC 9110).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The caller of an API request. A request that sends credentials which do not work is refused
/// with 401 rather than treated as anonymous, so a revoked token never half-works.
pub struct Auth {
    pub caller: Caller,
    pub session: Option<SessionInfo>,
    pub address: String,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let address = client_address(parts, state);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let secret = value
                .to_str()
                .ok()
                .and_then(bearer)
                .ok_or_else(|| ApiError::unauthenticated().with_field("authorization"))?;
            let caller = state.svc.identity().token(secret.trim()).await?.ok_or_else(|| {
                ApiError::new(crate::error::ProblemType::Unauthenticated, "the token is unknown, revoked or expired")
            })?;
            return Ok(Auth { caller, session: None, address });
        }
        if let Some(secret) = cookie(&parts.headers, session_cookie_name(state)) {
            let Some(session) = state.svc.identity().session(secret).await? else {
                return Err(ApiError::new(
                    crate::error::ProblemType::Unauthenticated,
                    "the session has ended; sign in again",
                ));
            };
            // A cookie rides along on cross-site requests: changes need the session's CSRF token.
            if !is_safe(&parts.method) {
                let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
                if sent != Some(session.csrf_token.as_str()) {
                    return Err(csrf_error());
                }
            }
            return Ok(Auth { caller: session.caller.clone(), session: Some(session), address });
        }
        Ok(Auth { caller: Caller::Anonymous, session: None, address })
    }
}

pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn csrf_error() -> ApiError {
    ApiError::new(crate::error::ProblemType::Csrf, "the form is stale or came from another site; reload the page")
        .with_field("csrf")
}

/// A console session (signed in), without reading the body.
pub struct ConsoleSession(pub Option<SessionInfo>);

impl FromRequestParts<AppState> for ConsoleSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(match cookie(&parts.headers, session_cookie_name(state)) {
            Some(secret) => ConsoleSession(state.svc.identity().session(secret).await?),
            None => ConsoleSession(None),
        })
    }
}

/// A console form whose `csrf` field matched the session's token; the handler gets the rest,
/// parsed into `T` (a repeated name, from a multi-select or checkboxes, fills a `Vec`).
/// A `multipart/form-data` form (one with file inputs) gives its files apart.
pub struct Csrf<T> {
    pub session: SessionInfo,
    pub form: T,
    /// The fields as sent (without `csrf`): a failed form is drawn again with what was typed.
    pub raw: Vec<(String, String)>,
    pub files: Vec<Upload>,
    pub address: String,
}

/// A form that posts nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A file chosen in a console form.
pub struct Upload {
    /// The form field's name.
    pub field: String,
    pub name: String,
    pub content_type: String,
    pub content: axum::body::Bytes,
}

/// The text fields and the chosen files of a `multipart/form-data` body. A file input left
/// empty arrives as a part with no name and no bytes, and is dropped.
async fn multipart(req: Request, state: &AppState) -> Result<(Vec<(String, String)>, Vec<Upload>), ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(crate::error::ProblemType::Validation, e.body_text()).with_status(e.status())
    };
    let mut form = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(crate::error::ProblemType::Validation, e.body_text()).with_status(e.status()))?;
    let (mut pairs, mut files) = (Vec::new(), Vec::new());
    while let Some(part) = form.next_field().await.map_err(bad)? {
        let field = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(name) => {
                let content_type = part.content_type().unwrap_or("application/octet-stream").to_owned();
                let content = part.bytes().await.map_err(bad)?;
                if !name.is_empty() || !content.is_empty() {
                    files.push(Upload { field, name, content_type, content });
                }
            }
            None => pairs.push((field, part.text().await.map_err(bad)?)),
        }
    }
    Ok((pairs, files))
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Csrf<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let (mut parts, body) = req.into_parts();
        let address = client_address(&parts, state);
        let ConsoleSession(session) =
            ConsoleSession::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let Some(session) = session else {
            return Err(axum::response::Redirect::to("/login").into_response());
        };
        if parts.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
            return Err(csrf_error().into_response());
        }
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let req = Request::from_parts(parts, body);
        let (mut pairs, files) = if is_multipart {
            multipart(req, state).await.map_err(IntoResponse::into_response)?
        } else {
            let bytes = axum::body::Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| csrf_error().into_response())?;
            (pairs, Vec::new())
        };
        let sent = pairs.iter().position(|(k, _)| k == "csrf").map(|i| pairs.remove(i).1);
        if sent.as_deref() != Some(session.csrf_token.as_str()) {
            return Err(csrf_error().into_response());
        }
        let rest = serde_urlencoded::to_string(&pairs).map_err(|_| csrf_error().into_response())?;
        let form = parse_form(&rest).map_err(IntoResponse::into_response)?;
        Ok(Csrf { session, form, raw: pairs, files, address })
    }
}

/// A form body as `T`. A value it cannot take (a number input sent text, one name sent twice
/// for a single input) is a validation problem naming the input.
fn parse_form<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(serde_html_form::Deserializer::from_bytes(body.as_bytes())).map_err(|e| {
        let inner = e.inner().to_string();
        // A missing input has no path: serde quotes its name (`missing field `org_id``).
        let quoted = || inner.strip_prefix("missing field `")?.split('`').next().map(str::to_owned);
        let field = e
            .path()
            .iter()
            .find_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .or_else(quoted);
        let detail = match &field {
            Some(f) if !inner.contains(&format!("`{f}`")) => format!("{f}: {inner}"),
            _ => inner,
        };
        let problem = ApiError::new(crate::error::ProblemType::Validation, detail);
        match field {
            Some(f) => problem.with_field(f),
            None => problem,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Form {
        #[serde(default)]
        name: String,
        note: Option<String>,
        #[serde(default)]
        department_id: Vec<String>,
        days: Option<u32>,
    }

    #[test]
    fn a_form_takes_repeated_names_into_a_list() {
        let f: Form = parse_form("name=Kato&department_id=dep_a&department_id=dep_b&note=").unwrap();
        assert_eq!(f.name, "Kato");
        assert_eq!(f.department_id, ["dep_a", "dep_b"]);
        assert_eq!(f.note.as_deref(), Some(""));
        assert_eq!(f.days, None);
        let f: Form = parse_form("department_id=dep_a").unwrap();
        assert_eq!((f.name.as_str(), f.department_id.len()), ("", 1));
        let _: NoFields = parse_form("anything=at+all").unwrap();
    }

    #[test]
    fn a_value_a_form_cannot_take_is_a_validation_problem_naming_the_input() {
        let e = parse_form::<Form>("name=Kato&days=lots").unwrap_err();
        assert_eq!(e.0.field.as_deref(), Some("days"));
        assert_eq!(e.0.kind, crate::error::ProblemType::Validation.uri());
        assert!(e.0.detail.starts_with("days: "), "{}", e.0.detail);
        let e = parse_form::<Form>("name=a&name=b").unwrap_err();
        assert_eq!(e.0.field.as_deref(), Some("name"));

        #[derive(serde::Deserialize, Debug)]
        struct Needs {
            #[allow(dead_code)]
            org_id: String,
        }
        let e = parse_form::<Needs>("").unwrap_err();
        assert_eq!(e.0.field.as_deref(), Some("org_id"));
        assert_eq!(e.0.detail, "missing field `org_id`");
    }
}
