//! The authorization list: filters, paging, batch authorize and freeze.

use super::*;

/// A network unit of the caller's organization, whose people can take seats as partners.
pub(super) struct UnitChoice {
    pub(super) network: NetworkId,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) network_name: String,
}

/// The active units of the networks the organization owns (those the caller may look into).
/// The service lists only networks the caller may look into, and their units with them, so a
/// failure is a real one.
pub(super) async fn unit_choices(s: &AppState, ctx: &Ctx) -> Result<Vec<UnitChoice>, ApiError> {
    let caller = &ctx.session.caller;
    let mut out = Vec::new();
    for n in s.svc.network().networks(caller).await?.into_iter().filter(|n| n.membership == "backbone") {
        let nid = NetworkId::parse(&n.id)?;
        for u in s.svc.network().units(caller, &nid).await?.into_iter().filter(|u| u.status == "active") {
            out.push(UnitChoice {
                network: nid.clone(),
                id: u.id,
                name: u.organization_name,
                network_name: n.name.clone(),
            });
        }
    }
    Ok(out)
}

/// A unit's department tree (an active unit the caller sees), or the organization's own
/// without a unit.
pub(super) async fn departments_of(
    s: &AppState,
    ctx: &Ctx,
    org: &OrgId,
    unit: Option<&UnitChoice>,
) -> Result<Vec<DepartmentView>, ApiError> {
    let caller = &ctx.session.caller;
    Ok(match unit {
        Some(u) => s.svc.network().unit_departments(caller, &u.network, &UnitId::parse(&u.id)?).await?,
        None => s.svc.directory().departments(caller, org).await?,
    })
}

/// The list's filters, as the search form sends them and as links keep them.
#[derive(Deserialize, Default, Clone)]
pub(super) struct SeatParams {
    q: Option<String>,
    unit_id: Option<String>,
    department_id: Option<String>,
    include_sub_departments: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    saved: Option<String>,
    changed: Option<u64>,
}

impl SeatParams {
    fn unit(&self) -> Option<String> {
        nonblank(self.unit_id.clone())
    }
    fn department(&self) -> Option<String> {
        nonblank(self.department_id.clone())
    }
    /// Sub-departments count unless the search form was sent with the box unticked.
    fn sub(&self) -> bool {
        self.include_sub_departments.as_deref().is_some_and(|v| !v.is_empty() && v != "false")
            || self.department().is_none()
    }
    fn status(&self) -> Option<String> {
        nonblank(self.status.clone()).filter(|s| s != "all")
    }
    /// The filters as a query string (never the cursor or the notices).
    fn query(&self) -> String {
        let mut p: Vec<(&str, String)> = Vec::new();
        for (k, v) in [("q", nonblank(self.q.clone())), ("unit_id", self.unit()), ("department_id", self.department())]
        {
            if let Some(v) = v {
                p.push((k, v));
            }
        }
        if self.department().is_some() && self.sub() {
            p.push(("include_sub_departments", "on".into()));
        }
        if let Some(st) = self.status() {
            p.push(("status", st));
        }
        serde_urlencoded::to_string(&p).unwrap_or_default()
    }
    /// The filters a form carried back in its `back` field; anything else in it is dropped.
    fn from_back(back: &str) -> SeatParams {
        let p: SeatParams = serde_urlencoded::from_str(back).unwrap_or_default();
        SeatParams { cursor: None, saved: None, changed: None, ..p }
    }
    fn url(&self, extra: &str) -> String {
        let q = self.query();
        match (q.is_empty(), extra.is_empty()) {
            (true, true) => SEATS.to_owned(),
            (true, false) => format!("{SEATS}?{extra}"),
            (false, true) => format!("{SEATS}?{q}"),
            (false, false) => format!("{SEATS}?{q}&{extra}"),
        }
    }
}

pub(super) async fn seats(State(s): State<AppState>, ctx: Ctx, Query(q): Query<SeatParams>) -> Response {
    let f = Done { saved: q.saved.clone(), changed: q.changed }.flash(ctx.lang);
    seats_page(&s, ctx, q, f, None).await
}

