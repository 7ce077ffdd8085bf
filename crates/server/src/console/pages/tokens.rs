//! API tokens: create (shown once), list, revoke.

use super::*;
use crate::console::when::when_text;

#[derive(Deserialize, Default, Clone)]
pub(crate) struct TokenForm {
    #[serde(default)]
    name: String,
    days: Option<String>,
}

pub(crate) async fn tokens(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    tokens_page(&s, ctx, f, None, &TokenForm::default(), None).await
}

pub(crate) async fn tokens_page(
    s: &AppState,
    ctx: Ctx,
    f: Flash,
    created: Option<String>,
    v: &TokenForm,
    err: Option<ApiError>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.tokens");
    if ctx.org().is_none() {
        return no_org(&ctx, "tokens", title);
    }
    let list = match s.svc.identity().tokens(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, "tokens", title, e),
    };
    let e = err.as_ref();
    let body = html! {
        p.muted { (t(lang, "tokens.help")) }
        @if let Some(secret) = created {
            div.notice data-testid="token-created" {
                p { (t(lang, "tokens.shown_once")) }
                code.secret data-testid="token-secret" { (secret) }
            }
        }
        form.inline.card method="post" action="/console/tokens" data-testid="token-form" {
            (ctx.csrf())
            label.field {
                span { (t(lang, "tokens.name")) }
                input name="name" required maxlength="100" value=(v.name) data-testid="token-name";
                (field_error(lang, e, "name"))
            }
            label.field {
                span { (t(lang, "tokens.days")) }
                input name="days" type="number" min="1" max="365" value=(v.days.clone().unwrap_or_else(|| "90".into())) data-testid="token-days";
                (field_error(lang, e, "expires_in_days"))
            }
            button type="submit" data-testid="token-submit" { (t(lang, "tokens.create")) }
        }
        table data-testid="token-table" {
            thead { tr { th { (t(lang, "tokens.name")) } th { (t(lang, "tokens.created")) } th { (t(lang, "tokens.expires")) } th { (t(lang, "tokens.last_used")) } th {} } }
            tbody {
                @for tk in &list {
                    tr data-testid="token-row" data-token-id=(tk.id) {
                        td { (tk.name) } td.nowrap { (when_text(&ctx, &tk.created_at)) } td.nowrap { (when_text(&ctx, &tk.expires_at)) } td.nowrap { @if let Some(used) = &tk.last_used_at { (when_text(&ctx, used)) } }
                        td { @if tk.revoked { span.badge { (t(lang, "tokens.revoked")) } } @else {
                            form.inline method="post" action={ "/console/tokens/" (tk.id) "/revoke" }
                                data-confirm=(t(lang, "tokens.revoke_confirm")) {
                                (ctx.csrf())
                                button.danger.small type="submit" data-testid="token-revoke" { (t(lang, "tokens.revoke")) }
                            }
                        } }
                    }
                }
                @if list.is_empty() { tr { td.muted colspan="5" { (t(lang, "common.none")) } } }
            }
        }
    };
    match &err {
        Some(e) => (status_of(e), layout(&ctx, "tokens", title, &Flash::error(lang, e), body)).into_response(),
        None => layout(&ctx, "tokens", title, &f, body),
    }
}

pub(crate) async fn create_token(State(s): State<AppState>, form: Csrf<TokenForm>) -> Response {
    let ctx = match ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let days = match form.form.days.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::parse::<i64>) {
        None => Ok(None),
        Some(Ok(d)) => Ok(Some(d)),
        Some(Err(_)) => Err(ApiError::from(DomainError::invalid(
            "expires_in_days",
            keiretsu_domain::Rule::Range { min: 1, max: 365 },
        ))),
    };
    let result = match days {
        Ok(days) => s
            .svc
            .identity()
            .create_token(&ctx.session.caller, &NewToken { name: form.form.name.clone(), expires_in_days: days })
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        // Rendered directly, never redirected: the secret must not land in a URL or history.
        Ok(created) => tokens_page(&s, ctx, Flash::default(), Some(created.secret), &TokenForm::default(), None).await,
        Err(e) => tokens_page(&s, ctx, Flash::default(), None, &form.form, Some(e)).await,
    }
}

pub(crate) async fn revoke_token(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let result = match TokenId::parse(&id) {
        Ok(tid) => s.svc.identity().revoke_token(&form.session.caller, &tid).await.map_err(ApiError::from),
        Err(_) => Err(DomainError::NotFound { what: "token" }.into()),
    };
    match result {
        Ok(()) => saved("/console/tokens"),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => tokens_page(&s, ctx, Flash::default(), None, &TokenForm::default(), Some(e)).await,
            Err(r) => r,
        },
    }
}
