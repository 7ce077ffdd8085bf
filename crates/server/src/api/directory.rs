//! Organizations, departments and members.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keiretsu_domain::ids::{DepartmentId, MemberId, MemberInvitationId, OrgId};
use keiretsu_service::directory::{
    Added, CertificationChange, DepartmentPatch, DepartmentView, Heads, ImportReport, MemberInvitationView,
    MemberPatch, MemberQuery, MemberView, NewDepartment, NewMember, NewOrg, OrgView, ReceivedInvitationView,
    RoleChange, Transfer,
};
use keiretsu_service::page::Page;
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids};
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::{AppState, IMPORT_LIMIT};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org))
        .routes(routes!(set_certification))
        .routes(routes!(list_departments, create_department))
        .routes(routes!(update_department, delete_department))
        .routes(routes!(set_heads))
        .routes(routes!(list_members, add_member))
        .routes(routes!(get_member, update_member))
        .routes(routes!(transfer_member))
        .routes(routes!(leave))
        .routes(routes!(rejoin))
        .routes(routes!(set_role))
        .routes(routes!(import_members).layer(DefaultBodyLimit::max(IMPORT_LIMIT)))
        .routes(routes!(list_member_invitations))
        .routes(routes!(cancel_member_invitation))
        .routes(routes!(received_invitations))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

/// Operator: every organization on the installation.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "platform", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgView>), (status = "4XX", body = Problem)))]
async fn list_orgs(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<OrgView>>> {
    Ok(Json(s.svc.directory().orgs(&auth.caller).await?))
}

/// Operator: create an organization with its root department and first primary admin.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "platform", security(("bearer" = [])), request_body = NewOrg,
    responses((status = 201, body = OrgView), (status = "4XX", body = Problem)))]
async fn create_org(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.directory().create_org(&auth.caller, &body).await?)))
}

/// An organization: its members read their own; the operator reads any.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = OrgView), (status = "4XX", body = Problem)))]
async fn get_org(State(s): State<AppState>, auth: Auth, Ids(org): Ids<OrgId>) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.svc.directory().org(&auth.caller, &org).await?))
}

/// Operator: set an organization's certification state.
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/certification", tag = "platform", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = CertificationChange,
    responses((status = 200, body = OrgView), (status = "4XX", body = Problem)))]
async fn set_certification(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<CertificationChange>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.svc.directory().set_certification(&auth.caller, &org, body.certification).await?))
}

/// The department tree, as a flat list with parent ids, heads and member counts.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/departments", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = Vec<DepartmentView>), (status = "4XX", body = Problem)))]
async fn list_departments(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<Vec<DepartmentView>>> {
    Ok(Json(s.svc.directory().departments(&auth.caller, &org).await?))
}

/// Create a department (under the root unless a parent is given).
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/departments", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = NewDepartment,
    responses((status = 201, body = DepartmentView), (status = "4XX", body = Problem)))]
async fn create_department(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<NewDepartment>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.directory().create_department(&auth.caller, &org, &body).await?)))
}

/// Rename a department or move it (with its subtree) under another.
#[utoipa::path(patch, path = "/api/v1/organizations/{org_id}/departments/{department_id}", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("department_id" = String, Path)), request_body = DepartmentPatch,
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn update_department(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, department)): Ids<(OrgId, DepartmentId)>,
    ApiJson(body): ApiJson<DepartmentPatch>,
) -> ApiResult<StatusCode> {
    s.svc.directory().update_department(&auth.caller, &org, &department, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an empty department (no sub-departments, no active members).
#[utoipa::path(delete, path = "/api/v1/organizations/{org_id}/departments/{department_id}", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("department_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_department(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, department)): Ids<(OrgId, DepartmentId)>,
) -> ApiResult<StatusCode> {
    s.svc.directory().delete_department(&auth.caller, &org, &department).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a department's heads.
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/departments/{department_id}/heads", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("department_id" = String, Path)), request_body = Heads,
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn set_heads(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, department)): Ids<(OrgId, DepartmentId)>,
    ApiJson(body): ApiJson<Heads>,
) -> ApiResult<StatusCode> {
    s.svc.directory().set_heads(&auth.caller, &org, &department, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Search and filter members; ordered by name, with a cursor for the next page.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/members", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), MemberQuery), responses((status = 200, body = Page<MemberView>), (status = "4XX", body = Problem)))]
async fn list_members(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<MemberQuery>,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<Page<MemberView>>> {
    Ok(Json(s.svc.directory().members(&auth.caller, &org, &q).await?))
}

/// Add a member (join). A new login gets an account and becomes a member at once: 201 with the
/// member. The login of an existing account (a person of another organization) is invited
/// instead: 202 with the invitation, and the person becomes a member when they accept it
/// (`POST /api/v1/me/invitations/{invitation_id}/accept`). A password is refused for an
/// existing account.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path)), request_body = NewMember,
    responses(
        (status = 201, description = "A new login: the member, created.", body = MemberView),
        (status = 202, description = "An existing account: invited, not yet a member.", body = MemberInvitationView),
        (status = "4XX", body = Problem)))]
async fn add_member(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
    ApiJson(body): ApiJson<NewMember>,
) -> ApiResult<Response> {
    Ok(match s.svc.directory().add_member(&auth.caller, &org, &body).await? {
        Added::Member(m) => (StatusCode::CREATED, Json(m)).into_response(),
        Added::Invited(i) => (StatusCode::ACCEPTED, Json(i)).into_response(),
    })
}

#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/members/{member_id}", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn get_member(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().member(&auth.caller, &org, &member).await?))
}

