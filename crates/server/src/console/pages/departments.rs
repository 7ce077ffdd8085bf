//! The department tree: create, rename, move, delete, heads.

use super::*;

/// A department form that failed: which department, which form, and why.
pub(crate) struct DeptError {
    at: Option<String>,
    action: &'static str,
    error: ApiError,
}

pub(crate) struct Tree<'a> {
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
                span.field-error role="alert" data-testid="department-error" { (error_text(self.ctx.lang, &e.error)) }
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
                                span.badge data-testid="department-count" { (tn(lang, "departments.count", "departments.count_one", d.member_count, &[])) }
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
                                                input name="name" required maxlength="100" value=(d.name) aria-label=(t(lang, "field.object_name")) data-testid="rename-name";
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
                                                (Picker { name: "member_ids", id: None, from: From::Org, multiple: true, required: false, testid: "heads-input", label: Some(t(lang, "departments.heads")), value: &d.head_ids.join(" "), names: self.names }.render(lang))
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

pub(crate) async fn departments(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    departments_page(&s, ctx, f, None).await
}

pub(crate) async fn departments_page(s: &AppState, ctx: Ctx, f: Flash, err: Option<DeptError>) -> Response {
    let title = t(ctx.lang, "nav.departments");
    let Some(org) = ctx.org() else { return no_org(&ctx, "departments", title) };
    let deps = match s.svc.directory().departments(&ctx.session.caller, &org).await {
        Ok(d) => d,
        Err(e) => return err_page(&ctx, "departments", title, e),
    };
    let head_ids: HashSet<String> = deps.iter().flat_map(|d| d.head_ids.clone()).collect();
    let mut names = HashMap::new();
    for id in head_ids {
        let Ok(mid) = MemberId::parse(&id) else { continue };
        match s.svc.directory().member(&ctx.session.caller, &org, &mid).await {
            Ok(m) => {
                names.insert(id, m.name);
            }
            // A head no longer found is shown by id.
            Err(e) if not_found(&e) => {}
            Err(e) => return err_page(&ctx, "departments", title, e),
        }
    }
    let tree = Tree { ctx: &ctx, deps: &deps, kids: children(&deps), names: &names, err: err.as_ref() };
    let body = html! {
        div.card.tree data-testid="department-tree" { (tree.render(None, 0)) }
    };
    match &err {
        Some(e) => (status_of(&e.error), layout(&ctx, "departments", title, &Flash::error(ctx.lang, &e.error), body))
            .into_response(),
        None => layout(&ctx, "departments", title, &f, body),
    }
}

#[derive(Deserialize)]
pub(crate) struct DeptForm {
    name: Option<String>,
    parent_id: Option<String>,
    member_ids: Option<String>,
}

pub(crate) fn parse_dep(raw: &str) -> Result<DepartmentId, ApiError> {
    DepartmentId::parse(raw.trim()).map_err(ApiError::from)
}

pub(crate) async fn dept_action(
    s: &AppState,
    form: &Csrf<DeptForm>,
    id: Option<&str>,
    action: &str,
) -> Result<(), ApiError> {
    let caller = &form.session.caller;
    let org = caller.acting().map(|a| a.org.clone()).ok_or(NOT_ALLOWED)?;
    let f = &form.form;
    let id = id.map(parse_dep).transpose()?;
    let parent = f.parent_id.as_deref().filter(|p| !p.is_empty()).map(parse_dep).transpose()?;
    match (action, id) {
        ("create", _) => {
            let input = NewDepartment { name: f.name.clone().unwrap_or_default(), parent_id: parent };
            s.svc.directory().create_department(caller, &org, &input).await.map(|_| ())?
        }
        ("rename", Some(id)) => {
            let patch = DepartmentPatch { name: Some(f.name.clone().unwrap_or_default()), parent_id: None };
            s.svc.directory().update_department(caller, &org, &id, &patch).await?
        }
        ("move", Some(id)) => {
            let parent = parent.ok_or_else(|| ApiError::from(DomainError::NotFound { what: "department" }))?;
            let patch = DepartmentPatch { name: None, parent_id: Some(parent) };
            s.svc.directory().update_department(caller, &org, &id, &patch).await?
        }
        ("delete", Some(id)) => s.svc.directory().delete_department(caller, &org, &id).await?,
        ("heads", Some(id)) => {
            let member_ids = f
                .member_ids
                .as_deref()
                .unwrap_or("")
                .split([' ', ',', '\n', '\t'])
                .filter(|x| !x.is_empty())
                .map(|x| MemberId::parse(x).map_err(|e| ApiError::from(e).with_field("member_ids")))
                .collect::<Result<Vec<_>, _>>()?;
            s.svc.directory().set_heads(caller, &org, &id, &Heads { member_ids }).await?
        }
        _ => return Err(NOT_ALLOWED.into()),
    }
    Ok(())
}

pub(crate) async fn dept_post(s: AppState, form: Csrf<DeptForm>, id: Option<String>, action: &'static str) -> Response {
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

pub(crate) async fn create_department(State(s): State<AppState>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, None, "create").await
}
pub(crate) async fn rename_department(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<DeptForm>,
) -> Response {
    dept_post(s, form, Some(id), "rename").await
}
pub(crate) async fn move_department(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<DeptForm>,
) -> Response {
    dept_post(s, form, Some(id), "move").await
}
pub(crate) async fn delete_department(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<DeptForm>,
) -> Response {
    dept_post(s, form, Some(id), "delete").await
}
pub(crate) async fn set_heads(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<DeptForm>) -> Response {
    dept_post(s, form, Some(id), "heads").await
}
