//! A partner admin's invitations: the list, the answer page, accept and decline.

use super::*;
use crate::console::when::when_text;

pub(super) async fn received(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    received_page(&s, ctx, f, None).await
}

pub(super) fn preview_fields(ctx: &Ctx, p: &InvitationPreview) -> Markup {
    let lang = ctx.lang;
    html! {
        dt { (t(lang, "invitations.network")) } dd data-testid="preview-network" { (p.network_name) }
        dt { (t(lang, "invitations.backbone")) } dd data-testid="preview-backbone" { (p.backbone_name) }
        dt { (t(lang, "units.partner_name")) } dd { (p.partner_name) }
        dt { (t(lang, "units.type")) } dd data-testid="preview-type" { (type_text(lang, &p.partner_type)) }
        dt { (t(lang, "units.tier")) } dd data-testid="preview-tier" { (p.tier) }
        dt { (t(lang, "invitations.expires")) } dd data-testid="preview-expires" { (when_text(ctx, &p.expires_at)) }
        dt { (t(lang, "invitations.departments")) } dd data-testid="preview-departments" { (brings_text(lang, &p.departments)) }
    }
}

pub(super) async fn received_page(s: &AppState, ctx: Ctx, f: Flash, failed: Option<Failed>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "invitations.title");
    if ctx.org().is_none() {
        return no_org(&ctx, ACTIVE, title);
    }
    if !ctx.can(Scope::Partners) {
        return not_allowed(&ctx, ACTIVE, title);
    }
    let list = match s.svc.network().received_invitations(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, ACTIVE, title, e),
    };
    let failed = failed.as_ref();
    let body = html! {
        p.muted { (t(lang, "invitations.received_help")) }
        form.inline.card method="get" action="/console/invitations/answer" data-testid="answer-code-form" {
            label.field { span { (t(lang, "invitations.code")) }
                input name="code" required autocomplete="off" data-testid="answer-code"; }
            button type="submit" data-testid="answer-open" { (t(lang, "invitations.open")) }
        }
        @for p in &list {
            @let answerable = closed_reason(lang, p).is_none();
            div.card data-testid="received-invitation" data-invitation-id=(p.id) {
                dl.fields { (preview_fields(&ctx, p)) }
                @if let Some(e) = err_of(failed, "answer", Some(p.id.as_str())) {
                    div.error role="alert" data-testid="answer-error" { (e.0.detail) }
                }
                @if answerable {
                    form.inline method="post" action="/console/invitations/accept" {
                        (ctx.csrf())
                        input type="hidden" name="invitation_id" value=(p.id);
                        button type="submit" data-testid="invitation-accept" { (t(lang, "invitations.accept")) }
                    }
                    form.inline method="post" action="/console/invitations/decline" {
                        (ctx.csrf())
                        input type="hidden" name="invitation_id" value=(p.id);
                        button.secondary type="submit" data-testid="invitation-decline" { (t(lang, "invitations.decline")) }
                    }
                } @else if let Some(reason) = closed_reason(lang, p) {
                    p.muted { (reason) }
                }
            }
        }
        @if list.is_empty() { p.muted data-testid="received-empty" { (t(lang, "invitations.none_received")) } }
    };
    finish(&ctx, title, &f, failed, body)
}

#[derive(Deserialize, Default)]
pub(super) struct AnswerQuery {
    code: Option<String>,
}

pub(super) async fn answer(State(s): State<AppState>, ctx: Ctx, Query(q): Query<AnswerQuery>) -> Response {
    answer_page(&s, ctx, q.code.unwrap_or_default(), None, None).await
}

/// Two department names alike but for case.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Why an invitation can no longer be answered, said before anyone presses a button.
pub(super) fn closed_reason(lang: Lang, p: &InvitationPreview) -> Option<&'static str> {
    match p.status.as_str() {
        "pending" if p.expired => Some(t(lang, "invitations.closed_expired")),
        "pending" => None,
        "revoked" => Some(t(lang, "invitations.closed_revoked")),
        _ => Some(t(lang, "invitations.closed_answered")),
    }
}

