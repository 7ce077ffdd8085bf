//! The console's partner network pages: the caller's networks; one network with its units,
//! partner types, invitations, visibility, backbone members and handover history; a unit with
//! its contacts; the network address book and a person's page; and, for a partner admin, the
//! invitations sent to their organization.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keiretsu_domain::identity::Scope;
use keiretsu_domain::ids::{ContactId, DepartmentId, InvitationId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::network::{BUILTIN_TYPES, CONTACT_ROLES, Side, Tier, Visibility};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::network::{
    InvitationAnswer, InvitationPreview, InvitationView, NetworkMembersInput, NetworkPatch, NetworkView, NewContact,
    NewInvitation, NewManagedUnit, NewNetwork, PartnerTypeInput, PartnerTypeView, PeopleQuery, UnitDepartmentsInput,
    UnitPatch, UnitView,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::labels::{contact_role_text, status_text, type_text};
use super::pages::{Failed, dept_options, err_of, err_page, no_org, nonblank, trimmed, typed, typed_all};
use super::picker::{self, From, Picker};
use super::{Ctx, Flash, Saved, absolute, ctx_of, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::{Csrf, NoFields};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf, tn};

mod address_book;
mod invitations;
mod networks;
mod received;
mod units;

use address_book::*;
use invitations::*;
use networks::*;
use received::*;
use units::*;

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
        Some(x) => {
            (status_of(&x.error), layout(ctx, ACTIVE, title, &Flash::error(ctx.lang, &x.error), body)).into_response()
        }
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
fn ticked_ids(ids: &[String]) -> Vec<String> {
    ids.iter().map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect()
}
