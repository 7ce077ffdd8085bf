//! Every API route that takes an id, generated from the OpenAPI route table, called as: a
//! member of the same organization, a member of another organization, an admin of another
//! organization, and no one. Each gets the right refusal and none of the target's data. A new
//! route with an id and no case here fails this test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use keiretsu_testkit::{Client, TestServer, both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What a plain member of the same organization gets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Same {
    /// Reading the organization's shared directory is allowed.
    Reads,
    /// Administration needs a role.
    Forbidden,
    /// Another account's own object (a token, a notification) does not exist for them.
    NotFound,
}

/// Operator-only routes refuse every tenant with 403; tenant routes hide other tenants with 404.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Tenant,
    Operator,
}

struct Case {
    method: &'static str,
    path: &'static str,
    same: Same,
    kind: Kind,
    body: fn(&Ids) -> Option<Value>,
}

fn none(_: &Ids) -> Option<Value> {
    None
}

const CASES: &[Case] = &[
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/approval-template",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/apps/{app_id}/approval-template",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| {
            Some(json!({"nodes": [{"name": "Boss", "approvers": [{"kind": "members", "member_ids": [ids.member]}]}]}))
        },
    },
    Case {
        method: "post",
        path: "/api/v1/apps/{app_id}/approval-template/preview",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| {
            Some(json!({
                "template": {"nodes": [{"name": "Boss", "approvers": [{"kind": "approval_admin"}]}]},
                "member_id": ids.member,
                "values": {}
            }))
        },
    },
    // A request is its submitter's, its approvers' and the approval admins': a colleague who is
    // none of these does not see it.
    Case {
        method: "get",
        path: "/api/v1/approvals/{approval_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/approvals/{approval_id}/attachments",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!("a file")),
    },
    Case {
        method: "post",
        path: "/api/v1/approvals/{approval_id}/actions",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"action": "approve"})),
    },
    Case { method: "get", path: "/api/v1/organizations/{org_id}", same: Same::Reads, kind: Kind::Tenant, body: none },
    Case {
        method: "put",
        path: "/api/v1/organizations/{org_id}/certification",
        same: Same::Forbidden,
        kind: Kind::Operator,
        body: |_| Some(json!({"certification": "revoked"})),
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/departments",
        same: Same::Reads,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/departments",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"name": "Intruders"})),
    },
    Case {
        method: "patch",
        path: "/api/v1/organizations/{org_id}/departments/{department_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"name": "Renamed"})),
    },
    Case {
        method: "delete",
        path: "/api/v1/organizations/{org_id}/departments/{department_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/organizations/{org_id}/departments/{department_id}/heads",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"member_ids": []})),
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/members",
        same: Same::Reads,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"name": "Mallory", "login": "mallory"})),
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/members/{member_id}",
        same: Same::Reads,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "patch",
        path: "/api/v1/organizations/{org_id}/members/{member_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"title": "Owned"})),
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/transfer",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"department_ids": [ids.department]})),
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/leave",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/rejoin",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/role",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"role": {"role": "primary_admin"}})),
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members/import",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!("employee_no,name,login\nX1,Mallory,mallory\n")),
    },
    Case { method: "delete", path: "/api/v1/tokens/{token_id}", same: Same::NotFound, kind: Kind::Tenant, body: none },
    Case {
        method: "post",
        path: "/api/v1/notifications/{notification_id}/read",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/accounts/{account_id}/disable",
        same: Same::Forbidden,
        kind: Kind::Operator,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/accounts/{account_id}/enable",
        same: Same::Forbidden,
        kind: Kind::Operator,
        body: none,
    },
    Case { method: "get", path: "/api/v1/networks/{network_id}", same: Same::NotFound, kind: Kind::Tenant, body: none },
    Case {
        method: "patch",
        path: "/api/v1/networks/{network_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"visibility": "all"})),
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/partner-types",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/networks/{network_id}/partner-types/{key}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"name": "Supplier", "tiers": [{"name": "x"}]})),
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/units",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/units",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"name": "Shadow", "partner_type": "supplier", "tier": "a"})),
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/units/{unit_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "patch",
        path: "/api/v1/networks/{network_id}/units/{unit_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"tier": "b"})),
    },
    Case {
        method: "delete",
        path: "/api/v1/networks/{network_id}/units/{unit_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/units/{unit_id}/departments",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/networks/{network_id}/units/{unit_id}/departments",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"department_ids": [ids.department]})),
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/units/{unit_id}/contacts",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"side": "backbone", "member_id": ids.member, "role": "business"})),
    },
    Case {
        method: "patch",
        path: "/api/v1/networks/{network_id}/units/{unit_id}/contacts/{contact_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"role": "other"})),
    },
    Case {
        method: "delete",
        path: "/api/v1/networks/{network_id}/units/{unit_id}/contacts/{contact_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/members",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"member_ids": [ids.member]})),
    },
    Case {
        method: "delete",
        path: "/api/v1/networks/{network_id}/members/{member_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/invitations",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/invitations",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"partner_name": "X", "partner_type": "supplier", "tier": "a"})),
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/invitations/import",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!("partner_name,partner_type,tier\nX,supplier,a\n")),
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/invitations/{invitation_id}/resend",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/networks/{network_id}/invitations/{invitation_id}/revoke",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/people",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/people/{member_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/networks/{network_id}/handovers",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/editions/{key}",
        same: Same::Forbidden,
        kind: Kind::Operator,
        body: |_| {
            Some(
                json!({"key": "trial", "name": "Free for all", "seat_limited": false, "auto_default": true, "auto_locked": true, "downstream": true, "max_networks": 100}),
            )
        },
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/license",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/organizations/{org_id}/license",
        same: Same::Forbidden,
        kind: Kind::Operator,
        body: |_| Some(json!({"edition": "trial"})),
    },
    Case {
        method: "put",
        path: "/api/v1/organizations/{org_id}/license/auto-authorize",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"on": true})),
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/seats",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/seats/enable",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"member_ids": [ids.member]})),
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/seats/freeze",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"member_ids": [ids.member]})),
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/seats/release-departed",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/seats/entry-rules",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/seats/entry-rules",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |ids| Some(json!({"unit_id": ids.unit, "department_id": ids.department})),
    },
    Case {
        method: "delete",
        path: "/api/v1/organizations/{org_id}/seats/entry-rules/{department_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/permission-groups",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "delete",
        path: "/api/v1/apps/{app_id}/permission-groups/{group}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/apps/{app_id}/permission-groups/{group}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"rights": ["manage"], "principals": [{"kind": "everyone"}]})),
    },
    Case {
        method: "put",
        path: "/api/v1/apps/{app_id}/publications/{network_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"audience": {"kind": "all_units"}})),
    },
    Case {
        method: "delete",
        path: "/api/v1/apps/{app_id}/publications/{network_id}",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case { method: "get", path: "/api/v1/apps/{app_id}/check", same: Same::Reads, kind: Kind::Tenant, body: none },
    Case { method: "get", path: "/api/v1/apps/{app_id}/who", same: Same::Forbidden, kind: Kind::Tenant, body: none },
    Case { method: "get", path: "/api/v1/apps/{app_id}/schema", same: Same::Reads, kind: Kind::Tenant, body: none },
    Case {
        method: "put",
        path: "/api/v1/apps/{app_id}/schema",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"fields": []})),
    },
    Case {
        method: "post",
        path: "/api/v1/apps/{app_id}/submissions",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({"values": {}})),
    },
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/submissions",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/submissions/export",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/submissions/totals",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/apps/{app_id}/attachments",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: |_| Some(json!({})),
    },
    // A member without the view right does not learn that a submission or its file exists.
    Case {
        method: "get",
        path: "/api/v1/submissions/{submission_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "put",
        path: "/api/v1/submissions/{submission_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: |_| Some(json!({"values": {}})),
    },
    Case {
        method: "get",
        path: "/api/v1/attachments/{attachment_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/password-link",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/member-invitations",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/organizations/{org_id}/member-invitations/{member_invitation_id}/cancel",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    // Only the invited person may answer; to anyone else the invitation does not exist.
    Case {
        method: "post",
        path: "/api/v1/me/invitations/{member_invitation_id}/accept",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "post",
        path: "/api/v1/me/invitations/{member_invitation_id}/decline",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/apps/{app_id}/publications",
        same: Same::Forbidden,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "get",
        path: "/api/v1/organizations/{org_id}/members/{member_id}/posts",
        same: Same::Reads,
        kind: Kind::Tenant,
        body: none,
    },
    Case {
        method: "delete",
        path: "/api/v1/me/sessions/{session_id}",
        same: Same::NotFound,
        kind: Kind::Tenant,
        body: none,
    },
];