/// The invitation behind a code, with the departments of the caller's organization to bring in:
/// those the backbone proposed are ticked at first (`ticked` keeps a failed answer's choice).
pub(super) async fn answer_page(
    s: &AppState,
    ctx: Ctx,
    code: String,
    err: Option<ApiError>,
    ticked: Option<Vec<String>>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "invitations.answer_title");
    let Some(org) = ctx.org() else {
        return no_org(&ctx, ACTIVE, title);
    };
    let input = InvitationAnswer { code: Some(code.clone()), invitation_id: None, department_ids: None };
    let preview = s.svc.network().preview_invitation(&ctx.session.caller, &input).await.map_err(ApiError::from);
    let code_form = html! {
        form.inline.card method="get" action="/console/invitations/answer" data-testid="answer-code-form" {
            label.field { span { (t(lang, "invitations.code")) }
                input name="code" required autocomplete="off" value=(code) data-testid="answer-code"; }
            button type="submit" data-testid="answer-open" { (t(lang, "invitations.open")) }
        }
    };
    let (body, error) = match preview {
        Err(e) => (code_form, Some(err.unwrap_or(e))),
        Ok(p) => {
            let closed = closed_reason(lang, &p);
            // An open invitation is answered with the caller's own departments, which anyone
            // acting in the organization may read: a failure is a real one. (Without the tree
            // an empty choice would bring the whole organization.)
            let tree = match closed {
                None => match s.svc.directory().departments(&ctx.session.caller, &org).await {
                    Ok(d) => Some(d),
                    Err(e) => return err_page(&ctx, ACTIVE, title, e),
                },
                Some(_) => None,
            };
            let proposed = |d: &DepartmentView| p.departments.iter().any(|n| same_name(n, &d.name));
            let tick = |d: &DepartmentView| match &ticked {
                Some(ids) => ids.contains(&d.id),
                None => proposed(d),
            };
            let unmatched: Vec<&str> = p
                .departments
                .iter()
                .filter(|n| !tree.iter().flatten().any(|d| same_name(n, &d.name)))
                .map(String::as_str)
                .collect();
            let body = html! {
                div.card data-testid="invitation-preview" data-status=(p.status.as_str()) data-expired=(p.expired) {
                    p { (tf(lang, "invitations.preview_intro", &[("backbone", &p.backbone_name), ("network", &p.network_name)])) }
                    dl.fields { (preview_fields(&ctx, &p)) }
                    @if let Some(reason) = closed {
                        div.error role="alert" data-testid="invitation-closed" { (reason) }
                    } @else {
                        form.stack method="post" action="/console/invitations/accept" data-testid="accept-form" {
                            (ctx.csrf())
                            input type="hidden" name="code" value=(code);
                            @if let Some(deps) = &tree {
                                input type="hidden" name="pick" value="1";
                                fieldset {
                                    legend { (t(lang, "invitations.pick_departments")) }
                                    p.hint data-testid="departments-help" { (t(lang, "units.departments_help")) }
                                    @if !p.departments.is_empty() && unmatched.is_empty() {
                                        p.hint { (t(lang, "invitations.departments_ticked")) }
                                    }
                                    @if !unmatched.is_empty() {
                                        p.field-error role="alert" data-testid="departments-unmatched" {
                                            (tf(lang, "invitations.departments_unmatched", &[("names", &unmatched.join(", "))]))
                                        }
                                    }
                                    (department_checks(deps, &tick))
                                    (field_error(lang, err.as_ref(), "department_ids"))
                                }
                            }
                            div { button type="submit" data-testid="invitation-accept" { (t(lang, "invitations.accept")) } }
                        }
                        form.inline method="post" action="/console/invitations/decline" {
                            (ctx.csrf())
                            input type="hidden" name="code" value=(code);
                            button.secondary type="submit" data-testid="invitation-decline" { (t(lang, "invitations.decline")) }
                        }
                    }
                }
            };
            (body, err)
        }
    };
    match error {
        Some(e) => (status_of(&e), layout(&ctx, ACTIVE, title, &Flash::error(lang, &e), body)).into_response(),
        None => layout(&ctx, ACTIVE, title, &Flash::default(), body),
    }
}

/// An answer to an invitation: by code from the answer page (with `pick` when it drew the
/// department checkboxes), or by id from the list of received invitations.
#[derive(Deserialize)]
pub(super) struct AnswerForm {
    code: Option<String>,
    invitation_id: Option<String>,
    pick: Option<String>,
    #[serde(default)]
    department_ids: Vec<String>,
}

impl AnswerForm {
    /// The ticked departments, when the form offered a choice.
    fn ticked(&self) -> Option<Vec<String>> {
        self.pick.as_ref().map(|_| ticked_ids(&self.department_ids))
    }
}

/// An answer from a form: the departments ticked on the answer page (none ticked: the whole
/// organization); from the list of received invitations, those the invitation names.
pub(super) fn answer_of(f: &AnswerForm) -> Result<InvitationAnswer, ApiError> {
    let invitation_id = match nonblank(f.invitation_id.clone()) {
        Some(i) => Some(parse_id(InvitationId::parse, i.trim(), "invitation")?),
        None => None,
    };
    Ok(InvitationAnswer { code: nonblank(f.code.clone()), invitation_id, department_ids: f.ticked() })
}

/// An answer failed: the page it was given on, with the service's reason.
pub(super) async fn answer_failed(s: &AppState, form: &Csrf<AnswerForm>, e: ApiError) -> Response {
    let ctx = match ctx_of(s, form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match nonblank(form.form.code.clone()) {
        Some(code) => answer_page(s, ctx, code, Some(e), form.form.ticked()).await,
        None => {
            let at = form.form.invitation_id.as_deref();
            received_page(s, ctx, Flash::default(), Some(Failed::new("answer", at, e, &form.raw))).await
        }
    }
}

pub(super) async fn accept(State(s): State<AppState>, form: Csrf<AnswerForm>) -> Response {
    let r = async {
        let answer = answer_of(&form.form)?;
        Ok::<UnitView, ApiError>(s.svc.network().accept_invitation(&form.session.caller, &answer).await?)
    }
    .await
    .map_err(|e| list_field(e, "department_ids"));
    match r {
        Ok(u) => saved(&format!("/console/networks/{}", u.network_id)),
        Err(e) => answer_failed(&s, &form, e).await,
    }
}

pub(super) async fn decline(State(s): State<AppState>, form: Csrf<AnswerForm>) -> Response {
    let r = async {
        let answer = answer_of(&form.form)?;
        s.svc.network().decline_invitation(&form.session.caller, &answer).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match r {
        Ok(()) => saved("/console/invitations"),
        Err(e) => answer_failed(&s, &form, e).await,
    }
}
