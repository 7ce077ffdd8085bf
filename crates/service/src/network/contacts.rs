//! Contacts on both sides of a unit, with their backups.

use super::*;
use keiretsu_domain::Reason;

impl Cases<'_> {
    // ----- contacts -----

    pub async fn add_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        input: &NewContact,
    ) -> Result<ContactView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        // A member leaving meanwhile locks this unit too: either they are gone when checked
        // below, or their departure finds this post.
        let u = seen.lock_unit(&mut tx, unit).await?;
        let org = match input.side {
            Side::Backbone => {
                seen.backbone_admin()?;
                seen.network.org_id.clone()
            }
            Side::Partner => {
                seen.unit_admin(&u.id)?;
                u.org_id.clone()
            }
        };
        let role = rules::contact_role("role", &input.role)?;
        let check = async |c: &mut AnyConnection, id: &str, field: &str| {
            contact_member(c, input.side, &u.id, &org, id, field).await
        };
        check(&mut tx, input.member_id.as_str(), "member_id").await?;
        if let Some(b) = &input.backup_id {
            if b == &input.member_id {
                return Err(DomainError::invalid("backup_id", Rule::Reason(Reason::BackupIsContact)).into());
            }
            check(&mut tx, b.as_str(), "backup_id").await?;
        }
        let k = NewContactRow {
            id: ContactId::from_random(random_id_bytes()).to_string(),
            unit_id: u.id.clone(),
            side: input.side,
            member_id: input.member_id.to_string(),
            role,
            backup_id: input.backup_id.as_ref().map(ToString::to_string),
            created_at: self.now(),
        };
        let row = store::insert_contact(&mut tx, &k).await.map_err(|e| unique_to_field(e, "member_id"))?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "contact.add", &k.id)
            .with("network", &seen.network.id)
            .with("unit", &u.id)
            .with("side", k.side.as_str())
            .with("member", &k.member_id)
            .with("role", &k.role)
            .with("backup", &k.backup_id);
        self.commit(tx, &[change]).await?;
        Ok(contact_view(row))
    }

    pub async fn update_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
        patch: &ContactPatch,
    ) -> Result<ContactView> {
        let mut tx = self.store.write().await?;
        let (seen, k) = self.contact_for_change(&mut tx, caller, id, unit, contact).await?;
        let member = patch.member_id.as_ref().map(|m| m.to_string()).unwrap_or(k.member_id.clone());
        let role = match &patch.role {
            Some(r) => rules::contact_role("role", r)?,
            None => k.role.clone(),
        };
        let backup = match patch.backup_id.as_deref() {
            Some("") => None,
            Some(b) => Some(
                MemberId::parse(b).map_err(|_| DomainError::invalid("backup_id", Rule::IdPrefix("mem_")))?.to_string(),
            ),
            None => k.backup_id.clone(),
        };
        let side = k.side;
        let check = async |c: &mut AnyConnection, id: &str, field: &str| {
            contact_member(c, side, &k.unit_id, &k.org_id, id, field).await
        };
        if member != k.member_id {
            check(&mut tx, &member, "member_id").await?;
        }
        if let Some(b) = &backup {
            if *b == member {
                return Err(DomainError::invalid("backup_id", Rule::Reason(Reason::BackupIsContact)).into());
            }
            check(&mut tx, b, "backup_id").await?;
        }
        store::update_contact(&mut tx, &k.id, &member, &role, backup.as_deref())
            .await
            .map_err(|e| unique_to_field(e, "member_id"))?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "contact.update", &k.id)
            .with("network", &seen.network.id)
            .with("unit", &k.unit_id)
            .with("member", &member)
            .with("role", &role)
            .with("backup", &backup);
        let row = store::contact(&mut tx, &k.unit_id, &k.id).await?.ok_or(NOT_FOUND_CONTACT)?;
        self.commit(tx, &[change]).await?;
        Ok(contact_view(row))
    }

    /// Removing a contact hands the post to its backup. Without a backup it may go only if
    /// another contact remains on its side: a unit never ends without a contact.
    pub async fn remove_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (seen, k) = self.contact_for_change(&mut tx, caller, id, unit, contact).await?;
        let now = self.now();
        let actor = caller.actor();
        let backup = match &k.backup_id {
            Some(b) => active_member_of(&mut tx, &k.org_id, b, "backup_id").await.ok(),
            None => None,
        };
        let change = if backup.is_some() {
            hand_over(&mut tx, &k, backup, "removed", &actor, now).await?
        } else {
            let others = store::contacts_of_unit(&mut tx, &k.unit_id).await?;
            if !others.iter().any(|o| o.id != k.id && o.side == k.side) {
                return Err(DomainError::conflict("contact_id", Rule::Reason(Reason::LastContact)).into());
            }
            store::delete_contact(&mut tx, &k.id).await?;
            Change::new(&actor, Some(&seen.network.org_id), "contact.remove", &k.id)
                .with("network", &seen.network.id)
                .with("unit", &k.unit_id)
                .with("member", &k.member_id)
        };
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    async fn contact_for_change(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
    ) -> Result<(Seen, ContactRow)> {
        let seen = self.look(tx, caller, id).await?;
        // The contact is read under the unit's lock: a change, removal or handover of it (or of
        // the side's other contacts) on another server is over before this one decides.
        let u = seen.lock_unit(tx, unit).await?;
        let k = store::contact(tx, &u.id, contact.as_str()).await?.ok_or(NOT_FOUND_CONTACT)?;
        match k.side {
            Side::Backbone => seen.backbone_admin()?,
            Side::Partner => seen.unit_admin(&u.id)?,
        }
        Ok((seen, k))
    }

    /// Contact handovers and vacancies of a network, newest first.
    pub async fn handovers(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<Entry>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        seen.backbone_admin()?;
        let q = keiretsu_store::journal::Query {
            org: Some(seen.network.org_id.clone()),
            action: Some("contact".into()),
            limit: 500,
            ..Default::default()
        };
        let entries = keiretsu_store::journal::query(&mut c, &q).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.action == "contact.handover" || e.action == "contact.vacant")
            .filter(|e| {
                serde_json::from_str::<serde_json::Value>(&e.details)
                    .is_ok_and(|d| d.get("network").and_then(|n| n.as_str()) == Some(seen.network.id.as_str()))
            })
            .collect())
    }
}

impl Cases<'_> {
    /// Where one of `org`'s members works with partners: the networks they were added to and the
    /// contact posts they hold or back up. Whoever may read the member may read this.
    pub async fn posts_of(&self, caller: &Caller, org: &OrgId, member: &MemberId) -> Result<Vec<MemberPost>> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let mut c = self.store.read().await?;
        dir::member(&mut c, permit.org(), member.as_str()).await?.ok_or(DomainError::NotFound { what: "member" })?;
        let mut posts: Vec<MemberPost> = store::member_posts(&mut c, member.as_str())
            .await?
            .into_iter()
            .map(|r| MemberPost {
                network_id: r.network_id,
                network_name: r.network_name,
                unit_id: r.unit_id,
                unit_name: r.unit_org_name,
                side: r.side,
                role: r.role,
                backup: r.backup == 1,
            })
            .collect();
        // Network memberships first, then posts; each by network and unit name.
        posts.sort_by(|a, b| {
            (a.unit_id.is_some(), &a.network_name, &a.unit_name).cmp(&(
                b.unit_id.is_some(),
                &b.network_name,
                &b.unit_name,
            ))
        });
        Ok(posts)
    }
}
