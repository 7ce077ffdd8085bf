//! The console: server-rendered pages (maud), compiled into the binary with their stylesheet
//! and their one script (`assets/console.js`, wired by `data-` attributes: no inline code).
//! Every form posts through [`Csrf`]; no GET changes anything. Strings come from the catalogues.
//! A form that fails is rendered again with the message next to the field; one that succeeds
//! redirects (303) to a page.

mod account;
mod approvals;
pub mod apps;
mod errors;
pub mod forms;
mod labels;
pub mod license;
pub mod network;
pub mod pages;
pub mod picker;
mod when;

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::identity::{Role, Scope};
use keiretsu_domain::ids::OrgId;
use keiretsu_service::identity::{Me, SessionInfo};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::{ConsoleSession, Csrf, NoFields, client_address, cookie, session_clear_cookie, session_set_cookie};
use crate::error::ApiError;
use crate::i18n::{Lang, t};
pub use errors::{FIELDS, error_text, field_error, field_label};

const CSS: &str = include_str!("../../assets/app.css");
/// Every script of the console, in one file: the CSP allows no inline code.
const JS: &str = include_str!("assets/console.js");
const JS_PATH: &str = "/assets/console.js";
const LOGIN_CSRF_COOKIE: &str = "keiretsu_login_csrf";
/// The language chosen before signing in (and remembered after switching in the console).
pub const LANG_COOKIE: &str = "lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(css))
        .route(JS_PATH, get(js))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/console", get(pages::overview))
        .route("/console/switch-org", post(switch_org))
        .route("/console/lang", post(set_lang))
        .route("/console/pick/people", get(picker::people))
        .merge(pages::routes())
        .merge(network::routes())
        .merge(license::routes())
        .merge(apps::routes())
        .merge(forms::routes())
        .merge(approvals::routes())
        .merge(account::routes())
        .method_not_allowed_fallback(up_from_a_form)
        .fallback(up_from_a_form)
        .layer(axum::middleware::map_response(security_headers))
}

/// A GET on a form's address, such as the language switch returning to a page that a failed form
/// rendered, goes up the console's paths to the nearest page rather than to an error.
async fn up_from_a_form(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_end_matches('/');
    // The API answers in problem documents, unknown addresses included.
    if uri.path().starts_with("/api/") {
        return crate::api::not_found().into_response();
    }
    if method != axum::http::Method::GET || !(path.starts_with("/console/") || path == "/logout") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
    Redirect::to(if parent.starts_with("/console") { parent } else { "/console" }).into_response()
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show one person's data: never keep them in shared caches or the back button.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
        .into_response()
}

/// The client's address (for sign-in throttling); never fails, `unknown` without connect info.
pub struct Address(pub String);

impl FromRequestParts<AppState> for Address {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Address, Self::Rejection> {
        Ok(Address(client_address(parts, state)))
    }
}

/// The first 16 hex digits of the script's SHA-256: `?v=` in its address, so a new build's
/// script is a new URL and the old one may be cached for good.
fn js_version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| Sha256::digest(JS.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect());
    &VERSION
}

/// Where pages load the script from.
pub fn js_url() -> String {
    format!("{JS_PATH}?v={}", js_version())
}

async fn js(axum::extract::RawQuery(query): axum::extract::RawQuery) -> Response {
    // Only the current version's URL is immutable; any other (no or an old `v`) must revalidate,
    // or a browser could keep a stale script under an address that never changes.
    let current = query.as_deref().and_then(|q| q.strip_prefix("v=")) == Some(js_version());
    let cache = if current { "public, max-age=31536000, immutable" } else { "no-cache" };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        JS,
    )
        .into_response()
}

