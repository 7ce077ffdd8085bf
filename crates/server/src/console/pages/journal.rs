//! The journal: filtered, exported, its chain verified.

use super::*;

#[derive(Deserialize, Default)]
pub(crate) struct JournalForm {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    cursor: Option<String>,
}

pub(crate) async fn journal(State(s): State<AppState>, ctx: Ctx, Query(q): Query<JournalForm>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.journal");
    if !ctx.can_read_journal() {
        return not_allowed(&ctx, "journal", title);
    }
    let query = JournalQuery {
        from: nonblank(q.from.map(|x| x.trim().to_owned())),
        to: nonblank(q.to.map(|x| x.trim().to_owned())),
        actor: nonblank(q.actor),
        action: nonblank(q.action),
        target: nonblank(q.target),
        cursor: nonblank(q.cursor),
        limit: Some(50),
    };
    let filters: Vec<(&str, String)> = [
        ("from", &query.from),
        ("to", &query.to),
        ("actor", &query.actor),
        ("action", &query.action),
        ("target", &query.target),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect();
    let (page, err) = match s.svc.journal().entries(&ctx.session.caller, &query).await {
        Ok(p) => (p, None),
        Err(e) => (Default::default(), Some(ApiError::from(e))),
    };
    let err = err.as_ref();
    let export = format!("/api/v1/journal/export?{}", serde_urlencoded::to_string(&filters).unwrap_or_default());
    let older = page.next_cursor.as_ref().map(|c| {
        let mut p = filters.clone();
        p.push(("cursor", c.clone()));
        format!("/console/journal?{}", serde_urlencoded::to_string(&p).unwrap_or_default())
    });
    let field = |name: &'static str, label: &'static str, v: &Option<String>, ph: &'static str| {
        html! {
            label.field {
                span { (label) }
                input name=(name) value=(v.clone().unwrap_or_default()) placeholder=(ph) data-testid={ "journal-" (name) };
                (field_error(lang, err, name))
            }
        }
    };
    // A calendar for the dates; the end date is included, as people read "from ... to ...".
    let day = |name: &'static str, label: &'static str, v: &Option<String>| {
        html! {
            label.field {
                span { (label) }
                input type="date" name=(name) value=(v.clone().unwrap_or_default()) data-testid={ "journal-" (name) };
                (field_error(lang, err, name))
            }
        }
    };
    let body = html! {
        form.inline.filters method="get" action="/console/journal" data-testid="journal-filters" {
            (day("from", t(lang, "journal.from"), &query.from))
            (day("to", t(lang, "journal.to_inclusive"), &query.to))
            (field("actor", t(lang, "journal.actor"), &query.actor, t(lang, "journal.actor_placeholder")))
            (field("action", t(lang, "journal.action"), &query.action, t(lang, "journal.action_placeholder")))
            (field("target", t(lang, "journal.target"), &query.target, t(lang, "journal.target_placeholder")))
            button type="submit" data-testid="journal-submit" { (t(lang, "common.search")) }
            a.button.secondary href=(export) data-testid="journal-export" { (t(lang, "journal.export")) }
        }
        table data-testid="journal-table" {
            thead { tr {
                th { (t(lang, "journal.revision")) } th { (t(lang, "journal.time")) } th { (t(lang, "journal.actor")) } th { (t(lang, "journal.action")) }
                th { (t(lang, "journal.target")) } th { (t(lang, "journal.details")) }
            } }
            tbody {
                @for e in &page.items {
                    tr data-testid="journal-row" data-action=(e.action) {
                        td { (e.revision) } td.nowrap { (format_rfc3339(e.at)) } td { code { (e.actor) } } td { code { (e.action) } } td { code { (e.target) } } td.details { (e.details) }
                    }
                }
                @if page.items.is_empty() { tr { td.muted colspan="6" { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(o) = older { a href=(o) data-testid="journal-older" { (t(lang, "journal.older")) } } }
    };
    match err {
        Some(e) => (status_of(e), layout(&ctx, "journal", title, &Flash::error(lang, e), body)).into_response(),
        None => layout(&ctx, "journal", title, &Flash::default(), body),
    }
}
