//! Departments: the tree, its heads, and moves that other capabilities react to.
use super::*;
use keiretsu_domain::Reason;

impl Cases<'_> {
    pub async fn departments(&self, caller: &Caller, org: &OrgId) -> Result<Vec<DepartmentView>> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let mut c = self.store.read().await?;
        let rows = store::departments(&mut c, permit.org()).await?;
        let mut heads: HashMap<String, Vec<String>> = HashMap::new();
        for (d, m) in store::heads(&mut c, permit.org()).await? {
            heads.entry(d).or_default().push(m);
        }
        let counts: HashMap<String, i64> =
            store::department_member_counts(&mut c, permit.org()).await?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|d| DepartmentView {
                head_ids: heads.remove(&d.id).unwrap_or_default(),
                member_count: counts.get(&d.id).copied().unwrap_or(0),
                id: d.id,
                parent_id: d.parent_id,
                name: d.name,
            })
            .collect())
    }

    pub async fn create_department(
        &self,
        caller: &Caller,
        org: &OrgId,
        input: &NewDepartment,
    ) -> Result<DepartmentView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let mut tx = self.store.write().await?;
        let parent = match &input.parent_id {
            Some(p) => store::department(&mut tx, permit.org(), p.as_str())
                .await?
                .ok_or(DomainError::invalid("parent_id", Rule::Reason(Reason::NotOrgDepartment)))?,
            None => root(&mut tx, permit.org()).await?,
        };
        let row = DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.to_string(),
            parent_id: Some(parent.id.clone()),
            name,
            created_at: self.now(),
        };
        store::insert_department(&mut tx, &row).await?;
        let event = TreeChanged { org: org.to_string(), removed: None };
        let mut changes = self.reactions.tree_changed.run(&mut tx, &event).await?;
        changes.insert(
            0,
            Change::new(permit.actor(), Some(org.as_str()), "department.create", &row.id)
                .with("name", &row.name)
                .with("parent_id", &row.parent_id),
        );
        self.commit(tx, &changes).await?;
        Ok(DepartmentView { id: row.id, parent_id: row.parent_id, name: row.name, head_ids: vec![], member_count: 0 })
    }

    /// Renames and/or moves a department; a move may not put it inside itself.
    pub async fn update_department(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &DepartmentId,
        patch: &DepartmentPatch,
    ) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = patch.name.as_deref().map(|n| rules::name("name", n, rules::NAME_MAX)).transpose()?;
        let mut tx = self.store.write().await?;
        let all = store::departments(&mut tx, permit.org()).await?;
        let current = all.iter().find(|d| d.id == id.as_str()).ok_or(NOT_FOUND_DEPARTMENT)?;
        let mut parent = current.parent_id.clone();
        if let Some(new_parent) = &patch.parent_id {
            if current.parent_id.is_none() {
                return Err(DomainError::invalid("parent_id", Rule::Reason(Reason::RootDepartmentFixed)).into());
            }
            if !all.iter().any(|d| d.id == new_parent.as_str()) {
                return Err(DomainError::invalid("parent_id", Rule::Reason(Reason::NotOrgDepartment)).into());
            }
            rules::check_move(&parent_map(&all), id, new_parent)?;
            parent = Some(new_parent.to_string());
        }
        let name = name.unwrap_or_else(|| current.name.clone());
        let mut change = Change::new(permit.actor(), Some(org.as_str()), "department.update", id.as_str());
        if name != current.name {
            change = change.with("name", [&current.name, &name]);
        }
        if parent != current.parent_id {
            change = change.with("parent_id", [&current.parent_id, &parent]);
        }
        // A move may take people into or out of what a network unit brings in; a rename cannot.
        let moved = parent != current.parent_id;
        let event = Move {
            org: org.to_string(),
            member: None,
            field: "parent_id",
            actor: permit.actor().to_owned(),
            at: self.now(),
        };
        let moving = if moved { Some(self.reactions.moves.before(&mut tx, &event).await?) } else { None };
        store::update_department(&mut tx, permit.org(), id.as_str(), &name, parent.as_deref()).await?;
        let mut changes = vec![change];
        if let Some(moving) = moving {
            changes.extend(moving.settle(&mut tx, &event).await?);
        }
        self.commit(tx, &changes).await?;
        Ok(())
    }

    /// Deletes a department that has no sub-departments and no active members.
    pub async fn delete_department(&self, caller: &Caller, org: &OrgId, id: &DepartmentId) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let d = store::department(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_DEPARTMENT)?;
        if d.parent_id.is_none() {
            return Err(DomainError::conflict("department_id", Rule::Reason(Reason::RootDepartment)).into());
        }
        let (children, members) = store::department_contents(&mut tx, permit.org(), id.as_str()).await?;
        if children > 0 {
            return Err(DomainError::conflict("department_id", Rule::Reason(Reason::HasSubDepartments)).into());
        }
        if members > 0 {
            return Err(DomainError::conflict("department_id", Rule::Reason(Reason::HasMembers)).into());
        }
        let event = TreeChanged { org: org.to_string(), removed: Some(id.to_string()) };
        let mut changes = self.reactions.tree_changed.run(&mut tx, &event).await?;
        store::delete_department(&mut tx, permit.org(), id.as_str()).await?;
        changes.insert(
            0,
            Change::new(permit.actor(), Some(org.as_str()), "department.delete", id.as_str()).with("name", &d.name),
        );
        self.commit(tx, &changes).await?;
        Ok(())
    }

    /// Sets a department's heads: active members of the organization.
    pub async fn set_heads(&self, caller: &Caller, org: &OrgId, id: &DepartmentId, heads: &Heads) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        store::department(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_DEPARTMENT)?;
        let ids: Vec<String> =
            heads.member_ids.iter().map(ToString::to_string).collect::<HashSet<_>>().into_iter().collect();
        let found = store::members_by_ids(&mut tx, permit.org(), &ids).await?;
        if found.len() != ids.len() || found.iter().any(|m| m.status != MemberStatus::Active) {
            return Err(DomainError::invalid("member_ids", Rule::Reason(Reason::NotActiveMembers)).into());
        }
        let mut ids = ids;
        ids.sort();
        store::set_heads(&mut tx, id.as_str(), &ids).await?;
        self.commit(
            tx,
            &[Change::new(permit.actor(), Some(org.as_str()), "department.heads", id.as_str()).with("heads", &ids)],
        )
        .await?;
        Ok(())
    }
}
