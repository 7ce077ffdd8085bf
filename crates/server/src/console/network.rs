//! The console's partner network pages: the caller's networks; one network with its units,
//! partner types, invitations, visibility, backbone members and handover history; a unit with
//! its contacts; the network address book and a person's page; and, for a partner admin, the
//! invitations sent to their organization.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keiretsu_domain::identity::Scope;
use keiretsu_domain::ids::{ContactId, DepartmentId, InvitationId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::network::{BUILTIN_TYPES, CONTACT_ROLES, Side, Tier, Visibility};
use keiretsu_domain::time::format_rfc3339;
use keiretsu_domain::{DomainError, Rule};
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::network::{
    InvitationAnswer, InvitationPreview, InvitationView, NetworkMembersInput, NetworkPatch, NetworkView, NewContact,
    NewInvitation, NewManagedUnit, NewNetwork, PartnerTypeInput, PartnerTypeView, PeopleQuery, PersonView,
    UnitDepartmentsInput, UnitPatch, UnitView,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{
    Failed, Pairs, all, dept_options, err_of, err_page, member_datalist, no_org, nonblank, one, status_text, typed,
    typed_all,
};
use super::{Ctx, Flash, Saved, ctx_of, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

const ACTIVE: &str = "networks";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/networks", get(networks).post(create_network))
        .route("/console/networks/{id}", get(network))
        .route("/console/networks/{id}/settings", post(update_network))
        .route("/console/networks/{id}/types", post(put_type))
        .route("/console/networks/{id}/units", post(create_managed_unit))
        .route("/console/networks/{id}/invitations", post(invite))
        .route("/console/networks/{id}/invitations/{inv}/resend", post(resend_invitation))
        .route("/console/networks/{id}/invitations/{inv}/revoke", post(revoke_invitation))
        .route("/console/networks/{id}/members", post(add_members))
        .route("/console/networks/{id}/members/{member}/remove", post(remove_member))
        .route("/console/networks/{id}/units/{unit}", get(unit))
        .route("/console/networks/{id}/units/{unit}/edit", post(edit_unit))
        .route("/console/networks/{id}/units/{unit}/departments", post(set_unit_departments))
        .route("/console/networks/{id}/units/{unit}/remove", post(remove_unit))
        .route("/console/networks/{id}/units/{unit}/contacts", post(add_contact))
        .route("/console/networks/{id}/units/{unit}/contacts/{contact}/remove", post(remove_contact))
        .route("/console/networks/{id}/people", get(people))
        .route("/console/networks/{id}/people/{member}", get(person))
        .route("/console/invitations", get(received))
        .route("/console/invitations/answer", get(answer))
        .route("/console/invitations/accept", post(accept))
        .route("/console/invitations/decline", post(decline))
}

// ----- shared bits -----

fn network_id(raw: &str) -> Result<NetworkId, ApiError> {
    parse_id(NetworkId::parse, raw, "network")
}
fn unit_id(raw: &str) -> Result<UnitId, ApiError> {
    parse_id(UnitId::parse, raw, "unit")
}

/// A built-in partner type's name in the page's language; any other key as it is.
pub(super) fn type_text(lang: Lang, key: &str) -> String {
    match key {
        "supplier" => t(lang, "ptype.supplier").to_owned(),
        "distributor" => t(lang, "ptype.distributor").to_owned(),
        "service_provider" => t(lang, "ptype.service_provider").to_owned(),
        "ecosystem_staff" => t(lang, "ptype.ecosystem_staff").to_owned(),
        other => other.to_owned(),
    }
}

/// A contact's role in the page's language.
pub(super) fn contact_role_text(lang: Lang, role: &str) -> String {
    match role {
        "owner" => t(lang, "contact_role.owner").to_owned(),
        "business" => t(lang, "contact_role.business").to_owned(),
        "finance" => t(lang, "contact_role.finance").to_owned(),
        "technical" => t(lang, "contact_role.technical").to_owned(),
        "legal" => t(lang, "contact_role.legal").to_owned(),
        "logistics" => t(lang, "contact_role.logistics").to_owned(),
        "other" => t(lang, "contact_role.other").to_owned(),
        other => other.to_owned(),
    }
}

/// A partner type's name as the network calls it: built-in types keep their translation
/// until an admin renames them.
fn type_name(lang: Lang, key: &str, types: &[PartnerTypeView]) -> String {
    match types.iter().find(|x| x.key == key) {
        Some(pt) if !BUILTIN_TYPES.iter().any(|(k, label)| *k == key && *label == pt.name) => pt.name.clone(),
        _ => type_text(lang, key),
    }
}

fn unit_status_text(lang: Lang, status: &str) -> &'static str {
    match status {
        "blocked" => t(lang, "unit_status.blocked"),
        "removed" => t(lang, "unit_status.removed"),
        _ => t(lang, "unit_status.active"),
    }
}

fn membership_text(lang: Lang, m: &str) -> &'static str {
    if m == "backbone" { t(lang, "networks.membership_backbone") } else { t(lang, "networks.membership_unit") }
}

fn visibility_text(lang: Lang, v: Visibility) -> (&'static str, &'static str) {
    match v {
        Visibility::Own => (t(lang, "visibility.own"), t(lang, "visibility.own_help")),
        Visibility::SameType => (t(lang, "visibility.same_type"), t(lang, "visibility.same_type_help")),
        Visibility::All => (t(lang, "visibility.all"), t(lang, "visibility.all_help")),
    }
}

fn invitation_status_text(lang: Lang, v: &InvitationView) -> &'static str {
    if v.expired {
        return t(lang, "invitation_status.expired");
    }
    match v.status.as_str() {
        "accepted" => t(lang, "invitation_status.accepted"),
        "declined" => t(lang, "invitation_status.declined"),
        "revoked" => t(lang, "invitation_status.revoked"),
        _ => t(lang, "invitation_status.pending"),
    }
}

/// The caller partner-admins this network's backbone.
fn backbone_admin(ctx: &Ctx, net: &NetworkView) -> bool {
    net.membership == "backbone" && ctx.can(Scope::Partners)
}

/// The page, with the failed form's message on top and its status.
fn finish(ctx: &Ctx, title: &str, f: &Flash, failed: Option<&Failed>, body: Markup) -> Response {
    match failed {
        Some(x) => (status_of(&x.error), layout(ctx, ACTIVE, title, &Flash::error(&x.error), body)).into_response(),
        None => layout(ctx, ACTIVE, title, f, body),
    }
}

/// Names an error after the list input it came from (`member_ids[2]` → `member_ids`).
fn list_field(e: ApiError, field: &str) -> ApiError {
    if e.0.field.as_deref().is_some_and(|f| f.starts_with(field)) { e.with_field(field) } else { e }
}

fn parse_hours(raw: Option<String>) -> Result<Option<i64>, ApiError> {
    match nonblank(raw) {
        None => Ok(None),
        Some(h) => {
            h.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::from(DomainError::invalid("expires_in_hours", Rule::Range { min: 1, max: 2160 }))
            })
        }
    }
}

/// `name` or `name | policy` per line.
fn parse_tiers(text: &str) -> Vec<Tier> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('|') {
            Some((n, p)) => Tier { name: n.trim().to_owned(), policy: p.trim().to_owned() },
            None => Tier { name: l.to_owned(), policy: String::new() },
        })
        .collect()
}

