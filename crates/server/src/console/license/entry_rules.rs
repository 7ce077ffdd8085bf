//! Partner entry rules: a unit's department bound to the pool.

use super::*;

pub(super) async fn entry_rules(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    entry_rules_page(&s, ctx, f, None).await
}

pub(super) async fn entry_rules_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "entry_rules.title");
    let (org, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let rules = match s.svc.license().entry_rules(&ctx.session.caller, &org).await {
        Ok(r) => r,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let units = match unit_choices(s, &ctx).await {
        Ok(u) => u,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let mut trees: Vec<(&UnitChoice, Vec<DepartmentView>)> = Vec::new();
    for u in &units {
        match departments_of(s, &ctx, &org, Some(u)).await {
            Ok(ds) => trees.push((u, ds)),
            Err(e) => return err_page(&ctx, ACTIVE, title, e),
        }
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
                            form.inline method="post" action="/console/license/entry-rules/remove" data-confirm=(t(lang, "entry_rules.remove_confirm")) {
                                (ctx.csrf())
                                input type="hidden" name="department_id" value=(r.department_id);
                                button.secondary.small type="submit" data-testid="entry-rule-remove" { (t(lang, "entry_rules.remove")) }
                            }
                            @if let Some(e) = err_of(failed, "remove", Some(r.department_id.as_str())) { span.field-error role="alert" { (error_text(lang, e)) } }
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
                    (field_error(lang, add_err, "unit_id"))
                    (field_error(lang, add_err, "department_id"))
                }
                button type="submit" data-testid="entry-rule-submit" { (t(lang, "entry_rules.add")) }
            }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

/// A rule to add: `unit/department`, one option of the grouped select.
#[derive(Deserialize)]
pub(super) struct EntryRuleForm {
    #[serde(default)]
    target: String,
}

pub(super) async fn add_entry_rule(State(s): State<AppState>, form: Csrf<EntryRuleForm>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        let target = &form.form.target;
        let Some((unit, dept)) = target.split_once('/') else {
            return Err(DomainError::invalid("department_id", Rule::Required).into());
        };
        let input = NewEntryRule {
            unit_id: UnitId::parse(unit).map_err(|e| ApiError::from(e).with_field("unit_id"))?,
            department_id: DepartmentId::parse(dept).map_err(|e| ApiError::from(e).with_field("department_id"))?,
        };
        Ok::<u64, ApiError>(
            s.svc.license().add_entry_rule(&form.session.caller, &org, &input).await?.authorized.unwrap_or(0),
        )
    }
    .await;
    match result {
        Ok(n) => Redirect::to(&format!("/console/license/entry-rules?changed={n}")).into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => entry_rules_page(&s, ctx, Flash::default(), Some(Failed::new("add", None, e, &form.raw))).await,
            Err(r) => r,
        },
    }
}

/// The rule to remove, named by its department.
#[derive(Deserialize)]
pub(super) struct EntryRuleRemoveForm {
    #[serde(default)]
    department_id: String,
}

pub(super) async fn remove_entry_rule(State(s): State<AppState>, form: Csrf<EntryRuleRemoveForm>) -> Response {
    let dept = form.form.department_id.clone();
    let result = async {
        let org = acting_org(&form)?;
        let d = DepartmentId::parse(&dept).map_err(|_| DomainError::NotFound { what: "entry rule" })?;
        s.svc.license().remove_entry_rule(&form.session.caller, &org, &d).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/license/entry-rules?saved=1").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let failed = Failed::new("remove", Some(&dept), e, &form.raw);
                entry_rules_page(&s, ctx, Flash::default(), Some(failed)).await
            }
            Err(r) => r,
        },
    }
}
