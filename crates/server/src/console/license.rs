//! The console's license pages: the seat dashboard (counts, usage gauge, warnings, usage by
//! organization and unit, auto-authorization, release of departed members' seats), the
//! authorization list (search, filters, per-account switch, batches by selection or by
//! department subtree), partner entry rules, and, for the platform operator, the edition
//! catalogue and each organization's edition and purchased seats.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::identity::{NOT_ALLOWED, Scope};
use keiretsu_domain::ids::{DepartmentId, NetworkId, OrgId, UnitId};
use keiretsu_domain::license::{Edition, SeatStatus};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::license::{
    AutoChange, LicenseChange, LicenseView, NewEntryRule, SeatQuery, SeatSelection, SeatView,
};
use keiretsu_service::page::Page;
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{Failed, Pairs, dept_options, err_of, err_page, no_org, nonblank, one, typed};
use super::{Ctx, Flash, ctx_of, error_text, field_error, layout, not_allowed, status_of};
use crate::AppState;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

const ACTIVE: &str = "license";
const PLATFORM: &str = "editions";
const SEATS: &str = "/console/license/seats";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/license", get(dashboard))
        .route("/console/license/auto", post(set_auto))
        .route("/console/license/release-departed", post(release_departed))
        .route("/console/license/seats", get(seats))
        .route("/console/license/seats/set", post(set_selected))
        .route("/console/license/seats/department", post(set_department))
        .route("/console/license/entry-rules", get(entry_rules).post(add_entry_rule))
        .route("/console/license/entry-rules/remove", post(remove_entry_rule))
        .route("/console/platform/editions", get(editions))
        .route("/console/platform/editions/{key}", post(update_edition))
        .route("/console/platform/licenses", post(set_license))
}

// ----- shared bits -----

/// `?saved=1` or `?changed=N` left by a redirect: a flag and a number, never text.
#[derive(Deserialize, Default)]
struct Done {
    saved: Option<String>,
    changed: Option<u64>,
}

impl Done {
    fn flash(&self, lang: Lang) -> Flash {
        let notice = match (self.changed, &self.saved) {
            (Some(n), _) => Some(tf(lang, "license.changed", &[("n", &n.to_string())])),
            (None, Some(_)) => Some(t(lang, "common.saved").to_owned()),
            (None, None) => None,
        };
        Flash { error: None, notice }
    }
}

/// The page with the failed form's message on top and its status, or with the notice.
fn finish(ctx: &Ctx, active: &str, title: &str, f: &Flash, failed: Option<&Failed>, body: Markup) -> Response {
    match failed {
        Some(x) => (status_of(&x.error), layout(ctx, active, title, &Flash::error(&x.error), body)).into_response(),
        None => layout(ctx, active, title, f, body),
    }
}

fn acting_org(form: &Csrf<Pairs>) -> Result<OrgId, ApiError> {
    form.session.caller.acting().map(|a| a.org.clone()).ok_or_else(|| NOT_ALLOWED.into())
}

/// The organization has no edition yet: the operator sets one.
fn no_license(e: &keiretsu_service::Error) -> bool {
    matches!(e, keiretsu_service::Error::Domain(DomainError::NotFound { what: "license" }))
}

/// The license pages' common start: an organization, the license scope, and a license.
enum Gate {
    Open(OrgId, Box<LicenseView>),
    Closed(Response),
}

async fn gate(s: &AppState, ctx: &Ctx, title: &str) -> Gate {
    let Some(org) = ctx.org() else { return Gate::Closed(no_org(ctx, ACTIVE, title)) };
    if !ctx.can(Scope::License) {
        return Gate::Closed(not_allowed(ctx, ACTIVE, title));
    }
    match s.svc.license(&ctx.session.caller, &org).await {
        Ok(v) => Gate::Open(org, Box::new(v)),
        Err(e) if no_license(&e) => {
            let body = html! { p.muted data-testid="no-license" { (t(ctx.lang, "license.none")) } };
            Gate::Closed(layout(ctx, ACTIVE, title, &Flash::default(), body))
        }
        Err(e) => Gate::Closed(err_page(ctx, ACTIVE, title, e)),
    }
}

fn seat_status_text(lang: Lang, s: SeatStatus) -> &'static str {
    match s {
        SeatStatus::Enabled => t(lang, "seat_status.enabled"),
        SeatStatus::Frozen => t(lang, "seat_status.frozen"),
        SeatStatus::Unauthorized => t(lang, "seat_status.unauthorized"),
        SeatStatus::Never => t(lang, "seat_status.never"),
    }
}

fn seat_reason_text(lang: Lang, reason: &str) -> &'static str {
    match reason {
        "manual" => t(lang, "seat_reason.manual"),
        "auto" => t(lang, "seat_reason.auto"),
        "entry_rule" => t(lang, "seat_reason.entry_rule"),
        "departure" => t(lang, "seat_reason.departure"),
        _ => "",
    }
}

