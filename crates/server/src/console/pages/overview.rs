//! The console's landing page: for admins a dashboard of what they watch (seats, invitations,
//! departures), each tile linking to where one acts on it; for members a simple overview.

use keiretsu_service::directory::{DepartureView, Handover};
use keiretsu_service::license::LicenseView;
use keiretsu_service::network::{InvitationPreview, InvitationView, NetworkView};

use super::*;

/// How many departures the dashboard lists.
const DEPARTURES_SHOWN: i64 = 5;

pub async fn overview(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let lang = ctx.lang;
    let f = q.flash(lang);
    let title = t(lang, "nav.overview");
    // Someone invited to another organization hears of it here, whatever they act in.
    let invited = s.svc.directory().received_invitations(&ctx.session.caller).await.map_or(0, |l| l.len()) as i64;
    let invitations = html! {
        @if invited > 0 {
            div.notice role="status" data-testid="invitations-notice" {
                (tn(lang, "overview.invitations", "overview.invitations_one", invited, &[])) " "
                a href="/console/account" data-testid="invitations-link" { (t(lang, "overview.invitations_answer")) }
            }
        }
    };
    let Some(org) = ctx.org() else {
        let body = html! {
            (invitations)
            div.card {
                @if ctx.me.operator {
                    p { (t(lang, "overview.operator")) }
                    a href="/console/orgs" data-testid="overview-orgs" { (t(lang, "nav.orgs")) }
                } @else {
                    p.muted { (t(lang, "common.no_org")) }
                }
            }
        };
        return layout(&ctx, "overview", title, &f, body);
    };
    let caller = &ctx.session.caller;
    let (o, deps) = match (s.svc.directory().org(caller, &org).await, s.svc.directory().departments(caller, &org).await)
    {
        (Ok(o), Ok(d)) => (o, d),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, "overview", title, e),
    };
    let members = match s.svc.directory().member_count(caller, &org).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, "overview", title, e),
    };
    let admin = ctx.role().is_some_and(Role::is_admin);
    let title = if admin { t(lang, "dashboard.title") } else { title };
    let tiles = if admin {
        dashboard_tiles(&s, &ctx, &org).await
    } else {
        html! {}
    };
    let facts = html! {
        div.stats data-testid="overview-facts" {
            div.card data-testid="overview-org" {
                span.muted { (t(lang, "overview.organization")) }
                strong { (o.name) }
                span.badge.cert data-testid="overview-certification" data-certification=(o.certification.as_str()) {
                    (certification_text(lang, o.certification.as_str()))
                }
            }
            div.card { span.muted { (t(lang, "overview.members")) } strong data-testid="overview-members" { (members) } }
            div.card { span.muted { (t(lang, "overview.departments")) } strong data-testid="overview-departments" { (deps.len()) } }
            div.card { span.muted { (t(lang, "overview.unread")) } strong { a href="/console/inbox" data-testid="overview-unread" { (ctx.unread) } } }
        }
        @if let Some(role) = ctx.role() { p.muted data-testid="overview-role" { (t(lang, "overview.your_role")) ": " (role_text(lang, role)) } }
    };
    // An admin sees first what needs watching, then the organization's facts.
    let body = html! { (invitations) (tiles) (facts) };
    layout(&ctx, "overview", title, &f, body)
}

/// The admin's tiles, one per area their role covers. A tile whose read fails says why in
/// place; the others still show.
async fn dashboard_tiles(s: &AppState, ctx: &Ctx, org: &OrgId) -> Markup {
    let caller = &ctx.session.caller;
    let seats = match ctx.can(Scope::License) {
        true => Some(s.svc.license().get(caller, org).await),
        false => None,
    };
    let invitations = match ctx.can(Scope::Partners) {
        true => Some(pending_invitations(s, ctx, org).await),
        false => None,
    };
    let departures = match ctx.can(Scope::Directory) {
        true => Some(s.svc.directory().recent_departures(caller, org, DEPARTURES_SHOWN).await),
        false => None,
    };
    let lang = ctx.lang;
    html! {
        div.dash data-testid="dashboard" {
            @if let Some(r) = seats { (seats_tile(lang, r)) }
            @if let Some(r) = invitations { (invitations_tile(lang, r)) }
            @if let Some(r) = departures { (departures_tile(lang, r)) }
        }
    }
}

