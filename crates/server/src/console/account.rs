//! A person's own account: setting a first password with the link an administrator issued (no
//! sign-in needed: the code is the authority), changing the password, and seeing and ending one's
//! sessions.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::Reason;
use keiretsu_domain::identity::PASSWORD_MIN;
use keiretsu_service::identity::SetPassword;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::when::when_text;
use super::{Address, Ctx, Flash, error_text, head, layout, login_lang, status_of};
use crate::AppState;
use crate::auth::{Csrf, NoFields};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/set-password", get(set_password_page).post(set_password))
        .route("/console/account", get(account))
        .route("/console/account/password", post(change_password))
        .route("/console/account/time-zone", post(set_time_zone))
        .route("/console/account/sessions/{id}/end", post(end_session))
        .route("/console/account/invitations/{id}/accept", post(accept_invitation))
        .route("/console/account/invitations/{id}/decline", post(decline_invitation))
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    code: String,
    lang: Option<String>,
}

#[derive(Deserialize)]
struct SetPasswordForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    lang: Option<String>,
}

/// What went wrong with a field of these forms, in the reader's words and language; anything
/// else as the service said it.
fn message(lang: Lang, e: &ApiError) -> String {
    match e.0.field.as_deref() {
        Some("current_password") => t(lang, "account.current_wrong").to_owned(),
        Some("password" | "new_password") => tf(lang, "account.password_rule", &[("min", &PASSWORD_MIN.to_string())]),
        Some("confirm") => t(lang, "account.confirm_mismatch").to_owned(),
        Some("code") => t(lang, "account.code_unusable").to_owned(),
        Some("time_zone") => t(lang, "account.time_zone_unknown").to_owned(),
        _ => error_text(lang, e),
    }
}

/// The message beside the input named `field`, if the error is about it.
fn beside(lang: Lang, err: Option<&ApiError>, field: &str) -> Markup {
    html! {
        @if let Some(e) = err.filter(|e| e.0.field.as_deref() == Some(field)) {
            span.field-error role="alert" data-testid={ "field-error-" (field) } { (message(lang, e)) }
        }
    }
}

/// The page a set-password link opens, or the same page again with what went wrong.
fn render_set_password(code: &str, lang: Lang, err: Option<&ApiError>, done: bool) -> Response {
    let status = err.map_or(StatusCode::OK, status_of);
    let general = err.filter(|e| !matches!(e.0.field.as_deref(), Some("password" | "confirm")));
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.html_code()) {
            (head(lang, t(lang, "account.set_title")))
            body {
                main.login {
                    div.card {
                        h1 { (t(lang, "account.set_title")) }
                        @if done {
                            div.notice role="status" data-testid="notice" { (t(lang, "account.set_done")) }
                            p { a href={ "/login?lang=" (lang.code()) } data-testid="to-login" { (t(lang, "login.submit")) } }
                        } @else {
                            @if let Some(e) = general { div.error role="alert" data-testid="error" { (message(lang, e)) } }
                            p.muted { (tf(lang, "account.password_rule", &[("min", &PASSWORD_MIN.to_string())])) }
                            form.stack method="post" action="/set-password" data-testid="set-password-form" {
                                input type="hidden" name="code" value=(code);
                                input type="hidden" name="lang" value=(lang.code());
                                label for="sp-password" { (t(lang, "account.new_password")) }
                                input #sp-password name="password" type="password" autocomplete="new-password" required autofocus data-testid="set-password-password";
                                (beside(lang, err, "password"))
                                label for="sp-confirm" { (t(lang, "account.confirm_password")) }
                                input #sp-confirm name="confirm" type="password" autocomplete="new-password" required data-testid="set-password-confirm";
                                (beside(lang, err, "confirm"))
                                button type="submit" data-testid="set-password-submit" { (t(lang, "account.set_submit")) }
                            }
                        }
                    }
                }
            }
        }
    };
    (status, markup).into_response()
}

async fn set_password_page(headers: HeaderMap, Query(q): Query<CodeQuery>) -> Response {
    render_set_password(&q.code, login_lang(&headers, q.lang.as_deref()), None, false)
}

