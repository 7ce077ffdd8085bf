//! The console's pages: overview, departments, members, import, journal, inbox, tokens and,
//! for the platform operator, organizations.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::DomainError;
use keiretsu_domain::directory::Certification;
use keiretsu_domain::identity::{NOT_ALLOWED, PASSWORD_MIN, Role, Scope};
use keiretsu_domain::ids::{DepartmentId, MemberId, NotificationId, OrgId, TokenId};
use keiretsu_domain::time::format_rfc3339;
use keiretsu_service::directory::{
    DepartmentPatch, DepartmentView, Heads, MemberPatch, MemberQuery, MemberView, NewDepartment, NewMember, NewOrg,
    Transfer,
};
use keiretsu_service::identity::NewToken;
use keiretsu_service::journal::JournalQuery;
use maud::{Markup, html};
use serde::Deserialize;

use super::network::{contact_role_text, type_text};
use super::{Ctx, Flash, Saved, ctx_of, error_text, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/departments", get(departments).post(create_department))
        .route("/console/departments/{id}/rename", post(rename_department))
        .route("/console/departments/{id}/move", post(move_department))
        .route("/console/departments/{id}/delete", post(delete_department))
        .route("/console/departments/{id}/heads", post(set_heads))
        .route("/console/members", get(members).post(add_member))
        .route("/console/members/new", get(new_member))
        .route("/console/members/{id}", get(member))
        .route("/console/members/{id}/edit", post(edit_member))
        .route("/console/members/{id}/transfer", post(transfer_member))
        .route("/console/members/{id}/leave", post(leave))
        .route("/console/members/{id}/rejoin", post(rejoin))
        .route("/console/import", get(import_page).post(import))
        .route("/console/journal", get(journal))
        .route("/console/inbox", get(inbox))
        .route("/console/inbox/read-all", post(read_all))
        .route("/console/inbox/{id}/read", post(read_one))
        .route("/console/tokens", get(tokens).post(create_token))
        .route("/console/tokens/{id}/revoke", post(revoke_token))
        .route("/console/orgs", get(orgs).post(create_org))
        .route("/console/orgs/{id}/certification", post(certify))
}

/// A form post's fields, kept as pairs so a multi-select can send a name more than once.
pub(super) type Pairs = Vec<(String, String)>;

pub(super) fn one(pairs: &Pairs, key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

pub(super) fn all(pairs: &Pairs, key: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}

/// A form on a page that failed: which form, on which row (for forms a page repeats), why, and
/// what was typed, so the page can be shown again with the message next to it.
pub(super) struct Failed {
    pub(super) form: &'static str,
    pub(super) at: Option<String>,
    pub(super) error: ApiError,
    pub(super) values: Pairs,
}

impl Failed {
    pub(super) fn new(form: &'static str, at: Option<&str>, error: ApiError, values: &Pairs) -> Failed {
        Failed { form, at: at.map(str::to_owned), error, values: values.clone() }
    }
}

fn failed_form<'a>(failed: Option<&'a Failed>, form: &str, at: Option<&str>) -> Option<&'a Failed> {
    failed.filter(|f| f.form == form && f.at.as_deref() == at)
}

/// The error of form `form` (on row `at`), if that is the one that failed.
pub(super) fn err_of<'a>(failed: Option<&'a Failed>, form: &str, at: Option<&str>) -> Option<&'a ApiError> {
    failed_form(failed, form, at).map(|f| &f.error)
}

/// What was typed into `key` of the failed form, or `default` for a fresh form.
pub(super) fn typed(failed: Option<&Failed>, form: &str, at: Option<&str>, key: &str, default: &str) -> String {
    match failed_form(failed, form, at) {
        Some(f) => one(&f.values, key).unwrap_or_default(),
        None => default.to_owned(),
    }
}

/// Every value typed into `key` of the failed form (checkboxes).
pub(super) fn typed_all(failed: Option<&Failed>, form: &str, at: Option<&str>, key: &str) -> Vec<String> {
    failed_form(failed, form, at).map(|f| all(&f.values, key)).unwrap_or_default()
}

pub(super) fn nonblank(v: Option<String>) -> Option<String> {
    v.filter(|x| !x.trim().is_empty())
}

pub(super) fn no_org(ctx: &Ctx, active: &str, title: &str) -> Response {
    layout(
        ctx,
        active,
        title,
        &Flash::default(),
        html! { p.muted data-testid="no-org" { (t(ctx.lang, "common.no_org")) } },
    )
}

pub(super) fn err_page(ctx: &Ctx, active: &str, title: &str, e: impl Into<ApiError>) -> Response {
    let e = e.into();
    (status_of(&e), layout(ctx, active, title, &Flash::error(&e), html! {})).into_response()
}

pub(super) fn status_text(lang: Lang, status: &str) -> &'static str {
    if status == "left" { t(lang, "status.left") } else { t(lang, "status.active") }
}

fn scope_text(lang: Lang, scope: Scope) -> &'static str {
    match scope {
        Scope::Directory => t(lang, "scope.directory"),
        Scope::License => t(lang, "scope.license"),
        Scope::Partners => t(lang, "scope.partners"),
        Scope::Apps => t(lang, "scope.apps"),
        Scope::Approvals => t(lang, "scope.approvals"),
        Scope::Audit => t(lang, "scope.audit"),
    }
}

fn role_text(lang: Lang, role: &Role) -> String {
    match role {
        Role::PrimaryAdmin => t(lang, "role.primary_admin").to_owned(),
        Role::Member => t(lang, "role.member").to_owned(),
        Role::SubAdmin(scopes) => {
            let names: Vec<&str> = scopes.iter().map(|s| scope_text(lang, *s)).collect();
            format!("{} ({})", t(lang, "role.sub_admin"), names.join(", "))
        }
    }
}

fn certification_text(lang: Lang, c: &str) -> &'static str {
    match c {
        "certified" => t(lang, "cert.certified"),
        "pending" => t(lang, "cert.pending"),
        "revoked" => t(lang, "cert.revoked"),
        _ => t(lang, "cert.unverified"),
    }
}

