//! The console's apps pages: every member's workbench (the apps they may use now) and, for app
//! admins, the organization's apps; one app with its form builder (each change a new schema
//! version), its publication to a network audience with a preview of who would see it, its
//! permission groups (listed in words, added, replaced by name and removed), how many people can
//! use it now and who they are, and an access explorer that says why a member may or may not use it.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keiretsu_domain::access::{Audience, Principal, Right};
use keiretsu_domain::form::{Bound, Field, FieldKind, FieldRules, KEY_MAX, LABEL_MAX, Schema};
use keiretsu_domain::identity::Scope;
use keiretsu_domain::ids::{AppId, MemberId, NetworkId};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_service::apps::{AppView, CheckQuery, GroupInput, GroupView, NewApp, Publication, WhoQuery};
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::network::{NetworkView, PartnerTypeView, UnitView};
use maud::{Markup, html};
use serde::Deserialize;

use super::labels::{kind_text, type_text};
use super::pages::{
    Failed, Pairs, all, dept_options, err_of, err_page, member_datalist, no_org, nonblank, one, typed, typed_all,
};
use super::{Ctx, Flash, Saved, ctx_of, error_text, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

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
        Some(x) => (status_of(&x.error), layout(ctx, active, title, &Flash::error(&x.error), body)).into_response(),
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
            thead { tr { th { (t(lang, "field.name")) } th { (t(lang, "apps.description")) } } }
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
            label for="a-name" { (t(lang, "field.name")) }
            input #a-name name="name" required maxlength="80" value=(typed(failed, "create", None, "name", "")) data-testid="app-name";
            (field_error(e, "name"))
            label for="a-description" { (t(lang, "apps.description")) }
            textarea.short #a-description name="description" rows="3" data-testid="app-description" { (typed(failed, "create", None, "description", "")) }
            (field_error(e, "description"))
            button type="submit" data-testid="app-submit" { (t(lang, "apps.create")) }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

async fn create_app(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let input = NewApp {
        name: one(p, "name").unwrap_or_default(),
        description: one(p, "description").unwrap_or_default(),
        fields: Vec::new(),
    };
    match s.svc.apps().create_app(&form.session.caller, &input).await {
        Ok(a) => saved(&format!("/console/apps/{}", a.id)),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => apps_page(&s, ctx, Flash::default(), Some(Failed::new("create", None, e.into(), p))).await,
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
    values: Pairs,
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

async fn app(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<AppQuery>) -> Response {
    let f = Flash { error: None, notice: q.saved.as_ref().map(|_| t(ctx.lang, "common.saved").to_owned()) };
    let shown = Shown { asked: nonblank(q.member_id), who_cursor: nonblank(q.who_cursor), preview: None };
    app_page(&s, ctx, &id, f, None, shown).await
}

async fn app_page(s: &AppState, ctx: Ctx, id: &str, f: Flash, failed: Option<Failed>, shown: Shown) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "apps.title");
    if let Some(r) = gate(&ctx, title) {
        return r;
    }
    let caller = &ctx.session.caller;
    let found = async {
        let id = app_id(id)?;
        let a: AppView = s
            .svc
            .apps()
            .list(caller)
            .await?
            .into_iter()
            .find(|a| a.id == id.as_str())
            .ok_or(DomainError::NotFound { what: "app" })?;
        let count = s.svc.apps().reach_count(caller, &id).await?;
        let schema = s.svc.forms().schema(caller, &id).await?;
        let groups = s.svc.apps().permission_groups(caller, &id).await?;
        Ok::<_, ApiError>((id, a, count, schema, groups, reach(s, &ctx).await?))
    }
    .await;
    let (id, a, count, schema, groups, r) = match found {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let Shown { asked, who_cursor, preview } = shown;
    // The access explorer: a question in the address, answered here (nothing changes).
    let answer = match &asked {
        None => None,
        Some(m) => {
            let q = CheckQuery { member_id: Some(m.trim().to_owned()), right: None, at_least: None };
            Some(
                s.svc.apps().check_access(caller, &id, &q).await.map_err(|e| ApiError::from(e).with_field("member_id")),
            )
        }
    };
    let Some(org) = ctx.org() else { return no_org(&ctx, ACTIVE, title) };
    let datalist = member_datalist(s, &ctx, &org).await;
    // The backbone's own departments, for groups and for naming them in the table.
    let deps = s.svc.directory().departments(caller, &org).await.unwrap_or_default();
    let member_names = member_names(s, &ctx, &org, &groups).await;
    // "Who can use it": a page of member ids, in id order.
    let who_page = s
        .svc
        .apps()
        .who_can(caller, &id, &WhoQuery { cursor: who_cursor, limit: Some(50), ..Default::default() })
        .await
        .map_err(|e| ApiError::from(e).with_field("who_cursor"));
    let failed = failed.as_ref();
    let pub_err = err_of(failed, "publish", None);
    let group_err = err_of(failed, "group", None);
    let field_err = err_of(failed, "field", None);
    // The publish form holds what was chosen when a publication failed or was previewed.
    let chosen = |key: &str, default: &str| match &preview {
        Some(p) => one(&p.values, key).unwrap_or_default(),
        None => typed(failed, "publish", None, key, default),
    };
    let chosen_all = |key: &str| match &preview {
        Some(p) => all(&p.values, key),
        None => typed_all(failed, "publish", None, key),
    };
    let audience = chosen("audience", "all_units");
    let picked_types = chosen_all("partner_type");
    let picked_units = chosen_all("unit_id");
    let picked_network = chosen("network_id", "");
    let kind = typed(failed, "field", None, "kind", "text");
    let field_typed = |key: &str| typed(failed, "field", None, key, "");
    // The group editor: a fresh form proposes the "everyone" group as every app starts with it.
    let group_failed = group_err.is_some();
    let group_all = |key: &str| typed_all(failed, "group", None, key);
    let group_name = typed(failed, "group", None, "group", "everyone");
    let group_rights = if group_failed { group_all("right") } else { vec!["submit".to_owned(), "view_own".to_owned()] };
    let group_everyone = !group_failed || !group_all("everyone").is_empty();
    let group_admins = !group_all("admins").is_empty();
    let (group_types, group_units, group_deps) =
        (group_all("partner_type"), group_all("unit_id"), group_all("department_id"));
    let group_members = typed(failed, "group", None, "member_ids", "");
    let words = Words { lang, reach: &r, deps: &deps, members: &member_names };
    let action = format!("/console/apps/{}", a.id);
    let body = html! {
        h2 data-testid="app-title" { (a.name) }
        @if !a.description.is_empty() { p.muted data-testid="app-description-text" { (a.description) } }
        p { strong data-testid="audience-count" data-count=(count) { (tf(lang, "apps.audience_count", &[("n", &count.to_string())])) } }
        p { a.button.secondary href={ "/console/workbench/" (a.id) } data-testid="app-submissions-link" { (t(lang, "apps.submissions_link")) } }

        h2 #form { (t(lang, "apps.form_title")) }
        p.muted {
            span data-testid="schema-version" data-version=(schema.version) { (tf(lang, "apps.form_version", &[("n", &schema.version.to_string())])) }
            " " (t(lang, "apps.form_help"))
        }
        table data-testid="field-table" {
            thead { tr {
                th { (t(lang, "apps.field_key")) } th { (t(lang, "apps.field_label")) } th { (t(lang, "apps.field_kind")) }
                th { (t(lang, "apps.field_required")) } th {}
            } }
            tbody {
                @for fd in &schema.schema.fields {
                    tr data-testid="field-row" data-key=(fd.key) {
                        td { code { (fd.key) } }
                        td data-testid="field-row-label" { (fd.label) }
                        td data-testid="field-row-kind" data-kind=(fd.kind.as_str()) {
                            (kind_text(lang, fd.kind))
                            @if !fd.options.is_empty() { " " span.hint { (fd.options.join(", ")) } }
                        }
                        td { @if fd.required { (t(lang, "common.yes")) } @else { (t(lang, "common.no")) } }
                        td {
                            form.inline method="post" action={ (action) "/fields/remove" } {
                                (ctx.csrf())
                                input type="hidden" name="key" value=(fd.key);
                                input type="hidden" name="version" value=(schema.version);
                                button.secondary.small type="submit" data-testid="field-remove" { (t(lang, "apps.field_remove")) }
                            }
                            @if let Some(e) = err_of(failed, "remove", Some(&fd.key)) { span.field-error role="alert" { (error_text(e)) } }
                        }
                    }
                }
                @if schema.schema.fields.is_empty() { tr { td.muted colspan="5" data-testid="field-empty" { (t(lang, "apps.fields_none")) } } }
            }
        }
        h3 { (t(lang, "apps.field_add")) }
        form.stack.card method="post" action={ (action) "/fields" } data-testid="field-form" {
            (ctx.csrf())
            input type="hidden" name="version" value=(schema.version);
            label { span { (t(lang, "apps.field_key")) }
                input name="key" required maxlength=(KEY_MAX) placeholder="plant_name" value=(field_typed("key")) data-testid="field-key";
                (field_error(field_err, "key"))
            }
            label { span { (t(lang, "apps.field_label")) }
                input name="label" required maxlength=(LABEL_MAX) value=(field_typed("label")) data-testid="field-label";
                (field_error(field_err, "label"))
            }
            label { span { (t(lang, "apps.field_kind")) }
                select name="kind" data-testid="field-kind" {
                    @for k in FieldKind::ALL { option value=(k.as_str()) selected[kind == k.as_str()] { (kind_text(lang, *k)) } }
                }
                (field_error(field_err, "kind"))
            }
            label.check { input type="checkbox" name="required" value="1" checked[!field_typed("required").is_empty()] data-testid="field-required"; (t(lang, "apps.field_required")) }
            label { span { (t(lang, "apps.field_options")) }
                textarea.short name="options" rows="4" data-testid="field-options" { (field_typed("options")) }
                span.hint { (t(lang, "apps.field_options_hint")) }
                (field_error(field_err, "options"))
            }
            fieldset {
                legend { (t(lang, "apps.field_rules")) }
                p.hint { (t(lang, "apps.field_rules_hint")) }
                label { span { (t(lang, "apps.field_min")) } input name="min" value=(field_typed("min")) data-testid="field-min"; (field_error(field_err, "min")) }
                label { span { (t(lang, "apps.field_max")) } input name="max" value=(field_typed("max")) data-testid="field-max"; (field_error(field_err, "max")) }
                label { span { (t(lang, "apps.field_max_length")) } input name="max_length" inputmode="numeric" value=(field_typed("max_length")) data-testid="field-max-length"; (field_error(field_err, "max_length")) }
                label { span { (t(lang, "apps.field_pattern")) } input name="pattern" value=(field_typed("pattern")) data-testid="field-pattern"; (field_error(field_err, "pattern")) }
            }
            button type="submit" data-testid="field-submit" { (t(lang, "apps.field_add")) }
            @if let Some(e) = field_err.filter(|e| !matches!(e.0.field.as_deref(), Some("key" | "label" | "kind" | "options" | "min" | "max" | "max_length" | "pattern"))) {
                span.field-error role="alert" data-testid="field-form-error" { (error_text(e)) }
            }
        }

        h2 #publication { (t(lang, "apps.publication")) }
        @if r.networks.is_empty() {
            p.muted data-testid="publish-no-network" {
                (t(lang, "apps.no_network")) " "
                a href="/console/networks" { (t(lang, "nav.networks")) }
            }
        } @else {
            form.stack.card method="post" action={ (action) "/publish" } data-testid="publish-form" {
                (ctx.csrf())
                label for="p-network" { (t(lang, "apps.network")) }
                select #p-network name="network_id" data-testid="publish-network" {
                    @for n in &r.networks { option value=(n.id) selected[picked_network == n.id] { (n.name) } }
                }
                (field_error(pub_err, "network_id"))
                fieldset {
                    legend { (t(lang, "apps.audience")) }
                    label.check { input type="radio" name="audience" value="all_units" checked[audience == "all_units"] data-testid="audience-all_units"; (t(lang, "apps.audience_all_units")) }
                    label.check { input type="radio" name="audience" value="partner_types" checked[audience == "partner_types"] data-testid="audience-partner_types"; (t(lang, "apps.audience_partner_types")) }
                    div data-testid="audience-types" {
                        @for pt in &r.types {
                            label.check { input type="checkbox" name="partner_type" value=(pt.key) checked[picked_types.contains(&pt.key)] data-testid={ "audience-type-" (pt.key) }; (type_text(lang, &pt.key)) }
                        }
                    }
                    label.check { input type="radio" name="audience" value="units" checked[audience == "units"] data-testid="audience-units"; (t(lang, "apps.audience_units")) }
                    div data-testid="audience-unit-list" {
                        @for (u, network) in &r.units {
                            label.check { input type="checkbox" name="unit_id" value=(u.id) checked[picked_units.contains(&u.id)] data-testid={ "audience-unit-" (u.id) }; (unit_label(u, network, lang)) }
                        }
                        @if r.units.is_empty() { span.muted { (t(lang, "apps.no_units")) } }
                    }
                    (field_error(pub_err, "audience"))
                }
                div {
                    button type="submit" data-testid="publish-submit" { (t(lang, "apps.publish")) } " "
                    button.secondary type="submit" formaction={ (action) "/preview" } data-testid="preview-submit" { (t(lang, "apps.preview")) } " "
                    button.secondary type="submit" formaction={ (action) "/unpublish" } data-testid="unpublish-submit" { (t(lang, "apps.unpublish")) }
                }
                @if let Some(p) = &preview {
                    p.notice role="status" data-testid="audience-preview" data-count=(p.would_be) data-now=(p.now) {
                        (tf(lang, "apps.preview_result", &[("n", &p.would_be.to_string()), ("now", &p.now.to_string())]))
                    }
                }
                @if let Some(e) = pub_err.filter(|e| !matches!(e.0.field.as_deref(), Some("network_id" | "audience"))) {
                    span.field-error role="alert" { (error_text(e)) }
                }
            }
        }

        h2 #group { (t(lang, "apps.group_title")) }
        p.muted { (t(lang, "apps.group_help")) }
        table data-testid="group-table" {
            thead { tr {
                th { (t(lang, "apps.group_name")) } th { (t(lang, "apps.group_rights")) } th { (t(lang, "apps.group_who")) } th {}
            } }
            tbody {
                @for g in &groups {
                    tr data-testid="group-row" data-group=(g.name) {
                        td data-testid="group-row-name" { code { (g.name) } }
                        td data-testid="group-row-rights" {
                            (g.rights.iter().map(|r| right_text(lang, *r)).collect::<Vec<_>>().join(", "))
                        }
                        td data-testid="group-row-principals" {
                            (g.principals.iter().map(|p| words.principal(p)).collect::<Vec<_>>().join("; "))
                        }
                        td {
                            form.inline method="post" action={ (action) "/group/remove" } {
                                (ctx.csrf())
                                input type="hidden" name="group" value=(g.name);
                                button.secondary.small type="submit" data-testid="group-remove" { (t(lang, "apps.group_remove")) }
                            }
                            @if let Some(e) = err_of(failed, "group-remove", Some(&g.name)) { span.field-error role="alert" { (error_text(e)) } }
                        }
                    }
                }
                @if groups.is_empty() { tr { td.muted colspan="4" data-testid="group-empty" { (t(lang, "apps.groups_none")) } } }
            }
        }
        h3 { (t(lang, "apps.group_edit")) }
        form.stack.card method="post" action={ (action) "/group" } data-testid="group-form" {
            (ctx.csrf())
            p.hint { (t(lang, "apps.group_edit_help")) }
            label for="g-name" { (t(lang, "apps.group_name")) }
            input #g-name name="group" required maxlength="32" value=(group_name) data-testid="group-name";
            (field_error(group_err, "group"))
            fieldset {
                legend { (t(lang, "apps.group_rights")) }
                @for right in Right::ALL {
                    label.check {
                        input type="checkbox" name="right" value=(right.as_str()) checked[group_rights.iter().any(|x| x == right.as_str())] data-testid={ "group-right-" (right.as_str()) };
                        (right_text(lang, *right))
                    }
                }
                (field_error(group_err, "rights"))
            }
            fieldset {
                legend { (t(lang, "apps.group_principals")) }
                label.check { input type="checkbox" name="everyone" value="1" checked[group_everyone] data-testid="group-everyone"; (t(lang, "apps.group_everyone")) }
                label.check { input type="checkbox" name="admins" value="1" checked[group_admins] data-testid="group-admins"; (t(lang, "apps.group_admins")) }
                p.hint { (t(lang, "apps.group_multi_hint")) }
                label for="g-types" { (t(lang, "apps.group_partner_types")) }
                select #g-types name="partner_type" multiple data-testid="group-types" {
                    @for pt in &r.types { option value=(pt.key) selected[group_types.contains(&pt.key)] { (type_text(lang, &pt.key)) } }
                }
                label for="g-units" { (t(lang, "apps.group_units")) }
                select #g-units name="unit_id" multiple data-testid="group-units" {
                    @for (u, network) in &r.units { option value=(u.id) selected[group_units.contains(&u.id)] { (unit_label(u, network, lang)) } }
                }
                label for="g-departments" { (t(lang, "apps.group_departments")) }
                select #g-departments name="department_id" multiple data-testid="group-departments" {
                    (dept_options(&deps, &|d| group_deps.iter().any(|x| x == d), &Default::default()))
                }
                label for="g-members" { (t(lang, "apps.group_members")) }
                input #g-members name="member_ids" list="member-ids" placeholder="mem_…, mem_…" value=(group_members) data-testid="group-members";
                (field_error(group_err, "member_ids"))
                (field_error(group_err, "principals"))
            }
            button type="submit" data-testid="group-submit" { (t(lang, "common.save")) }
            @if let Some(e) = group_err.filter(|e| !matches!(e.0.field.as_deref(), Some("group" | "rights" | "member_ids" | "principals"))) {
                span.field-error role="alert" data-testid="group-form-error" { (error_text(e)) }
            }
        }

        h2 #who { (t(lang, "apps.who_title")) }
        p.muted { (t(lang, "apps.who_help")) }
        @match &who_page {
            Ok(page) => {
                ul data-testid="who-list" {
                    @for m in &page.items {
                        li data-testid="who-row" data-member-id=(m) {
                            code { (m) } " "
                            a href={ (action) "?member_id=" (m) "#access" } data-testid="who-why" { (t(lang, "apps.who_why")) }
                        }
                    }
                }
                @if page.items.is_empty() { p.muted data-testid="who-empty" { (t(lang, "apps.who_none")) } }
                @if let Some(c) = &page.next_cursor {
                    div.pager { a href={ (action) "?" (serde_urlencoded::to_string([("who_cursor", c)]).unwrap_or_default()) "#who" } data-testid="who-next" { (t(lang, "common.next_page")) } }
                }
            }
            Err(e) => { p.field-error role="alert" data-testid="who-error" { (error_text(e)) } }
        }

        h2 #access { (t(lang, "apps.access_title")) }
        form.inline.card method="get" action={ (action) "#access" } data-testid="access-form" {
            label.field { span { (t(lang, "apps.access_member")) }
                input name="member_id" list="member-ids" required value=(asked.as_deref().unwrap_or_default()) data-testid="access-member";
                @if let Some(Err(e)) = &answer { (field_error(Some(e), "member_id")) }
            }
            button type="submit" data-testid="access-submit" { (t(lang, "apps.access_check")) }
        }
        (datalist)
        @if let Some(Ok(d)) = &answer {
            div.card data-testid="access-result" data-allowed=(d.allowed) {
                p { strong data-testid="access-decision" {
                    @if d.allowed { (t(lang, "apps.access_allowed")) } @else { (t(lang, "apps.access_denied")) }
                } }
                ol data-testid="access-reasons" {
                    @for reason in &d.reasons { li data-testid="access-reason" { (reason) } }
                }
            }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

fn audience_of(p: &Pairs) -> Result<Audience, ApiError> {
    let required = || ApiError::from(DomainError::invalid("audience", Rule::Required));
    match one(p, "audience").as_deref() {
        Some("all_units") => Ok(Audience::AllUnits),
        Some("partner_types") => {
            let ids = all(p, "partner_type");
            if ids.is_empty() { Err(required()) } else { Ok(Audience::PartnerTypes(ids)) }
        }
        Some("units") => {
            let ids = all(p, "unit_id");
            if ids.is_empty() { Err(required()) } else { Ok(Audience::Units(ids)) }
        }
        _ => Err(required()),
    }
}

fn network_of(p: &Pairs) -> Result<NetworkId, ApiError> {
    NetworkId::parse(&one(p, "network_id").unwrap_or_default()).map_err(|e| ApiError::from(e).with_field("network_id"))
}

/// A form on the app's page failed: the page again, with the message beside it.
/// The app page again after a failed form, with what was typed and the error beside `which`
/// (and, for a form on a row, beside that row).
async fn again(
    s: &AppState,
    form: &Csrf<Pairs>,
    id: &str,
    which: &'static str,
    row: Option<&str>,
    e: ApiError,
) -> Response {
    match ctx_of(s, form).await {
        Ok(ctx) => {
            let failed = Failed::new(which, row, e, &form.form);
            app_page(s, ctx, id, Flash::default(), Some(failed), Shown::default()).await
        }
        Err(r) => r,
    }
}

async fn publish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(p)?;
        let publication = Publication { audience: audience_of(p)? };
        s.svc.apps().publish_app(&form.session.caller, &app, &network, &publication).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}

