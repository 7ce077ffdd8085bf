//! The approval designer of a form app: its steps in order (who approves, how they decide, when
//! a step applies, who is told, reminders and escalation), each change published as the next
//! version, and a preview of what a sample submission from a chosen person would go through.

use super::*;
use keiretsu_domain::approval::{Approvers, Condition, Mode, Node, Plan, Template};
use keiretsu_domain::ids::MemberId;
use keiretsu_domain::network::Side;
use keiretsu_service::approvals::Sample;
use std::collections::HashMap;

use super::list::{builder, example};
use crate::console::pages::scope_text;

const FORM_STEP: &str = "step";
const FORM_PREVIEW: &str = "preview";
const KINDS: [&str; 8] =
    ["members", "department_head", "supervisor", "approval_admin", "unit_contact", "backbone_owner", "scope", "field"];

pub(super) async fn design_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    render(&s, ctx, &id, f, None, None).await
}

/// The app's form and current template (empty with version 0 when none is published yet).
async fn current(s: &AppState, ctx: &Ctx, app: &AppId) -> Result<(Schema, i64, Template), ApiError> {
    let schema = s.svc.forms().schema(&ctx.session.caller, app).await?.schema;
    match s.svc.approvals().template(&ctx.session.caller, app).await {
        Ok(t) => Ok((schema, t.version, t.template)),
        Err(keiretsu_service::Error::Domain(DomainError::NotFound { what: "approval template" })) => {
            Ok((schema, 0, Template::default()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn render(
    s: &AppState,
    ctx: Ctx,
    id: &str,
    f: Flash,
    failed: Option<Failed>,
    preview: Option<(Plan, HashMap<String, String>)>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "design.title");
    let loaded = async {
        let app = app_id(id)?;
        let (view, _) = app_view(s, &ctx, &app).await?;
        let (schema, version, template) = current(s, &ctx, &app).await?;
        Ok::<_, ApiError>((view, schema, version, template))
    }
    .await;
    let (view, schema, version, template) = match loaded {
        Ok(x) => x,
        Err(e) => return err_page(&ctx, "apps", title, e),
    };
    let app_name = view.map(|v| v.name).unwrap_or_else(|| id.to_owned());
    let mut ids: Vec<String> = Vec::new();
    for rule in template.nodes.iter().flat_map(|n| n.approvers.iter().chain(n.copy_to.iter())).chain(&template.copy_to)
    {
        if let Approvers::Members { member_ids } = rule {
            ids.extend(member_ids.iter().cloned());
        }
    }
    let failed = failed.as_ref();
    for key in ["member_ids", "copy_to", "member_id"] {
        ids.extend(typed_all(failed, FORM_STEP, None, key).iter().flat_map(|v| picker::ids(v)));
        ids.extend(typed_all(failed, FORM_PREVIEW, None, key).iter().flat_map(|v| picker::ids(v)));
    }
    let mut names = picker::names(s, &ctx, &ids).await;
    if let Some((_, more)) = &preview {
        names.extend(more.clone());
    }
    let name = |m: &str| names.get(m).cloned().unwrap_or_else(|| t(lang, "approvals.someone").to_owned());
    let shown: Vec<String> = typed_all(failed, FORM_PREVIEW, None, "member_id");
    let refs = match Refs::load(s, &ctx, &schema, &shown).await {
        Ok(r) => r,
        Err(e) => return err_page(&ctx, "apps", title, e),
    };
    let base = format!("/console/apps/{id}/approvals");
    let step_err = err_of(failed, FORM_STEP, None);
    let typed = |key: &str, default: &str| super::super::pages::typed(failed, FORM_STEP, None, key, default);
    let member_fields: Vec<&Field> = schema.fields.iter().filter(|f| f.kind == FieldKind::Member).collect();
    let body = html! {
        p { a href={ "/console/apps/" (id) } data-testid="design-back" { "← " (app_name) } }
        p.muted data-testid="design-version" {
            @if version == 0 { (t(lang, "design.none")) } @else { (tf(lang, "design.version", &[("version", &version.to_string())])) }
        }
        ol.steps data-testid="design-steps" {
            @for (n, node) in template.nodes.iter().enumerate() {
                li data-testid="design-step" {
                    strong { (node.name) } " · " (t(lang, mode_key(node.mode)))
                    br;
                    (node.approvers.iter().map(|r| rule_text(lang, r, &schema, &name)).collect::<Vec<_>>().join("; "))
                    @if !node.when.is_empty() {
                        br; span.muted data-testid="design-when" {
                            (t(lang, "design.when")) " " (node.when.iter().map(|c| condition_text(lang, c, &schema)).collect::<Vec<_>>().join(", "))
                        }
                    }
                    @if !node.copy_to.is_empty() {
                        br; span.muted { (t(lang, "design.copy_to")) " " (node.copy_to.iter().map(|r| rule_text(lang, r, &schema, &name)).collect::<Vec<_>>().join("; ")) }
                    }
                    @if let Some(h) = node.remind_after_hours { br; span.muted { (tf(lang, "design.remind_after", &[("hours", &h.to_string())])) } }
                    @if let Some(h) = node.escalate_after_hours { br; span.muted { (tf(lang, "design.escalate_after", &[("hours", &h.to_string())])) } }
                    form.inline method="post" action={ (base) "/change" } {
                        (ctx.csrf())
                        input type="hidden" name="version" value=(version);
                        input type="hidden" name="step" value=(n);
                        @if n > 0 { button.secondary.small type="submit" name="op" value="up" data-testid="design-up" { (t(lang, "design.up")) } " " }
                        @if n + 1 < template.nodes.len() { button.secondary.small type="submit" name="op" value="down" data-testid="design-down" { (t(lang, "design.down")) } " " }
                        button.danger.small type="submit" name="op" value="remove" data-confirm=(tf(lang, "design.remove_confirm", &[("step", &node.name)])) data-testid="design-remove" { (t(lang, "design.remove")) }
                    }
                }
            }
            @if template.nodes.is_empty() { li.muted data-testid="design-empty" { (t(lang, "design.empty")) } }
        }
        h2 { (t(lang, "design.add")) }
        form.stack.card method="post" action={ (base) "/steps" } data-testid="design-step-form" {
            (ctx.csrf())
            input type="hidden" name="version" value=(version);
            @if let Some(e) = step_err { p.field-error role="alert" data-testid="design-error" { (super::super::error_text(lang, e)) } }
            label { (t(lang, "design.name")) input name="name" required maxlength="60" value=(typed("name", "")) data-testid="design-name"; }
            label { (t(lang, "design.approvers"))
                select name="approver" data-testid="design-approver" {
                    @for k in KINDS {
                        @if k != "field" || !member_fields.is_empty() {
                            option value=(k) selected[typed("approver", "members") == k] { (t(lang, kind_key(k))) }
                        }
                    }
                }
            }
            label { (t(lang, "design.members")) }
            (Picker { name: "member_ids", id: None, from: From::Reach, multiple: true, required: false, testid: "design-members", label: Some(t(lang, "design.members")), value: &typed("member_ids", ""), names: &names }.render(lang))
            div.inline {
                label { (t(lang, "design.levels")) input type="number" name="levels" min="1" max="5" value=(typed("levels", "1")) data-testid="design-levels"; }
                label { (t(lang, "design.scope"))
                    select name="scope" data-testid="design-scope" {
                        @for sc in Scope::ALL { option value=(sc.as_str()) selected[typed("scope", "approvals") == sc.as_str()] { (scope_text(lang, sc)) } }
                    }
                }
                @if !member_fields.is_empty() {
                    label { (t(lang, "design.field"))
                        select name="field" data-testid="design-field" {
                            @for mf in &member_fields { option value=(mf.key) selected[typed("field", "") == mf.key] { (mf.label) } }
                        }
                    }
                }
            }
            label { (t(lang, "design.mode"))
                select name="mode" data-testid="design-mode" {
                    @for m in [Mode::Any, Mode::All, Mode::Sequence] { option value=(m.as_str()) selected[typed("mode", "any") == m.as_str()] { (t(lang, mode_key(m))) } }
                }
            }
            fieldset {
                legend { (t(lang, "design.conditions")) }
                label for="design-filter" { (t(lang, "design.filter")) }
                input #design-filter name="filter" value=(typed("filter", "")) placeholder=(example(&schema)) data-testid="design-filter";
                (builder(lang, &schema, "design-filter"))
                div.inline {
                    label { (t(lang, "design.side"))
                        select name="side" data-testid="design-side" {
                            option value="" { (t(lang, "design.side_any")) }
                            option value="backbone" selected[typed("side", "") == "backbone"] { (t(lang, "design.side_backbone")) }
                            option value="partner" selected[typed("side", "") == "partner"] { (t(lang, "design.side_partner")) }
                        }
                    }
                    label { (t(lang, "design.partner_types")) input name="partner_types" value=(typed("partner_types", "")) placeholder="supplier, distributor" data-testid="design-partner-types"; }
                    label { (t(lang, "design.tiers")) input name="tiers" value=(typed("tiers", "")) placeholder="a, b" data-testid="design-tiers"; }
                }
            }
            label { (t(lang, "design.copy_to")) }
            (Picker { name: "copy_to", id: None, from: From::Reach, multiple: true, required: false, testid: "design-copy-to", label: Some(t(lang, "design.copy_to")), value: &typed("copy_to", ""), names: &names }.render(lang))
            div.inline {
                label { (t(lang, "design.remind")) input type="number" name="remind_after_hours" min="1" value=(typed("remind_after_hours", "")) data-testid="design-remind"; }
                label { (t(lang, "design.escalate")) input type="number" name="escalate_after_hours" min="1" value=(typed("escalate_after_hours", "")) data-testid="design-escalate"; }
            }
            div { button type="submit" data-testid="design-add" { (t(lang, "design.add_button")) } }
        }
        @if !template.nodes.is_empty() {
            h2 #preview { (t(lang, "design.preview")) }
            p.muted { (t(lang, "design.preview_help")) }
            form.stack.card method="post" action={ (base) "/preview#preview" } data-testid="design-preview-form" {
                (ctx.csrf())
                @if let Some(e) = err_of(failed, FORM_PREVIEW, None) { p.field-error role="alert" data-testid="preview-error" { (super::super::error_text(lang, e)) } }
                label { (t(lang, "design.sample_member")) }
                (Picker { name: "member_id", id: None, from: From::Reach, multiple: false, required: true, testid: "preview-member", label: Some(t(lang, "design.sample_member")), value: &super::super::pages::typed(failed, FORM_PREVIEW, None, "member_id", ""), names: &names }.render(lang))
                (fields(lang, &schema, failed.filter(|x| x.form == FORM_PREVIEW), FORM_PREVIEW, None, &refs))
                div { button type="submit" data-testid="preview-run" { (t(lang, "design.preview_run")) } }
            }
            @if let Some((plan, _)) = &preview {
                ol.steps data-testid="preview-result" {
                    @for step in &plan.steps {
                        li data-testid="preview-step" {
                            strong { @if step.name.is_empty() { (t(lang, "approvals.admin_step")) } @else { (step.name) } }
                            " · " (step.approvers.iter().map(|m| name(m)).collect::<Vec<_>>().join(", "))
                            @if step.fallback { " " span.badge { (t(lang, "approvals.fallback")) } }
                        }
                    }
                }
            }
        }
    };
    let status = failed.map(|x| status_of(&x.error));
    let res = layout(&ctx, "apps", &format!("{title} · {app_name}"), &f, body);
    match status {
        Some(st) => (st, res).into_response(),
        None => res,
    }
}

fn mode_key(m: Mode) -> &'static str {
    match m {
        Mode::Any => "design.mode_any",
        Mode::All => "design.mode_all",
        Mode::Sequence => "design.mode_sequence",
    }
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "members" => "design.kind_members",
        "department_head" => "design.kind_department_head",
        "supervisor" => "design.kind_supervisor",
        "approval_admin" => "design.kind_approval_admin",
        "unit_contact" => "design.kind_unit_contact",
        "backbone_owner" => "design.kind_backbone_owner",
        "scope" => "design.kind_scope",
        _ => "design.kind_field",
    }
}

/// An approver rule in words: "Ito Aya, Sato Kenji", "the supervisor 2 levels up".
fn rule_text(lang: Lang, rule: &Approvers, schema: &Schema, name: &dyn Fn(&str) -> String) -> String {
    match rule {
        Approvers::Members { member_ids } => member_ids.iter().map(|m| name(m)).collect::<Vec<_>>().join(", "),
        Approvers::Supervisor { levels } => tf(lang, "design.rule_supervisor", &[("levels", &levels.to_string())]),
        Approvers::Scope { scope } => tf(lang, "design.rule_scope", &[("scope", scope_text(lang, *scope))]),
        Approvers::Field { key } => {
            let label = schema.field(key).map_or(key.as_str(), |f| f.label.as_str());
            tf(lang, "design.rule_field", &[("field", label)])
        }
        Approvers::DepartmentHead => t(lang, "design.kind_department_head").to_owned(),
        Approvers::ApprovalAdmin => t(lang, "design.kind_approval_admin").to_owned(),
        Approvers::UnitContact => t(lang, "design.kind_unit_contact").to_owned(),
        Approvers::BackboneOwner => t(lang, "design.kind_backbone_owner").to_owned(),
    }
}

/// A condition in words: "Amount is more than 1000", "a partner's people", "tier a or b".
fn condition_text(lang: Lang, c: &Condition, schema: &Schema) -> String {
    match c {
        Condition::Field { filter } => filter
            .split(';')
            .map(|part| {
                let mut bits = part.splitn(3, ':');
                let (key, op, value) =
                    (bits.next().unwrap_or(""), bits.next().unwrap_or(""), bits.next().unwrap_or(""));
                let label = schema.field(key).map_or(key, |f| f.label.as_str());
                format!("{label} {} {value}", t(lang, super::list::op_key(op)))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Condition::Side { side: Side::Backbone } => t(lang, "design.side_backbone").to_owned(),
        Condition::Side { side: Side::Partner } => t(lang, "design.side_partner").to_owned(),
        Condition::PartnerType { any_of } => tf(lang, "design.when_types", &[("types", &any_of.join(", "))]),
        Condition::Tier { any_of } => tf(lang, "design.when_tiers", &[("tiers", &any_of.join(", "))]),
    }
}

fn first(p: &Pairs, key: &str) -> String {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

fn hours(p: &Pairs, key: &'static str) -> Result<Option<u32>, ApiError> {
    let text = first(p, key);
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| DomainError::invalid(key, Rule::Reason(Reason::WholeNumber)).into())
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

/// The step the designer's form describes.
fn node_of(p: &Pairs) -> Result<Node, ApiError> {
    let approver = match first(p, "approver").as_str() {
        "members" => Approvers::Members { member_ids: picker::ids(&first(p, "member_ids")) },
        "department_head" => Approvers::DepartmentHead,
        "supervisor" => Approvers::Supervisor {
            levels: first(p, "levels")
                .parse()
                .map_err(|_| DomainError::invalid("levels", Rule::Range { min: 1, max: 5 }))?,
        },
        "approval_admin" => Approvers::ApprovalAdmin,
        "unit_contact" => Approvers::UnitContact,
        "backbone_owner" => Approvers::BackboneOwner,
        "scope" => Approvers::Scope { scope: Scope::parse("scope", &first(p, "scope"))? },
        "field" => Approvers::Field { key: first(p, "field") },
        _ => return Err(DomainError::invalid("approver", Rule::OneOf(&KINDS)).into()),
    };
    let mut when = Vec::new();
    let filter = first(p, "filter");
    if !filter.is_empty() {
        when.push(Condition::Field { filter });
    }
    match first(p, "side").as_str() {
        "backbone" => when.push(Condition::Side { side: Side::Backbone }),
        "partner" => when.push(Condition::Side { side: Side::Partner }),
        _ => {}
    }
    let types = list(&first(p, "partner_types"));
    if !types.is_empty() {
        when.push(Condition::PartnerType { any_of: types });
    }
    let tiers = list(&first(p, "tiers"));
    if !tiers.is_empty() {
        when.push(Condition::Tier { any_of: tiers });
    }
    let copied = picker::ids(&first(p, "copy_to"));
    Ok(Node {
        name: first(p, "name"),
        approvers: vec![approver],
        mode: Mode::parse("mode", &first(p, "mode"))?,
        when,
        copy_to: if copied.is_empty() { Vec::new() } else { vec![Approvers::Members { member_ids: copied }] },
        remind_after_hours: hours(p, "remind_after_hours")?,
        escalate_after_hours: hours(p, "escalate_after_hours")?,
    })
}

/// An error about the new step (`nodes.3.approvers.0.member_ids`) named by its input.
fn about_step(e: ApiError, at: usize) -> ApiError {
    let Some(path) = e.0.field.clone() else { return e };
    let Some(rest) = path.strip_prefix(&format!("nodes.{at}.")) else { return e };
    let input = match rest.split('.').next().unwrap_or(rest) {
        "approvers" if rest.contains("member_ids") => "member_ids",
        "approvers" if rest.contains("levels") => "levels",
        "approvers" => "approver",
        "when" => "filter",
        "copy_to" => "copy_to",
        "name" => "name",
        "remind_after_hours" => "remind_after_hours",
        "escalate_after_hours" => "escalate_after_hours",
        _ => return e,
    };
    let mut e = e;
    e.0.detail = e.0.detail.replacen(&path, input, 1);
    e.with_field(input.to_owned())
}

/// The template as it stands, refused if someone published another version since the page
/// that sent `version` was drawn.
async fn fresh(s: &AppState, ctx: &Ctx, app: &AppId, p: &Pairs) -> Result<(Schema, Template), ApiError> {
    let (schema, version, template) = current(s, ctx, app).await?;
    if first(p, "version") != version.to_string() {
        return Err(DomainError::conflict("version", Rule::Reason(Reason::StaleVersion)).into());
    }
    Ok((schema, template))
}

pub(super) async fn add_step(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let p = form.raw.clone();
    let r = async {
        let ctx = ctx_of(&s, &form).await.map_err(|_| ApiError::from(DomainError::NotFound { what: "app" }))?;
        let app = app_id(&id)?;
        let (_, mut template) = fresh(&s, &ctx, &app, &p).await?;
        let at = template.nodes.len();
        template.nodes.push(node_of(&p)?);
        s.svc
            .approvals()
            .put_template(&ctx.session.caller, &app, &template)
            .await
            .map_err(|e| about_step(e.into(), at))?;
        Ok::<(), ApiError>(())
    }
    .await;
    done(&s, &form, &id, r, FORM_STEP, &p).await
}

pub(super) async fn change(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let p = form.raw.clone();
    let r = async {
        let ctx = ctx_of(&s, &form).await.map_err(|_| ApiError::from(DomainError::NotFound { what: "app" }))?;
        let app = app_id(&id)?;
        let (_, mut template) = fresh(&s, &ctx, &app, &p).await?;
        let n: usize = first(&p, "step").parse().map_err(|_| DomainError::NotFound { what: "step" })?;
        if n >= template.nodes.len() {
            return Err(DomainError::NotFound { what: "step" }.into());
        }
        match first(&p, "op").as_str() {
            "up" if n > 0 => template.nodes.swap(n, n - 1),
            "down" if n + 1 < template.nodes.len() => template.nodes.swap(n, n + 1),
            "remove" => {
                template.nodes.remove(n);
            }
            _ => return Err(DomainError::invalid("op", Rule::OneOf(&["up", "down", "remove"])).into()),
        }
        s.svc.approvals().put_template(&ctx.session.caller, &app, &template).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    done(&s, &form, &id, r, FORM_STEP, &p).await
}

async fn done(
    s: &AppState,
    form: &Csrf<NoFields>,
    id: &str,
    r: Result<(), ApiError>,
    which: &'static str,
    p: &Pairs,
) -> Response {
    match r {
        Ok(()) => saved(&format!("/console/apps/{id}/approvals")),
        Err(e) => match ctx_of(s, form).await {
            Ok(ctx) => render(s, ctx, id, Flash::default(), Some(Failed::new(which, None, e, p)), None).await,
            Err(res) => res,
        },
    }
}

pub(super) async fn preview(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<NoFields>) -> Response {
    let p = form.raw.clone();
    let ctx = match ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let r = async {
        let app = app_id(&id)?;
        let (schema, _, template) = current(&s, &ctx, &app).await?;
        let member_id = MemberId::parse(first(&p, "member_id").as_str())
            .map_err(|_| DomainError::invalid("member_id", Rule::Required))?;
        let sample = Sample { template, member_id, values: values_of(&schema, &p) };
        let plan = s.svc.approvals().preview(&ctx.session.caller, &app, &sample).await?;
        let people: Vec<String> = plan.steps.iter().flat_map(|x| x.approvers.iter().cloned()).collect();
        let names = picker::names(&s, &ctx, &people).await;
        Ok::<_, ApiError>((plan, names))
    }
    .await;
    match r {
        Ok(found) => render(&s, ctx, &id, Flash::default(), None, Some(found)).await,
        Err(e) => render(&s, ctx, &id, Flash::default(), Some(Failed::new(FORM_PREVIEW, None, e, &p)), None).await,
    }
}