/// Departments in tree order with their depth, for selects and the tree.
fn dept_order(deps: &[DepartmentView]) -> Vec<(&DepartmentView, usize)> {
    let kids = children(deps);
    let mut out = Vec::with_capacity(deps.len());
    let mut stack: Vec<(&DepartmentView, usize)> =
        kids.get(&None).map(|v| v.iter().rev().map(|d| (*d, 0)).collect()).unwrap_or_default();
    while let Some((d, depth)) = stack.pop() {
        out.push((d, depth));
        if let Some(k) = kids.get(&Some(d.id.as_str())) {
            stack.extend(k.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

fn children(deps: &[DepartmentView]) -> HashMap<Option<&str>, Vec<&DepartmentView>> {
    let mut kids: HashMap<Option<&str>, Vec<&DepartmentView>> = HashMap::new();
    for d in deps {
        kids.entry(d.parent_id.as_deref()).or_default().push(d);
    }
    kids
}

/// `id` and every department below it.
fn subtree<'a>(deps: &'a [DepartmentView], id: &'a str) -> HashSet<&'a str> {
    let kids = children(deps);
    let mut out = HashSet::from([id]);
    let mut todo = vec![id];
    while let Some(x) = todo.pop() {
        for c in kids.get(&Some(x)).into_iter().flatten() {
            if out.insert(c.id.as_str()) {
                todo.push(c.id.as_str());
            }
        }
    }
    out
}

pub(super) fn dept_options(
    deps: &[DepartmentView],
    selected: &dyn Fn(&str) -> bool,
    exclude: &HashSet<&str>,
) -> Markup {
    html! {
        @for (d, depth) in dept_order(deps) {
            @if !exclude.contains(d.id.as_str()) {
                option value=(d.id) selected[selected(&d.id)] { ("\u{a0}\u{a0}\u{a0}".repeat(depth)) (d.name) }
            }
        }
    }
}

/// Active members as suggestions for a member-id input (name and login shown, id filled in).
pub(super) async fn member_datalist(s: &AppState, ctx: &Ctx, org: &OrgId) -> Markup {
    let query = MemberQuery { status: Some("active".into()), limit: Some(200), ..Default::default() };
    let list = s.svc.members(&ctx.session.caller, org, &query).await.map(|p| p.items).unwrap_or_default();
    html! {
        datalist #member-ids {
            @for m in &list { option value=(m.id) { (m.name) " (" (m.login) ")" } }
        }
    }
}

// ----- overview -----

pub async fn overview(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let lang = ctx.lang;
    let f = q.flash(lang);
    let title = t(lang, "nav.overview");
    let Some(org) = ctx.org() else {
        let body = html! {
            div.card {
                @if ctx.me.operator {
                    p { (t(lang, "overview.operator")) }
                    a href="/console/orgs" data-testid="overview-orgs" { (t(lang, "nav.orgs")) }
                } @else {
                    p.muted { (t(lang, "common.no_org")) }
                }
            }
        };
        return layout(&ctx, "overview", title, &f, body);
    };
    let caller = &ctx.session.caller;
    let (o, deps) = match (s.svc.org(caller, &org).await, s.svc.departments(caller, &org).await) {
        (Ok(o), Ok(d)) => (o, d),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, "overview", title, e),
    };
    let members = match s.svc.member_count(caller, &org).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, "overview", title, e),
    };
    let body = html! {
        div.stats {
            div.card data-testid="overview-org" {
                span.muted { (t(lang, "overview.organization")) }
                strong { (o.name) }
                span.badge.cert data-testid="overview-certification" data-certification=(o.certification.as_str()) {
                    (certification_text(lang, o.certification.as_str()))
                }
            }
            div.card { span.muted { (t(lang, "overview.members")) } strong data-testid="overview-members" { (members) } }
            div.card { span.muted { (t(lang, "overview.departments")) } strong data-testid="overview-departments" { (deps.len()) } }
            div.card { span.muted { (t(lang, "overview.unread")) } strong { a href="/console/inbox" data-testid="overview-unread" { (ctx.unread) } } }
        }
        @if let Some(role) = ctx.role() { p.muted data-testid="overview-role" { (t(lang, "overview.your_role")) ": " (role_text(lang, role)) } }
    };
    layout(&ctx, "overview", title, &f, body)
}

// ----- departments -----

/// A department form that failed: which department, which form, and why.
struct DeptError {
    at: Option<String>,
    action: &'static str,
    error: ApiError,
}

struct Tree<'a> {
    ctx: &'a Ctx,
    deps: &'a [DepartmentView],
    kids: HashMap<Option<&'a str>, Vec<&'a DepartmentView>>,
    names: &'a HashMap<String, String>,
    err: Option<&'a DeptError>,
}

impl Tree<'_> {
    fn error_for(&self, d: &DepartmentView, action: &str) -> Markup {
        html! {
            @if let Some(e) = self.err.filter(|e| e.action == action && e.at.as_deref() == Some(d.id.as_str())) {
                span.field-error role="alert" data-testid="department-error" { (error_text(&e.error)) }
            }
        }
    }

    fn render(&self, parent: Option<&str>, depth: usize) -> Markup {
        let ctx = self.ctx;
        let lang = ctx.lang;
        let admin = ctx.can(Scope::Directory);
        let kids = self.kids.get(&parent).cloned().unwrap_or_default();
        html! {
            @if !kids.is_empty() {
                ul {
                    @for d in kids {
                        @let open = self.err.is_some_and(|e| e.at.as_deref() == Some(d.id.as_str()));
                        li data-testid="department" data-department-id=(d.id) data-name=(d.name) data-depth=(depth) {
                            div.dept {
                                a.dept-name href={ "/console/members?department_id=" (d.id) "&include_sub_departments=on&status=active" } { (d.name) }
                                span.badge data-testid="department-count" { (tf(lang, "departments.count", &[("n", &d.member_count.to_string())])) }
                                @if !d.head_ids.is_empty() {
                                    span.muted data-testid="department-heads" { (t(lang, "departments.heads")) ": "
                                        @for h in &d.head_ids { a href={ "/console/members/" (h) } { (self.names.get(h).map_or(h.as_str(), String::as_str)) } " " }
                                    }
                                }
                                @if admin {
                                    details open[open] {
                                        summary data-testid="department-manage" { (t(lang, "common.manage")) }
                                        div.manage {
                                            form.inline method="post" action="/console/departments" {
                                                (ctx.csrf())
                                                input type="hidden" name="parent_id" value=(d.id);
                                                input name="name" required maxlength="100" placeholder=(t(lang, "departments.new_sub")) aria-label=(t(lang, "departments.new_sub")) data-testid="new-sub-name";
                                                button type="submit" data-testid="new-sub-submit" { (t(lang, "departments.create_sub")) }
                                                (self.error_for(d, "create"))
                                            }
                                            form.inline method="post" action={ "/console/departments/" (d.id) "/rename" } {
                                                (ctx.csrf())
                                                input name="name" required maxlength="100" value=(d.name) aria-label=(t(lang, "field.name")) data-testid="rename-name";
                                                button.secondary type="submit" data-testid="rename-submit" { (t(lang, "departments.rename")) }
                                                (self.error_for(d, "rename"))
                                            }
                                            @if d.parent_id.is_some() {
                                                form.inline method="post" action={ "/console/departments/" (d.id) "/move" } {
                                                    (ctx.csrf())
                                                    select name="parent_id" aria-label=(t(lang, "departments.move")) data-testid="move-parent" {
                                                        (dept_options(self.deps, &|id| Some(id) == d.parent_id.as_deref(), &subtree(self.deps, &d.id)))
                                                    }
                                                    button.secondary type="submit" data-testid="move-submit" { (t(lang, "departments.move")) }
                                                    (self.error_for(d, "move"))
                                                }
                                                form.inline method="post" action={ "/console/departments/" (d.id) "/delete" }
                                                    data-confirm=(tf(lang, "departments.delete_confirm", &[("name", &d.name)])) {
                                                    (ctx.csrf())
                                                    button.danger type="submit" data-testid="delete-submit" { (t(lang, "common.delete")) }
                                                    (self.error_for(d, "delete"))
                                                }
                                            }
                                            form.inline method="post" action={ "/console/departments/" (d.id) "/heads" } {
                                                (ctx.csrf())
                                                input name="member_ids" value=(d.head_ids.join(" ")) placeholder=(t(lang, "departments.heads_placeholder")) aria-label=(t(lang, "departments.heads")) data-testid="heads-input" list="member-ids";
                                                button.secondary type="submit" data-testid="heads-submit" { (t(lang, "departments.set_heads")) }
                                                (self.error_for(d, "heads"))
                                            }
                                        }
                                    }
                                }
                            }
                            (self.render(Some(&d.id), depth + 1))
                        }
                    }
                }
            }
        }
    }
}

