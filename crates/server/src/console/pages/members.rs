//! Members: the list, one member's page, and their lifecycle (join, edit, transfer, leave, rejoin, roles).

use super::*;
use crate::console::when::when_text;

#[derive(Deserialize, Default)]
pub(crate) struct MembersQuery {
    q: Option<String>,
    department_id: Option<String>,
    include_sub_departments: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    saved: Option<String>,
    /// `invited` after adding an existing account, `cancelled` after cancelling an invitation.
    notice: Option<String>,
}

pub(crate) async fn members(State(s): State<AppState>, ctx: Ctx, Query(q): Query<MembersQuery>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.members");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let deps = match s.svc.directory().departments(caller, &org).await {
        Ok(d) => d,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
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
    match q.notice.as_deref() {
        Some("invited") => f.notice = Some(t(lang, "member_invitations.sent").to_owned()),
        Some("cancelled") => f.notice = Some(t(lang, "member_invitations.cancelled").to_owned()),
        _ => {}
    }
    let (page, err) = match s.svc.directory().members(caller, &org, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            f.error = Some(error_text(lang, &e));
            (Default::default(), Some(e))
        }
    };
    let err = err.as_ref();
    let invitations = pending_invitations(&s, &ctx, &org, &dep_names).await;
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
            (field_error(lang, err, "q"))
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="member-search-department" {
                option value="" { (t(lang, "members.all_departments")) }
                (dept_options(&deps, &|id| query.department_id.as_deref() == Some(id), &HashSet::new()))
            }
            (field_error(lang, err, "department_id"))
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
        (invitations)
    };
    let res = layout(&ctx, "members", title, &f, body);
    match err {
        Some(e) => (status_of(e), res).into_response(),
        None => res,
    }
}

/// What the add-member form holds (never the password: it is not sent back).
#[derive(Default)]
pub(crate) struct MemberValues {
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
    fn typed(f: &NewMemberForm) -> MemberValues {
        let g = |v: &Option<String>| v.clone().unwrap_or_default();
        MemberValues {
            name: f.name.clone(),
            login: f.login.clone(),
            phone: g(&f.phone),
            email: g(&f.email),
            title: g(&f.title),
            employee_no: g(&f.employee_no),
            department_ids: f.department_id.iter().filter(|d| !d.is_empty()).cloned().collect(),
            supervisor_id: g(&f.supervisor_id),
        }
    }
}

pub(crate) async fn new_member(State(s): State<AppState>, ctx: Ctx) -> Response {
    new_member_page(&s, ctx, &MemberValues::default(), None).await
}

pub(crate) async fn new_member_page(s: &AppState, ctx: Ctx, v: &MemberValues, err: Option<&ApiError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.add");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    if !ctx.can(Scope::Directory) {
        return not_allowed(&ctx, "members", title);
    }
    let loaded = async {
        let deps = s.svc.directory().departments(&ctx.session.caller, &org).await?;
        Ok::<_, ApiError>(deps)
    }
    .await;
    let deps = match loaded {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
    let typed_names = picker::names(s, &ctx, &picker::ids(&v.supervisor_id)).await;
    let root = deps.iter().find(|d| d.parent_id.is_none()).map(|d| d.id.clone());
    let chosen = |id: &str| {
        if v.department_ids.is_empty() { root.as_deref() == Some(id) } else { v.department_ids.iter().any(|d| d == id) }
    };
    let input = |name: &'static str,
                 label: &'static str,
                 value: &str,
                 kind: &'static str,
                 testid: &'static str,
                 required: bool| {
        html! {
            label for={ "f-" (name) } { (label) }
            input id={ "f-" (name) } name=(name) type=(kind) value=(value) required[required] data-testid=(testid);
            (field_error(lang, err, name))
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
            (field_error(lang, err, "department_ids"))
            label for="f-supervisor_id" { (t(lang, "field.supervisor")) }
            (Picker { name: "supervisor_id", id: Some("f-supervisor_id"), from: From::Org, multiple: false, required: false, testid: "member-supervisor", label: None, value: &v.supervisor_id, names: &typed_names }.render(lang))
            (field_error(lang, err, "supervisor_id"))
            label for="f-password" { (t(lang, "field.initial_password")) }
            input #f-password name="password" type="password" autocomplete="new-password" data-testid="member-password";
            span.hint { (tf(lang, "members.password_hint", &[("min", &PASSWORD_MIN.to_string())])) }
            (field_error(lang, err, "password"))
            button type="submit" data-testid="member-submit" { (t(lang, "members.add")) }
        }
    };
    match err {
        Some(e) => {
            let f = Flash::error(lang, e);
            (status_of(e), layout(&ctx, "members", title, &f, body)).into_response()
        }
        None => layout(&ctx, "members", title, &Flash::default(), body),
    }
}