/// Ids of organization A's objects, the targets of every call.
struct Ids {
    org: String,
    department: String,
    member: String,
    member_name: String,
    account: String,
    token: String,
    notification: String,
    network: String,
    unit: String,
    contact: String,
    invitation: String,
    member_invitation: String,
    app: String,
    submission: String,
    approval: String,
    attachment: String,
    session: String,
}

impl Ids {
    fn fill(&self, path: &str) -> String {
        path.replace("{org_id}", &self.org)
            .replace("{department_id}", &self.department)
            .replace("{member_id}", &self.member)
            .replace("{account_id}", &self.account)
            .replace("{token_id}", &self.token)
            .replace("{notification_id}", &self.notification)
            .replace("{network_id}", &self.network)
            .replace("{unit_id}", &self.unit)
            .replace("{contact_id}", &self.contact)
            .replace("{invitation_id}", &self.invitation)
            .replace("{member_invitation_id}", &self.member_invitation)
            .replace("{key}", "supplier")
            .replace("{app_id}", &self.app)
            .replace("{group}", "everyone")
            .replace("{submission_id}", &self.submission)
            .replace("{approval_id}", &self.approval)
            .replace("{attachment_id}", &self.attachment)
            .replace("{session_id}", &self.session)
    }
}

#[test]
fn every_route_with_an_id_has_a_case() {
    let doc: Value = serde_json::from_str(&keiretsu_server::openapi_json()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.clone(), path.clone()));
        }
    }
    let cased: BTreeSet<_> = CASES.iter().map(|c| (c.method.to_owned(), c.path.to_owned())).collect();
    let missing: Vec<_> = routes.difference(&cased).collect();
    let stale: Vec<_> = cased.difference(&routes).collect();
    assert!(missing.is_empty(), "routes with ids but no authorization case: {missing:?}");
    assert!(stale.is_empty(), "cases for routes that no longer exist: {stale:?}");
}