fn tiers_text(tiers: &[Tier]) -> String {
    tiers
        .iter()
        .map(|x| if x.policy.is_empty() { x.name.clone() } else { format!("{} | {}", x.name, x.policy) })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every tier name of the network's types, once, in order.
fn all_tiers(types: &[PartnerTypeView]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in types.iter().flat_map(|pt| pt.tiers.iter()) {
        if !out.contains(&x.name) {
            out.push(x.name.clone());
        }
    }
    out
}

/// Department names typed into one input, separated by commas (either width) or lines.
fn parse_names(text: &str) -> Vec<String> {
    text.split([',', '\u{ff0c}', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

/// The departments a unit or an invitation brings in, by name; none: the whole organization.
fn brings_text(lang: Lang, names: &[String]) -> Markup {
    html! {
        @if names.is_empty() {
            span.muted data-testid="brings-organization" { (t(lang, "units.whole_organization")) }
        } @else {
            @for n in names { span.badge data-testid="brings-department" { (n) } " " }
        }
    }
}

/// An organization's departments as a tree of checkboxes named `department_ids`, each ticked
/// when `ticked` says so; a department below another sits indented under it.
fn department_checks(deps: &[DepartmentView], ticked: &dyn Fn(&DepartmentView) -> bool) -> Markup {
    let known: HashSet<&str> = deps.iter().map(|d| d.id.as_str()).collect();
    let mut kids: HashMap<Option<&str>, Vec<&DepartmentView>> = HashMap::new();
    for d in deps {
        // A department whose parent is not listed is shown as a root rather than lost.
        let parent = d.parent_id.as_deref().filter(|p| known.contains(p));
        kids.entry(parent).or_default().push(d);
    }
    fn level(
        kids: &HashMap<Option<&str>, Vec<&DepartmentView>>,
        parent: Option<&str>,
        depth: usize,
        ticked: &dyn Fn(&DepartmentView) -> bool,
    ) -> Markup {
        html! {
            @if let Some(list) = kids.get(&parent).filter(|_| depth <= 64) {
                ul {
                    @for d in list {
                        li data-testid="department-check" data-department-id=(d.id) data-name=(d.name) data-depth=(depth) {
                            label.check {
                                input type="checkbox" name="department_ids" value=(d.id) checked[ticked(d)] data-testid="department-check-input";
                                span { (d.name) }
                            }
                            (level(kids, Some(&d.id), depth + 1, ticked))
                        }
                    }
                }
            }
        }
    }
    html! { div.tree data-testid="department-checks" { (level(&kids, None, 0, ticked)) } }
}

/// The ticked department ids of a posted form.
fn ticked_ids(p: &Pairs) -> Vec<String> {
    all(p, "department_ids").into_iter().map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect()
}

/// The link as a partner admin opens it: this server's address and the page's path.
fn absolute(s: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if s.settings.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

// ----- the networks -----

async fn networks(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    networks_page(&s, ctx, f, None).await
}

async fn networks_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.networks");
    if ctx.org().is_none() {
        return no_org(&ctx, ACTIVE, title);
    }
    let list = match s.svc.networks(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
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
                th { (t(lang, "field.name")) } th { (t(lang, "networks.membership")) }
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
                        td.nowrap { (n.created_at) }
                    }
                }
                @if list.is_empty() { tr { td.muted colspan="4" data-testid="network-empty" { (t(lang, "networks.none")) } } }
            }
        }
        @if partners {
            h2 { (t(lang, "networks.create")) }
            form.stack.card method="post" action="/console/networks" data-testid="network-form" {
                (ctx.csrf())
                label for="n-name" { (t(lang, "field.name")) }
                input #n-name name="name" required maxlength="80" value=(typed(failed, "create", None, "name", "")) data-testid="network-name";
                (field_error(e, "name"))
                label for="n-description" { (t(lang, "networks.description")) }
                textarea.short #n-description name="description" rows="3" data-testid="network-description" { (typed(failed, "create", None, "description", "")) }
                (field_error(e, "description"))
                button type="submit" data-testid="network-submit" { (t(lang, "networks.create")) }
                (field_error(e, "organization"))
            }
        }
    };
    finish(&ctx, title, &f, failed, body)
}

async fn create_network(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let input =
        NewNetwork { name: one(p, "name").unwrap_or_default(), description: one(p, "description").unwrap_or_default() };
    match s.svc.create_network(&form.session.caller, &input).await {
        Ok(n) => saved(&format!("/console/networks/{}", n.id)),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => networks_page(&s, ctx, Flash::default(), Some(Failed::new("create", None, e.into(), p))).await,
            Err(r) => r,
        },
    }
}

// ----- one network -----

/// An invitation just created or resent: its code and link, shown this once.
struct Created {
    code: String,
    link: String,
}

async fn network(State(s): State<AppState>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    network_page(&s, ctx, &id, f, None, None).await
}

