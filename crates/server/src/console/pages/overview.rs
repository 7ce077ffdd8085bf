//! The console's overview page.

use super::*;

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
    let body = html! {
        (invitations)
        div.stats {
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
    layout(&ctx, "overview", title, &f, body)
}
