//! The REST API under `/api/v1`. Each handler authenticates, calls one use case and maps the result.

pub mod approvals;
pub mod apps;
pub mod directory;
pub mod forms;
pub mod identity;
pub mod journal;
pub mod license;
pub mod network;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use keiretsu_domain::ids;
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
    let api = approvals::routes(api);
    journal::routes(api).layer(axum::middleware::from_fn(require_credentials))
}

/// Authentication before everything else: a request with no credentials at all is answered
/// 401 before its path, query or body is looked at, except signing in for a token and setting a
/// password with a link (the link's code is the credential).
pub async fn require_credentials(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{Method, header};
    use axum::response::IntoResponse;
    let h = req.headers();
    let anonymous = !h.contains_key(header::AUTHORIZATION) && !h.contains_key(header::COOKIE);
    let signing_in =
        req.method() == Method::POST && matches!(req.uri().path(), "/api/v1/tokens" | "/api/v1/set-password");
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

/// A route's path parameters parsed into their types, stated in the handler's signature:
/// `Ids(app): Ids<AppId>`, `Ids((network, unit)): Ids<(NetworkId, UnitId)>`. A malformed id
/// is simply not found, the same answer as an unknown one; a parameter that is not an id
/// stays a `String`. Extractors run in argument order: this one goes after [`Auth`] and any
/// query, which are answered first as before, and before the body, which axum reads last; so
/// a malformed id is refused before the body is looked at.
///
/// [`Auth`]: crate::auth::Auth
pub struct Ids<T>(pub T);

impl<T: PathParams, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        // The parameters as strings first, so a segment that is not UTF-8 is refused as before.
        let Path(raw) = Path::<T::Raw>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        T::from_raw(raw).map(Ids).map_err(IntoResponse::into_response)
    }
}

/// One path parameter read from its segment.
pub trait PathParam: Sized {
    fn from_param(raw: String) -> Result<Self, ApiError>;
}

/// A route's path parameters: one, or a tuple of them in the order of the path, each parsed
/// in turn, so the first malformed one is the one reported.
pub trait PathParams: Sized {
    type Raw: DeserializeOwned + Send;
    fn from_raw(raw: Self::Raw) -> Result<Self, ApiError>;
}

impl<T: PathParam> PathParams for T {
    type Raw = String;
    fn from_raw(raw: String) -> Result<Self, ApiError> {
        T::from_param(raw)
    }
}

impl<A: PathParam, B: PathParam> PathParams for (A, B) {
    type Raw = (String, String);
    fn from_raw((a, b): (String, String)) -> Result<Self, ApiError> {
        Ok((A::from_param(a)?, B::from_param(b)?))
    }
}

impl<A: PathParam, B: PathParam, C: PathParam> PathParams for (A, B, C) {
    type Raw = (String, String, String);
    fn from_raw((a, b, c): (String, String, String)) -> Result<Self, ApiError> {
        Ok((A::from_param(a)?, B::from_param(b)?, C::from_param(c)?))
    }
}

/// A key or name, not an id: taken as sent; the use case checks it.
impl PathParam for String {
    fn from_param(raw: String) -> Result<Self, ApiError> {
        Ok(raw)
    }
}

/// Each id with what a malformed one is reported as not finding.
macro_rules! path_ids {
    ($($id:ident => $what:literal),* $(,)?) => {$(
        impl PathParam for ids::$id {
            fn from_param(raw: String) -> Result<Self, ApiError> {
                id(ids::$id::parse, &raw, $what)
            }
        }
    )*};
}

path_ids! {
    OrgId => "organization",
    DepartmentId => "department",
    AccountId => "account",
    MemberId => "member",
    MemberInvitationId => "invitation",
    TokenId => "token",
    NotificationId => "notification",
    NetworkId => "network",
    UnitId => "unit",
    ContactId => "contact",
    InvitationId => "invitation",
    AppId => "app",
    SubmissionId => "submission",
    AttachmentId => "attachment",
    ApprovalId => "approval",
}

/// Ids given by a user (in a path, a query) parsed into their types; a malformed id is simply
/// not found.
pub fn id<T>(
    parse: fn(&str) -> Result<T, keiretsu_domain::DomainError>,
    raw: &str,
    what: &'static str,
) -> Result<T, ApiError> {
    parse(raw).map_err(|_| keiretsu_domain::DomainError::NotFound { what }.into())
}