fn yes_no(lang: Lang, v: bool) -> &'static str {
    if v { t(lang, "common.yes") } else { t(lang, "common.no") }
}

/// The sections of the license pages.
fn tabs(current: &str, lang: Lang) -> Markup {
    let items = [
        ("dashboard", "/console/license", t(lang, "license.tab_dashboard")),
        ("seats", SEATS, t(lang, "license.tab_seats")),
        ("entry-rules", "/console/license/entry-rules", t(lang, "license.tab_entry_rules")),
    ];
    html! {
        nav.tabs aria-label=(t(lang, "license.sections")) {
            @for (key, href, label) in items {
                a href=(href) class=[(key == current).then_some("active")] aria-current=[(key == current).then_some("page")] data-testid={ "license-tab-" (key) } { (label) }
            }
        }
    }
}

/// Purchased, assigned and unassigned seats; unlimited editions say so instead of a number.
fn counts_cards(lang: Lang, v: &LicenseView) -> Markup {
    let unlimited = t(lang, "license.unlimited");
    let num = |n: Option<i64>| n.map_or_else(|| unlimited.to_owned(), |n| n.to_string());
    html! {
        div.stats data-testid="seat-counts" {
            div.card { span.muted { (t(lang, "license.purchased")) } strong data-testid="count-purchased" { (num(v.counts.purchased)) } }
            div.card { span.muted { (t(lang, "license.assigned")) } strong data-testid="count-assigned" { (v.counts.assigned) } }
            div.card { span.muted { (t(lang, "license.unassigned")) } strong data-testid="count-unassigned" { (num(v.counts.unassigned)) } }
        }
    }
}

/// The banner shown once usage reached 80% or 100%.
fn warning_banner(lang: Lang, v: &LicenseView) -> Markup {
    let purchased = v.counts.purchased.unwrap_or_default().to_string();
    let assigned = v.counts.assigned.to_string();
    let percent = v.usage_percent.unwrap_or_default().to_string();
    html! {
        @if v.warning_level >= 100 {
            div.warning.full role="alert" data-testid="usage-warning" data-level="100" {
                (tf(lang, "license.warning_full", &[("assigned", &assigned), ("purchased", &purchased)]))
            }
        } @else if v.warning_level >= 80 {
            div.warning role="alert" data-testid="usage-warning" data-level="80" {
                (tf(lang, "license.warning_80", &[("percent", &percent), ("assigned", &assigned), ("purchased", &purchased)]))
            }
        }
    }
}

// ----- the dashboard -----

async fn dashboard(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    dashboard_page(&s, ctx, f, None).await
}

