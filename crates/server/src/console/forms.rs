//! The console's form-app pages: an app's form opened from the workbench (drawn from its current
//! schema and submitted as the member acting now) with, below it, the submissions that member may
//! read, filtered, totalled and exported; and one submission with its submitter's organization
//! and unit, which its submitter or the app's editors may change.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keiretsu_domain::error::{DomainError, Rule};
use keiretsu_domain::form::{Amount, Bound, Field, FieldKind, FilterOp, Group, Schema};
use keiretsu_domain::identity::Scope;
use keiretsu_domain::ids::{AppId, SubmissionId};
use keiretsu_service::apps::{AppView, CheckQuery};
use keiretsu_service::forms::{MAX_ATTACHMENT, SubmissionInput, SubmissionQuery, SubmissionView};
use keiretsu_service::page::Page;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::apps::reach;
use super::labels::{kind_text, type_text};
use super::pages::{Failed, Pairs, all, err_of, err_page, member_datalist, no_org, nonblank, one, typed_all};
use super::{Ctx, Flash, Saved, ctx_of, field_error, layout, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

const ACTIVE: &str = "workbench";
/// Submissions shown on one page of the list.
const PAGE: i64 = 50;
/// Field values shown as columns of the list; the rest are on the submission's page.
const COLUMNS: usize = 3;
/// A console form carries at most one attachment of the largest size with its fields.
const UPLOAD_LIMIT: usize = MAX_ATTACHMENT + crate::BODY_LIMIT;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/workbench/{id}", get(form_page).post(submit).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)))
        .route(
            "/console/submissions/{id}",
            get(submission_page).post(update).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
}

fn app_id(raw: &str) -> Result<AppId, ApiError> {
    parse_id(AppId::parse, raw, "app")
}

/// The form input that holds field `key`; errors about its value name the same path.
fn input_name(key: &str) -> String {
    format!("values.{key}")
}

/// The app as the caller knows it: from their workbench, or from their organization's apps.
/// `None` for a reader who neither uses nor manages it (the page then shows its id).
async fn app_view(s: &AppState, ctx: &Ctx, app: &AppId) -> (Option<AppView>, bool) {
    let caller = &ctx.session.caller;
    if ctx.can(Scope::Apps)
        && let Ok(list) = s.svc.apps().list(caller).await
        && let Some(a) = list.into_iter().find(|a| a.id == app.as_str())
    {
        return (Some(a), true);
    }
    let used =
        s.svc.apps().workbench(caller, None).await.ok().and_then(|l| l.into_iter().find(|a| a.id == app.as_str()));
    (used, false)
}

/// Does the caller hold `right` on the app now (their own decision; never an error).
async fn holds(s: &AppState, ctx: &Ctx, app: &AppId, right: &str) -> bool {
    let q = CheckQuery { member_id: None, right: Some(right.to_owned()), at_least: None };
    s.svc.apps().check_access(&ctx.session.caller, app, &q).await.is_ok_and(|d| d.allowed)
}

/// A form's pairs as submission values: empty inputs left out, numbers as JSON numbers when
/// they read as one (else the text, for the form to refuse by name), choices and files as lists.
fn values_of(schema: &Schema, p: &Pairs) -> Map<String, Value> {
    let mut out = Map::new();
    for f in &schema.fields {
        let name = input_name(&f.key);
        let value = match f.kind {
            FieldKind::MultipleChoice | FieldKind::Attachment => {
                let items: Vec<Value> =
                    all(p, &name).into_iter().filter(|v| !v.trim().is_empty()).map(Value::String).collect();
                if items.is_empty() {
                    continue;
                }
                Value::Array(items)
            }
            FieldKind::Number => match nonblank(one(p, &name)) {
                Some(text) => number_json(&text).unwrap_or(Value::String(text)),
                None => continue,
            },
            _ => match nonblank(one(p, &name)) {
                Some(text) => Value::String(text),
                None => continue,
            },
        };
        out.insert(f.key.clone(), value);
    }
    out
}

fn number_json(text: &str) -> Option<Value> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite()).and_then(serde_json::Number::from_f64).map(Value::Number)
}

/// A stored value as the texts an input holds (one, or one per chosen option or file).
fn value_texts(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(value_texts).collect(),
        other => vec![other.to_string()],
    }
}

/// A stored value as one line of text.
fn value_text(v: &Value) -> String {
    value_texts(v).join("; ")
}

