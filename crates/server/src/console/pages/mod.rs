//! The console's pages: overview, departments, members, import, journal, inbox, tokens and,
//! for the platform operator, organizations.

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keiretsu_domain::DomainError;
use keiretsu_domain::directory::Certification;
use keiretsu_domain::identity::{NOT_ALLOWED, PASSWORD_MIN, Role, Scope};
use keiretsu_domain::ids::{DepartmentId, MemberId, NotificationId, OrgId, TokenId};
use keiretsu_domain::time::format_rfc3339;
use keiretsu_service::directory::{
    Added, DepartmentPatch, DepartmentView, Heads, MemberPatch, MemberQuery, MemberView, NewDepartment, NewMember,
    NewOrg, Transfer,
};
use keiretsu_service::identity::NewToken;
use keiretsu_service::journal::JournalQuery;
use keiretsu_service::network::MemberPost;
use maud::{Markup, html};
use serde::Deserialize;

use super::labels::{contact_role_text, status_text, type_text};
use super::picker::{self, From, Picker};
use super::{Ctx, Flash, Saved, ctx_of, error_text, field_error, layout, not_allowed, saved, status_of};
use crate::AppState;
use crate::auth::{Csrf, NoFields};
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf, tn};

mod abilities;
mod departments;
mod import;
mod inbox;
mod journal;
mod member_invitations;
mod members;
mod organizations;
mod overview;
mod password_link;
mod tokens;

pub(crate) use abilities::*;
pub(crate) use departments::*;
pub(crate) use import::*;
pub(crate) use inbox::*;
pub(crate) use journal::*;
pub(crate) use member_invitations::*;
pub(crate) use members::*;
pub(crate) use organizations::*;
pub(crate) use overview::*;
pub(crate) use password_link::*;
pub(crate) use tokens::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/departments", get(departments).post(create_department))
        .route("/console/departments/{id}/rename", post(rename_department))
        .route("/console/departments/{id}/move", post(move_department))
        .route("/console/departments/{id}/delete", post(delete_department))
        .route("/console/departments/{id}/heads", post(set_heads))
        .route("/console/members", get(members).post(add_member))
        .route("/console/members/new", get(new_member))
        .route("/console/members/{id}", get(member))
        .route("/console/members/{id}/edit", post(edit_member))
        .route("/console/members/{id}/transfer", post(transfer_member))
        .route("/console/members/{id}/leave", post(leave))
        .route("/console/members/{id}/rejoin", post(rejoin))
        .route("/console/members/{id}/password-link", post(issue_password_link))
        .route("/console/members/invitations/{id}/cancel", post(cancel_member_invitation))
        .route("/console/import", get(import_page).post(import))
        .route("/console/journal", get(journal))
        .route("/console/inbox", get(inbox))
        .route("/console/inbox/read-all", post(read_all))
        .route("/console/inbox/{id}/read", post(read_one))
        .route("/console/tokens", get(tokens).post(create_token))
        .route("/console/tokens/{id}/revoke", post(revoke_token))
        .route("/console/orgs", get(orgs).post(create_org))
        .route("/console/orgs/{id}/certification", post(certify))
}

/// A form post's fields as sent, kept to draw a failed form again with what was typed.
pub(super) type Pairs = Vec<(String, String)>;

/// A form on a page that failed: which form, on which row (for forms a page repeats), why, and
/// what was typed, so the page can be shown again with the message next to it.
pub(super) struct Failed {
    pub(super) form: &'static str,
    pub(super) at: Option<String>,
    pub(super) error: ApiError,
    pub(super) values: Pairs,
}

impl Failed {
    pub(super) fn new(form: &'static str, at: Option<&str>, error: ApiError, values: &Pairs) -> Failed {
        Failed { form, at: at.map(str::to_owned), error, values: values.clone() }
    }

    /// The first value typed into `key`.
    fn value(&self, key: &str) -> Option<&str> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value typed into `key` (a multi-select, checkboxes).
    fn all_values(&self, key: &str) -> Vec<String> {
        self.values.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
    }
}

fn failed_form<'a>(failed: Option<&'a Failed>, form: &str, at: Option<&str>) -> Option<&'a Failed> {
    failed.filter(|f| f.form == form && f.at.as_deref() == at)
}

/// The error of form `form` (on row `at`), if that is the one that failed.
pub(super) fn err_of<'a>(failed: Option<&'a Failed>, form: &str, at: Option<&str>) -> Option<&'a ApiError> {
    failed_form(failed, form, at).map(|f| &f.error)
}

/// What was typed into `key` of the failed form, or `default` for a fresh form.
pub(super) fn typed(failed: Option<&Failed>, form: &str, at: Option<&str>, key: &str, default: &str) -> String {
    match failed_form(failed, form, at) {
        Some(f) => f.value(key).unwrap_or_default().to_owned(),
        None => default.to_owned(),
    }
}