async fn dashboard_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "license.title");
    let (_, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let failed = failed.as_ref();
    let e = v.edition.clone();
    let total: i64 = v.usage.iter().map(|u| u.assigned).sum();
    let auto_err = err_of(failed, "auto", None);
    let release_err = err_of(failed, "release", None);
    let body = html! {
        (tabs("dashboard", lang))
        (warning_banner(lang, &v))
        p data-testid="edition" {
            (t(lang, "license.edition")) ": " strong data-testid="edition-name" { (e.name) } " "
            span.badge { @if e.seat_limited { (t(lang, "editions.limited")) } @else { (t(lang, "editions.unlimited")) } }
        }
        (counts_cards(lang, &v))
        h2 { (t(lang, "license.usage")) }
        @match v.usage_percent {
            Some(pct) => {
                @let shown = pct.clamp(0, 100);
                @let fill = if v.warning_level >= 100 { "gauge-fill full" } else if v.warning_level >= 80 { "gauge-fill warn" } else { "gauge-fill" };
                div.gauge data-testid="usage-gauge" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(shown) aria-label=(t(lang, "license.usage")) {
                    p { span.gauge-percent data-testid="usage-percent" { (pct) "%" } " " span.muted { (t(lang, "license.usage_of_purchased")) } }
                    svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
                        rect.gauge-track x="0" y="0" width="100" height="10" {}
                        rect class=(fill) x="0" y="0" width=(shown) height="10" data-testid="usage-fill" {}
                        line.gauge-mark x1="80" x2="80" y1="0" y2="10" vector-effect="non-scaling-stroke" {}
                    }
                    div.gauge-scale aria-hidden="true" {
                        span.at-0 { "0%" }
                        span.at-80 data-testid="usage-mark" { "80%" }
                        span.at-100 { "100%" }
                    }
                }
            }
            None => p.muted data-testid="usage-unlimited" { (t(lang, "license.usage_unlimited")) },
        }
        table data-testid="usage-table" {
            thead { tr {
                th { (t(lang, "units.organization")) } th { (t(lang, "license.holder")) }
                th { (t(lang, "license.assigned")) } th { (t(lang, "license.share")) }
            } }
            tbody {
                @for u in &v.usage {
                    tr data-testid="usage-row" data-organization-id=(u.organization_id) {
                        td { (u.organization_name) }
                        td { @if u.unit_id.is_some() { span.badge { (t(lang, "license.partner_unit")) } } @else { span.badge { (t(lang, "license.own_org")) } } }
                        td data-testid="usage-assigned" { (u.assigned) }
                        td { @if total > 0 { (u.assigned * 100 / total) "%" } @else { "—" } }
                    }
                }
                @if v.usage.is_empty() { tr { td.muted colspan="4" data-testid="usage-empty" { (t(lang, "license.usage_none")) } } }
            }
        }
        p { a.button.secondary href=(SEATS) data-testid="seats-link" { (t(lang, "license.tab_seats")) } " "
            a.button.secondary href="/console/license/entry-rules" data-testid="entry-rules-link" { (t(lang, "license.tab_entry_rules")) } }

        h2 #auto { (t(lang, "license.auto_title")) }
        div.card data-testid="auto-card" {
            p {
                (t(lang, "license.auto_state")) ": "
                strong data-testid="auto-status" data-on=(v.auto_authorize) {
                    @if v.auto_authorize { (t(lang, "license.auto_on")) } @else { (t(lang, "license.auto_off")) }
                }
                " "
                span.muted data-testid="auto-origin" {
                    @if v.auto_set_by_admin { (t(lang, "license.auto_by_admin")) } @else { (t(lang, "license.auto_by_edition")) }
                }
            }
            ul.rules data-testid="auto-rules" {
                li { (t(lang, "license.rule_first_visit")) }
                li { (t(lang, "license.rule_listed")) }
                li { (t(lang, "license.rule_limit")) }
                li { (t(lang, "license.rule_frozen")) }
                li { (t(lang, "license.rule_trial")) }
                li { (t(lang, "license.rule_edition")) }
            }
            form.inline method="post" action="/console/license/auto" data-testid="auto-form" {
                (ctx.csrf())
                input type="hidden" name="on" value=(if v.auto_authorize { "false" } else { "true" });
                @if v.auto_authorize {
                    button.secondary type="submit" disabled[e.auto_locked] data-testid="auto-toggle" { (t(lang, "license.auto_switch_off")) }
                    @if e.auto_locked { span.hint data-testid="auto-locked" { (t(lang, "license.auto_locked")) } }
                } @else {
                    button type="submit" data-testid="auto-toggle" { (t(lang, "license.auto_switch_on")) }
                }
                (field_error(auto_err, "auto_authorize"))
            }
        }

        h2 #departed { (t(lang, "license.release_title")) }
        div.card {
            p.muted { (t(lang, "license.release_help")) }
            form.inline method="post" action="/console/license/release-departed" data-testid="release-form" {
                (ctx.csrf())
                button.secondary type="submit" data-testid="release-departed" { (t(lang, "license.release_button")) }
            }
            @if let Some(e) = release_err { span.field-error role="alert" { (error_text(e)) } }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

async fn set_auto(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        let on = one(&form.form, "on").as_deref() == Some("true");
        s.svc.set_auto_authorize(&form.session.caller, &org, &AutoChange { on }).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/license?saved=1#auto").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => dashboard_page(&s, ctx, Flash::default(), Some(Failed::new("auto", None, e, &form.form))).await,
            Err(r) => r,
        },
    }
}

async fn release_departed(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        Ok::<u64, ApiError>(s.svc.release_departed(&form.session.caller, &org).await?.changed)
    }
    .await;
    match result {
        Ok(n) => Redirect::to(&format!("/console/license?changed={n}")).into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                dashboard_page(&s, ctx, Flash::default(), Some(Failed::new("release", None, e, &form.form))).await
            }
            Err(r) => r,
        },
    }
}

// ----- the authorization list -----

/// A network unit of the caller's organization, whose people can take seats as partners.
struct UnitChoice {
    network: NetworkId,
    id: String,
    name: String,
    network_name: String,
}

/// The active units of the networks the organization owns (those the caller may look into).
async fn unit_choices(s: &AppState, ctx: &Ctx) -> Vec<UnitChoice> {
    let caller = &ctx.session.caller;
    let mut out = Vec::new();
    for n in s.svc.networks(caller).await.unwrap_or_default().into_iter().filter(|n| n.membership == "backbone") {
        let Ok(nid) = NetworkId::parse(&n.id) else { continue };
        for u in s.svc.units(caller, &nid).await.unwrap_or_default().into_iter().filter(|u| u.status == "active") {
            out.push(UnitChoice {
                network: nid.clone(),
                id: u.id,
                name: u.organization_name,
                network_name: n.name.clone(),
            });
        }
    }
    out
}

/// A unit's department tree, or the organization's own without a unit.
async fn departments_of(s: &AppState, ctx: &Ctx, org: &OrgId, unit: Option<&UnitChoice>) -> Vec<DepartmentView> {
    let caller = &ctx.session.caller;
    match unit {
        Some(u) => match UnitId::parse(&u.id) {
            Ok(uid) => s.svc.unit_departments(caller, &u.network, &uid).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        },
        None => s.svc.departments(caller, org).await.unwrap_or_default(),
    }
}

