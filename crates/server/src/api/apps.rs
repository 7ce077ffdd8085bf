//! Apps, permission groups, publication, the workbench and access decisions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keiretsu_domain::DomainError;
use keiretsu_domain::access::Decision;
use keiretsu_domain::ids::{AppId, MemberId, NetworkId};
use keiretsu_service::apps::{
    AppView, CheckQuery, GroupInput, GroupView, NewApp, Publication, PublicationView, WhoQuery,
};
use keiretsu_service::page::Page;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids, id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_apps, create_app))
        .routes(routes!(list_groups))
        .routes(routes!(put_group, remove_group))
        .routes(routes!(list_publications))
        .routes(routes!(publish, unpublish))
        .routes(routes!(check))
        .routes(routes!(who_can))
        .routes(routes!(usable))
        .routes(routes!(workbench))
}

/// App admins: the organization's apps.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", security(("bearer" = [])),
    responses((status = 200, body = Vec<AppView>), (status = "4XX", body = Problem)))]
async fn list_apps(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(s.svc.apps().list(&auth.caller).await?))
}

/// App admins: create an app; everyone who can reach it may submit until groups say otherwise.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", security(("bearer" = [])), request_body = NewApp,
    responses((status = 201, body = AppView), (status = "4XX", body = Problem)))]
async fn create_app(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewApp>,
) -> ApiResult<(StatusCode, Json<AppView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.apps().create_app(&auth.caller, &body).await?)))
}

/// App admins: create or replace a permission group (rights and the people it names).
#[utoipa::path(put, path = "/api/v1/apps/{app_id}/permission-groups/{group}", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), ("group" = String, Path, pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[a-z0-9_]{2,32}[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$")), request_body = GroupInput,
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn put_group(
    State(s): State<AppState>,
    auth: Auth,
    Ids((app, group)): Ids<(AppId, String)>,
    ApiJson(body): ApiJson<GroupInput>,
) -> ApiResult<StatusCode> {
    s.svc.apps().put_permission_group(&auth.caller, &app, &group, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// App admins: the app's permission groups, by name, with their rights and the people they name.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/permission-groups", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path)),
    responses((status = 200, body = Vec<GroupView>), (status = "4XX", body = Problem)))]
async fn list_groups(State(s): State<AppState>, auth: Auth, Ids(app): Ids<AppId>) -> ApiResult<Json<Vec<GroupView>>> {
    Ok(Json(s.svc.apps().permission_groups(&auth.caller, &app).await?))
}

/// App admins: remove a permission group; what it alone granted ends at once.
#[utoipa::path(delete, path = "/api/v1/apps/{app_id}/permission-groups/{group}", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), ("group" = String, Path, pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[a-z0-9_]{2,32}[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$")),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn remove_group(
    State(s): State<AppState>,
    auth: Auth,
    Ids((app, group)): Ids<(AppId, String)>,
) -> ApiResult<StatusCode> {
    s.svc.apps().remove_permission_group(&auth.caller, &app, &group).await.map_err(|e| match e {
        // The app was found: the missing one is the group in the path.
        keiretsu_service::Error::Domain(DomainError::NotFound { what: "permission group" }) => {
            ApiError::from(e).with_field("group")
        }
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// App admins: the networks the app is published to, each with its audience.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/publications", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path)), responses((status = 200, body = Vec<PublicationView>), (status = "4XX", body = Problem)))]
async fn list_publications(
    State(s): State<AppState>,
    auth: Auth,
    Ids(app): Ids<AppId>,
) -> ApiResult<Json<Vec<PublicationView>>> {
    Ok(Json(s.svc.apps().publications(&auth.caller, &app).await?))
}

/// App admins: publish the app to one of the organization's networks for an audience, or change it.
#[utoipa::path(put, path = "/api/v1/apps/{app_id}/publications/{network_id}", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), ("network_id" = String, Path)), request_body = Publication,
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn publish(
    State(s): State<AppState>,
    auth: Auth,
    Ids((app, network)): Ids<(AppId, NetworkId)>,
    ApiJson(body): ApiJson<Publication>,
) -> ApiResult<StatusCode> {
    s.svc.apps().publish_app(&auth.caller, &app, &network, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/apps/{app_id}/publications/{network_id}", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), ("network_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn unpublish(
    State(s): State<AppState>,
    auth: Auth,
    Ids((app, network)): Ids<(AppId, NetworkId)>,
) -> ApiResult<StatusCode> {
    s.svc.apps().unpublish_app(&auth.caller, &app, &network).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// May this member use the app, and why: the path of grants, or the first missing link.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/check", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), CheckQuery), responses((status = 200, body = Decision), (status = "4XX", body = Problem)))]
async fn check(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CheckQuery>,
    Ids(app): Ids<AppId>,
) -> ApiResult<Json<Decision>> {
    Ok(Json(s.svc.apps().check_access(&auth.caller, &app, &q).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Freshness {
    /// A revision from a write's `Keiretsu-Revision` header: the answer reflects at least that write.
    pub at_least: Option<i64>,
}

/// App admins: a page of the members who may exercise a right on the app (member ids, sorted).
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/who", tag = "apps", security(("bearer" = [])),
    params(("app_id" = String, Path), WhoQuery), responses((status = 200, body = Page<String>), (status = "4XX", body = Problem)))]
async fn who_can(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<WhoQuery>,
    Ids(app): Ids<AppId>,
) -> ApiResult<Json<Page<String>>> {
    Ok(Json(s.svc.apps().who_can(&auth.caller, &app, &q).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsableQuery {
    #[param(pattern = "^mem_[a-z0-9_]{1,64}$")]
    pub member_id: String,
    /// A revision from a write's `Keiretsu-Revision` header: the answer reflects at least that write.
    pub at_least: Option<i64>,
}

/// App admins: which of the organization's apps a member (theirs or a partner's) may use.
#[utoipa::path(get, path = "/api/v1/apps/usable", tag = "apps", security(("bearer" = [])), params(UsableQuery),
    responses((status = 200, body = Vec<AppView>), (status = "4XX", body = Problem)))]
async fn usable(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<UsableQuery>,
) -> ApiResult<Json<Vec<AppView>>> {
    let member = id(MemberId::parse, &q.member_id, "member")?;
    Ok(Json(s.svc.apps().usable_apps(&auth.caller, &member, q.at_least).await?))
}

/// The apps the caller may use in the organization they act in.
#[utoipa::path(get, path = "/api/v1/workbench", tag = "apps", security(("bearer" = [])), params(Freshness),
    responses((status = 200, body = Vec<AppView>), (status = "4XX", body = Problem)))]
async fn workbench(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<Freshness>,
) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(s.svc.apps().workbench(&auth.caller, q.at_least).await?))
}