async fn call(client: &Client, case: &Case, ids: &Ids) -> (StatusCode, Value) {
    let method = Method::from_bytes(case.method.to_uppercase().as_bytes()).unwrap();
    client.send(method, &ids.fill(case.path), (case.body)(ids)).await
}

both! {
    async fn every_route_refuses_the_wrong_callers(db) {
        let s = TestServer::start(db).await;
        // A backbone: A's network, with a partner unit, a contact and a pending invitation, is a target too.
        let (org_a, admin_a) = s.backbone("Alpha Works", "alpha.admin").await;
        let (org_b, admin_b) = s.org("Beta Trading", "beta.admin").await;
        let (member_id, _) = s.member(&admin_a, &org_a, "alpha.member").await;
        let (_, member_b) = s.member(&admin_b, &org_b, "beta.member").await;
        let (_, target) = admin_a.post(&format!("/api/v1/organizations/{org_a}/members"), json!({"name": "Target Person", "login": "target.person", "supervisor_id": member_id})).await;
        let (_, dep) = admin_a.post(&format!("/api/v1/organizations/{org_a}/departments"), json!({"name": "Secret Lab"})).await;
        let (_, token) = admin_a.post("/api/v1/tokens", json!({"name": "admin's own"})).await;
        // A notification in admin A's inbox: a member with a supervisor leaves.
        admin_a.post(&format!("/api/v1/organizations/{org_a}/members/{member_id}/leave"), json!({})).await;
        admin_a.post(&format!("/api/v1/organizations/{org_a}/members/{member_id}/rejoin"), json!({})).await;
        let (_, sup) = admin_a.get("/api/v1/me").await;
        let admin_member = sup["member_id"].as_str().unwrap().to_owned();
        admin_a.send(Method::PATCH, &format!("/api/v1/organizations/{org_a}/members/{member_id}"), Some(json!({"supervisor_id": admin_member}))).await;
        admin_a.post(&format!("/api/v1/organizations/{org_a}/members/{member_id}/leave"), json!({})).await;
        admin_a.post(&format!("/api/v1/organizations/{org_a}/members/{member_id}/rejoin"), json!({})).await;
        let (_, inbox) = admin_a.get("/api/v1/notifications").await;
        // The departures above revoked the member's token: sign in again.
        let member_a = s.client_with(&s.token("alpha.member", Some(&org_a)).await);
        let (_, network) = admin_a.post("/api/v1/networks", json!({"name": "Alpha network"})).await;
        let network = network["id"].as_str().unwrap().to_owned();
        let invite = json!({"partner_name": "Gamma", "partner_type": "supplier", "tier": "a"});
        let (_, joined) = admin_a.post(&format!("/api/v1/networks/{network}/invitations"), invite.clone()).await;
        let (_, gamma) = s.certified_org("Gamma Parts", "gamma.admin").await;
        let (_, unit) = gamma.post("/api/v1/invitations/accept", json!({"code": joined["code"]})).await;
        let (_, pending) = admin_a.post(&format!("/api/v1/networks/{network}/invitations"), invite).await;
        // Gamma's admin, invited to become a member of A: only they may answer.
        let (st, asked) = admin_a.post(&format!("/api/v1/organizations/{org_a}/members"), json!({"name": "Gamma Person", "login": "gamma.admin"})).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{asked}");
        let (_, app) = admin_a.post("/api/v1/apps", json!({"name": "Alpha onboarding", "fields": [{"key": "note", "label": "Note", "kind": "text"}]})).await;
        admin_a.send(Method::PUT, &format!("/api/v1/apps/{}/publications/{network}", app["id"].as_str().unwrap()),
            Some(json!({"audience": {"kind": "all_units"}}))).await;
        let app_id = app["id"].as_str().expect("app").to_owned();
        // Its submissions go to the target person for approval.
        let template = json!({"nodes": [{"name": "Check", "approvers": [{"kind": "members", "member_ids": [target["id"]]}]}]});
        let (st, t) = admin_a.send(Method::PUT, &format!("/api/v1/apps/{app_id}/approval-template"), Some(template)).await;
        assert_eq!(st, StatusCode::OK, "{t}");
        // The admin holds a seat, submits once and uploads a file: targets for the reads.
        let (st, _) = admin_a.post(&format!("/api/v1/organizations/{org_a}/seats/enable"), json!({"member_ids": [admin_member]})).await;
        assert_eq!(st, StatusCode::OK);
        let (st, submission) = admin_a.post(&format!("/api/v1/apps/{app_id}/submissions"), json!({"values": {"note": "Alpha's secret"}})).await;
        assert_eq!(st, StatusCode::CREATED, "{submission}");
        let attachment: Value = admin_a.http.post(format!("{}/api/v1/apps/{app_id}/attachments?name=a.txt", s.base))
            .bearer_auth(admin_a.token.as_ref().unwrap()).header("content-type", "text/plain").body("secret plans")
            .send().await.unwrap().json().await.unwrap();
        // A's admin is signed in to the console too: that session is a target.
        let cookie = s.console_session("alpha.admin").await.split(';').next().unwrap().to_owned();
        let sessions: Value = admin_a.http.get(format!("{}/api/v1/me/sessions", s.base)).header("cookie", cookie)
            .send().await.unwrap().json().await.unwrap();
        let (_, submitted) = admin_a.get("/api/v1/approvals?inbox=submitted").await;
        let ids = Ids {
            approval: submitted["items"][0]["id"].as_str().expect("an approval").to_owned(),
            session: sessions[0]["id"].as_str().expect("a session").to_owned(),
            submission: submission["id"].as_str().unwrap().to_owned(),
            attachment: attachment["id"].as_str().expect("attachment").to_owned(),
            app: app_id,
            network,
            unit: unit["id"].as_str().expect("unit").to_owned(),
            contact: unit["contacts"][0]["id"].as_str().expect("contact").to_owned(),
            invitation: pending["id"].as_str().unwrap().to_owned(),
            member_invitation: asked["id"].as_str().unwrap().to_owned(),
            org: org_a.clone(),
            department: dep["id"].as_str().unwrap().to_owned(),
            member: target["id"].as_str().unwrap().to_owned(),
            member_name: "Target Person".into(),
            account: target["account_id"].as_str().unwrap().to_owned(),
            token: token["id"].as_str().unwrap().to_owned(),
            notification: inbox["items"][0]["id"].as_str().expect("admin has a notification").to_owned(),
        };
        let before = s.svc.journal().latest_revision().await.unwrap();
        let nobody = s.client();
        for case in CASES {
            let label = format!("{} {}", case.method, case.path);
            let (st, body) = call(&nobody, case, &ids).await;
            assert_eq!(st, StatusCode::UNAUTHORIZED, "no one: {label}: {body}");
            for (who, client) in [("member of B", &member_b), ("admin of B", &admin_b)] {
                let (st, body) = call(client, case, &ids).await;
                let want = if case.kind == Kind::Operator { StatusCode::FORBIDDEN } else { StatusCode::NOT_FOUND };
                assert_eq!(st, want, "{who}: {label}: {body}");
                assert!(!body.to_string().contains(&ids.member_name), "{who}: {label} leaked data: {body}");
                assert!(body["type"].is_string(), "{who}: {label}: not a problem: {body}");
            }
            let (st, body) = call(&member_a, case, &ids).await;
            let want = match case.same {
                Same::Reads => StatusCode::OK,
                Same::Forbidden => StatusCode::FORBIDDEN,
                Same::NotFound => StatusCode::NOT_FOUND,
            };
            assert_eq!(st, want, "member of A: {label}: {body}");
        }
        assert_eq!(s.svc.journal().latest_revision().await.unwrap(), before, "no refused call changed anything");
        // Admin rights never cross: B's admin token cannot even list A's members by any path.
        let (st, _) = admin_b.get(&format!("/api/v1/organizations/{org_a}/members?q=target")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
}
