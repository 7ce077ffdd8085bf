//! Organizations: the platform operator creates them and rules on their certification.
use super::*;

impl Cases<'_> {
    pub async fn create_org(&self, caller: &Caller, input: &NewOrg) -> Result<OrgView> {
        let permit = caller.operator()?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let login = normalize_login("admin_login", &input.admin_login)?;
        let admin_name = rules::name("admin_name", &input.admin_name, rules::NAME_MAX)?;
        if let Some(p) = &input.admin_password {
            validate_password("admin_password", p)?;
        }
        let hash = match &input.admin_password {
            Some(p) => Some(hash_password(&self.settings, p).await?),
            None => None,
        };
        let now = self.now();
        let org = OrgRow {
            id: OrgId::from_random(random_id_bytes()).to_string(),
            name,
            certification: input.certification.unwrap_or(Certification::Unverified),
            edition: None,
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        store::insert_org(&mut tx, &org).await?;
        let root = DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            parent_id: None,
            name: org.name.clone(),
            created_at: now,
        };
        store::insert_department(&mut tx, &root).await?;
        let account = match store::account_by_login(&mut tx, &login).await? {
            Some(a) => a.id,
            None => {
                let hash = hash.ok_or(DomainError::invalid("admin_password", Rule::Required))?;
                self.new_account(&mut tx, &login, &admin_name, None, None, Some(hash)).await?
            }
        };
        let admin = MemberRow {
            id: MemberId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            account_id: account,
            login,
            name: admin_name,
            phone: None,
            email: None,
            title: None,
            employee_no: None,
            supervisor_id: None,
            status: MemberStatus::Active,
            role: Role::PrimaryAdmin,
            joined_at: now,
            left_at: None,
        };
        store::insert_member(&mut tx, &admin).await?;
        store::set_member_departments(&mut tx, &admin.id, std::slice::from_ref(&root.id)).await?;
        let changes = [
            Change::new(permit.actor(), None, "org.create", &org.id)
                .with("name", &org.name)
                .with("certification", org.certification.as_str()),
            Change::new(permit.actor(), Some(&org.id), "member.join", &admin.id)
                .with("name", &admin.name)
                .with("role", &admin.role),
        ];
        self.commit(tx, &changes).await?;
        Ok(org.into())
    }

    pub async fn orgs(&self, caller: &Caller) -> Result<Vec<OrgView>> {
        caller.operator()?;
        Ok(store::orgs(&mut *self.store.read().await?).await?.into_iter().map(Into::into).collect())
    }

    /// The organization itself, for its members; the operator sees every organization.
    pub async fn org(&self, caller: &Caller, org: &OrgId) -> Result<OrgView> {
        if caller.operator().is_err() {
            self.permit(caller, org, Need::Read).await?;
        }
        let row = store::org(&mut *self.store.read().await?, org.as_str()).await?;
        Ok(row.ok_or(DomainError::NotFound { what: "organization" })?.into())
    }

    pub async fn set_certification(&self, caller: &Caller, org: &OrgId, to: Certification) -> Result<OrgView> {
        let permit = caller.operator()?;
        let mut tx = self.store.write().await?;
        let before = store::org(&mut tx, org.as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        store::set_certification(&mut tx, org.as_str(), to).await?;
        let change = Change::new(permit.actor(), None, "org.certify", org.as_str())
            .with("from", before.certification.as_str())
            .with("to", to.as_str());
        let certified = to == Certification::Certified;
        let mut changes = vec![change];
        let event =
            CertificationChanged { org: org.to_string(), certified, actor: permit.actor().to_owned(), at: self.now() };
        changes.extend(self.reactions.certification.run(&mut tx, &event).await?);
        self.commit(tx, &changes).await?;
        Ok(OrgView { certification: to, ..before.into() })
    }
}
