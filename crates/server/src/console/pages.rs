//! The console's pages: overview, departments, members, import, journal, inbox, tokens and,
//! for the platform operator, organizations.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::directory::Certification;
use keiretsu_domain::identity::{Role, Scope};
use keiretsu_domain::ids::{DepartmentId, MemberId, NotificationId, OrgId, TokenId};
use keiretsu_domain::time::format_rfc3339;
use keiretsu_service::directory::{
    DepartmentPatch, DepartmentView, Heads, MemberPatch, MemberQuery, NewDepartment, NewMember, NewOrg, Transfer,
};
use keiretsu_service::identity::NewToken;
use keiretsu_service::journal::JournalQuery;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Ctx, Flash, back_with_error, back_with_notice, layout, trusted};
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

fn no_org(ctx: &Ctx, active: &str, title: &str) -> Response {
    layout(ctx, active, title, &Flash::default(), html! { p.muted { (t(ctx.lang, "common.no_org")) } })
}

fn err_page(ctx: &Ctx, active: &str, title: &str, e: impl Into<ApiError>) -> Response {
    let e = e.into();
    layout(ctx, active, title, &Flash { error: Some(e.0.detail), notice: None }, html! {})
}

fn status_text(lang: Lang, status: &str) -> &'static str {
    if status == "left" { t(lang, "status.left") } else { t(lang, "status.active") }
}

