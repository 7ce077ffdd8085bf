//! The REST API under `/api/v1`. Each handler authenticates, calls one use case and maps the result.

pub mod apps;
pub mod directory;
pub mod forms;
pub mod identity;
pub mod journal;
pub mod license;
pub mod network;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Keiretsu API", description = "Keiretsu: one trusted network for an enterprise and its partners. Errors are RFC 9457 problem details."),
    modifiers(&Security),
    components(schemas(crate::error::Problem))
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error answer is a problem document (`application/problem+json`), as the server sends
/// it; the routes' annotations name only the body, so the media type is set here, in one place.
fn problem_media_type(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if status.starts_with('2') {
                    continue;
                }
                if let utoipa::openapi::RefOr::T(r) = response
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content.insert("application/problem+json".to_owned(), content);
                }
            }
        }
    }
}

/// The API's routes and its OpenAPI document, as served.
pub fn split() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = router().split_for_parts();
    problem_media_type(&mut doc);
    one_of_code_or_id(&mut doc);
    let routes = routes.method_not_allowed_fallback(|| async {
        ApiError::new(crate::error::ProblemType::MethodNotAllowed, "this address does not take that method")
    });
    (routes, doc)
}

/// An invitation answer names its invitation by `code` or by `invitation_id`, exactly one of
/// them (the other absent or null): a rule across fields that the derive cannot write.
fn one_of_code_or_id(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    let Some(components) = openapi.components.as_mut() else { return };
    let Some(answer) = components.schemas.remove("InvitationAnswer") else { return };
    let only = |given: &str, absent: &str| {
        ObjectBuilder::new()
            .property(given, ObjectBuilder::new().schema_type(Type::String))
            .property(absent, ObjectBuilder::new().schema_type(Type::Null))
            .required(given)
    };
    let either = OneOfBuilder::new().item(only("code", "invitation_id")).item(only("invitation_id", "code"));
    let schema = AllOfBuilder::new().item(answer).item(either).build();
    components.schemas.insert("InvitationAnswer".to_owned(), Schema::AllOf(schema).into());
}

/// The answer under `/api` to an address no route has, as a problem document like every error.
pub fn not_found() -> ApiError {
    ApiError::new(crate::error::ProblemType::NotFound, "no such address in the API")
}

fn router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let api = identity::routes(api);
    let api = directory::routes(api);
    let api = network::routes(api);
    let api = license::routes(api);
    let api = apps::routes(api);
    let api = forms::routes(api);
    journal::routes(api).layer(axum::middleware::from_fn(require_credentials))
}

/// Authentication before everything else: a request with no credentials at all is answered
/// 401 before its path, query or body is looked at, except signing in for a token.
pub async fn require_credentials(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{Method, header};
    use axum::response::IntoResponse;
    let h = req.headers();
    let anonymous = !h.contains_key(header::AUTHORIZATION) && !h.contains_key(header::COOKIE);
    let signing_in = req.method() == Method::POST && req.uri().path() == "/api/v1/tokens";
    if anonymous && !signing_in && req.uri().path().starts_with("/api/v1/") {
        return ApiError::unauthenticated().into_response();
    }
    next.run(req).await
}

/// JSON bodies with problem-details rejections (unknown fields, wrong types, too large).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(ApiJson(axum::Json::<T>::from_request(req, state).await?.0))
    }
}

/// Query strings with problem-details rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(ApiQuery(axum::extract::Query::<T>::from_request_parts(parts, state).await?.0))
    }
}

/// Path ids parsed into their types; a malformed id is simply not found.
pub fn id<T>(
    parse: fn(&str) -> Result<T, keiretsu_domain::DomainError>,
    raw: &str,
    what: &'static str,
) -> Result<T, ApiError> {
    parse(raw).map_err(|_| keiretsu_domain::DomainError::NotFound { what }.into())
}