/// The error about field `key`'s value (or one of its items), beside its input.
fn value_error(err: Option<&ApiError>, key: &str) -> Markup {
    let name = input_name(key);
    let about = |f: &str| f == name || f.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with('['));
    html! {
        @if let Some(e) = err.filter(|e| e.0.field.as_deref().is_some_and(about)) {
            span.field-error role="alert" data-testid={ "field-error-" (name) } { (e.0.detail) }
        }
    }
}

fn bound_text(b: &Option<Bound>) -> Option<String> {
    match b {
        Some(Bound::Number(n)) => Some(n.to_string()),
        Some(Bound::Text(t)) => Some(t.clone()),
        None => None,
    }
}

/// One field of a form: its label (with a marker when required) and an input fit for its kind,
/// holding `current`.
fn field_input(lang: Lang, f: &Field, current: &[String], err: Option<&ApiError>) -> Markup {
    let name = input_name(&f.key);
    let id = format!("v-{}", f.key);
    let test = format!("value-{}", f.key);
    let value = current.first().cloned().unwrap_or_default();
    let label = html! {
        (f.label)
        @if f.required { " " abbr.required title=(t(lang, "forms.required")) data-testid="required-mark" { "*" } }
    };
    let numeric = |b: &Option<Bound>| match b {
        Some(Bound::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    html! {
        div.form-field data-testid="form-field" data-key=(f.key) data-kind=(f.kind.as_str()) {
            @match f.kind {
                FieldKind::MultipleChoice => {
                    fieldset {
                        legend { (label) }
                        @for (i, o) in f.options.iter().enumerate() {
                            label.check {
                                input type="checkbox" name=(name) value=(o) checked[current.contains(o)] data-testid={ (test) "-" (i) };
                                (o)
                            }
                        }
                        (value_error(err, &f.key))
                    }
                }
                FieldKind::Attachment => {
                    fieldset data-testid=(test) {
                        legend { (label) }
                        @for a in current {
                            label.check {
                                input type="checkbox" name=(name) value=(a) checked;
                                a href={ "/api/v1/attachments/" (a) } { code { (a) } }
                            }
                        }
                        input type="file" name=(name) aria-label=(f.label) data-testid={ (test) "-file" };
                        (value_error(err, &f.key))
                    }
                }
                _ => {
                    label for=(id) {
                        span { (label) }
                        @match f.kind {
                            FieldKind::LongText => {
                                textarea.short id=(id) name=(name) rows="4" required[f.required] maxlength=[f.rules.max_length] data-testid=(test) { (value) }
                            }
                            FieldKind::Number => {
                                input id=(id) name=(name) type="number" step="any" min=[numeric(&f.rules.min)] max=[numeric(&f.rules.max)] value=(value) required[f.required] data-testid=(test);
                            }
                            FieldKind::Money => {
                                input id=(id) name=(name) inputmode="decimal" placeholder="1234.50" value=(value) required[f.required] data-testid=(test);
                            }
                            FieldKind::Date => {
                                input id=(id) name=(name) type="date" min=[bound_text(&f.rules.min)] max=[bound_text(&f.rules.max)] value=(value) required[f.required] data-testid=(test);
                            }
                            FieldKind::SingleChoice => {
                                select id=(id) name=(name) required[f.required] data-testid=(test) {
                                    option value="" { "—" }
                                    @for o in &f.options { option value=(o) selected[value == *o] { (o) } }
                                }
                            }
                            FieldKind::Member => {
                                input id=(id) name=(name) list="member-ids" placeholder="mem_…" value=(value) required[f.required] data-testid=(test);
                            }
                            FieldKind::Department => {
                                input id=(id) name=(name) placeholder="dep_…" value=(value) required[f.required] data-testid=(test);
                            }
                            _ => {
                                input id=(id) name=(name) value=(value) required[f.required] maxlength=[f.rules.max_length] data-testid=(test);
                            }
                        }
                        (value_error(err, &f.key))
                    }
                }
            }
        }
    }
}

/// Every field of the form, holding what was typed into the failed form `form` or else `stored`.
fn fields(lang: Lang, schema: &Schema, failed: Option<&Failed>, form: &str, stored: Option<&SubmissionView>) -> Markup {
    let err = err_of(failed, form, None);
    html! {
        @for f in &schema.fields {
            @let current = match (err, stored) {
                (Some(_), _) => typed_all(failed, form, None, &input_name(&f.key)),
                (None, Some(s)) => s.values.get(&f.key).map(value_texts).unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            (field_input(lang, f, &current, err))
        }
    }
}

/// The page with the failed form's message on top and its status, or with the notice.
fn finish(ctx: &Ctx, title: &str, f: &Flash, failed: Option<&Failed>, body: Markup) -> Response {
    match failed {
        Some(x) => (status_of(&x.error), layout(ctx, ACTIVE, title, &Flash::error(&x.error), body)).into_response(),
        None => layout(ctx, ACTIVE, title, f, body),
    }
}

// ----- one app's form and submissions -----

/// The list's filters, as the address carries them.
#[derive(Deserialize, Default)]
struct ListQuery {
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
            .filter_map(|(k, v)| nonblank(v.clone()).map(|v| (k, v.trim().to_owned())))
            .collect()
    }

    fn query(&self) -> SubmissionQuery {
        let clean = |v: &Option<String>| nonblank(v.clone()).map(|v| v.trim().to_owned());
        SubmissionQuery {
            filter: clean(&self.filter),
            organization_id: clean(&self.organization_id),
            from: clean(&self.from),
            to: clean(&self.to),
            cursor: clean(&self.cursor),
            by: clean(&self.by),
            of: clean(&self.of),
            limit: Some(PAGE),
            ..Default::default()
        }
    }
}

async fn form_page(
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

async fn form_render(s: &AppState, ctx: Ctx, id: &str, q: ListQuery, f: Flash, failed: Option<Failed>) -> Response {
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
    let (view, manages) = app_view(s, &ctx, &app).await;
    let name = view.as_ref().map_or_else(|| app.to_string(), |a| a.name.clone());
    let schema = schema.schema;
    let may_submit = !schema.fields.is_empty() && holds(s, &ctx, &app, "submit").await;
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
        if let Ok(r) = reach(s, &ctx).await {
            for (u, _) in &r.units {
                if !orgs.iter().any(|(o, _)| *o == u.organization_id) {
                    orgs.push((u.organization_id.clone(), u.organization_name.clone()));
                }
            }
        }
    }
    let has_members = schema.fields.iter().any(|f| f.kind == FieldKind::Member);
    let datalist = if may_submit && has_members {
        member_datalist(s, &ctx, &org).await
    } else {
        html! {}
    };
    let failed = failed.as_ref();
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
                (fields(lang, &schema, failed, "submit", None))
                button type="submit" data-testid="submission-submit" { (t(lang, "forms.submit")) }
            }
            (datalist)
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
            @if let Ok(page) = result { (submission_table(lang, &schema, page, &action, &q)) }
        }
    };
    match (failed, list_err) {
        (None, Some(e)) => (status_of(e), layout(&ctx, ACTIVE, title, &Flash::error(e), body)).into_response(),
        _ => finish(&ctx, title, &f, failed, body),
    }
}