/// A signed-in console request: the session, who it is, and the page language.
pub struct Ctx {
    pub session: SessionInfo,
    pub me: Me,
    pub lang: Lang,
    pub unread: i64,
    /// Approval tasks waiting for this person.
    pub tasks: i64,
    /// The zone times are shown in (see [`when::viewer_zone`]), and the service's clock.
    pub zone: keiretsu_domain::zone::Zone,
    pub now: keiretsu_domain::time::Millis,
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
    /// The journal: an organization's needs the audit scope; the platform's is the operator's.
    pub fn can_read_journal(&self) -> bool {
        match self.role() {
            Some(r) => r.has(Scope::Audit),
            None => self.me.operator,
        }
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
        let browser_zone = cookie(&parts.headers, when::ZONE_COOKIE).map(str::to_owned);
        let mut ctx = ctx_for(state, session).await.map_err(IntoResponse::into_response)?;
        if ctx.me.time_zone.is_none() {
            ctx.zone = when::viewer_zone(None, browser_zone.as_deref());
        }
        Ok(ctx)
    }
}

pub async fn ctx_for(state: &AppState, session: SessionInfo) -> Result<Ctx, ApiError> {
    let me = state.svc.identity().me(&session.caller).await?;
    let unread = state.svc.notifications().unread(&session.caller).await?;
    let tasks = state.svc.approvals().open_tasks(&session.caller).await?;
    let zone = when::viewer_zone(me.time_zone.as_deref(), None);
    Ok(Ctx { lang: Lang::parse(&me.lang), me, session, unread, tasks, zone, now: state.svc.now() })
}

/// The context of a form post, for rendering the page again when it fails.
pub async fn ctx_of<T>(state: &AppState, form: &Csrf<T>) -> Result<Ctx, Response> {
    ctx_for(state, form.session.clone()).await.map_err(IntoResponse::into_response)
}

/// Messages shown above a page's content.
#[derive(Default)]
pub struct Flash {
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl Flash {
    pub fn error(lang: Lang, e: &ApiError) -> Flash {
        Flash { error: Some(error_text(lang, e)), notice: None }
    }
}

/// `?saved=1`, left by a redirect after a successful form post. Only a flag, never text: a
/// link cannot make the console say something it did not.
#[derive(Deserialize, Default)]
pub struct Saved {
    pub saved: Option<String>,
}

impl Saved {
    pub fn flash(&self, lang: Lang) -> Flash {
        Flash { error: None, notice: self.saved.as_ref().map(|_| t(lang, "common.saved").to_owned()) }
    }
}

/// 303 to `to` with the "saved" notice.
pub fn saved(to: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}saved=1")).into_response()
}

/// The HTTP status a page rendered again after `err` goes out with.
pub fn status_of(err: &ApiError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
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
            script src=(js_url()) defer {}
        }
    }
}

