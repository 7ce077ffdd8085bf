//! The journal: filtered, exported, its chain verified. People and things by name as far as
//! the viewer may know them, each entry's details in a line of words, times in the viewer's zone.

use keiretsu_domain::zone::Zone;
use keiretsu_service::journal::Names;

use super::*;
use crate::console::picker;
use crate::console::when::{local_text, when};
use crate::i18n::{action_text, lookup};

#[derive(Deserialize, Default)]
pub(crate) struct JournalForm {
    from: Option<String>,
    to: Option<String>,
    person: Option<String>,
    organization: Option<String>,
    action: Option<String>,
    target: Option<String>,
    cursor: Option<String>,
    // Older links and scripts may still say `actor`: an account id, as before.
    actor: Option<String>,
}

/// A date typed in the form is a day in the viewer's zone; the service takes instants.
fn instant(zone: &Zone, field: &str, text: Option<&str>, end: bool) -> Result<Option<String>, DomainError> {
    let Some(text) = text else { return Ok(None) };
    if text.len() != 10 {
        // A full UTC time (from a link or the API's form) goes through as it is.
        return Ok(Some(text.to_owned()));
    }
    let at = if end { zone.day_end(field, text)? } else { zone.day_start(field, text)? };
    Ok(Some(format_rfc3339(at)))
}

fn query_of(ctx: &Ctx, q: &JournalForm) -> Result<JournalQuery, DomainError> {
    Ok(JournalQuery {
        from: instant(&ctx.zone, "from", trimmed(&q.from).as_deref(), false)?,
        to: instant(&ctx.zone, "to", trimmed(&q.to).as_deref(), true)?,
        actor: trimmed(&q.actor),
        person: trimmed(&q.person),
        organization: trimmed(&q.organization),
        action: trimmed(&q.action),
        target: trimmed(&q.target),
        cursor: trimmed(&q.cursor),
        limit: Some(50),
    })
}

/// An id as the viewer knows it: the name (a person's with their organization), the id itself
/// behind a toggle; an id with no name it may see stays an id.
fn named(lang: Lang, names: &Names, id: &str) -> Markup {
    if id == "system" {
        return html! { span.muted { (t(lang, "journal.system")) } };
    }
    html! {
        @match names.get(id) {
            Some(n) => {
                span.name data-testid="journal-name" { (n.name) }
                @if let Some(org) = &n.org_name { " " span.muted { "(" (org) ")" } }
                details.ids { summary { (t(lang, "journal.id")) } code { (id) } }
            }
            None => code { (id) },
        }
    }
}

/// One value of an entry's details in words: names for ids, local times, lists joined.
fn value_text(lang: Lang, zone: &Zone, names: &Names, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => t(lang, "common.yes").into(),
        Value::Bool(false) => t(lang, "common.no").into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match names.get(s) {
            Some(n) => n.name.clone(),
            None if s.len() >= 20 && s.ends_with('Z') => match keiretsu_domain::time::parse_rfc3339("at", s) {
                Ok(at) => local_text(lang, zone, at),
                Err(_) => s.clone(),
            },
            None => s.clone(),
        },
        Value::Array(items) if items.iter().all(|i| i.is_string()) => {
            let shown: Vec<String> = items.iter().take(5).map(|i| value_text(lang, zone, names, i)).collect();
            let more = items.len().saturating_sub(shown.len());
            let mut text = if shown.is_empty() { "—".to_owned() } else { shown.join(", ") };
            if more > 0 {
                text += &tf(lang, "journal.and_more", &[("n", &more.to_string())]);
            }
            text
        }
        Value::Array(items) => tn(lang, "journal.items", "journal.items_one", items.len() as i64, &[]),
        Value::Object(map) => tn(lang, "journal.items", "journal.items_one", map.len() as i64, &[]),
    }
}

