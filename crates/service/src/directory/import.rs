//! Member import from CSV: planned row by row, with a report, then applied in one transaction.
use super::*;

/// An import that wrote this many members refreshes the planner's statistics, so the next
/// queries plan for the new size rather than the old.
const ANALYZE_AFTER_ROWS: u64 = 1000;

impl Cases<'_> {
    /// Imports members from CSV. Every row is checked first; with any bad row nothing changes
    /// unless `skip_bad` is set. Rows are matched on employee number, so a second import of the
    /// same file changes nothing.
    pub async fn import_members(
        &self,
        caller: &Caller,
        org: &OrgId,
        csv: &str,
        skip_bad: bool,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let (rows, mut errors) = rules::parse_import(csv)?;
        progress.total(rows.len() as u64 + errors.len() as u64);
        let backend = self.store.backend();
        let mut tx = self.store.write().await?;
        let plan = self.plan_import(&mut tx, &permit, rows, &mut errors).await?;
        errors.sort_by_key(|e| e.line);
        let skipped = errors.len() as u64;
        if !errors.is_empty() && !skip_bad {
            return Ok(ImportReport { applied: false, created: 0, updated: 0, skipped: 0, invited: vec![], errors });
        }
        progress.advance(skipped);
        let (created, updated) = (plan.new_members.len() as u64, plan.updates.len() as u64);
        let mut changes = Vec::with_capacity((created + updated) as usize);
        store::insert_accounts(&mut tx, backend, &plan.new_accounts).await?;
        for chunk in plan.new_members.chunks(1000) {
            store::insert_members(&mut tx, backend, chunk).await?;
            for (m, deps) in chunk {
                changes.push(
                    Change::new(permit.actor(), Some(org.as_str()), "member.join", &m.id)
                        .with("name", &m.name)
                        .with("login", &m.login)
                        .with("department_ids", deps)
                        .with("source", "import"),
                );
            }
            progress.advance(chunk.len() as u64);
        }
        for (m, deps) in &plan.updates {
            store::update_member(&mut tx, m).await?;
            if let Some(deps) = deps {
                store::set_member_departments(&mut tx, &m.id, deps).await?;
            }
            changes.push(
                Change::new(permit.actor(), Some(org.as_str()), "member.update", &m.id)
                    .with("name", &m.name)
                    .with("source", "import"),
            );
            progress.advance(1);
        }
        let mut invited = Vec::with_capacity(plan.invites.len());
        for (line, account, login, offer) in plan.invites {
            let (view, change) = self.invite(&mut tx, &permit, (&account, &login), offer, Some("import")).await?;
            changes.push(change);
            invited.push(InvitedRow { line, login, invitation_id: view.id });
            progress.advance(1);
        }
        progress.advance(plan.unchanged);
        let touched: Vec<String> = plan
            .new_members
            .iter()
            .map(|(m, _)| m.id.clone())
            .chain(plan.updates.iter().map(|(m, _)| m.id.clone()))
            .collect();
        changes.extend(self.joined(&mut tx, org, touched, permit.actor()).await?);
        self.commit(tx, &changes).await?;
        if created + updated >= ANALYZE_AFTER_ROWS {
            self.store.analyze().await?;
        }
        Ok(ImportReport { applied: true, created, updated, skipped, invited, errors })
    }

    async fn plan_import(
        &self,
        tx: &mut Tx,
        permit: &Permit,
        rows: Vec<ImportRow>,
        errors: &mut Vec<RowError>,
    ) -> Result<ImportPlan> {
        let org = permit.org();
        let all = store::departments(tx, org).await?;
        let paths = department_paths(&all);
        let root_id = all.iter().find(|d| d.parent_id.is_none()).map(|d| d.id.clone()).unwrap_or_default();
        let existing: HashMap<String, (String, String)> =
            store::employee_numbers(tx, org).await?.into_iter().map(|(no, id, login)| (no, (id, login))).collect();
        let logins: Vec<String> = rows.iter().map(|r| r.login.clone()).collect();
        let accounts: HashMap<String, (String, Option<String>)> =
            store::accounts_by_logins(tx, org, &logins).await?.into_iter().map(|(l, a, m)| (l, (a, m))).collect();
        // People already invited are not invited again, so a second import changes nothing.
        let invited: HashSet<String> = store::open_member_invitations_of_org(tx, org.as_str(), self.now())
            .await?
            .into_iter()
            .map(|l| l.row.account_id)
            .collect();
        let mut plan = ImportPlan::default();
        let now = self.now();
        for row in rows {
            let bad = |field: &str, reason: String| RowError { line: row.line, field: field.into(), reason };
            let department = match row.department.as_deref() {
                None => None,
                Some(path) => match paths.get(&rules::department_path(path).join("/")) {
                    Some(id) => Some(id.clone()),
                    None => {
                        errors.push(bad("department", format!("no department at path `{path}`")));
                        continue;
                    }
                },
            };
            if let Some((member_id, login)) = existing.get(&row.employee_no) {
                if *login != row.login {
                    errors.push(bad(
                        "login",
                        format!("differs from `{login}`, the login of employee {}", row.employee_no),
                    ));
                    continue;
                }
                let Some(mut m) = store::member(tx, org, member_id).await? else {
                    continue;
                };
                let deps = department.map(|d| vec![d]);
                let current: Vec<String> =
                    store::departments_of(tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
                if m.name == row.name && m.title == row.title && deps.as_ref().is_none_or(|d| *d == current) {
                    plan.unchanged += 1;
                    continue;
                }
                m.name = row.name;
                m.title = row.title;
                plan.updates.push((m, deps));
                continue;
            }
            let account_id = match accounts.get(&row.login) {
                Some((_, Some(_))) => {
                    errors.push(bad(
                        "login",
                        "is already a member of this organization under another employee number".into(),
                    ));
                    continue;
                }
                Some((account, None)) if invited.contains(account) => {
                    plan.unchanged += 1;
                    continue;
                }
                Some((account, None)) => {
                    // An existing account (a person of another organization) is invited, never
                    // made a member by this import.
                    let offer = super::invitations::Offer {
                        name: row.name,
                        title: row.title,
                        employee_no: Some(row.employee_no),
                        department_ids: vec![department.unwrap_or_else(|| root_id.clone())],
                        supervisor_id: None,
                    };
                    plan.invites.push((row.line, account.clone(), row.login, offer));
                    continue;
                }
                None => {
                    let account = AccountRow {
                        id: AccountId::from_random(random_id_bytes()).to_string(),
                        login: row.login.clone(),
                        name: row.name.clone(),
                        phone: row.phone.clone(),
                        email: row.email.clone(),
                        password_hash: None,
                        operator: 0,
                        disabled: 0,
                        lang: "en".into(),
                        created_at: now,
                    };
                    let id = account.id.clone();
                    plan.new_accounts.push(account);
                    id
                }
            };
            let member = MemberRow {
                id: MemberId::from_random(random_id_bytes()).to_string(),
                org_id: org.to_string(),
                account_id,
                login: row.login,
                name: row.name,
                phone: row.phone,
                email: row.email,
                title: row.title,
                employee_no: Some(row.employee_no),
                supervisor_id: None,
                status: MemberStatus::Active,
                role: Role::Member,
                joined_at: now,
                left_at: None,
            };
            plan.new_members.push((member, vec![department.unwrap_or_else(|| root_id.clone())]));
        }
        Ok(plan)
    }
}

#[derive(Default)]
struct ImportPlan {
    new_accounts: Vec<AccountRow>,
    new_members: Vec<(MemberRow, Vec<String>)>,
    updates: Vec<(MemberRow, Option<Vec<String>>)>,
    /// Line, account, login and what the person is offered.
    invites: Vec<(u64, String, String, super::invitations::Offer)>,
    unchanged: u64,
}