async fn unpublish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(&form.form)?;
        s.svc.apps().unpublish_app(&form.session.caller, &app, &network).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
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
    /// `(member id, name)` of the organization's own members the groups name.
    members: &'a [(String, String)],
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
                let member = self.members.iter().find(|(m, _)| m == id);
                named("apps.principal_member", member.map_or_else(|| id.clone(), |(_, n)| n.clone()))
            }
        }
    }
}

/// How many named members the page looks up one by one; past that, ids (a group of hundreds of
/// people is better named by department).
const NAMED_MEMBERS: usize = 100;

/// The names of the organization's own members that the groups name (a partner's stay ids).
async fn member_names(
    s: &AppState,
    ctx: &Ctx,
    org: &keiretsu_domain::ids::OrgId,
    groups: &[GroupView],
) -> Vec<(String, String)> {
    let mut ids: Vec<&str> = groups
        .iter()
        .flat_map(|g| &g.principals)
        .filter_map(|p| if let Principal::Member(id) = p { Some(id.as_str()) } else { None })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids.into_iter().take(NAMED_MEMBERS) {
        let Ok(mid) = MemberId::parse(id) else { continue };
        if let Ok(m) = s.svc.directory().member(&ctx.session.caller, org, &mid).await {
            out.push((m.id, m.name));
        }
    }
    out
}

