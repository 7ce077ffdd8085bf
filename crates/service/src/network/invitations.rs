//! Invitations by code or link: create, resend, revoke, bulk CSV, preview, accept and decline.

use super::*;
use keiretsu_domain::Reason;

/// One row of a bulk invitation file, with its line number.
type LineInvitation = (u64, NewInvitation);

/// Parses a bulk invitation file: header `partner_name,partner_type,tier` with optional
/// `organization_id` and `departments` (names to bring in, separated by `;`) columns.
fn parse_invitations(text: &str) -> Result<(Vec<LineInvitation>, Vec<RowError>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| DomainError::invalid("file", Rule::Reason(Reason::CsvFormat)))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    let (Some(pn), Some(pt), Some(ti)) = (col("partner_name"), col("partner_type"), col("tier")) else {
        return Err(DomainError::invalid("file", Rule::Reason(Reason::InvitationColumnsMissing)).into());
    };
    let org = col("organization_id");
    let deps = col("departments");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(RowError { line, field: "row".into(), reason: "is not valid CSV".into() });
                continue;
            }
        };
        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
        let organization_id = match org.map(get).filter(|s| !s.is_empty()) {
            Some(s) => match OrgId::parse(&s) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(RowError { line, field: "organization_id".into(), reason: e.to_string() });
                    continue;
                }
            },
            None => None,
        };
        rows.push((
            line,
            NewInvitation {
                partner_name: get(pn),
                organization_id,
                partner_type: get(pt),
                tier: get(ti),
                expires_in_hours: None,
                departments: deps
                    .map(get)
                    .unwrap_or_default()
                    .split(';')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        ));
    }
    if rows.len() + errors.len() > 10_000 {
        return Err(DomainError::invalid("file", Rule::Reason(Reason::InvitationTooManyRows)).into());
    }
    Ok((rows, errors))
}

/// Longer than any code the server issues, with room for a pasted code with spaces around it.
const MAX_CODE_CHARS: usize = 128;