async fn set_password(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SetPasswordForm>,
) -> Response {
    let lang = login_lang(&headers, f.lang.as_deref());
    if f.password != f.confirm {
        let e = ApiError::from(keiretsu_domain::DomainError::invalid(
            "confirm",
            keiretsu_domain::Rule::Reason(Reason::PasswordMismatch),
        ));
        return render_set_password(&f.code, lang, Some(&e), false);
    }
    match s.svc.identity().set_password_with_link(&SetPassword { code: f.code.clone(), password: f.password }).await {
        Ok(()) => render_set_password("", lang, None, true),
        Err(e) => render_set_password(&f.code, lang, Some(&ApiError::from(e)), false),
    }
}

async fn account(State(s): State<AppState>, ctx: Ctx, Query(saved): Query<super::Saved>) -> Response {
    let f = saved.flash(ctx.lang);
    account_page(&s, ctx, f, None).await
}

async fn account_page(s: &AppState, ctx: Ctx, f: Flash, err: Option<&ApiError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "account.title");
    let sessions = match s.svc.identity().sessions(&ctx.session.caller, Some(&ctx.session)).await {
        Ok(list) => list,
        Err(e) => return super::pages::err_page(&ctx, "account", title, e),
    };
    let invitations = match s.svc.directory().received_invitations(&ctx.session.caller).await {
        Ok(list) => list,
        Err(e) => return super::pages::err_page(&ctx, "account", title, e),
    };
    let zones = keiretsu_domain::zone::Zone::names();
    let body = html! {
        @if !invitations.is_empty() {
            section.card data-testid="invitations" {
                h2 { (t(lang, "account.invitations")) }
                p.muted { (t(lang, "account.invitations_help")) }
                @for i in &invitations {
                    div.invitation data-testid="invitation" data-invitation-id=(i.id) {
                        p {
                            strong data-testid="invitation-org" { (i.organization_name) }
                            @if let Some(by) = &i.invited_by_name { " · " (tf(lang, "account.invited_by", &[("name", by)])) }
                        }
                        p.muted {
                            (tf(lang, "account.invited_as", &[("name", &i.name)]))
                            @if let Some(title) = &i.title { " · " (title) }
                            " · " (t(lang, "account.invitation_expires")) " " (when_text(&ctx, &i.expires_at))
                        }
                        div.actions {
                            form method="post" action={ "/console/account/invitations/" (i.id) "/accept" } {
                                (ctx.csrf())
                                button.small type="submit" data-testid="invitation-accept" { (t(lang, "account.accept")) }
                            }
                            form method="post" action={ "/console/account/invitations/" (i.id) "/decline" }
                                data-confirm=(tf(lang, "account.decline_confirm", &[("org", &i.organization_name)])) {
                                (ctx.csrf())
                                button.secondary.small type="submit" data-testid="invitation-decline" { (t(lang, "account.decline")) }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (t(lang, "account.time_zone")) }
            p.muted data-testid="time-zone-current" {
                @match &ctx.me.time_zone {
                    Some(z) => (tf(lang, "account.time_zone_chosen", &[("zone", z)])),
                    None => (tf(lang, "account.time_zone_browser", &[("zone", ctx.zone.name())])),
                }
            }
            form.inline method="post" action="/console/account/time-zone" data-testid="time-zone-form" {
                (ctx.csrf())
                label.field {
                    span { (t(lang, "account.time_zone")) }
                    input name="time_zone" list="time-zones" value=(ctx.me.time_zone.clone().unwrap_or_default()) required
                        data-browser-zone autocomplete="off" placeholder="Asia/Shanghai" data-testid="time-zone";
                    (beside(lang, err, "time_zone"))
                }
                datalist #time-zones { @for z in &zones { option value=(z) {} } }
                button type="submit" data-testid="time-zone-submit" { (t(lang, "common.save")) }
            }
        }
        section.card {
            h2 { (t(lang, "account.password")) }
            form.stack method="post" action="/console/account/password" data-testid="password-form" {
                (ctx.csrf())
                label for="a-current" { (t(lang, "account.current_password")) }
                input #a-current name="current_password" type="password" autocomplete="current-password" required data-testid="current-password";
                (beside(lang, err, "current_password"))
                label for="a-new" { (t(lang, "account.new_password")) }
                input #a-new name="new_password" type="password" autocomplete="new-password" required data-testid="new-password";
                span.hint { (tf(lang, "account.password_rule", &[("min", &PASSWORD_MIN.to_string())])) }
                (beside(lang, err, "new_password"))
                button type="submit" data-testid="password-submit" { (t(lang, "account.change_password")) }
            }
        }
        section.card {
            h2 { (t(lang, "account.sessions")) }
            p.muted { (t(lang, "account.sessions_help")) }
            table data-testid="sessions" {
                thead { tr { th { (t(lang, "account.signed_in")) } th { (t(lang, "account.last_seen")) } th {} } }
                tbody {
                    @for x in &sessions {
                        tr data-testid="session-row" {
                            td.nowrap { (when_text(&ctx, &x.created_at)) }
                            td.nowrap { (when_text(&ctx, &x.last_seen_at)) }
                            td {
                                form method="post" action={ "/console/account/sessions/" (x.id) "/end" } {
                                    (ctx.csrf())
                                    @if x.current {
                                        span.badge data-testid="session-current" { (t(lang, "account.this_session")) } " "
                                        button.secondary.small type="submit" data-testid="session-end-current" { (t(lang, "header.logout")) }
                                    } @else {
                                        button.secondary.small type="submit" data-testid="session-end" { (t(lang, "account.end_session")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let res = layout(&ctx, "account", title, &f, body);
    match err {
        Some(e) => (status_of(e), res).into_response(),
        None => res,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(State(s): State<AppState>, Address(address): Address, form: Csrf<PasswordForm>) -> Response {
    let caller = &form.session.caller;
    let f = &form.form;
    let result = s.svc.identity().change_password(caller, &f.current_password, &f.new_password, &address).await;
    let ctx = match super::ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match result {
        Ok(()) => {
            let notice = Flash { error: None, notice: Some(t(ctx.lang, "account.password_changed").to_owned()) };
            account_page(&s, ctx, notice, None).await
        }
        Err(e) => {
            let e = ApiError::from(e);
            account_page(&s, ctx, Flash::default(), Some(&e)).await
        }
    }
}

async fn end_session(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let current = form.session.id_hash.starts_with(&id);
    match s.svc.identity().end_session(&form.session.caller, &id).await {
        Ok(()) if current => Redirect::to("/login").into_response(),
        Ok(()) => Redirect::to("/console/account").into_response(),
        Err(e) => {
            let ctx = match super::ctx_of(&s, &form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let e = ApiError::from(e);
            let f = Flash::error(ctx.lang, &e);
            account_page(&s, ctx, f, Some(&e)).await
        }
    }
}

/// Accepting makes the person a member; the organization then appears in the header's switcher.
async fn accept_invitation(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let caller = &form.session.caller;
    let org_name = match s.svc.directory().received_invitations(caller).await {
        Ok(list) => list.into_iter().find(|i| i.id == id).map(|i| i.organization_name),
        Err(_) => None,
    };
    let result = s.svc.directory().accept_invitation(caller, &id).await;
    answered(&s, &form, result.map(|_| ("account.invitation_accepted", org_name.unwrap_or_default()))).await
}

async fn decline_invitation(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let result = s.svc.directory().decline_invitation(&form.session.caller, &id).await;
    answered(&s, &form, result.map(|()| ("account.invitation_declined", String::new()))).await
}

/// The account page again, with what became of the answer.
async fn answered(
    s: &AppState,
    form: &Csrf<NoFields>,
    result: keiretsu_service::Result<(&'static str, String)>,
) -> Response {
    let ctx = match super::ctx_of(s, form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match result {
        Ok((key, org)) => {
            let notice = Flash { error: None, notice: Some(tf(ctx.lang, key, &[("org", &org)])) };
            account_page(s, ctx, notice, None).await
        }
        Err(e) => {
            let e = ApiError::from(e);
            let f = Flash::error(ctx.lang, &e);
            account_page(s, ctx, f, Some(&e)).await
        }
    }
}

#[derive(Deserialize)]
struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

async fn set_time_zone(State(s): State<AppState>, form: Csrf<TimeZoneForm>) -> Response {
    let result = s.svc.identity().set_time_zone(&form.session.caller, &form.form.time_zone).await;
    let ctx = match super::ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match result {
        Ok(_) => super::saved("/console/account"),
        Err(e) => {
            // The message stands beside the field, in the reader's language.
            let e = ApiError::from(e);
            account_page(&s, ctx, Flash::default(), Some(&e)).await
        }
    }
}
