//! The form builder: each added or removed field is a new schema version.

use super::*;

/// The form as it is now, refused if it changed since the page that sent `version` was drawn.
pub(super) async fn current_schema(s: &AppState, form: &Csrf<Pairs>, app: &AppId) -> Result<Schema, ApiError> {
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
pub(super) fn field_of(p: &Pairs) -> Result<Field, ApiError> {
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
pub(super) fn about_new_field(e: ApiError, at: usize) -> ApiError {
    let Some(path) = e.0.field.clone() else { return e };
    let Some(rest) = path.strip_prefix(&format!("fields[{at}].")) else { return e };
    let rest = rest.strip_prefix("rules.").unwrap_or(rest);
    let input = rest.split(['.', '[']).next().unwrap_or(rest).to_owned();
    let mut e = e;
    e.0.detail = e.0.detail.replacen(&path, &input, 1);
    e.with_field(input)
}

pub(super) async fn add_field(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
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

pub(super) async fn remove_field(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
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
