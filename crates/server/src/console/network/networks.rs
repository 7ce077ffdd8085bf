//! The console's list of networks and one network's page with its forms.

use super::*;
use crate::console::when::{when, when_text};

pub(super) async fn networks(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    networks_page(&s, ctx, f, None).await
}

pub(super) async fn networks_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.networks");
    if ctx.org().is_none() {
        return no_org(&ctx, ACTIVE, title);
    }
    let list = match s.svc.network().networks(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let unseen = if list.is_empty() {
        match s.svc.network().org_network_count(&ctx.session.caller).await {
            Ok(n) => n,
            Err(e) => return err_page(&ctx, ACTIVE, title, e),
        }
    } else {
        0
    };
    let failed = failed.as_ref();
    let e = err_of(failed, "create", None);
    let partners = ctx.can(Scope::Partners);
    let body = html! {
        p.muted { (t(lang, "networks.help")) }
        @if partners {
            p { a href="/console/invitations" data-testid="received-invitations-link" { (t(lang, "invitations.title")) } }
        }
        table data-testid="network-table" {
            thead { tr {
                th { (t(lang, "field.object_name")) } th { (t(lang, "networks.membership")) }
                th { (t(lang, "networks.visibility")) } th { (t(lang, "networks.created")) }
            } }
            tbody {
                @for n in &list {
                    tr data-testid="network-row" data-network-id=(n.id) {
                        td {
                            a href={ "/console/networks/" (n.id) } data-testid="network-link" { (n.name) }
                            @if !n.description.is_empty() { br; span.muted { (n.description) } }
                        }
                        td { span.badge data-testid="network-membership" { (membership_text(lang, &n.membership)) } }
                        td { (visibility_text(lang, n.visibility).0) }
                        td.nowrap { (when_text(&ctx, &n.created_at)) }
                    }
                }
                @if list.is_empty() {
                    tr { td.muted colspan="4" data-testid="network-empty" {
                        @if unseen > 0 { (tn(lang, "networks.not_a_member", "networks.not_a_member_one", unseen as i64, &[])) }
                        @else { (t(lang, "networks.none")) }
                    } }
                }
            }
        }
        @if partners {
            h2 { (t(lang, "networks.create")) }
            form.stack.card method="post" action="/console/networks" data-testid="network-form" {
                (ctx.csrf())
                label for="n-name" { (t(lang, "field.object_name")) }
                input #n-name name="name" required maxlength="80" value=(typed(failed, "create", None, "name", "")) data-testid="network-name";
                (field_error(lang, e, "name"))
                label for="n-description" { (t(lang, "networks.description")) }
                textarea.short #n-description name="description" rows="3" data-testid="network-description" { (typed(failed, "create", None, "description", "")) }
                (field_error(lang, e, "description"))
                button type="submit" data-testid="network-submit" { (t(lang, "networks.create")) }
                (field_error(lang, e, "organization"))
            }
        }
    };
    finish(&ctx, title, &f, failed, body)
}

#[derive(Deserialize)]
pub(super) struct NetworkForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub(super) async fn create_network(State(s): State<AppState>, form: Csrf<NetworkForm>) -> Response {
    let p = &form.form;
    let input = NewNetwork { name: p.name.clone(), description: p.description.clone() };
    match s.svc.network().create_network(&form.session.caller, &input).await {
        Ok(n) => saved(&format!("/console/networks/{}", n.id)),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let failed = Failed::new("create", None, e.into(), &form.raw);
                networks_page(&s, ctx, Flash::default(), Some(failed)).await
            }
            Err(r) => r,
        },
    }
}

// ----- one network -----

/// An invitation just created or resent: its code and link, shown this once.
pub(super) struct Created {
    pub(super) code: String,
    pub(super) link: String,
}

/// Units and backbone members shown at once on the network page.
const LIST_PAGE: usize = 50;

