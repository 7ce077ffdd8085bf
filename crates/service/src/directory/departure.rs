//! What a departure does to the directory: headships, reports and the supervisor's inbox.

use keiretsu_domain::directory::MemberStatus;
use keiretsu_domain::ids::OrgId;
use keiretsu_domain::journal::Change;
use keiretsu_store::Tx;
use keiretsu_store::directory as store;
use serde_json::json;

use crate::Result;
use crate::notifications::notify;
use crate::reactions::{BoxFuture, Departure, Reaction};

/// Departments the member headed lose that head; the organization's primary admins are told.
pub(crate) struct ReleaseHeadships;

impl Reaction<Departure> for ReleaseHeadships {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let departments = store::remove_headships(tx, &d.member.id).await?;
            if departments.is_empty() {
                return Ok(Vec::new());
            }
            for admin in primary_admin_accounts(tx, &d.org).await? {
                let params = json!({ "name": d.member.name, "departments": departments.len() });
                notify(tx, &admin, Some(&d.org), "head_left", params, Some("/console/departments"), d.at).await?;
            }
            Ok(vec![d.change("departure.release_headships").with("departments", &departments)])
        })
    }
}

/// People who reported to the member now report to the member's own supervisor.
pub(crate) struct ReassignReports;

impl Reaction<Departure> for ReassignReports {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let reports = store::reports(tx, &d.org, &d.member.id).await?;
            if reports.is_empty() {
                return Ok(Vec::new());
            }
            store::set_supervisor_of(tx, &d.org, &reports, d.member.supervisor_id.as_deref()).await?;
            Ok(vec![
                d.change("departure.reassign_reports")
                    .with("members", &reports)
                    .with("new_supervisor", &d.member.supervisor_id),
            ])
        })
    }
}

/// The member's supervisor hears about the departure in their inbox.
pub(crate) struct TellSupervisor;

impl Reaction<Departure> for TellSupervisor {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let Some(sup) = &d.member.supervisor_id else {
                return Ok(Vec::new());
            };
            let Some(sup) = store::member(tx, &d.org, sup).await?.filter(|s| s.status == MemberStatus::Active) else {
                return Ok(Vec::new());
            };
            let link = format!("/console/members/{}", d.member.id);
            let params = json!({ "name": d.member.name });
            notify(tx, &sup.account_id, Some(&d.org), "member_left", params, Some(&link), d.at).await?;
            Ok(vec![d.change("departure.notify_supervisor").with("supervisor", &sup.id)])
        })
    }
}

async fn primary_admin_accounts(tx: &mut Tx, org: &OrgId) -> Result<Vec<String>> {
    Ok(store::primary_admin_accounts(tx, org).await?)
}
