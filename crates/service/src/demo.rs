//! The demo network: a manufacturer with a department tree and about 200 members, seeded
//! idempotently so `keiretsu demo` can be run again on the same data directory.

use keiretsu_domain::directory::Certification;
use keiretsu_domain::identity::{Caller, Role, Scope};
use keiretsu_domain::ids::{DepartmentId, MemberId, OrgId};
use keiretsu_store::directory as store;

use crate::directory::{Heads, MemberPatch, NewDepartment, NewOrg, RoleChange};
use crate::{Result, Service};

pub const DEMO_ORG: &str = "Hoshino Precision Manufacturing";

/// The logins the demo prints, with what each can do.
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("demo.admin", "primary admin"),
    ("demo.hr", "sub-admin: directory"),
    ("demo.auditor", "sub-admin: audit"),
    ("demo.member", "member"),
];

const TREE: &[(&str, &[&str])] = &[
    ("Manufacturing", &["Assembly", "Machining", "Quality"]),
    ("Supply Chain", &["Purchasing", "Logistics"]),
    ("Sales", &["Domestic", "International"]),
    ("R&D", &[]),
    ("Finance", &[]),
    ("Human Resources", &[]),
];

const SURNAMES: &[&str] =
    &["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma", "Zhu"];
const GIVEN: &[&str] =
    &["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Hui", "Tao", "Ping", "Xin", "Hao", "Ying"];

pub struct DemoInfo {
    pub org: OrgId,
    pub created: bool,
}

impl Service {
    /// Seeds the demo organization unless it is already there. Every demo account uses `password`.
    pub async fn seed_demo(&self, password: &str) -> Result<DemoInfo> {
        let system = Caller::System;
        let existing = store::orgs(&mut *self.store.read().await?).await?.into_iter().find(|o| o.name == DEMO_ORG);
        if let Some(org) = existing {
            return Ok(DemoInfo { org: OrgId::from_trusted(org.id), created: false });
        }
        let org = self
            .create_org(
                &system,
                &NewOrg {
                    name: DEMO_ORG.into(),
                    certification: Some(Certification::Certified),
                    admin_login: "demo.admin".into(),
                    admin_name: "Tanaka Hoshino".into(),
                    admin_password: Some(password.into()),
                },
            )
            .await?;
        let org = OrgId::from_trusted(org.id);
        let mut csv = String::from("employee_no,name,login,phone,email,title,department\n");
        let mut leaves = vec![];
        for (top, subs) in TREE {
            let parent =
                self.create_department(&system, &org, &NewDepartment { name: (*top).into(), parent_id: None }).await?;
            leaves.push((top.to_string(), parent.id.clone()));
            for sub in *subs {
                let parent_id = Some(DepartmentId::from_trusted(parent.id.clone()));
                let d =
                    self.create_department(&system, &org, &NewDepartment { name: (*sub).into(), parent_id }).await?;
                leaves.push((format!("{top}/{sub}"), d.id));
            }
        }
        let extra = ["demo.hr", "demo.auditor", "demo.member"];
        for i in 0..200usize {
            let (path, _) = &leaves[i % leaves.len()];
            let name = format!("{} {}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / SURNAMES.len()) % GIVEN.len()]);
            let login = extra.get(i).map_or_else(|| format!("emp{:04}", i + 1), |l| (*l).to_owned());
            let title =
                if i < leaves.len() { "Manager" } else { ["Engineer", "Specialist", "Technician", "Analyst"][i % 4] };
            csv.push_str(&format!(
                "HP{:04},{name},{login},+86 139 {:04} {:04},{login}@hoshino.example,{title},{path}\n",
                i + 1,
                1000 + i,
                2000 + i
            ));
        }
        self.import_members(&system, &org, &csv, false, &()).await?;
        // Imported accounts have no password; the demo's all share one so anyone can try them.
        let hash = crate::identity::hash_password(&self.settings, password).await?;
        let mut tx = self.store.write().await?;
        let page = store::list_members(
            &mut tx,
            self.store.backend(),
            &org,
            &store::MemberFilter { limit: 1000, ..Default::default() },
        )
        .await?;
        for m in &page {
            store::set_password(&mut tx, &m.account_id, &hash).await?;
        }
        tx.commit().await?;
        // The first member of each department heads it and supervises the rest.
        for (i, (_, dep)) in leaves.iter().enumerate() {
            let head = store::member_by_employee_no(&mut *self.store.read().await?, &org, &format!("HP{:04}", i + 1))
                .await?
                .map(|m| MemberId::from_trusted(m.id));
            let Some(head) = head else { continue };
            let dep = DepartmentId::from_trusted(dep.clone());
            self.set_heads(&system, &org, &dep, &Heads { member_ids: vec![head.clone()] }).await?;
            let staff = self
                .members(
                    &system,
                    &org,
                    &crate::directory::MemberQuery {
                        department_id: Some(dep.to_string()),
                        limit: Some(200),
                        ..Default::default()
                    },
                )
                .await?;
            for m in staff.items.iter().filter(|m| m.id != head.as_str()) {
                let patch = MemberPatch { supervisor_id: Some(head.to_string()), ..Default::default() };
                self.update_member(&system, &org, &MemberId::from_trusted(m.id.clone()), &patch).await?;
            }
        }
        for (login, role) in
            [("demo.hr", Role::SubAdmin(vec![Scope::Directory])), ("demo.auditor", Role::SubAdmin(vec![Scope::Audit]))]
        {
            let account = store::account_by_login(&mut *self.store.read().await?, login).await?;
            let member = match account {
                Some(a) => store::member_of_account(&mut *self.store.read().await?, &org, &a.id).await?,
                None => None,
            };
            if let Some(m) = member {
                self.set_role(&system, &org, &MemberId::from_trusted(m.id), &RoleChange { role }.role).await?;
            }
        }
        Ok(DemoInfo { org, created: true })
    }
}
