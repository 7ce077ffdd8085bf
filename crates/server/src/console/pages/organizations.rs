//! The platform operator's organizations and their certification.

use super::*;
use crate::console::when::when_text;

#[derive(Deserialize, Default)]
pub(crate) struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    admin_login: String,
    #[serde(default)]
    admin_name: String,
    admin_password: Option<String>,
}

pub(crate) async fn orgs(State(s): State<AppState>, ctx: Ctx, Query(q): Query<Saved>) -> Response {
    let f = q.flash(ctx.lang);
    orgs_page(&s, ctx, f, &OrgForm::default(), None).await
}

pub(crate) async fn orgs_page(
    s: &AppState,
    ctx: Ctx,
    f: Flash,
    v: &OrgForm,
    err: Option<(&'static str, ApiError)>,
) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "nav.orgs");
    if !ctx.me.operator {
        return not_allowed(&ctx, "orgs", title);
    }
    let list = match s.svc.directory().orgs(&ctx.session.caller).await {
        Ok(l) => l,
        Err(e) => return err_page(&ctx, "orgs", title, e),
    };
    let create_err = err.as_ref().filter(|(w, _)| *w == "create").map(|(_, e)| e);
    let body = html! {
        table data-testid="org-table" {
            thead { tr { th { (t(lang, "field.object_name")) } th { (t(lang, "orgs.certification")) } th { (t(lang, "orgs.created")) } } }
            tbody {
                @for o in &list {
                    tr data-testid="org-row" data-org-id=(o.id) {
                        td { (o.name) br; code.muted { (o.id) } }
                        td {
                            form.inline method="post" action={ "/console/orgs/" (o.id) "/certification" } {
                                (ctx.csrf())
                                select name="certification" aria-label=(t(lang, "orgs.certification")) data-testid="org-certification" {
                                    @for c in Certification::NAMES { option value=(c) selected[*c == o.certification.as_str()] { (certification_text(lang, c)) } }
                                }
                                button.secondary.small type="submit" data-testid="org-certification-submit" { (t(lang, "common.save")) }
                            }
                        }
                        td.nowrap { (when_text(&ctx, &o.created_at)) }
                    }
                }
                @if list.is_empty() { tr { td.muted colspan="3" { (t(lang, "common.none")) } } }
            }
        }
        h2 { (t(lang, "orgs.create")) }
        form.stack.card method="post" action="/console/orgs" data-testid="org-form" {
            (ctx.csrf())
            label for="o-name" { (t(lang, "field.object_name")) }
            input #o-name name="name" required value=(v.name) data-testid="org-name";
            (field_error(lang, create_err, "name"))
            label for="o-admin_login" { (t(lang, "orgs.admin_login")) }
            input #o-admin_login name="admin_login" required value=(v.admin_login) data-testid="org-admin-login";
            (field_error(lang, create_err, "admin_login"))
            label for="o-admin_name" { (t(lang, "orgs.admin_name")) }
            input #o-admin_name name="admin_name" required value=(v.admin_name) data-testid="org-admin-name";
            (field_error(lang, create_err, "admin_name"))
            label for="o-admin_password" { (t(lang, "field.initial_password")) }
            input #o-admin_password name="admin_password" type="password" autocomplete="new-password" data-testid="org-admin-password";
            span.hint { (tf(lang, "members.password_hint", &[("min", &PASSWORD_MIN.to_string())])) }
            (field_error(lang, create_err, "admin_password"))
            button type="submit" data-testid="org-submit" { (t(lang, "orgs.create")) }
        }
    };
    match &err {
        Some((_, e)) => (status_of(e), layout(&ctx, "orgs", title, &Flash::error(lang, e), body)).into_response(),
        None => layout(&ctx, "orgs", title, &f, body),
    }
}

pub(crate) async fn create_org(State(s): State<AppState>, form: Csrf<OrgForm>) -> Response {
    let f = &form.form;
    let input = NewOrg {
        name: f.name.clone(),
        certification: None,
        admin_login: f.admin_login.clone(),
        admin_name: f.admin_name.clone(),
        admin_password: nonblank(f.admin_password.clone()),
    };
    match s.svc.directory().create_org(&form.session.caller, &input).await {
        Ok(_) => saved("/console/orgs"),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => orgs_page(&s, ctx, Flash::default(), &clone_org_form(f), Some(("create", e.into()))).await,
            Err(r) => r,
        },
    }
}

pub(crate) fn clone_org_form(f: &OrgForm) -> OrgForm {
    OrgForm {
        name: f.name.clone(),
        admin_login: f.admin_login.clone(),
        admin_name: f.admin_name.clone(),
        admin_password: None,
    }
}

#[derive(Deserialize)]
pub(crate) struct CertForm {
    #[serde(default)]
    certification: String,
}

pub(crate) async fn certify(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<CertForm>) -> Response {
    let result = async {
        let org = OrgId::parse(&id).map_err(|_| ApiError::from(DomainError::NotFound { what: "organization" }))?;
        let c = Certification::parse("certification", &form.form.certification)?;
        s.svc.directory().set_certification(&form.session.caller, &org, c).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => saved("/console/orgs"),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => orgs_page(&s, ctx, Flash::default(), &OrgForm::default(), Some(("certify", e))).await,
            Err(r) => r,
        },
    }
}
