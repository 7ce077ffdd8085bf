//! The license dashboard: counts, usage by organization and unit, auto-authorization.

use super::*;

pub(super) async fn dashboard(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Done>) -> Response {
    let f = q.flash(ctx.lang);
    dashboard_page(&s, ctx, f, None).await
}

pub(super) async fn dashboard_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "license.title");
    let (_, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let failed = failed.as_ref();
    let e = v.edition.clone();
    let total: i64 = v.usage.iter().map(|u| u.assigned).sum();
    let auto_err = err_of(failed, "auto", None);
    let release_err = err_of(failed, "release", None);
    let body = html! {
        (tabs("dashboard", lang))
        (warning_banner(lang, &v))
        p data-testid="edition" {
            (t(lang, "license.edition")) ": " strong data-testid="edition-name" { (e.name) } " "
            span.badge { @if e.seat_limited { (t(lang, "editions.limited")) } @else { (t(lang, "editions.unlimited")) } }
        }
        (counts_cards(lang, &v))
        h2 { (t(lang, "license.usage")) }
        @match v.usage_percent {
            Some(pct) => {
                @let shown = pct.clamp(0, 100);
                @let fill = if v.warning_level >= 100 { "gauge-fill full" } else if v.warning_level >= 80 { "gauge-fill warn" } else { "gauge-fill" };
                div.gauge data-testid="usage-gauge" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(shown) aria-label=(t(lang, "license.usage")) {
                    p { span.gauge-percent data-testid="usage-percent" { (pct) "%" } " " span.muted { (t(lang, "license.usage_of_purchased")) } }
                    svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
                        rect.gauge-track x="0" y="0" width="100" height="10" {}
                        rect class=(fill) x="0" y="0" width=(shown) height="10" data-testid="usage-fill" {}
                        line.gauge-mark x1="80" x2="80" y1="0" y2="10" vector-effect="non-scaling-stroke" {}
                    }
                    div.gauge-scale aria-hidden="true" {
                        span.at-0 { "0%" }
                        span.at-80 data-testid="usage-mark" { "80%" }
                        span.at-100 { "100%" }
                    }
                }
            }
            None => p.muted data-testid="usage-unlimited" { (t(lang, "license.usage_unlimited")) },
        }
        table data-testid="usage-table" {
            thead { tr {
                th { (t(lang, "units.organization")) } th { (t(lang, "license.holder")) }
                th { (t(lang, "license.assigned")) } th { (t(lang, "license.share")) }
            } }
            tbody {
                @for u in &v.usage {
                    tr data-testid="usage-row" data-organization-id=(u.organization_id) {
                        td { (u.organization_name) }
                        td { @if u.unit_id.is_some() { span.badge { (t(lang, "license.partner_unit")) } } @else { span.badge { (t(lang, "license.own_org")) } } }
                        td data-testid="usage-assigned" { (u.assigned) }
                        td { @if total > 0 { (u.assigned * 100 / total) "%" } @else { "—" } }
                    }
                }
                @if v.usage.is_empty() { tr { td.muted colspan="4" data-testid="usage-empty" { (t(lang, "license.usage_none")) } } }
            }
        }
        p { a.button.secondary href=(SEATS) data-testid="seats-link" { (t(lang, "license.tab_seats")) } " "
            a.button.secondary href="/console/license/entry-rules" data-testid="entry-rules-link" { (t(lang, "license.tab_entry_rules")) } }

        h2 #auto { (t(lang, "license.auto_title")) }
        div.card data-testid="auto-card" {
            p {
                (t(lang, "license.auto_state")) ": "
                strong data-testid="auto-status" data-on=(v.auto_authorize) {
                    @if v.auto_authorize { (t(lang, "license.auto_on")) } @else { (t(lang, "license.auto_off")) }
                }
                " "
                span.muted data-testid="auto-origin" {
                    @if v.auto_set_by_admin { (t(lang, "license.auto_by_admin")) } @else { (t(lang, "license.auto_by_edition")) }
                }
            }
            ul.rules data-testid="auto-rules" {
                li { (t(lang, "license.rule_first_visit")) }
                li { (t(lang, "license.rule_listed")) }
                li { (t(lang, "license.rule_limit")) }
                li { (t(lang, "license.rule_frozen")) }
                li { (t(lang, "license.rule_trial")) }
                li { (t(lang, "license.rule_edition")) }
            }
            form.inline method="post" action="/console/license/auto" data-testid="auto-form" {
                (ctx.csrf())
                input type="hidden" name="on" value=(if v.auto_authorize { "false" } else { "true" });
                @if v.auto_authorize {
                    button.secondary type="submit" disabled[e.auto_locked] data-testid="auto-toggle" { (t(lang, "license.auto_switch_off")) }
                    @if e.auto_locked { span.hint data-testid="auto-locked" { (t(lang, "license.auto_locked")) } }
                } @else {
                    button type="submit" data-testid="auto-toggle" { (t(lang, "license.auto_switch_on")) }
                }
                (field_error(lang, auto_err, "auto_authorize"))
            }
        }

        h2 #departed { (t(lang, "license.release_title")) }
        div.card {
            p.muted { (t(lang, "license.release_help")) }
            form.inline method="post" action="/console/license/release-departed" data-testid="release-form" {
                (ctx.csrf())
                button.secondary type="submit" data-testid="release-departed" { (t(lang, "license.release_button")) }
            }
            @if let Some(e) = release_err { span.field-error role="alert" { (error_text(lang, e)) } }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}

/// The auto-authorization switch: `on` is what pressing it asks for.
#[derive(Deserialize)]
pub(super) struct AutoForm {
    #[serde(default)]
    on: String,
}

pub(super) async fn set_auto(State(s): State<AppState>, form: Csrf<AutoForm>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        let on = form.form.on == "true";
        s.svc.license().set_auto_authorize(&form.session.caller, &org, &AutoChange { on }).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/console/license?saved=1#auto").into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => dashboard_page(&s, ctx, Flash::default(), Some(Failed::new("auto", None, e, &form.raw))).await,
            Err(r) => r,
        },
    }
}

pub(super) async fn release_departed(State(s): State<AppState>, form: Csrf<NoFields>) -> Response {
    let result = async {
        let org = acting_org(&form)?;
        Ok::<u64, ApiError>(s.svc.license().release_departed(&form.session.caller, &org).await?.changed)
    }
    .await;
    match result {
        Ok(n) => Redirect::to(&format!("/console/license?changed={n}")).into_response(),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                dashboard_page(&s, ctx, Flash::default(), Some(Failed::new("release", None, e, &form.raw))).await
            }
            Err(r) => r,
        },
    }
}
