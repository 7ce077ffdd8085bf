//! Partner networks: networks, partner types, units, contacts, invitations and the address book.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use keiretsu_domain::ids::{ContactId, InvitationId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::journal::Entry;
use keiretsu_service::directory::DepartmentView;
use keiretsu_service::network::{
    ContactPatch, ContactView, InvitationAnswer, InvitationImport, InvitationPreview, InvitationView, MemberPost,
    NetworkMembersAdded, NetworkMembersInput, NetworkPatch, NetworkView, NewContact, NewInvitation, NewManagedUnit,
    NewNetwork, PartnerTypeInput, PartnerTypeView, PeopleQuery, PersonDetail, PersonView, UnitDepartmentsInput,
    UnitPatch, UnitView,
};
use keiretsu_service::page::Page;
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, Ids};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Problem};

pub fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_networks, create_network))
        .routes(routes!(get_network, update_network))
        .routes(routes!(list_partner_types))
        .routes(routes!(put_partner_type))
        .routes(routes!(list_units, create_managed_unit))
        .routes(routes!(get_unit, update_unit, remove_unit))
        .routes(routes!(unit_departments, set_unit_departments))
        .routes(routes!(add_contact))
        .routes(routes!(update_contact, remove_contact))
        .routes(routes!(add_network_members))
        .routes(routes!(remove_network_member))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(import_invitations).layer(DefaultBodyLimit::max(crate::INVITATION_IMPORT_LIMIT)))
        .routes(routes!(resend_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(list_people))
        .routes(routes!(get_person))
        .routes(routes!(list_handovers))
        .routes(routes!(member_posts))
        .routes(routes!(received_invitations))
        .routes(routes!(preview_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

/// Where a member works with partners: the networks they were added to and the contact posts
/// they hold or back up.
#[utoipa::path(get, path = "/api/v1/organizations/{org_id}/members/{member_id}/posts", tag = "network",
    security(("bearer" = [])), params(("org_id" = String, Path), ("member_id" = String, Path)),
    responses((status = 200, body = Vec<MemberPost>), (status = "4XX", body = Problem)))]
async fn member_posts(
    State(s): State<AppState>,
    auth: Auth,
    Ids((org, member)): Ids<(OrgId, MemberId)>,
) -> ApiResult<Json<Vec<MemberPost>>> {
    Ok(Json(s.svc.network().posts_of(&auth.caller, &org, &member).await?))
}

/// The networks the caller's organization owns (as backbone) or belongs to (as a unit).
#[utoipa::path(get, path = "/api/v1/networks", tag = "network", security(("bearer" = [])),
    responses((status = 200, body = Vec<NetworkView>), (status = "4XX", body = Problem)))]
async fn list_networks(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<NetworkView>>> {
    Ok(Json(s.svc.network().networks(&auth.caller).await?))
}

/// Partner admin of a certified organization whose edition allows it: create a network.
#[utoipa::path(post, path = "/api/v1/networks", tag = "network", security(("bearer" = [])), request_body = NewNetwork,
    responses((status = 201, body = NetworkView), (status = "4XX", body = Problem)))]
async fn create_network(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewNetwork>,
) -> ApiResult<(StatusCode, Json<NetworkView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.network().create_network(&auth.caller, &body).await?)))
}

#[utoipa::path(get, path = "/api/v1/networks/{network_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), responses((status = 200, body = NetworkView), (status = "4XX", body = Problem)))]
async fn get_network(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<NetworkView>> {
    Ok(Json(s.svc.network().get(&auth.caller, &network).await?))
}

/// Backbone partner admin: rename, describe, or change who sees whom (`visibility`).
#[utoipa::path(patch, path = "/api/v1/networks/{network_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), request_body = NetworkPatch,
    responses((status = 200, body = NetworkView), (status = "4XX", body = Problem)))]
async fn update_network(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
    ApiJson(body): ApiJson<NetworkPatch>,
) -> ApiResult<Json<NetworkView>> {
    Ok(Json(s.svc.network().update_network(&auth.caller, &network, &body).await?))
}