/// The list's filter form, its export link and the totals' choices.
fn filters(
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
                input name="filter" value=(v(&q.filter)) placeholder=(t(lang, "forms.filter_placeholder")) size="32" data-testid="submission-filter";
                (field_error(err, "filter"))
            }
            @if !orgs.is_empty() {
                label.field {
                    span { (t(lang, "forms.organization")) }
                    select name="organization_id" data-testid="submission-organization" {
                        option value="" { (t(lang, "forms.any")) }
                        @for (id, name) in orgs { option value=(id) selected[organization == *id] { (name) } }
                    }
                    (field_error(err, "organization_id"))
                }
            }
            label.field {
                span { (t(lang, "forms.from")) }
                input type="date" name="from" value=(v(&q.from)) data-testid="submission-from";
                (field_error(err, "from"))
            }
            label.field {
                span { (t(lang, "forms.to")) }
                input type="date" name="to" value=(v(&q.to)) data-testid="submission-to";
                (field_error(err, "to"))
            }
            label.field {
                span { (t(lang, "forms.by")) }
                select name="by" data-testid="submission-by" {
                    option value="" { "—" }
                    @for f in schema.fields.iter().filter(|f| groupable(f.kind)) { option value=(f.key) selected[by == f.key] { (f.label) } }
                }
                (field_error(totals_err, "by"))
            }
            label.field {
                span { (t(lang, "forms.of")) }
                select name="of" data-testid="submission-of" {
                    option value="" { "—" }
                    @for f in schema.fields.iter().filter(|f| matches!(f.kind, FieldKind::Number | FieldKind::Money)) {
                        option value=(f.key) selected[of == f.key] { (f.label) }
                    }
                }
                (field_error(totals_err, "of"))
            }
            button type="submit" data-testid="submission-search" { (t(lang, "common.search")) }
            a.button.secondary href=(export) data-testid="submission-export" { (t(lang, "forms.export")) }
        }
        p.hint data-testid="filter-help" {
            (tf(lang, "forms.filter_help", &[("ops", &FilterOp::NAMES.join(", ")), ("fields", &keys.join(", "))]))
        }
    }
}