async fn departments(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    departments_page(&s, ctx, f, None).await
}

async fn departments_page(s: &AppState, ctx: Ctx, f: Flash, err: Option<DeptError>) -> Response {
    let title = t(ctx.lang, "nav.departments");
    let Some(org) = ctx.org() else { return no_org(&ctx, "departments", title) };
    let deps = match s.svc.departments(&ctx.session.caller, &org).await {
        Ok(d) => d,
        Err(e) => return err_page(&ctx, "departments", title, e),
    };
    let head_ids: HashSet<String> = deps.iter().flat_map(|d| d.head_ids.clone()).collect();
    let mut names = HashMap::new();
    for id in head_ids {
        if let Ok(mid) = MemberId::parse(&id)
            && let Ok(m) = s.svc.member(&ctx.session.caller, &org, &mid).await
        {
            names.insert(id, m.name);
        }
    }
    let datalist = if ctx.can(Scope::Directory) {
        member_datalist(s, &ctx, &org).await
    } else {
        html! {}
    };
    let tree = Tree { ctx: &ctx, deps: &deps, kids: children(&deps), names: &names, err: err.as_ref() };
    let body = html! {
        div.card.tree data-testid="department-tree" { (tree.render(None, 0)) }
        (datalist)
    };
    match &err {
        Some(e) => {
            (status_of(&e.error), layout(&ctx, "departments", title, &Flash::error(&e.error), body)).into_response()
        }
        None => layout(&ctx, "departments", title, &f, body),
    }
}

#[derive(Deserialize)]
struct DeptForm {
    name: Option<String>,
    parent_id: Option<String>,
    member_ids: Option<String>,
}

fn parse_dep(raw: &str) -> Result<DepartmentId, ApiError> {
    DepartmentId::parse(raw.trim()).map_err(ApiError::from)
}

async fn dept_action(s: &AppState, form: &Csrf<DeptForm>, id: Option<&str>, action: &str) -> Result<(), ApiError> {
    let caller = &form.session.caller;
    let org = caller.acting().map(|a| a.org.clone()).ok_or(NOT_ALLOWED)?;
    let f = &form.form;
    let id = id.map(parse_dep).transpose()?;
    let parent = f.parent_id.as_deref().filter(|p| !p.is_empty()).map(parse_dep).transpose()?;
    match (action, id) {
        ("create", _) => {
            let input = NewDepartment { name: f.name.clone().unwrap_or_default(), parent_id: parent };
            s.svc.create_department(caller, &org, &input).await.map(|_| ())?
        }
        ("rename", Some(id)) => {
            let patch = DepartmentPatch { name: Some(f.name.clone().unwrap_or_default()), parent_id: None };
            s.svc.update_department(caller, &org, &id, &patch).await?
        }
        ("move", Some(id)) => {
            let parent = parent.ok_or_else(|| ApiError::from(DomainError::NotFound { what: "department" }))?;
            let patch = DepartmentPatch { name: None, parent_id: Some(parent) };
            s.svc.update_department(caller, &org, &id, &patch).await?
        }
        ("delete", Some(id)) => s.svc.delete_department(caller, &org, &id).await?,
        ("heads", Some(id)) => {
            let member_ids = f
                .member_ids
                .as_deref()
                .unwrap_or("")
                .split([' ', ',', '\n', '\t'])
                .filter(|x| !x.is_empty())
                .map(|x| MemberId::parse(x).map_err(|e| ApiError::from(e).with_field("member_ids")))
                .collect::<Result<Vec<_>, _>>()?;
            s.svc.set_heads(caller, &org, &id, &Heads { member_ids }).await?
        }
        _ => return Err(NOT_ALLOWED.into()),
    }
    Ok(())
}

async fn dept_post(s: AppState, form: Csrf<DeptForm>, id: Option<String>, action: &'static str) -> Response {
    match dept_action(&s, &form, id.as_deref(), action).await {
        Ok(()) => saved("/console/departments"),
        Err(error) => {
            let ctx = match ctx_of(&s, &form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            // A new sub-department's form sits under its parent.
            let at = if action == "create" { form.form.parent_id.clone() } else { id };
            departments_page(&s, ctx, Flash::default(), Some(DeptError { at, action, error })).await
        }
    }
}

async fn create_department(State(s): State<AppState>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, None, "create").await
}
async fn rename_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, Some(id), "rename").await
}
async fn move_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, Some(id), "move").await
}
async fn delete_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, Some(id), "delete").await
}
async fn set_heads(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, Some(id), "heads").await
}

// ----- members -----

#[derive(Deserialize, Default)]
struct MembersQuery {
    q: Option<String>,
    department_id: Option<String>,
    include_sub_departments: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    saved: Option<String>,
}

