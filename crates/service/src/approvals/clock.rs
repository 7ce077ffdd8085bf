//! Time and absence: the clock's sweep of overdue tasks, and delegations while away.

use super::*;

impl Cases<'_> {
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
}
