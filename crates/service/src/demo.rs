//! The demo network: a manufacturer with a department tree and about 200 members, seeded
//! idempotently so `keiretsu demo` can be run again on the same data directory.

use keiretsu_domain::access::Audience;
use keiretsu_domain::approval::{Approvers, Condition, Mode, Node, Template};
use keiretsu_domain::directory::Certification;
use keiretsu_domain::identity::{Acting, Caller, Role, Scope};
use keiretsu_domain::ids::{AccountId, AppId, ApprovalId, DepartmentId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::network::Side;
use keiretsu_store::directory as store;

use crate::Result;
use crate::approvals::Action;
use crate::apps::{NewApp, Publication};
use crate::directory::{Heads, MemberPatch, NewDepartment, NewOrg, RoleChange};
use crate::forms::SubmissionInput;
use crate::license::{LicenseChange, NewEntryRule, SeatSelection};
use crate::network::{InvitationAnswer, NetworkMembersInput, NewContact, NewInvitation, NewNetwork};

crate::use_cases!();

pub const DEMO_ORG: &str = "Hoshino Precision Manufacturing";

/// The logins the demo prints, with what each can do.
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("demo.admin", "primary admin"),
    ("demo.hr", "sub-admin: directory"),
    ("demo.auditor", "sub-admin: audit"),
    ("demo.member", "member, invited to join Kato Metal Works too"),
    ("kato.admin", "supplier's primary admin (Kato Metal Works)"),
    ("sato.admin", "distributor's primary admin (Sato Retail Group)"),
    ("kato.m001", "supplier's member"),
];

/// The demo's partners: name, admin login, login prefix, partner type and tier.
/// Mori brings only these departments into the network: its production and logistics people
/// stay out of the backbone's sight.
const BROUGHT: [&str; 2] = ["Sales", "Finance"];

const PARTNERS: &[(&str, &str, &str, &str, &str)] = &[
    ("Kato Metal Works", "kato.admin", "kato", "supplier", "strategic"),
    ("Mori Plastics", "mori.admin", "mori", "supplier", "a"),
    ("Sato Retail Group", "sato.admin", "sato", "distributor", "a"),
];

type DemoForm = (&'static str, &'static str, serde_json::Value, &'static str, Vec<(&'static str, serde_json::Value)>);

fn bad_demo(e: serde_json::Error) -> crate::Error {
    crate::Error::Internal(format!("demo data: {e}"))
}

/// The demo's forms: name, partner type, fields, and answers from that type's first partner.
fn demo_forms() -> Vec<DemoForm> {
    use serde_json::json;
    vec![
        (
            "Supplier onboarding",
            "supplier",
            json!([
                {"key": "company", "label": "Registered company name", "kind": "text", "required": true},
                {"key": "category", "label": "Category", "kind": "single_choice", "required": true,
                 "options": ["Raw materials", "Components", "Packaging"]},
                {"key": "capacity", "label": "Monthly capacity (t)", "kind": "number", "rules": {"min": 0}},
                {"key": "certified_until", "label": "ISO 9001 valid until", "kind": "date"},
                {"key": "notes", "label": "Notes", "kind": "long_text"},
                {"key": "documents", "label": "Certificates", "kind": "attachment"}
            ]),
            "kato",
            vec![
                (
                    "m001",
                    json!({"company": "Kato Metal Works Co., Ltd.", "category": "Raw materials", "capacity": 420,
                    "certified_until": "2027-06-30"}),
                ),
                (
                    "m005",
                    json!({"company": "Kato Metal Works (Osaka plant)", "category": "Components", "capacity": 95,
                    "notes": "Second plant; audit scheduled for March."}),
                ),
            ],
        ),
        (
            "Distributor order request",
            "distributor",
            json!([
                {"key": "product", "label": "Product", "kind": "single_choice", "required": true,
                 "options": ["Precision bearings", "Gear units", "Spindles"]},
                {"key": "quantity", "label": "Quantity", "kind": "number", "required": true, "rules": {"min": 1}},
                {"key": "amount", "label": "Order value (CNY)", "kind": "money", "required": true},
                {"key": "needed_by", "label": "Needed by", "kind": "date"},
                {"key": "region", "label": "Region", "kind": "multiple_choice", "options": ["East", "North", "South"]}
            ]),
            "sato",
            vec![
                (
                    "m001",
                    json!({"product": "Precision bearings", "quantity": 1200, "amount": "86400.00",
                    "needed_by": "2027-01-15", "region": ["East"]}),
                ),
                (
                    "m005",
                    json!({"product": "Gear units", "quantity": 40, "amount": "152000.00", "region": ["North", "South"]}),
                ),
                ("m009", json!({"product": "Precision bearings", "quantity": 300, "amount": "21600.00"})),
            ],
        ),
    ]
}