/// The list's filters, as the search form sends them and as links keep them.
#[derive(Deserialize, Default, Clone)]
struct SeatParams {
    q: Option<String>,
    unit_id: Option<String>,
    department_id: Option<String>,
    include_sub_departments: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    saved: Option<String>,
    changed: Option<u64>,
}

impl SeatParams {
    fn unit(&self) -> Option<String> {
        nonblank(self.unit_id.clone())
    }
    fn department(&self) -> Option<String> {
        nonblank(self.department_id.clone())
    }
    /// Sub-departments count unless the search form was sent with the box unticked.
    fn sub(&self) -> bool {
        self.include_sub_departments.as_deref().is_some_and(|v| !v.is_empty() && v != "false")
            || self.department().is_none()
    }
    fn status(&self) -> Option<String> {
        nonblank(self.status.clone()).filter(|s| s != "all")
    }
    /// The filters as a query string (never the cursor or the notices).
    fn query(&self) -> String {
        let mut p: Vec<(&str, String)> = Vec::new();
        for (k, v) in [("q", nonblank(self.q.clone())), ("unit_id", self.unit()), ("department_id", self.department())]
        {
            if let Some(v) = v {
                p.push((k, v));
            }
        }
        if self.department().is_some() && self.sub() {
            p.push(("include_sub_departments", "on".into()));
        }
        if let Some(st) = self.status() {
            p.push(("status", st));
        }
        serde_urlencoded::to_string(&p).unwrap_or_default()
    }
    /// The filters a form carried back in its `back` field; anything else in it is dropped.
    fn from_back(pairs: &Pairs) -> SeatParams {
        let back = one(pairs, "back").unwrap_or_default();
        let p: SeatParams = serde_urlencoded::from_str(&back).unwrap_or_default();
        SeatParams { cursor: None, saved: None, changed: None, ..p }
    }
    fn url(&self, extra: &str) -> String {
        let q = self.query();
        match (q.is_empty(), extra.is_empty()) {
            (true, true) => SEATS.to_owned(),
            (true, false) => format!("{SEATS}?{extra}"),
            (false, true) => format!("{SEATS}?{q}"),
            (false, false) => format!("{SEATS}?{q}&{extra}"),
        }
    }
}

async fn seats(State(s): State<AppState>, ctx: Ctx, Query(q): Query<SeatParams>) -> Response {
    let f = Done { saved: q.saved.clone(), changed: q.changed }.flash(ctx.lang);
    seats_page(&s, ctx, q, f, None).await
}

