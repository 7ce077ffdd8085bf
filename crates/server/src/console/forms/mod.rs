//! The console's form-app pages: an app's form opened from the workbench (drawn from its current
//! schema and submitted as the member acting now) with, below it, the submissions that member may
//! read, filtered, totalled and exported; and one submission with its submitter's organization
//! and unit, which its submitter or the app's editors may change.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keiretsu_domain::Reason;
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
use super::pages::{Failed, Pairs, dept_options, err_of, err_page, no_org, nonblank, not_found, trimmed, typed_all};
use super::picker::{self, From, Picker};
use super::{Ctx, Flash, Saved, ctx_of, field_error, layout, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::{Csrf, NoFields};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

mod design;
mod list;
mod submission;

use list::{form_page, submit};
use submission::{submission_page, update};

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
        .route("/console/apps/{id}/approvals", get(design::design_page))
        .route("/console/apps/{id}/approvals/steps", axum::routing::post(design::add_step))
        .route("/console/apps/{id}/approvals/change", axum::routing::post(design::change))
        .route("/console/apps/{id}/approvals/preview", axum::routing::post(design::preview))
}

fn app_id(raw: &str) -> Result<AppId, ApiError> {
    parse_id(AppId::parse, raw, "app")
}

/// The form input that holds field `key`; errors about its value name the same path.
fn input_name(key: &str) -> String {
    format!("values.{key}")
}

/// The app as the caller knows it: from their workbench, or from their organization's apps
/// (listed only for app admins, decided from the role). `None` for a reader who neither uses
/// nor manages it (the page then shows its id).
async fn app_view(s: &AppState, ctx: &Ctx, app: &AppId) -> Result<(Option<AppView>, bool), ApiError> {
    let caller = &ctx.session.caller;
    if ctx.can(Scope::Apps)
        && let Some(a) = s.svc.apps().list(caller).await?.into_iter().find(|a| a.id == app.as_str())
    {
        return Ok((Some(a), true));
    }
    let used = s.svc.apps().workbench(caller, None).await?.into_iter().find(|a| a.id == app.as_str());
    Ok((used, false))
}