/// Supplier onboarding: the supplier's own contact checks it, then the backbone's owner.
/// Distributor orders: the backbone's owner of the distributor, then finance above 100,000.
fn demo_template(partner_type: &str) -> Template {
    let node = |name: &str, approvers: Vec<Approvers>, when: Vec<Condition>| Node {
        name: name.into(),
        approvers,
        mode: Mode::Any,
        when,
        copy_to: Vec::new(),
        remind_after_hours: Some(48),
        escalate_after_hours: Some(120),
    };
    let nodes = if partner_type == "supplier" {
        vec![
            node("Supplier contact review", vec![Approvers::UnitContact], Vec::new()),
            node("Quality review", vec![Approvers::BackboneOwner], Vec::new()),
        ]
    } else {
        vec![
            node("Account owner", vec![Approvers::BackboneOwner], Vec::new()),
            node(
                "Finance review",
                vec![Approvers::ApprovalAdmin],
                vec![Condition::Field { filter: "amount:gt:100000".into() }],
            ),
        ]
    };
    Template { nodes, copy_to: Vec::new() }
}

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

impl Cases<'_> {
    /// Seeds the demo organization unless it is already there. Every demo account uses `password`.
    pub async fn seed_demo(&self, password: &str) -> Result<DemoInfo> {
        let system = Caller::System;
        let existing = store::orgs(&mut *self.store.read().await?).await?.into_iter().find(|o| o.name == DEMO_ORG);
        if let Some(org) = existing {
            return Ok(DemoInfo { org: OrgId::from_trusted(org.id), created: false });
        }
        let org = self
            .directory()
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
            let parent = self
                .directory()
                .create_department(&system, &org, &NewDepartment { name: (*top).into(), parent_id: None })
                .await?;
            leaves.push((top.to_string(), parent.id.clone()));
            for sub in *subs {
                let parent_id = Some(DepartmentId::from_trusted(parent.id.clone()));
                let d = self
                    .directory()
                    .create_department(&system, &org, &NewDepartment { name: (*sub).into(), parent_id })
                    .await?;
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
        self.directory().import_members(&system, &org, &csv, false, &()).await?;
        self.share_password(&org, password).await?;
        // The first member of each department heads it and supervises the rest.
        for (i, (_, dep)) in leaves.iter().enumerate() {
            let head = store::member_by_employee_no(&mut *self.store.read().await?, &org, &format!("HP{:04}", i + 1))
                .await?
                .map(|m| MemberId::from_trusted(m.id));
            let Some(head) = head else { continue };
            let dep = DepartmentId::from_trusted(dep.clone());
            self.directory().set_heads(&system, &org, &dep, &Heads { member_ids: vec![head.clone()] }).await?;
            let staff = self
                .directory()
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
                self.directory().update_member(&system, &org, &MemberId::from_trusted(m.id.clone()), &patch).await?;
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
                self.directory()
                    .set_role(&system, &org, &MemberId::from_trusted(m.id), &RoleChange { role }.role)
                    .await?;
            }
        }
        self.seed_demo_network(&org, password).await?;
        Ok(DemoInfo { org, created: true })
    }

    /// The backbone's partner network: two suppliers and a distributor of about 50 people each,
    /// with contacts on both sides, one invitation still pending, and an app for each partner type.
    async fn seed_demo_network(&self, org: &OrgId, password: &str) -> Result<()> {
        let system = Caller::System;
        // The exclusive edition, every backbone member authorized: 201 of 260 seats.
        let license = LicenseChange { edition: "exclusive".into(), seats: Some(260) };
        self.license().set_license(&system, org, &license).await?;
        let root = self.directory().departments(&system, org).await?.into_iter().find(|d| d.parent_id.is_none());
        if let Some(root) = root {
            let everyone =
                SeatSelection { department_id: Some(DepartmentId::from_trusted(root.id)), ..Default::default() };
            self.license().set_seats(&system, org, &everyone, true).await?;
        }
        let admin = self.acting_as(org, "demo.admin").await?;
        let network = self
            .network()
            .create_network(
                &admin,
                &NewNetwork {
                    name: "Hoshino Partner Network".into(),
                    description: "Suppliers and distributors of Hoshino Precision Manufacturing.".into(),
                },
            )
            .await?;
        let network = NetworkId::from_trusted(network.id);
        // Supply Chain and Sales work with the partners.
        let deps = self.directory().departments(&system, org).await?;
        let department_ids = deps
            .iter()
            .filter(|d| d.name == "Supply Chain" || d.name == "Sales")
            .map(|d| DepartmentId::from_trusted(d.id.clone()))
            .collect();
        self.network()
            .add_network_members(&admin, &network, &NetworkMembersInput { member_ids: vec![], department_ids })
            .await?;
        let mut partner_orgs = Vec::new();
        for (i, (name, admin_login, prefix, partner_type, tier)) in PARTNERS.iter().enumerate() {
            let partner = self
                .directory()
                .create_org(
                    &system,
                    &NewOrg {
                        name: (*name).into(),
                        certification: Some(Certification::Certified),
                        admin_login: (*admin_login).into(),
                        admin_name: format!("{} {}", SURNAMES[(i + 3) % SURNAMES.len()], GIVEN[i]),
                        admin_password: Some(password.into()),
                    },
                )
                .await?;
            let partner = OrgId::from_trusted(partner.id);
            partner_orgs.push((*prefix, partner.clone()));
            for department in ["Sales", "Finance", "Production", "Logistics"] {
                self.directory()
                    .create_department(&system, &partner, &NewDepartment { name: department.into(), parent_id: None })
                    .await?;
            }
            let mut csv = String::from("employee_no,name,login,title,department\n");
            for n in 0..50usize {
                let person = format!("{} {}", SURNAMES[(n * 7 + i) % SURNAMES.len()], GIVEN[(n + i * 5) % GIVEN.len()]);
                let department = ["Sales", "Finance", "Production", "Logistics"][n % 4];
                let title = if n < 4 { "Manager" } else { "Staff" };
                csv.push_str(&format!(
                    "{}{:03},{person},{prefix}.m{:03},{title},{department}\n",
                    prefix.to_uppercase(),
                    n + 1,
                    n + 1
                ));
            }
            self.directory().import_members(&system, &partner, &csv, false, &()).await?;
            self.share_password(&partner, password).await?;
            let invitation = self
                .network()
                .invite(
                    &admin,
                    &network,
                    &NewInvitation {
                        partner_name: (*name).into(),
                        organization_id: Some(partner.clone()),
                        partner_type: (*partner_type).into(),
                        tier: (*tier).into(),
                        expires_in_hours: None,
                        departments: if *prefix == "mori" { BROUGHT.map(Into::into).to_vec() } else { vec![] },
                    },
                )
                .await?;
            let partner_admin = self.acting_as(&partner, admin_login).await?;
            let answer = InvitationAnswer { code: invitation.code, invitation_id: None, department_ids: None };
            let unit = self.network().accept_invitation(&partner_admin, &answer).await?;
            let unit_id = UnitId::from_trusted(unit.id.clone());
            // A finance contact with a backup on the partner's side.
            let finance = self.member_by_login(&partner, &format!("{prefix}.m002")).await?;
            let backup = self.member_by_login(&partner, &format!("{prefix}.m006")).await?;
            if let (Some(finance), Some(backup)) = (finance, backup) {
                let contact = NewContact {
                    side: Side::Partner,
                    member_id: finance,
                    role: "finance".into(),
                    backup_id: Some(backup),
                };
                self.network().add_contact(&partner_admin, &network, &unit_id, &contact).await?;
            }
            // Kato's and Sato's sales people use the backbone's apps as partners, present and
            // future: the pool passes 80% and the dashboard shows the warning.
            if *prefix != "mori" {
                let sales =
                    self.directory().departments(&system, &partner).await?.into_iter().find(|d| d.name == "Sales");
                if let Some(sales) = sales {
                    let rule = NewEntryRule { unit_id, department_id: DepartmentId::from_trusted(sales.id) };
                    self.license().add_entry_rule(&system, org, &rule).await?;
                }
            }
        }
        let pending = NewInvitation {
            partner_name: "Fujita Logistics".into(),
            organization_id: None,
            partner_type: "service_provider".into(),
            tier: "b".into(),
            expires_in_hours: None,
            departments: vec!["Logistics".into()],
        };
        self.network().invite(&admin, &network, &pending).await?;
        // A Hoshino engineer asked to join the supplier as well: an existing account is invited,
        // and sees the invitation after signing in.
        let person = store::account_by_login(&mut *self.store.read().await?, "demo.member").await?;
        if let (Some((_, kato)), Some(person)) = (partner_orgs.iter().find(|p| p.0 == "kato"), person) {
            let kato_admin = self.acting_as(kato, "kato.admin").await?;
            let ask = crate::directory::NewMember {
                name: person.name,
                login: "demo.member".into(),
                title: Some("Quality liaison".into()),
                ..Default::default()
            };
            self.directory().add_member(&kato_admin, kato, &ask).await?;
        }
        // Two form apps, each published to its partner type, with submissions from partner staff.
        for (name, partner_type, fields, prefix, answers) in demo_forms() {
            let input = NewApp {
                name: name.into(),
                description: String::new(),
                fields: serde_json::from_value(fields).map_err(bad_demo)?,
            };
            let app = AppId::from_trusted(self.apps().create_app(&admin, &input).await?.id);
            let audience = Audience::PartnerTypes(vec![partner_type.into()]);
            self.apps().publish_app(&admin, &app, &network, &Publication { audience }).await?;
            self.approvals().put_template(&admin, &app, &demo_template(partner_type)).await?;
            let Some((_, partner)) = partner_orgs.iter().find(|p| p.0 == prefix) else { continue };
            let mut requests = Vec::new();
            for (login, values) in answers {
                let member = self.acting_as(partner, &format!("{prefix}.{login}")).await?;
                let values = serde_json::from_value(values).map_err(bad_demo)?;
                let sub = self.forms().submit(&member, &app, &SubmissionInput { values }).await?;
                let row =
                    keiretsu_store::approvals::instance_of_submission(&mut *self.store.read().await?, &sub.id).await?;
                requests.extend(row.map(|r| ApprovalId::from_trusted(r.id)));
            }
            // Distributor orders: the owner passed the large one on to finance and sent the
            // third back with a comment; the first waits for the owner.
            if partner_type == "distributor"
                && let [_, large, small] = requests.as_slice()
            {
                let text = "Quantities match the distributor's forecast for the quarter.".to_owned();
                self.approvals().act(&admin, large, &Action::Comment { text, attachment_ids: Vec::new() }).await?;
                self.approvals().act(&admin, large, &Action::Approve).await?;
                let reason = "The 2026 price list applies; please resubmit with it.".to_owned();
                self.approvals().act(&admin, small, &Action::Reject { reason }).await?;
            }
        }
        Ok(())
    }

    /// A caller for a login's membership of `org`, as if signed in there.
    async fn acting_as(&self, org: &OrgId, login: &str) -> Result<Caller> {
        let mut c = self.store.read().await?;
        let account = store::account_by_login(&mut c, login)
            .await?
            .ok_or(keiretsu_domain::DomainError::NotFound { what: "account" })?;
        let member = store::member_of_account(&mut c, org, &account.id)
            .await?
            .ok_or(keiretsu_domain::DomainError::NotFound { what: "member" })?;
        Ok(Caller::Account {
            account: AccountId::from_trusted(account.id),
            operator: false,
            acting: Some(Acting {
                org: org.clone(),
                member: MemberId::from_trusted(member.id),
                role: member.role.clone(),
            }),
        })
    }

    async fn member_by_login(&self, org: &OrgId, login: &str) -> Result<Option<MemberId>> {
        let mut c = self.store.read().await?;
        let Some(account) = store::account_by_login(&mut c, login).await? else { return Ok(None) };
        Ok(store::member_of_account(&mut c, org, &account.id).await?.map(|m| MemberId::from_trusted(m.id)))
    }

    /// Imported accounts have no password; the demo's all share one so anyone can try them.
    async fn share_password(&self, org: &OrgId, password: &str) -> Result<()> {
        let hash = crate::identity::hash_password(&self.settings, password).await?;
        let mut tx = self.store.write().await?;
        let filter = store::MemberFilter { limit: 1000, ..Default::default() };
        for m in store::list_members(&mut tx, self.store.backend(), org, &filter).await? {
            store::set_password(&mut tx, &m.account_id, &hash).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