async fn seats_page(s: &AppState, ctx: Ctx, q: SeatParams, mut f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "license.seats_title");
    let (org, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let caller = &ctx.session.caller;
    let units = unit_choices(s, &ctx).await;
    let unit = q.unit().and_then(|id| units.iter().find(|u| u.id == id));
    let deps = departments_of(s, &ctx, &org, unit).await;
    let status = q.status();
    let sub = q.sub();
    let query = SeatQuery {
        unit_id: q.unit(),
        q: nonblank(q.q.clone()),
        department_id: q.department(),
        include_sub_departments: Some(sub),
        status: status.clone(),
        cursor: nonblank(q.cursor.clone()),
        limit: Some(50),
    };
    let (page, list_err): (Page<SeatView>, Option<ApiError>) = match s.svc.seats(caller, &org, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            if failed.is_none() {
                f.error = Some(error_text(&e));
            }
            (Page { items: Vec::new(), next_cursor: None }, Some(e))
        }
    };
    let list_err = list_err.as_ref();
    let failed = failed.as_ref();
    let back = q.query();
    let next = page.next_cursor.as_ref().map(|c| {
        let extra = serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default();
        q.url(&extra)
    });
    let selected_err = err_of(failed, "selected", None);
    let chosen: Vec<String> =
        failed.filter(|x| x.form == "selected").map(|x| super::pages::all(&x.values, "member_ids")).unwrap_or_default();
    let dept_err = err_of(failed, "department", None);
    let batch_dept = typed(failed, "department", None, "department_id", &q.department().unwrap_or_default());
    let statuses = [
        ("", t(lang, "license.status_all")),
        ("enabled", t(lang, "seat_status.enabled")),
        ("frozen", t(lang, "seat_status.frozen")),
        ("never", t(lang, "seat_status.never")),
        ("unauthorized", t(lang, "seat_status.unauthorized")),
    ];
    let body = html! {
        (tabs("seats", lang))
        (warning_banner(lang, &v))
        (counts_cards(lang, &v))
        p.muted { (t(lang, "license.seats_help")) }
        form.inline.filters method="get" action=(SEATS) data-testid="seat-search" {
            input type="search" name="q" value=(query.q.clone().unwrap_or_default()) placeholder=(t(lang, "license.search_placeholder")) aria-label=(t(lang, "common.search")) data-testid="seat-search-q";
            (field_error(list_err, "q"))
            @if !units.is_empty() {
                select name="unit_id" aria-label=(t(lang, "license.whose")) data-testid="seat-unit" {
                    option value="" { (t(lang, "license.own_people")) }
                    @for u in &units {
                        option value=(u.id) selected[unit.is_some_and(|x| x.id == u.id)] { (u.name) " · " (u.network_name) }
                    }
                }
                (field_error(list_err, "unit_id"))
            }
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="seat-department" {
                option value="" { (t(lang, "members.all_departments")) }
                (dept_options(&deps, &|id| query.department_id.as_deref() == Some(id), &Default::default()))
            }
            (field_error(list_err, "department_id"))
            label.check { input type="checkbox" name="include_sub_departments" checked[sub] data-testid="seat-sub"; (t(lang, "members.include_sub")) }
            select name="status" aria-label=(t(lang, "field.status")) data-testid="seat-status-filter" {
                @for (value, label) in statuses {
                    option value=(value) selected[status.as_deref().unwrap_or("") == value] { (label) }
                }
            }
            (field_error(list_err, "status"))
            button type="submit" data-testid="seat-search-submit" { (t(lang, "common.search")) }
        }

        form method="post" action="/console/license/seats/set" data-testid="seat-form" {
            (ctx.csrf())
            input type="hidden" name="back" value=(back);
            @if let Some(u) = unit { input type="hidden" name="unit_id" value=(u.id); }
            div.batch {
                button type="submit" name="action" value="enable" data-testid="seats-enable-selected" { (t(lang, "license.enable_selected")) }
                button.secondary type="submit" name="action" value="freeze" data-testid="seats-freeze-selected" { (t(lang, "license.freeze_selected")) }
                (field_error(selected_err, "member_ids"))
                (field_error(selected_err, "seats"))
            }
            table data-testid="seat-table" {
                thead { tr {
                    th { input type="checkbox" aria-label=(t(lang, "license.select_all")) data-testid="seat-check-all" data-check-all="member_ids"; }
                    th { (t(lang, "field.name")) } th { (t(lang, "field.login")) } th { (t(lang, "field.title")) }
                    th { (t(lang, "field.status")) } th {}
                } }
                tbody {
                    @for r in &page.items {
                        @let enabled = r.status == SeatStatus::Enabled;
                        tr data-testid="seat-row" data-member-id=(r.member_id) data-status=(r.status.as_str()) {
                            td { input type="checkbox" name="member_ids" value=(r.member_id) checked[chosen.contains(&r.member_id)] aria-label=(r.name) data-testid="seat-check"; }
                            td data-testid="seat-name" { (r.name) }
                            td { (r.login) }
                            td { (r.title.clone().unwrap_or_default()) }
                            td {
                                span class={ "badge seat " (r.status.as_str()) } data-testid="seat-status" { (seat_status_text(lang, r.status)) }
                                @if let Some(reason) = r.reason.as_deref().filter(|_| matches!(r.status, SeatStatus::Enabled | SeatStatus::Frozen)) {
                                    " " span.hint { (seat_reason_text(lang, reason)) }
                                }
                            }
                            td {
                                @if enabled {
                                    button.secondary.small type="submit" name="toggle" value={ "freeze:" (r.member_id) } data-testid="seat-toggle" { (t(lang, "license.freeze")) }
                                } @else {
                                    button.small type="submit" name="toggle" value={ "enable:" (r.member_id) } data-testid="seat-toggle" { (t(lang, "license.enable")) }
                                }
                                @if let Some(e) = err_of(failed, "row", Some(r.member_id.as_str())) {
                                    " " span.field-error role="alert" data-testid="seat-row-error" { (e.0.detail) }
                                }
                            }
                        }
                    }
                    @if page.items.is_empty() { tr { td.muted colspan="6" data-testid="seat-empty" { (t(lang, "common.none")) } } }
                }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="seats-next" { (t(lang, "common.next_page")) } } }

        h2 #department { (t(lang, "license.department_title")) }
        form.inline.card method="post" action="/console/license/seats/department" data-testid="department-batch-form" {
            (ctx.csrf())
            input type="hidden" name="back" value=(back);
            @if let Some(u) = unit { input type="hidden" name="unit_id" value=(u.id); }
            span.muted { (t(lang, "license.department_help")) }
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="batch-department" {
                (dept_options(&deps, &|id| batch_dept == id, &Default::default()))
            }
            button type="submit" name="action" value="enable" data-testid="batch-enable" { (t(lang, "license.department_enable")) }
            button.secondary type="submit" name="action" value="freeze" data-testid="batch-freeze" { (t(lang, "license.department_freeze")) }
            (field_error(dept_err, "department_id"))
            (field_error(dept_err, "seats"))
        }
    };
    let res = finish(&ctx, ACTIVE, title, &f, failed, body);
    match (failed, list_err) {
        (None, Some(e)) => (status_of(e), res).into_response(),
        _ => res,
    }
}