/// Change a member's name, title, employee number or supervisor.
#[utoipa::path(patch, path = "/api/v1/organizations/{org_id}/members/{member_id}", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), request_body = MemberPatch,
    responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn update_member(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
    ApiJson(body): ApiJson<MemberPatch>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().update_member(&auth.caller, &org, &member, &body).await?))
}

/// Move a member to other departments.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members/{member_id}/transfer", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), request_body = Transfer,
    responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn transfer_member(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
    ApiJson(body): ApiJson<Transfer>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().transfer_member(&auth.caller, &org, &member, &body).await?))
}

/// The member leaves; every departure reaction runs in the same transaction.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members/{member_id}/leave", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn leave(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().leave(&auth.caller, &org, &member).await?))
}

/// A member who left rejoins.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members/{member_id}/rejoin", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn rejoin(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().rejoin(&auth.caller, &org, &member).await?))
}

/// Primary admin: make a member a sub-admin with scopes, a plain member, or the primary admin (a transfer).
#[utoipa::path(put, path = "/api/v1/organizations/{org_id}/members/{member_id}/role", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_id" = String, Path)), request_body = RoleChange,
    responses((status = 200, body = MemberView), (status = "4XX", body = Problem)))]
async fn set_role(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
    ApiJson(body): ApiJson<RoleChange>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.svc.directory().set_role(&auth.caller, &org, &member, &body.role).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Import the good rows even if some are bad (the bad ones are reported and skipped).
    pub skip_bad: Option<bool>,
}

/// Import members from CSV (`employee_no,name,login,phone,email,title,department`). Every row is
/// checked first; any bad row stops the import unless `skip_bad=true`. Matched on employee number.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members/import", tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = "4XX", body = Problem)))]
async fn import_members(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    Ids(org): Ids<OrgId>,
    body: String,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let report = s.svc.directory().import_members(&auth.caller, &org, &body, q.skip_bad.unwrap_or(false), &()).await?;
    let status = if report.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(report)))
}

/// The organization's open invitations to become members (pending, not expired), oldest first.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/member-invitations", tag = "directory",
    security(("bearer" = [])), params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<MemberInvitationView>), (status = "4XX", body = Problem)))]
async fn list_member_invitations(
    State(s): State<AppState>,
    auth: Auth,
    Ids(org): Ids<OrgId>,
) -> ApiResult<Json<Vec<MemberInvitationView>>> {
    Ok(Json(s.svc.directory().member_invitations(&auth.caller, &org).await?))
}

/// Cancel an open invitation; 409 once it was answered, cancelled or expired.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/member-invitations/{member_invitation_id}/cancel",
    tag = "directory", security(("bearer" = [])),
    params(("org_id" = String, Path), ("member_invitation_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn cancel_member_invitation(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, id)): Ids<(OrgId, MemberInvitationId)>,
) -> ApiResult<StatusCode> {
    s.svc.directory().cancel_member_invitation(&auth.caller, &org, id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in person's open invitations to become a member of another organization.
#[utoipa::path(get, path = "/api/v1/me/invitations", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReceivedInvitationView>), (status = "4XX", body = Problem)))]
async fn received_invitations(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ReceivedInvitationView>>> {
    Ok(Json(s.svc.directory().received_invitations(&auth.caller).await?))
}

/// Accept an invitation: the membership is created with what the inviting admin chose, and
/// returned. 409 once it was answered, cancelled or expired.
#[utoipa::path(post, path = "/api/v1/me/invitations/{member_invitation_id}/accept", tag = "identity",
    security(("bearer" = [])), params(("member_invitation_id" = String, Path)),
    responses((status = 201, body = MemberView), (status = "4XX", body = Problem)))]
async fn accept_invitation(
    State(s): State<AppState>,
    auth: Auth,
    Ids(id): Ids<MemberInvitationId>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.directory().accept_invitation(&auth.caller, id.as_str()).await?)))
}

/// Decline an invitation. 409 once it was answered, cancelled or expired.
#[utoipa::path(post, path = "/api/v1/me/invitations/{member_invitation_id}/decline", tag = "identity",
    security(("bearer" = [])), params(("member_invitation_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn decline_invitation(
    State(s): State<AppState>,
    auth: Auth,
    Ids(id): Ids<MemberInvitationId>,
) -> ApiResult<StatusCode> {
    s.svc.directory().decline_invitation(&auth.caller, id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}
