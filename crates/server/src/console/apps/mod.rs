//! The console's apps pages: every member's workbench (the apps they may use now) and, for app
//! admins, the organization's apps; one app with its form builder (each change a new schema
//! version), its publication to a network audience with a preview of who would see it, its
//! permission groups (listed in words, added, replaced by name and removed), how many people can
//! use it now and who they are, and an access explorer that says why a member may or may not use it.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keiretsu_domain::access::{Audience, Principal, Right, Step, Without};
use keiretsu_domain::form::{Bound, Field, FieldKind, FieldRules, KEY_MAX, LABEL_MAX, Schema};
use keiretsu_domain::identity::Scope;
use keiretsu_domain::ids::{AppId, MemberId, NetworkId};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_service::apps::{
    AppView, CheckQuery, GroupInput, GroupView, NewApp, Publication, PublicationView, WhoQuery,
};
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::network::{NetworkView, PartnerTypeView, UnitView};
use maud::{Markup, html};
use serde::Deserialize;

use std::collections::HashMap;

use super::labels::{kind_text, type_text};
use super::pages::{Failed, dept_options, err_of, err_page, no_org, nonblank, typed, typed_all};
use super::picker::{self, From, Picker};
use super::{Ctx, Flash, Saved, ctx_of, error_text, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf, tn};

mod builder;
mod page;
mod publish;

use builder::{add_field, remove_field};
use page::{app, app_page};
use publish::{
    PublishForm, audience_parts, audience_words, preview, preview_words, publish, put_group, remove_group,
    unit_changes, unpublish,
};

const ACTIVE: &str = "apps";
const WORKBENCH: &str = "workbench";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/workbench", get(workbench))
        .route("/console/apps", get(apps).post(create_app))
        .route("/console/apps/{id}", get(app))
        .route("/console/apps/{id}/publish", post(publish))
        .route("/console/apps/{id}/preview", post(preview))
        .route("/console/apps/{id}/fields", post(add_field))
        .route("/console/apps/{id}/fields/remove", post(remove_field))
        .route("/console/apps/{id}/unpublish", post(unpublish))
        .route("/console/apps/{id}/group", post(put_group))
        .route("/console/apps/{id}/group/remove", post(remove_group))
}

// ----- shared bits -----

fn app_id(raw: &str) -> Result<AppId, ApiError> {
    parse_id(AppId::parse, raw, "app")
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

/// The apps pages' common start: an organization and the apps scope.
fn gate(ctx: &Ctx, title: &str) -> Option<Response> {
    if ctx.org().is_none() {
        return Some(no_org(ctx, ACTIVE, title));
    }
    if !ctx.can(Scope::Apps) {
        return Some(not_allowed(ctx, ACTIVE, title));
    }
    None
}

// ----- the workbench -----

async fn workbench(State(s): State<AppState>, ctx: Ctx) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "workbench.title");
    if ctx.org().is_none() {
        return no_org(&ctx, WORKBENCH, title);
    }
    let list = match s.svc.apps().workbench(&ctx.session.caller, None).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, WORKBENCH, title, e),
    };
    let body = html! {
        p.muted { (t(lang, "workbench.help")) }
        div.stats data-testid="workbench" {
            @for a in &list {
                div.card data-testid="app-card" data-app-id=(a.id) {
                    strong data-testid="app-card-name" { a href={ "/console/workbench/" (a.id) } data-testid="app-card-link" { (a.name) } }
                    @if !a.description.is_empty() { p.muted { (a.description) } }
                }
            }
        }
        @if list.is_empty() { p.muted data-testid="workbench-empty" { (t(lang, "workbench.none")) } }
    };
    layout(&ctx, WORKBENCH, title, &Flash::default(), body)
}

// ----- the organization's apps -----

async fn apps(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    apps_page(&s, ctx, f, None).await
}

