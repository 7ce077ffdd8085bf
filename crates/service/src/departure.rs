//! A departure is one use case with a registry of reactions. Each capability that must react
//! when someone leaves (release a seat, revoke a grant, hand over a contact, reassign an
//! approval) registers a [`Reaction`] in [`Reactions::builtin`]; all of them run inside the
//! departure's transaction, and each one that did something is journaled.

use std::future::Future;
use std::pin::Pin;

use keiretsu_domain::ids::OrgId;
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::Millis;
use keiretsu_store::directory::{self as store, MemberRow};
use keiretsu_store::{Tx, identity};
use serde_json::json;

use crate::Result;
use crate::notifications::notify;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The member who left, as they were just before leaving.
#[derive(Clone, Debug)]
pub struct Departure {
    pub org: OrgId,
    pub member: MemberRow,
    pub actor: String,
    pub at: Millis,
}

impl Departure {
    /// A journal entry for what a reaction did, tied to the departed member.
    pub fn change(&self, action: &'static str) -> Change {
        Change::new(&self.actor, Some(self.org.as_str()), action, &self.member.id)
    }
}

pub trait Reaction: Send + Sync {
    /// Runs in the departure's transaction; returns the journal entries for what it did.
    fn react<'a>(&'a self, tx: &'a mut Tx, departure: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>>;
}

pub struct Reactions(Vec<Box<dyn Reaction>>);

impl Reactions {
    /// Every capability's reaction to a departure, in the order they run.
    pub fn builtin() -> Reactions {
        Reactions(vec![
            Box::new(EndAccess),
            Box::new(ReleaseHeadships),
            Box::new(ReassignReports),
            Box::new(TellSupervisor),
            // Before the seats: the handover locks units, which come before seat pools in the
            // lock order (a unit's change of departments locks its unit, then the pool).
            Box::new(crate::network::ContactHandover),
            Box::new(crate::license::ReleaseSeats),
        ])
    }

    pub async fn run(&self, tx: &mut Tx, departure: &Departure) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        for reaction in &self.0 {
            changes.extend(reaction.react(tx, departure).await?);
        }
        Ok(changes)
    }
}

/// Sessions acting in the organization end and its tokens are revoked, at once.
struct EndAccess;

impl Reaction for EndAccess {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let account = &d.member.account_id;
            let sessions = identity::delete_sessions(tx, account, Some(d.org.as_str())).await?;
            let tokens = identity::revoke_tokens(tx, account, Some(d.org.as_str()), d.at).await?;
            Ok((sessions + tokens > 0)
                .then(|| {
                    d.change("departure.end_access").with("sessions_ended", sessions).with("tokens_revoked", tokens)
                })
                .into_iter()
                .collect())
        })
    }
}

/// Departments the member headed lose that head; the organization's primary admins are told.
struct ReleaseHeadships;

impl Reaction for ReleaseHeadships {
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
struct ReassignReports;

impl Reaction for ReassignReports {
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
struct TellSupervisor;

impl Reaction for TellSupervisor {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            let Some(sup) = &d.member.supervisor_id else {
                return Ok(Vec::new());
            };
            let Some(sup) = store::member(tx, &d.org, sup).await?.filter(|s| s.status == "active") else {
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