/// The group editor's choices as principals; at least one is needed.
fn principals_of(p: &Pairs) -> Result<Vec<Principal>, ApiError> {
    let mut out = Vec::new();
    if one(p, "everyone").is_some() {
        out.push(Principal::Everyone);
    }
    if one(p, "admins").is_some() {
        out.push(Principal::Admins);
    }
    let picked = |key: &str| all(p, key).into_iter().filter(|v| !v.trim().is_empty());
    out.extend(picked("partner_type").map(Principal::PartnerType));
    out.extend(picked("unit_id").map(Principal::Unit));
    out.extend(picked("department_id").map(Principal::Department));
    // Members are typed: ids separated by commas (or spaces), each checked here so the error
    // lands beside the input rather than on the list as a whole.
    let typed = one(p, "member_ids").unwrap_or_default();
    for raw in typed.split([',', ' ', '\n']).map(str::trim).filter(|m| !m.is_empty()) {
        let id = MemberId::parse(raw).map_err(|e| ApiError::from(e).with_field("member_ids"))?;
        out.push(Principal::Member(id.to_string()));
    }
    if out.is_empty() {
        return Err(DomainError::invalid("principals", Rule::Required).into());
    }
    Ok(out)
}

fn rights_of(p: &Pairs) -> Result<Vec<Right>, ApiError> {
    let rights = all(p, "right").iter().map(|r| Right::parse("rights", r)).collect::<Result<Vec<_>, _>>()?;
    if rights.is_empty() {
        return Err(DomainError::invalid("rights", Rule::Required).into());
    }
    Ok(rights)
}