/// The seats of a selection move: `Ok` back to the list with the number changed.
async fn seat_result(
    s: &AppState,
    form: &Csrf<Pairs>,
    name: &'static str,
    at: Option<&str>,
    r: Result<u64, ApiError>,
) -> Response {
    let params = SeatParams::from_back(&form.form);
    match r {
        Ok(n) => Redirect::to(&params.url(&format!("changed={n}"))).into_response(),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => seats_page(s, ctx, params, Flash::default(), Some(Failed::new(name, at, e, &form.form))).await,
            Err(r) => r,
        },
    }
}

fn unit_of(p: &Pairs) -> Result<Option<UnitId>, ApiError> {
    match nonblank(one(p, "unit_id")) {
        Some(u) => Ok(Some(UnitId::parse(&u)?)),
        None => Ok(None),
    }
}

/// The batch buttons over the list, or one row's switch.
async fn set_selected(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let toggle = nonblank(one(p, "toggle"));
    let (enable, members, at) = match toggle.as_deref().and_then(|x| x.split_once(':')) {
        Some((action, member)) => (action == "enable", vec![member.to_owned()], Some(member.to_owned())),
        None => (one(p, "action").as_deref() == Some("enable"), super::pages::all(p, "member_ids"), None),
    };
    let lang = match ctx_of(&s, &form).await {
        Ok(ctx) => ctx.lang,
        Err(r) => return r,
    };
    let result = async {
        let org = acting_org(&form)?;
        if members.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid input",
                t(lang, "license.choose_accounts"),
            )
            .with_field("member_ids"));
        }
        let sel = SeatSelection { member_ids: members, department_id: None, unit_id: unit_of(p)? };
        Ok(s.svc.set_seats(&form.session.caller, &org, &sel, enable).await?.changed)
    }
    .await;
    let (name, at) = if at.is_some() { ("row", at) } else { ("selected", None) };
    seat_result(&s, &form, name, at.as_deref(), result).await
}

/// A whole department subtree is authorized or frozen.
async fn set_department(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let org = acting_org(&form)?;
        let Some(d) = nonblank(one(p, "department_id")) else {
            return Err(DomainError::invalid("department_id", Rule::Required).into());
        };
        let sel = SeatSelection {
            member_ids: Vec::new(),
            department_id: Some(DepartmentId::parse(&d).map_err(|e| ApiError::from(e).with_field("department_id"))?),
            unit_id: unit_of(p)?,
        };
        let enable = one(p, "action").as_deref() == Some("enable");
        Ok(s.svc.set_seats(&form.session.caller, &org, &sel, enable).await?.changed)
    }
    .await;
    seat_result(&s, &form, "department", None, result).await
}

// ----- partner entry rules -----

async fn entry_rules(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    entry_rules_page(&s, ctx, f, None).await
}