/// Invitations still waiting for an answer: those each of the organization's networks sent,
/// and those sent to the organization.
struct Pending {
    sent: Vec<(NetworkView, Vec<InvitationView>)>,
    received: Vec<InvitationPreview>,
}

async fn pending_invitations(s: &AppState, ctx: &Ctx, org: &OrgId) -> Result<Pending, keiretsu_service::Error> {
    let caller = &ctx.session.caller;
    let mut sent = Vec::new();
    for n in s.svc.network().networks(caller).await? {
        if n.organization_id != org.as_str() {
            continue;
        }
        let id = keiretsu_domain::ids::NetworkId::parse(&n.id)?;
        let pending = s.svc.network().invitations(caller, &id, Some("pending")).await?;
        sent.push((n, pending.into_iter().filter(|i| !i.expired).collect()));
    }
    let received = s.svc.network().received_invitations(caller).await?.into_iter().filter(|i| !i.expired).collect();
    Ok(Pending { sent, received })
}

fn tile_error(lang: Lang, e: keiretsu_service::Error) -> Markup {
    let e = ApiError::from(e);
    html! { div.error role="alert" data-testid="tile-error" { (error_text(lang, &e)) } }
}

fn seats_tile(lang: Lang, r: Result<LicenseView, keiretsu_service::Error>) -> Markup {
    html! {
        section.card.tile data-testid="dash-seats" aria-labelledby="dash-seats-title" {
            h2 #dash-seats-title { (t(lang, "dashboard.seats")) }
            @match r {
                Err(keiretsu_service::Error::Domain(DomainError::NotFound { what: "license" })) => {
                    p.muted data-testid="dash-no-license" { (t(lang, "license.none")) }
                }
                Err(e) => (tile_error(lang, e)),
                Ok(v) => {
                    p.muted data-testid="dash-edition" { (t(lang, "license.edition")) ": " (v.edition.name) }
                    @match v.counts.purchased {
                        Some(purchased) => {
                            p.figure data-testid="dash-seats-used" {
                                (v.counts.assigned) " " small { (tf(lang, "dashboard.seats_of", &[("purchased", &purchased.to_string())])) }
                            }
                            meter #dash-seats-meter min="0" max=(purchased.max(1)) low=((purchased * 8 / 10).max(1)) high=(purchased.max(1)) optimum="0" value=(v.counts.assigned.min(purchased)) aria-labelledby="dash-seats-title" {}
                            p data-testid="dash-seats-left" data-level=(v.warning_level) {
                                @if v.warning_level >= 100 { strong.status.left { (t(lang, "dashboard.seats_full")) } }
                                @else { (tf(lang, "dashboard.seats_left", &[("n", &v.counts.unassigned.unwrap_or_default().to_string()), ("percent", &v.usage_percent.unwrap_or_default().to_string())])) }
                            }
                        }
                        None => {
                            p.figure data-testid="dash-seats-used" { (v.counts.assigned) " " small { (t(lang, "dashboard.seats_unlimited")) } }
                        }
                    }
                    @if !v.usage.is_empty() {
                        ul.list data-testid="dash-usage" {
                            @for u in &v.usage {
                                li.pool-row data-testid="dash-usage-row" {
                                    span { (u.organization_name) " "
                                        @if u.unit_id.is_some() { span.badge { (t(lang, "license.partner_unit")) } } @else { span.badge { (t(lang, "license.own_org")) } } }
                                    span.muted { (tn(lang, "dashboard.seats_held", "dashboard.seats_held_one", u.assigned, &[])) }
                                }
                            }
                        }
                    }
                    p.act {
                        a.button data-testid="dash-seats-link" href="/console/license/seats" { (t(lang, "dashboard.seats_act")) } " "
                        a href="/console/license" { (t(lang, "license.title")) }
                    }
                }
            }
        }
    }
}