fn role_text(lang: Lang, role: &Role) -> String {
    match role {
        Role::PrimaryAdmin => t(lang, "role.primary_admin").to_owned(),
        Role::Member => t(lang, "role.member").to_owned(),
        Role::SubAdmin(scopes) => {
            format!(
                "{} ({})",
                t(lang, "role.sub_admin"),
                scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

// ----- overview -----

pub async fn overview(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let lang = ctx.lang;
    let Some(org) = ctx.org() else {
        let body = html! {
            div.card { p { (t(lang, "overview.operator")) } a href="/console/orgs" { (t(lang, "nav.orgs")) } }
        };
        return layout(&ctx, "overview", t(lang, "nav.overview"), &f, body);
    };
    let caller = &ctx.session.caller;
    let (o, deps, page) = match (
        s.svc.org(caller, &org).await,
        s.svc.departments(caller, &org).await,
        s.svc
            .members(caller, &org, &MemberQuery { status: Some("active".into()), limit: Some(1), ..Default::default() })
            .await,
    ) {
        (Ok(o), Ok(d), Ok(p)) => (o, d, p),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return err_page(&ctx, "overview", t(lang, "nav.overview"), e);
        }
    };
    let members: i64 = deps.iter().map(|d| d.member_count).sum();
    let _ = page;
    let body = html! {
        div.stats {
            div.card data-testid="overview-org" { span.muted { (t(lang, "overview.organization")) } strong { (o.name) } span.badge { (o.certification.as_str()) } }
            div.card { span.muted { (t(lang, "overview.departments")) } strong data-testid="overview-departments" { (deps.len()) } }
            div.card { span.muted { (t(lang, "overview.members")) } strong data-testid="overview-members" { (members) } }
            div.card { span.muted { (t(lang, "overview.unread")) } strong { a href="/console/inbox" { (ctx.unread) } } }
        }
        @if let Some(role) = ctx.role() { p.muted { (t(lang, "overview.your_role")) ": " (role_text(lang, role)) } }
    };
    layout(&ctx, "overview", t(lang, "nav.overview"), &f, body)
}

// ----- departments -----

fn tree(ctx: &Ctx, deps: &[DepartmentView], names: &HashMap<String, String>, parent: Option<&str>) -> Markup {
    let lang = ctx.lang;
    let admin = ctx.can(Scope::Directory);
    let kids: Vec<&DepartmentView> = deps.iter().filter(|d| d.parent_id.as_deref() == parent).collect();
    html! {
        @if !kids.is_empty() {
            ul {
                @for d in kids {
                    li data-testid="department" data-name=(d.name) {
                        div.dept {
                            strong { a href={ "/console/members?department_id=" (d.id) "&include_sub_departments=true" } { (d.name) } }
                            span.badge { (tf(lang, "departments.count", &[("n", &d.member_count.to_string())])) }
                            @if !d.head_ids.is_empty() {
                                span.muted { (t(lang, "departments.heads")) ": "
                                    @for h in &d.head_ids { a href={ "/console/members/" (h) } { (names.get(h).map_or(h.as_str(), String::as_str)) } " " }
                                }
                            }
                            @if admin {
                                details {
                                    summary { (t(lang, "common.manage")) }
                                    form.inline method="post" action={ "/console/departments" } {
                                        (ctx.csrf())
                                        input type="hidden" name="parent_id" value=(d.id);
                                        input name="name" required placeholder=(t(lang, "departments.new_sub")) data-testid="new-sub-name";
                                        button type="submit" data-testid="new-sub-submit" { (t(lang, "common.add")) }
                                    }
                                    form.inline method="post" action={ "/console/departments/" (d.id) "/rename" } {
                                        (ctx.csrf())
                                        input name="name" required value=(d.name);
                                        button.secondary type="submit" { (t(lang, "departments.rename")) }
                                    }
                                    @if d.parent_id.is_some() {
                                        form.inline method="post" action={ "/console/departments/" (d.id) "/move" } {
                                            (ctx.csrf())
                                            select name="parent_id" {
                                                @for p in deps.iter().filter(|p| p.id != d.id) { option value=(p.id) selected[Some(&p.id) == d.parent_id.as_ref()] { (p.name) } }
                                            }
                                            button.secondary type="submit" { (t(lang, "departments.move")) }
                                        }
                                        form.inline method="post" action={ "/console/departments/" (d.id) "/delete" } {
                                            (ctx.csrf())
                                            button.danger type="submit" { (t(lang, "common.delete")) }
                                        }
                                    }
                                    form.inline method="post" action={ "/console/departments/" (d.id) "/heads" } {
                                        (ctx.csrf())
                                        input name="member_ids" placeholder="mem_..." value=(d.head_ids.join(" ")) aria-label=(t(lang, "departments.heads"));
                                        button.secondary type="submit" { (t(lang, "departments.set_heads")) }
                                    }
                                }
                            }
                        }
                        (tree(ctx, deps, names, Some(&d.id)))
                    }
                }
            }
        }
    }
}

async fn departments(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let title = t(ctx.lang, "nav.departments");
    let Some(org) = ctx.org() else { return no_org(&ctx, "departments", title) };
    let deps = match s.svc.departments(&ctx.session.caller, &org).await {
        Ok(d) => d,
        Err(e) => return err_page(&ctx, "departments", title, e),
    };
    let head_ids: Vec<String> = deps.iter().flat_map(|d| d.head_ids.clone()).collect();
    let mut names = HashMap::new();
    for id in head_ids {
        if let Ok(mid) = MemberId::parse(&id)
            && let Ok(m) = s.svc.member(&ctx.session.caller, &org, &mid).await
        {
            names.insert(id, m.name);
        }
    }
    let body = html! { div.card.tree data-testid="department-tree" { (tree(&ctx, &deps, &names, None)) } };
    layout(&ctx, "departments", title, &f, body)
}

#[derive(Deserialize)]
struct DeptForm {
    name: Option<String>,
    parent_id: Option<String>,
    member_ids: Option<String>,
}

fn parse_dep(raw: &str) -> Result<DepartmentId, ApiError> {
    DepartmentId::parse(raw).map_err(ApiError::from)
}

async fn dept_action(s: &AppState, form: &Csrf<DeptForm>, id: Option<&str>, action: &str) -> Result<(), ApiError> {
    let caller = &form.session.caller;
    let org = caller.acting().map(|a| a.org.clone()).ok_or(keiretsu_domain::identity::NOT_ALLOWED)?;
    let f = &form.form;
    let id = id.map(parse_dep).transpose()?;
    let parent = f.parent_id.as_deref().filter(|p| !p.is_empty()).map(parse_dep).transpose()?;
    match (action, id) {
        ("create", _) => {
            let input = NewDepartment { name: f.name.clone().unwrap_or_default(), parent_id: parent };
            s.svc.create_department(caller, &org, &input).await.map(|_| ())?
        }
        ("rename", Some(id)) => {
            s.svc
                .update_department(caller, &org, &id, &DepartmentPatch { name: f.name.clone(), parent_id: None })
                .await?
        }
        ("move", Some(id)) => {
            s.svc.update_department(caller, &org, &id, &DepartmentPatch { name: None, parent_id: parent }).await?
        }
        ("delete", Some(id)) => s.svc.delete_department(caller, &org, &id).await?,
        ("heads", Some(id)) => {
            let member_ids = f
                .member_ids
                .as_deref()
                .unwrap_or("")
                .split([' ', ','])
                .filter(|x| !x.is_empty())
                .map(|x| MemberId::parse(x).map_err(ApiError::from))
                .collect::<Result<Vec<_>, _>>()?;
            s.svc.set_heads(caller, &org, &id, &Heads { member_ids }).await?
        }
        _ => return Err(keiretsu_domain::identity::NOT_ALLOWED.into()),
    }
    Ok(())
}

fn dept_result(r: Result<(), ApiError>, lang: Lang) -> Response {
    match r {
        Ok(()) => back_with_notice("/console/departments", t(lang, "common.saved")),
        Err(e) => back_with_error("/console/departments", e),
    }
}

async fn create_department(State(s): State<AppState>, form: Csrf<DeptForm>) -> Response {
    let lang = lang_of(&s, &form).await;
    dept_result(dept_action(&s, &form, None, "create").await, lang)
}
async fn rename_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    let lang = lang_of(&s, &form).await;
    dept_result(dept_action(&s, &form, Some(&id), "rename").await, lang)
}
async fn move_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    let lang = lang_of(&s, &form).await;
    dept_result(dept_action(&s, &form, Some(&id), "move").await, lang)
}
async fn delete_department(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    let lang = lang_of(&s, &form).await;
    dept_result(dept_action(&s, &form, Some(&id), "delete").await, lang)
}
async fn set_heads(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    let lang = lang_of(&s, &form).await;
    dept_result(dept_action(&s, &form, Some(&id), "heads").await, lang)
}

async fn lang_of<T>(s: &AppState, form: &Csrf<T>) -> Lang {
    s.svc.me(&form.session.caller).await.map_or(Lang::En, |m| Lang::parse(&m.lang))
}

// ----- members -----

#[derive(Deserialize, Default)]
struct MembersQuery {
    q: Option<String>,
    department_id: Option<String>,
    include_sub_departments: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

async fn members(State(s): State<AppState>, ctx: Ctx, Query(q): Query<MembersQuery>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.members");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let deps = s.svc.departments(caller, &org).await.unwrap_or_default();
    let dep_names: HashMap<&str, &str> = deps.iter().map(|d| (d.id.as_str(), d.name.as_str())).collect();
    let nonempty = |v: &Option<String>| v.clone().filter(|x| !x.is_empty());
    let status = match q.status.as_deref() {
        None => Some("active".to_owned()),
        Some("all") => None,
        Some(other) => Some(other.to_owned()),
    };
    let query = MemberQuery {
        q: nonempty(&q.q),
        department_id: nonempty(&q.department_id),
        include_sub_departments: Some(q.include_sub_departments.is_some()),
        status: status.clone(),
        cursor: nonempty(&q.cursor),
        limit: Some(50),
    };
    let f = Flash { error: q.error.clone(), notice: q.notice.clone() };
    let page = match s.svc.members(caller, &org, &query).await {
        Ok(p) => p,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
    let next = page.next_cursor.as_ref().map(|c| {
        let mut params = vec![("cursor", c.clone())];
        for (k, v) in [("q", &query.q), ("department_id", &query.department_id)] {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        if q.include_sub_departments.is_some() {
            params.push(("include_sub_departments", "on".into()));
        }
        params.push(("status", status.clone().unwrap_or_else(|| "all".into())));
        format!("/console/members?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    let body = html! {
        form.inline method="get" action="/console/members" data-testid="member-search" {
            input name="q" value=(query.q.clone().unwrap_or_default()) placeholder=(t(lang, "members.search_placeholder")) data-testid="member-search-q";
            select name="department_id" data-testid="member-search-department" {
                option value="" { (t(lang, "members.all_departments")) }
                @for d in &deps { option value=(d.id) selected[query.department_id.as_deref() == Some(&d.id)] { (d.name) } }
            }
            label.inline { input type="checkbox" name="include_sub_departments" checked[q.include_sub_departments.is_some()]; (t(lang, "members.include_sub")) }
            select name="status" data-testid="member-search-status" {
                option value="active" selected[status.as_deref() == Some("active")] { (t(lang, "status.active")) }
                option value="left" selected[status.as_deref() == Some("left")] { (t(lang, "status.left")) }
                option value="all" selected[status.is_none()] { (t(lang, "status.all")) }
            }
            button type="submit" data-testid="member-search-submit" { (t(lang, "common.search")) }
            @if ctx.can(Scope::Directory) { a href="/console/members/new" data-testid="add-member-link" { (t(lang, "members.add")) } }
        }
        table data-testid="member-table" {
            thead { tr {
                th { (t(lang, "field.name")) } th { (t(lang, "field.login")) } th { (t(lang, "field.employee_no")) }
                th { (t(lang, "field.title")) } th { (t(lang, "field.departments")) } th { (t(lang, "field.status")) }
            } }
            tbody {
                @for m in &page.items {
                    tr data-testid="member-row" {
                        td { a href={ "/console/members/" (m.id) } { (m.name) } }
                        td { (m.login) }
                        td { (m.employee_no.clone().unwrap_or_default()) }
                        td { (m.title.clone().unwrap_or_default()) }
                        td { @for d in &m.department_ids { span.badge { (dep_names.get(d.as_str()).copied().unwrap_or(d.as_str())) } " " } }
                        td { (status_text(lang, m.status.as_str())) }
                    }
                }
                @if page.items.is_empty() { tr { td colspan="6" .muted { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="next-page" { (t(lang, "common.next_page")) } } }
    };
    layout(&ctx, "members", title, &f, body)
}

async fn new_member(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.add");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let deps = s.svc.departments(&ctx.session.caller, &org).await.unwrap_or_default();
    let body = html! {
        form.stack.card method="post" action="/console/members" data-testid="add-member-form" {
            (ctx.csrf())
            label { (t(lang, "field.name")) input name="name" required data-testid="member-name"; }
            label { (t(lang, "field.login")) input name="login" required data-testid="member-login"; }
            label { (t(lang, "field.phone")) input name="phone" data-testid="member-phone"; }
            label { (t(lang, "field.email")) input name="email" type="email" data-testid="member-email"; }
            label { (t(lang, "field.title")) input name="title" data-testid="member-title"; }
            label { (t(lang, "field.employee_no")) input name="employee_no" data-testid="member-employee-no"; }
            label { (t(lang, "field.departments"))
                select name="department_id" data-testid="member-department" {
                    @for d in &deps { option value=(d.id) selected[d.parent_id.is_none()] { (d.name) } }
                }
            }
            label { (t(lang, "field.supervisor")) input name="supervisor_id" placeholder="mem_..."; }
            label { (t(lang, "field.initial_password")) input name="password" type="password" autocomplete="new-password" data-testid="member-password"; }
            button type="submit" data-testid="member-submit" { (t(lang, "common.add")) }
        }
    };
    layout(&ctx, "members", title, &f, body)
}

#[derive(Deserialize)]
struct MemberForm {
    name: String,
    login: String,
    phone: Option<String>,
    email: Option<String>,
    title: Option<String>,
    employee_no: Option<String>,
    department_id: Option<String>,
    supervisor_id: Option<String>,
    password: Option<String>,
}

async fn add_member(State(s): State<AppState>, form: Csrf<MemberForm>) -> Response {
    let caller = &form.session.caller;
    let Some(org) = caller.acting().map(|a| a.org.clone()) else { return Redirect::to("/console").into_response() };
    let f = form.form;
    let some = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let input = (|| -> Result<NewMember, ApiError> {
        Ok(NewMember {
            name: f.name,
            login: f.login,
            phone: some(f.phone),
            email: some(f.email),
            title: some(f.title),
            employee_no: some(f.employee_no),
            department_ids: some(f.department_id).map(|d| parse_dep(&d)).transpose()?.into_iter().collect(),
            supervisor_id: some(f.supervisor_id).map(|m| MemberId::parse(&m)).transpose()?,
            password: some(f.password),
        })
    })();
    let result = match input {
        Ok(input) => s.svc.add_member(caller, &org, &input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(m) => Redirect::to(&format!("/console/members/{}", m.id)).into_response(),
        Err(e) => back_with_error("/console/members/new", e),
    }
}

async fn member(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>, Query(f): Query<Flash>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.detail");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let m = match MemberId::parse(&id).map_err(ApiError::from) {
        Ok(mid) => s.svc.member(caller, &org, &mid).await.map_err(ApiError::from),
        Err(_) => Err(keiretsu_domain::DomainError::NotFound { what: "member" }.into()),
    };
    let m = match m {
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
    let body = html! {
        div.card {
            dl.fields data-testid="member-detail" {
                dt { (t(lang, "field.name")) } dd data-testid="member-detail-name" { (m.name) }
                dt { (t(lang, "field.login")) } dd { (m.login) }
                dt { (t(lang, "field.phone")) } dd { (m.phone.clone().unwrap_or_default()) }
                dt { (t(lang, "field.email")) } dd { (m.email.clone().unwrap_or_default()) }
                dt { (t(lang, "field.title")) } dd { (m.title.clone().unwrap_or_default()) }
                dt { (t(lang, "field.employee_no")) } dd { (m.employee_no.clone().unwrap_or_default()) }
                dt { (t(lang, "field.departments")) } dd { @for d in &m.department_ids { span.badge { (dep_name(d)) } " " } }
                dt { (t(lang, "field.supervisor")) } dd { @if let Some(sup) = &supervisor { a href={ "/console/members/" (sup.id) } { (sup.name) } } }
                dt { (t(lang, "field.role")) } dd { (role_text(lang, &m.role)) }
                dt { (t(lang, "field.status")) } dd data-testid="member-detail-status" { (status_text(lang, m.status.as_str())) }
                dt { (t(lang, "field.joined_at")) } dd { (m.joined_at) }
                @if let Some(left) = &m.left_at { dt { (t(lang, "field.left_at")) } dd { (left) } }
            }
        }
        @if admin {
            h2 { (t(lang, "members.edit")) }
            form.stack.card method="post" action={ "/console/members/" (m.id) "/edit" } {
                (ctx.csrf())
                label { (t(lang, "field.name")) input name="name" value=(m.name) required; }
                label { (t(lang, "field.title")) input name="title" value=(m.title.clone().unwrap_or_default()); }
                label { (t(lang, "field.employee_no")) input name="employee_no" value=(m.employee_no.clone().unwrap_or_default()); }
                label { (t(lang, "field.supervisor")) input name="supervisor_id" placeholder="mem_..." value=(m.supervisor_id.clone().unwrap_or_default()); }
                button type="submit" { (t(lang, "common.save")) }
            }
            h2 { (t(lang, "members.transfer")) }
            form.inline.card method="post" action={ "/console/members/" (m.id) "/transfer" } {
                (ctx.csrf())
                select name="department_id" multiple size="5" data-testid="transfer-departments" {
                    @for d in &deps { option value=(d.id) selected[m.department_ids.contains(&d.id)] { (d.name) } }
                }
                button type="submit" data-testid="transfer-submit" { (t(lang, "members.transfer")) }
            }
            @if m.status.as_str() == "active" {
                form.inline method="post" action={ "/console/members/" (m.id) "/leave" } onsubmit={ "return confirm('" (t(lang, "members.leave_confirm")) "')" } {
                    (ctx.csrf())
                    button.danger type="submit" data-testid="leave-submit" { (t(lang, "members.leave")) }
                }
            } @else {
                form.inline method="post" action={ "/console/members/" (m.id) "/rejoin" } {
                    (ctx.csrf())
                    button type="submit" data-testid="rejoin-submit" { (t(lang, "members.rejoin")) }
                }
            }
        }
    };
    layout(&ctx, "members", &m.name.clone(), &f, body)
}

#[derive(Deserialize)]
struct EditForm {
    name: Option<String>,
    title: Option<String>,
    employee_no: Option<String>,
    supervisor_id: Option<String>,
}

async fn member_action(
    s: &AppState,
    session: &keiretsu_service::identity::SessionInfo,
    id: &str,
    run: impl AsyncFnOnce(&keiretsu_service::Caller, OrgId, MemberId) -> Result<(), ApiError>,
) -> Response {
    let back = format!("/console/members/{id}");
    let lang = s.svc.me(&session.caller).await.map_or(Lang::En, |m| Lang::parse(&m.lang));
    let Some(org) = session.caller.acting().map(|a| a.org.clone()) else {
        return Redirect::to("/console").into_response();
    };
    let mid = match MemberId::parse(id) {
        Ok(m) => m,
        Err(e) => return back_with_error(&back, e),
    };
    match run(&session.caller, org, mid).await {
        Ok(()) => back_with_notice(&back, t(lang, "common.saved")),
        Err(e) => back_with_error(&back, e),
    }
}

async fn edit_member(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<EditForm>) -> Response {
    let f = form.form;
    let patch =
        MemberPatch { name: f.name, title: f.title, employee_no: f.employee_no, supervisor_id: f.supervisor_id };
    member_action(&s, &form.session, &id, async |c, org, mid| {
        s.svc.update_member(c, &org, &mid, &patch).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

async fn transfer_member(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<Vec<(String, String)>>,
) -> Response {
    let ids: Result<Vec<DepartmentId>, ApiError> =
        form.form.iter().filter(|(k, _)| k == "department_id").map(|(_, v)| parse_dep(v)).collect();
    member_action(&s, &form.session, &id, async |c, org, mid| {
        s.svc
            .transfer_member(c, &org, &mid, &Transfer { department_ids: ids? })
            .await
            .map(|_| ())
            .map_err(ApiError::from)
    })
    .await
}

async fn leave(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Vec<(String, String)>>) -> Response {
    member_action(&s, &form.session, &id, async |c, org, mid| {
        s.svc.leave(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

async fn rejoin(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Vec<(String, String)>>) -> Response {
    member_action(&s, &form.session, &id, async |c, org, mid| {
        s.svc.rejoin(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

// ----- import -----

fn import_form(ctx: &Ctx, csv: &str) -> Markup {
    let lang = ctx.lang;
    html! {
        p.muted { (t(lang, "import.help")) }
        form.stack.card method="post" action="/console/import" data-testid="import-form" {
            (ctx.csrf())
            label { (t(lang, "import.file")) input type="file" accept=".csv,text/csv" id="import-file"; }
            label { (t(lang, "import.csv")) textarea name="csv" id="import-csv" data-testid="import-csv" { (csv) } }
            label.inline { input type="checkbox" name="skip_bad" data-testid="import-skip-bad"; (t(lang, "import.skip_bad")) }
            button type="submit" data-testid="import-submit" { (t(lang, "import.submit")) }
        }
        script { (trusted("document.getElementById('import-file').addEventListener('change', function (e) { var f = e.target.files[0]; if (f) { f.text().then(function (t) { document.getElementById('import-csv').value = t; }); } });")) }
    }
}

async fn import_page(ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let title = t(ctx.lang, "nav.import");
    let body = import_form(&ctx, "employee_no,name,login,phone,email,title,department\n");
    layout(&ctx, "import", title, &f, body)
}

#[derive(Deserialize)]
struct ImportForm {
    csv: String,
    skip_bad: Option<String>,
}

async fn import(State(s): State<AppState>, form: Csrf<ImportForm>) -> Response {
    let ctx = match super::ctx_for(&s, form.session.clone()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let lang = ctx.lang;
    let title = t(lang, "nav.import");
    let Some(org) = ctx.org() else { return no_org(&ctx, "import", title) };
    let report = match s
        .svc
        .import_members(&ctx.session.caller, &org, &form.form.csv, form.form.skip_bad.is_some(), &())
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let e = ApiError::from(e);
            let f = Flash { error: Some(e.0.detail), notice: None };
            return layout(&ctx, "import", title, &f, import_form(&ctx, &form.form.csv));
        }
    };
    let counts = [
        ("created", report.created.to_string()),
        ("updated", report.updated.to_string()),
        ("skipped", report.skipped.to_string()),
    ];
    let f = if report.applied {
        Flash {
            notice: Some(tf(lang, "import.done", &counts.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())),
            error: None,
        }
    } else {
        Flash { error: Some(tf(lang, "import.refused", &[("n", &report.errors.len().to_string())])), notice: None }
    };
    let body = html! {
        @if !report.errors.is_empty() {
            table data-testid="import-errors" {
                thead { tr { th { (t(lang, "import.line")) } th { (t(lang, "import.field")) } th { (t(lang, "import.reason")) } } }
                tbody { @for e in &report.errors { tr { td { (e.line) } td { (e.field) } td { (e.reason) } } } }
            }
        }
        (import_form(&ctx, if report.applied { "" } else { &form.form.csv }))
    };
    layout(&ctx, "import", title, &f, body)
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
    let ne = |v: &Option<String>| v.clone().filter(|x| !x.trim().is_empty());
    let query = JournalQuery {
        from: ne(&q.from),
        to: ne(&q.to),
        actor: ne(&q.actor),
        action: ne(&q.action),
        target: ne(&q.target),
        cursor: ne(&q.cursor),
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
    let (page, f) = match s.svc.journal(&ctx.session.caller, &query).await {
        Ok(p) => (p, Flash::default()),
        Err(e) => (Default::default(), Flash { error: Some(ApiError::from(e).0.detail), notice: None }),
    };
    let export = format!("/api/v1/journal/export?{}", serde_urlencoded::to_string(&filters).unwrap_or_default());
    let older = page.next_cursor.as_ref().map(|c| {
        let mut p = filters.clone();
        p.push(("cursor", c.clone()));
        format!("/console/journal?{}", serde_urlencoded::to_string(&p).unwrap_or_default())
    });
    let field = |name: &'static str, label: &'static str, v: &Option<String>, ph: &str| {
        html! { label { (label) input name=(name) value=(v.clone().unwrap_or_default()) placeholder=(ph); } }
    };
    let body = html! {
        form.inline method="get" action="/console/journal" data-testid="journal-filters" {
            (field("from", t(lang, "journal.from"), &query.from, "2026-11-01"))
            (field("to", t(lang, "journal.to"), &query.to, "2026-12-01"))
            (field("actor", t(lang, "journal.actor"), &query.actor, "acc_..."))
            (field("action", t(lang, "journal.action"), &query.action, "member"))
            (field("target", t(lang, "journal.target"), &query.target, "mem_..."))
            button type="submit" { (t(lang, "common.search")) }
            a href=(export) data-testid="journal-export" { (t(lang, "journal.export")) }
        }
        table data-testid="journal-table" {
            thead { tr {
                th { "#" } th { (t(lang, "journal.time")) } th { (t(lang, "journal.actor")) } th { (t(lang, "journal.action")) }
                th { (t(lang, "journal.target")) } th { (t(lang, "journal.details")) }
            } }
            tbody {
                @for e in &page.items {
                    tr data-testid="journal-row" {
                        td { (e.revision) } td { (format_rfc3339(e.at)) } td { (e.actor) } td { code { (e.action) } } td { (e.target) } td.details { (e.details) }
                    }
                }
                @if page.items.is_empty() { tr { td colspan="6" .muted { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(o) = older { a href=(o) { (t(lang, "journal.older")) } } }
    };
    layout(&ctx, "journal", title, &f, body)
}

// ----- inbox -----

fn notification_text(lang: Lang, n: &keiretsu_service::notifications::NotificationView) -> String {
    let p =
        |k: &str| n.params.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default();
    match n.kind.as_str() {
        "member_left" => tf(lang, "notification.member_left", &[("name", &p("name"))]),
        "head_left" => tf(lang, "notification.head_left", &[("name", &p("name")), ("departments", &p("departments"))]),
        _ => n.title.clone(),
    }
}

async fn inbox(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.inbox");
    let inbox = match s.svc.inbox(&ctx.session.caller, None, Some(100)).await {
        Ok(i) => i,
        Err(e) => return err_page(&ctx, "inbox", title, e),
    };
    let body = html! {
        form.inline method="post" action="/console/inbox/read-all" { (ctx.csrf()) button.secondary type="submit" { (t(lang, "inbox.read_all")) } }
        table data-testid="inbox" {
            tbody {
                @for n in &inbox.page.items {
                    tr data-testid="notification" data-kind=(n.kind) {
                        td { @if !n.read { span.badge.unread { (t(lang, "inbox.new")) } } }
                        td { @if let Some(link) = &n.link { a href=(link) { (notification_text(lang, n)) } } @else { (notification_text(lang, n)) } }
                        td.muted { (n.created_at) }
                        td { @if !n.read {
                            form.inline method="post" action={ "/console/inbox/" (n.id) "/read" } { (ctx.csrf()) button.secondary type="submit" { (t(lang, "inbox.mark_read")) } }
                        } }
                    }
                }
                @if inbox.page.items.is_empty() { tr { td .muted { (t(lang, "common.none")) } } }
            }
        }
    };
    layout(&ctx, "inbox", title, &f, body)
}

async fn read_all(State(s): State<AppState>, form: Csrf<Vec<(String, String)>>) -> Response {
    match s.svc.mark_read(&form.session.caller, None).await {
        Ok(_) => Redirect::to("/console/inbox").into_response(),
        Err(e) => back_with_error("/console/inbox", e),
    }
}

async fn read_one(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Vec<(String, String)>>) -> Response {
    let result = match NotificationId::parse(&id) {
        Ok(nid) => s.svc.mark_read(&form.session.caller, Some(&nid)).await.map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Redirect::to("/console/inbox").into_response(),
        Err(e) => back_with_error("/console/inbox", e),
    }
}

// ----- tokens -----

async fn tokens(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    tokens_page(&s, ctx, f, None).await
}

async fn tokens_page(s: &AppState, ctx: Ctx, f: Flash, created: Option<String>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.tokens");
    let list = s.svc.tokens(&ctx.session.caller).await.unwrap_or_default();
    let body = html! {
        @if let Some(secret) = created { div.notice { (t(lang, "tokens.shown_once")) code.secret data-testid="token-secret" { (secret) } } }
        form.inline.card method="post" action="/console/tokens" data-testid="token-form" {
            (ctx.csrf())
            input name="name" required placeholder=(t(lang, "tokens.name"));
            input name="days" type="number" min="1" max="365" value="90" aria-label=(t(lang, "tokens.days"));
            button type="submit" { (t(lang, "tokens.create")) }
        }
        table {
            thead { tr { th { (t(lang, "tokens.name")) } th { (t(lang, "tokens.expires")) } th { (t(lang, "tokens.last_used")) } th {} } }
            tbody {
                @for tk in &list {
                    tr {
                        td { (tk.name) } td { (tk.expires_at) } td { (tk.last_used_at.clone().unwrap_or_default()) }
                        td { @if tk.revoked { span.badge { (t(lang, "tokens.revoked")) } } @else {
                            form.inline method="post" action={ "/console/tokens/" (tk.id) "/revoke" } { (ctx.csrf()) button.danger type="submit" { (t(lang, "tokens.revoke")) } }
                        } }
                    }
                }
            }
        }
    };
    layout(&ctx, "tokens", title, &f, body)
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    days: Option<String>,
}

async fn create_token(State(s): State<AppState>, form: Csrf<TokenForm>) -> Response {
    let ctx = match super::ctx_for(&s, form.session.clone()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let days = form.form.days.as_deref().and_then(|d| d.parse().ok());
    match s
        .svc
        .create_token(&ctx.session.caller, &NewToken { name: form.form.name.clone(), expires_in_days: days })
        .await
    {
        // Rendered directly, never redirected: the secret must not land in a URL or history.
        Ok(created) => tokens_page(&s, ctx, Flash::default(), Some(created.secret)).await,
        Err(e) => back_with_error("/console/tokens", e),
    }
}

async fn revoke_token(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<Vec<(String, String)>>,
) -> Response {
    let result = match TokenId::parse(&id) {
        Ok(tid) => s.svc.revoke_token(&form.session.caller, &tid).await.map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Redirect::to("/console/tokens").into_response(),
        Err(e) => back_with_error("/console/tokens", e),
    }
}

// ----- organizations (operator) -----

async fn orgs(State(s): State<AppState>, ctx: Ctx, Query(f): Query<Flash>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.orgs");
    let list = match s.svc.orgs(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, "orgs", title, e),
    };
    let body = html! {
        table data-testid="org-table" {
            thead { tr { th { (t(lang, "field.name")) } th { (t(lang, "orgs.certification")) } th { (t(lang, "field.joined_at")) } } }
            tbody {
                @for o in &list {
                    tr {
                        td { (o.name) br; span.muted { (o.id) } }
                        td {
                            form.inline method="post" action={ "/console/orgs/" (o.id) "/certification" } {
                                (ctx.csrf())
                                select name="certification" {
                                    @for c in Certification::NAMES { option value=(c) selected[*c == o.certification.as_str()] { (c) } }
                                }
                                button.secondary type="submit" { (t(lang, "common.save")) }
                            }
                        }
                        td { (o.created_at) }
                    }
                }
            }
        }
        h2 { (t(lang, "orgs.create")) }
        form.stack.card method="post" action="/console/orgs" data-testid="org-form" {
            (ctx.csrf())
            label { (t(lang, "field.name")) input name="name" required; }
            label { (t(lang, "orgs.admin_login")) input name="admin_login" required; }
            label { (t(lang, "orgs.admin_name")) input name="admin_name" required; }
            label { (t(lang, "field.initial_password")) input name="admin_password" type="password" autocomplete="new-password"; }
            button type="submit" { (t(lang, "orgs.create")) }
        }
    };
    layout(&ctx, "orgs", title, &f, body)
}

#[derive(Deserialize)]
struct OrgForm {
    name: String,
    admin_login: String,
    admin_name: String,
    admin_password: Option<String>,
}

async fn create_org(State(s): State<AppState>, form: Csrf<OrgForm>) -> Response {
    let f = form.form;
    let input = NewOrg {
        name: f.name,
        certification: None,
        admin_login: f.admin_login,
        admin_name: f.admin_name,
        admin_password: f.admin_password.filter(|p| !p.is_empty()),
    };
    match s.svc.create_org(&form.session.caller, &input).await {
        Ok(_) => Redirect::to("/console/orgs").into_response(),
        Err(e) => back_with_error("/console/orgs", e),
    }
}

#[derive(Deserialize)]
struct CertForm {
    certification: String,
}

async fn certify(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<CertForm>) -> Response {
    match certify_org(&s, &id, &form).await {
        Ok(()) => Redirect::to("/console/orgs").into_response(),
        Err(e) => back_with_error("/console/orgs", e),
    }
}

async fn certify_org(s: &AppState, id: &str, form: &Csrf<CertForm>) -> Result<(), ApiError> {
    let org = OrgId::parse(id)?;
    let c = Certification::parse("certification", &form.form.certification)?;
    s.svc.set_certification(&form.session.caller, &org, c).await?;
    Ok(())
}