/// Every value typed into `key` of the failed form (checkboxes).
pub(super) fn typed_all(failed: Option<&Failed>, form: &str, at: Option<&str>, key: &str) -> Vec<String> {
    failed_form(failed, form, at).map(|f| f.all_values(key)).unwrap_or_default()
}

/// Whether the checkbox `key` was ticked in the failed form, or `current` for a fresh form.
pub(super) fn ticked(failed: Option<&Failed>, form: &str, at: Option<&str>, key: &str, current: bool) -> bool {
    failed_form(failed, form, at).map_or(current, |f| f.value(key).is_some())
}

/// The service did not find what was asked: for a lookup that only names something, an
/// answer (the page shows the id instead), not a failure.
pub(super) fn not_found(e: &keiretsu_service::Error) -> bool {
    matches!(e, keiretsu_service::Error::Domain(DomainError::NotFound { .. }))
}

pub(super) fn nonblank(v: Option<String>) -> Option<String> {
    v.filter(|x| !x.trim().is_empty())
}

/// A filter field as the service takes it: trimmed, and left out when blank.
pub(super) fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned)
}

pub(super) fn no_org(ctx: &Ctx, active: &str, title: &str) -> Response {
    layout(
        ctx,
        active,
        title,
        &Flash::default(),
        html! { p.muted data-testid="no-org" { (t(ctx.lang, "common.no_org")) } },
    )
}

/// A page that could not be drawn, with the service's reason in the page's language.
pub(super) fn err_page(ctx: &Ctx, active: &str, title: &str, e: impl Into<ApiError>) -> Response {
    let e = e.into();
    (status_of(&e), layout(ctx, active, title, &Flash::error(ctx.lang, &e), html! {})).into_response()
}

pub(super) fn scope_text(lang: Lang, scope: Scope) -> &'static str {
    match scope {
        Scope::Directory => t(lang, "scope.directory"),
        Scope::License => t(lang, "scope.license"),
        Scope::Partners => t(lang, "scope.partners"),
        Scope::Apps => t(lang, "scope.apps"),
        Scope::Approvals => t(lang, "scope.approvals"),
        Scope::Audit => t(lang, "scope.audit"),
    }
}

fn role_text(lang: Lang, role: &Role) -> String {
    match role {
        Role::PrimaryAdmin => t(lang, "role.primary_admin").to_owned(),
        Role::Member => t(lang, "role.member").to_owned(),
        Role::SubAdmin(scopes) => {
            let names: Vec<&str> = scopes.iter().map(|s| scope_text(lang, *s)).collect();
            format!("{} ({})", t(lang, "role.sub_admin"), names.join(", "))
        }
    }
}

fn certification_text(lang: Lang, c: &str) -> &'static str {
    match c {
        "certified" => t(lang, "cert.certified"),
        "pending" => t(lang, "cert.pending"),
        "revoked" => t(lang, "cert.revoked"),
        _ => t(lang, "cert.unverified"),
    }
}

/// Departments in tree order with their depth, for selects and the tree.
fn dept_order(deps: &[DepartmentView]) -> Vec<(&DepartmentView, usize)> {
    let kids = children(deps);
    let mut out = Vec::with_capacity(deps.len());
    let mut stack: Vec<(&DepartmentView, usize)> =
        kids.get(&None).map(|v| v.iter().rev().map(|d| (*d, 0)).collect()).unwrap_or_default();
    while let Some((d, depth)) = stack.pop() {
        out.push((d, depth));
        if let Some(k) = kids.get(&Some(d.id.as_str())) {
            stack.extend(k.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

fn children(deps: &[DepartmentView]) -> HashMap<Option<&str>, Vec<&DepartmentView>> {
    let mut kids: HashMap<Option<&str>, Vec<&DepartmentView>> = HashMap::new();
    for d in deps {
        kids.entry(d.parent_id.as_deref()).or_default().push(d);
    }
    kids
}

/// `id` and every department below it.
fn subtree<'a>(deps: &'a [DepartmentView], id: &'a str) -> HashSet<&'a str> {
    let kids = children(deps);
    let mut out = HashSet::from([id]);
    let mut todo = vec![id];
    while let Some(x) = todo.pop() {
        for c in kids.get(&Some(x)).into_iter().flatten() {
            if out.insert(c.id.as_str()) {
                todo.push(c.id.as_str());
            }
        }
    }
    out
}

pub(super) fn dept_options(
    deps: &[DepartmentView],
    selected: &dyn Fn(&str) -> bool,
    exclude: &HashSet<&str>,
) -> Markup {
    html! {
        @for (d, depth) in dept_order(deps) {
            @if !exclude.contains(d.id.as_str()) {
                option value=(d.id) selected[selected(&d.id)] data-depth=(depth) { ("\u{a0}\u{a0}\u{a0}".repeat(depth)) (d.name) }
            }
        }
    }
}
