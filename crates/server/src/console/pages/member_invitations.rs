//! Invitations to become a member, as the inviting organization's admins see them: the open
//! ones under the member list, each of which they may cancel.

use keiretsu_service::directory::MemberInvitationView;

use crate::console::when::when_text;

use super::*;

/// The open invitations, for those who manage the directory; nothing for anyone else.
pub(crate) async fn pending_invitations(s: &AppState, ctx: &Ctx, org: &OrgId, deps: &HashMap<&str, &str>) -> Markup {
    if !ctx.can(Scope::Directory) {
        return html! {};
    }
    let lang = ctx.lang;
    let list: Vec<MemberInvitationView> = match s.svc.directory().member_invitations(&ctx.session.caller, org).await {
        Ok(list) => list,
        Err(e) => {
            return html! { p.field-error role="alert" data-testid="member-invitations-error" { (error_text(lang, &ApiError::from(e))) } };
        }
    };
    if list.is_empty() {
        return html! {};
    }
    html! {
        section.card data-testid="member-invitations" {
            h2 { (t(lang, "member_invitations.title")) }
            p.muted { (t(lang, "member_invitations.help")) }
            table {
                thead { tr {
                    th { (t(lang, "field.name")) } th { (t(lang, "field.login")) } th { (t(lang, "field.title")) }
                    th { (t(lang, "field.departments")) } th { (t(lang, "member_invitations.expires")) } th {}
                } }
                tbody {
                    @for i in &list {
                        tr data-testid="member-invitation-row" data-invitation-id=(i.id) {
                            td { (i.name) }
                            td { (i.login) }
                            td { (i.title.clone().unwrap_or_default()) }
                            td { @for d in &i.department_ids { span.badge { (deps.get(d.as_str()).copied().unwrap_or(d.as_str())) } " " } }
                            td.nowrap { (when_text(ctx, &i.expires_at)) }
                            td {
                                form method="post" action={ "/console/members/invitations/" (i.id) "/cancel" }
                                    data-confirm=(tf(lang, "member_invitations.cancel_confirm", &[("name", &i.name)])) {
                                    (ctx.csrf())
                                    button.secondary.small type="submit" data-testid="member-invitation-cancel" {
                                        (t(lang, "member_invitations.cancel"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) async fn cancel_member_invitation(
    State(s): State<AppState>,
    Path(id): Path<String>,
    form: Csrf<NoFields>,
) -> Response {
    let caller = &form.session.caller;
    let Some(org) = caller.acting().map(|a| a.org.clone()) else { return Redirect::to("/console").into_response() };
    match s.svc.directory().cancel_member_invitation(caller, &org, &id).await {
        Ok(()) => Redirect::to("/console/members?notice=cancelled").into_response(),
        Err(e) => {
            let ctx = match ctx_of(&s, &form).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let title = t(ctx.lang, "nav.members");
            err_page(&ctx, "members", title, e)
        }
    }
}
