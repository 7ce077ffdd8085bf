//! One submission: its values, editing under the app's rights, its version history.

use super::*;
use crate::console::when::when_text;

pub(super) async fn submission_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    submission_render(&s, ctx, &id, f, None).await
}

pub(super) async fn submission_render(s: &AppState, ctx: Ctx, id: &str, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "submission.title");
    if ctx.org().is_none() {
        return no_org(&ctx, ACTIVE, title);
    }
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
    let mine = caller.acting().is_some_and(|a| a.member.as_str() == sub.member_id);
    let known = async {
        let (schema, version) = match s.svc.forms().schema(caller, &app).await {
            Ok(v) => (v.schema, v.version),
            // A reader the app no longer reaches still sees the stored values, by key.
            Err(e) if not_found(&e) => (Schema { fields: Vec::new() }, sub.version),
            Err(e) => return Err(ApiError::from(e)),
        };
        let (view, _) = app_view(s, &ctx, &app).await?;
        let may_edit = !schema.fields.is_empty()
            && (holds(s, &ctx, &app, "edit").await? || (mine && holds(s, &ctx, &app, "submit").await?));
        let mut shown: Vec<String> = sub.values.values().flat_map(value_texts).collect();
        shown.extend(schema.fields.iter().flat_map(|f| typed_all(failed.as_ref(), "edit", None, &input_name(&f.key))));
        let refs = Refs::load(s, &ctx, &schema, &shown).await?.with_files([&sub]);
        Ok((schema, version, view, may_edit, refs))
    }
    .await;
    let (schema, version, view, may_edit, refs) = match known {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let name = view.as_ref().map_or_else(|| app.to_string(), |a| a.name.clone());
    let unknown: Vec<(&String, &Value)> = sub.values.iter().filter(|(k, _)| schema.field(k).is_none()).collect();
    let failed = failed.as_ref();
    let locked = sub.approval.as_ref().is_some_and(|a| a.state != keiretsu_domain::approval::State::Returned);
    let body = html! {
        p { a href={ "/console/workbench/" (app) } data-testid="submission-back" { "← " (name) } }
        dl.fields data-testid="submission-meta" {
            dt { (t(lang, "submission.submitter")) } dd data-testid="submission-submitter" { (sub.member_name) }
            dt { (t(lang, "submission.organization")) } dd data-testid="submission-org" data-org-id=(sub.organization_id) { (sub.organization_name) }
            dt { (t(lang, "submission.unit")) }
            dd data-testid="submission-unit" {
                @match &sub.unit_id {
                    Some(_) => { (sub.organization_name) }
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
            dt { (t(lang, "submission.created")) } dd { (when_text(&ctx, &sub.created_at)) }
            dt { (t(lang, "submission.updated")) } dd { (when_text(&ctx, &sub.updated_at)) }
            @if let Some(a) = &sub.approval {
                dt { (t(lang, "submission.approval")) }
                dd { a href={ "/console/approvals/" (a.id) } data-testid="submission-approval" { (crate::console::labels::state_text(lang, a.state)) } }
            }
        }
        h2 { (t(lang, "submission.values")) }
        dl.fields data-testid="submission-values" {
            @for f in &schema.fields {
                dt { (f.label) }
                dd data-testid="submission-value" data-key=(f.key) {
                    @match (f.kind, sub.values.get(&f.key)) {
                        (_, None) => { span.muted { "—" } }
                        (FieldKind::Attachment, Some(v)) => {
                            @for a in value_texts(v) { a href={ "/api/v1/attachments/" (a) } { (refs.show(&Value::String(a.clone()))) } " " }
                        }
                        (_, Some(v)) => { (refs.show(v)) }
                    }
                }
            }
            @for (k, v) in &unknown {
                dt { code { (k) } " " span.hint { (t(lang, "submission.unknown_field")) } }
                dd data-testid="submission-value" data-key=(k) { (value_text(v)) }
            }
        }
        // A request in approval is read-only until it is returned to its submitter.
        @if may_edit && locked {
            p.hint data-testid="submission-locked" { (t(lang, "submission.locked")) }
        }
        @if may_edit && !locked {
            h2 #edit { (t(lang, "submission.edit")) }
            form.stack.card method="post" action={ "/console/submissions/" (sub.id) } enctype="multipart/form-data" data-testid="edit-form" {
                (ctx.csrf())
                p.hint { (t(lang, "submission.edit_help")) }
                (fields(lang, &schema, failed, "edit", Some(&sub), &refs))
                button type="submit" data-testid="edit-submit" { (t(lang, "common.save")) }
            }
        }
    };
    finish(&ctx, title, &f, failed, body)
}

pub(super) async fn update(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    // The inputs are named after the app's schema fields: read as pairs, not a struct.
    let mut pairs = form.raw.clone();
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
