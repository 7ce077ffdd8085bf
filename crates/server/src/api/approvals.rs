//! Approvals: an app's template, the caller's inboxes, one request and the actions on it.

use axum::Json;
use axum::extract::State;
use keiretsu_domain::approval::Template;
use keiretsu_domain::ids::{AppId, ApprovalId};
use keiretsu_service::approvals::{Action, InboxQuery, InstanceView, TemplateView};
use keiretsu_service::page::Page;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_template, put_template))
        .routes(routes!(inbox))
        .routes(routes!(get_approval))
        .routes(routes!(act))
}

/// The app's current approval template (approval and app admins of its organization).
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/approval-template", tag = "approvals", security(("bearer" = [])),
    params(("app_id" = String, Path)), responses((status = 200, body = TemplateView), (status = "4XX", body = Problem)))]
async fn get_template(State(s): State<AppState>, auth: Auth, Ids(app): Ids<AppId>) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.svc.approvals().template(&auth.caller, &app).await?))
}

/// Approval admins: publish the next version of the app's template. Requests already running
/// keep the version they started with.
#[utoipa::path(put, path = "/api/v1/apps/{app_id}/approval-template", tag = "approvals", security(("bearer" = [])),
    params(("app_id" = String, Path)), request_body = Template,
    responses((status = 200, body = TemplateView), (status = "4XX", body = Problem)))]
async fn put_template(
    State(s): State<AppState>,
    auth: Auth,
    Ids(app): Ids<AppId>,
    ApiJson(body): ApiJson<Template>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.svc.approvals().put_template(&auth.caller, &app, &body).await?))
}

/// One of the caller's inboxes, most recently changed first.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Page<InstanceView>), (status = "4XX", body = Problem)))]
async fn inbox(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Page<InstanceView>>> {
    Ok(Json(s.svc.approvals().inbox(&auth.caller, &q).await?))
}

/// One request: its plan, state and who it waits for (its submitter, those it asked or told,
/// and the approval admins of the app's organization).
#[utoipa::path(get, path = "/api/v1/approvals/{approval_id}", tag = "approvals", security(("bearer" = [])),
    params(("approval_id" = String, Path)), responses((status = 200, body = InstanceView), (status = "4XX", body = Problem)))]
async fn get_approval(
    State(s): State<AppState>,
    auth: Auth,
    Ids(id): Ids<ApprovalId>,
) -> ApiResult<Json<InstanceView>> {
    Ok(Json(s.svc.approvals().instance(&auth.caller, &id).await?))
}

/// Act on a request: approve, reject, return, resubmit, withdraw, transfer or add an approver.
/// Send an `Idempotency-Key` so a repeated click acts once.
#[utoipa::path(post, path = "/api/v1/approvals/{approval_id}/actions", tag = "approvals", security(("bearer" = [])),
    params(("approval_id" = String, Path)), request_body = Action,
    responses((status = 200, body = InstanceView), (status = "4XX", body = Problem)))]
async fn act(
    State(s): State<AppState>,
    auth: Auth,
    Ids(id): Ids<ApprovalId>,
    ApiJson(body): ApiJson<Action>,
) -> ApiResult<Json<InstanceView>> {
    Ok(Json(s.svc.approvals().act(&auth.caller, &id, &body).await?))
}