async fn entry_rules_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "entry_rules.title");
    let (org, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let rules = match s.svc.entry_rules(&ctx.session.caller, &org).await {
        Ok(r) => r,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let units = unit_choices(s, &ctx).await;
    let mut trees: Vec<(&UnitChoice, Vec<DepartmentView>)> = Vec::new();
    for u in &units {
        trees.push((u, departments_of(s, &ctx, &org, Some(u)).await));
    }
    let dept_names: HashMap<&str, &str> =
        trees.iter().flat_map(|(_, ds)| ds.iter().map(|d| (d.id.as_str(), d.name.as_str()))).collect();
    let unit_names: HashMap<&str, &str> = units.iter().map(|u| (u.id.as_str(), u.name.as_str())).collect();
    let failed = failed.as_ref();
    let add_err = err_of(failed, "add", None);
    let picked = typed(failed, "add", None, "target", "");
    let body = html! {
        (tabs("entry-rules", lang))
        (warning_banner(lang, &v))
        p.muted { (t(lang, "entry_rules.help")) }
        table data-testid="entry-rule-table" {
            thead { tr { th { (t(lang, "units.organization")) } th { (t(lang, "entry_rules.department")) } th {} } }
            tbody {
                @for r in &rules {
                    tr data-testid="entry-rule-row" data-department-id=(r.department_id) {
                        td { (unit_names.get(r.unit_id.as_str()).copied().unwrap_or(r.unit_id.as_str())) }
                        td { (dept_names.get(r.department_id.as_str()).copied().unwrap_or(r.department_id.as_str())) " " code.muted { (r.department_id) } }
                        td {
                            form.inline method="post" action="/console/license/entry-rules/remove" {
                                (ctx.csrf())
                                input type="hidden" name="department_id" value=(r.department_id);
                                button.secondary.small type="submit" data-testid="entry-rule-remove" { (t(lang, "entry_rules.remove")) }
                            }
                            @if let Some(e) = err_of(failed, "remove", Some(r.department_id.as_str())) { span.field-error role="alert" { (error_text(e)) } }
                        }
                    }
                }
                @if rules.is_empty() { tr { td.muted colspan="3" data-testid="entry-rule-empty" { (t(lang, "entry_rules.none")) } } }
            }
        }
        h2 { (t(lang, "entry_rules.add")) }
        @if units.is_empty() {
            p.muted data-testid="entry-rule-no-units" { (t(lang, "entry_rules.no_units")) }
        } @else {
            form.inline.card method="post" action="/console/license/entry-rules" data-testid="entry-rule-form" {
                (ctx.csrf())
                label.field { span { (t(lang, "entry_rules.department")) }
                    select name="target" data-testid="entry-rule-target" {
                        @for (u, ds) in &trees {
                            optgroup label={ (u.name) " · " (u.network_name) } {
                                @for d in ds {
                                    @let value = format!("{}/{}", u.id, d.id);
                                    option value=(value) selected[picked == value] { (d.name) }
                                }
                            }
                        }
                    }
                    (field_error(add_err, "unit_id"))
                    (field_error(add_err, "department_id"))
                }
                button type="submit" data-testid="entry-rule-submit" { (t(lang, "entry_rules.add")) }
            }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

async fn add_entry_rule(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        let target = one(&form.form, "target").unwrap_or_default();
        let Some((unit, dept)) = target.split_once('/') else {
            return Err(DomainError::invalid("department_id", Rule::Required).into());
        };
        let input = NewEntryRule {
            unit_id: UnitId::parse(unit).map_err(|e| ApiError::from(e).with_field("unit_id"))?,
            department_id: DepartmentId::parse(dept).map_err(|e| ApiError::from(e).with_field("department_id"))?,
        };
        Ok::<u64, ApiError>(s.svc.add_entry_rule(&form.session.caller, &org, &input).await?.authorized.unwrap_or(0))
    }
    .await;
    match result {
        Ok(n) => Redirect::to(&format!("/console/license/entry-rules?changed={n}")).into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => entry_rules_page(&s, ctx, Flash::default(), Some(Failed::new("add", None, e, &form.form))).await,
            Err(r) => r,
        },
    }
}

async fn remove_entry_rule(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let dept = one(&form.form, "department_id").unwrap_or_default();
    let result = async {
        let org = acting_org(&form)?;
        let d = DepartmentId::parse(&dept).map_err(|_| DomainError::NotFound { what: "entry rule" })?;
        s.svc.remove_entry_rule(&form.session.caller, &org, &d).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/license/entry-rules?saved=1").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let failed = Failed::new("remove", Some(&dept), e, &form.form);
                entry_rules_page(&s, ctx, Flash::default(), Some(failed)).await
            }
            Err(r) => r,
        },
    }
}

// ----- the platform operator: editions and organizations' licenses -----

async fn editions(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    editions_page(&s, ctx, f, None).await
}