impl Cases<'_> {
    // ----- invitations -----

    pub async fn invite(&self, caller: &Caller, id: &NetworkId, input: &NewInvitation) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let (view, change) = self.invite_in(&mut tx, caller, id, input).await?;
        self.commit(tx, &[change]).await?;
        Ok(view)
    }

    async fn invite_in(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        id: &NetworkId,
        input: &NewInvitation,
    ) -> Result<(InvitationView, Change)> {
        let seen = self.look(tx, caller, id).await?;
        seen.backbone_admin()?;
        let partner = name("partner_name", &input.partner_name, 120)?;
        let hours = rules::invitation_hours("expires_in_hours", input.expires_in_hours)?;
        let departments = rules::department_names("departments", &input.departments)?;
        check_type_tier(tx, &seen.network.id, &input.partner_type, &input.tier).await?;
        if let Some(target) = &input.organization_id {
            if target.as_str() == seen.network.org_id {
                return Err(DomainError::invalid("organization_id", Rule::Reason(Reason::OwnBackbone)).into());
            }
            dir::org(tx, target.as_str())
                .await?
                .ok_or_else(|| DomainError::invalid("organization_id", Rule::Reason(Reason::UnknownOrganization)))?;
            if store::unit_of_org(tx, &seen.network.id, target.as_str()).await?.is_some() {
                return Err(DomainError::conflict("organization_id", Rule::Reason(Reason::AlreadyUnit)).into());
            }
        }
        let now = self.now();
        let code = random_token(16);
        let row = InvitationRow {
            id: InvitationId::from_random(random_id_bytes()).to_string(),
            network_id: seen.network.id.clone(),
            code_hash: secret_hash(&code),
            partner_name: partner,
            target_org: input.organization_id.as_ref().map(ToString::to_string),
            partner_type: input.partner_type.clone(),
            tier: input.tier.clone(),
            status: InvitationStatus::Pending,
            created_by: caller.acting().map(|a| a.member.to_string()).unwrap_or_else(|| caller.actor()),
            created_at: now,
            expires_at: now + hours * 3_600_000,
            answered_at: None,
            answered_by_org: None,
            unit_id: None,
            departments: Json(departments),
        };
        store::insert_invitation(tx, &row).await.map_err(|e| {
            if e.unique_violation().is_some() {
                DomainError::conflict("organization_id", Rule::Reason(Reason::AlreadyInvited)).into()
            } else {
                crate::Error::Store(e)
            }
        })?;
        if let Some(target) = &row.target_org {
            self.tell_target(tx, &seen.network, target, &row).await?;
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.create", &row.id)
            .with("network", &seen.network.id)
            .with("partner_name", &row.partner_name)
            .with("organization", &row.target_org)
            .with("partner_type", &row.partner_type)
            .with("tier", &row.tier)
            .with("departments", &row.departments.0)
            .with("expires_at", row.expires_at);
        Ok((invitation_view(row, now, Some(code)), change))
    }

    async fn tell_target(
        &self,
        c: &mut AnyConnection,
        network: &NetworkRow,
        target: &str,
        inv: &InvitationRow,
    ) -> Result<()> {
        let backbone = dir::org(c, &network.org_id).await?.map(|o| o.name).unwrap_or_default();
        let admins = dir::primary_admin_accounts(c, &OrgId::from_trusted(target.to_owned())).await?;
        let params = json!({ "network": network.name, "backbone": backbone, "partner_type": inv.partner_type });
        notify_all(c, &admins, target, "invitation_received", &params, "/console/invitations", self.now()).await
    }

    /// Creates one invitation per good row of a CSV; bad rows are reported and skipped.
    pub async fn import_invitations(&self, caller: &Caller, id: &NetworkId, text: &str) -> Result<InvitationImport> {
        let mut tx = self.store.write().await?;
        self.look(&mut tx, caller, id).await?.backbone_admin()?;
        let (rows, mut errors) = parse_invitations(text)?;
        let mut created = Vec::new();
        let mut changes = Vec::new();
        for (line, input) in rows {
            // A savepoint per row, so one bad row leaves the others in place.
            let mut sp = keiretsu_store::savepoint(&mut tx).await?;
            match self.invite_in(&mut sp, caller, id, &input).await {
                Ok((view, change)) => {
                    sp.commit().await?;
                    created.push(view);
                    changes.push(change);
                }
                Err(crate::Error::Domain(e)) => {
                    sp.rollback().await?;
                    let field = e.field().unwrap_or("row").to_owned();
                    errors.push(RowError { line, field, reason: e.to_string() });
                }
                Err(e) => return Err(e),
            }
        }
        errors.sort_by_key(|e| e.line);
        self.commit(tx, &changes).await?;
        Ok(InvitationImport { created, errors })
    }

    pub async fn invitations(
        &self,
        caller: &Caller,
        id: &NetworkId,
        status: Option<&str>,
    ) -> Result<Vec<InvitationView>> {
        let status = status.map(|s| InvitationStatus::parse("status", s)).transpose()?;
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        seen.backbone_admin()?;
        let now = self.now();
        let rows = store::invitations(&mut c, &seen.network.id, status).await?;
        Ok(rows.into_iter().map(|r| invitation_view(r, now, None)).collect())
    }

    /// A fresh code and a new expiry for a pending invitation; the old code stops working.
    pub async fn resend_invitation(
        &self,
        caller: &Caller,
        id: &NetworkId,
        inv: &InvitationId,
    ) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let lock = Some(tx.backend());
        let mut row =
            store::invitation(&mut tx, &seen.network.id, inv.as_str(), lock).await?.ok_or(NOT_FOUND_INVITATION)?;
        let now = self.now();
        let code = random_token(16);
        row.code_hash = secret_hash(&code);
        row.expires_at = now + rules::INVITATION_HOURS_DEFAULT * 3_600_000;
        if store::renew_invitation(&mut tx, &row.id, &row.code_hash, row.expires_at).await? == 0 {
            return Err(DomainError::conflict("invitation_id", Rule::Reason(Reason::NoLongerPending)).into());
        }
        if let Some(target) = &row.target_org {
            self.tell_target(&mut tx, &seen.network, target, &row).await?;
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.resend", &row.id)
            .with("network", &seen.network.id)
            .with("expires_at", row.expires_at);
        self.commit(tx, &[change]).await?;
        Ok(invitation_view(row, now, Some(code)))
    }

    pub async fn revoke_invitation(
        &self,
        caller: &Caller,
        id: &NetworkId,
        inv: &InvitationId,
    ) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let lock = Some(tx.backend());
        let mut row =
            store::invitation(&mut tx, &seen.network.id, inv.as_str(), lock).await?.ok_or(NOT_FOUND_INVITATION)?;
        let now = self.now();
        if store::answer_invitation(&mut tx, &row.id, InvitationStatus::Revoked, None, None, now).await? == 0 {
            return Err(DomainError::conflict("invitation_id", Rule::Reason(Reason::NoLongerPending)).into());
        }
        row.status = InvitationStatus::Revoked;
        row.answered_at = Some(now);
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.revoke", &row.id)
            .with("network", &seen.network.id);
        self.commit(tx, &[change]).await?;
        Ok(invitation_view(row, now, None))
    }

    /// Invitations sent to the caller's organization and still pending, for its partner admins.
    pub async fn received_invitations(&self, caller: &Caller) -> Result<Vec<InvitationPreview>> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let mut c = self.store.read().await?;
        let rows = store::invitations_for(&mut c, permit.org().as_str()).await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.preview_of(&mut c, r).await?);
        }
        Ok(out)
    }

    async fn preview_of(&self, c: &mut AnyConnection, r: InvitationRow) -> Result<InvitationPreview> {
        let network = store::network(c, &r.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let backbone = dir::org(c, &network.org_id).await?.map(|o| o.name).unwrap_or_default();
        let status = r.status;
        Ok(InvitationPreview {
            expired: status == InvitationStatus::Pending && self.now() >= r.expires_at,
            status,
            id: r.id,
            network_id: network.id,
            network_name: network.name,
            backbone_name: backbone,
            partner_name: r.partner_name,
            partner_type: r.partner_type,
            tier: r.tier,
            expires_at: format_rfc3339(r.expires_at),
            departments: r.departments.0,
        })
    }

    /// The invitation an answer names, as the caller's organization may see it. `lock` (the
    /// write transaction's backend) holds it until the end: two answers, or an answer and a
    /// revocation or a new code, then decide one after the other, the second on what the first left.
    async fn answered(
        &self,
        c: &mut AnyConnection,
        lock: Option<Backend>,
        caller: &Caller,
        answer: &InvitationAnswer,
    ) -> Result<(InvitationRow, OrgId)> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let row = match (&answer.code, &answer.invitation_id) {
            (Some(code), None) => {
                if code.chars().count() > MAX_CODE_CHARS {
                    return Err(DomainError::invalid("code", Rule::TooLong(MAX_CODE_CHARS)).into());
                }
                let code = code.trim();
                if code.is_empty() {
                    return Err(DomainError::invalid("code", Rule::Required).into());
                }
                store::invitation_by_code(c, &secret_hash(code), lock).await?
            }
            (None, Some(id)) => store::invitation_by_id(c, id.as_str(), lock)
                .await?
                .filter(|r| r.target_org.as_deref() == Some(permit.org().as_str())),
            _ => {
                return Err(DomainError::invalid("code", Rule::Reason(Reason::CodeOrInvitation)).into());
            }
        };
        let row = row.ok_or(NOT_FOUND_INVITATION)?;
        if row.target_org.as_deref().is_some_and(|t| t != permit.org().as_str()) {
            return Err(NOT_FOUND_INVITATION.into());
        }
        Ok((row, permit.org().clone()))
    }

    pub async fn preview_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<InvitationPreview> {
        let mut c = self.store.read().await?;
        let (row, _) = self.answered(&mut c, None, caller, answer).await?;
        self.preview_of(&mut c, row).await
    }

    /// The invitation an answer names, locked, with its network and the answering organization,
    /// once the answer is allowed (still pending, unexpired, aimed at this organization, and
    /// certified when `certified` is asked for).
    async fn answerable(
        &self,
        tx: &mut keiretsu_store::Tx,
        caller: &Caller,
        answer: &InvitationAnswer,
        certified: bool,
    ) -> Result<(InvitationRow, NetworkRow, dir::OrgRow)> {
        let lock = Some(tx.backend());
        let (inv, org) = self.answered(tx, lock, caller, answer).await?;
        let network = store::network(tx, &inv.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let partner = dir::org(tx, org.as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        let state =
            InvitationState { status: inv.status, expires_at: inv.expires_at, target_org: inv.target_org.as_deref() };
        let ok = !certified || partner.certification == Certification::Certified;
        rules::check_answer(&state, org.as_str(), ok, self.now())?;
        Ok((inv, network, partner))
    }

    /// The partner admin accepts: the organization becomes a unit with the invitation's type
    /// and tier, the admin its first partner contact and the inviter its backbone owner.
    pub async fn accept_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let (inv, network, partner) = self.answerable(&mut tx, caller, answer, true).await?;
        let org = OrgId::from_trusted(partner.id.clone());
        let now = self.now();
        if network.org_id == org.as_str() {
            return Err(DomainError::conflict("organization", Rule::Reason(Reason::OwnBackbone)).into());
        }
        if store::unit_of_org(&mut tx, &network.id, org.as_str()).await?.is_some() {
            return Err(already_a_unit().into());
        }
        let new = NewUnitRow {
            id: UnitId::from_random(random_id_bytes()).to_string(),
            network_id: network.id.clone(),
            org_id: partner.id.clone(),
            partner_type: inv.partner_type.clone(),
            tier: inv.tier.clone(),
            managed: false,
            joined_at: now,
        };
        let tops = rules::departments_to_bring(
            &tree(&mut tx, &org).await?,
            &inv.departments,
            answer.department_ids.as_deref(),
        )?;
        // Conditional on the invitation still being pending: of two racing accepts, one wins.
        if store::answer_invitation(&mut tx, &inv.id, InvitationStatus::Accepted, Some(org.as_str()), None, now).await?
            == 0
        {
            return Err(DomainError::conflict("code", Rule::Reason(Reason::InvitationAnswered)).into());
        }
        // The first contacts are held: a departure's unit locks cannot reach a unit nobody else
        // sees yet, so someone leaving meanwhile is either gone when read here or finds the post.
        let mut people: Vec<String> = caller.acting().map(|a| a.member.to_string()).into_iter().collect();
        people.push(inv.created_by.clone());
        let active: HashSet<String> = store::hold_members(&mut tx, &people)
            .await?
            .into_iter()
            .filter(|m| m.status == MemberStatus::Active)
            .map(|m| m.id)
            .collect();
        // Another code accepted at once by the same organization: the unique index decides, and
        // the loser hears what the check above tells it a moment later.
        let u = store::insert_unit(&mut tx, &new).await.map_err(|e| match e.unique_violation() {
            Some(_) => already_a_unit().into(),
            None => crate::Error::Store(e),
        })?;
        store::link_invitation(&mut tx, &inv.id, &u.id).await?;
        if tops.is_some() {
            store::set_unit_departments(&mut tx, &u.id, tops.as_deref()).await?;
        }
        // The accepting admin is the unit's first contact when the unit brings them in; otherwise
        // they name one from the people it brings.
        let acting = match caller.acting().filter(|a| active.contains(a.member.as_str())) {
            Some(a) if store::brings(&mut tx, &u.id, a.member.as_str()).await? => Some(a),
            _ => None,
        };
        if let Some(acting) = acting {
            let k = NewContactRow {
                id: ContactId::from_random(random_id_bytes()).to_string(),
                unit_id: u.id.clone(),
                side: Side::Partner,
                member_id: acting.member.to_string(),
                role: "business".into(),
                backup_id: None,
                created_at: now,
            };
            store::insert_contact(&mut tx, &k).await?;
        }
        let inviter = dir::member(&mut tx, &OrgId::from_trusted(network.org_id.clone()), &inv.created_by).await?;
        if let Some(inviter) = inviter.filter(|m| active.contains(&m.id)) {
            self.owner_contact(&mut tx, &u.id, &inviter.id, now).await?;
        }
        let listeners = backbone_listeners(&mut tx, &network, &u.id).await?;
        let params = json!({ "partner": partner.name, "network": network.name });
        notify_all(
            &mut tx,
            &listeners,
            &network.org_id,
            "invitation_accepted",
            &params,
            &unit_link(&network.id, &u.id),
            now,
        )
        .await?;
        let actor = caller.actor();
        let changes = [
            Change::new(&actor, Some(&network.org_id), "invitation.accept", &inv.id)
                .with("network", &network.id)
                .with("organization", &partner.id)
                .with("unit", &u.id),
            Change::new(&actor, Some(&partner.id), "unit.join", &u.id)
                .with("network", &network.id)
                .with("partner_type", &u.partner_type)
                .with("tier", &u.tier)
                .with("departments", &tops),
        ];
        let contacts = store::contacts_of_unit(&mut tx, &u.id).await?;
        let n = store::unit_member_count(&mut tx, &u.id).await?;
        let tops = store::unit_tops(&mut tx, &u.id).await?;
        let u = store::unit_by_id(&mut tx, &u.id).await?.unwrap_or(u);
        self.commit(tx, &changes).await?;
        Ok(unit_view(u, n, contacts, tops))
    }

    pub async fn decline_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<()> {
        let mut tx = self.store.write().await?;
        // Declining needs no certification.
        let (inv, network, partner) = self.answerable(&mut tx, caller, answer, false).await?;
        let org = OrgId::from_trusted(partner.id.clone());
        let now = self.now();
        if store::answer_invitation(&mut tx, &inv.id, InvitationStatus::Declined, Some(org.as_str()), None, now).await?
            == 0
        {
            return Err(DomainError::conflict("code", Rule::Reason(Reason::InvitationAnswered)).into());
        }
        let inviter = dir::member(&mut tx, &OrgId::from_trusted(network.org_id.clone()), &inv.created_by).await?;
        if let Some(m) = inviter.filter(|m| m.status == MemberStatus::Active) {
            let partner = dir::org(&mut tx, org.as_str()).await?.map(|o| o.name).unwrap_or_default();
            let params = json!({ "partner": partner, "network": network.name });
            let link = format!("/console/networks/{}", network.id);
            notify_all(&mut tx, &[m.account_id], &network.org_id, "invitation_declined", &params, &link, now).await?;
        }
        let change = Change::new(caller.actor(), Some(&network.org_id), "invitation.decline", &inv.id)
            .with("network", &network.id)
            .with("organization", org.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }
}
