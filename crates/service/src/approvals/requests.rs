//! Requests: starting one with a submission, reading it as the reader may see it, acting on it,
//! files for comments, and each member's inboxes.

use super::*;

impl Cases<'_> {
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

async fn submitter_org(c: &mut AnyConnection, row: &InstanceRow) -> Result<String> {
    let sub = keiretsu_store::forms::submission(c, &row.submission_id).await?.ok_or(NOT_FOUND)?;
    Ok(sub.row.org_id)
}