async fn members(State(s): State<AppState>, ctx: Ctx, Query(q): Query<MembersQuery>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.members");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let deps = s.svc.departments(caller, &org).await.unwrap_or_default();
    let dep_names: HashMap<&str, &str> = deps.iter().map(|d| (d.id.as_str(), d.name.as_str())).collect();
    let status = match q.status.as_deref() {
        None | Some("") => Some("active".to_owned()),
        Some("all") => None,
        Some(other) => Some(other.to_owned()),
    };
    let sub = q.include_sub_departments.as_deref().is_some_and(|v| !v.is_empty() && v != "false");
    let query = MemberQuery {
        q: nonblank(q.q.clone()),
        department_id: nonblank(q.department_id.clone()),
        include_sub_departments: Some(sub),
        status: status.clone(),
        cursor: nonblank(q.cursor.clone()),
        limit: Some(50),
    };
    let mut f = Saved { saved: q.saved.clone() }.flash(lang);
    let (page, err) = match s.svc.members(caller, &org, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            f.error = Some(error_text(&e));
            (Default::default(), Some(e))
        }
    };
    let err = err.as_ref();
    let next = page.next_cursor.as_ref().map(|c| {
        let mut params = vec![("cursor", c.clone())];
        for (k, v) in [("q", &query.q), ("department_id", &query.department_id)] {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        if sub {
            params.push(("include_sub_departments", "on".into()));
        }
        params.push(("status", status.clone().unwrap_or_else(|| "all".into())));
        format!("/console/members?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    let body = html! {
        form.inline.filters method="get" action="/console/members" data-testid="member-search" {
            input type="search" name="q" value=(query.q.clone().unwrap_or_default()) placeholder=(t(lang, "members.search_placeholder")) aria-label=(t(lang, "common.search")) data-testid="member-search-q";
            (field_error(err, "q"))
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="member-search-department" {
                option value="" { (t(lang, "members.all_departments")) }
                (dept_options(&deps, &|id| query.department_id.as_deref() == Some(id), &HashSet::new()))
            }
            (field_error(err, "department_id"))
            label.check { input type="checkbox" name="include_sub_departments" checked[sub] data-testid="member-search-sub"; (t(lang, "members.include_sub")) }
            select name="status" aria-label=(t(lang, "field.status")) data-testid="member-search-status" {
                option value="active" selected[status.as_deref() == Some("active")] { (t(lang, "status.active")) }
                option value="left" selected[status.as_deref() == Some("left")] { (t(lang, "status.left")) }
                option value="all" selected[status.is_none()] { (t(lang, "status.all")) }
            }
            button type="submit" data-testid="member-search-submit" { (t(lang, "common.search")) }
            @if ctx.can(Scope::Directory) { a.button href="/console/members/new" data-testid="add-member-link" { (t(lang, "members.add")) } }
        }
        table data-testid="member-table" {
            thead { tr {
                th { (t(lang, "field.name")) } th { (t(lang, "field.login")) } th { (t(lang, "field.employee_no")) }
                th { (t(lang, "field.title")) } th { (t(lang, "field.departments")) } th { (t(lang, "field.status")) }
            } }
            tbody {
                @for m in &page.items {
                    tr data-testid="member-row" data-member-id=(m.id) {
                        td { a href={ "/console/members/" (m.id) } data-testid="member-link" { (m.name) } }
                        td { (m.login) }
                        td { (m.employee_no.clone().unwrap_or_default()) }
                        td { (m.title.clone().unwrap_or_default()) }
                        td { @for d in &m.department_ids { span.badge { (dep_names.get(d.as_str()).copied().unwrap_or(d.as_str())) } " " } }
                        td { span.status.left[m.status.as_str() == "left"] { (status_text(lang, m.status.as_str())) } }
                    }
                }
                @if page.items.is_empty() { tr { td.muted colspan="6" data-testid="member-empty" { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="next-page" { (t(lang, "common.next_page")) } } }
    };
    let res = layout(&ctx, "members", title, &f, body);
    match err {
        Some(e) => (status_of(e), res).into_response(),
        None => res,
    }
}

/// What the add-member form holds (never the password: it is not sent back).
#[derive(Default)]
struct MemberValues {
    name: String,
    login: String,
    phone: String,
    email: String,
    title: String,
    employee_no: String,
    department_ids: Vec<String>,
    supervisor_id: String,
}

impl MemberValues {
    fn from_pairs(p: &Pairs) -> MemberValues {
        let g = |k: &str| one(p, k).unwrap_or_default();
        MemberValues {
            name: g("name"),
            login: g("login"),
            phone: g("phone"),
            email: g("email"),
            title: g("title"),
            employee_no: g("employee_no"),
            department_ids: all(p, "department_id").into_iter().filter(|d| !d.is_empty()).collect(),
            supervisor_id: g("supervisor_id"),
        }
    }
}

async fn new_member(State(s): State<AppState>, ctx: Ctx) -> Response {
    new_member_page(&s, ctx, &MemberValues::default(), None).await
}

async fn new_member_page(s: &AppState, ctx: Ctx, v: &MemberValues, err: Option<&ApiError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.add");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    if !ctx.can(Scope::Directory) {
        return not_allowed(&ctx, "members", title);
    }
    let deps = s.svc.departments(&ctx.session.caller, &org).await.unwrap_or_default();
    let root = deps.iter().find(|d| d.parent_id.is_none()).map(|d| d.id.clone());
    let chosen = |id: &str| {
        if v.department_ids.is_empty() { root.as_deref() == Some(id) } else { v.department_ids.iter().any(|d| d == id) }
    };
    let datalist = member_datalist(s, &ctx, &org).await;
    let input = |name: &'static str,
                 label: &'static str,
                 value: &str,
                 kind: &'static str,
                 testid: &'static str,
                 required: bool| {
        html! {
            label for={ "f-" (name) } { (label) }
            input id={ "f-" (name) } name=(name) type=(kind) value=(value) required[required] data-testid=(testid);
            (field_error(err, name))
        }
    };
    let body = html! {
        form.stack.card method="post" action="/console/members" data-testid="add-member-form" {
            (ctx.csrf())
            (input("name", t(lang, "field.name"), &v.name, "text", "member-name", true))
            (input("login", t(lang, "field.login"), &v.login, "text", "member-login", true))
            (input("phone", t(lang, "field.phone"), &v.phone, "tel", "member-phone", false))
            (input("email", t(lang, "field.email"), &v.email, "email", "member-email", false))
            (input("title", t(lang, "field.title"), &v.title, "text", "member-title", false))
            (input("employee_no", t(lang, "field.employee_no"), &v.employee_no, "text", "member-employee-no", false))
            label for="f-departments" { (t(lang, "field.departments")) }
            select #f-departments name="department_id" multiple size=(deps.len().clamp(3, 8)) data-testid="member-departments" {
                (dept_options(&deps, &chosen, &HashSet::new()))
            }
            span.hint { (t(lang, "members.multi_hint")) }
            (field_error(err, "department_ids"))
            label for="f-supervisor_id" { (t(lang, "field.supervisor")) }
            input #f-supervisor_id name="supervisor_id" value=(v.supervisor_id) list="member-ids" placeholder=(t(lang, "members.member_id_placeholder")) data-testid="member-supervisor";
            (field_error(err, "supervisor_id"))
            label for="f-password" { (t(lang, "field.initial_password")) }
            input #f-password name="password" type="password" autocomplete="new-password" data-testid="member-password";
            span.hint { (tf(lang, "members.password_hint", &[("min", &PASSWORD_MIN.to_string())])) }
            (field_error(err, "password"))
            button type="submit" data-testid="member-submit" { (t(lang, "members.add")) }
        }
        (datalist)
    };
    match err {
        Some(e) => {
            let f = Flash::error(e);
            (status_of(e), layout(&ctx, "members", title, &f, body)).into_response()
        }
        None => layout(&ctx, "members", title, &Flash::default(), body),
    }
}

fn new_member_input(p: &Pairs) -> Result<NewMember, ApiError> {
    let department_ids = all(p, "department_id")
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| parse_dep(d).map_err(|e| e.with_field("department_ids")))
        .collect::<Result<Vec<_>, _>>()?;
    let supervisor_id = nonblank(one(p, "supervisor_id"))
        .map(|m| MemberId::parse(m.trim()).map_err(|e| ApiError::from(e).with_field("supervisor_id")))
        .transpose()?;
    Ok(NewMember {
        name: one(p, "name").unwrap_or_default(),
        login: one(p, "login").unwrap_or_default(),
        phone: nonblank(one(p, "phone")),
        email: nonblank(one(p, "email")),
        title: nonblank(one(p, "title")),
        employee_no: nonblank(one(p, "employee_no")),
        department_ids,
        supervisor_id,
        password: nonblank(one(p, "password")),
    })
}

async fn add_member(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let caller = &form.session.caller;
    let Some(org) = caller.acting().map(|a| a.org.clone()) else { return Redirect::to("/console").into_response() };
    let result = match new_member_input(&form.form) {
        Ok(input) => s.svc.add_member(caller, &org, &input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => Redirect::to(&format!("/console/members/{}?saved=1", m.id)).into_response(),
        Err(e) => {
            let ctx = match ctx_of(&s, &form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            new_member_page(&s, ctx, &MemberValues::from_pairs(&form.form), Some(&e)).await
        }
    }
}

/// A member form that failed: which one, why, and what was typed into the edit form.
struct MemberError {
    form: &'static str,
    error: ApiError,
    edit: Option<EditForm>,
}

async fn member(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    member_page(&s, ctx, &id, f, None).await
}

async fn load_member(s: &AppState, ctx: &Ctx, org: &OrgId, id: &str) -> Result<MemberView, ApiError> {
    let mid = MemberId::parse(id).map_err(|_| ApiError::from(DomainError::NotFound { what: "member" }))?;
    Ok(s.svc.member(&ctx.session.caller, org, &mid).await?)
}

async fn member_page(s: &AppState, ctx: Ctx, id: &str, f: Flash, err: Option<MemberError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.detail");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let m = match load_member(s, &ctx, &org, id).await {
        Ok(m) => m,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
    let deps = s.svc.departments(caller, &org).await.unwrap_or_default();
    let dep_name = |id: &str| deps.iter().find(|d| d.id == id).map_or(id.to_owned(), |d| d.name.clone());
    let supervisor = match m.supervisor_id.as_deref().map(MemberId::parse) {
        Some(Ok(sid)) => s.svc.member(caller, &org, &sid).await.ok(),
        _ => None,
    };
    let admin = ctx.can(Scope::Directory);
    let datalist = if admin {
        member_datalist(s, &ctx, &org).await
    } else {
        html! {}
    };
    let err_for = |form: &str| err.as_ref().filter(|e| e.form == form).map(|e| &e.error);
    let edit = err.as_ref().and_then(|e| e.edit.as_ref());
    let ev = |typed: Option<&Option<String>>, current: &Option<String>| {
        typed.map_or_else(|| current.clone().unwrap_or_default(), |v| v.clone().unwrap_or_default())
    };
    let active = m.status.as_str() == "active";
    let body = html! {
        div.card {
            dl.fields data-testid="member-detail" {
                dt { (t(lang, "field.name")) } dd data-testid="member-detail-name" { (m.name) }
                dt { (t(lang, "field.login")) } dd data-testid="member-detail-login" { (m.login) }
                dt { (t(lang, "field.phone")) } dd { (m.phone.clone().unwrap_or_default()) }
                dt { (t(lang, "field.email")) } dd { (m.email.clone().unwrap_or_default()) }
                dt { (t(lang, "field.title")) } dd data-testid="member-detail-title" { (m.title.clone().unwrap_or_default()) }
                dt { (t(lang, "field.employee_no")) } dd data-testid="member-detail-employee-no" { (m.employee_no.clone().unwrap_or_default()) }
                dt { (t(lang, "field.departments")) } dd data-testid="member-detail-departments" { @for d in &m.department_ids { span.badge { (dep_name(d)) } " " } }
                dt { (t(lang, "field.supervisor")) } dd data-testid="member-detail-supervisor" {
                    @if let Some(sup) = &supervisor { a href={ "/console/members/" (sup.id) } { (sup.name) } }
                    @else if let Some(sid) = &m.supervisor_id { (sid) }
                }
                dt { (t(lang, "field.role")) } dd data-testid="member-detail-role" { (role_text(lang, &m.role)) }
                dt { (t(lang, "field.status")) } dd data-testid="member-detail-status" { span.status.left[!active] { (status_text(lang, m.status.as_str())) } }
                dt { (t(lang, "field.joined_at")) } dd { (m.joined_at) }
                @if let Some(left) = &m.left_at { dt { (t(lang, "field.left_at")) } dd data-testid="member-detail-left-at" { (left) } }
                dt { (t(lang, "field.id")) } dd { code { (m.id) } }
            }
        }
        @if admin {
            div.columns {
                section {
                    h2 { (t(lang, "members.edit")) }
                    @let e = err_for("edit");
                    form.stack.card method="post" action={ "/console/members/" (m.id) "/edit" } data-testid="edit-member-form" {
                        (ctx.csrf())
                        label for="e-name" { (t(lang, "field.name")) }
                        input #e-name name="name" value=(edit.map_or_else(|| m.name.clone(), |x| x.name.clone().unwrap_or_default())) required data-testid="edit-name";
                        (field_error(e, "name"))
                        label for="e-title" { (t(lang, "field.title")) }
                        input #e-title name="title" value=(ev(edit.map(|x| &x.title), &m.title)) data-testid="edit-title";
                        (field_error(e, "title"))
                        label for="e-employee_no" { (t(lang, "field.employee_no")) }
                        input #e-employee_no name="employee_no" value=(ev(edit.map(|x| &x.employee_no), &m.employee_no)) data-testid="edit-employee-no";
                        (field_error(e, "employee_no"))
                        label for="e-supervisor_id" { (t(lang, "field.supervisor")) }
                        input #e-supervisor_id name="supervisor_id" value=(ev(edit.map(|x| &x.supervisor_id), &m.supervisor_id)) list="member-ids" placeholder=(t(lang, "members.member_id_placeholder")) data-testid="edit-supervisor";
                        (field_error(e, "supervisor_id"))
                        button type="submit" data-testid="edit-submit" { (t(lang, "common.save")) }
                    }
                }
                section {
                    h2 { (t(lang, "members.transfer")) }
                    @let e = err_for("transfer");
                    form.stack.card method="post" action={ "/console/members/" (m.id) "/transfer" } data-testid="transfer-form" {
                        (ctx.csrf())
                        select name="department_id" multiple size=(deps.len().clamp(3, 10)) aria-label=(t(lang, "field.departments")) data-testid="transfer-departments" {
                            (dept_options(&deps, &|id| m.department_ids.iter().any(|d| d == id), &HashSet::new()))
                        }
                        span.hint { (t(lang, "members.multi_hint")) }
                        (field_error(e, "department_ids"))
                        button type="submit" data-testid="transfer-submit" { (t(lang, "members.transfer")) }
                    }
                    h2 { (t(lang, "field.status")) }
                    div.card {
                        @if active {
                            form.inline method="post" action={ "/console/members/" (m.id) "/leave" }
                                data-confirm=(t(lang, "members.leave_confirm")) data-testid="leave-form" {
                                (ctx.csrf())
                                button.danger type="submit" data-testid="leave-submit" { (t(lang, "members.leave")) }
                            }
                            p.hint { (t(lang, "members.leave_hint")) }
                        } @else {
                            form.inline method="post" action={ "/console/members/" (m.id) "/rejoin" } data-testid="rejoin-form" {
                                (ctx.csrf())
                                button type="submit" data-testid="rejoin-submit" { (t(lang, "members.rejoin")) }
                            }
                        }
                        @if let Some(e) = err_for("status") { span.field-error role="alert" { (error_text(e)) } }
                    }
                }
            }
            (datalist)
        }
        p { a href="/console/members" data-testid="back-to-members" { (t(lang, "members.back")) } }
    };
    match &err {
        Some(e) => {
            (status_of(&e.error), layout(&ctx, "members", &m.name, &Flash::error(&e.error), body)).into_response()
        }
        None => layout(&ctx, "members", &m.name, &f, body),
    }
}

#[derive(Deserialize, Clone)]
struct EditForm {
    name: Option<String>,
    title: Option<String>,
    employee_no: Option<String>,
    supervisor_id: Option<String>,
}

/// Runs a member form; 303 back to the member when it worked, the page with the error if not.
async fn member_action(
    s: &AppState,
    form: &Csrf<impl Sized>,
    id: &str,
    which: &'static str,
    edit: Option<EditForm>,
    run: impl AsyncFnOnce(&keiretsu_service::Caller, OrgId, MemberId) -> Result<(), ApiError>,
) -> Response {
    let Some(org) = form.session.caller.acting().map(|a| a.org.clone()) else {
        return Redirect::to("/console").into_response();
    };
    let result = match MemberId::parse(id) {
        Ok(mid) => run(&form.session.caller, org, mid).await,
        Err(_) => Err(DomainError::NotFound { what: "member" }.into()),
    };
    match result {
        Ok(()) => saved(&format!("/console/members/{id}")),
        Err(error) => {
            let ctx = match ctx_of(s, form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            member_page(s, ctx, id, Flash::default(), Some(MemberError { form: which, error, edit })).await
        }
    }
}

async fn edit_member(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<EditForm>) -> Response {
    let f = form.form.clone();
    let patch = MemberPatch {
        name: f.name.clone(),
        title: f.title.clone(),
        employee_no: f.employee_no.clone(),
        supervisor_id: f.supervisor_id.clone().map(|x| x.trim().to_owned()),
    };
    member_action(&s, &form, &id, "edit", Some(f), async |c, org, mid| {
        s.svc.update_member(c, &org, &mid, &patch).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

async fn transfer_member(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let ids: Result<Vec<DepartmentId>, ApiError> = all(&form.form, "department_id")
        .iter()
        .filter(|d| !d.is_empty())
        .map(|v| parse_dep(v).map_err(|e| e.with_field("department_ids")))
        .collect();
    member_action(&s, &form, &id, "transfer", None, async |c, org, mid| {
        s.svc
            .transfer_member(c, &org, &mid, &Transfer { department_ids: ids? })
            .await
            .map(|_| ())
            .map_err(ApiError::from)
    })
    .await
}

async fn leave(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    member_action(&s, &form, &id, "status", None, async |c, org, mid| {
        s.svc.leave(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

async fn rejoin(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    member_action(&s, &form, &id, "status", None, async |c, org, mid| {
        s.svc.rejoin(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

// ----- import -----

fn import_form(ctx: &Ctx, csv: &str, skip_bad: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        p.muted { (t(lang, "import.help")) }
        form.stack.wide.card method="post" action="/console/import" data-testid="import-form" {
            (ctx.csrf())
            label for="import-file" { (t(lang, "import.file")) }
            input #import-file type="file" accept=".csv,text/csv,text/plain" data-testid="import-file" data-read-into="import-csv";
            label for="import-csv" { (t(lang, "import.csv")) }
            textarea #import-csv name="csv" rows="14" spellcheck="false" data-testid="import-csv" { (csv) }
            label.check { input type="checkbox" name="skip_bad" checked[skip_bad] data-testid="import-skip-bad"; (t(lang, "import.skip_bad")) }
            button type="submit" data-testid="import-submit" { (t(lang, "import.submit")) }
        }
    }
}

async fn import_page(ctx: Ctx) -> Response {
    let title = t(ctx.lang, "nav.import");
    if !ctx.can(Scope::Directory) {
        return not_allowed(&ctx, "import", title);
    }
    let body = import_form(&ctx, "employee_no,name,login,phone,email,title,department\n", false);
    layout(&ctx, "import", title, &Flash::default(), body)
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(default)]
    csv: String,
    skip_bad: Option<String>,
}

async fn import(State(s): State<AppState>, form: Csrf<ImportForm>) -> Response {
    let ctx = match ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let title = t(lang, "nav.import");
    let Some(org) = ctx.org() else { return no_org(&ctx, "import", title) };
    let skip_bad = form.form.skip_bad.is_some();
    let report = match s.svc.import_members(&ctx.session.caller, &org, &form.form.csv, skip_bad, &()).await {
        Ok(r) => r,
        Err(e) => {
            let e = ApiError::from(e);
            let body = import_form(&ctx, &form.form.csv, skip_bad);
            return (status_of(&e), layout(&ctx, "import", title, &Flash::error(&e), body)).into_response();
        }
    };
    let counts = [
        ("created", report.created.to_string()),
        ("updated", report.updated.to_string()),
        ("skipped", report.skipped.to_string()),
    ];
    let counts: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let f = if report.applied {
        Flash { notice: Some(tf(lang, "import.done", &counts)), error: None }
    } else {
        Flash { error: Some(tf(lang, "import.refused", &[("n", &report.errors.len().to_string())])), notice: None }
    };
    let body = html! {
        div.stats data-testid="import-report" data-applied=(report.applied) {
            div.card { span.muted { (t(lang, "import.created")) } strong data-testid="import-created" { (report.created) } }
            div.card { span.muted { (t(lang, "import.updated")) } strong data-testid="import-updated" { (report.updated) } }
            div.card { span.muted { (t(lang, "import.skipped")) } strong data-testid="import-skipped" { (report.skipped) } }
        }
        @if !report.errors.is_empty() {
            h2 { (t(lang, "import.errors")) }
            table data-testid="import-errors" {
                thead { tr { th { (t(lang, "import.line")) } th { (t(lang, "import.field")) } th { (t(lang, "import.reason")) } } }
                tbody { @for e in &report.errors { tr data-testid="import-error-row" { td { (e.line) } td { code { (e.field) } } td { (e.reason) } } } }
            }
        }
        (import_form(&ctx, if report.applied { "" } else { &form.form.csv }, skip_bad))
    };
    let status = if report.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout(&ctx, "import", title, &f, body)).into_response()
}

// ----- journal -----

#[derive(Deserialize, Default)]
struct JournalForm {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    cursor: Option<String>,
}

async fn journal(State(s): State<AppState>, ctx: Ctx, Query(q): Query<JournalForm>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.journal");
    if !ctx.can_read_journal() {
        return not_allowed(&ctx, "journal", title);
    }
    let query = JournalQuery {
        from: nonblank(q.from.map(|x| x.trim().to_owned())),
        to: nonblank(q.to.map(|x| x.trim().to_owned())),
        actor: nonblank(q.actor),
        action: nonblank(q.action),
        target: nonblank(q.target),
        cursor: nonblank(q.cursor),
        limit: Some(50),
    };
    let filters: Vec<(&str, String)> = [
        ("from", &query.from),
        ("to", &query.to),
        ("actor", &query.actor),
        ("action", &query.action),
        ("target", &query.target),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect();
    let (page, err) = match s.svc.journal(&ctx.session.caller, &query).await {
        Ok(p) => (p, None),
        Err(e) => (Default::default(), Some(ApiError::from(e))),
    };
    let err = err.as_ref();
    let export = format!("/api/v1/journal/export?{}", serde_urlencoded::to_string(&filters).unwrap_or_default());
    let older = page.next_cursor.as_ref().map(|c| {
        let mut p = filters.clone();
        p.push(("cursor", c.clone()));
        format!("/console/journal?{}", serde_urlencoded::to_string(&p).unwrap_or_default())
    });
    let field = |name: &'static str, label: &'static str, v: &Option<String>, ph: &'static str| {
        html! {
            label.field {
                span { (label) }
                input name=(name) value=(v.clone().unwrap_or_default()) placeholder=(ph) data-testid={ "journal-" (name) };
                (field_error(err, name))
            }
        }
    };
    let body = html! {
        form.inline.filters method="get" action="/console/journal" data-testid="journal-filters" {
            (field("from", t(lang, "journal.from"), &query.from, t(lang, "journal.date_placeholder")))
            (field("to", t(lang, "journal.to"), &query.to, t(lang, "journal.date_placeholder")))
            (field("actor", t(lang, "journal.actor"), &query.actor, t(lang, "journal.actor_placeholder")))
            (field("action", t(lang, "journal.action"), &query.action, t(lang, "journal.action_placeholder")))
            (field("target", t(lang, "journal.target"), &query.target, t(lang, "journal.target_placeholder")))
            button type="submit" data-testid="journal-submit" { (t(lang, "common.search")) }
            a.button.secondary href=(export) data-testid="journal-export" { (t(lang, "journal.export")) }
        }
        table data-testid="journal-table" {
            thead { tr {
                th { (t(lang, "journal.revision")) } th { (t(lang, "journal.time")) } th { (t(lang, "journal.actor")) } th { (t(lang, "journal.action")) }
                th { (t(lang, "journal.target")) } th { (t(lang, "journal.details")) }
            } }
            tbody {
                @for e in &page.items {
                    tr data-testid="journal-row" data-action=(e.action) {
                        td { (e.revision) } td.nowrap { (format_rfc3339(e.at)) } td { code { (e.actor) } } td { code { (e.action) } } td { code { (e.target) } } td.details { (e.details) }
                    }
                }
                @if page.items.is_empty() { tr { td.muted colspan="6" { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(o) = older { a href=(o) data-testid="journal-older" { (t(lang, "journal.older")) } } }
    };
    match err {
        Some(e) => (status_of(e), layout(&ctx, "journal", title, &Flash::error(e), body)).into_response(),
        None => layout(&ctx, "journal", title, &Flash::default(), body),
    }
}

// ----- inbox -----

fn notification_text(lang: Lang, n: &keiretsu_service::notifications::NotificationView) -> String {
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
        "seats_warning" => tf(
            lang,
            "notification.seats_warning",
            &[("level", &p("level")), ("assigned", &p("assigned")), ("purchased", &p("purchased"))],
        ),
        _ => n.title.clone(),
    }
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    cursor: Option<String>,
    saved: Option<String>,
}

async fn inbox(State(s): State<AppState>, ctx: Ctx, Query(q): Query<InboxQuery>) -> Response {
    let f = Saved { saved: q.saved }.flash(ctx.lang);
    inbox_page(&s, ctx, nonblank(q.cursor), f, None).await
}

async fn inbox_page(s: &AppState, ctx: Ctx, cursor: Option<String>, f: Flash, err: Option<ApiError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.inbox");
    let inbox = match s.svc.inbox(&ctx.session.caller, cursor.as_deref(), Some(50)).await {
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
                        td.muted.nowrap { (n.created_at) }
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
        Some(e) => (status_of(e), layout(&ctx, "inbox", title, &Flash::error(e), body)).into_response(),
        None => layout(&ctx, "inbox", title, &f, body),
    }
}

async fn inbox_result(s: &AppState, form: &Csrf<Pairs>, r: Result<u64, ApiError>) -> Response {
    match r {
        Ok(_) => Redirect::to("/console/inbox").into_response(),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => inbox_page(s, ctx, None, Flash::default(), Some(e)).await,
            Err(r) => r,
        },
    }
}

async fn read_all(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let r = s.svc.mark_read(&form.session.caller, None).await.map_err(ApiError::from);
    inbox_result(&s, &form, r).await
}

async fn read_one(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let r = match NotificationId::parse(&id) {
        Ok(nid) => s.svc.mark_read(&form.session.caller, Some(&nid)).await.map_err(ApiError::from),
        Err(_) => Err(DomainError::NotFound { what: "notification" }.into()),
    };
    inbox_result(&s, &form, r).await
}

// ----- tokens -----

#[derive(Deserialize, Default, Clone)]
struct TokenForm {
    #[serde(default)]
    name: String,
    days: Option<String>,
}

async fn tokens(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    tokens_page(&s, ctx, f, None, &TokenForm::default(), None).await
}

async fn tokens_page(
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
    let list = match s.svc.tokens(&ctx.session.caller).await {
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
                (field_error(e, "name"))
            }
            label.field {
                span { (t(lang, "tokens.days")) }
                input name="days" type="number" min="1" max="365" value=(v.days.clone().unwrap_or_else(|| "90".into())) data-testid="token-days";
                (field_error(e, "expires_in_days"))
            }
            button type="submit" data-testid="token-submit" { (t(lang, "tokens.create")) }
        }
        table data-testid="token-table" {
            thead { tr { th { (t(lang, "tokens.name")) } th { (t(lang, "tokens.created")) } th { (t(lang, "tokens.expires")) } th { (t(lang, "tokens.last_used")) } th {} } }
            tbody {
                @for tk in &list {
                    tr data-testid="token-row" data-token-id=(tk.id) {
                        td { (tk.name) } td.nowrap { (tk.created_at) } td.nowrap { (tk.expires_at) } td.nowrap { (tk.last_used_at.clone().unwrap_or_default()) }
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
        Some(e) => (status_of(e), layout(&ctx, "tokens", title, &Flash::error(e), body)).into_response(),
        None => layout(&ctx, "tokens", title, &f, body),
    }
}

async fn create_token(State(s): State<AppState>, form: Csrf<TokenForm>) -> Response {
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

async fn revoke_token(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let result = match TokenId::parse(&id) {
        Ok(tid) => s.svc.revoke_token(&form.session.caller, &tid).await.map_err(ApiError::from),
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

// ----- organizations (operator) -----

#[derive(Deserialize, Default)]
struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    admin_login: String,
    #[serde(default)]
    admin_name: String,
    admin_password: Option<String>,
}

async fn orgs(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    orgs_page(&s, ctx, f, &OrgForm::default(), None).await
}

async fn orgs_page(s: &AppState, ctx: Ctx, f: Flash, v: &OrgForm, err: Option<(&'static str, ApiError)>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.orgs");
    if !ctx.me.operator {
        return not_allowed(&ctx, "orgs", title);
    }
    let list = match s.svc.orgs(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, "orgs", title, e),
    };
    let create_err = err.as_ref().filter(|(w, _)| *w == "create").map(|(_, e)| e);
    let body = html! {
        table data-testid="org-table" {
            thead { tr { th { (t(lang, "field.name")) } th { (t(lang, "orgs.certification")) } th { (t(lang, "orgs.created")) } } }
            tbody {
                @for o in &list {
                    tr data-testid="org-row" data-org-id=(o.id) {
                        td { (o.name) br; code.muted { (o.id) } }
                        td {
                            form.inline method="post" action={ "/console/orgs/" (o.id) "/certification" } {
                                (ctx.csrf())
                                select name="certification" aria-label=(t(lang, "orgs.certification")) data-testid="org-certification" {
                                    @for c in Certification::NAMES { option value=(c) selected[*c == o.certification.as_str()] { (certification_text(lang, c)) } }
                                }
                                button.secondary.small type="submit" data-testid="org-certification-submit" { (t(lang, "common.save")) }
                            }
                        }
                        td.nowrap { (o.created_at) }
                    }
                }
                @if list.is_empty() { tr { td.muted colspan="3" { (t(lang, "common.none")) } } }
            }
        }
        h2 { (t(lang, "orgs.create")) }
        form.stack.card method="post" action="/console/orgs" data-testid="org-form" {
            (ctx.csrf())
            label for="o-name" { (t(lang, "field.name")) }
            input #o-name name="name" required value=(v.name) data-testid="org-name";
            (field_error(create_err, "name"))
            label for="o-admin_login" { (t(lang, "orgs.admin_login")) }
            input #o-admin_login name="admin_login" required value=(v.admin_login) data-testid="org-admin-login";
            (field_error(create_err, "admin_login"))
            label for="o-admin_name" { (t(lang, "orgs.admin_name")) }
            input #o-admin_name name="admin_name" required value=(v.admin_name) data-testid="org-admin-name";
            (field_error(create_err, "admin_name"))
            label for="o-admin_password" { (t(lang, "field.initial_password")) }
            input #o-admin_password name="admin_password" type="password" autocomplete="new-password" data-testid="org-admin-password";
            span.hint { (tf(lang, "members.password_hint", &[("min", &PASSWORD_MIN.to_string())])) }
            (field_error(create_err, "admin_password"))
            button type="submit" data-testid="org-submit" { (t(lang, "orgs.create")) }
        }
    };
    match &err {
        Some((_, e)) => (status_of(e), layout(&ctx, "orgs", title, &Flash::error(e), body)).into_response(),
        None => layout(&ctx, "orgs", title, &f, body),
    }
}

async fn create_org(State(s): State<AppState>, form: Csrf<OrgForm>) -> Response {
    let f = &form.form;
    let input = NewOrg {
        name: f.name.clone(),
        certification: None,
        admin_login: f.admin_login.clone(),
        admin_name: f.admin_name.clone(),
        admin_password: nonblank(f.admin_password.clone()),
    };
    match s.svc.create_org(&form.session.caller, &input).await {
        Ok(_) => saved("/console/orgs"),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => orgs_page(&s, ctx, Flash::default(), &clone_org_form(f), Some(("create", e.into()))).await,
            Err(r) => r,
        },
    }
}

fn clone_org_form(f: &OrgForm) -> OrgForm {
    OrgForm {
        name: f.name.clone(),
        admin_login: f.admin_login.clone(),
        admin_name: f.admin_name.clone(),
        admin_password: None,
    }
}

#[derive(Deserialize)]
struct CertForm {
    #[serde(default)]
    certification: String,
}

async fn certify(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<CertForm>) -> Response {
    let result = async {
        let org = OrgId::parse(&id).map_err(|_| ApiError::from(DomainError::NotFound { what: "organization" }))?;
        let c = Certification::parse("certification", &form.form.certification)?;
        s.svc.set_certification(&form.session.caller, &org, c).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved("/console/orgs"),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => orgs_page(&s, ctx, Flash::default(), &OrgForm::default(), Some(("certify", e))).await,
            Err(r) => r,
        },
    }
}
