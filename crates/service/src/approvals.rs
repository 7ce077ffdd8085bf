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

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalTemplateView)]
pub struct TemplateView {
    pub app_id: String,
    /// Each publication is a new version; running instances keep the one they started with.
    pub version: i64,
    pub template: Template,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalView)]
pub struct InstanceView {
    pub id: String,
    pub app_id: String,
    pub submission_id: String,
    pub submitter_id: String,
    pub template_version: i64,
    pub state: State,
    /// The step being decided (the last one once approved).
    pub step: usize,
    /// Member ids here and below are those the caller may see; anyone else (a backbone
    /// approver a partner's network does not show, say) is an empty id.
    pub plan: Plan,
    /// Who may act now.
    pub waiting_for: Vec<String>,
    /// What happened, oldest first: who (a member id), when (epoch milliseconds), what.
    pub timeline: Vec<Record>,
    /// Files uploaded to the request for comments (on a single request; empty in inbox lists).
    pub files: Vec<crate::files::AttachmentView>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<InstanceRow> for InstanceView {
    fn from(r: InstanceRow) -> Self {
        let i = r.body.into_inner();
        InstanceView {
            waiting_for: i.open_tasks().into_iter().map(|t| t.member).collect(),
            id: r.id,
            app_id: r.app_id,
            submission_id: r.submission_id,
            submitter_id: r.submitter_id,
            template_version: r.template_version,
            state: r.state,
            step: i.step,
            timeline: i.timeline,
            files: Vec::new(),
            plan: i.plan,
            created_at: format_rfc3339(r.created_at),
            updated_at: format_rfc3339(r.updated_at),
        }
    }
}

impl InstanceView {
    fn people_mut(&mut self) -> Vec<&mut String> {
        let mut out: Vec<&mut String> = vec![&mut self.submitter_id];
        out.extend(self.plan.people_mut());
        out.extend(self.waiting_for.iter_mut());
        for r in &mut self.timeline {
            out.push(&mut r.by);
            out.extend(r.event.people_mut());
        }
        out
    }
}

/// One action on an instance.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = ApprovalAction)]
pub enum Action {
    Approve,
    Reject {
        reason: String,
    },
    /// Back to the submitter, or to an earlier step.
    Return {
        to: Target,
        reason: String,
    },
    /// The submitter sends a returned request again.
    Resubmit,
    Withdraw,
    Transfer {
        member_id: MemberId,
    },
    /// One more approver at this step, before or after the one who adds them.
    AddApprover {
        member_id: MemberId,
        #[serde(default)]
        before: bool,
    },
    /// A remark in the timeline, from anyone the request involves; the submitter is told.
    /// Files go first to the request's attachments, then are named here.
    Comment {
        text: String,
        #[serde(default)]
        attachment_ids: Vec<AttachmentId>,
    },
    /// The submitter nudges the waiting approvers (at most once an hour).
    Remind,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// Requests waiting for the caller's decision.
    #[default]
    Todo,
    Submitted,
    Copied,
    /// Requests the caller decided or was asked on before.
    Done,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Which inbox: `todo` (the default), `submitted`, `copied` or `done`.
    #[serde(default)]
    pub inbox: InboxKind,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A template tried on a sample submission (see `preview`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalSample)]
pub struct Sample {
    pub template: Template,
    /// Who would submit: a member of the app's organization or of one of its partners.
    pub member_id: MemberId,
    /// The form's values, as a submission gives them.
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// Who takes the caller's approval tasks while they are away.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalDelegation)]
pub struct DelegationView {
    pub delegate_id: String,
    pub starts_at: String,
    pub ends_at: String,
}

impl From<store::DelegationRow> for DelegationView {
    fn from(r: store::DelegationRow) -> Self {
        DelegationView {
            delegate_id: r.delegate_id,
            starts_at: format_rfc3339(r.starts_at),
            ends_at: format_rfc3339(r.ends_at),
        }
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApprovalDelegation)]
pub struct NewDelegation {
    /// A member of the caller's own organization.
    pub delegate_id: MemberId,
    /// RFC 3339 times; at most a year apart.
    pub starts_at: String,
    pub ends_at: String,
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

impl Cases<'_> {
    /// Approval admins of the app's organization: publish the next version of its template.
    pub async fn put_template(&self, caller: &Caller, app: &AppId, template: &Template) -> Result<TemplateView> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let org = OrgId::from_trusted(a.org_id.clone());
        let permit = caller.permit(&org, Need::Manage(Scope::Approvals)).map_err(app_unknown)?;
        let (_, schema) = keiretsu_store::forms::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        template.check(&schema)?;
        // Named people must be people the organization works with: its own or its partners'.
        for (i, n) in template.nodes.iter().enumerate() {
            for (list, rules) in [("approvers", &n.approvers), ("copy_to", &n.copy_to)] {
                for (j, rule) in rules.iter().enumerate() {
                    let approval::Approvers::Members { member_ids } = rule else { continue };
                    for (k, m) in member_ids.iter().enumerate() {
                        if !store::reachable_member(&mut c, &a.org_id, m).await? {
                            let field = format!("nodes.{i}.{list}.{j}.member_ids.{k}");
                            return Err(DomainError::invalid(field, Rule::Reason(Reason::NotAnApprover)).into());
                        }
                    }
                }
            }
        }
        drop(c);
        let mut tx = self.store.write().await?;
        let version = store::latest_template(&mut tx, app.as_str()).await?.map_or(1, |(v, _)| v + 1);
        store::insert_template(&mut tx, app.as_str(), version, template, permit.actor(), self.now())
            .await
            .map_err(|_| DomainError::conflict("template", Rule::Reason(Reason::ChangedMeanwhile)))?;
        let change = Change::new(permit.actor(), Some(&a.org_id), "approval.template", app.as_str())
            .with("version", version)
            .with("nodes", template.nodes.len());
        self.commit(tx, &[change]).await?;
        Ok(TemplateView { app_id: app.to_string(), version, template: template.clone() })
    }

