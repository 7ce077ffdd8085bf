//! One app's page: its form, publication, permission groups, reach and the access explorer.

use super::*;

pub(super) async fn app(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<AppQuery>,
) -> Response {
    let f = Flash { error: None, notice: q.saved.as_ref().map(|_| t(ctx.lang, "common.saved").to_owned()) };
    let shown = Shown { asked: nonblank(q.member_id), who_cursor: nonblank(q.who_cursor), preview: None };
    app_page(&s, ctx, &id, f, None, shown).await
}

pub(super) async fn app_page(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    f: Flash,
    failed: Option<Failed>,
    shown: Shown,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "apps.title");
    if let Some(r) = gate(&ctx, title) {
        return r;
    }
    let caller = &ctx.session.caller;
    let found = async {
        let id = app_id(id)?;
        let a: AppView = s
            .svc
            .apps()
            .list(caller)
            .await?
            .into_iter()
            .find(|a| a.id == id.as_str())
            .ok_or(DomainError::NotFound { what: "app" })?;
        let count = s.svc.apps().reach_count(caller, &id).await?;
        let schema = s.svc.forms().schema(caller, &id).await?;
        let groups = s.svc.apps().permission_groups(caller, &id).await?;
        let pubs = s.svc.apps().publications(caller, &id).await?;
        Ok::<_, ApiError>((id, a, count, schema, groups, pubs, reach(s, &ctx).await?))
    }
    .await;
    let (id, a, count, schema, groups, pubs, r) = match found {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let Shown { asked, who_cursor, preview } = shown;
    // The access explorer: a question in the address, answered here (nothing changes).
    let answer = match &asked {
        None => None,
        Some(m) => {
            let q = CheckQuery { member_id: Some(m.trim().to_owned()), right: None, at_least: None };
            Some(
                s.svc.apps().check_access(caller, &id, &q).await.map_err(|e| ApiError::from(e).with_field("member_id")),
            )
        }
    };
    let Some(org) = ctx.org() else { return no_org(&ctx, ACTIVE, title) };
    let loaded = async {
        // The backbone's own departments, for groups and for naming them in the table.
        let deps = s.svc.directory().departments(caller, &org).await?;
        Ok::<_, ApiError>(deps)
    }
    .await;
    let deps = match loaded {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    // "Who can use it": a page of member ids, in id order.
    let who_page = s
        .svc
        .apps()
        .who_can(caller, &id, &WhoQuery { cursor: who_cursor, limit: Some(50), ..Default::default() })
        .await
        .map_err(|e| ApiError::from(e).with_field("who_cursor"));
    let failed = failed.as_ref();
    let pub_err = err_of(failed, "publish", None);
    let group_err = err_of(failed, "group", None);
    let field_err = err_of(failed, "field", None);
    // The publish form holds what was chosen when a publication failed or was previewed.
    let (audience, picked_types, picked_units, picked_network) = match &preview {
        Some(p) => {
            let c = &p.chosen;
            (c.audience.clone().unwrap_or_default(), c.partner_type.clone(), c.unit_id.clone(), c.network_id.clone())
        }
        None if pub_err.is_some() => (
            typed(failed, "publish", None, "audience", "all_units"),
            typed_all(failed, "publish", None, "partner_type"),
            typed_all(failed, "publish", None, "unit_id"),
            typed(failed, "publish", None, "network_id", ""),
        ),
        // A fresh form holds the first network's audience as it is: publishing changes only
        // what the admin changes.
        None => {
            let first = r.networks.first().map(|n| n.id.clone()).unwrap_or_default();
            let (kind, ids) = audience_parts(pubs.iter().find(|p| p.network_id == first).map(|p| &p.audience));
            let (types, units) = if kind == "partner_types" { (ids, Vec::new()) } else { (Vec::new(), ids) };
            (kind.to_owned(), types, units, first)
        }
    };
    let kind = typed(failed, "field", None, "kind", "text");
    let field_typed = |key: &str| typed(failed, "field", None, key, "");
    // The group editor: a fresh form proposes the "everyone" group as every app starts with it.
    let group_failed = group_err.is_some();
    let group_all = |key: &str| typed_all(failed, "group", None, key);
    let group_name = typed(failed, "group", None, "group", "everyone");
    let group_rights = if group_failed { group_all("right") } else { vec!["submit".to_owned(), "view_own".to_owned()] };
    let group_everyone = !group_failed || !group_all("everyone").is_empty();
    let group_admins = !group_all("admins").is_empty();
    let (group_types, group_units, group_deps) =
        (group_all("partner_type"), group_all("unit_id"), group_all("department_id"));
    let group_members = typed(failed, "group", None, "member_ids", "");
    let mut member_names = member_names(s, &ctx, &groups).await;
    let typed_ids =
        picker::ids(&group_members).into_iter().chain(asked.clone()).filter(|m| !member_names.contains_key(m));
    let typed_ids: Vec<String> = typed_ids.collect();
    member_names.extend(picker::names(s, &ctx, &typed_ids).await);
    let who_ids: Vec<String> = who_page.as_ref().map(|p| p.items.clone()).unwrap_or_default();
    let who_named = picker::describe(s, &ctx, &who_ids).await;
    let owner_name = ctx.me.organizations.iter().find(|(o, _)| *o == a.organization_id).map(|(_, n)| n.clone());
    let owner = (a.organization_id.clone(), owner_name.unwrap_or_else(|| a.organization_id.clone()));
    let words = Words { lang, reach: &r, deps: &deps, members: &member_names, asked: asked.as_deref() };
    // What each destructive action would take away, counted before the admin confirms it.
    let mut unpublish_losses = HashMap::new();
    for p in &pubs {
        let n = s.svc.apps().losses(caller, &id, Without::Publication(&p.network_id)).await.unwrap_or_default();
        unpublish_losses.insert(p.network_id.clone(), n);
    }
    let mut group_losses = HashMap::new();
    for g in &groups {
        let n = s.svc.apps().losses(caller, &id, Without::Group(&g.name)).await.unwrap_or_default();
        group_losses.insert(g.name.clone(), n);
    }
    let lose_words = |key: &'static str, n: usize, pairs: &[(&str, &str)]| {
        let count = tn(lang, "apps.people", "apps.people_one", n as i64, &[]);
        let mut all = vec![("people", count.as_str())];
        all.extend_from_slice(pairs);
        tf(lang, key, &all)
    };
    let action = format!("/console/apps/{}", a.id);
    let body = html! {
        h2 data-testid="app-title" { (a.name) }
        @if !a.description.is_empty() { p.muted data-testid="app-description-text" { (a.description) } }
        p { strong data-testid="audience-count" data-count=(count) { (tf(lang, "apps.audience_count", &[("n", &count.to_string())])) } }
        p {
            a.button.secondary href={ "/console/workbench/" (a.id) } data-testid="app-submissions-link" { (t(lang, "apps.submissions_link")) } " "
            @if ctx.can(Scope::Approvals) {
                a.button.secondary href={ "/console/apps/" (a.id) "/approvals" } data-testid="app-approvals-link" { (t(lang, "design.title")) }
            }
        }

        h2 #form { (t(lang, "apps.form_title")) }
        p.muted {
            span data-testid="schema-version" data-version=(schema.version) { (tf(lang, "apps.form_version", &[("n", &schema.version.to_string())])) }
            " " (t(lang, "apps.form_help"))
        }
        table data-testid="field-table" {
            thead { tr {
                th { (t(lang, "apps.field_key")) } th { (t(lang, "apps.field_label")) } th { (t(lang, "apps.field_kind")) }
                th { (t(lang, "apps.field_required")) } th {}
            } }
            tbody {
                @for fd in &schema.schema.fields {
                    tr data-testid="field-row" data-key=(fd.key) {
                        td { code { (fd.key) } }
                        td data-testid="field-row-label" { (fd.label) }
                        td data-testid="field-row-kind" data-kind=(fd.kind.as_str()) {
                            (kind_text(lang, fd.kind))
                            @if !fd.options.is_empty() { " " span.hint { (fd.options.join(", ")) } }
                        }
                        td { @if fd.required { (t(lang, "common.yes")) } @else { (t(lang, "common.no")) } }
                        td {
                            form.inline method="post" action={ (action) "/fields/remove" }
                                data-confirm=(tf(lang, "apps.field_remove_confirm", &[("label", &fd.label)])) {
                                (ctx.csrf())
                                input type="hidden" name="key" value=(fd.key);
                                input type="hidden" name="version" value=(schema.version);
                                button.secondary.small type="submit" data-testid="field-remove" { (t(lang, "apps.field_remove")) }
                            }
                            @if let Some(e) = err_of(failed, "remove", Some(&fd.key)) { span.field-error role="alert" { (error_text(lang, e)) } }
                        }
                    }
                }
                @if schema.schema.fields.is_empty() { tr { td.muted colspan="5" data-testid="field-empty" { (t(lang, "apps.fields_none")) } } }
            }
        }
        h3 { (t(lang, "apps.field_add")) }
        form.stack.card method="post" action={ (action) "/fields" } data-testid="field-form" {
            (ctx.csrf())
            input type="hidden" name="version" value=(schema.version);
            label { span { (t(lang, "apps.field_key")) }
                input name="key" required maxlength=(KEY_MAX) placeholder="plant_name" value=(field_typed("key")) data-testid="field-key";
                (field_error(lang, field_err, "key"))
            }
            label { span { (t(lang, "apps.field_label")) }
                input name="label" required maxlength=(LABEL_MAX) value=(field_typed("label")) data-testid="field-label";
                (field_error(lang, field_err, "label"))
            }
            label { span { (t(lang, "apps.field_kind")) }
                select name="kind" data-testid="field-kind" {
                    @for k in FieldKind::ALL { option value=(k.as_str()) selected[kind == k.as_str()] { (kind_text(lang, *k)) } }
                }
                (field_error(lang, field_err, "kind"))
            }
            label.check { input type="checkbox" name="required" value="1" checked[!field_typed("required").is_empty()] data-testid="field-required"; (t(lang, "apps.field_required")) }
            label { span { (t(lang, "apps.field_options")) }
                textarea.short name="options" rows="4" data-testid="field-options" { (field_typed("options")) }
                span.hint { (t(lang, "apps.field_options_hint")) }
                (field_error(lang, field_err, "options"))
            }
            fieldset {
                legend { (t(lang, "apps.field_rules")) }
                p.hint { (t(lang, "apps.field_rules_hint")) }
                label { span { (t(lang, "apps.field_min")) } input name="min" value=(field_typed("min")) data-testid="field-min"; (field_error(lang, field_err, "min")) }
                label { span { (t(lang, "apps.field_max")) } input name="max" value=(field_typed("max")) data-testid="field-max"; (field_error(lang, field_err, "max")) }
                label { span { (t(lang, "apps.field_max_length")) } input name="max_length" inputmode="numeric" value=(field_typed("max_length")) data-testid="field-max-length"; (field_error(lang, field_err, "max_length")) }
                label { span { (t(lang, "apps.field_pattern")) } input name="pattern" value=(field_typed("pattern")) data-testid="field-pattern"; (field_error(lang, field_err, "pattern")) }
            }
            button type="submit" data-testid="field-submit" { (t(lang, "apps.field_add")) }
            @if let Some(e) = field_err.filter(|e| !matches!(e.0.field.as_deref(), Some("key" | "label" | "kind" | "options" | "min" | "max" | "max_length" | "pattern"))) {
                span.field-error role="alert" data-testid="field-form-error" { (error_text(lang, e)) }
            }
        }

        h2 #publication { (t(lang, "apps.publication")) }
        @if r.networks.is_empty() {
            p.muted data-testid="publish-no-network" {
                (t(lang, "apps.no_network")) " "
                a href="/console/networks" { (t(lang, "nav.networks")) }
            }
        } @else {
            table data-testid="publication-table" {
                thead { tr { th { (t(lang, "apps.network")) } th { (t(lang, "apps.audience")) } } }
                tbody {
                    @for p in &pubs {
                        tr data-testid="publication-row" data-network-id=(p.network_id) {
                            td { (p.network_name) }
                            td data-testid="publication-audience" { (audience_words(lang, &p.audience, &r)) }
                        }
                    }
                    @if pubs.is_empty() { tr { td.muted colspan="2" data-testid="publication-none" { (t(lang, "apps.not_published")) } } }
                }
            }
            form.stack.card method="post" action={ (action) "/publish" } data-testid="publish-form" {
                (ctx.csrf())
                label for="p-network" { (t(lang, "apps.network")) }
                select #p-network name="network_id" data-testid="publish-network" data-audience-of {
                    @for n in &r.networks {
                        @let (kind, ids) = audience_parts(pubs.iter().find(|p| p.network_id == n.id).map(|p| &p.audience));
                        @let confirm = match unpublish_losses.get(&n.id) {
                            Some(lost) => lose_words("apps.unpublish_confirm", *lost, &[("network", &n.name)]),
                            None => tf(lang, "apps.unpublish_nothing", &[("network", &n.name)]),
                        };
                        option value=(n.id) selected[picked_network == n.id] data-audience=(kind) data-audience-ids=(ids.join(" ")) data-confirm=(confirm) { (n.name) }
                    }
                }
                (field_error(lang, pub_err, "network_id"))
                fieldset {
                    legend { (t(lang, "apps.audience")) }
                    label.check { input type="radio" name="audience" value="all_units" checked[audience == "all_units"] data-testid="audience-all_units"; (t(lang, "apps.audience_all_units")) }
                    label.check { input type="radio" name="audience" value="partner_types" checked[audience == "partner_types"] data-testid="audience-partner_types"; (t(lang, "apps.audience_partner_types")) }
                    div data-testid="audience-types" {
                        @for pt in &r.types {
                            label.check { input type="checkbox" name="partner_type" value=(pt.key) checked[picked_types.contains(&pt.key)] data-testid={ "audience-type-" (pt.key) }; (type_text(lang, &pt.key)) }
                        }
                    }
                    label.check { input type="radio" name="audience" value="units" checked[audience == "units"] data-testid="audience-units"; (t(lang, "apps.audience_units")) }
                    div data-testid="audience-unit-list" {
                        @for (u, network) in &r.units {
                            label.check { input type="checkbox" name="unit_id" value=(u.id) checked[picked_units.contains(&u.id)] data-testid={ "audience-unit-" (u.id) }; (unit_label(u, network, lang)) }
                        }
                        @if r.units.is_empty() { span.muted { (t(lang, "apps.no_units")) } }
                    }
                    (field_error(lang, pub_err, "audience"))
                }
                div {
                    button type="submit" data-testid="publish-submit" { (t(lang, "apps.publish")) } " "
                    button.secondary type="submit" formaction={ (action) "/preview" } data-testid="preview-submit" { (t(lang, "apps.preview")) } " "
                    button.secondary type="submit" formaction={ (action) "/unpublish" } data-confirm-from="p-network"
                        data-confirm=(t(lang, "apps.unpublish_question")) data-testid="unpublish-submit" { (t(lang, "apps.unpublish")) }
                }
                @if let Some(p) = &preview {
                    div.notice role="status" data-testid="audience-preview" data-count=(p.would_be) data-now=(p.now) {
                        p { (preview_words(lang, p)) }
                        @let (gain, lose) = unit_changes(p, &pubs, &r);
                        @if !gain.is_empty() { p data-testid="preview-gain" { (t(lang, "apps.preview_gain")) " " (gain.join(", ")) } }
                        @if !lose.is_empty() { p data-testid="preview-lose" { (t(lang, "apps.preview_lose")) " " (lose.join(", ")) } }
                    }
                }
                @if let Some(e) = pub_err.filter(|e| !matches!(e.0.field.as_deref(), Some("network_id" | "audience"))) {
                    span.field-error role="alert" { (error_text(lang, e)) }
                }
            }
        }

        h2 #group { (t(lang, "apps.group_title")) }
        p.muted { (t(lang, "apps.group_help")) }
        table data-testid="group-table" {
            thead { tr {
                th { (t(lang, "apps.group_name")) } th { (t(lang, "apps.group_rights")) } th { (t(lang, "apps.group_who")) } th {}
            } }
            tbody {
                @for g in &groups {
                    tr data-testid="group-row" data-group=(g.name) {
                        td data-testid="group-row-name" { code { (g.name) } }
                        td data-testid="group-row-rights" {
                            (g.rights.iter().map(|r| right_text(lang, *r)).collect::<Vec<_>>().join(", "))
                        }
                        td data-testid="group-row-principals" {
                            (g.principals.iter().map(|p| words.principal(p)).collect::<Vec<_>>().join("; "))
                        }
                        td {
                            form.inline method="post" action={ (action) "/group/remove" }
                                data-confirm=(lose_words("apps.group_remove_confirm", group_losses.get(&g.name).copied().unwrap_or_default(), &[("name", &g.name)])) {
                                (ctx.csrf())
                                input type="hidden" name="group" value=(g.name);
                                button.secondary.small type="submit" data-testid="group-remove" { (t(lang, "apps.group_remove")) }
                            }
                            @if let Some(e) = err_of(failed, "group-remove", Some(&g.name)) { span.field-error role="alert" { (error_text(lang, e)) } }
                        }
                    }
                }
                @if groups.is_empty() { tr { td.muted colspan="4" data-testid="group-empty" { (t(lang, "apps.groups_none")) } } }
            }
        }
        h3 { (t(lang, "apps.group_edit")) }
        form.stack.card method="post" action={ (action) "/group" } data-testid="group-form" {
            (ctx.csrf())
            p.hint { (t(lang, "apps.group_edit_help")) }
            label for="g-name" { (t(lang, "apps.group_name")) }
            input #g-name name="group" required maxlength="32" value=(group_name) data-testid="group-name";
            (field_error(lang, group_err, "group"))
            fieldset {
                legend { (t(lang, "apps.group_rights")) }
                @for right in Right::ALL {
                    label.check {
                        input type="checkbox" name="right" value=(right.as_str()) checked[group_rights.iter().any(|x| x == right.as_str())] data-testid={ "group-right-" (right.as_str()) };
                        (right_text(lang, *right))
                    }
                }
                (field_error(lang, group_err, "rights"))
            }
            fieldset {
                legend { (t(lang, "apps.group_principals")) }
                label.check { input type="checkbox" name="everyone" value="1" checked[group_everyone] data-testid="group-everyone"; (t(lang, "apps.group_everyone")) }
                label.check { input type="checkbox" name="admins" value="1" checked[group_admins] data-testid="group-admins"; (t(lang, "apps.group_admins")) }
                p.hint { (t(lang, "apps.group_multi_hint")) }
                label for="g-types" { (t(lang, "apps.group_partner_types")) }
                select #g-types name="partner_type" multiple data-testid="group-types" {
                    @for pt in &r.types { option value=(pt.key) selected[group_types.contains(&pt.key)] { (type_text(lang, &pt.key)) } }
                }
                label for="g-units" { (t(lang, "apps.group_units")) }
                select #g-units name="unit_id" multiple data-testid="group-units" {
                    @for (u, network) in &r.units { option value=(u.id) selected[group_units.contains(&u.id)] { (unit_label(u, network, lang)) } }
                }
                label for="g-departments" { (t(lang, "apps.group_departments")) }
                select #g-departments name="department_id" multiple data-testid="group-departments" {
                    (dept_options(&deps, &|d| group_deps.iter().any(|x| x == d), &Default::default()))
                }
                label for="g-members" { (t(lang, "apps.group_members")) }
                (Picker { name: "member_ids", id: Some("g-members"), from: From::Reach, multiple: true, required: false, testid: "group-members", label: None, value: &group_members, names: &member_names }.render(lang))
                (field_error(lang, group_err, "member_ids"))
                (field_error(lang, group_err, "principals"))
            }
            button type="submit" data-testid="group-submit" { (t(lang, "common.save")) }
            @if let Some(e) = group_err.filter(|e| !matches!(e.0.field.as_deref(), Some("group" | "rights" | "member_ids" | "principals"))) {
                span.field-error role="alert" data-testid="group-form-error" { (error_text(lang, e)) }
            }
        }

        h2 #who { (t(lang, "apps.who_title")) }
        p.muted { (t(lang, "apps.who_help")) }
        @match &who_page {
            Ok(page) => {
                ul data-testid="who-list" {
                    @for m in &page.items {
                        li data-testid="who-row" data-member-id=(m) {
                            @match who_named.get(m) {
                                Some(c) => { strong data-testid="who-name" { (c.name) } " " span.muted data-testid="who-detail" { (c.detail) } }
                                None => { code { (m) } }
                            }
                            " "
                            a href={ (action) "?member_id=" (m) "#access" } data-testid="who-why" { (t(lang, "apps.who_why")) }
                        }
                    }
                }
                @if page.items.is_empty() { p.muted data-testid="who-empty" { (t(lang, "apps.who_none")) } }
                @if let Some(c) = &page.next_cursor {
                    div.pager { a href={ (action) "?" (serde_urlencoded::to_string([("who_cursor", c)]).unwrap_or_default()) "#who" } data-testid="who-next" { (t(lang, "common.next_page")) } }
                }
            }
            Err(e) => { p.field-error role="alert" data-testid="who-error" { (error_text(lang, e)) } }
        }

        h2 #access { (t(lang, "apps.access_title")) }
        form.inline.card method="get" action={ (action) "#access" } data-testid="access-form" {
            label.field { span { (t(lang, "apps.access_member")) }
                (Picker { name: "member_id", id: None, from: From::Reach, multiple: false, required: true, testid: "access-member", label: None, value: asked.as_deref().unwrap_or_default(), names: &member_names }.render(lang))
                @if let Some(Err(e)) = &answer { (field_error(lang, Some(e), "member_id")) }
            }
            button type="submit" data-testid="access-submit" { (t(lang, "apps.access_check")) }
        }
        @if let Some(Ok(d)) = &answer {
            div.card data-testid="access-result" data-allowed=(d.allowed) {
                p { strong data-testid="access-decision" {
                    @if d.allowed { (t(lang, "apps.access_allowed")) } @else { (t(lang, "apps.access_denied")) }
                } }
                ol data-testid="access-reasons" {
                    @for step in &d.steps { li data-testid="access-reason" data-code=(step.code) { (words.step(step, &owner)) } }
                }
                details data-testid="access-raw" {
                    summary { (t(lang, "common.details")) }
                    ul.muted { @for reason in &d.reasons { li { code { (reason) } } } }
                }
            }
        }
    };
    finish(&ctx, ACTIVE, title, &f, failed, body)
}
