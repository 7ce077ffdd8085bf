//! "Partner intelligent entry": a unit's department bound to the backbone's pool.

use super::seats::subtree_of;
use super::*;

/// New or moved members of a unit's organization get seats from the pools whose entry rules
/// cover their departments ("partner intelligent entry").
pub(crate) async fn apply_entry_rules(
    c: &mut Tx,
    org: &str,
    members: &[String],
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    let mut rules = store::entry_rules_of_org(c, org).await?;
    // Pools are locked in id order (see `store::lock_pool`).
    rules.sort_by(|a, b| (&a.pool_id, a.created_at).cmp(&(&b.pool_id, b.created_at)));
    if rules.is_empty() || members.is_empty() {
        return Ok(Vec::new());
    }
    let backend = c.backend();
    let mut changes = Vec::new();
    for rule in rules {
        let covered = subtree_of(c, org, &rule.department_id).await?;
        let inside = store::active_members_in(c, backend, org, &covered).await?;
        let wanted: HashSet<&String> = members.iter().collect();
        let targets: Vec<(String, String)> =
            inside.into_iter().filter(|m| wanted.contains(m)).map(|m| (m, org.to_owned())).collect();
        if targets.is_empty() {
            continue;
        }
        let moved = move_seats(
            c,
            backend,
            &rule.pool_id,
            &targets,
            SeatStatus::Enabled,
            SeatReason::EntryRule,
            false,
            actor,
            now,
        )
        .await;
        match moved {
            Ok((_, change)) => changes.extend(change),
            // A full pool leaves newcomers without a seat; the warnings already told the admins.
            Err(crate::Error::Domain(DomainError::Conflict { .. })) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(changes)
}

impl Cases<'_> {
    pub async fn entry_rules(&self, caller: &Caller, org: &OrgId) -> Result<Vec<EntryRuleView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut c = self.store.read().await?;
        Ok(store::entry_rules(&mut c, permit.org().as_str())
            .await?
            .into_iter()
            .map(|r| EntryRuleView { unit_id: r.unit_id, department_id: r.department_id, authorized: None })
            .collect())
    }

    /// Binds a unit's department to the pool: its present members get seats now (as many as
    /// fit), and anyone who joins it later gets one when they join.
    pub async fn add_entry_rule(&self, caller: &Caller, org: &OrgId, input: &NewEntryRule) -> Result<EntryRuleView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let who = self.people_of(&mut tx, permit.org(), Some(input.unit_id.as_str())).await?;
        let people = who.org.clone();
        who.check_department(&mut tx, input.department_id.as_str()).await?;
        let now = self.now();
        let rule = EntryRuleRow {
            pool_id: org.to_string(),
            unit_id: input.unit_id.to_string(),
            department_id: input.department_id.to_string(),
            created_at: now,
        };
        store::insert_entry_rule(&mut tx, &rule).await.map_err(|e| crate::unique_to_field(e, "department_id"))?;
        let deps = who.narrow(subtree_of(&mut tx, &people, input.department_id.as_str()).await?);
        let members: Vec<(String, String)> = store::active_members_in(&mut tx, backend, &people, &deps)
            .await?
            .into_iter()
            .map(|m| (m, people.clone()))
            .collect();
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "seat.entry_rule", input.department_id.as_str())
                .with("unit", input.unit_id.as_str()),
        ];
        let moved = move_seats(
            &mut tx,
            backend,
            org.as_str(),
            &members,
            SeatStatus::Enabled,
            SeatReason::EntryRule,
            false,
            permit.actor(),
            now,
        )
        .await;
        let authorized = match moved {
            Ok((changed, change)) => {
                changes.extend(change);
                changed.len() as u64
            }
            Err(crate::Error::Domain(DomainError::Conflict { .. })) => 0,
            Err(e) => return Err(e),
        };
        self.commit(tx, &changes).await?;
        Ok(EntryRuleView { unit_id: rule.unit_id, department_id: rule.department_id, authorized: Some(authorized) })
    }

    pub async fn remove_entry_rule(&self, caller: &Caller, org: &OrgId, department: &DepartmentId) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        if store::delete_entry_rule(&mut tx, permit.org().as_str(), department.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "entry rule" }.into());
        }
        let change = Change::new(permit.actor(), Some(org.as_str()), "seat.entry_rule_removed", department.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }
}
