//! The platform operator's editions and organizations' licenses.

use super::*;

pub(super) async fn editions(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    editions_page(&s, ctx, f, None).await
}

pub(super) async fn editions_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "editions.title");
    if !ctx.me.operator {
        return not_allowed(&ctx, PLATFORM, title);
    }
    let caller = &ctx.session.caller;
    let (list, orgs) = match (s.svc.license().editions(caller).await, s.svc.directory().orgs(caller).await) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, PLATFORM, title, e),
    };
    let names: HashMap<&str, &str> = list.iter().map(|e| (e.key.as_str(), e.name.as_str())).collect();
    let failed = failed.as_ref();
    let lic_err = err_of(failed, "license", None);
    let checked = |at: &str, key: &str, current: bool| ticked(failed, "edition", Some(at), key, current);
    let body = html! {
        p.muted { (t(lang, "editions.help")) }
        table data-testid="edition-table" {
            thead { tr {
                th { (t(lang, "field.object_name")) } th { (t(lang, "editions.seats")) } th { (t(lang, "editions.auto_default")) }
                th { (t(lang, "editions.auto_locked")) } th { (t(lang, "editions.downstream")) } th { (t(lang, "editions.max_networks")) } th {}
            } }
            tbody {
                @for e in &list {
                    @let at = Some(e.key.as_str());
                    @let err = err_of(failed, "edition", at);
                    tr data-testid="edition-row" data-key=(e.key) {
                        td { strong data-testid="edition-row-name" { (e.name) } br; code.muted { (e.key) } }
                        td { @if e.seat_limited { (t(lang, "editions.limited")) } @else { (t(lang, "editions.unlimited")) } }
                        td { (yes_no(lang, e.auto_default)) }
                        td { (yes_no(lang, e.auto_locked)) }
                        td { (yes_no(lang, e.downstream)) }
                        td { (e.max_networks) }
                        td {
                            details open[err.is_some()] {
                                summary data-testid="edition-edit" { (t(lang, "common.manage")) }
                                form.stack method="post" action={ "/console/platform/editions/" (e.key) } data-testid="edition-form" {
                                    (ctx.csrf())
                                    label { (t(lang, "field.object_name")) input name="name" required maxlength="60" value=(typed(failed, "edition", at, "name", &e.name)) data-testid="edition-name"; }
                                    (field_error(lang, err, "name"))
                                    label.check { input type="checkbox" name="seat_limited" checked[checked(&e.key, "seat_limited", e.seat_limited)] data-testid="edition-seat-limited"; (t(lang, "editions.seat_limited")) }
                                    label.check { input type="checkbox" name="auto_default" checked[checked(&e.key, "auto_default", e.auto_default)] data-testid="edition-auto-default"; (t(lang, "editions.auto_default")) }
                                    (field_error(lang, err, "auto_default"))
                                    label.check { input type="checkbox" name="auto_locked" checked[checked(&e.key, "auto_locked", e.auto_locked)] data-testid="edition-auto-locked"; (t(lang, "editions.auto_locked")) }
                                    label.check { input type="checkbox" name="downstream" checked[checked(&e.key, "downstream", e.downstream)] data-testid="edition-downstream"; (t(lang, "editions.downstream")) }
                                    label { (t(lang, "editions.max_networks"))
                                        input name="max_networks" type="number" min="0" max="100" value=(typed(failed, "edition", at, "max_networks", &e.max_networks.to_string())) data-testid="edition-max-networks";
                                    }
                                    (field_error(lang, err, "max_networks"))
                                    button type="submit" data-testid="edition-submit" { (t(lang, "common.save")) }
                                }
                            }
                        }
                    }
                }
            }
        }

        h2 #licenses { (t(lang, "editions.licenses")) }
        table data-testid="org-license-table" {
            thead { tr { th { (t(lang, "units.organization")) } th { (t(lang, "license.edition")) } } }
            tbody {
                @for o in &orgs {
                    tr data-testid="org-license-row" data-org-id=(o.id) {
                        td { (o.name) br; code.muted { (o.id) } }
                        td data-testid="org-license-edition" {
                            @match o.edition.as_deref() {
                                Some(k) => (names.get(k).copied().unwrap_or(k)),
                                None => span.muted { (t(lang, "editions.no_edition")) },
                            }
                        }
                    }
                }
                @if orgs.is_empty() { tr { td.muted colspan="2" { (t(lang, "common.none")) } } }
            }
        }
        form.inline.card method="post" action="/console/platform/licenses" data-testid="license-form" {
            (ctx.csrf())
            label.field { span { (t(lang, "units.organization")) }
                select name="organization_id" data-testid="license-org" {
                    @for o in &orgs { option value=(o.id) selected[typed(failed, "license", None, "organization_id", "") == o.id] { (o.name) } }
                }
                (field_error(lang, lic_err, "organization_id")) }
            label.field { span { (t(lang, "license.edition")) }
                select name="edition" data-testid="license-edition" {
                    @for e in &list { option value=(e.key) selected[typed(failed, "license", None, "edition", "") == e.key] { (e.name) } }
                }
                (field_error(lang, lic_err, "edition")) }
            label.field { span { (t(lang, "license.purchased")) }
                input name="seats" type="number" min="0" value=(typed(failed, "license", None, "seats", "")) placeholder=(t(lang, "editions.seats_placeholder")) data-testid="license-seats";
                (field_error(lang, lic_err, "seats")) }
            button type="submit" data-testid="license-submit" { (t(lang, "editions.set_license")) }
        }
        p.hint { (t(lang, "editions.seats_hint")) }
    };
    finish(&ctx, PLATFORM, title, &f, failed, body)
}

