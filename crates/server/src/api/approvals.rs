//! Approvals: an app's template, the caller's inboxes, one request and the actions on it.

use axum::Json;
use axum::extract::State;
use keiretsu_domain::approval::{Plan, Template};
use keiretsu_domain::ids::{AppId, ApprovalId};
use keiretsu_service::approvals::{
    Action, DelegationView, InboxQuery, InstanceView, NewDelegation, Sample, TemplateView,
};
use keiretsu_service::page::Page;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_template, put_template))
        .routes(routes!(preview))
        .routes(routes!(inbox))
        .routes(routes!(get_approval))
        .routes(routes!(act))
        .routes(routes!(upload).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .routes(routes!(get_delegation, put_delegation, delete_delegation))
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

/// Approval admins: what a template would do for a sample submission from a member the
/// organization works with (the steps that apply and who would approve). Changes nothing.
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/approval-template/preview", tag = "approvals", security(("bearer" = [])),
    params(("app_id" = String, Path)), request_body = Sample,
    responses((status = 200, body = Plan), (status = "4XX", body = Problem)))]
async fn preview(
    State(s): State<AppState>,
    auth: Auth,
    Ids(app): Ids<AppId>,
    ApiJson(body): ApiJson<Sample>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(s.svc.approvals().preview(&auth.caller, &app, &body).await?))
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

/// Act on a request: approve, reject, return, resubmit, withdraw, transfer, add an approver,
/// comment or remind.
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

/// The caller's delegation: who takes their approval tasks while they are away.
#[utoipa::path(get, path = "/api/v1/approval-delegation", tag = "approvals", security(("bearer" = [])),
    responses((status = 200, body = DelegationView), (status = "4XX", body = Problem)))]
async fn get_delegation(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<DelegationView>> {
    let d = s.svc.approvals().delegation(&auth.caller).await?;
    Ok(Json(d.ok_or(keiretsu_domain::DomainError::NotFound { what: "delegation" })?))
}

/// Away from `starts_at` to `ends_at`: tasks that open for the caller then go to the delegate
/// (a member of their own organization). Replaces any earlier delegation.
#[utoipa::path(put, path = "/api/v1/approval-delegation", tag = "approvals", security(("bearer" = [])),
    request_body = NewDelegation, responses((status = 200, body = DelegationView), (status = "4XX", body = Problem)))]
async fn put_delegation(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewDelegation>,
) -> ApiResult<Json<DelegationView>> {
    Ok(Json(s.svc.approvals().set_delegation(&auth.caller, &body).await?))
}

/// Ends the caller's delegation; tasks already handed over stay with the delegate.
#[utoipa::path(delete, path = "/api/v1/approval-delegation", tag = "approvals", security(("bearer" = [])),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_delegation(State(s): State<AppState>, auth: Auth) -> ApiResult<axum::http::StatusCode> {
    s.svc.approvals().clear_delegation(&auth.caller).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Upload a file to a request, to attach to a comment (`attachment_ids`): the raw bytes with
/// their `Content-Type`, at most 10 MiB, of the types form attachments take. Whoever may read
/// the request may upload and download.
#[utoipa::path(post, path = "/api/v1/approvals/{approval_id}/attachments", tag = "approvals", security(("bearer" = [])),
    params(("approval_id" = String, Path), super::forms::UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = keiretsu_service::files::AttachmentView), (status = "4XX", body = Problem)))]
async fn upload(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<super::forms::UploadQuery>,
    headers: axum::http::HeaderMap,
    Ids(id): Ids<ApprovalId>,
    body: axum::body::Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<keiretsu_service::files::AttachmentView>)> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let name = q.name.as_deref().unwrap_or("attachment");
    let view = s.svc.approvals().upload(&auth.caller, &id, name, content_type, &body).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}