/// The network page's address: the saved notice, and the search and paging of its two long
/// lists (units, and the backbone's network members), kept in links so each survives the other.
#[derive(Deserialize, Default)]
pub(super) struct NetworkParams {
    saved: Option<String>,
    /// Units whose organization, partner type or tier holds this text.
    units_q: Option<String>,
    /// The units page, from 1.
    units_page: Option<String>,
    /// Backbone members found by name, login, phone or employee number.
    members_q: Option<String>,
    members_cursor: Option<String>,
}

impl NetworkParams {
    /// This page's link with `changes` made (an empty value drops the parameter).
    fn link(&self, base: &str, anchor: &str, changes: &[(&str, &str)]) -> String {
        let mut p: Vec<(&str, String)> = [
            ("units_q", &self.units_q),
            ("units_page", &self.units_page),
            ("members_q", &self.members_q),
            ("members_cursor", &self.members_cursor),
        ]
        .into_iter()
        .filter_map(|(k, v)| trimmed(v).map(|v| (k, v)))
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .collect();
        p.extend(changes.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, (*v).to_owned())));
        let q = serde_urlencoded::to_string(&p).unwrap_or_default();
        if q.is_empty() { format!("{base}#{anchor}") } else { format!("{base}?{q}#{anchor}") }
    }
}

pub(super) async fn network(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<NetworkParams>,
) -> Response {
    let f = Saved { saved: q.saved.clone() }.flash(ctx.lang);
    network_page(&s, ctx, &id, f, None, None, &q).await
}