pub(super) fn parse_number(
    raw: Option<String>,
    field: &'static str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    match nonblank(raw) {
        None => Ok(None),
        Some(x) => x
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::from(DomainError::invalid(field, Rule::Range { min, max }))),
    }
}

/// An edition's form: the checkboxes are sent only when ticked; the number as typed, checked
/// here so its error names it.
#[derive(Deserialize)]
pub(super) struct EditionForm {
    #[serde(default)]
    name: String,
    seat_limited: Option<String>,
    auto_default: Option<String>,
    auto_locked: Option<String>,
    downstream: Option<String>,
    max_networks: Option<String>,
}

pub(super) async fn update_edition(
    State(s): State<AppState>,
    Path(key): Path<String>,
    form: Csrf<EditionForm>,
) -> Response {
    let p = &form.form;
    let result = async {
        let input = Edition {
            key: key.clone(),
            name: p.name.clone(),
            seat_limited: p.seat_limited.is_some(),
            auto_default: p.auto_default.is_some(),
            auto_locked: p.auto_locked.is_some(),
            downstream: p.downstream.is_some(),
            max_networks: parse_number(p.max_networks.clone(), "max_networks", 0, 100)?.unwrap_or(0),
        };
        s.svc.license().update_edition(&form.session.caller, &key, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/platform/editions?saved=1").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                editions_page(&s, ctx, Flash::default(), Some(Failed::new("edition", Some(&key), e, &form.raw))).await
            }
            Err(r) => r,
        },
    }
}

/// An organization's edition and purchased seats (empty: unlimited).
#[derive(Deserialize)]
pub(super) struct LicenseForm {
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    edition: String,
    seats: Option<String>,
}

pub(super) async fn set_license(State(s): State<AppState>, form: Csrf<LicenseForm>) -> Response {
    let p = &form.form;
    let result = async {
        let org = OrgId::parse(&p.organization_id).map_err(|e| ApiError::from(e).with_field("organization_id"))?;
        let change =
            LicenseChange { edition: p.edition.clone(), seats: parse_number(p.seats.clone(), "seats", 0, 10_000_000)? };
        s.svc.license().set_license(&form.session.caller, &org, &change).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/platform/editions?saved=1#licenses").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => editions_page(&s, ctx, Flash::default(), Some(Failed::new("license", None, e, &form.raw))).await,
            Err(r) => r,
        },
    }
}
