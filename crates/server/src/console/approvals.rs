//! Approvals in the console: the inboxes (to decide, submitted, copied, done) and one request
//! with its steps, who it waits for, and the actions the viewer may take.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use keiretsu_domain::approval::{Event, Mode, State as ApprovalState, Target};
use keiretsu_domain::ids::{ApprovalId, MemberId};
use keiretsu_service::approvals::{Action, InboxKind, InboxQuery, InstanceView, NewDelegation};
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

use super::labels::state_text;
use super::picker::{From, Picker};
use super::when::when_text;
use super::{Ctx, Flash, ctx_of, layout, saved, status_of};
use crate::AppState;
use crate::api::id as parse_id;
use crate::auth::Csrf;
use crate::error::ApiError;
use crate::i18n::{Lang, t, tf};

const ACTIVE: &str = "approvals";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/approvals", get(inbox))
        .route("/console/approvals/{id}", get(request))
        .route(
            "/console/approvals/{id}/act",
            post(act).layer(axum::extract::DefaultBodyLimit::max(
                keiretsu_service::forms::MAX_ATTACHMENT + crate::BODY_LIMIT,
            )),
        )
        .route("/console/approvals/delegation", post(delegate))
}

#[derive(Deserialize, Default)]
pub(super) struct InboxParams {
    inbox: Option<String>,
    cursor: Option<String>,
}