/// The add-member form; `department_id` is a multi-select.
#[derive(Deserialize)]
pub(crate) struct NewMemberForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    login: String,
    phone: Option<String>,
    email: Option<String>,
    title: Option<String>,
    employee_no: Option<String>,
    #[serde(default)]
    department_id: Vec<String>,
    supervisor_id: Option<String>,
    password: Option<String>,
}

/// The departments chosen in a multi-select (the empty choice left out), named as the
/// service names them.
fn chosen_departments(ids: &[String]) -> Result<Vec<DepartmentId>, ApiError> {
    ids.iter().filter(|d| !d.is_empty()).map(|d| parse_dep(d).map_err(|e| e.with_field("department_ids"))).collect()
}

pub(crate) fn new_member_input(f: &NewMemberForm) -> Result<NewMember, ApiError> {
    let department_ids = chosen_departments(&f.department_id)?;
    let supervisor_id = nonblank(f.supervisor_id.clone())
        .map(|m| MemberId::parse(m.trim()).map_err(|e| ApiError::from(e).with_field("supervisor_id")))
        .transpose()?;
    Ok(NewMember {
        name: f.name.clone(),
        login: f.login.clone(),
        phone: nonblank(f.phone.clone()),
        email: nonblank(f.email.clone()),
        title: nonblank(f.title.clone()),
        employee_no: nonblank(f.employee_no.clone()),
        department_ids,
        supervisor_id,
        password: nonblank(f.password.clone()),
    })
}