pub(super) async fn seats_page(
    s: &AppState,
    ctx: Ctx,
    q: SeatParams,
    mut f: Flash,
    failed: Option<Failed>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "license.seats_title");
    let (org, v) = match gate(s, &ctx, title).await {
        Gate::Open(org, v) => (org, v),
        Gate::Closed(r) => return r,
    };
    let caller = &ctx.session.caller;
    let units = match unit_choices(s, &ctx).await {
        Ok(u) => u,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let unit = q.unit().and_then(|id| units.iter().find(|u| u.id == id));
    let deps = match departments_of(s, &ctx, &org, unit).await {
        Ok(d) => d,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let status = q.status();
    let sub = q.sub();
    let query = SeatQuery {
        unit_id: q.unit(),
        q: nonblank(q.q.clone()),
        department_id: q.department(),
        include_sub_departments: Some(sub),
        status: status.clone(),
        cursor: nonblank(q.cursor.clone()),
        limit: Some(50),
    };
    let (page, list_err): (Page<SeatView>, Option<ApiError>) = match s.svc.license().seats(caller, &org, &query).await {
        Ok(p) => (p, None),
        Err(e) => {
            let e = ApiError::from(e);
            if failed.is_none() {
                f.error = Some(error_text(lang, &e));
            }
            (Page { items: Vec::new(), next_cursor: None }, Some(e))
        }
    };
    let list_err = list_err.as_ref();
    let failed = failed.as_ref();
    let back = q.query();
    let next = page.next_cursor.as_ref().map(|c| {
        let extra = serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default();
        q.url(&extra)
    });
    let selected_err = err_of(failed, "selected", None);
    let chosen = typed_all(failed, "selected", None, "member_ids");
    let dept_err = err_of(failed, "department", None);
    let batch_dept = typed(failed, "department", None, "department_id", &q.department().unwrap_or_default());
    let statuses = [
        ("", t(lang, "license.status_all")),
        ("enabled", t(lang, "seat_status.enabled")),
        ("frozen", t(lang, "seat_status.frozen")),
        ("never", t(lang, "seat_status.never")),
        ("unauthorized", t(lang, "seat_status.unauthorized")),
    ];
    let body = html! {
        (tabs("seats", lang))
        (warning_banner(lang, &v))
        (counts_cards(lang, &v))
        p.muted { (t(lang, "license.seats_help")) }
        form.inline.filters method="get" action=(SEATS) data-testid="seat-search" {
            input type="search" name="q" value=(query.q.clone().unwrap_or_default()) placeholder=(t(lang, "license.search_placeholder")) aria-label=(t(lang, "common.search")) data-testid="seat-search-q";
            (field_error(lang, list_err, "q"))
            @if !units.is_empty() {
                select name="unit_id" aria-label=(t(lang, "license.whose")) data-testid="seat-unit" {
                    option value="" { (t(lang, "license.own_people")) }
                    @for u in &units {
                        option value=(u.id) selected[unit.is_some_and(|x| x.id == u.id)] { (u.name) " · " (u.network_name) }
                    }
                }
                (field_error(lang, list_err, "unit_id"))
            }
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="seat-department" {
                option value="" { (t(lang, "members.all_departments")) }
                (dept_options(&deps, &|id| query.department_id.as_deref() == Some(id), &Default::default()))
            }
            (field_error(lang, list_err, "department_id"))
            label.check { input type="checkbox" name="include_sub_departments" checked[sub] data-testid="seat-sub"; (t(lang, "members.include_sub")) }
            select name="status" aria-label=(t(lang, "field.status")) data-testid="seat-status-filter" {
                @for (value, label) in statuses {
                    option value=(value) selected[status.as_deref().unwrap_or("") == value] { (label) }
                }
            }
            (field_error(lang, list_err, "status"))
            button type="submit" data-testid="seat-search-submit" { (t(lang, "common.search")) }
        }

        form method="post" action="/console/license/seats/set" data-testid="seat-form" {
            (ctx.csrf())
            input type="hidden" name="back" value=(back);
            @if let Some(u) = unit { input type="hidden" name="unit_id" value=(u.id); }
            div.batch {
                button type="submit" name="action" value="enable" data-testid="seats-enable-selected" { (t(lang, "license.enable_selected")) }
                button.secondary type="submit" name="action" value="freeze" data-confirm=(t(lang, "license.freeze_confirm")) data-confirm-one=(t(lang, "license.freeze_confirm_one")) data-confirm-count="member_ids" data-testid="seats-freeze-selected" { (t(lang, "license.freeze_selected")) }
                (field_error(lang, selected_err, "member_ids"))
                (field_error(lang, selected_err, "seats"))
            }
            table data-testid="seat-table" {
                thead { tr {
                    th { input type="checkbox" aria-label=(t(lang, "license.select_all")) data-testid="seat-check-all" data-check-all="member_ids"; }
                    th { (t(lang, "field.name")) } th { (t(lang, "field.login")) } th { (t(lang, "field.title")) }
                    th { (t(lang, "field.status")) } th {}
                } }
                tbody {
                    @for r in &page.items {
                        @let enabled = r.status == SeatStatus::Enabled;
                        tr data-testid="seat-row" data-member-id=(r.member_id) data-status=(r.status.as_str()) {
                            td { input type="checkbox" name="member_ids" value=(r.member_id) checked[chosen.contains(&r.member_id)] aria-label=(r.name) data-testid="seat-check"; }
                            td data-testid="seat-name" { (r.name) }
                            td { (r.login) }
                            td { (r.title.clone().unwrap_or_default()) }
                            td {
                                span class={ "badge seat " (r.status.as_str()) } data-testid="seat-status" { (seat_status_text(lang, r.status)) }
                                @if let Some(reason) = r.reason.as_deref().filter(|_| matches!(r.status, SeatStatus::Enabled | SeatStatus::Frozen)) {
                                    " " span.hint { (seat_reason_text(lang, reason)) }
                                }
                            }
                            td {
                                @if enabled {
                                    button.secondary.small type="submit" name="toggle" value={ "freeze:" (r.member_id) } data-testid="seat-toggle" { (t(lang, "license.freeze")) }
                                } @else {
                                    button.small type="submit" name="toggle" value={ "enable:" (r.member_id) } data-testid="seat-toggle" { (t(lang, "license.enable")) }
                                }
                                @if let Some(e) = err_of(failed, "row", Some(r.member_id.as_str())) {
                                    " " span.field-error role="alert" data-testid="seat-row-error" { (e.0.detail) }
                                }
                            }
                        }
                    }
                    @if page.items.is_empty() { tr { td.muted colspan="6" data-testid="seat-empty" { (t(lang, "common.none")) } } }
                }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="seats-next" { (t(lang, "common.next_page")) } } }

        h2 #department { (t(lang, "license.department_title")) }
        form.inline.card method="post" action="/console/license/seats/department" data-testid="department-batch-form" {
            (ctx.csrf())
            input type="hidden" name="back" value=(back);
            @if let Some(u) = unit { input type="hidden" name="unit_id" value=(u.id); }
            span.muted { (t(lang, "license.department_help")) }
            select name="department_id" aria-label=(t(lang, "field.departments")) data-testid="batch-department" {
                (dept_options(&deps, &|id| batch_dept == id, &Default::default()))
            }
            button type="submit" name="action" value="enable" data-testid="batch-enable" { (t(lang, "license.department_enable")) }
            button.secondary type="submit" name="action" value="freeze" data-confirm=(t(lang, "license.freeze_department_confirm")) data-testid="batch-freeze" { (t(lang, "license.department_freeze")) }
            (field_error(lang, dept_err, "department_id"))
            (field_error(lang, dept_err, "seats"))
        }
    };
    let res = finish(&ctx, ACTIVE, title, &f, failed, body);
    match (failed, list_err) {
        (None, Some(e)) => (status_of(e), res).into_response(),
        _ => res,
    }
}

/// The seats of a selection move: `Ok` back to the list (its filters carried in `back`) with
/// the number changed.
pub(super) async fn seat_result<T>(
    s: &AppState,
    form: &Csrf<T>,
    back: &str,
    name: &'static str,
    at: Option<&str>,
    r: Result<u64, ApiError>,
) -> Response {
    let params = SeatParams::from_back(back);
    match r {
        Ok(n) => Redirect::to(&params.url(&format!("changed={n}"))).into_response(),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => seats_page(s, ctx, params, Flash::default(), Some(Failed::new(name, at, e, &form.raw))).await,
            Err(r) => r,
        },
    }
}