/// One link of the navigation: the page key `layout` is given, its address and its label.
type NavItem = (&'static str, &'static str, &'static str);

/// The navigation, grouped by capability: only pages that exist and that the caller may use,
/// and only groups with at least one of them. A capability to come (approvals, inventory,
/// communication) is one more group here, gated on its scope.
fn nav_groups(ctx: &Ctx) -> Vec<(Option<&'static str>, Vec<NavItem>)> {
    let lang = ctx.lang;
    let in_org = ctx.org().is_some();
    let group = |label: Option<&'static str>, items: Vec<Option<NavItem>>| {
        (label, items.into_iter().flatten().collect::<Vec<_>>())
    };
    [
        group(None, vec![Some(("overview", "/console", t(lang, "nav.overview")))]),
        group(
            Some(t(lang, "nav.group.directory")),
            vec![
                in_org.then(|| ("members", "/console/members", t(lang, "nav.members"))),
                in_org.then(|| ("departments", "/console/departments", t(lang, "nav.departments"))),
                ctx.can(Scope::Directory).then(|| ("import", "/console/import", t(lang, "nav.import"))),
            ],
        ),
        group(
            Some(t(lang, "nav.group.network")),
            vec![in_org.then(|| ("networks", "/console/networks", t(lang, "nav.networks")))],
        ),
        group(
            Some(t(lang, "nav.group.license")),
            vec![ctx.can(Scope::License).then(|| ("license", "/console/license", t(lang, "nav.license")))],
        ),
        group(
            Some(t(lang, "nav.group.apps")),
            vec![
                in_org.then(|| ("workbench", "/console/workbench", t(lang, "nav.workbench"))),
                in_org.then(|| ("approvals", "/console/approvals", t(lang, "nav.approvals"))),
                ctx.can(Scope::Apps).then(|| ("apps", "/console/apps", t(lang, "nav.apps"))),
            ],
        ),
        group(
            Some(t(lang, "nav.group.audit")),
            vec![ctx.can_read_journal().then(|| ("journal", "/console/journal", t(lang, "nav.journal")))],
        ),
        group(
            Some(t(lang, "nav.group.platform")),
            vec![
                ctx.me.operator.then(|| ("orgs", "/console/orgs", t(lang, "nav.orgs"))),
                ctx.me.operator.then(|| ("editions", "/console/platform/editions", t(lang, "nav.editions"))),
            ],
        ),
        group(
            Some(t(lang, "nav.group.you")),
            vec![
                Some(("inbox", "/console/inbox", t(lang, "nav.inbox"))),
                in_org.then(|| ("tokens", "/console/tokens", t(lang, "nav.tokens"))),
                Some(("account", "/console/account", t(lang, "account.title"))),
            ],
        ),
    ]
    .into_iter()
    .filter(|(_, items)| !items.is_empty())
    .collect()
}

