//! The form builder: each added or removed field is a new schema version.

use super::*;
use keiretsu_domain::Reason;

/// The form as it is now, refused if it changed since the page that sent `version` was drawn.
pub(super) async fn current_schema(
    s: &AppState,
    caller: &keiretsu_service::Caller,
    version: Option<&str>,
    app: &AppId,
) -> Result<Schema, ApiError> {
    let now = s.svc.forms().schema(caller, app).await?;
    if version.is_some_and(|v| v != now.version.to_string()) {
        return Err(DomainError::conflict("version", Rule::Reason(Reason::StaleVersion)).into());
    }
    Ok(now.schema)
}

/// The builder's new-field form. Its rules are text as typed: their meaning depends on the
/// kind, and their errors are named by the form's rules.
#[derive(Deserialize)]
pub(super) struct FieldForm {
    version: Option<String>,
    key: Option<String>,
    label: Option<String>,
    #[serde(default)]
    kind: String,
    required: Option<String>,
    #[serde(default)]
    options: String,
    min: Option<String>,
    max: Option<String>,
    max_length: Option<String>,
    pattern: Option<String>,
}

/// A field as the builder's form describes it. Bounds are numbers for number fields and text
/// for money and date fields; the form's rules check the rest.
pub(super) fn field_of(p: &FieldForm) -> Result<Field, ApiError> {
    let text = |v: &Option<String>| nonblank(v.clone()).map(|v| v.trim().to_owned());
    let kind = FieldKind::parse("kind", &p.kind)?;
    let bound = |v: &Option<String>| {
        text(v).map(|v| match v.parse::<f64>() {
            Ok(n) if kind == FieldKind::Number => Bound::Number(n),
            _ => Bound::Text(v),
        })
    };
    let max_length = text(&p.max_length)
        .map(|v| v.parse::<usize>().map_err(|_| DomainError::invalid("max_length", Rule::Reason(Reason::WholeNumber))))
        .transpose()?;
    let options = p.options.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    Ok(Field {
        key: text(&p.key).unwrap_or_default(),
        label: text(&p.label).unwrap_or_default(),
        kind,
        required: p.required.is_some(),
        rules: FieldRules {
            min: bound(&p.min),
            max: bound(&p.max),
            max_length,
            pattern: text(&p.pattern),
            ..Default::default()
        },
        options,
    })
}

/// An error about the new field (`fields[at].rules.min`) named by the builder's input (`min`).
pub(super) fn about_new_field(e: ApiError, at: usize) -> ApiError {
    let Some(path) = e.0.field.clone() else { return e };
    let Some(rest) = path.strip_prefix(&format!("fields[{at}].")) else { return e };
    let rest = rest.strip_prefix("rules.").unwrap_or(rest);
    let input = rest.split(['.', '[']).next().unwrap_or(rest).to_owned();
    let mut e = e;
    e.0.detail = e.0.detail.replacen(&path, &input, 1);
    e.with_field(input)
}

pub(super) async fn add_field(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<FieldForm>) -> Response {
    let result = async {
        let app = app_id(&id)?;
        let mut schema = current_schema(&s, &form.session.caller, form.form.version.as_deref(), &app).await?;
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

/// The field to remove, and the form's version the page was drawn with.
#[derive(Deserialize)]
pub(super) struct RemoveFieldForm {
    #[serde(default)]
    key: String,
    version: Option<String>,
}

pub(super) async fn remove_field(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<RemoveFieldForm>,
) -> Response {
    let key = form.form.key.clone();
    let result = async {
        let app = app_id(&id)?;
        let mut schema = current_schema(&s, &form.session.caller, form.form.version.as_deref(), &app).await?;
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