async fn network_page(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    f: Flash,
    created: Option<Created>,
    failed: Option<Failed>,
) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "nav.networks");
    let caller = &ctx.session.caller;
    let nid = match network_id(id) {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let net = match s.svc.network(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let (types, units) = match (s.svc.partner_types(caller, &nid).await, s.svc.units(caller, &nid).await) {
        (Ok(x), Ok(u)) => (x, u),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let admin = backbone_admin(&ctx, &net);
    let mut invitations = Vec::new();
    let mut members = Vec::new();
    let mut handovers = Vec::new();
    let mut deps = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut datalist = html! {};
    if admin && let Some(org) = ctx.org() {
        invitations = s.svc.invitations(caller, &nid, None).await.unwrap_or_default();
        let q = PeopleQuery { unit_id: Some("backbone".into()), limit: Some(200), ..Default::default() };
        members = s.svc.people(caller, &nid, &q).await.map(|p| p.items).unwrap_or_default();
        handovers = s.svc.handovers(caller, &nid).await.unwrap_or_default();
        deps = s.svc.departments(caller, &org).await.unwrap_or_default();
        datalist = member_datalist(s, &ctx, &org).await;
        let everyone = PeopleQuery { limit: Some(200), ..Default::default() };
        for p in s.svc.people(caller, &nid, &everyone).await.map(|p| p.items).unwrap_or_default() {
            names.insert(p.member_id, p.name);
        }
    }
    let failed = failed.as_ref();
    let base = format!("/console/networks/{}", net.id);
    let tier_names = all_tiers(&types);
    let (vis_name, vis_help) = visibility_text(lang, net.visibility);
    let name_of = |m: &str| names.get(m).cloned().unwrap_or_else(|| m.to_owned());

    let units_section = html! {
        h2 #units { (t(lang, "networks.units")) }
        table data-testid="unit-table" {
            thead { tr {
                th { (t(lang, "units.organization")) } th { (t(lang, "units.type")) } th { (t(lang, "units.tier")) }
                th { (t(lang, "field.status")) } th { (t(lang, "units.members")) } th { (t(lang, "units.joined")) }
            } }
            tbody {
                @for u in &units {
                    tr data-testid="unit-row" data-unit-id=(u.id) data-status=(u.status) {
                        td {
                            a href={ (base) "/units/" (u.id) } data-testid="unit-link" { (u.organization_name) }
                            @if u.managed { " " span.badge { (t(lang, "units.managed")) } }
                        }
                        td { (type_name(lang, &u.partner_type, &types)) }
                        td { (u.tier) }
                        td { span.status.left[u.status != "active"] data-testid="unit-status" { (unit_status_text(lang, &u.status)) } }
                        td { (u.member_count) }
                        td.nowrap { (u.joined_at) }
                    }
                }
                @if units.is_empty() { tr { td.muted colspan="6" data-testid="unit-empty" { (t(lang, "units.none")) } } }
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
                        (field_error(e, "name")) }
                    label.field { span { (t(lang, "units.type")) }
                        select name="partner_type" data-testid="managed-unit-type" {
                            @for pt in &types { option value=(pt.key) selected[typed(failed, "managed", None, "partner_type", "") == pt.key] { (type_name(lang, &pt.key, &types)) } }
                        }
                        (field_error(e, "partner_type")) }
                    label.field { span { (t(lang, "units.tier")) }
                        select name="tier" data-testid="managed-unit-tier" {
                            @for x in &tier_names { option value=(x) selected[typed(failed, "managed", None, "tier", "a") == *x] { (x) } }
                        }
                        (field_error(e, "tier")) }
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
                                label { (t(lang, "field.name")) input name="name" required maxlength="60" value=(typed(failed, "type", at, "name", &pt.name)) data-testid="partner-type-name"; }
                                (field_error(e, "name"))
                                label { (t(lang, "types.tiers"))
                                    textarea.short name="tiers" rows="5" data-testid="partner-type-tiers" { (typed(failed, "type", at, "tiers", &tiers_text(&pt.tiers))) }
                                }
                                span.hint { (t(lang, "types.tiers_hint")) }
                                (field_error(e, "tiers"))
                                label { (t(lang, "types.policy"))
                                    textarea.short name="policy" rows="3" data-testid="partner-type-policy-input" { (typed(failed, "type", at, "policy", &pt.policy)) }
                                }
                                (field_error(e, "policy"))
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
                    (field_error(e, "key"))
                    label { (t(lang, "field.name")) input name="name" required maxlength="60" value=(typed(failed, "type", Some(""), "name", "")) data-testid="custom-type-name"; }
                    (field_error(e, "name"))
                    label { (t(lang, "types.tiers"))
                        textarea.short name="tiers" rows="4" data-testid="custom-type-tiers" { (typed(failed, "type", Some(""), "tiers", "a\nb\nc")) }
                    }
                    span.hint { (t(lang, "types.tiers_hint")) }
                    (field_error(e, "tiers"))
                    label { (t(lang, "types.policy"))
                        textarea.short name="policy" rows="3" { (typed(failed, "type", Some(""), "policy", "")) }
                    }
                    (field_error(e, "policy"))
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
                    (field_error(e, "partner_name")) }
                label.field { span { (t(lang, "invitations.organization_id")) }
                    input name="organization_id" value=(typed(failed, "invite", None, "organization_id", "")) placeholder="org_…" data-testid="invite-organization";
                    (field_error(e, "organization_id")) }
                label.field { span { (t(lang, "units.type")) }
                    select name="partner_type" data-testid="invite-type" {
                        @for pt in &types { option value=(pt.key) selected[typed(failed, "invite", None, "partner_type", "") == pt.key] { (type_name(lang, &pt.key, &types)) } }
                    }
                    (field_error(e, "partner_type")) }
                label.field { span { (t(lang, "units.tier")) }
                    select name="tier" data-testid="invite-tier" {
                        @for x in &tier_names { option value=(x) selected[typed(failed, "invite", None, "tier", "a") == *x] { (x) } }
                    }
                    (field_error(e, "tier")) }
                label.field { span { (t(lang, "invitations.hours")) }
                    input name="expires_in_hours" type="number" min="1" max="2160" value=(typed(failed, "invite", None, "expires_in_hours", "336")) data-testid="invite-hours";
                    (field_error(e, "expires_in_hours")) }
                label.field { span { (t(lang, "invitations.departments")) }
                    input name="departments" maxlength="2500" value=(typed(failed, "invite", None, "departments", "")) placeholder=(t(lang, "invitations.departments_placeholder")) data-testid="invite-departments";
                    span.hint { (t(lang, "invitations.departments_hint")) }
                    (field_error(e, "departments")) }
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
                            td.nowrap { (i.expires_at) }
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
                label { (t(lang, "field.name")) input name="name" required maxlength="80" value=(typed(failed, "settings", None, "name", &net.name)) data-testid="settings-name"; }
                (field_error(e, "name"))
                label { (t(lang, "networks.description"))
                    textarea.short name="description" rows="3" data-testid="settings-description" { (typed(failed, "settings", None, "description", &net.description)) }
                }
                (field_error(e, "description"))
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
                (field_error(e, "visibility"))
                button type="submit" data-testid="settings-submit" { (t(lang, "common.save")) }
            }
        }
    };

    let members_section = html! {
        @if admin {
            @let e = err_of(failed, "members", None);
            h2 #members { (t(lang, "networks.members")) }
            p.muted { (t(lang, "networks.members_help")) }
            table data-testid="network-member-table" {
                thead { tr { th { (t(lang, "field.name")) } th { (t(lang, "field.title")) } th { (t(lang, "field.status")) } th {} } }
                tbody {
                    @for m in &members {
                        tr data-testid="network-member-row" data-member-id=(m.member_id) {
                            td { a href={ (base) "/people/" (m.member_id) } { (m.name) } }
                            td { (m.title.clone().unwrap_or_default()) }
                            td { (status_text(lang, &m.status)) }
                            td {
                                form.inline method="post" action={ (base) "/members/" (m.member_id) "/remove" } {
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
            form.inline.card method="post" action={ (base) "/members" } data-testid="network-member-form" {
                (ctx.csrf())
                label.field { span { (t(lang, "networks.member_ids")) }
                    input name="member_ids" value=(typed(failed, "members", None, "member_ids", "")) list="member-ids" placeholder=(t(lang, "departments.heads_placeholder")) data-testid="network-member-ids";
                    (field_error(e, "member_ids")) }
                label.field { span { (t(lang, "field.departments")) }
                    select name="department_id" multiple size="4" data-testid="network-member-departments" {
                        (dept_options(&deps, &|d| failed.filter(|f| f.form == "members").is_some_and(|f| all(&f.values, "department_id").iter().any(|x| x == d)), &Default::default()))
                    }
                    (field_error(e, "department_ids")) }
                button type="submit" data-testid="network-member-submit" { (t(lang, "common.add")) }
            }
            (datalist)
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
                            td.nowrap { (format_rfc3339(h.at)) }
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

fn side_text(lang: Lang, side: &str) -> &'static str {
    if side == "backbone" { t(lang, "contacts.side_backbone") } else { t(lang, "contacts.side_partner") }
}

/// A form on the network page was posted: `Ok` goes back to the page with "saved", an error
/// renders the page again with the message beside the form.
async fn network_result(
    s: &AppState,
    id: &str,
    form: &Csrf<Pairs>,
    name: &'static str,
    at: Option<&str>,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => saved(&format!("/console/networks/{id}")),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => {
                network_page(s, ctx, id, Flash::default(), None, Some(Failed::new(name, at, e, &form.form))).await
            }
            Err(r) => r,
        },
    }
}

async fn update_network(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let r = async {
        let visibility = match nonblank(one(p, "visibility")) {
            Some(v) => Some(Visibility::parse("visibility", &v)?),
            None => None,
        };
        let patch = NetworkPatch { name: one(p, "name"), description: one(p, "description"), visibility };
        s.svc.update_network(&form.session.caller, &network_id(&id)?, &patch).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "settings", None, r).await
}

async fn put_type(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let key = one(p, "key").unwrap_or_default();
    let input = PartnerTypeInput {
        name: one(p, "name").unwrap_or_default(),
        tiers: parse_tiers(&one(p, "tiers").unwrap_or_default()),
        policy: one(p, "policy").unwrap_or_default(),
    };
    let r = async {
        s.svc.put_partner_type(&form.session.caller, &network_id(&id)?, key.trim(), &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "tiers"));
    // The new-type form is row "" so its errors stay with it, not with a type of that key.
    let at = if one(p, "new").is_some() { String::new() } else { key };
    network_result(&s, &id, &form, "type", Some(&at), r).await
}

async fn create_managed_unit(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let input = NewManagedUnit {
        name: one(p, "name").unwrap_or_default(),
        partner_type: one(p, "partner_type").unwrap_or_default(),
        tier: one(p, "tier").unwrap_or_default(),
    };
    let r = async {
        let u = s.svc.create_managed_unit(&form.session.caller, &network_id(&id)?, &input).await?;
        Ok::<UnitView, ApiError>(u)
    }
    .await;
    match r {
        Ok(u) => saved(&format!("/console/networks/{id}/units/{}", u.id)),
        Err(e) => network_result(&s, &id, &form, "managed", None, Err(e)).await,
    }
}

async fn invite(State(s): State<AppState>, Path(id): Path<String>, headers: HeaderMap, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let r = async {
        let organization_id = match nonblank(one(p, "organization_id")) {
            Some(o) => Some(OrgId::parse(o.trim()).map_err(|e| ApiError::from(e).with_field("organization_id"))?),
            None => None,
        };
        let input = NewInvitation {
            partner_name: one(p, "partner_name").unwrap_or_default(),
            organization_id,
            partner_type: one(p, "partner_type").unwrap_or_default(),
            tier: one(p, "tier").unwrap_or_default(),
            expires_in_hours: parse_hours(one(p, "expires_in_hours"))?,
            departments: parse_names(&one(p, "departments").unwrap_or_default()),
        };
        Ok::<InvitationView, ApiError>(s.svc.invite(&form.session.caller, &network_id(&id)?, &input).await?)
    }
    .await
    .map_err(|e| list_field(e, "departments"));
    created_result(&s, &id, &headers, &form, "invite", None, r).await
}

/// An invitation was created or resent: the page at once with its code, never a redirect,
/// so the code lands in no URL or history.
async fn created_result(
    s: &AppState,
    id: &str,
    headers: &HeaderMap,
    form: &Csrf<Pairs>,
    name: &'static str,
    at: Option<&str>,
    r: Result<InvitationView, ApiError>,
) -> Response {
    let ctx = match ctx_of(s, form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match r {
        Ok(v) => {
            let created = match (v.code, v.link) {
                (Some(code), Some(link)) => Some(Created { code, link: absolute(s, headers, &link) }),
                _ => None,
            };
            network_page(s, ctx, id, Flash::default(), created, None).await
        }
        Err(e) => network_page(s, ctx, id, Flash::default(), None, Some(Failed::new(name, at, e, &form.form))).await,
    }
}

async fn resend_invitation(
    State(s): State<AppState>,
    Path((id, inv)): Path<(String, String)>,
    headers: HeaderMap,
    form: Csrf<Pairs>,
) -> Response {
    let r = async {
        let i = parse_id(InvitationId::parse, &inv, "invitation")?;
        Ok::<InvitationView, ApiError>(s.svc.resend_invitation(&form.session.caller, &network_id(&id)?, &i).await?)
    }
    .await;
    created_result(&s, &id, &headers, &form, "invitation", Some(&inv), r).await
}

async fn revoke_invitation(
    State(s): State<AppState>,
    Path((id, inv)): Path<(String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let r = async {
        let i = parse_id(InvitationId::parse, &inv, "invitation")?;
        s.svc.revoke_invitation(&form.session.caller, &network_id(&id)?, &i).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "invitation", Some(&inv), r).await
}

async fn add_members(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let r = async {
        let member_ids = one(p, "member_ids")
            .unwrap_or_default()
            .split([' ', ',', '\n', '\t'])
            .filter(|x| !x.is_empty())
            .map(|x| MemberId::parse(x).map_err(|e| ApiError::from(e).with_field("member_ids")))
            .collect::<Result<Vec<_>, _>>()?;
        let department_ids = all(p, "department_id")
            .iter()
            .filter(|d| !d.is_empty())
            .map(|d| DepartmentId::parse(d).map_err(|e| ApiError::from(e).with_field("department_ids")))
            .collect::<Result<Vec<_>, _>>()?;
        if member_ids.is_empty() && department_ids.is_empty() {
            return Err(ApiError::from(DomainError::invalid("member_ids", Rule::Required)));
        }
        let input = NetworkMembersInput { member_ids, department_ids };
        s.svc.add_network_members(&form.session.caller, &network_id(&id)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(list_field(e, "member_ids"), "department_ids"));
    network_result(&s, &id, &form, "members", None, r).await
}

async fn remove_member(
    State(s): State<AppState>,
    Path((id, member)): Path<(String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let r = async {
        let m = parse_id(MemberId::parse, &member, "member")?;
        s.svc.remove_network_member(&form.session.caller, &network_id(&id)?, &m).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "member", Some(&member), r).await
}

// ----- one unit -----

async fn unit(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((id, unit)): Path<(String, String)>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    unit_page(&s, ctx, &id, &unit, f, None).await
}

async fn unit_page(s: &AppState, ctx: Ctx, id: &str, unit: &str, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "units.title");
    let caller = &ctx.session.caller;
    let (nid, uid) = match (network_id(id), unit_id(unit)) {
        (Ok(n), Ok(u)) => (n, u),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let net = match s.svc.network(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let (u, types) = match (s.svc.unit(caller, &nid, &uid).await, s.svc.partner_types(caller, &nid).await) {
        (Ok(u), Ok(x)) => (u, x),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let admin = backbone_admin(&ctx, &net);
    let own_admin = net.membership == "unit"
        && ctx.can(Scope::Partners)
        && ctx.org().is_some_and(|o| o.as_str() == u.organization_id);
    let partner_editor = admin || own_admin;
    // Names for backups: the unit's people and the backbone's network members.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut unit_people: Vec<PersonView> = Vec::new();
    for scope in [u.id.as_str(), "backbone"] {
        let q = PeopleQuery { unit_id: Some(scope.into()), limit: Some(200), ..Default::default() };
        let people = s.svc.people(caller, &nid, &q).await.map(|p| p.items).unwrap_or_default();
        for p in &people {
            names.insert(p.member_id.clone(), p.name.clone());
        }
        if scope == u.id {
            unit_people = people;
        }
    }
    for k in &u.contacts {
        names.insert(k.member_id.clone(), k.member_name.clone());
    }
    if admin && let Some(org) = ctx.org() {
        for b in u.contacts.iter().filter_map(|k| k.backup_id.as_ref()) {
            if !names.contains_key(b)
                && let Ok(mid) = MemberId::parse(b)
                && let Ok(m) = s.svc.member(caller, &org, &mid).await
            {
                names.insert(b.clone(), m.name);
            }
        }
    }
    let backbone_list = match (admin, ctx.org()) {
        (true, Some(org)) => member_datalist(s, &ctx, &org).await,
        _ => html! {},
    };
    // Who may choose the departments the unit brings: its own partner admins, or the backbone
    // for a unit it keeps; they pick from the unit organization's whole tree.
    // Without the tree there is no form: an empty choice would bring the whole organization.
    let may_bring = own_admin || (admin && u.managed);
    let org_deps = match OrgId::parse(&u.organization_id) {
        Ok(o) if may_bring => s.svc.departments(caller, &o).await.ok(),
        _ => None,
    };
    let failed = failed.as_ref();
    let base = format!("/console/networks/{}", net.id);
    let here = format!("{base}/units/{}", u.id);
    let name_of = |m: &str| names.get(m).cloned().unwrap_or_else(|| m.to_owned());
    let tier_names = all_tiers(&types);
    let e_edit = err_of(failed, "edit", None);
    let contract = match (&u.contract_start, &u.contract_end) {
        (None, None) => "—".to_owned(),
        (a, b) => format!("{} – {}", a.clone().unwrap_or_default(), b.clone().unwrap_or_default()),
    };

    let contact_form = |side: Side| {
        let at = Some(side.as_str());
        let e = err_of(failed, "contact", at);
        let list = if side == Side::Backbone { "member-ids" } else { "unit-people" };
        let label =
            if side == Side::Backbone { t(lang, "contacts.add_backbone") } else { t(lang, "contacts.add_partner") };
        html! {
            form.inline.card method="post" action={ (here) "/contacts" } data-testid={ "contact-form-" (side.as_str()) } {
                (ctx.csrf())
                strong { (label) }
                input type="hidden" name="side" value=(side.as_str());
                label.field { span { (t(lang, "contacts.member")) }
                    input name="member_id" required list=(list) value=(typed(failed, "contact", at, "member_id", "")) placeholder=(t(lang, "members.member_id_placeholder")) data-testid={ "contact-member-" (side.as_str()) };
                    (field_error(e, "member_id")) }
                label.field { span { (t(lang, "contacts.role")) }
                    select name="role" data-testid={ "contact-role-" (side.as_str()) } {
                        @for r in CONTACT_ROLES { option value=(r) selected[typed(failed, "contact", at, "role", "business") == *r] { (contact_role_text(lang, r)) } }
                    }
                    (field_error(e, "role")) }
                label.field { span { (t(lang, "contacts.backup")) }
                    input name="backup_id" list=(list) value=(typed(failed, "contact", at, "backup_id", "")) placeholder=(t(lang, "contacts.optional")) data-testid={ "contact-backup-" (side.as_str()) };
                    (field_error(e, "backup_id")) }
                button type="submit" data-testid={ "contact-submit-" (side.as_str()) } { (t(lang, "common.add")) }
            }
        }
    };

    let body = html! {
        p { a href=(base) data-testid="back-to-network" { "← " (net.name) } }
        dl.fields.card data-testid="unit-profile" {
            dt { (t(lang, "units.organization")) } dd data-testid="unit-organization" { (u.organization_name) @if u.managed { " " span.badge { (t(lang, "units.managed")) } } }
            dt { (t(lang, "units.type")) } dd data-testid="unit-type" { (type_name(lang, &u.partner_type, &types)) }
            dt { (t(lang, "units.tier")) } dd data-testid="unit-tier" { (u.tier) }
            dt { (t(lang, "units.tags")) } dd data-testid="unit-tags" { @for tag in &u.tags { span.badge { (tag) } " " } @if u.tags.is_empty() { "—" } }
            dt { (t(lang, "units.contract")) } dd data-testid="unit-contract" { (contract) }
            dt { (t(lang, "field.status")) } dd data-testid="unit-status" {
                (unit_status_text(lang, &u.status))
                @if let Some(r) = &u.blocked_reason { " (" (r) ")" }
            }
            dt { (t(lang, "units.members")) } dd data-testid="unit-member-count" { (u.member_count) }
            dt { (t(lang, "units.brings")) } dd data-testid="unit-brings" data-brings=(u.brings) {
                @if u.brings == "departments" {
                    @for d in &u.departments { span.badge data-testid="brings-department" data-department-id=(d.id) { (d.name) } " " }
                    @if u.departments.is_empty() { "—" }
                } @else {
                    span data-testid="brings-organization" { (t(lang, "units.whole_organization")) }
                }
            }
            dt { (t(lang, "units.joined")) } dd { (u.joined_at) }
        }
        p { a href={ (base) "/people?unit_id=" (u.id) } data-testid="unit-people-link" { (t(lang, "people.title")) } }
        @if admin {
            details.card open[e_edit.is_some()] {
                summary data-testid="unit-edit-open" { (t(lang, "units.edit")) }
                form.stack method="post" action={ (here) "/edit" } data-testid="unit-edit-form" {
                    (ctx.csrf())
                    label { (t(lang, "units.type"))
                        select name="partner_type" data-testid="unit-edit-type" {
                            @for pt in &types { option value=(pt.key) selected[typed(failed, "edit", None, "partner_type", &u.partner_type) == pt.key] { (type_name(lang, &pt.key, &types)) } }
                        }
                    }
                    (field_error(e_edit, "partner_type"))
                    label { (t(lang, "units.tier"))
                        select name="tier" data-testid="unit-edit-tier" {
                            @for x in &tier_names { option value=(x) selected[typed(failed, "edit", None, "tier", &u.tier) == *x] { (x) } }
                        }
                    }
                    (field_error(e_edit, "tier"))
                    label { (t(lang, "units.tags")) input name="tags" value=(typed(failed, "edit", None, "tags", &u.tags.join(", "))) data-testid="unit-edit-tags"; }
                    span.hint { (t(lang, "units.tags_hint")) }
                    (field_error(e_edit, "tags"))
                    label { (t(lang, "units.contract_start")) input name="contract_start" type="date" value=(typed(failed, "edit", None, "contract_start", u.contract_start.as_deref().unwrap_or(""))) data-testid="unit-edit-start"; }
                    (field_error(e_edit, "contract_start"))
                    label { (t(lang, "units.contract_end")) input name="contract_end" type="date" value=(typed(failed, "edit", None, "contract_end", u.contract_end.as_deref().unwrap_or(""))) data-testid="unit-edit-end"; }
                    (field_error(e_edit, "contract_end"))
                    (field_error(e_edit, "contract"))
                    button type="submit" data-testid="unit-edit-submit" { (t(lang, "common.save")) }
                }
            }
        }
        @if let Some(org_deps) = &org_deps {
            @let e = err_of(failed, "departments", None);
            @let chosen: Vec<String> = match e {
                Some(_) => typed_all(failed, "departments", None, "department_ids"),
                None => u.departments.iter().map(|d| d.id.clone()).collect(),
            };
            h2 #departments { (t(lang, "units.departments_title")) }
            form.stack.card method="post" action={ (here) "/departments" } data-testid="unit-departments-form" {
                (ctx.csrf())
                p.hint { (t(lang, "units.departments_help")) }
                (department_checks(org_deps, &|d| chosen.contains(&d.id)))
                (field_error(e, "department_ids"))
                p.hint { (t(lang, "units.departments_left_out")) }
                button type="submit" data-testid="unit-departments-submit" { (t(lang, "units.departments_save")) }
            }
        }
        h2 { (t(lang, "contacts.title")) }
        p.muted { (t(lang, "contacts.help")) }
        table data-testid="contact-table" {
            thead { tr {
                th { (t(lang, "contacts.side")) } th { (t(lang, "field.name")) } th { (t(lang, "contacts.role")) }
                th { (t(lang, "contacts.backup")) } th {}
            } }
            tbody {
                @for k in &u.contacts {
                    @let may = match k.side { Side::Backbone => admin, Side::Partner => partner_editor };
                    tr data-testid="contact-row" data-contact-id=(k.id) data-side=(k.side.as_str()) data-member-id=(k.member_id) {
                        td { (side_text(lang, k.side.as_str())) }
                        td data-testid="contact-name" { a href={ (base) "/people/" (k.member_id) } { (k.member_name) } }
                        td data-testid="contact-role" { (contact_role_text(lang, &k.role)) }
                        td data-testid="contact-backup" { @if let Some(b) = &k.backup_id { (name_of(b)) } @else { "—" } }
                        td {
                            @if may {
                                form.inline method="post" action={ (here) "/contacts/" (k.id) "/remove" } {
                                    (ctx.csrf())
                                    button.secondary.small type="submit" data-testid="contact-remove" title=(t(lang, "contacts.remove_help")) { (t(lang, "contacts.remove")) }
                                }
                            }
                            @if let Some(e) = err_of(failed, "contact-remove", Some(k.id.as_str())) {
                                span.field-error role="alert" data-testid="contact-error" { (e.0.detail) }
                            }
                        }
                    }
                }
                @if u.contacts.is_empty() { tr { td.muted colspan="5" { (t(lang, "common.none")) } } }
            }
        }
        @if admin { (contact_form(Side::Backbone)) }
        @if partner_editor { (contact_form(Side::Partner)) }
        datalist #unit-people { @for p in &unit_people { option value=(p.member_id) { (p.name) } } }
        (backbone_list)
        @if admin || own_admin {
            h2 { @if admin { (t(lang, "units.remove")) } @else { (t(lang, "units.leave")) } }
            form.inline method="post" action={ (here) "/remove" }
                data-confirm=(if admin { t(lang, "units.remove_confirm") } else { t(lang, "units.leave_confirm") }) {
                (ctx.csrf())
                @if admin {
                    button.danger type="submit" data-testid="unit-remove" { (t(lang, "units.remove")) }
                } @else {
                    button.danger type="submit" data-testid="unit-leave" { (t(lang, "units.leave")) }
                }
                @if let Some(e) = err_of(failed, "remove", None) { span.field-error role="alert" { (e.0.detail) } }
            }
        }
    };
    finish(&ctx, &u.organization_name, &f, failed, body)
}

async fn unit_result(
    s: &AppState,
    (id, unit): (&str, &str),
    form: &Csrf<Pairs>,
    name: &'static str,
    at: Option<&str>,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => saved(&format!("/console/networks/{id}/units/{unit}")),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => unit_page(s, ctx, id, unit, Flash::default(), Some(Failed::new(name, at, e, &form.form))).await,
            Err(r) => r,
        },
    }
}

async fn edit_unit(State(s): State<AppState>, Path((id, unit)): Path<(String, String)>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let tags = one(p, "tags")
        .map(|t| t.split([',', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>());
    let patch = UnitPatch {
        partner_type: nonblank(one(p, "partner_type")),
        tier: nonblank(one(p, "tier")),
        tags,
        contract_start: one(p, "contract_start").map(|x| x.trim().to_owned()),
        contract_end: one(p, "contract_end").map(|x| x.trim().to_owned()),
    };
    let r = async {
        s.svc.update_unit(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &patch).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "tags"));
    unit_result(&s, (&id, &unit), &form, "edit", None, r).await
}

async fn set_unit_departments(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let input = UnitDepartmentsInput { department_ids: ticked_ids(&form.form) };
    let r = async {
        s.svc.set_unit_departments(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "department_ids"));
    unit_result(&s, (&id, &unit), &form, "departments", None, r).await
}

async fn remove_unit(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let r = async {
        let nid = network_id(&id)?;
        let net = s.svc.network(&form.session.caller, &nid).await?;
        s.svc.remove_unit(&form.session.caller, &nid, &unit_id(&unit)?).await?;
        Ok::<NetworkView, ApiError>(net)
    }
    .await;
    match r {
        // The backbone goes back to its network; a unit that left has no network page any more.
        Ok(net) if net.membership == "backbone" => saved(&format!("/console/networks/{id}")),
        Ok(_) => saved("/console/networks"),
        Err(e) => unit_result(&s, (&id, &unit), &form, "remove", None, Err(e)).await,
    }
}

async fn add_contact(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let p = &form.form;
    let side_raw = one(p, "side").unwrap_or_default();
    let r = async {
        let side = Side::parse("side", &side_raw)?;
        let member_id = MemberId::parse(one(p, "member_id").unwrap_or_default().trim())
            .map_err(|e| ApiError::from(e).with_field("member_id"))?;
        let backup_id = match nonblank(one(p, "backup_id")) {
            Some(b) => Some(MemberId::parse(b.trim()).map_err(|e| ApiError::from(e).with_field("backup_id"))?),
            None => None,
        };
        let input = NewContact { side, member_id, role: one(p, "role").unwrap_or_default(), backup_id };
        s.svc.add_contact(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    unit_result(&s, (&id, &unit), &form, "contact", Some(&side_raw), r).await
}

async fn remove_contact(
    State(s): State<AppState>,
    Path((id, unit, contact)): Path<(String, String, String)>,
    form: Csrf<Pairs>,
) -> Response {
    let r = async {
        let k = parse_id(ContactId::parse, &contact, "contact")?;
        s.svc.remove_contact(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &k).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    unit_result(&s, (&id, &unit), &form, "contact-remove", Some(&contact), r).await
}

// ----- the address book -----

#[derive(Deserialize, Default)]
struct PeopleParams {
    q: Option<String>,
    unit_id: Option<String>,
    department_id: Option<String>,
    cursor: Option<String>,
}

async fn people(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PeopleParams>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "people.title");
    let caller = &ctx.session.caller;
    let nid = match network_id(&id) {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let net = match s.svc.network(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let units = s.svc.units(caller, &nid).await.unwrap_or_default();
    let types = s.svc.partner_types(caller, &nid).await.unwrap_or_default();
    let query = PeopleQuery {
        q: nonblank(q.q.clone()),
        unit_id: nonblank(q.unit_id.clone()),
        department_id: nonblank(q.department_id.clone()),
        cursor: nonblank(q.cursor.clone()),
        limit: Some(50),
    };
    let mut f = Flash::default();
    let (page, err) = match s.svc.people(caller, &nid, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            f = Flash::error(&e);
            (Default::default(), Some(e))
        }
    };
    let err = err.as_ref();
    let base = format!("/console/networks/{}", net.id);
    let next = page.next_cursor.as_ref().map(|c| {
        let mut params = vec![("cursor", c.clone())];
        for (k, v) in [("q", &query.q), ("unit_id", &query.unit_id), ("department_id", &query.department_id)] {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        format!("{base}/people?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    let chosen = query.unit_id.clone().unwrap_or_default();
    let body = html! {
        p { a href=(base) data-testid="back-to-network" { "← " (net.name) } }
        form.inline.filters method="get" action={ (base) "/people" } data-testid="people-search" {
            input type="search" name="q" value=(query.q.clone().unwrap_or_default()) placeholder=(t(lang, "people.search_placeholder")) aria-label=(t(lang, "common.search")) data-testid="people-q";
            (field_error(err, "q"))
            select name="unit_id" aria-label=(t(lang, "units.title")) data-testid="people-unit" {
                option value="" { (t(lang, "people.all_units")) }
                option value="backbone" selected[chosen == "backbone"] { (t(lang, "people.backbone")) }
                @for u in &units { option value=(u.id) selected[chosen == u.id] { (u.organization_name) } }
            }
            (field_error(err, "unit_id"))
            button type="submit" data-testid="people-submit" { (t(lang, "common.search")) }
        }
        table data-testid="people-table" {
            thead { tr {
                th { (t(lang, "field.name")) } th { (t(lang, "units.organization")) } th { (t(lang, "units.type")) }
                th { (t(lang, "units.tier")) } th { (t(lang, "field.title")) } th { (t(lang, "field.status")) }
            } }
            tbody {
                @for p in &page.items {
                    tr data-testid="people-row" data-member-id=(p.member_id) {
                        td { a href={ (base) "/people/" (p.member_id) } data-testid="people-link" { (p.name) } }
                        td { (p.organization_name) }
                        td { @match &p.partner_type { Some(k) => (type_name(lang, k, &types)), None => span.muted { (t(lang, "people.backbone")) } } }
                        td { (p.tier.clone().unwrap_or_default()) }
                        td { (p.title.clone().unwrap_or_default()) }
                        td { (status_text(lang, &p.status)) }
                    }
                }
                @if page.items.is_empty() { tr { td.muted colspan="6" data-testid="people-empty" { (t(lang, "common.none")) } } }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="people-next" { (t(lang, "common.next_page")) } } }
    };
    let res = layout(&ctx, ACTIVE, title, &f, body);
    match err {
        Some(e) => (status_of(e), res).into_response(),
        None => res,
    }
}

async fn person(State(s): State<AppState>, ctx: Ctx, Path((id, member)): Path<(String, String)>) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "people.person");
    let caller = &ctx.session.caller;
    let r = async {
        let nid = network_id(&id)?;
        let mid = parse_id(MemberId::parse, &member, "person")?;
        let net = s.svc.network(caller, &nid).await?;
        let p = s.svc.person(caller, &nid, &mid).await?;
        let types = s.svc.partner_types(caller, &nid).await?;
        Ok::<_, ApiError>((net, p, types))
    }
    .await;
    let (net, d, types) = match r {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let base = format!("/console/networks/{}", net.id);
    let p = &d.person;
    let body = html! {
        p { a href={ (base) "/people" } data-testid="back-to-people" { "← " (t(lang, "people.title")) } }
        dl.fields.card data-testid="person-detail" {
            dt { (t(lang, "units.organization")) } dd data-testid="person-organization" { (p.organization_name) }
            dt { (t(lang, "people.unit")) } dd data-testid="person-unit" {
                @match &p.unit_id {
                    Some(u) => a href={ (base) "/units/" (u) } { (p.organization_name) },
                    None => (t(lang, "people.backbone")),
                }
            }
            dt { (t(lang, "units.type")) } dd data-testid="person-type" { (p.partner_type.as_deref().map(|k| type_name(lang, k, &types)).unwrap_or_else(|| "—".into())) }
            dt { (t(lang, "units.tier")) } dd data-testid="person-tier" { (p.tier.clone().unwrap_or_else(|| "—".into())) }
            dt { (t(lang, "field.departments")) } dd data-testid="person-departments" { @for dep in &d.departments { span.badge { (dep) } " " } }
            dt { (t(lang, "field.title")) } dd data-testid="person-title" { (p.title.clone().unwrap_or_default()) }
            dt { (t(lang, "field.status")) } dd data-testid="person-status" { (status_text(lang, &p.status)) }
            @if p.unit_id.is_some() {
                dt { (t(lang, "people.backbone_contacts")) }
                dd data-testid="person-contacts" {
                    @for k in &d.backbone_contacts {
                        div data-testid="person-contact" { a href={ (base) "/people/" (k.member_id) } { (k.member_name) } " · " (contact_role_text(lang, &k.role)) }
                    }
                    @if d.backbone_contacts.is_empty() { span.muted { (t(lang, "people.no_contact")) } }
                }
            }
        }
    };
    layout(&ctx, ACTIVE, &p.name, &Flash::default(), body)
}

// ----- a partner admin's invitations -----

async fn received(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    received_page(&s, ctx, f, None).await
}

fn preview_fields(lang: Lang, p: &InvitationPreview) -> Markup {
    html! {
        dt { (t(lang, "invitations.network")) } dd data-testid="preview-network" { (p.network_name) }
        dt { (t(lang, "invitations.backbone")) } dd data-testid="preview-backbone" { (p.backbone_name) }
        dt { (t(lang, "units.partner_name")) } dd { (p.partner_name) }
        dt { (t(lang, "units.type")) } dd data-testid="preview-type" { (type_text(lang, &p.partner_type)) }
        dt { (t(lang, "units.tier")) } dd data-testid="preview-tier" { (p.tier) }
        dt { (t(lang, "invitations.expires")) } dd data-testid="preview-expires" { (p.expires_at) }
        dt { (t(lang, "invitations.departments")) } dd data-testid="preview-departments" { (brings_text(lang, &p.departments)) }
    }
}

async fn received_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "invitations.title");
    if ctx.org().is_none() {
        return no_org(&ctx, ACTIVE, title);
    }
    if !ctx.can(Scope::Partners) {
        return not_allowed(&ctx, ACTIVE, title);
    }
    let list = match s.svc.received_invitations(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let failed = failed.as_ref();
    let body = html! {
        p.muted { (t(lang, "invitations.received_help")) }
        form.inline.card method="get" action="/console/invitations/answer" data-testid="answer-code-form" {
            label.field { span { (t(lang, "invitations.code")) }
                input name="code" required autocomplete="off" data-testid="answer-code"; }
            button type="submit" data-testid="answer-open" { (t(lang, "invitations.open")) }
        }
        @for p in &list {
            @let answerable = closed_reason(lang, p).is_none();
            div.card data-testid="received-invitation" data-invitation-id=(p.id) {
                dl.fields { (preview_fields(lang, p)) }
                @if let Some(e) = err_of(failed, "answer", Some(p.id.as_str())) {
                    div.error role="alert" data-testid="answer-error" { (e.0.detail) }
                }
                @if answerable {
                    form.inline method="post" action="/console/invitations/accept" {
                        (ctx.csrf())
                        input type="hidden" name="invitation_id" value=(p.id);
                        button type="submit" data-testid="invitation-accept" { (t(lang, "invitations.accept")) }
                    }
                    form.inline method="post" action="/console/invitations/decline" {
                        (ctx.csrf())
                        input type="hidden" name="invitation_id" value=(p.id);
                        button.secondary type="submit" data-testid="invitation-decline" { (t(lang, "invitations.decline")) }
                    }
                } @else if let Some(reason) = closed_reason(lang, p) {
                    p.muted { (reason) }
                }
            }
        }
        @if list.is_empty() { p.muted data-testid="received-empty" { (t(lang, "invitations.none_received")) } }
    };
    finish(&ctx, title, &f, failed, body)
}

#[derive(Deserialize, Default)]
struct AnswerQuery {
    code: Option<String>,
}

async fn answer(State(s): State<AppState>, ctx: Ctx, Query(q): Query<AnswerQuery>) -> Response {
    answer_page(&s, ctx, q.code.unwrap_or_default(), None, None).await
}

/// Two department names alike but for case.
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Why an invitation can no longer be answered, said before anyone presses a button.
fn closed_reason(lang: Lang, p: &InvitationPreview) -> Option<&'static str> {
    match p.status.as_str() {
        "pending" if p.expired => Some(t(lang, "invitations.closed_expired")),
        "pending" => None,
        "revoked" => Some(t(lang, "invitations.closed_revoked")),
        _ => Some(t(lang, "invitations.closed_answered")),
    }
}

/// The invitation behind a code, with the departments of the caller's organization to bring in:
/// those the backbone proposed are ticked at first (`ticked` keeps a failed answer's choice).
async fn answer_page(
    s: &AppState,
    ctx: Ctx,
    code: String,
    err: Option<ApiError>,
    ticked: Option<Vec<String>>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "invitations.answer_title");
    let Some(org) = ctx.org() else {
        return no_org(&ctx, ACTIVE, title);
    };
    let input = InvitationAnswer { code: Some(code.clone()), invitation_id: None, department_ids: None };
    let preview = s.svc.preview_invitation(&ctx.session.caller, &input).await.map_err(ApiError::from);
    let code_form = html! {
        form.inline.card method="get" action="/console/invitations/answer" data-testid="answer-code-form" {
            label.field { span { (t(lang, "invitations.code")) }
                input name="code" required autocomplete="off" value=(code) data-testid="answer-code"; }
            button type="submit" data-testid="answer-open" { (t(lang, "invitations.open")) }
        }
    };
    let (body, error) = match preview {
        Err(e) => (code_form, Some(err.unwrap_or(e))),
        Ok(p) => {
            let closed = closed_reason(lang, &p);
            // Without the tree the answer names no departments, and the invitation's are matched
            // by name: an empty choice would bring the whole organization.
            let tree = match closed {
                None => s.svc.departments(&ctx.session.caller, &org).await.ok(),
                Some(_) => None,
            };
            let proposed = |d: &DepartmentView| p.departments.iter().any(|n| same_name(n, &d.name));
            let tick = |d: &DepartmentView| match &ticked {
                Some(ids) => ids.contains(&d.id),
                None => proposed(d),
            };
            let unmatched: Vec<&str> = p
                .departments
                .iter()
                .filter(|n| !tree.iter().flatten().any(|d| same_name(n, &d.name)))
                .map(String::as_str)
                .collect();
            let body = html! {
                div.card data-testid="invitation-preview" data-status=(p.status.as_str()) data-expired=(p.expired) {
                    p { (tf(lang, "invitations.preview_intro", &[("backbone", &p.backbone_name), ("network", &p.network_name)])) }
                    dl.fields { (preview_fields(lang, &p)) }
                    @if let Some(reason) = closed {
                        div.error role="alert" data-testid="invitation-closed" { (reason) }
                    } @else {
                        form.stack method="post" action="/console/invitations/accept" data-testid="accept-form" {
                            (ctx.csrf())
                            input type="hidden" name="code" value=(code);
                            @if let Some(deps) = &tree {
                                input type="hidden" name="pick" value="1";
                                fieldset {
                                    legend { (t(lang, "invitations.pick_departments")) }
                                    p.hint data-testid="departments-help" { (t(lang, "units.departments_help")) }
                                    @if !p.departments.is_empty() && unmatched.is_empty() {
                                        p.hint { (t(lang, "invitations.departments_ticked")) }
                                    }
                                    @if !unmatched.is_empty() {
                                        p.field-error role="alert" data-testid="departments-unmatched" {
                                            (tf(lang, "invitations.departments_unmatched", &[("names", &unmatched.join(", "))]))
                                        }
                                    }
                                    (department_checks(deps, &tick))
                                    (field_error(err.as_ref(), "department_ids"))
                                }
                            }
                            div { button type="submit" data-testid="invitation-accept" { (t(lang, "invitations.accept")) } }
                        }
                        form.inline method="post" action="/console/invitations/decline" {
                            (ctx.csrf())
                            input type="hidden" name="code" value=(code);
                            button.secondary type="submit" data-testid="invitation-decline" { (t(lang, "invitations.decline")) }
                        }
                    }
                }
            };
            (body, err)
        }
    };
    match error {
        Some(e) => (status_of(&e), layout(&ctx, ACTIVE, title, &Flash::error(&e), body)).into_response(),
        None => layout(&ctx, ACTIVE, title, &Flash::default(), body),
    }
}

/// An answer from a form: the departments ticked on the answer page (none ticked: the whole
/// organization); from the list of received invitations, those the invitation names.
fn answer_of(p: &Pairs) -> Result<InvitationAnswer, ApiError> {
    let invitation_id = match nonblank(one(p, "invitation_id")) {
        Some(i) => Some(parse_id(InvitationId::parse, i.trim(), "invitation")?),
        None => None,
    };
    let department_ids = one(p, "pick").map(|_| ticked_ids(p));
    Ok(InvitationAnswer { code: nonblank(one(p, "code")), invitation_id, department_ids })
}

/// An answer failed: the page it was given on, with the service's reason.
async fn answer_failed(s: &AppState, form: &Csrf<Pairs>, e: ApiError) -> Response {
    let ctx = match ctx_of(s, form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match nonblank(one(&form.form, "code")) {
        Some(code) => {
            let ticked = one(&form.form, "pick").map(|_| ticked_ids(&form.form));
            answer_page(s, ctx, code, Some(e), ticked).await
        }
        None => {
            let at = one(&form.form, "invitation_id");
            received_page(s, ctx, Flash::default(), Some(Failed::new("answer", at.as_deref(), e, &form.form))).await
        }
    }
}

async fn accept(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let r = async {
        let answer = answer_of(&form.form)?;
        Ok::<UnitView, ApiError>(s.svc.accept_invitation(&form.session.caller, &answer).await?)
    }
    .await
    .map_err(|e| list_field(e, "department_ids"));
    match r {
        Ok(u) => saved(&format!("/console/networks/{}", u.network_id)),
        Err(e) => answer_failed(&s, &form, e).await,
    }
}

async fn decline(State(s): State<AppState>, form: Csrf<Pairs>) -> Response {
    let r = async {
        let answer = answer_of(&form.form)?;
        s.svc.decline_invitation(&form.session.caller, &answer).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match r {
        Ok(()) => saved("/console/invitations"),
        Err(e) => answer_failed(&s, &form, e).await,
    }
}
