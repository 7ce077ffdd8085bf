//! The console: server-rendered pages (maud), compiled into the binary with their stylesheet.
//! Every form posts through [`Csrf`]; no GET changes anything. Strings come from the catalogues.

pub mod pages;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::identity::{Role, Scope};
use keiretsu_domain::ids::OrgId;
use keiretsu_service::identity::{Me, SessionInfo};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{ConsoleSession, Csrf, cookie, session_clear_cookie, session_set_cookie};
use crate::error::ApiError;
use crate::i18n::{Lang, t};

const CSS: &str = include_str!("../../assets/app.css");
const LOGIN_CSRF_COOKIE: &str = "keiretsu_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(css))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/console", get(pages::overview))
        .route("/console/switch-org", post(switch_org))
        .route("/console/lang", post(set_lang))
        .merge(pages::routes())
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

/// A signed-in console request: the session, who it is, and the page language.
pub struct Ctx {
    pub session: SessionInfo,
    pub me: Me,
    pub lang: Lang,
    pub unread: i64,
}

impl Ctx {
    pub fn org(&self) -> Option<OrgId> {
        self.session.caller.acting().map(|a| a.org.clone())
    }
    pub fn role(&self) -> Option<&Role> {
        self.session.caller.acting().map(|a| &a.role)
    }
    pub fn can(&self, scope: Scope) -> bool {
        self.role().is_some_and(|r| r.has(scope))
    }
    pub fn csrf(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.session.csrf_token); }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
        let ConsoleSession(session) =
            ConsoleSession::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let Some(session) = session else { return Err(Redirect::to("/login").into_response()) };
        ctx_for(state, session).await.map_err(IntoResponse::into_response)
    }
}

pub async fn ctx_for(state: &AppState, session: SessionInfo) -> Result<Ctx, ApiError> {
    let me = state.svc.me(&session.caller).await?;
    let unread = state.svc.unread(&session.caller).await?;
    Ok(Ctx { lang: Lang::parse(&me.lang), me, session, unread })
}

/// A message carried to the next page in its query string after a form post.
#[derive(Deserialize, Default)]
pub struct Flash {
    pub error: Option<String>,
    pub notice: Option<String>,
}

pub fn back_with_error(to: &str, e: impl Into<ApiError>) -> Response {
    let e = e.into();
    let text = match &e.0.field {
        Some(f) if !e.0.detail.starts_with(f.as_str()) => format!("{f}: {}", e.0.detail),
        _ => e.0.detail.clone(),
    };
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}{}", serde_urlencoded::to_string([("error", text)]).unwrap_or_default()))
        .into_response()
}

pub fn back_with_notice(to: &str, text: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}{}", serde_urlencoded::to_string([("notice", text)]).unwrap_or_default()))
        .into_response()
}

fn flash(f: &Flash) -> Markup {
    html! {
        @if let Some(e) = &f.error { div.error role="alert" data-testid="error" { (e) } }
        @if let Some(n) = &f.notice { div.notice role="status" data-testid="notice" { (n) } }
    }
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (t(lang, "app.name")) }
            link rel="stylesheet" href="/assets/app.css";
        }
    }
}

/// The page frame: header with organization and language switchers, navigation, flash messages.
pub fn layout(ctx: &Ctx, active: &str, title: &str, f: &Flash, body: Markup) -> Response {
    let lang = ctx.lang;
    let nav: Vec<(&str, &str, &'static str)> = [
        Some(("overview", "/console", t(lang, "nav.overview"))),
        ctx.org().map(|_| ("departments", "/console/departments", t(lang, "nav.departments"))),
        ctx.org().map(|_| ("members", "/console/members", t(lang, "nav.members"))),
        ctx.can(Scope::Directory).then(|| ("import", "/console/import", t(lang, "nav.import"))),
        (ctx.can(Scope::Audit) || ctx.me.operator).then(|| ("journal", "/console/journal", t(lang, "nav.journal"))),
        Some(("inbox", "/console/inbox", t(lang, "nav.inbox"))),
        ctx.org().map(|_| ("tokens", "/console/tokens", t(lang, "nav.tokens"))),
        ctx.me.operator.then(|| ("orgs", "/console/orgs", t(lang, "nav.orgs"))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let current_org = ctx.me.organization_id.clone().unwrap_or_default();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.html_code()) {
            (head(lang, title))
            body {
                header {
                    a.brand href="/console" { (t(lang, "app.name")) }
                    @if !ctx.me.organizations.is_empty() {
                        form method="post" action="/console/switch-org" data-testid="org-switcher" {
                            (ctx.csrf())
                            select name="org_id" aria-label=(t(lang, "header.organization")) onchange="this.form.submit()" {
                                @for (id, name) in &ctx.me.organizations {
                                    option value=(id) selected[*id == current_org] { (name) }
                                }
                            }
                            noscript { button.secondary type="submit" { (t(lang, "header.switch")) } }
                        }
                    }
                    span.spacer {}
                    form method="post" action="/console/lang" data-testid="lang-switcher" {
                        (ctx.csrf())
                        @let other = if lang == Lang::Zh { ("en", "English") } else { ("zh", "中文") };
                        input type="hidden" name="lang" value=(other.0);
                        button.secondary type="submit" data-testid="lang-button" { (other.1) }
                    }
                    a href="/console/inbox" data-testid="inbox-count" {
                        (t(lang, "nav.inbox")) " "
                        span.badge.unread[ctx.unread > 0] { (ctx.unread) }
                    }
                    span.muted data-testid="signed-in-as" { (ctx.me.name) }
                    form method="post" action="/logout" {
                        (ctx.csrf())
                        button.secondary type="submit" data-testid="logout" { (t(lang, "header.logout")) }
                    }
                }
                nav {
                    @for (key, href, label) in &nav {
                        a href=(href) class=[(*key == active).then_some("active")] data-testid={ "nav-" (key) } { (label) }
                    }
                }
                main {
                    h1 { (title) }
                    (flash(f))
                    (body)
                }
            }
        }
    };
    markup.into_response()
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    error: Option<String>,
    lang: Option<String>,
}

