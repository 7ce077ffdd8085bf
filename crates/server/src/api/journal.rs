//! The journal and the notification inbox.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use keiretsu_domain::ids::NotificationId;
use keiretsu_domain::journal::Entry;
use keiretsu_service::journal::JournalQuery;
use keiretsu_service::notifications::Inbox;
use keiretsu_service::page::Page;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(journal))
        .routes(routes!(journal_export))
        .routes(routes!(notifications))
        .routes(routes!(read_notification))
        .routes(routes!(read_all))
}

/// The journal of the caller's organization (primary admin or audit sub-admin), newest first;
/// for the operator, the platform's own entries.
#[utoipa::path(get, path = "/api/v1/journal", tag = "journal", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, body = Page<Entry>), (status = "4XX", body = Problem)))]
async fn journal(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<JournalQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    Ok(Json(s.svc.journal().entries(&auth.caller, &q).await?))
}

/// The same filter as `/api/v1/journal`, every page, as CSV.
#[utoipa::path(get, path = "/api/v1/journal/export", tag = "journal", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "4XX", body = Problem)))]
async fn journal_export(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<JournalQuery>,
) -> ApiResult<impl IntoResponse> {
    let csv = s.svc.journal().journal_csv(&auth.caller, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"journal.csv\""),
        ],
        csv,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Inbox), (status = "4XX", body = Problem)))]
async fn notifications(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Json<Inbox>> {
    Ok(Json(s.svc.notifications().inbox(&auth.caller, q.cursor.as_deref(), q.limit).await?))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{notification_id}/read", tag = "notifications", security(("bearer" = [])),
    params(("notification_id" = String, Path)), responses((status = 204), (status = "4XX", body = Problem)))]
async fn read_notification(
    State(s): State<AppState>,
    auth: Auth,
    Ids(notification): Ids<NotificationId>,
) -> ApiResult<StatusCode> {
    s.svc.notifications().mark_read(&auth.caller, Some(&notification)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark every notification read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn read_all(State(s): State<AppState>, auth: Auth) -> ApiResult<StatusCode> {
    s.svc.notifications().mark_read(&auth.caller, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