/// Does the caller hold `right` on the app now (their own decision). An app that does not
/// reach them is unknown to them: that is a no, not a failure.
async fn holds(s: &AppState, ctx: &Ctx, app: &AppId, right: &str) -> Result<bool, ApiError> {
    let q = CheckQuery { member_id: None, right: Some(right.to_owned()), at_least: None };
    match s.svc.apps().check_access(&ctx.session.caller, app, &q).await {
        Ok(d) => Ok(d.allowed),
        Err(e) if not_found(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A form's pairs as submission values: empty inputs left out, numbers as JSON numbers when
/// they read as one (else the text, for the form to refuse by name), choices and files as lists.
/// The inputs are named after the app's schema fields, so they are read from the pairs.
fn values_of(schema: &Schema, p: &Pairs) -> Map<String, Value> {
    let first = |name: &str| p.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut out = Map::new();
    for f in &schema.fields {
        let name = input_name(&f.key);
        let value = match f.kind {
            FieldKind::MultipleChoice | FieldKind::Attachment => {
                let items: Vec<Value> = p
                    .iter()
                    .filter(|(k, v)| *k == name && !v.trim().is_empty())
                    .map(|(_, v)| Value::String(v.clone()))
                    .collect();
                if items.is_empty() {
                    continue;
                }
                Value::Array(items)
            }
            FieldKind::Number => match nonblank(first(&name)) {
                Some(text) => number_json(&text).unwrap_or(Value::String(text)),
                None => continue,
            },
            _ => match nonblank(first(&name)) {
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

/// What the person, department and file fields of a form offer and show: names for the people
/// they hold, the departments of the caller's organization, and the files' names.
#[derive(Default)]
pub(super) struct Refs {
    names: std::collections::HashMap<String, String>,
    departments: Vec<keiretsu_service::directory::DepartmentView>,
    files: std::collections::BTreeMap<String, String>,
}

impl Refs {
    /// For `schema`'s fields holding `values` (stored or typed), as `ctx` may see them.
    pub(super) async fn load(s: &AppState, ctx: &Ctx, schema: &Schema, values: &[String]) -> Result<Refs, ApiError> {
        let mut refs = Refs::default();
        if schema.fields.iter().any(|f| f.kind == FieldKind::Member) {
            refs.names = picker::names(s, ctx, values).await;
        }
        if schema.fields.iter().any(|f| f.kind == FieldKind::Department)
            && let Some(org) = ctx.org()
        {
            refs.departments = s.svc.directory().departments(&ctx.session.caller, &org).await?;
        }
        Ok(refs)
    }

    /// Adds the file names the submissions carry.
    pub(super) fn with_files<'a>(mut self, subs: impl IntoIterator<Item = &'a SubmissionView>) -> Refs {
        for sub in subs {
            self.files.extend(sub.file_names.clone());
        }
        self
    }

    /// A stored id as its name when one is known: a person, a department or a file.
    fn name_of(&self, id: &str) -> String {
        if let Some(n) = self.names.get(id).or_else(|| self.files.get(id)) {
            return n.clone();
        }
        self.departments.iter().find(|d| d.id == id).map_or_else(|| id.to_owned(), |d| d.name.clone())
    }

    /// A stored value as one line of text, with names for the ids it holds.
    pub(super) fn show(&self, v: &Value) -> String {
        value_texts(v).iter().map(|x| self.name_of(x)).collect::<Vec<_>>().join("; ")
    }
}

/// One field of a form: its label (with a marker when required) and an input fit for its kind,
/// holding `current`.
fn field_input(lang: Lang, f: &Field, current: &[String], err: Option<&ApiError>, refs: &Refs) -> Markup {
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
                                a href={ "/api/v1/attachments/" (a) } { (refs.name_of(a)) }
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
                                (Picker { name: &name, id: Some(&id), from: From::Reach, multiple: false, required: f.required, testid: &test, label: None, value: &value, names: &refs.names }.render(lang))
                            }
                            FieldKind::Department => {
                                select id=(id) name=(name) required[f.required] data-testid=(test) {
                                    option value="" { "—" }
                                    // A department of another organization (the app's) stays as it is.
                                    @if !value.is_empty() && !refs.departments.iter().any(|d| d.id == value) {
                                        option value=(value) selected { (value) }
                                    }
                                    (dept_options(&refs.departments, &|d| d == value, &Default::default()))
                                }
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
fn fields(
    lang: Lang,
    schema: &Schema,
    failed: Option<&Failed>,
    form: &str,
    stored: Option<&SubmissionView>,
    refs: &Refs,
) -> Markup {
    let err = err_of(failed, form, None);
    html! {
        @for f in &schema.fields {
            @let current = match (err, stored) {
                (Some(_), _) => typed_all(failed, form, None, &input_name(&f.key)),
                (None, Some(s)) => s.values.get(&f.key).map(value_texts).unwrap_or_default(),
                (None, None) => Vec::new(),
            };
            (field_input(lang, f, &current, err, refs))
        }
    }
}

/// The page with the failed form's message on top and its status, or with the notice.
fn finish(ctx: &Ctx, title: &str, f: &Flash, failed: Option<&Failed>, body: Markup) -> Response {
    match failed {
        Some(x) => {
            (status_of(&x.error), layout(ctx, ACTIVE, title, &Flash::error(ctx.lang, &x.error), body)).into_response()
        }
        None => layout(ctx, ACTIVE, title, f, body),
    }
}

/// Uploads the files chosen in the form, each for its attachment field, and puts their ids among
/// that field's values, as an API client does before it submits. When the submission then fails,
/// the page comes back with them ticked, so nobody chooses the files again.
async fn attach(
    s: &AppState,
    form: &Csrf<NoFields>,
    app: &AppId,
    schema: &Schema,
    pairs: &mut Pairs,
) -> Result<(), ApiError> {
    for file in &form.files {
        let field = schema
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Attachment && input_name(&f.key) == file.field)
            .ok_or_else(|| DomainError::invalid(file.field.clone(), Rule::Reason(Reason::TakesNoFile)))?;
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