/// Saves the group under its name: a new one, or the one of that name replaced.
async fn put_group(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let group = one(p, "group").unwrap_or_default();
        let input = GroupInput { rights: rights_of(p)?, principals: principals_of(p)? };
        s.svc.apps().put_permission_group(&form.session.caller, &app, &group, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "group", None, e).await,
    }
}

async fn remove_group(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let group = one(&form.form, "group").unwrap_or_default();
    let result = async {
        let app = app_id(&id)?;
        s.svc.apps().remove_permission_group(&form.session.caller, &app, &group).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "group-remove", Some(&group), e).await,
    }
}

/// The publish form's "Preview": how many people would see the app with the chosen audience.
/// Nothing changes; the page comes back with the choice and the number.
async fn preview(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(p)?;
        let audience = audience_of(p)?;
        Ok::<_, ApiError>(s.svc.apps().audience_preview(&form.session.caller, &app, &network, &audience).await?)
    }
    .await;
    match result {
        Ok((now, would_be)) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let preview = Preview { values: p.clone(), now, would_be };
                let shown = Shown { preview: Some(preview), ..Default::default() };
                app_page(&s, ctx, &id, Flash::default(), None, shown).await
            }
            Err(r) => r,
        },
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}

// ----- the form builder -----

/// The form as it is now, refused if it changed since the page that sent `version` was drawn.
async fn current_schema(s: &AppState, form: &Csrf<Pairs>, app: &AppId) -> Result<Schema, ApiError> {
    let now = s.svc.forms().schema(&form.session.caller, app).await?;
    if one(&form.form, "version").is_some_and(|v| v != now.version.to_string()) {
        return Err(
            DomainError::conflict("version", Rule::Custom("changed since this page was shown; look again")).into()
        );
    }
    Ok(now.schema)
}