    /// What a template would do for a sample submission from a member the organization works
    /// with: which steps apply and who would approve at each. Changes nothing; a sample nobody
    /// could approve gets the refusal the submission would get.
    pub async fn preview(&self, caller: &Caller, app: &AppId, sample: &Sample) -> Result<Plan> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let owner = OrgId::from_trusted(a.org_id.clone());
        caller.permit(&owner, Need::Manage(Scope::Approvals)).map_err(app_unknown)?;
        let (version, schema) =
            keiretsu_store::forms::latest_version(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        sample.template.check(&schema)?;
        let values = schema.check_values(&sample.values)?;
        let member = sample.member_id.as_str();
        let org = match store::org_of_member(&mut c, member).await? {
            Some(org) if store::reachable_member(&mut c, &a.org_id, member).await? => org,
            _ => return Err(DomainError::invalid("member_id", Rule::Reason(Reason::NotAnApprover)).into()),
        };
        let unit = if org == a.org_id {
            None
        } else {
            keiretsu_store::forms::unit_of(&mut c, member, &org, &a.org_id).await?
        };
        let departments =
            dir::departments_of(&mut c, &[member.to_owned()]).await?.into_iter().map(|(_, d)| d).collect();
        let sub = SubmissionRow {
            id: String::new(),
            app_id: a.id.clone(),
            version,
            member_id: member.to_owned(),
            org_id: org,
            unit_id: unit,
            departments: Json(departments),
            data: Json(values),
            created_at: 0,
            updated_at: 0,
        };
        let facts = facts(&mut c, &owner, &sub, &sample.template).await?;
        Ok(approval::plan(&sample.template, &schema, &facts)?)
    }

    /// The app's current template, for those who manage its approvals or the app.
    pub async fn template(&self, caller: &Caller, app: &AppId) -> Result<TemplateView> {
        let mut c = self.store.read().await?;
        let a = keiretsu_store::apps::app(&mut c, app.as_str()).await?.ok_or(NOT_FOUND_APP)?;
        let org = OrgId::from_trusted(a.org_id);
        if let Err(e) = caller.permit(&org, Need::Manage(Scope::Approvals)) {
            caller.permit(&org, Need::Manage(Scope::Apps)).map_err(|_| app_unknown(e))?;
        }
        let (version, t) = store::latest_template(&mut c, app.as_str()).await?.ok_or(NO_TEMPLATE)?;
        Ok(TemplateView { app_id: app.to_string(), version, template: t.into_inner() })
    }

