//! Form apps: the schema, submissions (list, export, totals) and attachments.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use keiretsu_domain::form::{Group, Schema};
use keiretsu_domain::ids::{AppId, AttachmentId, SubmissionId};
use keiretsu_service::forms::{AttachmentView, SchemaView, SubmissionInput, SubmissionQuery, SubmissionView};
use keiretsu_service::page::Page;
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_schema, put_schema))
        .routes(routes!(list_submissions, submit))
        .routes(routes!(export_submissions))
        .routes(routes!(submission_totals))
        .routes(routes!(get_submission, update_submission))
        .routes(routes!(upload).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .routes(routes!(download))
}

/// The app's form as it is now (anyone the app reaches).
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/schema", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path)), responses((status = 200, body = SchemaView), (status = "4XX", body = Problem)))]
async fn get_schema(State(s): State<AppState>, auth: Auth, Ids(app): Ids<AppId>) -> ApiResult<Json<SchemaView>> {
    Ok(Json(s.svc.forms().schema(&auth.caller, &app).await?))
}

/// App admins: a new version of the form; earlier submissions keep the version they were made in.
#[utoipa::path(put, path = "/api/v1/apps/{app_id}/schema", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path)), request_body = Schema,
    responses((status = 200, body = SchemaView), (status = "4XX", body = Problem)))]
async fn put_schema(
    State(s): State<AppState>,
    auth: Auth,
    Ids(app): Ids<AppId>,
    ApiJson(body): ApiJson<Schema>,
) -> ApiResult<Json<SchemaView>> {
    Ok(Json(s.svc.forms().put_schema(&auth.caller, &app, &body).await?))
}

/// Submit the form (needs the submit right and a seat).
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/submissions", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path)), request_body = SubmissionInput,
    responses((status = 201, body = SubmissionView), (status = "4XX", body = Problem)))]
async fn submit(
    State(s): State<AppState>,
    auth: Auth,
    Ids(app): Ids<AppId>,
    ApiJson(body): ApiJson<SubmissionInput>,
) -> ApiResult<(StatusCode, Json<SubmissionView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.forms().submit(&auth.caller, &app, &body).await?)))
}

/// The submissions the caller may read, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/submissions", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path), SubmissionQuery),
    responses((status = 200, body = Page<SubmissionView>), (status = "4XX", body = Problem)))]
async fn list_submissions(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SubmissionQuery>,
    Ids(app): Ids<AppId>,
) -> ApiResult<Json<Page<SubmissionView>>> {
    Ok(Json(s.svc.forms().submissions(&auth.caller, &app, &q).await?))
}

/// The same selection as CSV.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/submissions/export", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path), SubmissionQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = "4XX", body = Problem)))]
async fn export_submissions(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SubmissionQuery>,
    Ids(app): Ids<AppId>,
) -> ApiResult<impl IntoResponse> {
    let csv = s.svc.forms().submissions_csv(&auth.caller, &app, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"submissions.csv\""),
        ],
        csv,
    ))
}

/// Count, sum and average over the selection, grouped by `by`, of the number or money field `of`.
#[utoipa::path(get, path = "/api/v1/apps/{app_id}/submissions/totals", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path), SubmissionQuery),
    responses((status = 200, body = Vec<Group>), (status = "4XX", body = Problem)))]
async fn submission_totals(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SubmissionQuery>,
    Ids(app): Ids<AppId>,
) -> ApiResult<Json<Vec<Group>>> {
    Ok(Json(s.svc.forms().submission_totals(&auth.caller, &app, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/submissions/{submission_id}", tag = "forms", security(("bearer" = [])),
    params(("submission_id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = "4XX", body = Problem)))]
async fn get_submission(
    State(s): State<AppState>,
    auth: Auth,
    Ids(submission): Ids<SubmissionId>,
) -> ApiResult<Json<SubmissionView>> {
    Ok(Json(s.svc.forms().submission(&auth.caller, &submission).await?))
}

/// The submitter (while they may still submit) or an edit grant changes the values.
#[utoipa::path(put, path = "/api/v1/submissions/{submission_id}", tag = "forms", security(("bearer" = [])),
    params(("submission_id" = String, Path)), request_body = SubmissionInput,
    responses((status = 200, body = SubmissionView), (status = "4XX", body = Problem)))]
async fn update_submission(
    State(s): State<AppState>,
    auth: Auth,
    Ids(submission): Ids<SubmissionId>,
    ApiJson(body): ApiJson<SubmissionInput>,
) -> ApiResult<Json<SubmissionView>> {
    Ok(Json(s.svc.forms().update_submission(&auth.caller, &submission, &body).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (`attachment` if not given).
    #[param(schema_with = keiretsu_domain::directory::name_schemas::n200)]
    pub name: Option<String>,
}

/// Upload a file for an attachment field: the raw bytes, with their `Content-Type`. At most
/// 10 MiB; PDF, images, text, CSV, ZIP and Office documents.
#[utoipa::path(post, path = "/api/v1/apps/{app_id}/attachments", tag = "forms", security(("bearer" = [])),
    params(("app_id" = String, Path), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = "4XX", body = Problem)))]
async fn upload(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    Ids(app): Ids<AppId>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let view = s
        .svc
        .forms()
        .upload_attachment(&auth.caller, &app, q.name.as_deref().unwrap_or("attachment"), content_type, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The file, to its uploader until it is attached and then to whoever may read the submission.
#[utoipa::path(get, path = "/api/v1/attachments/{attachment_id}", tag = "forms", security(("bearer" = [])),
    params(("attachment_id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = "4XX", body = Problem)))]
async fn download(
    State(s): State<AppState>,
    auth: Auth,
    Ids(attachment): Ids<AttachmentId>,
) -> ApiResult<impl IntoResponse> {
    let (a, bytes) = s.svc.forms().download_attachment(&auth.caller, &attachment).await?;
    let disposition = content_disposition(&a.name);
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-type-options"), "nosniff".to_owned()),
            (header::HeaderName::from_static("x-checksum-sha256"), a.sha256),
        ],
        bytes,
    ))
}

/// `Content-Disposition` for a download named `name`: a plain ASCII `filename` (anything else,
/// quotes, backslashes and path separators become `_`) for old clients, and the exact name in
/// RFC 6266's `filename*` (UTF-8, percent-encoded) for the rest. Only the last path segment
/// of a name counts.
pub(crate) fn content_disposition(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().filter(|b| !b.trim().is_empty()).unwrap_or("attachment");
    let ascii: String = base
        .chars()
        .map(|c| if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in base.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn download_names_are_safe_in_both_forms() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        let d = content_disposition("../../etc/pass\"wd");
        assert!(d.starts_with("attachment; filename=\"pass_wd\";"), "{d}");
        assert!(!d.contains('/') && !d.contains(".."), "{d}");
        let d = content_disposition("見積書 1.pdf");
        assert!(d.starts_with("attachment; filename=\"___ 1.pdf\";"), "{d}");
        assert!(d.ends_with("filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%201.pdf"), "{d}");
        assert!(content_disposition("a\\b\r\n.txt").starts_with("attachment; filename=\"b__.txt\""));
    }
}
