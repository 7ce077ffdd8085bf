//! Publishing an app to a network audience, the preview, and editing its permission groups.

use super::*;

/// The publish form, which also previews and unpublishes (those read only what they need):
/// a network and an audience, with the partner types or units ticked for it.
#[derive(Deserialize, Clone)]
pub(super) struct PublishForm {
    #[serde(default)]
    pub(super) network_id: String,
    pub(super) audience: Option<String>,
    #[serde(default)]
    pub(super) partner_type: Vec<String>,
    #[serde(default)]
    pub(super) unit_id: Vec<String>,
}

fn audience_of(p: &PublishForm) -> Result<Audience, ApiError> {
    let required = || ApiError::from(DomainError::invalid("audience", Rule::Required));
    let chosen = |ids: &Vec<String>| if ids.is_empty() { Err(required()) } else { Ok(ids.clone()) };
    match p.audience.as_deref() {
        Some("all_units") => Ok(Audience::AllUnits),
        Some("partner_types") => chosen(&p.partner_type).map(Audience::PartnerTypes),
        Some("units") => chosen(&p.unit_id).map(Audience::Units),
        _ => Err(required()),
    }
}

fn network_of(p: &PublishForm) -> Result<NetworkId, ApiError> {
    NetworkId::parse(&p.network_id).map_err(|e| ApiError::from(e).with_field("network_id"))
}

pub(super) async fn publish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<PublishForm>) -> Response {
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

pub(super) async fn unpublish(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<PublishForm>) -> Response {
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

/// The group editor: a name, rights ticked, and who: checkboxes, multi-selects and typed ids.
#[derive(Deserialize)]
pub(super) struct GroupForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    right: Vec<String>,
    everyone: Option<String>,
    admins: Option<String>,
    #[serde(default)]
    partner_type: Vec<String>,
    #[serde(default)]
    unit_id: Vec<String>,
    #[serde(default)]
    department_id: Vec<String>,
    #[serde(default)]
    member_ids: String,
}

/// The group editor's choices as principals; at least one is needed.
pub(super) fn principals_of(p: &GroupForm) -> Result<Vec<Principal>, ApiError> {
    let mut out = Vec::new();
    if p.everyone.is_some() {
        out.push(Principal::Everyone);
    }
    if p.admins.is_some() {
        out.push(Principal::Admins);
    }
    let picked = |ids: &Vec<String>| ids.iter().filter(|v| !v.trim().is_empty()).cloned().collect::<Vec<_>>();
    out.extend(picked(&p.partner_type).into_iter().map(Principal::PartnerType));
    out.extend(picked(&p.unit_id).into_iter().map(Principal::Unit));
    out.extend(picked(&p.department_id).into_iter().map(Principal::Department));
    // Members are typed: ids separated by commas (or spaces), each checked here so the error
    // lands beside the input rather than on the list as a whole.
    for raw in p.member_ids.split([',', ' ', '\n']).map(str::trim).filter(|m| !m.is_empty()) {
        let id = MemberId::parse(raw).map_err(|e| ApiError::from(e).with_field("member_ids"))?;
        out.push(Principal::Member(id.to_string()));
    }
    if out.is_empty() {
        return Err(DomainError::invalid("principals", Rule::Required).into());
    }
    Ok(out)
}

pub(super) fn rights_of(rights: &[String]) -> Result<Vec<Right>, ApiError> {
    let rights = rights.iter().map(|r| Right::parse("rights", r)).collect::<Result<Vec<_>, _>>()?;
    if rights.is_empty() {
        return Err(DomainError::invalid("rights", Rule::Required).into());
    }
    Ok(rights)
}

/// Saves the group under its name: a new one, or the one of that name replaced.
pub(super) async fn put_group(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<GroupForm>) -> Response {
    let p = &form.form;
    let result = async {
        let app = app_id(&id)?;
        let input = GroupInput { rights: rights_of(&p.right)?, principals: principals_of(p)? };
        s.svc.apps().put_permission_group(&form.session.caller, &app, &p.group, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved(&format!("/console/apps/{id}")),
        Err(e) => again(&s, &form, &id, "group", None, e).await,
    }
}

/// The group to remove, by name.
#[derive(Deserialize)]
pub(super) struct GroupRemoveForm {
    #[serde(default)]
    group: String,
}

pub(super) async fn remove_group(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<GroupRemoveForm>,
) -> Response {
    let group = form.form.group.clone();
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
pub(super) async fn preview(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<PublishForm>) -> Response {
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
                let preview = Preview { chosen: p.clone(), now, would_be };
                let shown = Shown { preview: Some(preview), ..Default::default() };
                app_page(&s, ctx, &id, Flash::default(), None, shown).await
            }
            Err(r) => r,
        },
        Err(e) => again(&s, &form, &id, "publish", None, e).await,
    }
}