/// A field as the builder's form describes it. Bounds are numbers for number fields and text
/// for money and date fields; the form's rules check the rest.
fn field_of(p: &Pairs) -> Result<Field, ApiError> {
    let text = |k: &str| nonblank(one(p, k)).map(|v| v.trim().to_owned());
    let kind = FieldKind::parse("kind", &one(p, "kind").unwrap_or_default())?;
    let bound = |k: &str| {
        text(k).map(|v| match v.parse::<f64>() {
            Ok(n) if kind == FieldKind::Number => Bound::Number(n),
            _ => Bound::Text(v),
        })
    };
    let max_length = text("max_length")
        .map(|v| v.parse::<usize>().map_err(|_| DomainError::invalid("max_length", Rule::Format("a whole number"))))
        .transpose()?;
    let options = one(p, "options")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Field {
        key: text("key").unwrap_or_default(),
        label: text("label").unwrap_or_default(),
        kind,
        required: one(p, "required").is_some(),
        rules: FieldRules {
            min: bound("min"),
            max: bound("max"),
            max_length,
            pattern: text("pattern"),
            ..Default::default()
        },
        options,
    })
}

/// An error about the new field (`fields[at].rules.min`) named by the builder's input (`min`).
fn about_new_field(e: ApiError, at: usize) -> ApiError {
    let Some(path) = e.0.field.clone() else { return e };
    let Some(rest) = path.strip_prefix(&format!("fields[{at}].")) else { return e };
    let rest = rest.strip_prefix("rules.").unwrap_or(rest);
    let input = rest.split(['.', '[']).next().unwrap_or(rest).to_owned();
    let mut e = e;
    e.0.detail = e.0.detail.replacen(&path, &input, 1);
    e.with_field(input)
}

async fn add_field(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let app = app_id(&id)?;
        let mut schema = current_schema(&s, &form, &app).await?;
        let at = schema.fields.len();
        schema.fields.push(field_of(&form.form)?);
        s.svc
            .forms()
            .put_schema(&form.session.caller, &app, &schema)
            .await
            .map_err(|e| about_new_field(e.into(), at))?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "field", None, e).await,
    }
}

async fn remove_field(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let key = one(&form.form, "key").unwrap_or_default();
    let result = async {
        let app = app_id(&id)?;
        let mut schema = current_schema(&s, &form, &app).await?;
        let before = schema.fields.len();
        schema.fields.retain(|f| f.key != key);
        if schema.fields.len() == before {
            return Err(DomainError::NotFound { what: "field" }.into());
        }
        s.svc.forms().put_schema(&form.session.caller, &app, &schema).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "remove", Some(&key), e).await,
    }
}
