//! Tokens, the signed-in caller, and the operator's account controls.

use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use keiretsu_domain::ids::{AccountId, MemberId, OrgId, TokenId};
use keiretsu_service::identity::{CreatedToken, Me, NewToken, PasswordLink, SessionView, SetPassword, TokenView};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(me))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(issue_password_link))
        .routes(routes!(set_password))
        .routes(routes!(sessions))
        .routes(routes!(end_session))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// With `password`: create a token without a session (throttled like sign-in).
    pub login: Option<String>,
    pub password: Option<String>,
    /// The organization the token acts in; defaults to the first one.
    pub organization_id: Option<OrgId>,
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub name: String,
    /// 1 to 365; 90 by default.
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "keiretsu_domain::whole::option")]
    pub expires_in_days: Option<i64>,
}

/// Create an API token, scoped to one organization. Send a login and password, or call with a
/// session or token; the secret is returned once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "identity", request_body = TokenRequest,
    responses((status = 201, body = CreatedToken), (status = "4XX", body = Problem)))]
async fn create_token(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let input = NewToken { name: req.name, expires_in_days: req.expires_in_days };
    let created = match (&req.login, &req.password) {
        (Some(login), Some(password)) => {
            s.svc
                .identity()
                .create_token_with_password(login, password, req.organization_id.as_ref(), &input, &auth.address)
                .await?
        }
        _ => s.svc.identity().create_token(&auth.caller, &input).await?,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The caller's tokens in the organization it acts in.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = "4XX", body = Problem)))]
async fn list_tokens(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(s.svc.identity().tokens(&auth.caller).await?))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "identity", security(("bearer" = [])),
    params(("token_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_token(State(s): State<AppState>, auth: Auth, Ids(token): Ids<TokenId>) -> ApiResult<StatusCode> {
    s.svc.identity().revoke_token(&auth.caller, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account, the organization it acts in and its role there.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = "4XX", body = Problem)))]
async fn me(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Me>> {
    Ok(Json(s.svc.identity().me(&auth.caller).await?))
}

/// Operator: disable an account. Its sessions end and its tokens are revoked at once.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/disable", tag = "platform", security(("bearer" = [])),
    params(("account_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn disable_account(State(s): State<AppState>, auth: Auth, Ids(account): Ids<AccountId>) -> ApiResult<StatusCode> {
    s.svc.identity().set_account_disabled(&auth.caller, &account, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Operator: enable a disabled account again.
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/enable", tag = "platform", security(("bearer" = [])),
    params(("account_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn enable_account(State(s): State<AppState>, auth: Auth, Ids(account): Ids<AccountId>) -> ApiResult<StatusCode> {
    s.svc.identity().set_account_disabled(&auth.caller, &account, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a one-time link with which a member sets their password (72 hours; a new link replaces
/// an unused one). Only for someone whose account belongs to this organization alone.
#[utoipa::path(post, path = "/api/v1/organizations/{org_id}/members/{member_id}/password-link", tag = "directory",
    security(("bearer" = [])), params(("org_id" = String, Path), ("member_id" = String, Path)),
    responses((status = 201, body = PasswordLink), (status = "4XX", body = Problem)))]
async fn issue_password_link(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
) -> ApiResult<(StatusCode, Json<PasswordLink>)> {
    Ok((StatusCode::CREATED, Json(s.svc.identity().issue_password_link(&auth.caller, &org, &member).await?)))
}

/// Set a password with the code of a set-password link. Needs no sign-in; the code works once,
/// and every session the account had ends.
#[utoipa::path(post, path = "/api/v1/set-password", tag = "identity", request_body = SetPassword,
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn set_password(State(s): State<AppState>, ApiJson(body): ApiJson<SetPassword>) -> ApiResult<StatusCode> {
    s.svc.identity().set_password_with_link(&body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account's console sessions, newest first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionView>), (status = "4XX", body = Problem)))]
async fn sessions(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<SessionView>>> {
    Ok(Json(s.svc.identity().sessions(&auth.caller, auth.session.as_ref()).await?))
}

/// End one of the signed-in account's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "identity", security(("bearer" = [])),
    params(("session_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn end_session(State(s): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.svc.identity().end_session(&auth.caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