async fn editions_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "editions.title");
    if !ctx.me.operator {
        return not_allowed(&ctx, PLATFORM, title);
    }
    let caller = &ctx.session.caller;
    let (list, orgs) = match (s.svc.editions(caller).await, s.svc.orgs(caller).await) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, PLATFORM, title, e),
    };
    let names: HashMap<&str, &str> = list.iter().map(|e| (e.key.as_str(), e.name.as_str())).collect();
    let failed = failed.as_ref();
    let lic_err = err_of(failed, "license", None);
    let checked = |at: &str, key: &str, current: bool| match failed
        .filter(|x| x.form == "edition" && x.at.as_deref() == Some(at))
    {
        Some(x) => one(&x.values, key).is_some(),
        None => current,
    };
    let body = html! {
        p.muted { (t(lang, "editions.help")) }
        table data-testid="edition-table" {
            thead { tr {
                th { (t(lang, "field.name")) } th { (t(lang, "editions.seats")) } th { (t(lang, "editions.auto_default")) }
                th { (t(lang, "editions.auto_locked")) } th { (t(lang, "editions.downstream")) } th { (t(lang, "editions.max_networks")) } th {}
            } }
            tbody {
                @for e in &list {
                    @let at = Some(e.key.as_str());
                    @let err = err_of(failed, "edition", at);
                    tr data-testid="edition-row" data-key=(e.key) {
                        td { strong data-testid="edition-row-name" { (e.name) } br; code.muted { (e.key) } }
                        td { @if e.seat_limited { (t(lang, "editions.limited")) } @else { (t(lang, "editions.unlimited")) } }
                        td { (yes_no(lang, e.auto_default)) }
                        td { (yes_no(lang, e.auto_locked)) }
                        td { (yes_no(lang, e.downstream)) }
                        td { (e.max_networks) }
                        td {
                            details open[err.is_some()] {
                                summary data-testid="edition-edit" { (t(lang, "common.manage")) }
                                form.stack method="post" action={ "/console/platform/editions/" (e.key) } data-testid="edition-form" {
                                    (ctx.csrf())
                                    label { (t(lang, "field.name")) input name="name" required maxlength="60" value=(typed(failed, "edition", at, "name", &e.name)) data-testid="edition-name"; }
                                    (field_error(err, "name"))
                                    label.check { input type="checkbox" name="seat_limited" checked[checked(&e.key, "seat_limited", e.seat_limited)] data-testid="edition-seat-limited"; (t(lang, "editions.seat_limited")) }
                                    label.check { input type="checkbox" name="auto_default" checked[checked(&e.key, "auto_default", e.auto_default)] data-testid="edition-auto-default"; (t(lang, "editions.auto_default")) }
                                    (field_error(err, "auto_default"))
                                    label.check { input type="checkbox" name="auto_locked" checked[checked(&e.key, "auto_locked", e.auto_locked)] data-testid="edition-auto-locked"; (t(lang, "editions.auto_locked")) }
                                    label.check { input type="checkbox" name="downstream" checked[checked(&e.key, "downstream", e.downstream)] data-testid="edition-downstream"; (t(lang, "editions.downstream")) }
                                    label { (t(lang, "editions.max_networks"))
                                        input name="max_networks" type="number" min="0" max="100" value=(typed(failed, "edition", at, "max_networks", &e.max_networks.to_string())) data-testid="edition-max-networks";
                                    }
                                    (field_error(err, "max_networks"))
                                    button type="submit" data-testid="edition-submit" { (t(lang, "common.save")) }
                                }
                            }
                        }
                    }
                }
            }
        }

        h2 #licenses { (t(lang, "editions.licenses")) }
        table data-testid="org-license-table" {
            thead { tr { th { (t(lang, "units.organization")) } th { (t(lang, "license.edition")) } } }
            tbody {
                @for o in &orgs {
                    tr data-testid="org-license-row" data-org-id=(o.id) {
                        td { (o.name) br; code.muted { (o.id) } }
                        td data-testid="org-license-edition" {
                            @match o.edition.as_deref() {
                                Some(k) => (names.get(k).copied().unwrap_or(k)),
                                None => span.muted { (t(lang, "editions.no_edition")) },
                            }
                        }
                    }
                }
                @if orgs.is_empty() { tr { td.muted colspan="2" { (t(lang, "common.none")) } } }
            }
        }
        form.inline.card method="post" action="/console/platform/licenses" data-testid="license-form" {
            (ctx.csrf())
            label.field { span { (t(lang, "units.organization")) }
                select name="organization_id" data-testid="license-org" {
                    @for o in &orgs { option value=(o.id) selected[typed(failed, "license", None, "organization_id", "") == o.id] { (o.name) } }
                }
                (field_error(lic_err, "organization_id")) }
            label.field { span { (t(lang, "license.edition")) }
                select name="edition" data-testid="license-edition" {
                    @for e in &list { option value=(e.key) selected[typed(failed, "license", None, "edition", "") == e.key] { (e.name) } }
                }
                (field_error(lic_err, "edition")) }
            label.field { span { (t(lang, "license.purchased")) }
                input name="seats" type="number" min="0" value=(typed(failed, "license", None, "seats", "")) placeholder=(t(lang, "editions.seats_placeholder")) data-testid="license-seats";
                (field_error(lic_err, "seats")) }
            button type="submit" data-testid="license-submit" { (t(lang, "editions.set_license")) }
        }
        p.hint { (t(lang, "editions.seats_hint")) }
    };
    finish(&ctx, PLATFORM, title, &f, failed, body)
}

fn parse_number(raw: Option<String>, field: &'static str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    match nonblank(raw) {
        None => Ok(None),
        Some(x) => x
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::from(DomainError::invalid(field, Rule::Range { min, max }))),
    }
}

async fn update_edition(State(s): State<AppState>, Path(key): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let input = Edition {
            key: key.clone(),
            name: one(p, "name").unwrap_or_default(),
            seat_limited: one(p, "seat_limited").is_some(),
            auto_default: one(p, "auto_default").is_some(),
            auto_locked: one(p, "auto_locked").is_some(),
            downstream: one(p, "downstream").is_some(),
            max_networks: parse_number(one(p, "max_networks"), "max_networks", 0, 100)?.unwrap_or(0),
        };
        s.svc.update_edition(&form.session.caller, &key, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/platform/editions?saved=1").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => editions_page(&s, ctx, Flash::default(), Some(Failed::new("edition", Some(&key), e, p))).await,
            Err(r) => r,
        },
    }
}

async fn set_license(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let org = OrgId::parse(&one(p, "organization_id").unwrap_or_default())
            .map_err(|e| ApiError::from(e).with_field("organization_id"))?;
        let change = LicenseChange {
            edition: one(p, "edition").unwrap_or_default(),
            seats: parse_number(one(p, "seats"), "seats", 0, 10_000_000)?,
        };
        s.svc.set_license(&form.session.caller, &org, &change).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/platform/editions?saved=1#licenses").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => editions_page(&s, ctx, Flash::default(), Some(Failed::new("license", None, e, p))).await,
            Err(r) => r,
        },
    }
}
