//! Units: managed units, their edits, removal, and the departments they bring in.

use super::*;

impl Cases<'_> {
    // ----- units -----

    pub async fn units(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<UnitView>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let counts: HashMap<String, i64> =
            store::unit_member_counts(&mut c, &seen.network.id).await?.into_iter().collect();
        let mut out = Vec::new();
        for u in store::units(&mut c, &seen.network.id).await? {
            if seen.sees_unit(&u) {
                let n = counts.get(&u.id).copied().unwrap_or(0);
                let tops =
                    if u.brings == Brings::Departments { store::unit_tops(&mut c, &u.id).await? } else { Vec::new() };
                out.push(unit_view(u, n, Vec::new(), tops));
            }
        }
        Ok(out)
    }

    pub async fn unit(&self, caller: &Caller, id: &NetworkId, unit: &UnitId) -> Result<UnitView> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let u = seen.unit(&mut c, unit).await?;
        let n = store::unit_member_count(&mut c, &u.id).await?;
        let contacts = store::contacts_of_unit(&mut c, &u.id).await?;
        let tops = store::unit_tops(&mut c, &u.id).await?;
        Ok(unit_view(u, n, contacts, tops))
    }

    /// A unit the backbone keeps itself: a new organization, run by the backbone's partner
    /// admins until it gets admins of its own.
    pub async fn create_managed_unit(
        &self,
        caller: &Caller,
        id: &NetworkId,
        input: &NewManagedUnit,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let partner = name("name", &input.name, 120)?;
        check_type_tier(&mut tx, &seen.network.id, &input.partner_type, &input.tier).await?;
        let now = self.now();
        let org = dir::OrgRow {
            id: OrgId::from_random(random_id_bytes()).to_string(),
            name: partner,
            // The backbone vouches for a unit it keeps; certification is for linked organizations.
            certification: Certification::Unverified,
            edition: None,
            created_at: now,
        };
        dir::insert_org(&mut tx, &org).await?;
        store::set_managed_by(&mut tx, &org.id, &seen.network.org_id).await?;
        let root = dir::DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            parent_id: None,
            name: org.name.clone(),
            created_at: now,
        };
        dir::insert_department(&mut tx, &root).await?;
        let new = NewUnitRow {
            id: UnitId::from_random(random_id_bytes()).to_string(),
            network_id: seen.network.id.clone(),
            org_id: org.id.clone(),
            partner_type: input.partner_type.clone(),
            tier: input.tier.clone(),
            managed: true,
            joined_at: now,
        };
        let u = store::insert_unit(&mut tx, &new).await?;
        let mut contacts = Vec::new();
        if let Some(acting) = caller.acting() {
            contacts.push(self.owner_contact(&mut tx, &u.id, acting.member.as_str(), now).await?);
        }
        let actor = caller.actor();
        let changes = [Change::new(&actor, Some(&seen.network.org_id), "unit.create_managed", &u.id)
            .with("network", &seen.network.id)
            .with("organization", &org.id)
            .with("name", &org.name)
            .with("partner_type", &u.partner_type)
            .with("tier", &u.tier)];
        self.commit(tx, &changes).await?;
        Ok(unit_view(u, 0, contacts, Vec::new()))
    }

    pub(super) async fn owner_contact(
        &self,
        c: &mut AnyConnection,
        unit: &str,
        member: &str,
        now: Millis,
    ) -> Result<ContactRow> {
        let k = NewContactRow {
            id: ContactId::from_random(random_id_bytes()).to_string(),
            unit_id: unit.to_owned(),
            side: Side::Backbone,
            member_id: member.to_owned(),
            role: "owner".into(),
            backup_id: None,
            created_at: now,
        };
        Ok(store::insert_contact(c, &k).await?)
    }

    pub async fn update_unit(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        patch: &UnitPatch,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        // Locked: the whole row is written back, so a removal meanwhile must be seen, not undone.
        let mut u = store::lock_unit(&mut tx, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
        if u.status == UnitStatus::Removed {
            return Err(NOT_FOUND_UNIT.into());
        }
        let mut change = Change::new(caller.actor(), Some(&seen.network.org_id), "unit.update", &u.id)
            .with("network", &seen.network.id);
        if patch.partner_type.is_some() || patch.tier.is_some() {
            let ty = patch.partner_type.clone().unwrap_or(u.partner_type.clone());
            let tier = patch.tier.clone().unwrap_or(u.tier.clone());
            check_type_tier(&mut tx, &seen.network.id, &ty, &tier).await?;
            change = change.with("partner_type", &ty).with("tier", &tier);
            (u.partner_type, u.tier) = (ty, tier);
        }
        if let Some(tags) = &patch.tags {
            let tags = rules::tags("tags", tags)?;
            change = change.with("tags", &tags);
            u.tags = Json(tags);
        }
        if patch.contract_start.is_some() || patch.contract_end.is_some() {
            let start = patch.contract_start.as_deref().or(u.contract_start.as_deref());
            let end = patch.contract_end.as_deref().or(u.contract_end.as_deref());
            (u.contract_start, u.contract_end) = rules::contract(start, end)?;
            change = change.with("contract", json!([u.contract_start, u.contract_end]));
        }
        store::update_unit(&mut tx, &u).await?;
        self.commit(tx, &[change]).await?;
        self.unit(caller, id, unit).await
    }

    /// The unit's own admins choose which departments it brings into the network; the backbone
    /// chooses for a unit it keeps. The backbone cannot widen what a linked partner shares.
    /// Partner contacts must stay among the people brought in, and the seats of people left out
    /// go back to the backbone's pool.
    pub async fn set_unit_departments(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        input: &UnitDepartmentsInput,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        // Locked before the tree, the people brought and the contacts are read: a choice made
        // meanwhile on another server is either all in place or not begun.
        let u = seen.lock_unit(&mut tx, unit).await?;
        match &seen.viewer {
            Viewer::Unit { unit: mine, admin: true, .. } if *mine == u.id => {}
            Viewer::Backbone { admin: true } if u.managed != 0 => {}
            _ => return Err(NOT_ALLOWED.into()),
        }
        let org = OrgId::from_trusted(u.org_id.clone());
        let tops = rules::departments_to_bring(&tree(&mut tx, &org).await?, &[], Some(&input.department_ids))?;
        let before = Brought::of(&mut tx, vec![u.clone()], None).await?;
        store::set_unit_departments(&mut tx, &u.id, tops.as_deref()).await?;
        let actor = caller.actor();
        // In both organizations' journals: the backbone's network changed, and the partner shares
        // other people with it.
        let mut changes: Vec<Change> = [&seen.network.org_id, &u.org_id]
            .into_iter()
            .map(|org| {
                Change::new(&actor, Some(org), "unit.departments", &u.id)
                    .with("network", &seen.network.id)
                    .with("organization", &u.org_id)
                    .with("departments", &tops)
            })
            .collect();
        let narrowed = &self.reactions.unit_narrowed;
        changes.extend(before.settle(&mut tx, "department_ids", &actor, self.now(), narrowed).await?);
        self.commit(tx, &changes).await?;
        self.unit(caller, id, unit).await
    }

    /// The backbone removes a unit, or the unit's admin takes it out: its people lose access
    /// to the network at once; the history stays in the journal.
    pub async fn remove_unit(&self, caller: &Caller, id: &NetworkId, unit: &UnitId) -> Result<()> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.unit_admin(unit.as_str())?;
        let mut u = store::lock_unit(&mut tx, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
        if u.status == UnitStatus::Removed {
            return Err(NOT_FOUND_UNIT.into());
        }
        let now = self.now();
        let by_partner = !seen.viewer.is_backbone();
        // Tell the other side before the contacts go out of reach.
        let link = unit_link(&seen.network.id, &u.id);
        let params = json!({ "partner": u.org_name, "network": seen.network.name });
        if by_partner {
            let listeners = backbone_listeners(&mut tx, &seen.network, &u.id).await?;
            notify_all(&mut tx, &listeners, &seen.network.org_id, "unit_left", &params, &link, now).await?;
        } else {
            let admins = dir::primary_admin_accounts(&mut tx, &OrgId::from_trusted(u.org_id.clone())).await?;
            notify_all(&mut tx, &admins, &u.org_id, "unit_removed", &params, "/console/networks", now).await?;
        }
        u.status = UnitStatus::Removed;
        u.removed_at = Some(now);
        store::update_unit(&mut tx, &u).await?;
        let action = if by_partner { "unit.leave" } else { "unit.remove" };
        let actor = caller.actor();
        let mut changes = vec![
            Change::new(&actor, Some(&seen.network.org_id), action, &u.id)
                .with("network", &seen.network.id)
                .with("organization", &u.org_id),
        ];
        // Its people's partner seats go back to the backbone's pool.
        let event = UnitNarrowed {
            pool_org: seen.network.org_id.clone(),
            unit: u,
            removed: true,
            left_out: Vec::new(),
            actor,
            at: now,
        };
        changes.extend(self.reactions.unit_narrowed.run(&mut tx, &event).await?);
        self.commit(tx, &changes).await?;
        Ok(())
    }
}