#[utoipa::path(get, path = "/api/v1/networks/{network_id}/partner-types", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), responses((status = 200, body = Vec<PartnerTypeView>), (status = "4XX", body = Problem)))]
async fn list_partner_types(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<Vec<PartnerTypeView>>> {
    Ok(Json(s.svc.network().partner_types(&auth.caller, &network).await?))
}

/// Backbone partner admin: create or replace a partner type with its tiers and cooperation policy.
#[utoipa::path(put, path = "/api/v1/networks/{network_id}/partner-types/{key}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("key" = String, Path, pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[a-z0-9_]{2,32}[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$")), request_body = PartnerTypeInput,
    responses((status = 200, body = PartnerTypeView), (status = "4XX", body = Problem)))]
async fn put_partner_type(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, key)): Ids<(NetworkId, String)>,
    ApiJson(body): ApiJson<PartnerTypeInput>,
) -> ApiResult<Json<PartnerTypeView>> {
    Ok(Json(s.svc.network().put_partner_type(&auth.caller, &network, &key, &body).await?))
}

/// The units the caller may see under the network's visibility rules.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/units", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), responses((status = 200, body = Vec<UnitView>), (status = "4XX", body = Problem)))]
async fn list_units(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<Vec<UnitView>>> {
    Ok(Json(s.svc.network().units(&auth.caller, &network).await?))
}

/// Backbone partner admin: add a unit kept inside the network (a new organization the backbone runs).
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/units", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), request_body = NewManagedUnit,
    responses((status = 201, body = UnitView), (status = "4XX", body = Problem)))]
async fn create_managed_unit(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
    ApiJson(body): ApiJson<NewManagedUnit>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.network().create_managed_unit(&auth.caller, &network, &body).await?)))
}

/// A unit with its contacts.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/units/{unit_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("unit_id" = String, Path)),
    responses((status = 200, body = UnitView), (status = "4XX", body = Problem)))]
async fn get_unit(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(s.svc.network().unit(&auth.caller, &network, &unit).await?))
}

/// Backbone partner admin: the unit's partner type, tier, tags and contract period.
#[utoipa::path(patch, path = "/api/v1/networks/{network_id}/units/{unit_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("unit_id" = String, Path)), request_body = UnitPatch,
    responses((status = 200, body = UnitView), (status = "4XX", body = Problem)))]
async fn update_unit(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
    ApiJson(body): ApiJson<UnitPatch>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(s.svc.network().update_unit(&auth.caller, &network, &unit, &body).await?))
}

/// The backbone removes a unit, or the unit's own partner admin leaves: its people lose access at once.
#[utoipa::path(delete, path = "/api/v1/networks/{network_id}/units/{unit_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("unit_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn remove_unit(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
) -> ApiResult<StatusCode> {
    s.svc.network().remove_unit(&auth.caller, &network, &unit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A unit's department tree, for browsing the address book.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/units/{unit_id}/departments", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("unit_id" = String, Path)),
    responses((status = 200, body = Vec<DepartmentView>), (status = "4XX", body = Problem)))]
async fn unit_departments(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
) -> ApiResult<Json<Vec<DepartmentView>>> {
    Ok(Json(s.svc.network().unit_departments(&auth.caller, &network, &unit).await?))
}

/// The departments the unit brings into the network (and those below them, present and future);
/// an empty list brings the whole organization. Set by the unit's own partner admins, or by the
/// backbone for a unit it keeps. People left out give back their partner seats; a partner
/// contact may not be left out.
#[utoipa::path(put, path = "/api/v1/networks/{network_id}/units/{unit_id}/departments", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("unit_id" = String, Path)),
    request_body = UnitDepartmentsInput,
    responses((status = 200, body = UnitView), (status = "4XX", body = Problem)))]
async fn set_unit_departments(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
    ApiJson(body): ApiJson<UnitDepartmentsInput>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(s.svc.network().set_unit_departments(&auth.caller, &network, &unit, &body).await?))
}

