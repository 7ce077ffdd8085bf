//! Issuing a set-password link from a member's page: the link is shown once, on the page the
//! form answers with, and never again.

use super::*;
use crate::console::when::when_string;

pub(crate) async fn issue_password_link(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    form: Csrf<NoFields>,
) -> Response {
    let ctx = match ctx_of(&s, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let title = t(lang, "members.password_link");
    let Some(org) = ctx.org() else { return no_org(&ctx, "members", title) };
    let issued = match MemberId::parse(&id) {
        Ok(mid) => s.svc.identity().issue_password_link(&ctx.session.caller, &org, &mid).await.map_err(ApiError::from),
        Err(_) => Err(DomainError::NotFound { what: "member" }.into()),
    };
    match issued {
        Ok(link) => {
            let body = html! {
                div.card {
                    p { (tf(lang, "members.password_link_shown", &[("expires", &when_string(&ctx, &link.expires_at))])) }
                    p { code data-testid="password-link" { (crate::console::absolute(&s, &headers, &link.link)) } }
                    p { a href={ "/console/members/" (id) } data-testid="back-to-member" { (t(lang, "members.detail")) } }
                }
            };
            layout(&ctx, "members", title, &Flash::default(), body)
        }
        Err(error) => member_page(&s, ctx, &id, Flash::default(), Some(MemberError::new("password_link", error))).await,
    }
}