fn amount_text(a: &Option<Amount>) -> String {
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

fn totals_table(lang: Lang, groups: &[Group], grouped: bool) -> Markup {
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

fn unit_cell(lang: Lang, s: &SubmissionView) -> Markup {
    html! {
        @match (&s.unit_id, &s.partner_type) {
            (Some(u), pt) => {
                code { (u) }
                @if let Some(pt) = pt { " · " (type_text(lang, pt)) }
            }
            (None, _) => { span.muted { (t(lang, "forms.backbone")) } }
        }
    }
}

fn submission_table(lang: Lang, schema: &Schema, page: &Page<SubmissionView>, action: &str, q: &ListQuery) -> Markup {
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
                        td.nowrap { (s.created_at) }
                        td data-testid="submission-row-submitter" { (s.member_name) }
                        td data-testid="submission-row-org" { (s.organization_name) }
                        td { (unit_cell(lang, s)) }
                        @for f in &shown { td data-testid="submission-row-value" { (s.values.get(&f.key).map(value_text).unwrap_or_default()) } }
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

/// Uploads the files chosen in the form, each for its attachment field, and puts their ids among
/// that field's values, as an API client does before it submits. When the submission then fails,
/// the page comes back with them ticked, so nobody chooses the files again.
async fn attach(
    s: &AppState,
    form: &Csrf<Pairs>,
    app: &AppId,
    schema: &Schema,
    pairs: &mut Pairs,
) -> Result<(), ApiError> {
    for file in &form.files {
        let field = schema
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Attachment && input_name(&f.key) == file.field)
            .ok_or_else(|| DomainError::invalid(file.field.clone(), Rule::Custom("takes no file")))?;
        let a = s
            .svc
            .forms()
            .upload_attachment(&form.session.caller, app, &file.name, &file.content_type, &file.content)
            .await
            .map_err(|e| ApiError::from(e).with_field(&field.key))?;
        pairs.push((file.field.clone(), a.id));
    }
    Ok(())
}

async fn submit(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let mut pairs = form.form.clone();
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

// ----- one submission -----

async fn submission_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    submission_render(&s, ctx, &id, f, None).await
}

async fn submission_render(s: &AppState, ctx: Ctx, id: &str, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "submission.title");
    let Some(org) = ctx.org() else { return no_org(&ctx, ACTIVE, title) };
    let caller = &ctx.session.caller;
    let found = async {
        let sid = parse_id(SubmissionId::parse, id, "submission")?;
        Ok::<_, ApiError>(s.svc.forms().submission(caller, &sid).await?)
    }
    .await;
    let sub = match found {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let app = AppId::from_trusted(sub.app_id.clone());
    let (schema, version) = match s.svc.forms().schema(caller, &app).await {
        Ok(v) => (v.schema, v.version),
        Err(_) => (Schema { fields: Vec::new() }, sub.version),
    };
    let (view, _) = app_view(s, &ctx, &app).await;
    let name = view.as_ref().map_or_else(|| app.to_string(), |a| a.name.clone());
    let mine = caller.acting().is_some_and(|a| a.member.as_str() == sub.member_id);
    let may_edit = !schema.fields.is_empty()
        && (holds(s, &ctx, &app, "edit").await || (mine && holds(s, &ctx, &app, "submit").await));
    let datalist = if may_edit && schema.fields.iter().any(|f| f.kind == FieldKind::Member) {
        member_datalist(s, &ctx, &org).await
    } else {
        html! {}
    };
    let unknown: Vec<(&String, &Value)> = sub.values.iter().filter(|(k, _)| schema.field(k).is_none()).collect();
    let failed = failed.as_ref();
    let body = html! {
        p { a href={ "/console/workbench/" (app) } data-testid="submission-back" { "← " (name) } }
        dl.fields data-testid="submission-meta" {
            dt { (t(lang, "submission.submitter")) } dd data-testid="submission-submitter" { (sub.member_name) }
            dt { (t(lang, "submission.organization")) } dd data-testid="submission-org" data-org-id=(sub.organization_id) { (sub.organization_name) }
            dt { (t(lang, "submission.unit")) }
            dd data-testid="submission-unit" {
                @match &sub.unit_id {
                    Some(u) => { (u) }
                    None => { span.muted { (t(lang, "forms.backbone")) } }
                }
            }
            dt { (t(lang, "submission.partner_type")) }
            dd data-testid="submission-partner-type" data-partner-type=[sub.partner_type.as_deref()] {
                @match &sub.partner_type {
                    Some(pt) => { (type_text(lang, pt)) }
                    None => { "—" }
                }
            }
            dt { (t(lang, "submission.version")) }
            dd data-testid="submission-version" {
                (sub.version)
                @if sub.version != version { " " span.hint { (tf(lang, "submission.current_version", &[("n", &version.to_string())])) } }
            }
            dt { (t(lang, "submission.created")) } dd { (sub.created_at) }
            dt { (t(lang, "submission.updated")) } dd { (sub.updated_at) }
        }
        h2 { (t(lang, "submission.values")) }
        dl.fields data-testid="submission-values" {
            @for f in &schema.fields {
                dt { (f.label) }
                dd data-testid="submission-value" data-key=(f.key) {
                    @match (f.kind, sub.values.get(&f.key)) {
                        (_, None) => { span.muted { "—" } }
                        (FieldKind::Attachment, Some(v)) => {
                            @for a in value_texts(v) { a href={ "/api/v1/attachments/" (a) } { code { (a) } } " " }
                        }
                        (_, Some(v)) => { (value_text(v)) }
                    }
                }
            }
            @for (k, v) in &unknown {
                dt { code { (k) } " " span.hint { (t(lang, "submission.unknown_field")) } }
                dd data-testid="submission-value" data-key=(k) { (value_text(v)) }
            }
        }
        @if may_edit {
            h2 #edit { (t(lang, "submission.edit")) }
            form.stack.card method="post" action={ "/console/submissions/" (sub.id) } enctype="multipart/form-data" data-testid="edit-form" {
                (ctx.csrf())
                p.hint { (t(lang, "submission.edit_help")) }
                (fields(lang, &schema, failed, "edit", Some(&sub)))
                button type="submit" data-testid="edit-submit" { (t(lang, "common.save")) }
            }
            (datalist)
        }
    };
    finish(&ctx, title, &f, failed, body)
}

async fn update(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let mut pairs = form.form.clone();
    let result = async {
        let sid = parse_id(SubmissionId::parse, &id, "submission")?;
        let caller = &form.session.caller;
        let sub = s.svc.forms().submission(caller, &sid).await?;
        let app = AppId::from_trusted(sub.app_id);
        let schema = s.svc.forms().schema(caller, &app).await?.schema;
        attach(&s, &form, &app, &schema, &mut pairs).await?;
        let input = SubmissionInput { values: values_of(&schema, &pairs) };
        s.svc.forms().update_submission(caller, &sid, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/submissions/{id}")),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                submission_render(&s, ctx, &id, Flash::default(), Some(Failed::new("edit", None, e, &pairs))).await
            }
            Err(r) => r,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_become_values() {
        let schema: Schema = serde_json::from_value(serde_json::json!({"fields": [
            {"key": "name", "label": "Name", "kind": "text"},
            {"key": "qty", "label": "Qty", "kind": "number"},
            {"key": "tags", "label": "Tags", "kind": "multiple_choice", "options": ["a", "b"]},
            {"key": "note", "label": "Note", "kind": "long_text"}
        ]}))
        .unwrap();
        let pairs: Pairs = [("values.name", "Kato"), ("values.qty", "12"), ("values.tags", "a"), ("values.tags", "b")]
            .into_iter()
            .chain([("values.note", "  "), ("values.other", "x")])
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let v = values_of(&schema, &pairs);
        assert_eq!(Value::Object(v), serde_json::json!({"name": "Kato", "qty": 12, "tags": ["a", "b"]}));
        let pairs: Pairs = vec![("values.qty".into(), "1.5".into())];
        assert_eq!(values_of(&schema, &pairs)["qty"], serde_json::json!(1.5));
        let pairs: Pairs = vec![("values.qty".into(), "lots".into())];
        assert_eq!(values_of(&schema, &pairs)["qty"], serde_json::json!("lots"));
    }
}
