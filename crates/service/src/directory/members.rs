//! Members: joining, edits, transfers, leaving and coming back, roles, and the member list.
use super::*;
use keiretsu_domain::Reason;

impl Cases<'_> {
    /// Members who joined, came back or were imported: every capability that reacts hears it.
    pub(super) async fn joined(
        &self,
        tx: &mut Tx,
        org: &OrgId,
        members: Vec<String>,
        actor: &str,
    ) -> Result<Vec<Change>> {
        let event = Joined { org: org.to_string(), members, actor: actor.to_owned(), at: self.now() };
        self.reactions.joined.run(tx, &event).await
    }

    pub(super) async fn new_account(
        &self,
        tx: &mut Tx,
        login: &str,
        name: &str,
        phone: Option<String>,
        email: Option<String>,
        password_hash: Option<String>,
    ) -> Result<String> {
        let row = AccountRow {
            id: AccountId::from_random(random_id_bytes()).to_string(),
            login: login.to_owned(),
            name: name.to_owned(),
            phone,
            email,
            password_hash,
            operator: 0,
            disabled: 0,
            lang: "en".into(),
            created_at: self.now(),
        };
        store::insert_account(tx, &row).await.map_err(|e| unique_to_field(e, "login"))?;
        Ok(row.id)
    }

    /// Adds a member. A new login becomes a member at once; an existing account (a person of
    /// another organization) is invited, since nobody joins an organization without their consent.
    pub async fn add_member(&self, caller: &Caller, org: &OrgId, input: &NewMember) -> Result<Added> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let login = normalize_login("login", &input.login)?;
        let phone = rules::phone("phone", input.phone.as_deref().unwrap_or(""))?;
        let email = rules::email("email", input.email.as_deref().unwrap_or(""))?;
        let title = rules::optional_text("title", input.title.as_deref().unwrap_or(""), rules::TITLE_MAX)?;
        let employee_no = rules::employee_no("employee_no", input.employee_no.as_deref().unwrap_or(""))?;
        if let Some(p) = &input.password {
            validate_password("password", p)?;
        }
        // Hash before taking the write lock (argon2 is deliberately slow), and only for a login
        // that is new: accounts are never deleted, so one seen here is still there below.
        let known = store::account_by_login(&mut *self.store.read().await?, &login).await?.is_some();
        let hash = match &input.password {
            Some(p) if !known => Some(hash_password(&self.settings, p).await?),
            _ => None,
        };
        let mut tx = self.store.write().await?;
        let departments = self.check_departments(&mut tx, &permit, &input.department_ids).await?;
        if let Some(s) = &input.supervisor_id {
            active_member(&mut tx, &permit, s.as_str(), "supervisor_id").await?;
        }
        if let Some(a) = store::account_by_login(&mut tx, &login).await? {
            if store::member_of_account(&mut tx, permit.org(), &a.id).await?.is_some() {
                return Err(DomainError::conflict("login", Rule::Reason(Reason::AlreadyMember)).into());
            }
            if input.password.is_some() {
                // Another organization's person keeps their own password.
                return Err(DomainError::invalid("password", Rule::Reason(Reason::PasswordOfExistingAccount)).into());
            }
            let supervisor_id = input.supervisor_id.as_ref().map(ToString::to_string);
            let offer = invitations::Offer { name, title, employee_no, department_ids: departments, supervisor_id };
            let (view, change) = self.invite(&mut tx, &permit, (&a.id, &a.login), offer, None).await?;
            self.commit(tx, &[change]).await?;
            return Ok(Added::Invited(view));
        }
        let account = self.new_account(&mut tx, &login, &name, phone.clone(), email.clone(), hash).await?;
        let (mut account_phone, mut account_email) = (phone, email);
        let row = MemberRow {
            id: MemberId::from_random(random_id_bytes()).to_string(),
            org_id: org.to_string(),
            account_id: account,
            login,
            name,
            phone: account_phone.take(),
            email: account_email.take(),
            title,
            employee_no,
            supervisor_id: input.supervisor_id.as_ref().map(ToString::to_string),
            status: MemberStatus::Active,
            role: Role::Member,
            joined_at: self.now(),
            left_at: None,
        };
        store::insert_member(&mut tx, &row).await.map_err(|e| unique_to_field(e, "employee_no"))?;
        store::set_member_departments(&mut tx, &row.id, &departments).await?;
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "member.join", &row.id)
                .with("name", &row.name)
                .with("login", &row.login)
                .with("department_ids", &departments),
        ];
        changes.extend(self.joined(&mut tx, org, vec![row.id.clone()], permit.actor()).await?);
        self.commit(tx, &changes).await?;
        Ok(Added::Member(member_view(row, departments)))
    }

    /// Active members of the organization, counted by the database.
    pub async fn member_count(&self, caller: &Caller, org: &OrgId) -> Result<i64> {
        let permit = self.permit(caller, org, Need::Read).await?;
        Ok(store::count_members(&mut *self.store.read().await?, permit.org()).await?)
    }

    pub async fn member(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let mut c = self.store.read().await?;
        let m = store::member(&mut c, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let deps =
            store::departments_of(&mut c, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        Ok(member_view(m, deps))
    }

    pub async fn update_member(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &MemberId,
        patch: &MemberPatch,
    ) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let mut change = Change::new(permit.actor(), Some(org.as_str()), "member.update", id.as_str());
        if let Some(n) = &patch.name {
            let n = rules::name("name", n, rules::NAME_MAX)?;
            change = change.with("name", [&m.name, &n]);
            m.name = n;
        }
        if let Some(t) = &patch.title {
            let t = rules::optional_text("title", t, rules::TITLE_MAX)?;
            change = change.with("title", [&m.title, &t]);
            m.title = t;
        }
        if let Some(e) = &patch.employee_no {
            let e = rules::employee_no("employee_no", e)?;
            change = change.with("employee_no", [&m.employee_no, &e]);
            m.employee_no = e;
        }
        if let Some(s) = &patch.supervisor_id {
            let s = if s.is_empty() { None } else { Some(MemberId::parse(s).map_err(|_| supervisor_error())?) };
            if let Some(s) = &s {
                if s == id {
                    return Err(DomainError::invalid("supervisor_id", Rule::Reason(Reason::SelfSupervisor)).into());
                }
                active_member(&mut tx, &permit, s.as_str(), "supervisor_id").await?;
            }
            let s = s.map(String::from);
            change = change.with("supervisor_id", [&m.supervisor_id, &s]);
            m.supervisor_id = s;
        }
        store::update_member(&mut tx, &m).await.map_err(|e| unique_to_field(e, "employee_no"))?;
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &[change]).await?;
        Ok(member_view(m, deps))
    }

    pub async fn transfer_member(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &MemberId,
        to: &Transfer,
    ) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        if to.department_ids.is_empty() {
            return Err(DomainError::invalid("department_ids", Rule::Required).into());
        }
        let mut tx = self.store.write().await?;
        let m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let before: Vec<String> =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        let after = self.check_departments(&mut tx, &permit, &to.department_ids).await?;
        let event = Move {
            org: org.to_string(),
            member: Some(m.id.clone()),
            field: "department_ids",
            actor: permit.actor().to_owned(),
            at: self.now(),
        };
        let moving = self.reactions.moves.before(&mut tx, &event).await?;
        store::set_member_departments(&mut tx, &m.id, &after).await?;
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "member.transfer", id.as_str())
                .with("from", &before)
                .with("to", &after),
        ];
        changes.extend(moving.settle(&mut tx, &event).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(m, after))
    }

    /// A member leaves: one transaction with every registered departure reaction.
    pub async fn leave(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        if m.status == MemberStatus::Left {
            return Err(DomainError::conflict("member_id", Rule::Reason(Reason::AlreadyLeft)).into());
        }
        if m.role == Role::PrimaryAdmin {
            return Err(DomainError::conflict("member_id", Rule::Reason(Reason::PrimaryAdminLeaving)).into());
        }
        let departure =
            Departure { org: org.clone(), member: m.clone(), actor: permit.actor().to_owned(), at: self.now() };
        m.status = MemberStatus::Left;
        m.left_at = Some(departure.at);
        m.role = Role::Member;
        store::update_member(&mut tx, &m).await?;
        let mut changes =
            vec![Change::new(permit.actor(), Some(org.as_str()), "member.leave", id.as_str()).with("name", &m.name)];
        changes.extend(self.reactions.departure.run(&mut tx, &departure).await?);
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    pub async fn rejoin(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        if m.status == MemberStatus::Active {
            return Err(DomainError::conflict("member_id", Rule::Reason(Reason::AlreadyActive)).into());
        }
        m.status = MemberStatus::Active;
        m.left_at = None;
        m.joined_at = self.now();
        store::update_member(&mut tx, &m).await?;
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        let mut changes = vec![Change::new(permit.actor(), Some(org.as_str()), "member.rejoin", id.as_str())];
        changes.extend(self.joined(&mut tx, org, vec![m.id.clone()], permit.actor()).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    /// Only the primary admin assigns roles. Making someone primary admin transfers the role:
    /// the previous primary admin becomes a sub-admin with every scope.
    pub async fn set_role(&self, caller: &Caller, org: &OrgId, id: &MemberId, role: &Role) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Primary).await?;
        let mut tx = self.store.write().await?;
        let mut m = active_member(&mut tx, &permit, id.as_str(), "member_id").await?;
        let mut changes = vec![];
        if m.role == Role::PrimaryAdmin && *role != Role::PrimaryAdmin {
            return Err(DomainError::conflict("role", Rule::Reason(Reason::PrimaryAdminKeepsRole)).into());
        }
        if *role == Role::PrimaryAdmin {
            // One primary admin per organization: whoever holds the role hands it over.
            let holders = store::primary_admin_members(&mut tx, permit.org()).await?;
            for mut previous in store::members_by_ids(&mut tx, permit.org(), &holders).await? {
                if previous.id == m.id {
                    continue;
                }
                previous.role = Role::SubAdmin(Scope::ALL.to_vec());
                store::update_member(&mut tx, &previous).await?;
                changes.push(
                    Change::new(permit.actor(), Some(org.as_str()), "member.role", &previous.id)
                        .with("role", previous.role.encode()),
                );
            }
        }
        m.role = role.clone();
        store::update_member(&mut tx, &m).await?;
        changes
            .push(Change::new(permit.actor(), Some(org.as_str()), "member.role", &m.id).with("role", m.role.encode()));
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    /// Search and filter, ordered by name then id; the cursor continues after the last one shown.
    pub async fn members(&self, caller: &Caller, org: &OrgId, q: &MemberQuery) -> Result<Page<MemberView>> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let limit = page_limit(q.limit)?;
        let mut c = self.store.read().await?;
        let departments = match &q.department_id {
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                let all = store::departments(&mut c, permit.org()).await?;
                if !all.iter().any(|x| x.id == d.as_str()) {
                    return Err(DomainError::invalid("department_id", Rule::Reason(Reason::NotOrgDepartment)).into());
                }
                let ids = if q.include_sub_departments.unwrap_or(false) {
                    rules::subtree(&parent_map(&all), &d)
                } else {
                    vec![d]
                };
                Some(ids.into_iter().map(String::from).collect())
            }
            None => None,
        };
        let status = q.status.as_deref().map(|s| MemberStatus::parse("status", s)).transpose()?;
        let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
            return Err(DomainError::invalid("q", Rule::TooLong(100)).into());
        }
        let after = q.cursor.as_deref().map(|c| decode_cursor(c, 2)).transpose()?.map(|mut p| {
            let id = p.pop().unwrap_or_default();
            (p.pop().unwrap_or_default(), id)
        });
        let filter = MemberFilter { text, departments, status, after, limit: limit + 1 };
        let mut rows = store::list_members(&mut c, self.store.backend(), permit.org(), &filter).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        for (m, d) in store::departments_of(&mut c, &ids).await? {
            deps.entry(m).or_default().push(d);
        }
        let next_cursor = more.then(|| rows.last().map(|m| encode_cursor(&[&m.name, &m.id]))).flatten();
        let items = rows
            .into_iter()
            .map(|m| {
                let d = deps.remove(&m.id).unwrap_or_default();
                member_view(m, d)
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// Department ids given by a user, checked to be this organization's; the root if none.
    pub(super) async fn check_departments(
        &self,
        c: &mut AnyConnection,
        permit: &Permit,
        ids: &[DepartmentId],
    ) -> Result<Vec<String>> {
        let all = store::departments(c, permit.org()).await?;
        if ids.is_empty() {
            return Ok(all.iter().filter(|d| d.parent_id.is_none()).map(|d| d.id.clone()).collect());
        }
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            if !all.iter().any(|d| d.id == id.as_str()) {
                return Err(DomainError::invalid("department_ids", Rule::Reason(Reason::NotOrgDepartments)).into());
            }
            if !out.iter().any(|o| o == id.as_str()) {
                out.push(id.to_string());
            }
        }
        out.sort();
        Ok(out)
    }
}
