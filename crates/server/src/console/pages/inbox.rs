//! The in-app inbox.

use super::*;
use crate::console::when::when_text;

pub(crate) fn notification_text(lang: Lang, n: &keiretsu_service::notifications::NotificationView) -> String {
    let p =
        |k: &str| n.params.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default();
    match n.kind.as_str() {
        "member_left" => tf(lang, "notification.member_left", &[("name", &p("name"))]),
        "head_left" => tf(lang, "notification.head_left", &[("name", &p("name")), ("departments", &p("departments"))]),
        "invitation_received" => tf(
            lang,
            "notification.invitation_received",
            &[
                ("network", &p("network")),
                ("backbone", &p("backbone")),
                ("partner_type", &type_text(lang, &p("partner_type"))),
            ],
        ),
        "invitation_accepted" => {
            tf(lang, "notification.invitation_accepted", &[("partner", &p("partner")), ("network", &p("network"))])
        }
        "invitation_declined" => {
            tf(lang, "notification.invitation_declined", &[("partner", &p("partner")), ("network", &p("network"))])
        }
        "unit_blocked" => {
            tf(lang, "notification.unit_blocked", &[("partner", &p("partner")), ("network", &p("network"))])
        }
        "unit_unblocked" => {
            tf(lang, "notification.unit_unblocked", &[("partner", &p("partner")), ("network", &p("network"))])
        }
        "unit_removed" => {
            tf(lang, "notification.unit_removed", &[("partner", &p("partner")), ("network", &p("network"))])
        }
        "unit_left" => tf(lang, "notification.unit_left", &[("partner", &p("partner")), ("network", &p("network"))]),
        "contact_handover" => tf(
            lang,
            "notification.contact_handover",
            &[
                ("name", &p("name")),
                ("successor", &p("successor")),
                ("partner", &p("partner")),
                ("role", &contact_role_text(lang, &p("role"))),
            ],
        ),
        "contact_assigned" => tf(
            lang,
            "notification.contact_assigned",
            &[
                ("name", &p("name")),
                ("successor", &p("successor")),
                ("partner", &p("partner")),
                ("role", &contact_role_text(lang, &p("role"))),
            ],
        ),
        "contact_missing" => tf(
            lang,
            "notification.contact_missing",
            &[("name", &p("name")), ("partner", &p("partner")), ("role", &contact_role_text(lang, &p("role")))],
        ),
        "app_published" => tf(lang, "notification.app_published", &[("app", &p("app")), ("network", &p("network"))]),
        "approval_task" => {
            tf(lang, "notification.approval_task", &[("app", &p("app")), ("submitter", &p("submitter"))])
        }
        "approval_copied" => {
            tf(lang, "notification.approval_copied", &[("app", &p("app")), ("submitter", &p("submitter"))])
        }
        "approval_reminder" => {
            tf(lang, "notification.approval_reminder", &[("app", &p("app")), ("submitter", &p("submitter"))])
        }
        "approval_comment" => tf(lang, "notification.approval_comment", &[("app", &p("app"))]),
        "approval_decided" => {
            let state = keiretsu_domain::approval::State::parse("state", &p("state"))
                .map_or_else(|_| p("state"), |s| crate::console::labels::state_text(lang, s).to_owned());
            tf(lang, "notification.approval_decided", &[("app", &p("app")), ("state", &state)])
        }
        "seats_warning" => tf(
            lang,
            "notification.seats_warning",
            &[("level", &p("level")), ("assigned", &p("assigned")), ("purchased", &p("purchased"))],
        ),
        _ => n.title.clone(),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct InboxQuery {
    cursor: Option<String>,
    saved: Option<String>,
}

pub(crate) async fn inbox(State(s): State<AppState>, ctx: Ctx, Query(q): Query<InboxQuery>) -> Response {
    let f = Saved { saved: q.saved }.flash(ctx.lang);
    inbox_page(&s, ctx, nonblank(q.cursor), f, None).await
}

pub(crate) async fn inbox_page(
    s: &AppState,
    ctx: Ctx,
    cursor: Option<String>,
    f: Flash,
    err: Option<ApiError>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.inbox");
    let inbox = match s.svc.notifications().inbox(&ctx.session.caller, cursor.as_deref(), Some(50)).await {
        Ok(i) => i,
        Err(e) => return err_page(&ctx, "inbox", title, e),
    };
    let body = html! {
        @if inbox.unread > 0 {
            form.inline method="post" action="/console/inbox/read-all" {
                (ctx.csrf())
                button.secondary type="submit" data-testid="inbox-read-all" { (t(lang, "inbox.read_all")) }
            }
        }
        table data-testid="inbox" {
            tbody {
                @for n in &inbox.page.items {
                    tr.unread[!n.read] data-testid="notification" data-kind=(n.kind) data-read=(n.read) {
                        td { @if !n.read { span.badge.unread { (t(lang, "inbox.new")) } } }
                        td {
                            // Links are ours (console paths); anything else is shown as text.
                            @match n.link.as_deref().filter(|l| l.starts_with('/') && !l.starts_with("//")) {
                                Some(link) => a href=(link) { (notification_text(lang, n)) },
                                None => (notification_text(lang, n)),
                            }
                        }
                        td.muted.nowrap { (when_text(&ctx, &n.created_at)) }
                        td { @if !n.read {
                            form.inline method="post" action={ "/console/inbox/" (n.id) "/read" } {
                                (ctx.csrf())
                                button.secondary.small type="submit" data-testid="notification-read" { (t(lang, "inbox.mark_read")) }
                            }
                        } }
                    }
                }
                @if inbox.page.items.is_empty() { tr { td.muted data-testid="inbox-empty" { (t(lang, "inbox.empty")) } } }
            }
        }
        div.pager {
            @if let Some(c) = &inbox.page.next_cursor {
                a href={ "/console/inbox?" (serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()) } data-testid="inbox-older" { (t(lang, "inbox.older")) }
            }
        }
    };
    match &err {
        Some(e) => (status_of(e), layout(&ctx, "inbox", title, &Flash::error(lang, e), body)).into_response(),
        None => layout(&ctx, "inbox", title, &f, body),
    }
}

pub(crate) async fn inbox_result<T>(s: &AppState, form: &Csrf<T>, r: Result<u64, ApiError>) -> Response {
    match r {
        Ok(_) => Redirect::to("/console/inbox").into_response(),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => inbox_page(s, ctx, None, Flash::default(), Some(e)).await,
            Err(r) => r,
        },
    }
}

pub(crate) async fn read_all(State(s): State<AppState>, form: Csrf<NoFields>) -> Response {
    let r = s.svc.notifications().mark_read(&form.session.caller, None).await.map_err(ApiError::from);
    inbox_result(&s, &form, r).await
}

pub(crate) async fn read_one(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let r = match NotificationId::parse(&id) {
        Ok(nid) => s.svc.notifications().mark_read(&form.session.caller, Some(&nid)).await.map_err(ApiError::from),
        Err(_) => Err(DomainError::NotFound { what: "notification" }.into()),
    };
    inbox_result(&s, &form, r).await
}