pub(crate) async fn add_member(State(s): State<AppState>, form: Csrf<NewMemberForm>) -> Response {
    let caller = &form.session.caller;
    let Some(org) = caller.acting().map(|a| a.org.clone()) else { return Redirect::to("/console").into_response() };
    let result = match new_member_input(&form.form) {
        Ok(input) => s.svc.directory().add_member(caller, &org, &input).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(Added::Member(m)) => Redirect::to(&format!("/console/members/{}?saved=1", m.id)).into_response(),
        Ok(Added::Invited(_)) => Redirect::to("/console/members?notice=invited").into_response(),
        Err(e) => {
            let ctx = match ctx_of(&s, &form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            new_member_page(&s, ctx, &MemberValues::typed(&form.form), Some(&e)).await
        }
    }
}

/// A member form that failed: which one, why, and what was typed into the edit form.
pub(crate) struct MemberError {
    form: &'static str,
    error: ApiError,
    edit: Option<EditForm>,
}

impl MemberError {
    pub(crate) fn new(form: &'static str, error: ApiError) -> MemberError {
        MemberError { form, error, edit: None }
    }
}

pub(crate) async fn member(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    member_page(&s, ctx, &id, f, None).await
}

pub(crate) async fn load_member(s: &AppState, ctx: &Ctx, org: &OrgId, id: &str) -> Result<MemberView, ApiError> {
    let mid = MemberId::parse(id).map_err(|_| ApiError::from(DomainError::NotFound { what: "member" }))?;
    Ok(s.svc.directory().member(&ctx.session.caller, org, &mid).await?)
}

pub(crate) async fn member_page(s: &AppState, ctx: Ctx, id: &str, f: Flash, err: Option<MemberError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "members.detail");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let caller = &ctx.session.caller;
    let m = match load_member(s, &ctx, &org, id).await {
        Ok(m) => m,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
    let admin = ctx.can(Scope::Directory);
    let loaded = async {
        let deps = s.svc.directory().departments(caller, &org).await?;
        let supervisor = match m.supervisor_id.as_deref().map(MemberId::parse) {
            Some(Ok(sid)) => match s.svc.directory().member(caller, &org, &sid).await {
                Ok(sup) => Some(sup),
                // A supervisor no longer found is shown by id.
                Err(e) if not_found(&e) => None,
                Err(e) => return Err(ApiError::from(e)),
            },
            _ => None,
        };
        let mid = MemberId::parse(&m.id).map_err(ApiError::from)?;
        let abilities = abilities(s, &ctx, &org, &mid, m.status.as_str() == "active").await?;
        let posts = s.svc.network().posts_of(caller, &org, &mid).await?;
        let recent = recent_about(s, &ctx, &m.id).await?;
        Ok::<_, ApiError>((deps, supervisor, abilities, posts, recent))
    }
    .await;
    let (deps, supervisor, abilities, posts, recent) = match loaded {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, "members", title, e),
    };
    let dep_name = |id: &str| deps.iter().find(|d| d.id == id).map_or(id.to_owned(), |d| d.name.clone());
    let err_for = |form: &str| err.as_ref().filter(|e| e.form == form).map(|e| &e.error);
    let edit = err.as_ref().and_then(|e| e.edit.as_ref());
    let ev = |typed: Option<&Option<String>>, current: &Option<String>| {
        typed.map_or_else(|| current.clone().unwrap_or_default(), |v| v.clone().unwrap_or_default())
    };
    let active = m.status.as_str() == "active";
    let typed_supervisor = edit.and_then(|x| x.supervisor_id.clone()).unwrap_or_default();
    let mut supervisor_names = picker::names(s, &ctx, &picker::ids(&typed_supervisor)).await;
    if let Some(sup) = &supervisor {
        supervisor_names.insert(sup.id.clone(), sup.name.clone());
    }
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
                dt { (t(lang, "field.joined_at")) } dd { (when_text(&ctx, &m.joined_at)) }
                @if let Some(left) = &m.left_at { dt { (t(lang, "field.left_at")) } dd data-testid="member-detail-left-at" { (when_text(&ctx, left)) } }
                dt { (t(lang, "field.id")) } dd { code { (m.id) } }
            }
        }
        (abilities)
        (posts_section(lang, &posts))
        (recent)
        @if admin {
            div.columns {
                section {
                    h2 { (t(lang, "members.edit")) }
                    @let e = err_for("edit");
                    form.stack.card method="post" action={ "/console/members/" (m.id) "/edit" } data-testid="edit-member-form" {
                        (ctx.csrf())
                        label for="e-name" { (t(lang, "field.name")) }
                        input #e-name name="name" value=(edit.map_or_else(|| m.name.clone(), |x| x.name.clone().unwrap_or_default())) required data-testid="edit-name";
                        (field_error(lang, e, "name"))
                        label for="e-title" { (t(lang, "field.title")) }
                        input #e-title name="title" value=(ev(edit.map(|x| &x.title), &m.title)) data-testid="edit-title";
                        (field_error(lang, e, "title"))
                        label for="e-employee_no" { (t(lang, "field.employee_no")) }
                        input #e-employee_no name="employee_no" value=(ev(edit.map(|x| &x.employee_no), &m.employee_no)) data-testid="edit-employee-no";
                        (field_error(lang, e, "employee_no"))
                        label for="e-supervisor_id" { (t(lang, "field.supervisor")) }
                        (Picker { name: "supervisor_id", id: Some("e-supervisor_id"), from: From::Org, multiple: false, required: false, testid: "edit-supervisor", label: None, value: &ev(edit.map(|x| &x.supervisor_id), &m.supervisor_id), names: &supervisor_names }.render(lang))
                        (field_error(lang, e, "supervisor_id"))
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
                        (field_error(lang, e, "department_ids"))
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
                        @if let Some(e) = err_for("status") { span.field-error role="alert" { (error_text(lang, e)) } }
                    }
                    @if active {
                        h2 { (t(lang, "members.password_link")) }
                        div.card {
                            form.inline method="post" action={ "/console/members/" (m.id) "/password-link" } data-testid="password-link-form" {
                                (ctx.csrf())
                                button.secondary type="submit" data-testid="password-link-submit" { (t(lang, "members.password_link_issue")) }
                            }
                            p.hint { (t(lang, "members.password_link_help")) }
                            @if let Some(e) = err_for("password_link") { span.field-error role="alert" data-testid="password-link-error" { (error_text(lang, e)) } }
                        }
                    }
                }
            }
        }
        p { a href="/console/members" data-testid="back-to-members" { (t(lang, "members.back")) } }
    };
    match &err {
        Some(e) => {
            (status_of(&e.error), layout(&ctx, "members", &m.name, &Flash::error(lang, &e.error), body)).into_response()
        }
        None => layout(&ctx, "members", &m.name, &f, body),
    }
}

