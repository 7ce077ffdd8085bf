//! One unit's page: its details, the departments it brings, contacts, and removal.

use super::*;
use crate::console::when::when_text;

pub(super) async fn unit(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((id, unit)): Path<(String, String)>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    unit_page(&s, ctx, &id, &unit, f, None).await
}

pub(super) async fn unit_page(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    unit: &str,
    f: Flash,
    failed: Option<Failed>,
) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "units.title");
    let caller = &ctx.session.caller;
    let (nid, uid) = match (network_id(id), unit_id(unit)) {
        (Ok(n), Ok(u)) => (n, u),
        (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let net = match s.svc.network().get(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
    };
    let (u, types) =
        match (s.svc.network().unit(caller, &nid, &uid).await, s.svc.network().partner_types(caller, &nid).await) {
            (Ok(u), Ok(x)) => (u, x),
            (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, fallback, e),
        };
    let admin = backbone_admin(&ctx, &net);
    let own_admin = net.membership == "unit"
        && ctx.can(Scope::Partners)
        && ctx.org().is_some_and(|o| o.as_str() == u.organization_id);
    let partner_editor = admin || own_admin;
    // Names for contacts' backups, as the caller may see them.
    let mut names: HashMap<String, String> =
        u.contacts.iter().map(|k| (k.member_id.clone(), k.member_name.clone())).collect();
    let backups: Vec<String> =
        u.contacts.iter().filter_map(|k| k.backup_id.clone()).filter(|b| !names.contains_key(b)).collect();
    names.extend(picker::names(s, &ctx, &backups).await);
    // Who may choose the departments the unit brings: its own partner admins, or the backbone
    // for a unit it keeps; they pick from the unit organization's whole tree, which they may
    // read. Nobody else gets the form.
    let may_bring = own_admin || (admin && u.managed);
    let org_deps = if may_bring {
        let tree = async {
            let o = OrgId::parse(&u.organization_id)?;
            Ok::<_, ApiError>(s.svc.directory().departments(caller, &o).await?)
        }
        .await;
        match tree {
            Ok(d) => Some(d),
            Err(e) => return err_page(&ctx, ACTIVE, fallback, e),
        }
    } else {
        None
    };
    let failed = failed.as_ref();
    let typed_ids: Vec<String> = [Side::Backbone, Side::Partner]
        .iter()
        .flat_map(|side| ["member_id", "backup_id"].map(|k| typed(failed, "contact", Some(side.as_str()), k, "")))
        .filter(|v| !v.is_empty())
        .collect();
    let typed_names = picker::names(s, &ctx, &typed_ids).await;
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
        // The backbone names one of its own members; a partner one of the unit's people.
        let from = if side == Side::Backbone { From::Org } else { From::Unit(net.id.clone(), u.id.clone()) };
        let member = typed(failed, "contact", at, "member_id", "");
        let backup = typed(failed, "contact", at, "backup_id", "");
        let label =
            if side == Side::Backbone { t(lang, "contacts.add_backbone") } else { t(lang, "contacts.add_partner") };
        html! {
            form.inline.card method="post" action={ (here) "/contacts" } data-testid={ "contact-form-" (side.as_str()) } {
                (ctx.csrf())
                strong { (label) }
                input type="hidden" name="side" value=(side.as_str());
                label.field { span { (t(lang, "contacts.member")) }
                    (Picker { name: "member_id", id: None, from: from.clone(), multiple: false, required: true, testid: &format!("contact-member-{}", side.as_str()), label: None, value: &member, names: &typed_names }.render(lang))
                    (field_error(lang, e, "member_id")) }
                label.field { span { (t(lang, "contacts.role")) }
                    select name="role" data-testid={ "contact-role-" (side.as_str()) } {
                        @for r in CONTACT_ROLES { option value=(r) selected[typed(failed, "contact", at, "role", "business") == *r] { (contact_role_text(lang, r)) } }
                    }
                    (field_error(lang, e, "role")) }
                label.field { span { (t(lang, "contacts.backup")) }
                    (Picker { name: "backup_id", id: None, from, multiple: false, required: false, testid: &format!("contact-backup-{}", side.as_str()), label: None, value: &backup, names: &typed_names }.render(lang))
                    (field_error(lang, e, "backup_id")) }
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
            dt { (t(lang, "units.joined")) } dd { (when_text(&ctx, &u.joined_at)) }
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
                    (field_error(lang, e_edit, "partner_type"))
                    label { (t(lang, "units.tier"))
                        select name="tier" data-testid="unit-edit-tier" {
                            @for x in &tier_names { option value=(x) selected[typed(failed, "edit", None, "tier", &u.tier) == *x] { (x) } }
                        }
                    }
                    (field_error(lang, e_edit, "tier"))
                    label { (t(lang, "units.tags")) input name="tags" value=(typed(failed, "edit", None, "tags", &u.tags.join(", "))) data-testid="unit-edit-tags"; }
                    span.hint { (t(lang, "units.tags_hint")) }
                    (field_error(lang, e_edit, "tags"))
                    label { (t(lang, "units.contract_start")) input name="contract_start" type="date" value=(typed(failed, "edit", None, "contract_start", u.contract_start.as_deref().unwrap_or(""))) data-testid="unit-edit-start"; }
                    (field_error(lang, e_edit, "contract_start"))
                    label { (t(lang, "units.contract_end")) input name="contract_end" type="date" value=(typed(failed, "edit", None, "contract_end", u.contract_end.as_deref().unwrap_or(""))) data-testid="unit-edit-end"; }
                    (field_error(lang, e_edit, "contract_end"))
                    (field_error(lang, e_edit, "contract"))
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
                (field_error(lang, e, "department_ids"))
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
                                form.inline method="post" action={ (here) "/contacts/" (k.id) "/remove" }
                                    data-confirm=(tf(lang, "contacts.remove_confirm", &[("name", &k.member_name)])) {
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
        @if admin || own_admin {
            h2 { @if admin { (t(lang, "units.remove")) } @else { (t(lang, "units.leave")) } }
            form.inline method="post" action={ (here) "/remove" }
                data-confirm=(tf(lang, if admin { "units.remove_confirm" } else { "units.leave_confirm" }, &[
                    ("organization", &u.organization_name), ("network", &net.name),
                    ("people", &tn(lang, "units.people", "units.people_one", u.member_count, &[])),
                ])) {
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

pub(super) async fn unit_result<T>(
    s: &AppState,
    (id, unit): (&str, &str),
    form: &Csrf<T>,
    name: &'static str,
    at: Option<&str>,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => saved(&format!("/console/networks/{id}/units/{unit}")),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => unit_page(s, ctx, id, unit, Flash::default(), Some(Failed::new(name, at, e, &form.raw))).await,
            Err(r) => r,
        },
    }
}

/// The unit's edit form; what it leaves out stays as it is.
#[derive(Deserialize)]
pub(super) struct UnitEditForm {
    partner_type: Option<String>,
    tier: Option<String>,
    tags: Option<String>,
    contract_start: Option<String>,
    contract_end: Option<String>,
}

pub(super) async fn edit_unit(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<UnitEditForm>,
) -> Response {
    let p = &form.form;
    let tags = p
        .tags
        .as_ref()
        .map(|t| t.split([',', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>());
    let patch = UnitPatch {
        partner_type: nonblank(p.partner_type.clone()),
        tier: nonblank(p.tier.clone()),
        tags,
        contract_start: p.contract_start.as_ref().map(|x| x.trim().to_owned()),
        contract_end: p.contract_end.as_ref().map(|x| x.trim().to_owned()),
    };
    let r = async {
        s.svc.network().update_unit(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &patch).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "tags"));
    unit_result(&s, (&id, &unit), &form, "edit", None, r).await
}

/// The departments a unit brings: a tree of checkboxes.
#[derive(Deserialize)]
pub(super) struct UnitDepartmentsForm {
    #[serde(default)]
    department_ids: Vec<String>,
}

pub(super) async fn set_unit_departments(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<UnitDepartmentsForm>,
) -> Response {
    let input = UnitDepartmentsInput { department_ids: ticked_ids(&form.form.department_ids) };
    let r = async {
        s.svc.network().set_unit_departments(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await
    .map_err(|e| list_field(e, "department_ids"));
    unit_result(&s, (&id, &unit), &form, "departments", None, r).await
}

pub(super) async fn remove_unit(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<NoFields>,
) -> Response {
    let r = async {
        let nid = network_id(&id)?;
        let net = s.svc.network().get(&form.session.caller, &nid).await?;
        s.svc.network().remove_unit(&form.session.caller, &nid, &unit_id(&unit)?).await?;
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

/// A contact to add on one side of the unit (the side is a hidden input of each form).
#[derive(Deserialize)]
pub(super) struct ContactForm {
    #[serde(default)]
    side: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    role: String,
    backup_id: Option<String>,
}

pub(super) async fn add_contact(
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    form: Csrf<ContactForm>,
) -> Response {
    let p = &form.form;
    let side_raw = p.side.clone();
    let r = async {
        let side = Side::parse("side", &side_raw)?;
        let member_id = MemberId::parse(p.member_id.trim()).map_err(|e| ApiError::from(e).with_field("member_id"))?;
        let backup_id = match nonblank(p.backup_id.clone()) {
            Some(b) => Some(MemberId::parse(b.trim()).map_err(|e| ApiError::from(e).with_field("backup_id"))?),
            None => None,
        };
        let input = NewContact { side, member_id, role: p.role.clone(), backup_id };
        s.svc.network().add_contact(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &input).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    unit_result(&s, (&id, &unit), &form, "contact", Some(&side_raw), r).await
}

pub(super) async fn remove_contact(
    State(s): State<AppState>,
    Path((id, unit, contact)): Path<(String, String, String)>,
    form: Csrf<NoFields>,
) -> Response {
    let r = async {
        let k = parse_id(ContactId::parse, &contact, "contact")?;
        s.svc.network().remove_contact(&form.session.caller, &network_id(&id)?, &unit_id(&unit)?, &k).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    unit_result(&s, (&id, &unit), &form, "contact-remove", Some(&contact), r).await
}