    /// One instance, for its submitter, anyone it asked or told, and the approval admins of the
    /// app's organization; anyone else gets the answer an unknown id gets.
    pub async fn instance(&self, caller: &Caller, id: &ApprovalId) -> Result<InstanceView> {
        let mut c = self.store.read().await?;
        let row = self.readable(&mut c, caller, id).await?;
        let files = store::files(&mut c, &row.id).await?;
        drop(c);
        let mut view: InstanceView = row.into();
        view.files = files.iter().map(crate::files::attachment_view).collect();
        let mut views = [view];
        self.hide_unseen(caller, &mut views).await?;
        let [view] = views;
        Ok(view)
    }

    /// Anyone who may read a request uploads a file to it, to name in a comment.
    pub async fn upload(
        &self,
        caller: &Caller,
        id: &ApprovalId,
        name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<crate::files::AttachmentView> {
        let (member, _) = member_of(caller)?;
        let mut tx = self.store.write().await?;
        let row = self.readable(&mut tx, caller, id).await?;
        let file = crate::files::attachment_row(
            &row.app_id,
            member.as_str(),
            Some(&row.id),
            name,
            content_type,
            content,
            self.now(),
        )?;
        keiretsu_store::forms::insert_attachment(&mut tx, &file, content).await?;
        let change = Change::new(caller.actor(), Some(&row.org_id), "attachment.upload", &file.id)
            .with("approval", &row.id)
            .with("size", file.size)
            .with("sha256", &file.sha256);
        self.commit(tx, &[change]).await?;
        Ok(crate::files::attachment_view(&file))
    }

    /// Blanks the member ids the caller may not see: their own organization's people and those
    /// their networks show them are named, nobody else (a partner's submitter does not learn who
    /// at the backbone decides unless the network shows them).
    async fn hide_unseen(&self, caller: &Caller, views: &mut [InstanceView]) -> Result<()> {
        let (_, org) = member_of(caller)?;
        let mut ids: Vec<String> = views.iter_mut().flat_map(|v| v.people_mut()).map(|p| p.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut seen: std::collections::HashSet<String> =
            store::of_org(&mut *self.store.read().await?, org.as_str(), &ids).await?.into_iter().collect();
        let others: Vec<String> = ids.into_iter().filter(|id| !seen.contains(id)).collect();
        if !others.is_empty() {
            let networks = self.network().networks(caller).await?;
            for id in others {
                let Ok(member) = MemberId::parse(&id) else { continue };
                for n in &networks {
                    let network = keiretsu_domain::ids::NetworkId::from_trusted(n.id.clone());
                    if self.network().person(caller, &network, &member).await.is_ok() {
                        seen.insert(id);
                        break;
                    }
                }
            }
        }
        for v in views {
            // Only member ids: the clock's `system` stays as it is.
            for p in v.people_mut().into_iter().filter(|p| p.starts_with("mem_")) {
                if !seen.contains(p.as_str()) {
                    p.clear();
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn readable(
        &self,
        c: &mut AnyConnection,
        caller: &Caller,
        id: &ApprovalId,
    ) -> Result<InstanceRow> {
        let (member, _) = member_of(caller)?;
        let row = store::instance(c, id.as_str()).await?.ok_or(NOT_FOUND)?;
        let admin = caller.permit(&OrgId::from_trusted(row.org_id.clone()), Need::Manage(Scope::Approvals)).is_ok();
        if admin || row.submitter_id == member.as_str() || store::involved(c, id.as_str(), member.as_str()).await? {
            Ok(row)
        } else {
            Err(NOT_FOUND.into())
        }
    }

    /// The caller acts on an instance. Only an action the rules allow changes anything.
    pub async fn act(&self, caller: &Caller, id: &ApprovalId, action: &Action) -> Result<InstanceView> {
        let (member, _) = member_of(caller)?;
        let me = member.as_str();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let row = self.readable(&mut tx, caller, id).await?;
        let mut instance = row.body.0.clone();
        let asked = holders(&instance);
        // The app's own people are active (a session ends when they leave); a partner's person
        // must still be brought into the organization's networks.
        let deciding = !matches!(action, Action::Comment { .. } | Action::Remind | Action::Resubmit | Action::Withdraw);
        let partner = caller.acting().is_none_or(|a| a.org.as_str() != row.org_id);
        if deciding && partner && !store::reachable_member(&mut tx, &row.org_id, me).await? {
            return Err(DomainError::conflict("task", Rule::Reason(Reason::OutOfReach)).into());
        }
        let events = match action {
            Action::Approve => instance.approve(me)?,
            Action::Reject { reason } => instance.reject(me, reason)?,
            Action::Return { to, reason } => instance.send_back(me, *to, reason)?,
            Action::Withdraw => instance.withdraw(me)?,
            Action::Transfer { member_id } => {
                self.eligible(&mut tx, &row, member_id).await?;
                instance.transfer(me, member_id.as_str())?
            }
            Action::AddApprover { member_id, before } => {
                self.eligible(&mut tx, &row, member_id).await?;
                instance.add_approver(me, member_id.as_str(), *before)?
            }
            Action::Resubmit => {
                if me != row.submitter_id {
                    return Err(DomainError::conflict("instance", Rule::Reason(Reason::SubmitterOnly)).into());
                }
                let plan = self.plan_for(&mut tx, &row).await?;
                instance.resubmit(me, plan)?
            }
            Action::Comment { text, attachment_ids } => {
                let files: Vec<String> = attachment_ids.iter().map(ToString::to_string).collect();
                for f in &files {
                    let mine = keiretsu_store::forms::attachment(&mut tx, f)
                        .await?
                        .is_some_and(|a| a.approval_id.as_deref() == Some(row.id.as_str()) && a.member_id == me);
                    if !mine {
                        return Err(
                            DomainError::invalid("attachment_ids", Rule::Reason(Reason::NotUploadedHere)).into()
                        );
                    }
                }
                instance.comment(me, text, &files)?
            }
            Action::Remind => instance.remind(me, now)?,
        };
        instance.record(now, me, &events);
        let (updated, changes) = save(&mut tx, row, instance, events, &asked, &caller.actor(), now).await?;
        self.commit(tx, &changes).await?;
        let mut views = [updated.into()];
        self.hide_unseen(caller, &mut views).await?;
        let [view] = views;
        Ok(view)
    }

    /// The clock's round: reminds and escalates the running requests that are due, each in its
    /// own transaction. A request someone acted on meanwhile is left for the next round, which
    /// also lets two servers sweep one database. Returns how many requests changed.
    pub async fn sweep(&self) -> Result<usize> {
        let now = self.now();
        let due = store::due(&mut *self.store.read().await?, now, 200).await?;
        let mut changed = 0;
        for row in due {
            let mut tx = self.store.write().await?;
            let Some(row) = store::instance(&mut tx, &row.id).await? else { continue };
            let mut instance = row.body.0.clone();
            let asked = holders(&instance);
            let admins = approval_admins(&mut tx, &row.org_id).await?;
            let events = instance.tick(now, &admins);
            instance.record(now, SYSTEM, &events);
            match save(&mut tx, row, instance, events, &asked, SYSTEM, now).await {
                Ok((_, changes)) => {
                    self.commit(tx, &changes).await?;
                    changed += 1;
                }
                Err(crate::Error::Domain(DomainError::Conflict { .. })) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    /// The caller's delegation, if they set one.
    pub async fn delegation(&self, caller: &Caller) -> Result<Option<DelegationView>> {
        let (member, _) = member_of(caller)?;
        let row = store::delegation(&mut *self.store.read().await?, member.as_str()).await?;
        Ok(row.map(DelegationView::from))
    }

    /// While away (from `starts_at` to `ends_at`), tasks that open for the caller go to a member
    /// of their own organization instead; setting it again replaces it.
    pub async fn set_delegation(&self, caller: &Caller, d: &NewDelegation) -> Result<DelegationView> {
        let (member, org) = member_of(caller)?;
        if d.delegate_id == member {
            return Err(DomainError::invalid("delegate_id", Rule::Reason(Reason::SelfDelegate)).into());
        }
        let starts = keiretsu_domain::time::parse_rfc3339("starts_at", &d.starts_at)?;
        let ends = keiretsu_domain::time::parse_rfc3339("ends_at", &d.ends_at)?;
        if ends <= starts || ends - starts > 366 * 24 * approval::HOUR {
            return Err(DomainError::invalid("ends_at", Rule::Reason(Reason::DelegateDates)).into());
        }
        let mut tx = self.store.write().await?;
        let active = dir::member(&mut tx, &org, d.delegate_id.as_str())
            .await?
            .is_some_and(|m| m.status == keiretsu_domain::directory::MemberStatus::Active);
        if !active {
            return Err(DomainError::invalid("delegate_id", Rule::Reason(Reason::NotAnApprover)).into());
        }
        let row = store::DelegationRow {
            member_id: member.to_string(),
            delegate_id: d.delegate_id.to_string(),
            starts_at: starts,
            ends_at: ends,
        };
        store::put_delegation(&mut tx, &row).await?;
        let change = Change::new(caller.actor(), Some(org.as_str()), "approval.delegation", member.as_str())
            .with("delegate", &row.delegate_id)
            .with("from", &d.starts_at)
            .with("until", &d.ends_at);
        self.commit(tx, &[change]).await?;
        Ok(row.into())
    }

    /// Ends the caller's delegation; tasks already handed over stay where they are.
    pub async fn clear_delegation(&self, caller: &Caller) -> Result<()> {
        let (member, org) = member_of(caller)?;
        let mut tx = self.store.write().await?;
        if store::delete_delegation(&mut tx, member.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "delegation" }.into());
        }
        let change = Change::new(caller.actor(), Some(org.as_str()), "approval.delegation_end", member.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// A member a task may be handed to: active in the submitter's or the app's organization.
    async fn eligible(&self, c: &mut AnyConnection, row: &InstanceRow, member: &MemberId) -> Result<()> {
        for org in [&row.org_id, &submitter_org(c, row).await?] {
            if let Some(m) = dir::member(c, &OrgId::from_trusted(org.clone()), member.as_str()).await?
                && m.status == keiretsu_domain::directory::MemberStatus::Active
            {
                return Ok(());
            }
        }
        Err(DomainError::invalid("member_id", Rule::Reason(Reason::NotAnApprover)).into())
    }

    async fn plan_for(&self, c: &mut AnyConnection, row: &InstanceRow) -> Result<Plan> {
        let sub = keiretsu_store::forms::submission(c, &row.submission_id).await?.ok_or(NOT_FOUND)?;
        // The version the request started with: a newer one never changes a running request.
        let template = store::template_at(c, &row.app_id, row.template_version).await?.ok_or(NOT_FOUND)?;
        let (_, schema) = keiretsu_store::forms::latest_version(c, &row.app_id).await?.ok_or(NOT_FOUND_APP)?;
        let facts = facts(c, &OrgId::from_trusted(row.org_id.clone()), &sub.row, &template).await?;
        Ok(approval::plan(&template, &schema, &facts)?)
    }

    /// How many requests wait for the caller's decision; none for a caller acting for no
    /// organization.
    pub async fn open_tasks(&self, caller: &Caller) -> Result<i64> {
        let Some(acting) = caller.acting() else { return Ok(0) };
        Ok(store::open_tasks(&mut *self.store.read().await?, acting.member.as_str()).await?)
    }

    /// A page of one of the caller's inboxes, most recently changed first.
    pub async fn inbox(&self, caller: &Caller, q: &InboxQuery) -> Result<Page<InstanceView>> {
        let (member, _) = member_of(caller)?;
        let limit = page_limit(q.limit)?;
        let after = match &q.cursor {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                Some((parts[0].parse::<i64>().map_err(|_| bad_cursor())?, parts[1].clone()))
            }
            None => None,
        };
        let inbox = match q.inbox {
            InboxKind::Todo => Inbox::Todo,
            InboxKind::Submitted => Inbox::Submitted,
            InboxKind::Copied => Inbox::Copied,
            InboxKind::Done => Inbox::Done,
        };
        let mut rows = store::inbox(&mut *self.store.read().await?, member.as_str(), inbox, after, limit + 1).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|(at, r)| encode_cursor(&[&at.to_string(), &r.id]))
        } else {
            None
        };
        let mut items: Vec<InstanceView> = rows.into_iter().map(|(_, r)| r.into()).collect();
        self.hide_unseen(caller, &mut items).await?;
        Ok(Page { items, next_cursor })
    }
}

/// Starts the approval of a submission just written in `tx`, when its app has a template.
/// Returns the journal changes to commit with the submission; a submission nobody but its
/// submitter could approve is refused with it.
pub(crate) async fn start(
    tx: &mut AnyConnection,
    owner: &OrgId,
    sub: &SubmissionRow,
    schema: &Schema,
    actor: &str,
    now: i64,
) -> Result<Vec<Change>> {
    let Some((version, template)) = store::latest_template(tx, &sub.app_id).await? else { return Ok(Vec::new()) };
    let facts = facts(tx, owner, sub, &template).await?;
    let plan = approval::plan(&template, schema, &facts)?;
    let (mut instance, mut events) = Instance::start(&sub.member_id, plan)?;
    instance.record(now, &sub.member_id, &events);
    hand_over(tx, &mut instance, &mut events, &[], now).await?;
    let row = InstanceRow {
        id: ApprovalId::from_random(random_id_bytes()).to_string(),
        org_id: owner.to_string(),
        app_id: sub.app_id.clone(),
        template_version: version,
        submission_id: sub.id.clone(),
        submitter_id: sub.member_id.clone(),
        state: instance.state,
        body: Json(instance),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    store::insert_instance(tx, &row).await?;
    let mut changes = vec![
        Change::new(actor, Some(owner.as_str()), "approval.submit", &row.id)
            .with("submission", &row.submission_id)
            .with("version", version)
            .with("steps", row.body.plan.steps.iter().map(|s| s.name.clone()).collect::<Vec<_>>()),
    ];
    changes.extend(publish(tx, &row, &events, &[], actor, now).await?);
    Ok(changes)
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

async fn submitter_org(c: &mut AnyConnection, row: &InstanceRow) -> Result<String> {
    let sub = keiretsu_store::forms::submission(c, &row.submission_id).await?.ok_or(NOT_FOUND)?;
    Ok(sub.row.org_id)
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

/// Whether a submission may be changed: never while its approval runs or once it is decided;
/// only when it has none or was returned to its submitter.
pub(crate) async fn editable(c: &mut AnyConnection, submission: &str) -> Result<()> {
    match store::instance_of_submission(c, submission).await? {
        Some(i) if i.state != State::Returned => {
            Err(DomainError::conflict("submission", Rule::Reason(Reason::UnderApproval)).into())
        }
        _ => Ok(()),
    }
}

/// A departed member's places in running requests move to their supervisor, then to the
/// approval admins of the request's organization; each move is journaled and in the timeline.
/// Requests they submitted stay as they are.
pub(crate) struct TasksMove;

impl Reaction<Departure> for TasksMove {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let gone = d.member.id.as_str();
            let mut changes = Vec::new();
            for row in store::running_naming(tx, gone).await? {
                if row.submitter_id == gone {
                    continue;
                }
                let mut instead: Vec<String> = Vec::new();
                if let Some(sup) = &d.member.supervisor_id
                    && let Some(m) = dir::member(tx, &d.org, sup).await?
                    && m.status == keiretsu_domain::directory::MemberStatus::Active
                {
                    instead.push(m.id);
                }
                instead.extend(approval_admins(tx, &row.org_id).await?);
                let mut instance = row.body.0.clone();
                let asked = holders(&instance);
                let events = instance.depart(gone, &instead);
                instance.record(d.at, gone, &events);
                let (_, more) = save(tx, row, instance, events, &asked, &d.actor, d.at).await?;
                changes.extend(more);
            }
            Ok(changes)
        })
    }
}

/// A unit left a network or brings fewer people: whoever can no longer be reached by the
/// network's organization loses their places in its running requests, which go to its
/// approval admins (as a departure's would), so nobody out of reach decides and no step waits
/// on someone who cannot see it.
pub(crate) struct TasksLeaveUnit;

impl Reaction<UnitNarrowed> for TasksLeaveUnit {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a UnitNarrowed) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let mut changes = Vec::new();
            let mut reach: std::collections::HashMap<String, bool> =
                e.left_out.iter().map(|m| (m.clone(), false)).collect();
            for row in store::running_of_org(tx, &e.pool_org).await? {
                let mut named: Vec<String> = row.body.plan.steps.iter().flat_map(|s| s.approvers.clone()).collect();
                named.extend(row.body.approvers.clone());
                named.sort();
                named.dedup();
                let mut gone = Vec::new();
                for m in named {
                    let reachable = match reach.get(&m) {
                        Some(r) => *r,
                        None => {
                            let r = store::reachable_member(tx, &e.pool_org, &m).await?;
                            reach.insert(m.clone(), r);
                            r
                        }
                    };
                    if !reachable {
                        gone.push(m);
                    }
                }
                if gone.is_empty() {
                    continue;
                }
                let admins = approval_admins(tx, &row.org_id).await?;
                let mut instance = row.body.0.clone();
                let asked = holders(&instance);
                let mut events = Vec::new();
                for m in &gone {
                    events.extend(instance.depart(m, &admins));
                }
                instance.record(e.at, SYSTEM, &events);
                let (_, more) = save(tx, row, instance, events, &asked, &e.actor, e.at).await?;
                changes.extend(more);
            }
            Ok(changes)
        })
    }
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
