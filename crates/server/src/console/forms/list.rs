//! One app's form page: the form to submit, the submissions list with filters and totals, uploads.

use super::*;
use crate::console::when::when_text;

/// The list's filters, as the address carries them.
#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    saved: Option<String>,
    filter: Option<String>,
    organization_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    of: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    /// The filters that narrow the list (and the export), without paging or totals.
    fn filters(&self) -> Vec<(&'static str, String)> {
        [("filter", &self.filter), ("organization_id", &self.organization_id), ("from", &self.from), ("to", &self.to)]
            .into_iter()
            .filter_map(|(k, v)| trimmed(v).map(|v| (k, v)))
            .collect()
    }

    fn query(&self) -> SubmissionQuery {
        SubmissionQuery {
            filter: trimmed(&self.filter),
            organization_id: trimmed(&self.organization_id),
            from: trimmed(&self.from),
            to: trimmed(&self.to),
            cursor: trimmed(&self.cursor),
            by: trimmed(&self.by),
            of: trimmed(&self.of),
            limit: Some(PAGE),
            ..Default::default()
        }
    }
}

pub(super) async fn form_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let f = Flash { error: None, notice: q.saved.as_ref().map(|_| t(ctx.lang, "common.saved").to_owned()) };
    form_render(&s, ctx, &id, q, f, None).await
}

/// The submissions the caller may read: `None` when they may read none, else the page or why
/// the filters were refused.
type Listed = Option<Result<Page<SubmissionView>, ApiError>>;

