//! Invitations sent from a network's page: creating, resending and revoking. A code is shown
//! once, on the page the form answers with.

use super::*;

/// The invitation form: hours and departments as typed, checked here so errors name them.
#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    partner_name: String,
    organization_id: Option<String>,
    #[serde(default)]
    partner_type: String,
    #[serde(default)]
    tier: String,
    expires_in_hours: Option<String>,
    #[serde(default)]
    departments: String,
}

pub(super) async fn invite(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Csrf<InviteForm>,
) -> Response {
    let p = &form.form;
    let r = async {
        let organization_id = match nonblank(p.organization_id.clone()) {
            Some(o) => Some(OrgId::parse(o.trim()).map_err(|e| ApiError::from(e).with_field("organization_id"))?),
            None => None,
        };
        let input = NewInvitation {
            partner_name: p.partner_name.clone(),
            organization_id,
            partner_type: p.partner_type.clone(),
            tier: p.tier.clone(),
            expires_in_hours: parse_hours(p.expires_in_hours.clone())?,
            departments: parse_names(&p.departments),
        };
        Ok::<InvitationView, ApiError>(s.svc.network().invite(&form.session.caller, &network_id(&id)?, &input).await?)
    }
    .await
    .map_err(|e| list_field(e, "departments"));
    created_result(&s, &id, &headers, &form, "invite", None, r).await
}

/// An invitation was created or resent: the page at once with its code, never a redirect,
/// so the code lands in no URL or history.
pub(super) async fn created_result<T>(
    s: &AppState,
    id: &str,
    headers: &HeaderMap,
    form: &Csrf<T>,
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
            network_page(s, ctx, id, Flash::default(), created, None, &Default::default()).await
        }
        Err(e) => {
            let failed = Some(Failed::new(name, at, e, &form.raw));
            network_page(s, ctx, id, Flash::default(), None, failed, &Default::default()).await
        }
    }
}

pub(super) async fn resend_invitation(
    State(s): State<AppState>,
    Path((id, inv)): Path<(String, String)>,
    headers: HeaderMap,
    form: Csrf<NoFields>,
) -> Response {
    let r = async {
        let i = parse_id(InvitationId::parse, &inv, "invitation")?;
        Ok::<InvitationView, ApiError>(
            s.svc.network().resend_invitation(&form.session.caller, &network_id(&id)?, &i).await?,
        )
    }
    .await;
    created_result(&s, &id, &headers, &form, "invitation", Some(&inv), r).await
}

pub(super) async fn revoke_invitation(
    State(s): State<AppState>,
    Path((id, inv)): Path<(String, String)>,
    form: Csrf<NoFields>,
) -> Response {
    let r = async {
        let i = parse_id(InvitationId::parse, &inv, "invitation")?;
        s.svc.network().revoke_invitation(&form.session.caller, &network_id(&id)?, &i).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    network_result(&s, &id, &form, "invitation", Some(&inv), r).await
}