/// The navigation as drawn: a list per group, the current page marked for eyes and for
/// screen readers alike.
fn nav_markup(ctx: &Ctx, active: &str) -> Markup {
    let lang = ctx.lang;
    html! {
        nav #console-nav .sidebar aria-label=(t(lang, "nav.label")) data-testid="nav" {
            @for (i, (label, items)) in nav_groups(ctx).iter().enumerate() {
                div.nav-group data-testid="nav-group" {
                    @if let Some(label) = label {
                        span.nav-heading id={ "nav-group-" (i) } { (label) }
                    }
                    ul aria-labelledby=[label.map(|_| format!("nav-group-{i}"))] {
                        @for (key, href, text) in items {
                            li {
                                a href=(href) class=[(*key == active).then_some("active")] aria-current=[(*key == active).then_some("page")] data-testid={ "nav-" (key) } { (text) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A link as the person it is for opens it: this server's address and the page's path.
pub fn absolute(s: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if s.settings.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

/// The page frame: header with organization and language switchers, navigation, flash messages.
pub fn layout(ctx: &Ctx, active: &str, title: &str, f: &Flash, body: Markup) -> Response {
    let lang = ctx.lang;
    let current_org = ctx.me.organization_id.clone().unwrap_or_default();
    let other = if lang == Lang::Zh { ("en", t(lang, "lang.en")) } else { ("zh", t(lang, "lang.zh")) };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.html_code()) {
            (head(lang, title))
            body data-zone-chosen[ctx.me.time_zone.is_some()] data-tree-search=(t(lang, "departments.find")) {
                a.skip-link href="#main" { (t(lang, "nav.skip")) }
                header.topbar {
                    button.secondary.small.menu-toggle type="button" aria-controls="console-nav" aria-expanded="false" data-nav-toggle data-testid="menu-toggle" { (t(lang, "nav.menu")) }
                    a.brand href="/console" data-testid="brand" { (t(lang, "app.name")) }
                    @if !ctx.me.organizations.is_empty() {
                        form method="post" action="/console/switch-org" data-testid="org-switcher" {
                            (ctx.csrf())
                            select name="org_id" aria-label=(t(lang, "header.organization")) data-testid="org-select" data-autosubmit {
                                @if current_org.is_empty() { option value="" selected { "—" } }
                                @for (id, name) in &ctx.me.organizations {
                                    option value=(id) selected[*id == current_org] { (name) }
                                }
                            }
                            button.secondary.small type="submit" data-testid="org-switch" { (t(lang, "header.switch")) }
                        }
                    }
                    span.spacer {}
                    form method="post" action="/console/lang" data-testid="lang-switcher" {
                        (ctx.csrf())
                        input type="hidden" name="lang" value=(other.0);
                        button.secondary.small type="submit" lang=(other.0) data-testid="lang-button" { (other.1) }
                    }
                    a.inbox-link href="/console/inbox" data-testid="inbox-link" title=(t(lang, "overview.unread")) {
                        (t(lang, "nav.inbox")) " "
                        span.badge.unread[ctx.unread > 0] data-testid="inbox-count" { (ctx.unread) }
                    }
                    @if ctx.tasks > 0 {
                        a.inbox-link href="/console/approvals" data-testid="tasks-link" title=(t(lang, "approvals.tasks_waiting")) {
                            (t(lang, "nav.approvals")) " "
                            span.badge.unread data-testid="tasks-count" { (ctx.tasks) }
                        }
                    }
                    a.muted.who href="/console/account" data-testid="signed-in-as" title=(t(lang, "account.title")) { (ctx.me.name) }
                    form method="post" action="/logout" {
                        (ctx.csrf())
                        button.secondary.small type="submit" data-testid="logout" { (t(lang, "header.logout")) }
                    }
                }
                div.shell {
                    (nav_markup(ctx, active))
                    main #main tabindex="-1" {
                        h1 data-testid="page-title" { (title) }
                        (flash(f))
                        (body)
                    }
                }
            }
        }
    };
    markup.into_response()
}

/// A page the caller may not use: said plainly, with 403.
pub fn not_allowed(ctx: &Ctx, active: &str, title: &str) -> Response {
    let body = html! { p.muted data-testid="not-allowed" { (t(ctx.lang, "common.not_allowed")) } };
    (StatusCode::FORBIDDEN, layout(ctx, active, title, &Flash::default(), body)).into_response()
}

// ----- sign-in -----

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    lang: Option<String>,
}

fn login_lang(headers: &HeaderMap, chosen: Option<&str>) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("en");
    // `zh-CN,zh;q=0.9,en;q=0.8`: the first language listed is the preferred one.
    let accept = accept.split(',').next().unwrap_or("en").trim();
    Lang::parse(chosen.filter(|c| !c.is_empty()).or(cookie(headers, LANG_COOKIE)).unwrap_or(accept))
}

fn lang_cookie(state: &AppState, lang: Lang) -> String {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}", lang.code())
}

/// The sign-in page. Signing in with a stale or foreign form is refused: the form carries a
/// token that must match a cookie this page sets (there is no session yet to hold it).
fn render_login(state: &AppState, lang: Lang, login: &str, error: Option<&str>, status: StatusCode) -> Response {
    let token = keiretsu_service::random_token(16);
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
                        @if let Some(e) = error { div.error role="alert" data-testid="error" { (e) } }
                        form.stack method="post" action="/login" data-testid="login-form" {
                            input type="hidden" name="csrf" value=(token);
                            input type="hidden" name="lang" value=(lang.code());
                            label for="login-login" { (t(lang, "login.login")) }
                            input #login-login name="login" value=(login) autocomplete="username" required autofocus[login.is_empty()] data-testid="login-login";
                            label for="login-password" { (t(lang, "login.password")) }
                            input #login-password name="password" type="password" autocomplete="current-password" required autofocus[!login.is_empty()] data-testid="login-password";
                            button type="submit" data-testid="login-submit" { (t(lang, "login.submit")) }
                        }
                        p.muted.lang-links data-testid="login-lang" {
                            a href="/login?lang=en" lang="en" data-testid="login-lang-en" { (t(lang, "lang.en")) }
                            " · "
                            a href="/login?lang=zh" lang="zh-CN" data-testid="login-lang-zh" { (t(lang, "lang.zh")) }
                        }
                    }
                }
            }
        }
    };
    let csrf_cookie =
        format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=1800{secure}");
    let mut res = (status, markup).into_response();
    for c in [csrf_cookie, lang_cookie(state, lang)] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