pub(super) async fn form_render(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    q: ListQuery,
    f: Flash,
    failed: Option<Failed>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "forms.title");
    let Some(org) = ctx.org() else { return no_org(&ctx, ACTIVE, title) };
    let caller = &ctx.session.caller;
    let found = async {
        let app = app_id(id)?;
        let schema = s.svc.forms().schema(caller, &app).await?;
        Ok::<_, ApiError>((app, schema))
    }
    .await;
    let (app, schema) = match found {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let schema = schema.schema;
    let known = async {
        let (view, manages) = app_view(s, &ctx, &app).await?;
        let may_submit = !schema.fields.is_empty() && holds(s, &ctx, &app, "submit").await?;
        Ok::<_, ApiError>((view, manages, may_submit))
    }
    .await;
    let (view, manages, may_submit) = match known {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let name = view.as_ref().map_or_else(|| app.to_string(), |a| a.name.clone());
    let query = q.query();
    let listed: Listed = match s.svc.forms().submissions(caller, &app, &query).await {
        Ok(p) => Some(Ok(p)),
        Err(keiretsu_service::Error::Domain(keiretsu_domain::DomainError::Forbidden(_))) => None,
        Err(e) => Some(Err(e.into())),
    };
    let totals = match (&listed, &query.by, &query.of) {
        (Some(Ok(_)), by, of) if by.is_some() || of.is_some() => {
            Some(s.svc.forms().submission_totals(caller, &app, &query).await.map_err(ApiError::from))
        }
        _ => None,
    };
    // The owner's app admins filter by the organizations of their networks' units.
    let mut orgs: Vec<(String, String)> = Vec::new();
    if manages {
        if let Some((_, here)) = ctx.me.organizations.iter().find(|(o, _)| *o == org.as_str()) {
            orgs.push((org.to_string(), here.clone()));
        }
        // The app's admins may look into their networks: a failure is a real one.
        let r = match reach(s, &ctx).await {
            Ok(r) => r,
            Err(e) => return err_page(&ctx, ACTIVE, title, e),
        };
        for (u, _) in &r.units {
            if !orgs.iter().any(|(o, _)| *o == u.organization_id) {
                orgs.push((u.organization_id.clone(), u.organization_name.clone()));
            }
        }
    }
    let failed = failed.as_ref();
    let refs = if may_submit {
        let typed: Vec<String> =
            schema.fields.iter().flat_map(|f| typed_all(failed, "submit", None, &input_name(&f.key))).collect();
        match Refs::load(s, &ctx, &schema, &typed).await {
            Ok(r) => r,
            Err(e) => return err_page(&ctx, ACTIVE, title, e),
        }
    } else {
        Refs::default()
    };
    // Names for the people, departments and files the listed submissions hold.
    let page_refs = match &listed {
        Some(Ok(page)) => {
            let held: Vec<String> = page.items.iter().flat_map(|i| i.values.values().flat_map(value_texts)).collect();
            match Refs::load(s, &ctx, &schema, &held).await {
                Ok(r) => r.with_files(&page.items),
                Err(e) => return err_page(&ctx, ACTIVE, title, e),
            }
        }
        _ => Refs::default(),
    };
    let action = format!("/console/workbench/{}", app);
    let list_err = match &listed {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let body = html! {
        h2 data-testid="form-title" { (name) }
        @if let Some(a) = &view { @if !a.description.is_empty() { p.muted { (a.description) } } }
        @if manages { p { a href={ "/console/apps/" (app) } data-testid="manage-app-link" { (t(lang, "forms.manage")) } } }
        @if may_submit {
            form.stack.card method="post" action=(action) enctype="multipart/form-data" data-testid="submission-form" {
                (ctx.csrf())
                (fields(lang, &schema, failed, "submit", None, &refs))
                button type="submit" data-testid="submission-submit" { (t(lang, "forms.submit")) }
            }
        } @else if listed.is_none() {
            p.muted data-testid="nothing-allowed" { (t(lang, "forms.nothing")) }
        } @else if schema.fields.is_empty() {
            p.muted data-testid="no-fields" { (t(lang, "forms.no_fields")) }
        } @else {
            p.muted data-testid="submit-not-allowed" { (t(lang, "forms.may_not_submit")) }
        }
        @if let Some(result) = &listed {
            h2 #submissions { (t(lang, "forms.submissions")) }
            (filters(lang, &app, &schema, &q, &orgs, list_err, totals.as_ref()))
            @if let Some(Ok(groups)) = &totals { (totals_table(lang, groups, query.by.is_some())) }
            @if let Ok(page) = result { (submission_table(&ctx, &schema, page, &action, &q, &page_refs)) }
        }
    };
    match (failed, list_err) {
        (None, Some(e)) => (status_of(e), layout(&ctx, ACTIVE, title, &Flash::error(lang, e), body)).into_response(),
        _ => finish(&ctx, title, &f, failed, body),
    }
}

/// The list's filter form, its export link and the totals' choices.
pub(super) fn filters(
    lang: Lang,
    app: &AppId,
    schema: &Schema,
    q: &ListQuery,
    orgs: &[(String, String)],
    err: Option<&ApiError>,
    totals: Option<&Result<Vec<Group>, ApiError>>,
) -> Markup {
    let action = format!("/console/workbench/{app}");
    let export = format!(
        "/api/v1/apps/{app}/submissions/export?{}",
        serde_urlencoded::to_string(q.filters()).unwrap_or_default()
    );
    let keys: Vec<String> = schema.fields.iter().map(|f| format!("{} ({})", f.key, kind_text(lang, f.kind))).collect();
    let v = |x: &Option<String>| x.clone().unwrap_or_default();
    let (by, of) = (v(&q.by), v(&q.of));
    let organization = v(&q.organization_id);
    let totals_err = match totals {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let groupable = |k: FieldKind| {
        matches!(
            k,
            FieldKind::Text
                | FieldKind::SingleChoice
                | FieldKind::MultipleChoice
                | FieldKind::Date
                | FieldKind::Member
                | FieldKind::Department
        )
    };
    html! {
        form.inline.filters method="get" action={ (action) "#submissions" } data-testid="submission-filters" {
            label.field {
                span { (t(lang, "forms.filter")) }
                input #submission-filter name="filter" value=(v(&q.filter)) placeholder=(example(schema)) size="32" data-testid="submission-filter";
                (field_error(lang, err, "filter"))
            }
            @if !orgs.is_empty() {
                label.field {
                    span { (t(lang, "forms.organization")) }
                    select name="organization_id" data-testid="submission-organization" {
                        option value="" { (t(lang, "forms.any")) }
                        @for (id, name) in orgs { option value=(id) selected[organization == *id] { (name) } }
                    }
                    (field_error(lang, err, "organization_id"))
                }
            }
            label.field {
                span { (t(lang, "forms.from")) }
                input type="date" name="from" value=(v(&q.from)) data-testid="submission-from";
                (field_error(lang, err, "from"))
            }
            label.field {
                span { (t(lang, "forms.to")) }
                input type="date" name="to" value=(v(&q.to)) data-testid="submission-to";
                (field_error(lang, err, "to"))
            }
            label.field {
                span { (t(lang, "forms.by")) }
                select name="by" data-testid="submission-by" {
                    option value="" { "—" }
                    @for f in schema.fields.iter().filter(|f| groupable(f.kind)) { option value=(f.key) selected[by == f.key] { (f.label) } }
                }
                (field_error(lang, totals_err, "by"))
            }
            label.field {
                span { (t(lang, "forms.of")) }
                select name="of" data-testid="submission-of" {
                    option value="" { "—" }
                    @for f in schema.fields.iter().filter(|f| matches!(f.kind, FieldKind::Number | FieldKind::Money)) {
                        option value=(f.key) selected[of == f.key] { (f.label) }
                    }
                }
                (field_error(lang, totals_err, "of"))
            }
            button type="submit" data-testid="submission-search" { (t(lang, "common.search")) }
            a.button.secondary href=(export) data-testid="submission-export" { (t(lang, "forms.export")) }
        }
        p.hint data-testid="filter-help" {
            (tf(lang, "forms.filter_help", &[("ops", &FilterOp::NAMES.join(", ")), ("fields", &keys.join(", "))]))
        }
        (builder(lang, schema, "submission-filter"))
    }
}

/// Fields the builder offers: those a condition can name by a value typed or chosen. Member
/// and department fields hold ids and stay with the typed syntax.
fn buildable(f: &Field) -> bool {
    !f.kind.filter_ops().is_empty() && !matches!(f.kind, FieldKind::Member | FieldKind::Department)
}

/// An example filter from the form's own fields: one or two conditions a reader can adapt.
pub(super) fn example(schema: &Schema) -> String {
    schema
        .fields
        .iter()
        .filter(|f| buildable(f))
        .take(2)
        .map(|f| {
            let choice = f.options.first().cloned().unwrap_or_default();
            let (op, value) = match f.kind {
                FieldKind::Number | FieldKind::Money => ("gt", "100".to_owned()),
                FieldKind::Date => ("ge", "2026-01-01".to_owned()),
                FieldKind::SingleChoice => ("eq", choice),
                FieldKind::MultipleChoice => ("has", choice),
                _ => ("contains", "a".to_owned()),
            };
            format!("{}:{op}:{value}", f.key)
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Field, operator and value choosers that write a condition into the filter input `target` (by
/// the script; hidden without it).
pub(super) fn builder(lang: Lang, schema: &Schema, target: &str) -> Markup {
    let fields: Vec<&Field> = schema.fields.iter().filter(|f| buildable(f)).collect();
    html! {
        @if !fields.is_empty() {
            fieldset.inline.filter-builder data-filter-builder=(target) hidden data-testid="filter-builder" {
                legend { (t(lang, "forms.builder")) }
                select data-filter-field aria-label=(t(lang, "forms.builder_field")) data-testid="filter-field" {
                    @for f in &fields {
                        option value=(f.key) data-ops=(f.kind.filter_ops().join(" ")) data-choices=(f.options.join("\n")) { (f.label) }
                    }
                }
                select data-filter-op aria-label=(t(lang, "forms.builder_op")) data-testid="filter-op" {
                    @for op in FilterOp::NAMES { option value=(op) { (t(lang, op_key(op))) } }
                }
                input data-filter-value list="filter-choices" aria-label=(t(lang, "forms.builder_value")) data-testid="filter-value";
                datalist #filter-choices {}
                button.secondary type="button" data-filter-add data-testid="filter-add" { (t(lang, "forms.builder_add")) }
            }
        }
    }
}

pub(super) fn op_key(op: &str) -> &'static str {
    match op {
        "eq" => "forms.op_eq",
        "ne" => "forms.op_ne",
        "contains" => "forms.op_contains",
        "gt" => "forms.op_gt",
        "ge" => "forms.op_ge",
        "lt" => "forms.op_lt",
        "le" => "forms.op_le",
        _ => "forms.op_has",
    }
}

pub(super) fn amount_text(a: &Option<Amount>) -> String {
    match a {
        None => "—".to_owned(),
        Some(Amount::Money(m)) => m.clone(),
        Some(Amount::Number(n)) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        Some(Amount::Number(n)) => {
            let text = format!("{n:.4}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

pub(super) fn totals_table(lang: Lang, groups: &[Group], grouped: bool) -> Markup {
    html! {
        table data-testid="totals" {
            thead { tr {
                @if grouped { th { (t(lang, "forms.group")) } }
                th { (t(lang, "forms.count")) } th { (t(lang, "forms.sum")) } th { (t(lang, "forms.average")) }
            } }
            tbody {
                @for g in groups {
                    tr data-testid="totals-row" data-key=(g.key) {
                        @if grouped {
                            td { @if g.key.is_empty() { span.muted { (t(lang, "forms.no_value")) } } @else { (g.key) } }
                        }
                        td data-testid="totals-count" { (g.count) }
                        td data-testid="totals-sum" { (amount_text(&g.sum)) }
                        td data-testid="totals-average" { (amount_text(&g.average)) }
                    }
                }
            }
        }
    }
}

/// The submitter's unit: its organization (a unit is named after it) and its partner type.
pub(super) fn unit_cell(lang: Lang, s: &SubmissionView) -> Markup {
    html! {
        @match (&s.unit_id, &s.partner_type) {
            (Some(_), pt) => {
                (s.organization_name)
                @if let Some(pt) = pt { " · " (type_text(lang, pt)) }
            }
            (None, _) => { span.muted { (t(lang, "forms.backbone")) } }
        }
    }
}

pub(super) fn submission_table(
    ctx: &Ctx,
    schema: &Schema,
    page: &Page<SubmissionView>,
    action: &str,
    q: &ListQuery,
    refs: &Refs,
) -> Markup {
    let lang = ctx.lang;
    let shown: Vec<&Field> = schema.fields.iter().take(COLUMNS).collect();
    let older = page.next_cursor.as_ref().map(|c| {
        let mut p = q.filters();
        for (k, v) in [("by", &q.by), ("of", &q.of)] {
            if let Some(v) = nonblank(v.clone()) {
                p.push((k, v));
            }
        }
        p.push(("cursor", c.clone()));
        format!("{action}?{}#submissions", serde_urlencoded::to_string(&p).unwrap_or_default())
    });
    html! {
        table data-testid="submission-table" {
            thead { tr {
                th { (t(lang, "forms.time")) } th { (t(lang, "forms.submitter")) } th { (t(lang, "forms.organization")) }
                th { (t(lang, "forms.unit")) }
                @for f in &shown { th { (f.label) } }
                th {}
            } }
            tbody {
                @for s in &page.items {
                    tr data-testid="submission-row" data-submission-id=(s.id) {
                        td.nowrap { (when_text(ctx, &s.created_at)) }
                        td data-testid="submission-row-submitter" { (s.member_name) }
                        td data-testid="submission-row-org" { (s.organization_name) }
                        td { (unit_cell(lang, s)) }
                        @for f in &shown { td data-testid="submission-row-value" { (s.values.get(&f.key).map(|v| refs.show(v)).unwrap_or_default()) } }
                        td { a href={ "/console/submissions/" (s.id) } data-testid="submission-link" { (t(lang, "forms.open")) } }
                    }
                }
                @if page.items.is_empty() {
                    tr { td.muted colspan=(5 + shown.len()) data-testid="submission-empty" { (t(lang, "forms.none")) } }
                }
            }
        }
        div.pager { @if let Some(o) = older { a href=(o) data-testid="submission-older" { (t(lang, "forms.older")) } } }
    }
}

pub(super) async fn submit(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    // The inputs are named after the app's schema fields: read as pairs, not a struct.
    let mut pairs = form.raw.clone();
    let result = async {
        let app = app_id(&id)?;
        let schema = s.svc.forms().schema(&form.session.caller, &app).await?.schema;
        attach(&s, &form, &app, &schema, &mut pairs).await?;
        let input = SubmissionInput { values: values_of(&schema, &pairs) };
        s.svc.forms().submit(&form.session.caller, &app, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/workbench/{id}")),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let failed = Failed::new("submit", None, e, &pairs);
                form_render(&s, ctx, &id, ListQuery::default(), Flash::default(), Some(failed)).await
            }
            Err(r) => r,
        },
    }
}
