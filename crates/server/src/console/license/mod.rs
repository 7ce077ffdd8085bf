//! The console's license pages: the seat dashboard (counts, usage gauge, warnings, usage by
//! organization and unit, auto-authorization, release of departed members' seats), the
//! authorization list (search, filters, per-account switch, batches by selection or by
//! department subtree), partner entry rules, and, for the platform operator, the edition
//! catalogue and each organization's edition and purchased seats.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
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

use super::pages::{Failed, dept_options, err_of, err_page, no_org, nonblank, ticked, typed, typed_all};
use super::{Ctx, Flash, ctx_of, error_text, field_error, layout, not_allowed, status_of};
use crate::AppState;
use crate::auth::{Csrf, NoFields};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf, tn};

mod dashboard;
mod entry_rules;
mod operator;
mod seats;

use dashboard::*;
use entry_rules::*;
use operator::*;
use seats::*;

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
            (Some(n), _) => Some(tn(lang, "license.changed", "license.changed_one", n as i64, &[])),
            (None, Some(_)) => Some(t(lang, "common.saved").to_owned()),
            (None, None) => None,
        };
        Flash { error: None, notice }
    }
}

/// The page with the failed form's message on top and its status, or with the notice.
fn finish(ctx: &Ctx, active: &str, title: &str, f: &Flash, failed: Option<&Failed>, body: Markup) -> Response {
    match failed {
        Some(x) => {
            (status_of(&x.error), layout(ctx, active, title, &Flash::error(ctx.lang, &x.error), body)).into_response()
        }
        None => layout(ctx, active, title, f, body),
    }
}

fn acting_org<T>(form: &Csrf<T>) -> Result<OrgId, ApiError> {
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
    match s.svc.license().get(&ctx.session.caller, &org).await {
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