async fn login_page(
    State(state): State<AppState>,
    ConsoleSession(session): ConsoleSession,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to("/console").into_response();
    }
    let lang = login_lang(&headers, q.lang.as_deref());
    render_login(&state, lang, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    lang: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Address(address): Address,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = login_lang(&headers, form.lang.as_deref());
    let fail =
        |key: &'static str, status: StatusCode| render_login(&state, lang, &form.login, Some(t(lang, key)), status);
    if form.csrf.is_empty() || cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) {
        return fail("login.stale", StatusCode::FORBIDDEN);
    }
    match state.svc.identity().login(&form.login, &form.password, &address).await {
        Ok(session) => {
            // The language of the sign-in page is the one the person reads: the console keeps it.
            if let Err(e) = carry_lang(&state, &session.secret, lang).await {
                tracing::warn!(error = %e, "could not keep the sign-in page's language");
            }
            let mut res = Redirect::to("/console").into_response();
            let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
            let used = format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
            for c in [session_set_cookie(&state, &session.secret), used] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(keiretsu_service::Error::Throttled { retry_after_s }) => {
            let mut res = fail("login.throttled", StatusCode::TOO_MANY_REQUESTS);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
            res
        }
        Err(keiretsu_service::Error::BadCredentials) => fail("login.failed", StatusCode::UNAUTHORIZED),
        Err(keiretsu_service::Error::Domain(keiretsu_domain::DomainError::Invalid { .. })) => {
            fail("login.failed", StatusCode::UNAUTHORIZED)
        }
        Err(e) => {
            let e = ApiError::from(e);
            render_login(&state, lang, &form.login, Some(&error_text(lang, &e)), status_of(&e))
        }
    }
}

async fn carry_lang(state: &AppState, secret: &str, lang: Lang) -> Result<(), keiretsu_service::Error> {
    let Some(info) = state.svc.identity().session(secret).await? else { return Ok(()) };
    if state.svc.identity().me(&info.caller).await?.lang != lang.code() {
        state.svc.identity().set_lang(&info.caller, lang.code()).await?;
    }
    Ok(())
}

async fn logout(State(state): State<AppState>, form: Csrf<NoFields>) -> Response {
    // Signed out either way: the cookie goes even if the session row is already gone.
    if let Err(e) = state.svc.identity().logout(&form.session).await {
        tracing::warn!(error = %e, "logout failed");
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_clear_cookie(&state)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ----- header forms -----

/// A form in the header failed: the overview, with the message.
async fn header_error(state: &AppState, session: SessionInfo, e: ApiError) -> Response {
    match ctx_for(state, session).await {
        Ok(ctx) => {
            let title = t(ctx.lang, "nav.overview");
            (status_of(&e), layout(&ctx, "overview", title, &Flash::error(ctx.lang, &e), html! {})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct SwitchOrg {
    org_id: String,
}

async fn switch_org(State(state): State<AppState>, form: Csrf<SwitchOrg>) -> Response {
    let result = match OrgId::parse(&form.form.org_id) {
        Ok(org) => state.svc.identity().switch_org(&form.session, &org).await.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match result {
        Ok(()) => Redirect::to("/console").into_response(),
        Err(e) => header_error(&state, form.session, e).await,
    }
}

#[derive(Deserialize)]
struct SetLang {
    lang: String,
}

async fn set_lang(State(state): State<AppState>, headers: HeaderMap, form: Csrf<SetLang>) -> Response {
    if let Err(e) = state.svc.identity().set_lang(&form.session.caller, &form.form.lang).await {
        return header_error(&state, form.session, e.into()).await;
    }
    // Back to the page the switch was pressed on, if it was one of ours (a path, never a host).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/console").map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/console".into());
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&lang_cookie(&state, Lang::parse(&form.form.lang))) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