pub(super) async fn network_page(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    f: Flash,
    created: Option<Created>,
    failed: Option<Failed>,
    lists: &NetworkParams,
) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "nav.networks");
    let caller = &ctx.session.caller;
    let nid = match network_id(id) {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let net = match s.svc.network().get(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let (types, units) =
        match (s.svc.network().partner_types(caller, &nid).await, s.svc.network().units(caller, &nid).await) {
            (Ok(x), Ok(u)) => (x, u),
            (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
        };
    // Invitations, backbone members and handovers are the backbone's partner admins' alone:
    // decided here from the role, so for them any failure below is a real one.
    let admin = backbone_admin(&ctx, &net);
    let (invitations, members, handovers, deps, names) = match ctx.org() {
        Some(org) if admin => {
            let loaded = async {
                let backbone = PeopleQuery {
                    unit_id: Some("backbone".into()),
                    q: trimmed(&lists.members_q),
                    cursor: trimmed(&lists.members_cursor),
                    limit: Some(LIST_PAGE as i64),
                    ..Default::default()
                };
                let everyone = PeopleQuery { limit: Some(200), ..Default::default() };
                let names: HashMap<String, String> = s
                    .svc
                    .network()
                    .people(caller, &nid, &everyone)
                    .await?
                    .items
                    .into_iter()
                    .map(|p| (p.member_id, p.name))
                    .collect();
                Ok::<_, ApiError>((
                    s.svc.network().invitations(caller, &nid, None).await?,
                    s.svc.network().people(caller, &nid, &backbone).await?,
                    s.svc.network().handovers(caller, &nid).await?,
                    s.svc.directory().departments(caller, &org).await?,
                    names,
                ))
            }
            .await;
            match loaded {
                Ok(x) => x,
                Err(e) => return err_page(&ctx, ACTIVE, &net.name, e),
            }
        }
        _ => (Vec::new(), Default::default(), Vec::new(), Vec::new(), HashMap::new()),
    };
    let members_next = members
        .next_cursor
        .as_deref()
        .map(|c| lists.link(&format!("/console/networks/{}", net.id), "members", &[("members_cursor", c)]));
    let members = members.items;
    // Units are few enough to filter here: by organization, partner type (in words) or tier.
    let units_q = trimmed(&lists.units_q).unwrap_or_default();
    let wanted = units_q.to_lowercase();
    let found: Vec<&UnitView> = units
        .iter()
        .filter(|u| {
            wanted.is_empty()
                || [u.organization_name.clone(), type_name(lang, &u.partner_type, &types), u.tier.clone()]
                    .iter()
                    .any(|x| x.to_lowercase().contains(&wanted))
        })
        .collect();
    let pages = found.len().div_ceil(LIST_PAGE).max(1);
    let units_page = trimmed(&lists.units_page).and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let shown_units = &found[(units_page - 1) * LIST_PAGE..found.len().min(units_page * LIST_PAGE)];
    let failed = failed.as_ref();
    let typed_members = typed(failed, "members", None, "member_ids", "");
    let typed_names = picker::names(s, &ctx, &picker::ids(&typed_members)).await;
    let base = format!("/console/networks/{}", net.id);
    let tier_names = all_tiers(&types);
    let (vis_name, vis_help) = visibility_text(lang, net.visibility);
    let name_of = |m: &str| names.get(m).cloned().unwrap_or_else(|| m.to_owned());
    let picked_members_deps = typed_all(failed, "members", None, "department_id");

    let units_section = html! {
        h2 #units { (t(lang, "networks.units")) }
        @if units.len() > LIST_PAGE || !units_q.is_empty() {
            form.inline.filters method="get" action={ (base) "#units" } data-testid="unit-search" {
                input type="search" name="units_q" value=(units_q) placeholder=(t(lang, "units.search_placeholder"))
                    aria-label=(t(lang, "units.search_placeholder")) data-testid="unit-q";
                @if let Some(m) = trimmed(&lists.members_q) { input type="hidden" name="members_q" value=(m); }
                button type="submit" data-testid="unit-search-submit" { (t(lang, "common.search")) }
                span.muted data-testid="unit-found" { (tn(lang, "units.found", "units.found_one", found.len() as i64, &[])) }
            }
        }
        table data-testid="unit-table" {
            thead { tr {
                th { (t(lang, "units.organization")) } th { (t(lang, "units.type")) } th { (t(lang, "units.tier")) }
                th { (t(lang, "field.status")) } th { (t(lang, "units.members")) } th { (t(lang, "units.joined")) }
            } }
            tbody {
                @for u in shown_units {
                    tr data-testid="unit-row" data-unit-id=(u.id) data-status=(u.status) {
                        td {
                            a href={ (base) "/units/" (u.id) } data-testid="unit-link" { (u.organization_name) }
                            @if u.managed { " " span.badge { (t(lang, "units.managed")) } }
                        }
                        td { (type_name(lang, &u.partner_type, &types)) }
                        td { (u.tier) }
                        td { span.status.left[u.status != "active"] data-testid="unit-status" { (unit_status_text(lang, &u.status)) } }
                        td { (u.member_count) }
                        td.nowrap { (when_text(&ctx, &u.joined_at)) }
                    }
                }
                @if found.is_empty() { tr { td.muted colspan="6" data-testid="unit-empty" { (t(lang, "units.none")) } } }
            }
        }
        @if pages > 1 {
            div.pager data-testid="unit-pager" {
                @if units_page > 1 {
                    a href=(lists.link(&base, "units", &[("units_page", &(units_page - 1).to_string())])) data-testid="unit-previous" { (t(lang, "common.previous_page")) }
                }
                " " span.muted { (tf(lang, "common.page_of", &[("n", &units_page.to_string()), ("of", &pages.to_string())])) } " "
                @if units_page < pages {
                    a href=(lists.link(&base, "units", &[("units_page", &(units_page + 1).to_string())])) data-testid="unit-next" { (t(lang, "common.next_page")) }
                }
            }
        }
        @if admin {
            @let e = err_of(failed, "managed", None);
            details.card open[e.is_some()] {
                summary data-testid="managed-unit-open" { (t(lang, "units.add_managed")) }
                p.hint { (t(lang, "units.managed_help")) }
                form.inline method="post" action={ (base) "/units" } data-testid="managed-unit-form" {
                    (ctx.csrf())
                    label.field { span { (t(lang, "units.partner_name")) }
                        input name="name" required maxlength="120" value=(typed(failed, "managed", None, "name", "")) data-testid="managed-unit-name";
                        (field_error(lang, e, "name")) }
                    label.field { span { (t(lang, "units.type")) }
                        select name="partner_type" data-testid="managed-unit-type" {
                            @for pt in &types { option value=(pt.key) selected[typed(failed, "managed", None, "partner_type", "") == pt.key] { (type_name(lang, &pt.key, &types)) } }
                        }
                        (field_error(lang, e, "partner_type")) }
                    label.field { span { (t(lang, "units.tier")) }
                        select name="tier" data-testid="managed-unit-tier" {
                            @for x in &tier_names { option value=(x) selected[typed(failed, "managed", None, "tier", "a") == *x] { (x) } }
                        }
                        (field_error(lang, e, "tier")) }
                    button type="submit" data-testid="managed-unit-submit" { (t(lang, "common.add")) }
                }
            }
        }
    };

    let types_section = html! {
        h2 #types { (t(lang, "networks.types")) }
        div.columns {
            @for pt in &types {
                @let at = Some(pt.key.as_str());
                @let e = err_of(failed, "type", at);
                div.card data-testid="partner-type" data-key=(pt.key) {
                    strong { (type_name(lang, &pt.key, &types)) } " " code.muted { (pt.key) }
                    p { @for x in &pt.tiers { span.badge title=(x.policy) data-testid="partner-type-tier" { (x.name) } " " } }
                    @if !pt.policy.is_empty() { p.muted data-testid="partner-type-policy" { (pt.policy) } }
                    @if admin {
                        details open[e.is_some()] {
                            summary data-testid="partner-type-edit" { (t(lang, "common.manage")) }
                            form.stack method="post" action={ (base) "/types" } data-testid="partner-type-form" {
                                (ctx.csrf())
                                input type="hidden" name="key" value=(pt.key);
                                label { (t(lang, "field.object_name")) input name="name" required maxlength="60" value=(typed(failed, "type", at, "name", &pt.name)) data-testid="partner-type-name"; }
                                (field_error(lang, e, "name"))
                                label { (t(lang, "types.tiers"))
                                    textarea.short name="tiers" rows="5" data-testid="partner-type-tiers" { (typed(failed, "type", at, "tiers", &tiers_text(&pt.tiers))) }
                                }
                                span.hint { (t(lang, "types.tiers_hint")) }
                                (field_error(lang, e, "tiers"))
                                label { (t(lang, "types.policy"))
                                    textarea.short name="policy" rows="3" data-testid="partner-type-policy-input" { (typed(failed, "type", at, "policy", &pt.policy)) }
                                }
                                (field_error(lang, e, "policy"))
                                button type="submit" data-testid="partner-type-submit" { (t(lang, "common.save")) }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            @let e = err_of(failed, "type", Some(""));
            details.card open[e.is_some()] {
                summary data-testid="custom-type-open" { (t(lang, "types.add")) }
                form.stack method="post" action={ (base) "/types" } data-testid="custom-type-form" {
                    (ctx.csrf())
                    input type="hidden" name="new" value="1";
                    label { (t(lang, "types.key")) input name="key" required maxlength="32" pattern="[a-z0-9_]{2,32}" value=(typed(failed, "type", Some(""), "key", "")) data-testid="custom-type-key"; }
                    span.hint { (t(lang, "types.key_hint")) }
                    (field_error(lang, e, "key"))
                    label { (t(lang, "field.object_name")) input name="name" required maxlength="60" value=(typed(failed, "type", Some(""), "name", "")) data-testid="custom-type-name"; }
                    (field_error(lang, e, "name"))
                    label { (t(lang, "types.tiers"))
                        textarea.short name="tiers" rows="4" data-testid="custom-type-tiers" { (typed(failed, "type", Some(""), "tiers", "a\nb\nc")) }
                    }
                    span.hint { (t(lang, "types.tiers_hint")) }
                    (field_error(lang, e, "tiers"))
                    label { (t(lang, "types.policy"))
                        textarea.short name="policy" rows="3" { (typed(failed, "type", Some(""), "policy", "")) }
                    }
                    (field_error(lang, e, "policy"))
                    button type="submit" data-testid="custom-type-submit" { (t(lang, "types.add")) }
                }
            }
        }
    };

    let invitations_section = html! {
        @if admin {
            @let e = err_of(failed, "invite", None);
            h2 #invitations { (t(lang, "networks.invitations")) }
            form.inline.card method="post" action={ (base) "/invitations" } data-testid="invite-form" {
                (ctx.csrf())
                label.field { span { (t(lang, "units.partner_name")) }
                    input name="partner_name" required maxlength="120" value=(typed(failed, "invite", None, "partner_name", "")) data-testid="invite-partner-name";
                    (field_error(lang, e, "partner_name")) }
                label.field { span { (t(lang, "invitations.organization_id")) }
                    input name="organization_id" value=(typed(failed, "invite", None, "organization_id", "")) placeholder="org_…" data-testid="invite-organization";
                    (field_error(lang, e, "organization_id")) }
                label.field { span { (t(lang, "units.type")) }
                    select name="partner_type" data-testid="invite-type" {
                        @for pt in &types { option value=(pt.key) selected[typed(failed, "invite", None, "partner_type", "") == pt.key] { (type_name(lang, &pt.key, &types)) } }
                    }
                    (field_error(lang, e, "partner_type")) }
                label.field { span { (t(lang, "units.tier")) }
                    select name="tier" data-testid="invite-tier" {
                        @for x in &tier_names { option value=(x) selected[typed(failed, "invite", None, "tier", "a") == *x] { (x) } }
                    }
                    (field_error(lang, e, "tier")) }
                label.field { span { (t(lang, "invitations.hours")) }
                    input name="expires_in_hours" type="number" min="1" max="2160" value=(typed(failed, "invite", None, "expires_in_hours", "336")) data-testid="invite-hours";
                    (field_error(lang, e, "expires_in_hours")) }
                label.field { span { (t(lang, "invitations.departments")) }
                    input name="departments" maxlength="2500" value=(typed(failed, "invite", None, "departments", "")) placeholder=(t(lang, "invitations.departments_placeholder")) data-testid="invite-departments";
                    span.hint { (t(lang, "invitations.departments_hint")) }
                    (field_error(lang, e, "departments")) }
                button type="submit" data-testid="invite-submit" { (t(lang, "invitations.create")) }
            }
            table data-testid="invitation-table" {
                thead { tr {
                    th { (t(lang, "units.partner_name")) } th { (t(lang, "units.type")) } th { (t(lang, "units.tier")) }
                    th { (t(lang, "invitations.departments")) } th { (t(lang, "field.status")) }
                    th { (t(lang, "invitations.expires")) } th {}
                } }
                tbody {
                    @for i in &invitations {
                        @let e = err_of(failed, "invitation", Some(i.id.as_str()));
                        tr data-testid="invitation-row" data-invitation-id=(i.id) data-status=(i.status.as_str()) {
                            td { (i.partner_name) @if let Some(o) = &i.organization_id { br; code.muted { (o) } } }
                            td { (type_name(lang, &i.partner_type, &types)) }
                            td { (i.tier) }
                            td data-testid="invitation-departments" { (brings_text(lang, &i.departments)) }
                            td { span.badge data-testid="invitation-status" { (invitation_status_text(lang, i)) } }
                            td.nowrap { (when_text(&ctx, &i.expires_at)) }
                            td {
                                @if i.status.as_str() == "pending" {
                                    form.inline method="post" action={ (base) "/invitations/" (i.id) "/resend" } {
                                        (ctx.csrf())
                                        button.secondary.small type="submit" data-testid="invitation-resend" { (t(lang, "invitations.resend")) }
                                    }
                                    form.inline method="post" action={ (base) "/invitations/" (i.id) "/revoke" }
                                        data-confirm=(t(lang, "invitations.revoke_confirm")) {
                                        (ctx.csrf())
                                        button.danger.small type="submit" data-testid="invitation-revoke" { (t(lang, "invitations.revoke")) }
                                    }
                                }
                                @if let Some(e) = e { span.field-error role="alert" { (e.0.detail) } }
                            }
                        }
                    }
                    @if invitations.is_empty() { tr { td.muted colspan="7" { (t(lang, "common.none")) } } }
                }
            }
        }
    };

    let settings_section = html! {
        h2 #visibility { (t(lang, "networks.visibility")) }
        p data-testid="visibility-rule" { strong { (vis_name) } ": " (vis_help) }
        @if admin {
            @let e = err_of(failed, "settings", None);
            @let chosen = typed(failed, "settings", None, "visibility", net.visibility.as_str());
            form.stack.card method="post" action={ (base) "/settings" } data-testid="settings-form" {
                (ctx.csrf())
                label { (t(lang, "field.object_name")) input name="name" required maxlength="80" value=(typed(failed, "settings", None, "name", &net.name)) data-testid="settings-name"; }
                (field_error(lang, e, "name"))
                label { (t(lang, "networks.description"))
                    textarea.short name="description" rows="3" data-testid="settings-description" { (typed(failed, "settings", None, "description", &net.description)) }
                }
                (field_error(lang, e, "description"))
                fieldset {
                    legend { (t(lang, "networks.visibility")) }
                    @for v in Visibility::NAMES {
                        @let (label, help) = visibility_text(lang, Visibility::parse("visibility", v).unwrap_or_default());
                        label.check {
                            input type="radio" name="visibility" value=(v) checked[chosen == *v] data-testid={ "visibility-" (v) };
                            span { strong { (label) } " — " (help) }
                        }
                    }
                }
                (field_error(lang, e, "visibility"))
                button type="submit" data-testid="settings-submit" { (t(lang, "common.save")) }
            }
        }
    };

    let members_section = html! {
        @if admin {
            @let e = err_of(failed, "members", None);
            h2 #members { (t(lang, "networks.members")) }
            p.muted { (t(lang, "networks.members_help")) }
            form.inline.filters method="get" action={ (base) "#members" } data-testid="network-member-search" {
                input type="search" name="members_q" value=(trimmed(&lists.members_q).unwrap_or_default())
                    placeholder=(t(lang, "people.search_placeholder")) aria-label=(t(lang, "people.search_placeholder")) data-testid="network-member-q";
                @if !units_q.is_empty() { input type="hidden" name="units_q" value=(units_q); }
                button type="submit" data-testid="network-member-search-submit" { (t(lang, "common.search")) }
            }
            table data-testid="network-member-table" {
                thead { tr { th { (t(lang, "field.name")) } th { (t(lang, "field.title")) } th { (t(lang, "field.status")) } th {} } }
                tbody {
                    @for m in &members {
                        tr data-testid="network-member-row" data-member-id=(m.member_id) {
                            td { a href={ (base) "/people/" (m.member_id) } { (m.name) } }
                            td { (m.title.clone().unwrap_or_default()) }
                            td { (status_text(lang, &m.status)) }
                            td {
                                form.inline method="post" action={ (base) "/members/" (m.member_id) "/remove" }
                                    data-confirm=(tf(lang, "networks.remove_member_confirm", &[("name", &m.name)])) {
                                    (ctx.csrf())
                                    button.secondary.small type="submit" data-testid="network-member-remove" { (t(lang, "networks.remove_member")) }
                                }
                                @if let Some(e) = err_of(failed, "member", Some(m.member_id.as_str())) { span.field-error role="alert" { (e.0.detail) } }
                            }
                        }
                    }
                    @if members.is_empty() { tr { td.muted colspan="4" { (t(lang, "common.none")) } } }
                }
            }
            div.pager { @if let Some(n) = &members_next { a href=(n) data-testid="network-member-next" { (t(lang, "common.next_page")) } } }
            form.inline.card method="post" action={ (base) "/members" } data-testid="network-member-form" {
                (ctx.csrf())
                label.field { span { (t(lang, "networks.member_ids")) }
                    (Picker { name: "member_ids", id: None, from: From::Org, multiple: true, required: false, testid: "network-member-ids", label: None, value: &typed_members, names: &typed_names }.render(lang))
                    (field_error(lang, e, "member_ids")) }
                label.field { span { (t(lang, "field.departments")) }
                    select name="department_id" multiple size="4" data-testid="network-member-departments" {
                        (dept_options(&deps, &|d| picked_members_deps.iter().any(|x| x == d), &Default::default()))
                    }
                    (field_error(lang, e, "department_ids")) }
                button type="submit" data-testid="network-member-submit" { (t(lang, "common.add")) }
            }
        }
    };

    let handovers_section = html! {
        @if admin {
            h2 #handovers { (t(lang, "networks.handovers")) }
            table data-testid="handover-table" {
                thead { tr {
                    th { (t(lang, "journal.time")) } th { (t(lang, "handovers.what")) } th { (t(lang, "units.organization")) }
                    th { (t(lang, "contacts.role")) } th { (t(lang, "handovers.from")) } th { (t(lang, "handovers.to")) }
                } }
                tbody {
                    @for h in &handovers {
                        @let d: serde_json::Value = serde_json::from_str(&h.details).unwrap_or_default();
                        @let g = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                        @let unit_name = units.iter().find(|u| u.id == g("unit")).map(|u| u.organization_name.clone()).unwrap_or_else(|| g("unit"));
                        tr data-testid="handover-row" data-action=(h.action) {
                            td.nowrap { (when(&ctx, h.at)) }
                            td { @if h.action == "contact.vacant" { (t(lang, "handovers.vacant")) } @else { (t(lang, "handovers.handover")) } }
                            td { (unit_name) }
                            td { (contact_role_text(lang, &g("role"))) " · " (side_text(lang, &g("side"))) }
                            td { (name_of(&g("from"))) }
                            td { @if g("to").is_empty() { "—" } @else { (name_of(&g("to"))) } }
                        }
                    }
                    @if handovers.is_empty() { tr { td.muted colspan="6" { (t(lang, "common.none")) } } }
                }
            }
        }
    };

    let body = html! {
        // A code just made is shown first, where it cannot be missed.
        @if let Some(c) = &created {
            div.notice data-testid="invitation-created" {
                p { (t(lang, "invitations.shown_once")) }
                p { (t(lang, "invitations.code")) }
                code.secret data-testid="invitation-code" { (c.code) }
                p { (t(lang, "invitations.link")) }
                code.secret data-testid="invitation-link" { (c.link) }
            }
        }
        @if !net.description.is_empty() { p data-testid="network-description-text" { (net.description) } }
        p {
            span.badge data-testid="network-membership" { (membership_text(lang, &net.membership)) } " "
            a.button.secondary href={ (base) "/people" } data-testid="network-people-link" { (t(lang, "people.title")) }
        }
        nav.tabs aria-label=(t(lang, "networks.sections")) {
            a href="#units" { (t(lang, "networks.units")) }
            a href="#types" { (t(lang, "networks.types")) }
            @if admin { a href="#invitations" { (t(lang, "networks.invitations")) } }
            a href="#visibility" { (t(lang, "networks.visibility")) }
            @if admin {
                a href="#members" { (t(lang, "networks.members")) }
                a href="#handovers" { (t(lang, "networks.handovers")) }
            }
        }
        (units_section)
        (types_section)
        (invitations_section)
        (settings_section)
        (members_section)
        (handovers_section)
    };
    finish(&ctx, &net.name, &f, failed, body)
}

pub(super) fn side_text(lang: Lang, side: &str) -> &'static str {
    if side == "backbone" { t(lang, "contacts.side_backbone") } else { t(lang, "contacts.side_partner") }
}

/// A form on the network page was posted: `Ok` goes back to the page with "saved", an error
/// renders the page again with the message beside the form.
pub(super) async fn network_result<T>(
    s: &AppState,
    id: &str,
    form: &Csrf<T>,
    name: &'static str,
    at: Option<&str>,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => saved(&format!("/console/networks/{id}")),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => {
                network_page(
                    s,
                    ctx,
                    id,
                    Flash::default(),
                    None,
                    Some(Failed::new(name, at, e, &form.raw)),
                    &Default::default(),
                )
                .await
            }
            Err(r) => r,
        },
    }
}

/// The settings form; what it leaves out stays as it is.
#[derive(Deserialize)]
pub(super) struct SettingsForm {
    name: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
}

pub(super) async fn update_network(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<SettingsForm>,
) -> Response {
    let p = &form.form;
    let r = async {
        let visibility = match nonblank(p.visibility.clone()) {
            Some(v) => Some(Visibility::parse("visibility", &v)?),
            None => None,
        };
        let patch = NetworkPatch { name: p.name.clone(), description: p.description.clone(), visibility };
        s.svc.network().update_network(&form.session.caller, &network_id(&id)?, &patch).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "settings", None, r).await
}

/// A partner type's form; `new` marks the form that adds one.
#[derive(Deserialize)]
pub(super) struct TypeForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tiers: String,
    #[serde(default)]
    policy: String,
    new: Option<String>,
}

pub(super) async fn put_type(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<TypeForm>) -> Response {
    let p = &form.form;
    let key = p.key.clone();
    let input = PartnerTypeInput { name: p.name.clone(), tiers: parse_tiers(&p.tiers), policy: p.policy.clone() };
    let r = async {
        s.svc.network().put_partner_type(&form.session.caller, &network_id(&id)?, key.trim(), &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "tiers"));
    // The new-type form is row "" so its errors stay with it, not with a type of that key.
    let at = if p.new.is_some() { String::new() } else { key };
    network_result(&s, &id, &form, "type", Some(&at), r).await
}

#[derive(Deserialize)]
pub(super) struct ManagedUnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    partner_type: String,
    #[serde(default)]
    tier: String,
}

pub(super) async fn create_managed_unit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<ManagedUnitForm>,
) -> Response {
    let p = &form.form;
    let input = NewManagedUnit { name: p.name.clone(), partner_type: p.partner_type.clone(), tier: p.tier.clone() };
    let r = async {
        let u = s.svc.network().create_managed_unit(&form.session.caller, &network_id(&id)?, &input).await?;
        Ok::<UnitView, ApiError>(u)
    }
    .await;
    match r {
        Ok(u) => saved(&format!("/console/networks/{id}/units/{}", u.id)),
        Err(e) => network_result(&s, &id, &form, "managed", None, Err(e)).await,
    }
}

/// Backbone members to add: ids typed into one input, departments from a multi-select.
#[derive(Deserialize)]
pub(super) struct NetworkMembersForm {
    #[serde(default)]
    member_ids: String,
    #[serde(default)]
    department_id: Vec<String>,
}

pub(super) async fn add_members(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<NetworkMembersForm>,
) -> Response {
    let p = &form.form;
    let r = async {
        let member_ids = p
            .member_ids
            .split([' ', ',', '\n', '\t'])
            .filter(|x| !x.is_empty())
            .map(|x| MemberId::parse(x).map_err(|e| ApiError::from(e).with_field("member_ids")))
            .collect::<Result<Vec<_>, _>>()?;
        let department_ids = p
            .department_id
            .iter()
            .filter(|d| !d.is_empty())
            .map(|d| DepartmentId::parse(d).map_err(|e| ApiError::from(e).with_field("department_ids")))
            .collect::<Result<Vec<_>, _>>()?;
        if member_ids.is_empty() && department_ids.is_empty() {
            return Err(ApiError::from(DomainError::invalid("member_ids", Rule::Required)));
        }
        let input = NetworkMembersInput { member_ids, department_ids };
        s.svc.network().add_network_members(&form.session.caller, &network_id(&id)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(list_field(e, "member_ids"), "department_ids"));
    network_result(&s, &id, &form, "members", None, r).await
}

pub(super) async fn remove_member(
    State(s): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    form: Csrf<NoFields>,
) -> Response {
    let r = async {
        let m = parse_id(MemberId::parse, &member, "member")?;
        s.svc.network().remove_network_member(&form.session.caller, &network_id(&id)?, &m).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "member", Some(&member), r).await
}
