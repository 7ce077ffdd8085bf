//! Member import from CSV, with its row-by-row report.

use super::*;

pub(crate) fn import_form(ctx: &Ctx, csv: &str, skip_bad: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        p.muted { (t(lang, "import.help")) }
        form.stack.wide.card method="post" action="/console/import" data-testid="import-form" {
            (ctx.csrf())
            label for="import-file" { (t(lang, "import.file")) }
            input #import-file type="file" accept=".csv,text/csv,text/plain" data-testid="import-file" data-read-into="import-csv";
            label for="import-csv" { (t(lang, "import.csv")) }
            textarea #import-csv name="csv" rows="14" spellcheck="false" data-testid="import-csv" { (csv) }
            label.check { input type="checkbox" name="skip_bad" checked[skip_bad] data-testid="import-skip-bad"; (t(lang, "import.skip_bad")) }
            button type="submit" data-testid="import-submit" { (t(lang, "import.submit")) }
        }
    }
}

pub(crate) async fn import_page(ctx: Ctx) -> Response {
    let title = t(ctx.lang, "nav.import");
    if !ctx.can(Scope::Directory) {
        return not_allowed(&ctx, "import", title);
    }
    let body = import_form(&ctx, "employee_no,name,login,phone,email,title,department\n", false);
    layout(&ctx, "import", title, &Flash::default(), body)
}

#[derive(Deserialize)]
pub(crate) struct ImportForm {
    #[serde(default)]
    csv: String,
    skip_bad: Option<String>,
}

pub(crate) async fn import(State(s): State<AppState>, form: Csrf<ImportForm>) -> Response {
    let ctx = match ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let title = t(lang, "nav.import");
    let Some(org) = ctx.org() else { return no_org(&ctx, "import", title) };
    let skip_bad = form.form.skip_bad.is_some();
    let report = match s.svc.directory().import_members(&ctx.session.caller, &org, &form.form.csv, skip_bad, &()).await
    {
        Ok(r) => r,
        Err(e) => {
            let e = ApiError::from(e);
            let body = import_form(&ctx, &form.form.csv, skip_bad);
            return (status_of(&e), layout(&ctx, "import", title, &Flash::error(lang, &e), body)).into_response();
        }
    };
    let counts = [
        ("created", report.created.to_string()),
        ("updated", report.updated.to_string()),
        ("skipped", report.skipped.to_string()),
        ("invited", report.invited.len().to_string()),
    ];
    let counts: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let f = if report.applied {
        Flash { notice: Some(tf(lang, "import.done", &counts)), error: None }
    } else {
        Flash {
            error: Some(tn(lang, "import.refused", "import.refused_one", report.errors.len() as i64, &[])),
            notice: None,
        }
    };
    let body = html! {
        div.stats data-testid="import-report" data-applied=(report.applied) {
            div.card { span.muted { (t(lang, "import.created")) } strong data-testid="import-created" { (report.created) } }
            div.card { span.muted { (t(lang, "import.updated")) } strong data-testid="import-updated" { (report.updated) } }
            div.card { span.muted { (t(lang, "import.skipped")) } strong data-testid="import-skipped" { (report.skipped) } }
            div.card { span.muted { (t(lang, "import.invited")) } strong data-testid="import-invited" { (report.invited.len()) } }
        }
        @if !report.invited.is_empty() {
            h2 { (t(lang, "import.invited")) }
            p.muted { (t(lang, "import.invited_help")) }
            table data-testid="import-invited-rows" {
                thead { tr { th { (t(lang, "import.line")) } th { (t(lang, "field.login")) } } }
                tbody { @for r in &report.invited { tr data-testid="import-invited-row" { td { (r.line) } td { (r.login) } } } }
            }
        }
        @if !report.errors.is_empty() {
            h2 { (t(lang, "import.errors")) }
            table data-testid="import-errors" {
                thead { tr { th { (t(lang, "import.line")) } th { (t(lang, "import.field")) } th { (t(lang, "import.reason")) } } }
                tbody { @for e in &report.errors { tr data-testid="import-error-row" { td { (e.line) } td { code { (e.field) } } td { (e.reason) } } } }
            }
        }
        (import_form(&ctx, if report.applied { "" } else { &form.form.csv }, skip_bad))
    };
    let status = if report.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, layout(&ctx, "import", title, &f, body)).into_response()
}