async fn apps_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "apps.title");
    if let Some(r) = gate(&ctx, title) {
        return r;
    }
    let list = match s.svc.apps().list(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let failed = failed.as_ref();
    let e = err_of(failed, "create", None);
    let body = html! {
        p.muted { (t(lang, "apps.help")) }
        table data-testid="app-table" {
            thead { tr { th { (t(lang, "field.object_name")) } th { (t(lang, "apps.description")) } } }
            tbody {
                @for a in &list {
                    tr data-testid="app-row" data-app-id=(a.id) {
                        td { a href={ "/console/apps/" (a.id) } data-testid="app-link" { (a.name) } }
                        td.muted { (a.description) }
                    }
                }
                @if list.is_empty() { tr { td.muted colspan="2" data-testid="app-empty" { (t(lang, "apps.none")) } } }
            }
        }
        h2 { (t(lang, "apps.create")) }
        form.stack.card method="post" action="/console/apps" data-testid="app-form" {
            (ctx.csrf())
            label for="a-name" { (t(lang, "field.object_name")) }
            input #a-name name="name" required maxlength="80" value=(typed(failed, "create", None, "name", "")) data-testid="app-name";
            (field_error(lang, e, "name"))
            label for="a-description" { (t(lang, "apps.description")) }
            textarea.short #a-description name="description" rows="3" data-testid="app-description" { (typed(failed, "create", None, "description", "")) }
            (field_error(lang, e, "description"))
            button type="submit" data-testid="app-submit" { (t(lang, "apps.create")) }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

#[derive(Deserialize)]
struct AppForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn create_app(State(s): State<AppState>, form: Csrf<AppForm>) -> Response {
    let p = &form.form;
    let input = NewApp { name: p.name.clone(), description: p.description.clone(), fields: Vec::new() };
    match s.svc.apps().create_app(&form.session.caller, &input).await {
        Ok(a) => saved(&format!("/console/apps/{}", a.id)),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let failed = Failed::new("create", None, e.into(), &form.raw);
                apps_page(&s, ctx, Flash::default(), Some(failed)).await
            }
            Err(r) => r,
        },
    }
}

// ----- one app -----

#[derive(Deserialize, Default)]
struct AppQuery {
    saved: Option<String>,
    /// The access explorer's question: may this member use the app?
    member_id: Option<String>,
    /// Where the "who can use it" list goes on from.
    who_cursor: Option<String>,
}

/// A publication previewed: what was chosen, and how many people can use the app now and would.
struct Preview {
    chosen: PublishForm,
    now: usize,
    would_be: usize,
}

/// What the app's page shows besides its forms: an access question, a page of the people who
/// can use it, a previewed publication.
#[derive(Default)]
struct Shown {
    asked: Option<String>,
    who_cursor: Option<String>,
    preview: Option<Preview>,
}

/// The organization's own networks with their partner types and active units.
pub(super) struct Reach {
    pub(super) networks: Vec<NetworkView>,
    /// Partner types of every network, each key once.
    pub(super) types: Vec<PartnerTypeView>,
    /// `(unit, network name)`.
    pub(super) units: Vec<(UnitView, String)>,
}

pub(super) async fn reach(s: &AppState, ctx: &Ctx) -> Result<Reach, ApiError> {
    let caller = &ctx.session.caller;
    let networks: Vec<NetworkView> =
        s.svc.network().networks(caller).await?.into_iter().filter(|n| n.membership == "backbone").collect();
    let mut types: Vec<PartnerTypeView> = Vec::new();
    let mut units = Vec::new();
    for n in &networks {
        let id = NetworkId::from_trusted(n.id.clone());
        for pt in s.svc.network().partner_types(caller, &id).await? {
            if !types.iter().any(|x| x.key == pt.key) {
                types.push(pt);
            }
        }
        for u in s.svc.network().units(caller, &id).await?.into_iter().filter(|u| u.status == "active") {
            units.push((u, n.name.clone()));
        }
    }
    Ok(Reach { networks, types, units })
}

fn unit_label(u: &UnitView, network: &str, lang: Lang) -> String {
    format!("{} · {} · {}", u.organization_name, type_text(lang, &u.partner_type), network)
}

/// A right in the page's language.
fn right_text(lang: Lang, r: Right) -> &'static str {
    match r {
        Right::Submit => t(lang, "right.submit"),
        Right::ViewOwn => t(lang, "right.view_own"),
        Right::ViewUnit => t(lang, "right.view_unit"),
        Right::ViewOrg => t(lang, "right.view_org"),
        Right::ViewAll => t(lang, "right.view_all"),
        Right::Edit => t(lang, "right.edit"),
        Right::Manage => t(lang, "right.manage"),
    }
}

/// The names the page can give a group's principals; anything it does not know shows as its id.
struct Words<'a> {
    lang: Lang,
    reach: &'a Reach,
    deps: &'a [DepartmentView],
    /// Names of the people the groups name, as the caller may see them.
    members: &'a HashMap<String, String>,
    /// The person the access explorer asks about: the subject of steps that name no member.
    asked: Option<&'a str>,
}

