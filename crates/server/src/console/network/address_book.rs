//! The network address book and person page.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct PeopleParams {
    q: Option<String>,
    unit_id: Option<String>,
    department_id: Option<String>,
    cursor: Option<String>,
}

pub(super) async fn people(
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
    let net = match s.svc.network().get(caller, &nid).await {
        Ok(n) => n,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    // Whoever may look into the network may list its units and types.
    let (units, types) =
        match (s.svc.network().units(caller, &nid).await, s.svc.network().partner_types(caller, &nid).await) {
            (Ok(u), Ok(x)) => (u, x),
            (Err(e), _) | (_, Err(e)) => return err_page(&ctx, ACTIVE, title, e),
        };
    let query = PeopleQuery {
        q: nonblank(q.q.clone()),
        unit_id: nonblank(q.unit_id.clone()),
        department_id: nonblank(q.department_id.clone()),
        cursor: nonblank(q.cursor.clone()),
        limit: Some(50),
    };
    let mut f = Flash::default();
    let (page, err) = match s.svc.network().people(caller, &nid, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            f = Flash::error(lang, &e);
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
            (field_error(lang, err, "q"))
            select name="unit_id" aria-label=(t(lang, "units.title")) data-testid="people-unit" {
                option value="" { (t(lang, "people.all_units")) }
                option value="backbone" selected[chosen == "backbone"] { (t(lang, "people.backbone")) }
                @for u in &units { option value=(u.id) selected[chosen == u.id] { (u.organization_name) } }
            }
            (field_error(lang, err, "unit_id"))
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

pub(super) async fn person(
    State(s): State<AppState>,
    ctx: Ctx,
    Path((id, member)): Path<(String, String)>,
) -> Response {
    let lang = ctx.lang;
    let fallback = t(lang, "people.person");
    let caller = &ctx.session.caller;
    let r = async {
        let nid = network_id(&id)?;
        let mid = parse_id(MemberId::parse, &member, "person")?;
        let net = s.svc.network().get(caller, &nid).await?;
        let p = s.svc.network().person(caller, &nid, &mid).await?;
        let types = s.svc.network().partner_types(caller, &nid).await?;
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
