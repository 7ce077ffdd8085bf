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

pub fn router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let api = identity::routes(api);
    let api = directory::routes(api);
    let api = network::routes(api);
    let api = license::routes(api);
    let api = apps::routes(api);
    let api = forms::routes(api);
    journal::routes(api)
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