impl Words<'_> {
    fn principal(&self, p: &Principal) -> String {
        let lang = self.lang;
        let named = |key: &'static str, name: String| tf(lang, key, &[("name", &name)]);
        match p {
            Principal::Everyone => t(lang, "apps.group_everyone").to_owned(),
            Principal::Admins => t(lang, "apps.group_admins").to_owned(),
            Principal::PartnerType(k) => named("apps.principal_partner_type", type_text(lang, k)),
            Principal::Unit(id) => {
                let unit = self.reach.units.iter().find(|(u, _)| &u.id == id);
                named("apps.principal_unit", unit.map_or_else(|| id.clone(), |(u, n)| unit_label(u, n, lang)))
            }
            Principal::Department(id) => {
                let dep = self.deps.iter().find(|d| &d.id == id);
                named("apps.principal_department", dep.map_or_else(|| id.clone(), |d| d.name.clone()))
            }
            Principal::Member(id) => {
                named("apps.principal_member", self.members.get(id).cloned().unwrap_or_else(|| id.clone()))
            }
        }
    }
}

impl Words<'_> {
    /// One reason of the access explorer in words, naming what the caller's networks show.
    fn step(&self, step: &Step, owner: &(String, String)) -> String {
        let lang = self.lang;
        let org = |id: &Option<String>| {
            let id = id.clone().unwrap_or_default();
            if id == owner.0 {
                return owner.1.clone();
            }
            self.reach
                .units
                .iter()
                .find(|(u, _)| u.organization_id == id)
                .map_or(id, |(u, _)| u.organization_name.clone())
        };
        let unit = |id: &Option<String>| {
            let id = id.clone().unwrap_or_default();
            self.reach.units.iter().find(|(u, _)| u.id == id).map_or(id, |(u, _)| u.organization_name.clone())
        };
        let network = |id: &Option<String>| {
            let id = id.clone().unwrap_or_default();
            self.reach.networks.iter().find(|n| n.id == id).map_or(id, |n| n.name.clone())
        };
        let right = |r: &Option<String>| {
            r.as_deref()
                .and_then(|r| Right::parse("right", r).ok())
                .map_or_else(String::new, |r| right_text(lang, r).to_owned())
        };
        let person = |id: &Option<String>| {
            let id = id.clone().or_else(|| self.asked.map(str::to_owned)).unwrap_or_default();
            self.members.get(&id).cloned().unwrap_or(id)
        };
        let ptype = step.partner_type.as_deref().map(|k| type_text(lang, k)).unwrap_or_default();
        let args: [(&str, String); 7] = [
            ("org", org(&step.organization_id)),
            ("unit", unit(&step.unit_id)),
            ("type", ptype),
            ("network", network(&step.network_id)),
            ("group", step.group.clone().unwrap_or_default()),
            ("right", right(&step.right)),
            ("member", person(&step.member_id)),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tf(lang, step_key(step.code), &args)
    }
}

/// The catalogue key of a reason's code.
fn step_key(code: &str) -> &'static str {
    match code {
        "owner_member" => "access.owner_member",
        "unit_member" => "access.unit_member",
        "published" => "access.published",
        "seat" => "access.seat",
        "group" => "access.group",
        "missing_known" => "access.missing_known",
        "missing_active" => "access.missing_active",
        "missing_publication" => "access.missing_publication",
        "missing_brought" => "access.missing_brought",
        "missing_owner" => "access.missing_owner",
        "missing_seat" => "access.missing_seat",
        _ => "access.missing_group",
    }
}

/// How many named members the page looks up one by one; past that, ids (a group of hundreds of
/// people is better named by department).
const NAMED_MEMBERS: usize = 100;

/// The names of the people the groups name (own members and partners' people alike).
async fn member_names(s: &AppState, ctx: &Ctx, groups: &[GroupView]) -> HashMap<String, String> {
    let mut ids: Vec<String> = groups
        .iter()
        .flat_map(|g| &g.principals)
        .filter_map(|p| if let Principal::Member(id) = p { Some(id.clone()) } else { None })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(NAMED_MEMBERS);
    picker::names(s, ctx, &ids).await
}

/// The app page again after a failed form, with what was typed and the error beside `which`
/// (and, for a form on a row, beside that row).
async fn again<T>(
    s: &AppState,
    form: &Csrf<T>,
    id: &str,
    which: &'static str,
    row: Option<&str>,
    e: ApiError,
) -> Response {
    match ctx_of(s, form).await {
        Ok(ctx) => {
            let failed = Failed::new(which, row, e, &form.raw);
            app_page(s, ctx, id, Flash::default(), Some(failed), Shown::default()).await
        }
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_code_has_its_own_words_in_both_languages() {
        let mut keys: Vec<&str> = Step::CODES.iter().map(|c| step_key(c)).collect();
        for key in &keys {
            for lang in [Lang::En, Lang::Zh] {
                assert_ne!(t(lang, key), *key, "{key} missing in {lang:?}");
            }
        }
        assert_ne!(t(Lang::En, "access.seat"), t(Lang::Zh, "access.seat"));
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Step::CODES.len(), "two codes share words");
    }
}