#[derive(Deserialize, Clone)]
pub(crate) struct EditForm {
    name: Option<String>,
    title: Option<String>,
    employee_no: Option<String>,
    supervisor_id: Option<String>,
}

/// Runs a member form; 303 back to the member when it worked, the page with the error if not.
pub(crate) async fn member_action(
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

pub(crate) async fn edit_member(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<EditForm>) -> Response {
    let f = form.form.clone();
    let patch = MemberPatch {
        name: f.name.clone(),
        title: f.title.clone(),
        employee_no: f.employee_no.clone(),
        supervisor_id: f.supervisor_id.clone().map(|x| x.trim().to_owned()),
    };
    member_action(&s, &form, &id, "edit", Some(f), async |c, org, mid| {
        s.svc.directory().update_member(c, &org, &mid, &patch).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

/// The transfer form: the member's departments, a multi-select.
#[derive(Deserialize)]
pub(crate) struct TransferForm {
    #[serde(default)]
    department_id: Vec<String>,
}

pub(crate) async fn transfer_member(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<TransferForm>,
) -> Response {
    let ids = chosen_departments(&form.form.department_id);
    member_action(&s, &form, &id, "transfer", None, async |c, org, mid| {
        s.svc
            .directory()
            .transfer_member(c, &org, &mid, &Transfer { department_ids: ids? })
            .await
            .map(|_| ())
            .map_err(ApiError::from)
    })
    .await
}

pub(crate) async fn leave(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    member_action(&s, &form, &id, "status", None, async |c, org, mid| {
        s.svc.directory().leave(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

pub(crate) async fn rejoin(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    member_action(&s, &form, &id, "status", None, async |c, org, mid| {
        s.svc.directory().rejoin(c, &org, &mid).await.map(|_| ()).map_err(ApiError::from)
    })
    .await
}

/// The member's part in the partner networks: networks they were added to, contact posts.
fn posts_section(lang: Lang, posts: &[MemberPost]) -> Markup {
    let (networks, contacts): (Vec<&MemberPost>, Vec<&MemberPost>) = posts.iter().partition(|p| p.unit_id.is_none());
    html! {
        section.card data-testid="member-posts" {
            h2 { (t(lang, "members.posts")) }
            @if posts.is_empty() { p.muted data-testid="member-posts-none" { (t(lang, "members.posts_none")) } }
            @if !networks.is_empty() {
                p { (t(lang, "members.in_networks")) " "
                    @for n in &networks { a.badge href={ "/console/networks/" (n.network_id) } data-testid="member-network" { (n.network_name) } " " }
                }
            }
            @if !contacts.is_empty() {
                table data-testid="member-contacts" {
                    thead { tr { th { (t(lang, "members.post_unit")) } th { (t(lang, "nav.networks")) } th { (t(lang, "contacts.role")) } th {} } }
                    tbody {
                        @for k in &contacts {
                            tr data-testid="member-contact" {
                                td { a href={ "/console/networks/" (k.network_id) "/units/" (k.unit_id.clone().unwrap_or_default()) } { (k.unit_name.clone().unwrap_or_default()) } }
                                td { (k.network_name) }
                                td { (contact_role_text(lang, k.role.as_deref().unwrap_or_default())) }
                                td { @if k.backup { span.badge { (t(lang, "members.post_backup")) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}
