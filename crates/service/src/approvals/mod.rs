//! Approvals: templates bound to form apps, instances that submissions start, the actions on
//! them and each member's inboxes. The rules are the domain's (`keiretsu_domain::approval`);
//! this gathers the facts a plan needs and stores what an action decides, journaled.
//!
//! Concurrency: every action reads the instance with its revision and writes only if nobody
//! acted since, so an approve and a reject racing on one task (even through two servers on one
//! PostgreSQL) end in exactly one outcome; the loser is told the request has changed.

use keiretsu_domain::DomainError;
use keiretsu_domain::approval::MAX_LEVELS;
use keiretsu_domain::approval::{self, Event, Facts, Instance, Plan, Record, State, Target, Template};
use keiretsu_domain::error::{Reason, Rule};
use keiretsu_domain::form::Schema;
use keiretsu_domain::identity::{Caller, Need, Scope};
use keiretsu_domain::ids::{AppId, ApprovalId, AttachmentId, MemberId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::network::Side;
use keiretsu_domain::time::format_rfc3339;
use keiretsu_store::approvals::{self as store, Inbox, InstanceRow};
use keiretsu_store::directory as dir;
use keiretsu_store::forms::SubmissionRow;
use keiretsu_store::{AnyConnection, Json};
use serde::{Deserialize, Serialize};

use crate::page::{Page, bad_cursor, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{BoxFuture, Departure, Reaction, UnitNarrowed};
use crate::{Result, random_id_bytes};
use keiretsu_store::Tx;

mod clock;
mod reactions;
mod requests;
mod templates;
mod views;

pub(crate) use reactions::{TasksLeaveUnit, TasksMove};
pub(crate) use requests::{editable, start};
pub use views::*;

crate::use_cases!();

const NOT_FOUND: DomainError = DomainError::NotFound { what: "approval" };
const NOT_FOUND_APP: DomainError = DomainError::NotFound { what: "app" };
const NO_TEMPLATE: DomainError = DomainError::NotFound { what: "approval template" };

/// Another organization's app is unknown here; a member of the app's own organization who lacks
/// the right is told so.
fn app_unknown(e: DomainError) -> DomainError {
    match e {
        DomainError::NotFound { .. } => NOT_FOUND_APP,
        other => other,
    }
}

/// The journal's actor and the timeline's `by` for what the clock does.
const SYSTEM: &str = "system";

/// Who holds an open task now.
fn holders(i: &Instance) -> Vec<String> {
    i.open_tasks().into_iter().map(|t| t.member).collect()
}

async fn approval_admins(c: &mut AnyConnection, org: &str) -> Result<Vec<String>> {
    let admins = store::admins(c, org).await?;
    Ok(admins.into_iter().filter(|(_, r)| r.has(Scope::Approvals)).map(|(id, _)| id).collect())
}

/// Tasks that opened for people away (not among `asked` before) go to their delegates,
/// recorded as the system's doing.
async fn hand_over(
    tx: &mut AnyConnection,
    instance: &mut Instance,
    events: &mut Vec<Event>,
    asked: &[String],
    now: i64,
) -> Result<()> {
    let new: Vec<String> = holders(instance).into_iter().filter(|m| !asked.contains(m)).collect();
    let mut handed = Vec::new();
    for (away, delegate) in store::away(tx, &new, now).await? {
        handed.extend(instance.delegate(&away, &delegate));
    }
    instance.record(now, SYSTEM, &handed);
    events.extend(handed);
    Ok(())
}

/// Writes what happened to an instance if nobody acted on it since it was read, with what
/// follows from it (see [`hand_over`] and [`publish`]).
async fn save(
    tx: &mut AnyConnection,
    row: InstanceRow,
    mut instance: Instance,
    mut events: Vec<Event>,
    asked: &[String],
    actor: &str,
    now: i64,
) -> Result<(InstanceRow, Vec<Change>)> {
    hand_over(tx, &mut instance, &mut events, asked, now).await?;
    let revision = row.revision;
    let updated =
        InstanceRow { state: instance.state, revision: revision + 1, updated_at: now, body: Json(instance), ..row };
    if store::update_instance(tx, &updated, revision).await? == 0 {
        return Err(DomainError::conflict("instance", Rule::Reason(Reason::ChangedMeanwhile)).into());
    }
    let changes = publish(tx, &updated, &events, asked, actor, now).await?;
    Ok((updated, changes))
}

/// After a write: the inboxes, notifications for the newly asked (not in `asked`) and the told,
/// and the journal changes to commit.
async fn publish(
    tx: &mut AnyConnection,
    row: &InstanceRow,
    events: &[Event],
    asked: &[String],
    actor: &str,
    now: i64,
) -> Result<Vec<Change>> {
    let copied = copied(&row.body, events);
    let waiting = holders(&row.body);
    store::set_people(tx, &row.id, asked, &waiting, &copied, now).await?;
    let new: Vec<String> = waiting.iter().filter(|m| !asked.contains(m)).cloned().collect();
    tell(tx, row, events, &new, &copied, now).await?;
    Ok(journal(actor, row, events))
}

/// The caller's member in the organization they act for; approvals are people's, not tokens'.
fn member_of(caller: &Caller) -> Result<(MemberId, OrgId)> {
    let acting = caller.acting().ok_or(NOT_FOUND)?;
    Ok((acting.member.clone(), acting.org.clone()))
}

/// Whoever the events tell: a passed step's copy-to, and the plan's at the end.
fn copied(i: &Instance, events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        match e {
            Event::Passed { step } => {
                out.extend(i.plan.steps.get(*step).map(|s| s.copy_to.clone()).unwrap_or_default())
            }
            Event::Finished { .. } => out.extend(i.plan.copy_to.clone()),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One journal change per event that people will want in the timeline.
fn journal(actor: &str, row: &InstanceRow, events: &[Event]) -> Vec<Change> {
    let org = Some(row.org_id.as_str());
    let change = |action: &'static str| Change::new(actor, org, action, &row.id);
    events
        .iter()
        .map(|e| match e {
            Event::Opened { step, members } => change("approval.open").with("step", step).with("members", members),
            Event::Approved { step, .. } => change("approval.approve").with("step", step),
            Event::Passed { step } => change("approval.pass").with("step", step),
            Event::Rejected { step, reason, .. } => change("approval.reject").with("step", step).with("reason", reason),
            Event::Returned { step, to, reason, .. } => {
                change("approval.return").with("step", step).with("to", to).with("reason", reason)
            }
            Event::Resubmitted => change("approval.resubmit"),
            Event::Withdrawn => change("approval.withdraw"),
            Event::Transferred { step, from, to } => {
                change("approval.transfer").with("step", step).with("from", from).with("to", to)
            }
            Event::Added { step, member, .. } => change("approval.add").with("step", step).with("member", member),
            Event::Moved { step, from, to } => {
                change("approval.move").with("step", step).with("from", from).with("to", to)
            }
            Event::Commented { text, files, .. } => change("approval.comment").with("text", text).with("files", files),
            Event::Reminded { step, members } => change("approval.remind").with("step", step).with("members", members),
            Event::Escalated { step, from, to } => {
                change("approval.escalate").with("step", step).with("from", from).with("to", to)
            }
            Event::Delegated { step, from, to } => {
                change("approval.delegate").with("step", step).with("from", from).with("to", to)
            }
            Event::Finished { state } => change("approval.finish").with("state", state.as_str()),
        })
        .collect()
}

/// What a plan needs to know of a submission: the submitter's heads and supervisors in their
/// own organization, the app organization's admins by scope, for a partner their unit, and
/// which people the template or the form names who have left since (never asked).
async fn facts(c: &mut AnyConnection, owner: &OrgId, sub: &SubmissionRow, template: &Template) -> Result<Facts> {
    let org = OrgId::from_trusted(sub.org_id.clone());
    let active = |m: &dir::MemberRow| m.status == keiretsu_domain::directory::MemberStatus::Active;
    // Supervisors, up to the levels a rule can ask for.
    let mut supervisors = Vec::new();
    let mut at = dir::member(c, &org, &sub.member_id).await?;
    while let Some(next) = at.as_ref().and_then(|m| m.supervisor_id.clone()) {
        if supervisors.len() >= usize::from(MAX_LEVELS) || supervisors.contains(&next) {
            break;
        }
        at = dir::member(c, &org, &next).await?;
        if let Some(m) = at.as_ref().filter(|m| active(m)) {
            supervisors.push(m.id.clone());
        }
    }
    // Heads: for each of the submitter's departments, the nearest one up the tree with heads.
    let departments = dir::departments(c, &org).await?;
    let heads = dir::heads(c, &org).await?;
    let mut department_heads = Vec::new();
    for start in sub.departments.iter() {
        let mut at = Some(start.clone());
        while let Some(d) = at {
            let here: Vec<String> = heads.iter().filter(|(dep, _)| *dep == d).map(|(_, m)| m.clone()).collect();
            if !here.is_empty() {
                for h in here {
                    if !department_heads.contains(&h) {
                        department_heads.push(h);
                    }
                }
                break;
            }
            at = departments.iter().find(|x| x.id == d).and_then(|x| x.parent_id.clone());
        }
    }
    let admins = store::admins(c, owner.as_str()).await?;
    let holders =
        |scope: Scope| admins.iter().filter(|(_, r)| r.has(scope)).map(|(id, _)| id.clone()).collect::<Vec<_>>();
    let scope_holders = Scope::ALL.iter().map(|s| (*s, holders(*s))).collect();
    let mut facts = Facts {
        submitter: sub.member_id.clone(),
        department_heads,
        supervisors,
        scope_holders,
        approval_admins: holders(Scope::Approvals),
        values: sub.data.0.clone(),
        ..Default::default()
    };
    let mut named: Vec<String> = Vec::new();
    for rule in template.nodes.iter().flat_map(|n| n.approvers.iter().chain(&n.copy_to)).chain(&template.copy_to) {
        match rule {
            approval::Approvers::Members { member_ids } => named.extend(member_ids.iter().cloned()),
            approval::Approvers::Field { key } => {
                named.extend(facts.values.get(key).and_then(|v| v.as_str()).map(str::to_owned));
            }
            _ => {}
        }
    }
    named.sort();
    named.dedup();
    for m in named {
        if store::org_of_member(c, &m).await?.is_none() {
            facts.unavailable.push(m);
        }
    }
    if let Some(unit) = &sub.unit_id {
        if let Some(u) = keiretsu_store::network::unit_by_id(c, unit).await? {
            facts.partner = Some((u.partner_type, u.tier));
        }
        for k in keiretsu_store::network::contacts_of_unit(c, unit).await? {
            match (k.side, k.role.as_str()) {
                (Side::Partner, _) => facts.unit_contacts.push(k.member_id),
                (Side::Backbone, "owner") => facts.backbone_owners.push(k.member_id),
                _ => {}
            }
        }
    }
    Ok(facts)
}

/// Tells people in their inbox: a task for whoever was newly asked, a reminder for those
/// reminded, a comment and the decision for the submitter, and a copy for the copy-to recipients.
async fn tell(
    c: &mut AnyConnection,
    row: &InstanceRow,
    events: &[Event],
    asked: &[String],
    copied: &[String],
    now: i64,
) -> Result<()> {
    let null = serde_json::Value::Null;
    let mut send: Vec<(String, &str, serde_json::Value)> =
        asked.iter().map(|m| (m.clone(), "approval_task", null.clone())).collect();
    for e in events {
        match e {
            Event::Reminded { members, .. } => {
                send.extend(members.iter().map(|m| (m.clone(), "approval_reminder", null.clone())));
            }
            Event::Commented { by, .. } if *by != row.submitter_id => {
                send.push((row.submitter_id.clone(), "approval_comment", null.clone()));
            }
            Event::Finished { state } => {
                send.push((row.submitter_id.clone(), "approval_decided", serde_json::json!(state.as_str())));
            }
            _ => {}
        }
    }
    send.extend(copied.iter().map(|m| (m.clone(), "approval_copied", null.clone())));
    if send.is_empty() {
        return Ok(());
    }
    let app = keiretsu_store::apps::app(c, &row.app_id).await?.map(|a| a.name).unwrap_or_default();
    let mut people: Vec<String> = send.iter().map(|(m, _, _)| m.clone()).collect();
    people.push(row.submitter_id.clone());
    people.sort();
    people.dedup();
    let found = store::accounts(c, &people).await?;
    let submitter = found.get(&row.submitter_id).map(|(_, n)| n.clone()).unwrap_or_default();
    let org = OrgId::from_trusted(row.org_id.clone());
    let link = format!("/console/approvals/{}", row.id);
    for (member, kind, state) in send {
        if let Some((account, _)) = found.get(&member) {
            let params = serde_json::json!({ "app": app, "submitter": submitter, "state": state });
            crate::notifications::notify(c, account, Some(&org), kind, params, Some(&link), now).await?;
        }
    }
    Ok(())
}