/// Add a contact: backbone side by the backbone's partner admins, partner side also by the unit's.
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/units/{unit_id}/contacts", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("unit_id" = String, Path)), request_body = NewContact,
    responses((status = 201, body = ContactView), (status = "4XX", body = Problem)))]
async fn add_contact(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit)): Ids<(NetworkId, UnitId)>,
    ApiJson(body): ApiJson<NewContact>,
) -> ApiResult<(StatusCode, Json<ContactView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.network().add_contact(&auth.caller, &network, &unit, &body).await?)))
}

/// Change a contact's person, role or backup.
#[utoipa::path(patch, path = "/api/v1/networks/{network_id}/units/{unit_id}/contacts/{contact_id}", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("unit_id" = String, Path), ("contact_id" = String, Path)),
    request_body = ContactPatch, responses((status = 200, body = ContactView), (status = "4XX", body = Problem)))]
async fn update_contact(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit, contact)): Ids<(NetworkId, UnitId, ContactId)>,
    ApiJson(body): ApiJson<ContactPatch>,
) -> ApiResult<Json<ContactView>> {
    Ok(Json(s.svc.network().update_contact(&auth.caller, &network, &unit, &contact, &body).await?))
}

/// Remove a contact: its backup takes over and the counterpart is told; the last contact of a side stays.
#[utoipa::path(delete, path = "/api/v1/networks/{network_id}/units/{unit_id}/contacts/{contact_id}", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("unit_id" = String, Path), ("contact_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn remove_contact(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, unit, contact)): Ids<(NetworkId, UnitId, ContactId)>,
) -> ApiResult<StatusCode> {
    s.svc.network().remove_contact(&auth.caller, &network, &unit, &contact).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Backbone partner admin: add backbone members to the network, by person or by department (with subtrees).
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/members", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), request_body = NetworkMembersInput,
    responses((status = 200, body = NetworkMembersAdded), (status = "4XX", body = Problem)))]
async fn add_network_members(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
    ApiJson(body): ApiJson<NetworkMembersInput>,
) -> ApiResult<Json<NetworkMembersAdded>> {
    Ok(Json(s.svc.network().add_network_members(&auth.caller, &network, &body).await?))
}

#[utoipa::path(delete, path = "/api/v1/networks/{network_id}/members/{member_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("member_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn remove_network_member(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, member)): Ids<(NetworkId, MemberId)>,
) -> ApiResult<StatusCode> {
    s.svc.network().remove_network_member(&auth.caller, &network, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvitationFilter {
    /// `pending`, `accepted`, `declined` or `revoked`.
    #[param(pattern = "^(pending|accepted|declined|revoked)$")]
    pub status: Option<String>,
}

/// Backbone partner admin: the network's invitations, newest first.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/invitations", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), InvitationFilter),
    responses((status = 200, body = Vec<InvitationView>), (status = "4XX", body = Problem)))]
async fn list_invitations(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InvitationFilter>,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<Vec<InvitationView>>> {
    Ok(Json(s.svc.network().invitations(&auth.caller, &network, q.status.as_deref()).await?))
}

/// Backbone partner admin: invite a partner with a preset type and tier. The code is in the answer, once.
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/invitations", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), request_body = NewInvitation,
    responses((status = 201, body = InvitationView), (status = "4XX", body = Problem)))]
async fn invite(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
    ApiJson(body): ApiJson<NewInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.network().invite(&auth.caller, &network, &body).await?)))
}

/// Bulk invitations from CSV (`partner_name,partner_type,tier[,organization_id]`); bad rows are reported.
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/invitations/import", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = InvitationImport), (status = "4XX", body = Problem)))]
async fn import_invitations(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
    body: String,
) -> ApiResult<Json<InvitationImport>> {
    Ok(Json(s.svc.network().import_invitations(&auth.caller, &network, &body).await?))
}