/// An audience as the publish form holds it: the radio's value and the ids ticked under it.
/// No publication yet: every unit, as a new publication starts.
pub(super) fn audience_parts(a: Option<&Audience>) -> (&'static str, Vec<String>) {
    match a {
        None | Some(Audience::AllUnits) => ("all_units", Vec::new()),
        Some(Audience::PartnerTypes(keys)) => ("partner_types", keys.clone()),
        Some(Audience::Units(ids)) => ("units", ids.clone()),
        // Not offered by the form: shown, and kept unless the admin chooses another.
        Some(Audience::Departments(ids)) => ("departments", ids.clone()),
    }
}

/// An audience in words: every unit, the partner types, or the units by name.
pub(super) fn audience_words(lang: Lang, a: &Audience, r: &Reach) -> String {
    match a {
        Audience::AllUnits => t(lang, "apps.audience_all_units").to_owned(),
        Audience::PartnerTypes(keys) => format!(
            "{}: {}",
            t(lang, "apps.audience_partner_types"),
            keys.iter().map(|k| type_text(lang, k)).collect::<Vec<_>>().join(", ")
        ),
        Audience::Units(ids) => format!("{}: {}", t(lang, "apps.audience_units"), unit_names(ids, r).join(", ")),
        Audience::Departments(ids) => tf(lang, "apps.audience_departments", &[("n", &ids.len().to_string())]),
    }
}

fn unit_names(ids: &[String], r: &Reach) -> Vec<String> {
    ids.iter()
        .map(|id| {
            r.units.iter().find(|(u, _)| &u.id == id).map_or_else(|| id.clone(), |(u, _)| u.organization_name.clone())
        })
        .collect()
}

/// The units of `network` an audience takes in (for naming what a change adds and removes).
fn units_of<'a>(a: Option<&Audience>, network: &str, r: &'a Reach) -> Vec<&'a UnitView> {
    let here = r.units.iter().map(|(u, _)| u).filter(|u| u.network_id == network);
    match a {
        None => Vec::new(),
        Some(Audience::AllUnits) => here.collect(),
        Some(Audience::PartnerTypes(keys)) => here.filter(|u| keys.contains(&u.partner_type)).collect(),
        Some(Audience::Units(ids)) => here.filter(|u| ids.contains(&u.id)).collect(),
        // A department audience takes part of each unit: no unit joins or leaves as a whole.
        Some(Audience::Departments(_)) => Vec::new(),
    }
}

/// The preview's sentence: how many can use the app now, how many after, and the difference.
pub(super) fn preview_words(lang: Lang, p: &Preview) -> String {
    let (now, after) = (p.now as i64, p.would_be as i64);
    let change = match after - now {
        0 => t(lang, "apps.preview_same").to_owned(),
        d if d > 0 => tn(lang, "apps.preview_more", "apps.preview_more_one", d, &[]),
        d => tn(lang, "apps.preview_fewer", "apps.preview_fewer_one", -d, &[]),
    };
    tf(lang, "apps.preview_now_after", &[("now", &now.to_string()), ("after", &after.to_string()), ("change", &change)])
}

/// The units that would join and leave the audience in the previewed network, by name.
pub(super) fn unit_changes(p: &Preview, pubs: &[PublicationView], r: &Reach) -> (Vec<String>, Vec<String>) {
    let network = p.chosen.network_id.as_str();
    let current = pubs.iter().find(|x| x.network_id == network).map(|x| &x.audience);
    let chosen = audience_of(&p.chosen).ok();
    let before = units_of(current, network, r);
    let after = units_of(chosen.as_ref(), network, r);
    let names = |from: &[&UnitView], without: &[&UnitView]| {
        from.iter().filter(|u| !without.iter().any(|w| w.id == u.id)).map(|u| u.organization_name.clone()).collect()
    };
    (names(&after, &before), names(&before, &after))
}