/// An entry's details as one line: "Name: Li Na · Departments: Sales, Plant"; a change as
/// "Title: — → Buyer".
pub(crate) fn summary(lang: Lang, zone: &Zone, names: &Names, action: &str, details: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(details) else {
        return String::new();
    };
    let pairs = keiretsu_domain::journal::CHANGE_PAIRS.contains(&action);
    map.iter()
        .map(|(key, v)| {
            let label = lookup(lang, &format!("detail.{key}")).map_or_else(|| key.clone(), str::to_owned);
            // Some entries keep a time as epoch milliseconds (`expires_at`): a time all the same.
            let value = match (v.as_i64(), v.as_array()) {
                (Some(ms), _) if key.ends_with("_at") => local_text(lang, zone, ms),
                (_, Some(two)) if pairs && two.len() == 2 => tf(
                    lang,
                    "journal.change_pair",
                    &[
                        ("before", &value_text(lang, zone, names, &two[0])),
                        ("after", &value_text(lang, zone, names, &two[1])),
                    ],
                ),
                _ => value_text(lang, zone, names, v),
            };
            tf(lang, "journal.detail_pair", &[("label", &label), ("value", &value)])
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Entries shown on a member's page.
const RECENT: i64 = 10;

/// The latest journal entries about one person, for their member page; nothing for a viewer who
/// may not read the journal.
pub(crate) async fn recent_about(s: &AppState, ctx: &Ctx, person: &str) -> Result<Markup, ApiError> {
    if !ctx.can_read_journal() {
        return Ok(html! {});
    }
    let lang = ctx.lang;
    let caller = &ctx.session.caller;
    let q = JournalQuery { person: Some(person.to_owned()), limit: Some(RECENT), ..Default::default() };
    let page = s.svc.journal().entries(caller, &q).await?;
    let names = s.svc.journal().names(caller, &page.items).await?;
    let all = format!("/console/journal?{}", serde_urlencoded::to_string([("person", person)]).unwrap_or_default());
    Ok(html! {
        section.card data-testid="member-journal" {
            h2 { (t(lang, "members.recent_journal")) }
            @if page.items.is_empty() { p.muted { (t(lang, "common.none")) } }
            @else {
                table {
                    thead { tr { th { (t(lang, "journal.time")) } th { (t(lang, "journal.actor")) } th { (t(lang, "journal.action")) } th { (t(lang, "journal.details")) } } }
                    tbody {
                        @for e in &page.items {
                            tr data-testid="member-journal-row" data-action=(e.action) {
                                td.nowrap { (when(ctx, e.at)) }
                                td { (named(lang, &names, &e.actor)) }
                                td { (action_text(lang, &e.action)) }
                                td { (summary(lang, &ctx.zone, &names, &e.action, &e.details)) }
                            }
                        }
                    }
                }
            }
            p { a href=(all) data-testid="member-journal-all" { (t(lang, "members.journal_all")) } }
        }
    })
}

pub(crate) async fn journal(State(s): State<AppState>, ctx: Ctx, Query(q): Query<JournalForm>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.journal");
    if !ctx.can_read_journal() {
        return not_allowed(&ctx, "journal", title);
    }
    let query = query_of(&ctx, &q);
    let (page, names, err) = match &query {
        Ok(query) => match s.svc.journal().entries(&ctx.session.caller, query).await {
            Ok(p) => match s.svc.journal().names(&ctx.session.caller, &p.items).await {
                Ok(n) => (p, n, None),
                Err(e) => (p, Names::default(), Some(ApiError::from(e))),
            },
            Err(e) => (Default::default(), Names::default(), Some(ApiError::from(e))),
        },
        Err(e) => (Default::default(), Names::default(), Some(ApiError::from(e.clone()))),
    };
    let err = err.as_ref();
    // The form's own values, as typed (dates as days), for links back to this page.
    let typed: Vec<(&str, String)> = [
        ("from", &q.from),
        ("to", &q.to),
        ("person", &q.person),
        ("organization", &q.organization),
        ("action", &q.action),
        ("target", &q.target),
        ("actor", &q.actor),
    ]
    .into_iter()
    .filter_map(|(k, v)| nonblank(v.clone()).map(|v| (k, v)))
    .collect();
    // The export takes the same filter with the days turned into instants of the viewer's zone.
    let export = query.as_ref().ok().map(|query| {
        let pairs: Vec<(&str, &String)> = [
            ("from", &query.from),
            ("to", &query.to),
            ("actor", &query.actor),
            ("person", &query.person),
            ("organization", &query.organization),
            ("action", &query.action),
            ("target", &query.target),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        format!("/api/v1/journal/export?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    let older = page.next_cursor.as_ref().map(|c| {
        let mut p = typed.clone();
        p.push(("cursor", c.clone()));
        format!("/console/journal?{}", serde_urlencoded::to_string(&p).unwrap_or_default())
    });
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let field = |name: &'static str, label: &'static str, v: &Option<String>, ph: &'static str| {
        html! {
            label.field {
                span { (label) }
                input name=(name) value=(value(v)) placeholder=(ph) data-testid={ "journal-" (name) };
                (field_error(lang, err, name))
            }
        }
    };
    // A calendar for the dates; the end date is included, as people read "from ... to ...".
    let day = |name: &'static str, label: &'static str, v: &Option<String>| {
        html! {
            label.field {
                span { (label) }
                input type="date" name=(name) value=(value(v)) data-testid={ "journal-" (name) };
                (field_error(lang, err, name))
            }
        }
    };
    // The person by picker (the organization's people and its networks'); the operator's
    // journal holds accounts, typed as ids.
    let person = trimmed(&q.person).unwrap_or_default();
    let person_names = match ctx.org() {
        Some(_) => picker::names(&s, &ctx, &picker::ids(&person)).await,
        None => Default::default(),
    };
    let person_field = match ctx.org() {
        Some(_) => html! {
            div.field {
                label for="journal-person" { (t(lang, "journal.person")) }
                (picker::Picker {
                    name: "person", id: Some("journal-person"), from: picker::From::Reach, multiple: false,
                    required: false, testid: "journal-person", label: None, value: &person, names: &person_names,
                }.render(lang))
                (field_error(lang, err, "person"))
            }
        },
        None => field("person", t(lang, "journal.person"), &q.person, t(lang, "journal.person_placeholder")),
    };
    let organizations = s.svc.journal().organizations(&ctx.session.caller).await.unwrap_or_default();
    let chosen_org = value(&q.organization);
    let chosen_action = value(&q.action);
    let mut actions: Vec<(String, &str)> =
        keiretsu_domain::journal::ACTIONS.iter().map(|a| (action_text(lang, a), *a)).collect();
    actions.sort();
    let body = html! {
        form.inline.filters method="get" action="/console/journal" data-testid="journal-filters" {
            (day("from", t(lang, "journal.from"), &q.from))
            (day("to", t(lang, "journal.to_inclusive"), &q.to))
            (person_field)
            label.field {
                span { (t(lang, "journal.organization")) }
                select name="organization" data-testid="journal-organization" {
                    option value="" { (t(lang, "journal.any_organization")) }
                    @for o in &organizations {
                        option value=(o.id) selected[chosen_org == o.id] { (o.name) }
                    }
                    // A link may name an organization the list does not hold: kept, as an id.
                    @if !chosen_org.is_empty() && !organizations.iter().any(|o| o.id == chosen_org) {
                        option value=(chosen_org) selected { (chosen_org) }
                    }
                }
                (field_error(lang, err, "organization"))
            }
            label.field {
                span { (t(lang, "journal.action")) }
                select name="action" data-testid="journal-action" {
                    option value="" { (t(lang, "journal.any_action")) }
                    @for (text, code) in &actions {
                        option value=(code) selected[chosen_action == *code] { (text) }
                    }
                }
                (field_error(lang, err, "action"))
            }
            (field("target", t(lang, "journal.target"), &q.target, t(lang, "journal.target_placeholder")))
            @if let Some(a) = nonblank(q.actor.clone()) { input type="hidden" name="actor" value=(a); }
            button type="submit" data-testid="journal-submit" { (t(lang, "common.search")) }
            @if let Some(export) = &export {
                a.button.secondary href=(export) data-testid="journal-export" { (t(lang, "journal.export")) }
            }
        }
        p.muted data-testid="journal-zone" { (tf(lang, "journal.zone_note", &[("zone", ctx.zone.name())])) }
        table data-testid="journal-table" {
            thead { tr {
                th { (t(lang, "journal.revision")) } th { (t(lang, "journal.time")) } th { (t(lang, "journal.actor")) } th { (t(lang, "journal.action")) }
                th { (t(lang, "journal.target")) } th { (t(lang, "journal.details")) }
            } }
            tbody {
                @for e in &page.items {
                    tr data-testid="journal-row" data-action=(e.action) {
                        td { (e.revision) }
                        td.nowrap data-testid="journal-time" { (when(&ctx, e.at)) }
                        td data-testid="journal-actor" { (named(lang, &names, &e.actor)) }
                        td data-testid="journal-action-text" { (action_text(lang, &e.action)) }
                        td data-testid="journal-target" { (named(lang, &names, &e.target)) }
                        td {
                            span data-testid="journal-summary" { (summary(lang, &ctx.zone, &names, &e.action, &e.details)) }
                            details.ids { summary { (t(lang, "journal.raw")) } code.details { (e.details) } }
                        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use keiretsu_service::journal::Named;

    #[test]
    fn details_read_as_one_line_with_names_and_local_times() {
        let names = Names::from(vec![Named { id: "dep_plant".into(), name: "Plant".into(), org_name: None }]);
        let zone = Zone::parse("z", "Asia/Shanghai").unwrap();
        let details =
            r#"{"department_ids":["dep_plant","dep_hidden"],"expires_at":1795478400000,"name":"Li Na","on":true}"#;
        assert_eq!(
            summary(Lang::En, &zone, &names, "member.join", details),
            "Departments: Plant, dep_hidden · Expires: 24 Nov 2026, 08:00 · Name: Li Na · On: Yes"
        );
        assert_eq!(
            summary(Lang::Zh, &zone, &names, "member.join", details),
            "部门：Plant, dep_hidden · 过期时间：2026年11月24日 08:00 · 名称：Li Na · 开启：是"
        );
        assert_eq!(summary(Lang::En, &zone, &names, "member.join", "not json"), "");
        // A change reads as before and after; the same list in another action stays a list.
        let change = r#"{"supervisor_id":[null,"dep_plant"],"title":["Clerk","Buyer"]}"#;
        assert_eq!(
            summary(Lang::En, &zone, &names, "member.update", change),
            "Supervisor: — → Plant · Title: Clerk → Buyer"
        );
        assert_eq!(
            summary(Lang::Zh, &zone, &names, "member.update", change),
            "直属上级：— → Plant · 职位：Clerk → Buyer"
        );
        assert_eq!(
            summary(Lang::En, &zone, &names, "member.join", r#"{"title":["Clerk","Buyer"]}"#),
            "Title: Clerk, Buyer"
        );
    }
}