/// A new code and expiry for a pending invitation; the old code stops working.
#[utoipa::path(post, path = "/api/v1/networks/{network_id}/invitations/{invitation_id}/resend", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = "4XX", body = Problem)))]
async fn resend_invitation(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, invitation)): Ids<(NetworkId, InvitationId)>,
) -> ApiResult<Json<InvitationView>> {
    Ok(Json(s.svc.network().resend_invitation(&auth.caller, &network, &invitation).await?))
}

#[utoipa::path(post, path = "/api/v1/networks/{network_id}/invitations/{invitation_id}/revoke", tag = "network",
    security(("bearer" = [])), params(("network_id" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = "4XX", body = Problem)))]
async fn revoke_invitation(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, invitation)): Ids<(NetworkId, InvitationId)>,
) -> ApiResult<Json<InvitationView>> {
    Ok(Json(s.svc.network().revoke_invitation(&auth.caller, &network, &invitation).await?))
}

/// The network address book and person picker, under the network's visibility rules.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/people", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), PeopleQuery),
    responses((status = 200, body = Page<PersonView>), (status = "4XX", body = Problem)))]
async fn list_people(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<PeopleQuery>,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<Page<PersonView>>> {
    Ok(Json(s.svc.network().people(&auth.caller, &network, &q).await?))
}

/// One person: organization, unit, type and tier, departments, status, and their contacts at the backbone.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/people/{member_id}", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path), ("member_id" = String, Path)),
    responses((status = 200, body = PersonDetail), (status = "4XX", body = Problem)))]
async fn get_person(
    State(s): State<AppState>,
    auth: Auth,
    Ids((network, member)): Ids<(NetworkId, MemberId)>,
) -> ApiResult<Json<PersonDetail>> {
    Ok(Json(s.svc.network().person(&auth.caller, &network, &member).await?))
}

/// Backbone partner admin: contact handovers and vacancies, newest first.
#[utoipa::path(get, path = "/api/v1/networks/{network_id}/handovers", tag = "network", security(("bearer" = [])),
    params(("network_id" = String, Path)), responses((status = 200, body = Vec<Entry>), (status = "4XX", body = Problem)))]
async fn list_handovers(
    State(s): State<AppState>,
    auth: Auth,
    Ids(network): Ids<NetworkId>,
) -> ApiResult<Json<Vec<Entry>>> {
    Ok(Json(s.svc.network().handovers(&auth.caller, &network).await?))
}

/// Partner admin: pending invitations sent to the caller's organization.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "network", security(("bearer" = [])),
    responses((status = 200, body = Vec<InvitationPreview>), (status = "4XX", body = Problem)))]
async fn received_invitations(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<InvitationPreview>>> {
    Ok(Json(s.svc.network().received_invitations(&auth.caller).await?))
}

/// Partner admin: what an invitation offers, before answering it.
#[utoipa::path(post, path = "/api/v1/invitations/preview", tag = "network", security(("bearer" = [])),
    request_body = InvitationAnswer, responses((status = 200, body = InvitationPreview), (status = "4XX", body = Problem)))]
async fn preview_invitation(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<InvitationAnswer>,
) -> ApiResult<Json<InvitationPreview>> {
    Ok(Json(s.svc.network().preview_invitation(&auth.caller, &body).await?))
}

/// Partner admin of a certified organization: accept; the organization becomes a unit of the network.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "network", security(("bearer" = [])),
    request_body = InvitationAnswer, responses((status = 201, body = UnitView), (status = "4XX", body = Problem)))]
async fn accept_invitation(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<InvitationAnswer>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    Ok((StatusCode::CREATED, Json(s.svc.network().accept_invitation(&auth.caller, &body).await?)))
}

#[utoipa::path(post, path = "/api/v1/invitations/decline", tag = "network", security(("bearer" = [])),
    request_body = InvitationAnswer, responses((status = 204), (status = "4XX", body = Problem)))]
async fn decline_invitation(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<InvitationAnswer>,
) -> ApiResult<StatusCode> {
    s.svc.network().decline_invitation(&auth.caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
