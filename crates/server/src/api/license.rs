//! Editions, the seat pool and account authorization.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use keiretsu_domain::ids::{DepartmentId, OrgId};
use keiretsu_domain::license::Edition;
use keiretsu_service::license::{
    AutoChange, EntryRuleView, LicenseChange, LicenseView, NewEntryRule, SeatQuery, SeatSelection, SeatView,
    SeatsChanged,
};
use keiretsu_service::page::Page;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids, PathParam, id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_editions))
        .routes(routes!(update_edition))
        .routes(routes!(get_license, set_license))
        .routes(routes!(set_auto_authorize))
        .routes(routes!(list_seats))
        .routes(routes!(enable_seats))
        .routes(routes!(freeze_seats))
        .routes(routes!(release_departed))
        .routes(routes!(list_entry_rules, add_entry_rule))
        .routes(routes!(remove_entry_rule))
}

/// The department an entry rule binds, which names the rule in its path: a malformed one is no
/// such entry rule.
struct EntryRule(DepartmentId);

impl PathParam for EntryRule {
    fn from_param(raw: String) -> Result<Self, ApiError> {
        id(DepartmentId::parse, &raw, "entry rule").map(EntryRule)
    }
}

/// The edition catalogue.
#[utoipa::path(get, path = "/api/v1/editions", tag = "license", security(("bearer" = [])),
    responses((status = 200, body = Vec<Edition>), (status = "4XX", body = Problem)))]
async fn list_editions(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Edition>>> {
    Ok(Json(s.svc.license().editions(&auth.caller).await?))
}

/// Operator: change an edition of the catalogue (seat limit, auto-authorization, downstream release, networks).
#[utoipa::path(put, path = "/api/v1/editions/{key}", tag = "platform", security(("bearer" = [])),
    params(("key" = String, Path)), request_body = Edition,
    responses((status = 200, body = Edition), (status = "4XX", body = Problem)))]
async fn update_edition(
    State(s): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<Edition>,
) -> ApiResult<Json<Edition>> {
    Ok(Json(s.svc.license().update_edition(&auth.caller, &key, &body).await?))
}

/// License admins: counts, auto-authorization and usage by organization and unit.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/license", tag = "license", security(("bearer" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = LicenseView), (status = "4XX", body = Problem)))]
async fn get_license(State(s): State<AppState>, auth: Auth, Ids(org): Ids<OrgId>) -> ApiResult<Json<LicenseView>> {
    Ok(Json(s.svc.license().get(&auth.caller, &org).await?))
}

/// Operator: set the organization's edition and purchased seats.
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/license", tag = "platform", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = LicenseChange,
    responses((status = 200, body = LicenseView), (status = "4XX", body = Problem)))]
async fn set_license(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<LicenseChange>,
) -> ApiResult<Json<LicenseView>> {
    Ok(Json(s.svc.license().set_license(&auth.caller, &org, &body).await?))
}

/// License admins: switch auto-authorization (the trial edition keeps it on).
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/license/auto-authorize", tag = "license",
    security(("bearer" = [])), params(("org_id" = String, Path)), request_body = AutoChange,
    responses((status = 200, body = LicenseView), (status = "4XX", body = Problem)))]
async fn set_auto_authorize(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<AutoChange>,
) -> ApiResult<Json<LicenseView>> {
    Ok(Json(s.svc.license().set_auto_authorize(&auth.caller, &org, &body).await?))
}

/// The authorization list: search by name, filter by department (subtree) and status; a unit's people with `unit_id`.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/seats", tag = "license", security(("bearer" = [])),
    params(("org_id" = String, Path), SeatQuery), responses((status = 200, body = Page<SeatView>), (status = "4XX", body = Problem)))]
async fn list_seats(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SeatQuery>,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<Page<SeatView>>> {
    Ok(Json(s.svc.license().seats(&auth.caller, &org, &q).await?))
}

/// Authorize chosen accounts or a department subtree: all of them, or none if the pool lacks room.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/seats/enable", tag = "license", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = SeatSelection,
    responses((status = 200, body = SeatsChanged), (status = "4XX", body = Problem)))]
async fn enable_seats(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<SeatSelection>,
) -> ApiResult<Json<SeatsChanged>> {
    Ok(Json(s.svc.license().set_seats(&auth.caller, &org, &body, true).await?))
}

/// Freeze chosen accounts or a department subtree; auto-authorization never re-enables them.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/seats/freeze", tag = "license", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = SeatSelection,
    responses((status = 200, body = SeatsChanged), (status = "4XX", body = Problem)))]
async fn freeze_seats(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<SeatSelection>,
) -> ApiResult<Json<SeatsChanged>> {
    Ok(Json(s.svc.license().set_seats(&auth.caller, &org, &body, false).await?))
}

/// Release every seat still held by a member who has left.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/seats/release-departed", tag = "license",
    security(("bearer" = [])), params(("org_id" = String, Path)),
    responses((status = 200, body = SeatsChanged), (status = "4XX", body = Problem)))]
async fn release_departed(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<SeatsChanged>> {
    Ok(Json(s.svc.license().release_departed(&auth.caller, &org).await?))
}

/// Partner intelligent entry: unit departments whose members, present and future, get seats.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/seats/entry-rules", tag = "license",
    security(("bearer" = [])), params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<EntryRuleView>), (status = "4XX", body = Problem)))]
async fn list_entry_rules(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<Vec<EntryRuleView>>> {
    Ok(Json(s.svc.license().entry_rules(&auth.caller, &org).await?))
}

/// Bind a unit's department to the pool: its members get seats now (as many as fit) and on joining.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/seats/entry-rules", tag = "license",
    security(("bearer" = [])), params(("org_id" = String, Path)), request_body = NewEntryRule,
    responses((status = 201, body = EntryRuleView), (status = "4XX", body = Problem)))]
async fn add_entry_rule(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<NewEntryRule>,
) -> ApiResult<(StatusCode, Json<EntryRuleView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.license().add_entry_rule(&auth.caller, &org, &body).await?)))
}

/// Unbind a department; seats already given stay.
#[utoipa::path(delete, path = "/api/v1/organizations/{org_id}/seats/entry-rules/{department_id}", tag = "license",
    security(("bearer" = [])), params(("org_id" = String, Path), ("department_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn remove_entry_rule(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, rule)): Ids<(OrgId, EntryRule)>,
) -> ApiResult<StatusCode> {
    s.svc.license().remove_entry_rule(&auth.caller, &org, &rule.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