fn login_lang(headers: &HeaderMap, q: Option<&str>) -> Lang {
    let header = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("en");
    Lang::parse(q.or(cookie(headers, "keiretsu_lang")).unwrap_or(header))
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    // Signing in with a stale or foreign form is refused: the form carries a token that must
    // match a cookie this page sets (there is no session yet to hold it).
    let token = keiretsu_service::random_token(16);
    let lang = login_lang(&headers, q.lang.as_deref());
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.html_code()) {
            (head(lang, t(lang, "login.title")))
            body {
                main.login {
                    div.card {
                        h1 { (t(lang, "app.name")) }
                        p.muted { (t(lang, "login.tagline")) }
                        @if let Some(e) = &q.error { div.error role="alert" data-testid="error" { (e) } }
                        form.stack method="post" action="/login" data-testid="login-form" {
                            input type="hidden" name="csrf" value=(token);
                            input type="hidden" name="lang" value=(lang.code());
                            label { (t(lang, "login.login")) input name="login" autocomplete="username" required data-testid="login-login"; }
                            label { (t(lang, "login.password")) input name="password" type="password" autocomplete="current-password" required data-testid="login-password"; }
                            button type="submit" data-testid="login-submit" { (t(lang, "login.submit")) }
                        }
                        p.muted {
                            a href="/login?lang=en" { "English" } " · " a href="/login?lang=zh" { "中文" }
                        }
                    }
                }
            }
        }
    };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=1800{secure}");
    ([(header::SET_COOKIE, cookie)], markup).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    lang: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    parts_addr: axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = Lang::parse(form.lang.as_deref().unwrap_or("en"));
    let fail = |text: &str| {
        let q = serde_urlencoded::to_string([("error", text), ("lang", lang.code())]).unwrap_or_default();
        Redirect::to(&format!("/login?{q}")).into_response()
    };
    if cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) {
        return fail(t(lang, "login.stale"));
    }
    let address = parts_addr.0.ip().to_string();
    match state.svc.login(&form.login, &form.password, &address).await {
        Ok(session) => {
            let mut res = Redirect::to("/console").into_response();
            if let Ok(v) = HeaderValue::from_str(&session_set_cookie(&state, &session.secret)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(keiretsu_service::Error::Throttled { .. }) => fail(t(lang, "login.throttled")),
        Err(keiretsu_service::Error::BadCredentials) => fail(t(lang, "login.failed")),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(State(state): State<AppState>, form: Csrf<Empty>) -> Response {
    let _ = state.svc.logout(&form.session).await;
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_clear_cookie(&state)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct SwitchOrg {
    org_id: String,
}

async fn switch_org(State(state): State<AppState>, form: Csrf<SwitchOrg>) -> Response {
    let org = match OrgId::parse(&form.form.org_id) {
        Ok(o) => o,
        Err(e) => return back_with_error("/console", e),
    };
    match state.svc.switch_org(&form.session, &org).await {
        Ok(()) => Redirect::to("/console").into_response(),
        Err(e) => back_with_error("/console", e),
    }
}

#[derive(Deserialize)]
struct SetLang {
    lang: String,
}

async fn set_lang(State(state): State<AppState>, headers: HeaderMap, form: Csrf<SetLang>) -> Response {
    if let Err(e) = state.svc.set_lang(&form.session.caller, &form.form.lang).await {
        return back_with_error("/console", e);
    }
    // Back to the page the switch was pressed on, if it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/console").map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/console".into());
    Redirect::to(&back).into_response()
}

/// Markup that is ours, not the user's: only for fixed snippets like inline scripts.
pub fn trusted(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}
