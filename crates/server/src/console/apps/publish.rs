//! Publishing an app to a network audience, the preview, and editing its permission groups.

use super::*;

fn audience_of(p: &Pairs) -> Result<Audience, ApiError> {
    let required = || ApiError::from(DomainError::invalid("audience", Rule::Required));
    match one(p, "audience").as_deref() {
        Some("all_units") => Ok(Audience::AllUnits),
        Some("partner_types") => {
            let ids = all(p, "partner_type");
            if ids.is_empty() { Err(required()) } else { Ok(Audience::PartnerTypes(ids)) }
        }
        Some("units") => {
            let ids = all(p, "unit_id");
            if ids.is_empty() { Err(required()) } else { Ok(Audience::Units(ids)) }
        }
        _ => Err(required()),
    }
}

fn network_of(p: &Pairs) -> Result<NetworkId, ApiError> {
    NetworkId::parse(&one(p, "network_id").unwrap_or_default()).map_err(|e| ApiError::from(e).with_field("network_id"))
}

pub(super) async fn publish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(p)?;
        let publication = Publication { audience: audience_of(p)? };
        s.svc.apps().publish_app(&form.session.caller, &app, &network, &publication).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}

pub(super) async fn unpublish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(&form.form)?;
        s.svc.apps().unpublish_app(&form.session.caller, &app, &network).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}

/// The group editor's choices as principals; at least one is needed.
pub(super) fn principals_of(p: &Pairs) -> Result<Vec<Principal>, ApiError> {
    let mut out = Vec::new();
    if one(p, "everyone").is_some() {
        out.push(Principal::Everyone);
    }
    if one(p, "admins").is_some() {
        out.push(Principal::Admins);
    }
    let picked = |key: &str| all(p, key).into_iter().filter(|v| !v.trim().is_empty());
    out.extend(picked("partner_type").map(Principal::PartnerType));
    out.extend(picked("unit_id").map(Principal::Unit));
    out.extend(picked("department_id").map(Principal::Department));
    // Members are typed: ids separated by commas (or spaces), each checked here so the error
    // lands beside the input rather than on the list as a whole.
    let typed = one(p, "member_ids").unwrap_or_default();
    for raw in typed.split([',', ' ', '\n']).map(str::trim).filter(|m| !m.is_empty()) {
        let id = MemberId::parse(raw).map_err(|e| ApiError::from(e).with_field("member_ids"))?;
        out.push(Principal::Member(id.to_string()));
    }
    if out.is_empty() {
        return Err(DomainError::invalid("principals", Rule::Required).into());
    }
    Ok(out)
}

pub(super) fn rights_of(p: &Pairs) -> Result<Vec<Right>, ApiError> {
    let rights = all(p, "right").iter().map(|r| Right::parse("rights", r)).collect::<Result<Vec<_>, _>>()?;
    if rights.is_empty() {
        return Err(DomainError::invalid("rights", Rule::Required).into());
    }
    Ok(rights)
}

/// Saves the group under its name: a new one, or the one of that name replaced.
pub(super) async fn put_group(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let group = one(p, "group").unwrap_or_default();
        let input = GroupInput { rights: rights_of(p)?, principals: principals_of(p)? };
        s.svc.apps().put_permission_group(&form.session.caller, &app, &group, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "group", None, e).await,
    }
}

pub(super) async fn remove_group(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let group = one(&form.form, "group").unwrap_or_default();
    let result = async {
        let app = app_id(&id)?;
        s.svc.apps().remove_permission_group(&form.session.caller, &app, &group).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "group-remove", Some(&group), e).await,
    }
}

/// The publish form's "Preview": how many people would see the app with the chosen audience.
/// Nothing changes; the page comes back with the choice and the number.
pub(super) async fn preview(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<Pairs>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let network = network_of(p)?;
        let audience = audience_of(p)?;
        Ok::<_, ApiError>(s.svc.apps().audience_preview(&form.session.caller, &app, &network, &audience).await?)
    }
    .await;
    match result {
        Ok((now, would_be)) => match ctx_of(&s, &form).await {
            Ok(ctx) => {
                let preview = Preview { values: p.clone(), now, would_be };
                let shown = Shown { preview: Some(preview), ..Default::default() };
                app_page(&s, ctx, &id, Flash::default(), None, shown).await
            }
            Err(r) => r,
        },
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}