/// Away: who takes the viewer's tasks, and the form to set or end it.
async fn delegation_section(s: &AppState, ctx: &Ctx, err: Option<&ApiError>) -> maud::Markup {
    let lang = ctx.lang;
    let current = s.svc.approvals().delegation(&ctx.session.caller).await.ok().flatten();
    let names = match &current {
        Some(d) => super::picker::names(s, ctx, std::slice::from_ref(&d.delegate_id)).await,
        None => HashMap::new(),
    };
    // The end is exclusive: the last day away is the one before it.
    let day = |text: &str, back: i64| {
        keiretsu_domain::time::parse_rfc3339("at", text)
            .map(|at| {
                let l = ctx.zone.local(at - back);
                format!("{:04}-{:02}-{:02}", l.year, l.month, l.day)
            })
            .unwrap_or_default()
    };
    html! {
        h2 #away { (t(lang, "approvals.away")) }
        p.muted { (t(lang, "approvals.away_help")) }
        @if let Some(d) = &current {
            p data-testid="delegation-current" {
                (tf(lang, "approvals.away_now", &[
                    ("name", &names.get(&d.delegate_id).cloned().unwrap_or_else(|| t(lang, "approvals.someone").to_owned())),
                    ("from", &day(&d.starts_at, 0)),
                    ("until", &day(&d.ends_at, 1)),
                ]))
            }
            form.inline method="post" action="/console/approvals/delegation" data-confirm=(t(lang, "approvals.away_end_confirm")) {
                (ctx.csrf())
                button.secondary type="submit" name="end" value="1" data-testid="delegation-end" { (t(lang, "approvals.away_end")) }
            }
        }
        @if let Some(e) = err { p.field-error role="alert" data-testid="delegation-error" { (super::error_text(lang, e)) } }
        form.stack.card method="post" action="/console/approvals/delegation" data-testid="delegation-form" {
            (ctx.csrf())
            label { (t(lang, "approvals.delegate")) }
            (Picker { name: "delegate_id", id: None, from: From::Org, multiple: false, required: true, testid: "delegation-member", label: Some(t(lang, "approvals.delegate")), value: "", names: &HashMap::new() }.render(lang))
            label { (t(lang, "approvals.away_from")) input type="date" name="from" required data-testid="delegation-from"; }
            label { (t(lang, "approvals.away_until")) input type="date" name="until" required data-testid="delegation-until"; }
            div { button type="submit" data-testid="delegation-save" { (t(lang, "approvals.away_save")) } }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct DelegationForm {
    #[serde(default)]
    end: String,
    #[serde(default)]
    delegate_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

async fn delegate(State(s): State<AppState>, form: Csrf<DelegationForm>) -> Response {
    let f = &form.form;
    let caller = &form.session.caller;
    // The viewer's zone reads the dates, and the page is drawn again with it on an error.
    let ctx = match ctx_of(&s, &form).await {
        Ok(ctx) => ctx,
        Err(res) => return res,
    };
    let r = async {
        if !f.end.is_empty() {
            return Ok(s.svc.approvals().clear_delegation(caller).await?);
        }
        let delegate_id = MemberId::parse(f.delegate_id.trim())
            .map_err(|_| keiretsu_domain::DomainError::invalid("delegate_id", keiretsu_domain::Rule::Required))?;
        let d = NewDelegation {
            delegate_id,
            starts_at: keiretsu_domain::time::format_rfc3339(ctx.zone.day_start("from", f.from.trim())?),
            ends_at: keiretsu_domain::time::format_rfc3339(ctx.zone.day_end("until", f.until.trim())?),
        };
        s.svc.approvals().set_delegation(caller, &d).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match r {
        Ok(()) => saved("/console/approvals#away"),
        Err(e) => inbox_page(&s, ctx, InboxParams::default(), Flash::default(), Some(e)).await,
    }
}

const BOXES: [(&str, InboxKind, &str); 4] = [
    ("todo", InboxKind::Todo, "approvals.todo"),
    ("submitted", InboxKind::Submitted, "approvals.submitted"),
    ("copied", InboxKind::Copied, "approvals.copied"),
    ("done", InboxKind::Done, "approvals.done"),
];

/// The name of a step: the node's, or the approval admins' when no node applied.
fn step_name(lang: Lang, i: &InstanceView, step: usize) -> String {
    match i.plan.steps.get(step) {
        Some(s) if !s.name.is_empty() => s.name.clone(),
        _ => t(lang, "approvals.admin_step").to_owned(),
    }
}

/// Names for everyone the requests mention, as the viewer may see them.
async fn names_of(s: &AppState, ctx: &Ctx, items: &[&InstanceView]) -> HashMap<String, String> {
    let mut ids: Vec<String> = Vec::new();
    for i in items {
        ids.push(i.submitter_id.clone());
        for step in &i.plan.steps {
            ids.extend(step.approvers.iter().cloned());
        }
        for r in &i.timeline {
            ids.push(r.by.clone());
            let mut e = r.event.clone();
            ids.extend(e.people_mut().into_iter().map(|p| p.clone()));
        }
    }
    ids.sort();
    ids.dedup();
    super::picker::names(s, ctx, &ids).await
}

/// App names the viewer knows: the apps they may use and those they manage.
async fn app_names(s: &AppState, ctx: &Ctx) -> HashMap<String, String> {
    let caller = &ctx.session.caller;
    let mut out: HashMap<String, String> = HashMap::new();
    for a in s.svc.apps().workbench(caller, None).await.unwrap_or_default() {
        out.insert(a.id, a.name);
    }
    for a in s.svc.apps().list(caller).await.unwrap_or_default() {
        out.insert(a.id, a.name);
    }
    out
}

async fn inbox(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(p): Query<InboxParams>,
    Query(q): Query<super::Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    inbox_page(&s, ctx, p, f, None).await
}

async fn inbox_page(s: &AppState, ctx: Ctx, p: InboxParams, f: Flash, err: Option<ApiError>) -> Response {
    let s = s.clone();
    let lang = ctx.lang;
    let title = t(lang, "nav.approvals");
    let chosen = p.inbox.clone().unwrap_or_else(|| "todo".into());
    let Some((code, kind, _)) = BOXES.iter().find(|(c, _, _)| *c == chosen).copied() else {
        return super::pages::err_page(
            &ctx,
            ACTIVE,
            title,
            ApiError::from(keiretsu_domain::DomainError::invalid(
                "inbox",
                keiretsu_domain::Rule::OneOf(&["todo", "submitted", "copied", "done"]),
            )),
        );
    };
    let q = InboxQuery { inbox: kind, cursor: p.cursor.clone().filter(|c| !c.is_empty()), limit: Some(50) };
    let page = match s.svc.approvals().inbox(&ctx.session.caller, &q).await {
        Ok(p) => p,
        Err(e) => return super::pages::err_page(&ctx, ACTIVE, title, e),
    };
    let names = names_of(&s, &ctx, &page.items.iter().collect::<Vec<_>>()).await;
    let apps = app_names(&s, &ctx).await;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| t(lang, "approvals.someone").to_owned());
    let next = page.next_cursor.as_ref().map(|c| {
        format!(
            "/console/approvals?{}",
            serde_urlencoded::to_string([("inbox", code), ("cursor", c)]).unwrap_or_default()
        )
    });
    let body = html! {
        nav.tabs aria-label=(title) data-testid="approval-boxes" {
            @for (c, _, key) in BOXES {
                a href={ "/console/approvals?inbox=" (c) } class=[(c == code).then_some("active")]
                    aria-current=[(c == code).then_some("page")] data-testid={ "approval-box-" (c) } { (t(lang, key)) }
            }
        }
        table data-testid="approval-table" {
            thead { tr {
                th { (t(lang, "approvals.app")) } th { (t(lang, "approvals.submitter")) } th { (t(lang, "approvals.step")) }
                th { (t(lang, "field.status")) } th { (t(lang, "approvals.updated")) }
            } }
            tbody {
                @for i in &page.items {
                    tr data-testid="approval-row" data-approval-id=(i.id) data-state=(i.state.as_str()) {
                        td { a href={ "/console/approvals/" (i.id) } data-testid="approval-link" {
                            (apps.get(&i.app_id).cloned().unwrap_or_else(|| t(lang, "approvals.request").to_owned()))
                        } }
                        td { (name(&i.submitter_id)) }
                        td { (step_name(lang, i, i.step)) }
                        td { span.badge data-testid="approval-state" { (state_text(lang, i.state)) } }
                        td.nowrap { (when_text(&ctx, &i.updated_at)) }
                    }
                }
                @if page.items.is_empty() { tr { td.muted colspan="5" data-testid="approval-empty" { (t(lang, "approvals.empty")) } } }
            }
        }
        div.pager { @if let Some(n) = next { a href=(n) data-testid="approval-next" { (t(lang, "common.next_page")) } } }
        (delegation_section(&s, &ctx, err.as_ref()).await)
    };
    let res = layout(&ctx, ACTIVE, title, &f, body);
    match err {
        Some(e) => (status_of(&e), res).into_response(),
        None => res,
    }
}

async fn request(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<super::Saved>,
) -> Response {
    let f = q.flash(ctx.lang);
    request_page(&s, ctx, &id, f, None).await
}

async fn request_page(s: &AppState, ctx: Ctx, id: &str, f: Flash, err: Option<ApiError>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "approvals.request");
    let found = async {
        let id = parse_id(ApprovalId::parse, id, "approval")?;
        Ok::<_, ApiError>(s.svc.approvals().instance(&ctx.session.caller, &id).await?)
    }
    .await;
    let i = match found {
        Ok(i) => i,
        Err(e) => return super::pages::err_page(&ctx, ACTIVE, title, e),
    };
    let names = names_of(s, &ctx, &[&i]).await;
    let apps = app_names(s, &ctx).await;
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| t(lang, "approvals.someone").to_owned());
    let me = ctx.session.caller.acting().map(|a| a.member.to_string()).unwrap_or_default();
    let mine = i.waiting_for.contains(&me);
    let submitter = i.submitter_id == me;
    let action = format!("/console/approvals/{}/act", i.id);
    let app_name = apps.get(&i.app_id).cloned().unwrap_or_else(|| title.to_owned());
    let body = html! {
        dl.fields.card data-testid="approval-detail" {
            dt { (t(lang, "approvals.app")) } dd data-testid="approval-app" { (app_name) }
            dt { (t(lang, "approvals.submitter")) } dd data-testid="approval-submitter" { (name(&i.submitter_id)) }
            dt { (t(lang, "field.status")) } dd data-testid="approval-state" { (state_text(lang, i.state)) }
            dt { (t(lang, "approvals.submitted_at")) } dd { (when_text(&ctx, &i.created_at)) }
            dt { (t(lang, "approvals.submission")) } dd { a href={ "/console/submissions/" (i.submission_id) } data-testid="approval-submission" { (t(lang, "approvals.open_submission")) } }
        }
        h2 { (t(lang, "approvals.steps")) }
        ol.steps data-testid="approval-steps" {
            @for (n, step) in i.plan.steps.iter().enumerate() {
                @let mark = if i.state == ApprovalState::Approved || n < i.step { "approvals.step_passed" }
                    else if n == i.step && i.state == ApprovalState::Pending { "approvals.step_current" }
                    else { "approvals.step_ahead" };
                li data-testid="approval-step" data-step=(n) {
                    strong { (step_name(lang, &i, n)) } " · " span.muted { (t(lang, mark)) }
                    @if step.fallback { " " span.badge { (t(lang, "approvals.fallback")) } }
                    br;
                    (step.approvers.iter().map(|a| name(a)).collect::<Vec<_>>().join(", "))
                }
            }
        }
        @if !i.waiting_for.is_empty() {
            p data-testid="approval-waiting" {
                (tf(lang, "approvals.waiting_for", &[("names", &i.waiting_for.iter().map(|a| name(a)).collect::<Vec<_>>().join(", "))]))
            }
        }
        h2 { (t(lang, "approvals.timeline")) }
        ol.timeline data-testid="approval-timeline" {
            @for r in i.timeline.iter().filter(|r| !matches!(r.event, Event::Opened { .. } | Event::Passed { .. } | Event::Finished { .. })) {
                li data-testid="approval-record" {
                    span.muted { (super::when::local_text(lang, &ctx.zone, r.at)) } " · "
                    strong { @if r.by == "system" { (t(lang, "approvals.the_clock")) } @else { (name(&r.by)) } }
                    " " (event_text(lang, &i, &r.event, &name))
                }
            }
        }
        @if let Some(e) = &err { p.field-error role="alert" data-testid="approval-error" { (super::error_text(lang, e)) } }
        @if mine {
            h2 { (t(lang, "approvals.decide")) }
            form.stack.card method="post" action=(action) data-testid="approval-decide" {
                (ctx.csrf())
                label for="a-reason" { (t(lang, "approvals.reason")) }
                textarea.short #a-reason name="reason" rows="2" maxlength="500" data-testid="approval-reason" {}
                div {
                    button type="submit" name="action" value="approve" data-testid="approval-approve" { (t(lang, "approvals.approve")) } " "
                    button.danger type="submit" name="action" value="reject" data-confirm=(t(lang, "approvals.reject_confirm")) data-testid="approval-reject" { (t(lang, "approvals.reject")) } " "
                    button.secondary type="submit" name="action" value="return" data-testid="approval-return" { (t(lang, "approvals.return")) }
                }
            }
        }
        @if mine {
            form.stack.card method="post" action=(action) data-testid="approval-hand-over" {
                (ctx.csrf())
                label { (t(lang, "approvals.someone_else")) }
                (Picker { name: "member_id", id: None, from: From::Reach, multiple: false, required: true, testid: "approval-member", label: Some(t(lang, "approvals.someone_else")), value: "", names: &HashMap::new() }.render(lang))
                div {
                    button.secondary type="submit" name="action" value="transfer" data-testid="approval-transfer" { (t(lang, "approvals.transfer")) } " "
                    @if i.plan.steps.get(i.step).is_some_and(|x| x.mode != Mode::Any) {
                        button.secondary type="submit" name="action" value="add_before" data-testid="approval-add-before" { (t(lang, "approvals.add_before")) } " "
                        button.secondary type="submit" name="action" value="add_after" data-testid="approval-add-after" { (t(lang, "approvals.add_after")) }
                    }
                }
            }
        }
        @if !i.files.is_empty() {
            h2 { (t(lang, "approvals.files")) }
            ul data-testid="approval-files" {
                @for file in &i.files {
                    li { a href={ "/api/v1/attachments/" (file.id) } data-testid="approval-file" { (file.name) } }
                }
            }
        }
        form.stack.card method="post" action=(action) enctype="multipart/form-data" data-testid="approval-comment-form" {
            (ctx.csrf())
            label for="a-comment" { (t(lang, "approvals.comment")) }
            textarea.short #a-comment name="text" rows="2" maxlength="500" data-testid="approval-comment" {}
            label { (t(lang, "approvals.attach")) input type="file" name="file" data-testid="approval-file-input"; }
            div {
                button.secondary type="submit" name="action" value="comment" data-testid="approval-comment-send" { (t(lang, "approvals.comment_send")) }
                @if submitter && i.state == ApprovalState::Pending {
                    " " button.secondary type="submit" name="action" value="remind" data-testid="approval-remind" { (t(lang, "approvals.remind")) }
                }
            }
        }
        @if submitter && !i.state.is_final() {
            form.inline method="post" action=(action) data-testid="approval-withdraw-form" {
                (ctx.csrf())
                @if i.state == ApprovalState::Returned {
                    button type="submit" name="action" value="resubmit" data-testid="approval-resubmit" { (t(lang, "approvals.resubmit")) } " "
                }
                button.secondary type="submit" name="action" value="withdraw" data-confirm=(t(lang, "approvals.withdraw_confirm")) data-testid="approval-withdraw" { (t(lang, "approvals.withdraw")) }
            }
        }
    };
    let res = layout(&ctx, ACTIVE, &app_name, &f, body);
    match err {
        Some(e) => (status_of(&e), res).into_response(),
        None => res,
    }
}

/// One timeline event in words: "approved Buyer", "rejected: Wrong price list".
fn event_text(lang: Lang, i: &InstanceView, e: &Event, name: &dyn Fn(&str) -> String) -> String {
    let step = |n: &usize| step_name(lang, i, *n);
    let names = |ids: &[String]| ids.iter().map(|m| name(m)).collect::<Vec<_>>().join(", ");
    match e {
        Event::Approved { step: n, .. } => tf(lang, "approvals.did_approve", &[("step", &step(n))]),
        Event::Rejected { reason, .. } => tf(lang, "approvals.did_reject", &[("reason", reason)]),
        Event::Returned { reason, to: Target::Submitter, .. } => {
            tf(lang, "approvals.did_return", &[("reason", reason)])
        }
        Event::Returned { reason, to: Target::Step { step: n }, .. } => {
            tf(lang, "approvals.did_return_step", &[("reason", reason), ("step", &step(n))])
        }
        Event::Resubmitted => t(lang, "approvals.did_resubmit").to_owned(),
        Event::Withdrawn => t(lang, "approvals.did_withdraw").to_owned(),
        Event::Transferred { to, .. } => tf(lang, "approvals.did_transfer", &[("name", &name(to))]),
        Event::Added { member, .. } => tf(lang, "approvals.did_add", &[("name", &name(member))]),
        Event::Moved { from, to, .. } => tf(lang, "approvals.did_move", &[("from", &name(from)), ("to", &name(to))]),
        Event::Commented { text, files, .. } if !files.is_empty() => {
            let names: Vec<String> = files
                .iter()
                .map(|f| i.files.iter().find(|x| x.id == *f).map_or_else(|| f.clone(), |x| x.name.clone()))
                .collect();
            tf(lang, "approvals.did_comment_files", &[("text", text), ("files", &names.join(", "))])
        }
        Event::Commented { text, .. } => tf(lang, "approvals.did_comment", &[("text", text)]),
        Event::Reminded { members, .. } => tf(lang, "approvals.did_remind", &[("names", &names(members))]),
        Event::Escalated { from, to, .. } => {
            tf(lang, "approvals.did_escalate", &[("from", &names(from)), ("to", &names(to))])
        }
        Event::Delegated { from, to, .. } => {
            tf(lang, "approvals.did_delegate", &[("from", &name(from)), ("to", &name(to))])
        }
        Event::Opened { .. } | Event::Passed { .. } | Event::Finished { .. } => String::new(),
    }
}

const ACTIONS: &[&str] = &[
    "approve",
    "reject",
    "return",
    "resubmit",
    "withdraw",
    "comment",
    "remind",
    "transfer",
    "add_before",
    "add_after",
];

#[derive(Deserialize)]
pub(super) struct ActForm {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    member_id: String,
}

async fn act(State(s): State<AppState>, Path(id): Path<String>, form: Csrf<ActForm>) -> Response {
    let f = &form.form;
    let r = async {
        let aid = parse_id(ApprovalId::parse, &id, "approval")?;
        let action = match f.action.as_str() {
            "approve" => Action::Approve,
            "reject" => Action::Reject { reason: f.reason.clone() },
            "return" => Action::Return { to: Target::Submitter, reason: f.reason.clone() },
            "resubmit" => Action::Resubmit,
            "withdraw" => Action::Withdraw,
            "comment" => {
                let mut attachment_ids = Vec::new();
                for file in form.files.iter().filter(|x| x.field == "file") {
                    let a = s
                        .svc
                        .approvals()
                        .upload(&form.session.caller, &aid, &file.name, &file.content_type, &file.content)
                        .await
                        .map_err(|e| ApiError::from(e).with_field("file"))?;
                    attachment_ids.push(keiretsu_domain::ids::AttachmentId::from_trusted(a.id));
                }
                Action::Comment { text: f.text.clone(), attachment_ids }
            }
            "remind" => Action::Remind,
            "transfer" | "add_before" | "add_after" => {
                let member_id = MemberId::parse(f.member_id.trim())
                    .map_err(|_| keiretsu_domain::DomainError::invalid("member_id", keiretsu_domain::Rule::Required))?;
                match f.action.as_str() {
                    "transfer" => Action::Transfer { member_id },
                    other => Action::AddApprover { member_id, before: other == "add_before" },
                }
            }
            _ => {
                return Err(ApiError::from(keiretsu_domain::DomainError::invalid(
                    "action",
                    keiretsu_domain::Rule::OneOf(ACTIONS),
                )));
            }
        };
        s.svc.approvals().act(&form.session.caller, &aid, &action).await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => saved(&format!("/console/approvals/{id}")),
        Err(e) => match ctx_of(&s, &form).await {
            Ok(ctx) => request_page(&s, ctx, &id, Flash::default(), Some(e)).await,
            Err(res) => res,
        },
    }
}