pub(super) fn unit_of(unit_id: &Option<String>) -> Result<Option<UnitId>, ApiError> {
    match nonblank(unit_id.clone()) {
        Some(u) => Ok(Some(UnitId::parse(&u)?)),
        None => Ok(None),
    }
}

/// The list's form: the ticked rows and a batch button (`action`), or one row's switch
/// (`toggle` = `enable:mem_…` or `freeze:mem_…`).
#[derive(Deserialize)]
pub(super) struct SeatsForm {
    #[serde(default)]
    back: String,
    unit_id: Option<String>,
    toggle: Option<String>,
    action: Option<String>,
    #[serde(default)]
    member_ids: Vec<String>,
}

/// The batch buttons over the list, or one row's switch.
pub(super) async fn set_selected(State(s): State<AppState>, form: Csrf<SeatsForm>) -> Response {
    let p = &form.form;
    let toggle = nonblank(p.toggle.clone());
    let (enable, members, at) = match toggle.as_deref().and_then(|x| x.split_once(':')) {
        Some((action, member)) => (action == "enable", vec![member.to_owned()], Some(member.to_owned())),
        None => (p.action.as_deref() == Some("enable"), p.member_ids.clone(), None),
    };
    if let Err(r) = ctx_of(&s, &form).await {
        return r;
    }
    let result = async {
        let org = acting_org(&form)?;
        if members.is_empty() {
            return Err(DomainError::invalid("member_ids", Rule::Reason(keiretsu_domain::Reason::NoneChosen)).into());
        }
        let sel = SeatSelection { member_ids: members, department_id: None, unit_id: unit_of(&p.unit_id)? };
        Ok(s.svc.license().set_seats(&form.session.caller, &org, &sel, enable).await?.changed)
    }
    .await;
    let (name, at) = if at.is_some() { ("row", at) } else { ("selected", None) };
    seat_result(&s, &form, &p.back, name, at.as_deref(), result).await
}

/// The department batch form: a department and the button pressed.
#[derive(Deserialize)]
pub(super) struct DepartmentSeatsForm {
    #[serde(default)]
    back: String,
    unit_id: Option<String>,
    department_id: Option<String>,
    action: Option<String>,
}

/// A whole department subtree is authorized or frozen.
pub(super) async fn set_department(State(s): State<AppState>, form: Csrf<DepartmentSeatsForm>) -> Response {
    let p = &form.form;
    let result = async {
        let org = acting_org(&form)?;
        let Some(d) = nonblank(p.department_id.clone()) else {
            return Err(DomainError::invalid("department_id", Rule::Required).into());
        };
        let sel = SeatSelection {
            member_ids: Vec::new(),
            department_id: Some(DepartmentId::parse(&d).map_err(|e| ApiError::from(e).with_field("department_id"))?),
            unit_id: unit_of(&p.unit_id)?,
        };
        let enable = p.action.as_deref() == Some("enable");
        Ok(s.svc.license().set_seats(&form.session.caller, &org, &sel, enable).await?.changed)
    }
    .await;
    seat_result(&s, &form, &p.back, "department", None, result).await
}
