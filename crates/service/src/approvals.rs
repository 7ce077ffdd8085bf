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
use keiretsu_domain::ids::{AppId, ApprovalId, MemberId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::network::Side;
use keiretsu_domain::time::format_rfc3339;
use keiretsu_store::approvals::{self as store, Inbox, InstanceRow};
use keiretsu_store::directory as dir;
use keiretsu_store::forms::SubmissionRow;
use keiretsu_store::{AnyConnection, Json};
use serde::{Deserialize, Serialize};

use crate::page::{Page, bad_cursor, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{BoxFuture, Departure, Reaction};
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
        drop(c);
        let mut views = [row.into()];
        self.hide_unseen(caller, &mut views).await?;
        let [view] = views;
        Ok(view)
    }

    /// Blanks the member ids the caller may not see: their own organization's people and those
    /// their networks show them are named, nobody else (a partner's submitter does not learn who
    /// at the backbone decides unless the network shows them).
    async fn hide_unseen(&self, caller: &Caller, views: &mut [InstanceView]) -> Result<()> {
        let (_, org) = member_of(caller)?;
        let mut ids: Vec<String> = views.iter_mut().flat_map(|v| v.people_mut()).map(|p| p.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut seen = std::collections::HashSet::new();
        let mut others = Vec::new();
        let mut c = self.store.read().await?;
        for id in ids {
            if dir::member(&mut c, &org, &id).await?.is_some() {
                seen.insert(id);
            } else {
                others.push(id);
            }
        }
        drop(c);
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
            for p in v.people_mut() {
                if !seen.contains(p.as_str()) {
                    p.clear();
                }
            }
        }
        Ok(())
    }

    async fn readable(&self, c: &mut AnyConnection, caller: &Caller, id: &ApprovalId) -> Result<InstanceRow> {
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
        let mut tx = self.store.write().await?;
        let row = self.readable(&mut tx, caller, id).await?;
        let revision = row.revision;
        let mut instance = row.body.0.clone();
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
        };
        let now = self.now();
        instance.record(now, me, &events);
        let updated =
            InstanceRow { state: instance.state, revision: revision + 1, updated_at: now, body: Json(instance), ..row };
        if store::update_instance(&mut tx, &updated, revision).await? == 0 {
            return Err(DomainError::conflict("instance", Rule::Reason(Reason::ChangedMeanwhile)).into());
        }
        let copied = copied(&updated.body, &events);
        let waiting: Vec<String> = updated.body.open_tasks().into_iter().map(|t| t.member).collect();
        store::set_people(&mut tx, &updated.id, &waiting, &copied, now).await?;
        tell(&mut tx, &updated, &events, &copied, now).await?;
        let changes = journal(&caller.actor(), &updated, &events);
        self.commit(tx, &changes).await?;
        let mut views = [updated.into()];
        self.hide_unseen(caller, &mut views).await?;
        let [view] = views;
        Ok(view)
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
        let facts = facts(c, &OrgId::from_trusted(row.org_id.clone()), &sub.row).await?;
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
    let facts = facts(tx, owner, sub).await?;
    let plan = approval::plan(&template, schema, &facts)?;
    let (mut instance, events) = Instance::start(&sub.member_id, plan)?;
    instance.record(now, &sub.member_id, &events);
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
    let waiting: Vec<String> = row.body.open_tasks().into_iter().map(|t| t.member).collect();
    store::set_people(tx, &row.id, &waiting, &[], now).await?;
    tell(tx, &row, &events, &[], now).await?;
    let mut changes = vec![
        Change::new(actor, Some(owner.as_str()), "approval.submit", &row.id)
            .with("submission", &row.submission_id)
            .with("version", version)
            .with("steps", row.body.plan.steps.iter().map(|s| s.name.clone()).collect::<Vec<_>>()),
    ];
    changes.extend(journal(actor, &row, &events));
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
            Event::Finished { state } => change("approval.finish").with("state", state.as_str()),
        })
        .collect()
}

async fn submitter_org(c: &mut AnyConnection, row: &InstanceRow) -> Result<String> {
    let sub = keiretsu_store::forms::submission(c, &row.submission_id).await?.ok_or(NOT_FOUND)?;
    Ok(sub.row.org_id)
}

/// What a plan needs to know of a submission: the submitter's heads and supervisors in their
/// own organization, the app organization's admins by scope, and for a partner, their unit.
async fn facts(c: &mut AnyConnection, owner: &OrgId, sub: &SubmissionRow) -> Result<Facts> {
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
                let admins = store::admins(tx, &row.org_id).await?;
                instead.extend(admins.into_iter().filter(|(_, r)| r.has(Scope::Approvals)).map(|(id, _)| id));
                let revision = row.revision;
                let mut instance = row.body.0.clone();
                let events = instance.depart(gone, &instead);
                instance.record(d.at, gone, &events);
                let updated = InstanceRow {
                    state: instance.state,
                    revision: revision + 1,
                    updated_at: d.at,
                    body: Json(instance),
                    ..row
                };
                if store::update_instance(tx, &updated, revision).await? == 0 {
                    return Err(DomainError::conflict("instance", Rule::Reason(Reason::ChangedMeanwhile)).into());
                }
                let waiting: Vec<String> = updated.body.open_tasks().into_iter().map(|t| t.member).collect();
                let copied = copied(&updated.body, &events);
                store::set_people(tx, &updated.id, &waiting, &copied, d.at).await?;
                tell(tx, &updated, &events, &copied, d.at).await?;
                changes.extend(journal(&d.actor, &updated, &events));
            }
            Ok(changes)
        })
    }
}

/// Tells people in their inbox: a new task for whoever now holds one, the decision for the
/// submitter, and a copy for the copy-to recipients.
async fn tell(c: &mut AnyConnection, row: &InstanceRow, events: &[Event], copied: &[String], now: i64) -> Result<()> {
    let app = keiretsu_store::apps::app(c, &row.app_id).await?.map(|a| a.name).unwrap_or_default();
    let submitter = store::member_name(c, &row.submitter_id).await?.map(|(_, n)| n).unwrap_or_default();
    let org = OrgId::from_trusted(row.org_id.clone());
    let link = format!("/console/approvals/{}", row.id);
    let mut send = Vec::new();
    for e in events {
        match e {
            Event::Opened { members, .. } => {
                send.extend(members.iter().map(|m| (m.clone(), "approval_task", serde_json::Value::Null)));
            }
            Event::Finished { state } => {
                send.push((row.submitter_id.clone(), "approval_decided", serde_json::json!(state.as_str())));
            }
            _ => {}
        }
    }
    send.extend(copied.iter().map(|m| (m.clone(), "approval_copied", serde_json::Value::Null)));
    for (member, kind, state) in send {
        if let Some((account, _)) = store::member_name(c, &member).await? {
            let params = serde_json::json!({ "app": app, "submitter": submitter, "state": state });
            crate::notifications::notify(c, &account, Some(&org), kind, params, Some(&link), now).await?;
        }
    }
    Ok(())
}