fn invitations_tile(lang: Lang, r: Result<Pending, keiretsu_service::Error>) -> Markup {
    html! {
        section.card.tile data-testid="dash-invitations" aria-labelledby="dash-invitations-title" {
            h2 #dash-invitations-title { (t(lang, "dashboard.invitations")) }
            @match r {
                Err(e) => (tile_error(lang, e)),
                Ok(p) => {
                    @let sent: usize = p.sent.iter().map(|(_, i)| i.len()).sum();
                    p.figure data-testid="dash-invitations-count" { (sent + p.received.len()) }
                    ul.list {
                        @for (n, pending) in &p.sent {
                            li data-testid="dash-sent" {
                                a href={ "/console/networks/" (n.id) "#invitations" } { (n.name) }
                                ": " span data-testid="dash-sent-count" { (tn(lang, "dashboard.sent_waiting", "dashboard.sent_waiting_one", pending.len() as i64, &[])) }
                                @if !pending.is_empty() {
                                    div.handover { (pending.iter().map(|i| i.partner_name.as_str()).collect::<Vec<_>>().join(", ")) }
                                }
                            }
                        }
                        li data-testid="dash-received" {
                            a href="/console/invitations" { (t(lang, "invitations.title")) }
                            ": " span data-testid="dash-received-count" { (tn(lang, "dashboard.received_waiting", "dashboard.received_waiting_one", p.received.len() as i64, &[])) }
                        }
                    }
                    @if p.sent.is_empty() {
                        p.act { a.button href="/console/networks" { (t(lang, "nav.networks")) } }
                    }
                }
            }
        }
    }
}

fn departures_tile(lang: Lang, r: Result<Vec<DepartureView>, keiretsu_service::Error>) -> Markup {
    html! {
        section.card.tile data-testid="dash-departures" aria-labelledby="dash-departures-title" {
            h2 #dash-departures-title { (t(lang, "dashboard.departures")) }
            @match r {
                Err(e) => (tile_error(lang, e)),
                Ok(list) => {
                    @if list.is_empty() { p.muted data-testid="dash-departures-none" { (t(lang, "dashboard.departures_none")) } }
                    ul.list {
                        @for d in &list {
                            li data-testid="dash-departure" data-member-id=(d.member_id) {
                                a href={ "/console/members/" (d.member_id) } data-testid="dash-departure-name" { (d.name) }
                                " " span.muted { (d.left_at.get(..10).unwrap_or(&d.left_at)) }
                                @if !d.still_left { " " span.badge { (t(lang, "dashboard.came_back")) } }
                                @for h in &d.handovers { div.handover data-testid="dash-handover" { (handover_text(lang, h)) } }
                                @if d.handovers.is_empty() { div.handover { (t(lang, "dashboard.nothing_held")) } }
                            }
                        }
                    }
                    p.act { a.button href="/console/members?status=left" data-testid="dash-departures-link" { (t(lang, "dashboard.departures_act")) } }
                }
            }
        }
    }
}

fn handover_text(lang: Lang, h: &Handover) -> Markup {
    match h {
        Handover::Reports { count, to: Some(to) } => html! {
            (tn(lang, "dashboard.reports_to", "dashboard.reports_to_one", *count, &[])) " "
            a href={ "/console/members/" (to.member_id) } { (to.name) }
        },
        Handover::Reports { count, to: None } => {
            html! { (tn(lang, "dashboard.reports_nobody", "dashboard.reports_nobody_one", *count, &[])) }
        }
        Handover::Contact { role, network_id, unit_id, to } => {
            let role = contact_role_text(lang, role);
            html! {
                a href={ "/console/networks/" (network_id) "/units/" (unit_id) } { (tf(lang, "dashboard.contact_post", &[("role", &role)])) }
                ": "
                @match to {
                    Some(to) => { (t(lang, "dashboard.taken_over_by")) " " a href={ "/console/members/" (to.member_id) } { (to.name) } }
                    None => strong.status.left { (t(lang, "handovers.vacant")) },
                }
            }
        }
    }
}
