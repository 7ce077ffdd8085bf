//! Networks, their partner types and tiers, and the backbone's network members.

use super::*;
use keiretsu_domain::Reason;

/// Members and departments one call may add to a network's backbone side: one transaction each.
const MAX_NETWORK_MEMBERS_ADDED: usize = 1000;

impl Cases<'_> {
    // ----- networks -----

    pub async fn create_network(&self, caller: &Caller, input: &NewNetwork) -> Result<NetworkView> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let network_name = name("name", &input.name, 80)?;
        let description = rules::policy("description", &input.description)?;
        let mut tx = self.store.write().await?;
        let org =
            dir::org(&mut tx, permit.org().as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        if org.certification != Certification::Certified {
            return Err(DomainError::conflict("organization", Rule::Reason(Reason::UncertifiedCannotOwn)).into());
        }
        let pool = keiretsu_store::license::pool(&mut tx, &org.id).await?;
        let edition = match pool {
            Some(p) => keiretsu_store::license::edition(&mut tx, &p.edition).await?,
            None => None,
        };
        let max = edition.filter(|e| e.downstream).map_or(0, |e| e.max_networks);
        if max == 0 {
            return Err(DomainError::conflict("organization", Rule::Reason(Reason::EditionNoRelease)).into());
        }
        if store::count_networks(&mut tx, &org.id).await? >= max {
            return Err(DomainError::conflict("organization", Rule::Reason(Reason::NetworkLimit)).into());
        }
        let row = NetworkRow {
            id: NetworkId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            name: network_name,
            description,
            visibility: Visibility::Own,
            created_at: self.now(),
        };
        store::insert_network(&mut tx, &row).await.map_err(|e| unique_to_field(e, "name"))?;
        let tiers: Vec<Tier> =
            DEFAULT_TIERS.iter().map(|t| Tier { name: (*t).into(), policy: String::new() }).collect();
        for (key, label) in BUILTIN_TYPES {
            let t = PartnerTypeRow {
                network_id: row.id.clone(),
                key: (*key).into(),
                name: (*label).into(),
                tiers: Json(tiers.clone()),
                policy: String::new(),
            };
            store::upsert_partner_type(&mut tx, &t).await?;
        }
        // The creator works with the partners from the start.
        if let Some(acting) = caller.acting() {
            store::add_network_members(&mut tx, &row.id, &[acting.member.to_string()], row.created_at).await?;
        }
        let change = Change::new(permit.actor(), Some(&org.id), "network.create", &row.id).with("name", &row.name);
        self.commit(tx, &[change]).await?;
        Ok(network_view(row, "backbone"))
    }

    /// The networks the caller's organization owns or is a unit of.
    pub async fn networks(&self, caller: &Caller) -> Result<Vec<NetworkView>> {
        let permit = caller.permit_own(Need::Read)?;
        let mut c = self.store.read().await?;
        let mut out = Vec::new();
        for n in store::networks_of_org(&mut c, permit.org().as_str()).await? {
            let id = NetworkId::from_trusted(n.id.clone());
            // Only networks the caller may look into: backbone members outside a network do not see it.
            if let Ok(seen) = self.look(&mut c, caller, &id).await {
                let membership = if seen.viewer.is_backbone() { "backbone" } else { "unit" };
                out.push(network_view(n, membership));
            }
        }
        Ok(out)
    }

    /// How many networks the caller's organization is in, seen by the caller or not: a backbone
    /// member whose list is empty is told that it is not for lack of networks.
    pub async fn org_network_count(&self, caller: &Caller) -> Result<usize> {
        let permit = caller.permit_own(Need::Read)?;
        Ok(store::networks_of_org(&mut *self.store.read().await?, permit.org().as_str()).await?.len())
    }

    pub async fn get(&self, caller: &Caller, id: &NetworkId) -> Result<NetworkView> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let membership = if seen.viewer.is_backbone() { "backbone" } else { "unit" };
        Ok(network_view(seen.network, membership))
    }

    pub async fn update_network(&self, caller: &Caller, id: &NetworkId, patch: &NetworkPatch) -> Result<NetworkView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let mut n = seen.network;
        let mut change = Change::new(caller.actor(), Some(&n.org_id), "network.update", &n.id);
        if let Some(v) = &patch.name {
            n.name = name("name", v, 80)?;
            change = change.with("name", &n.name);
        }
        if let Some(v) = &patch.description {
            n.description = rules::policy("description", v)?;
            change = change.with("description", &n.description);
        }
        if let Some(v) = patch.visibility {
            change = change.with("visibility", json!({ "from": n.visibility.as_str(), "to": v.as_str() }));
            n.visibility = v;
        }
        store::update_network(&mut tx, &n).await.map_err(|e| unique_to_field(e, "name"))?;
        self.commit(tx, &[change]).await?;
        Ok(network_view(n, "backbone"))
    }

    // ----- partner types -----

    pub async fn partner_types(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<PartnerTypeView>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        Ok(store::partner_types(&mut c, &seen.network.id).await?.into_iter().map(partner_type_view).collect())
    }

    /// Creates or replaces a partner type. A tier still held by units cannot be dropped.
    pub async fn put_partner_type(
        &self,
        caller: &Caller,
        id: &NetworkId,
        key: &str,
        input: &PartnerTypeInput,
    ) -> Result<PartnerTypeView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let key = rules::type_key("key", key)?;
        let label = name("name", &input.name, 60)?;
        let tiers = rules::tiers("tiers", &input.tiers)?;
        let policy = rules::policy("policy", &input.policy)?;
        let network = &seen.network.id;
        for u in store::units(&mut tx, network).await? {
            if u.partner_type == key && !tiers.iter().any(|t| t.name == u.tier) {
                return Err(DomainError::conflict("tiers", Rule::Reason(Reason::TierHasUnits)).into());
            }
        }
        let row =
            PartnerTypeRow { network_id: network.clone(), key: key.clone(), name: label, tiers: Json(tiers), policy };
        store::upsert_partner_type(&mut tx, &row).await?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "network.partner_type", network)
            .with("key", &key)
            .with("name", &row.name)
            .with("tiers", row.tiers.iter().map(|t| &t.name).collect::<Vec<_>>());
        self.commit(tx, &[change]).await?;
        Ok(partner_type_view(row))
    }

    // ----- the backbone's network members -----

    pub async fn add_network_members(
        &self,
        caller: &Caller,
        id: &NetworkId,
        input: &NetworkMembersInput,
    ) -> Result<NetworkMembersAdded> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        if input.member_ids.len() + input.department_ids.len() > MAX_NETWORK_MEMBERS_ADDED {
            let max = MAX_NETWORK_MEMBERS_ADDED as i64;
            return Err(DomainError::invalid("member_ids", Rule::Range { min: 0, max }).into());
        }
        let org = OrgId::from_trusted(seen.network.org_id.clone());
        let mut members: Vec<String> = Vec::new();
        for (i, m) in input.member_ids.iter().enumerate() {
            active_member_of(&mut tx, org.as_str(), m.as_str(), &format!("member_ids[{i}]")).await?;
            members.push(m.to_string());
        }
        if !input.department_ids.is_empty() {
            let all = dir::departments(&mut tx, &org).await?;
            let parents = all
                .iter()
                .map(|d| {
                    (DepartmentId::from_trusted(d.id.clone()), d.parent_id.clone().map(DepartmentId::from_trusted))
                })
                .collect();
            let mut deps = HashSet::new();
            for (i, d) in input.department_ids.iter().enumerate() {
                if !all.iter().any(|x| x.id == d.as_str()) {
                    return Err(DomainError::invalid(
                        format!("department_ids[{i}]"),
                        Rule::Reason(Reason::NotBackboneDepartment),
                    )
                    .into());
                }
                deps.extend(subtree(&parents, d).into_iter().map(String::from));
            }
            let deps: Vec<String> = deps.into_iter().collect();
            let filter = dir::MemberFilter {
                status: Some(MemberStatus::Active),
                departments: Some(deps),
                limit: 1_000_000,
                ..Default::default()
            };
            members.extend(
                dir::list_members(&mut tx, self.store.backend(), &org, &filter).await?.into_iter().map(|m| m.id),
            );
        }
        let added = store::add_network_members(&mut tx, &seen.network.id, &members, self.now()).await?;
        let change = Change::new(caller.actor(), Some(org.as_str()), "network.add_members", &seen.network.id)
            .with("members", &members)
            .with("departments", &input.department_ids);
        self.commit(tx, &[change]).await?;
        Ok(NetworkMembersAdded { added })
    }

    pub async fn remove_network_member(&self, caller: &Caller, id: &NetworkId, member: &MemberId) -> Result<()> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        if store::remove_network_member(&mut tx, &seen.network.id, member.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "network member" }.into());
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "network.remove_member", &seen.network.id)
            .with("member", member.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }
}
