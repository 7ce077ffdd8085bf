//! Recent departures as an organization's directory admins see them: who left, when, and who
//! took over what they held (their reports, their contact posts in partner networks).

use super::*;

/// The most departures one read returns.
pub const DEPARTURES_MAX: i64 = 20;

/// Something a departed member held, and who holds it now.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub enum Handover {
    /// `count` people who reported to them report to `to` now (nobody when `to` is absent).
    Reports { count: i64, to: Option<Successor> },
    /// Their contact post (`role`) for a unit of a network went to `to`; absent: left vacant.
    Contact { role: String, network_id: String, unit_id: String, to: Option<Successor> },
}

/// Who took over: a member of the same organization, named as now.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Successor {
    pub member_id: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DepartureView {
    pub member_id: String,
    pub name: String,
    pub left_at: String,
    /// False when they have come back since.
    pub still_left: bool,
    pub handovers: Vec<Handover>,
}

impl Cases<'_> {
    /// The organization's last `limit` departures (newest first) with what each handed over,
    /// read from the journal: a departure's reactions are entries of its own commit.
    pub async fn recent_departures(&self, caller: &Caller, org: &OrgId, limit: i64) -> Result<Vec<DepartureView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let org = permit.org();
        let mut c = self.store.read().await?;
        let q = keiretsu_store::journal::Query {
            org: Some(org.to_string()),
            action: Some("member.leave".into()),
            limit: limit.clamp(1, DEPARTURES_MAX),
            ..Default::default()
        };
        let leaves = keiretsu_store::journal::query(&mut c, &q).await?;
        let mut out = Vec::with_capacity(leaves.len());
        for leave in leaves {
            let member = store::member(&mut c, org, &leave.target).await?;
            let name = member.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| detail_text(&leave.details, "name"));
            // Entries of one commit share its time; contact posts are journalled by the
            // network's owner, so every organization's entries of that moment are looked at,
            // keeping only those about this member.
            let same = keiretsu_store::journal::Query {
                from: Some(leave.at),
                to: Some(leave.at + 1),
                limit: 500,
                ..Default::default()
            };
            let mut handovers = Vec::new();
            let mut moment = keiretsu_store::journal::query(&mut c, &same).await?;
            moment.sort_by_key(|e| e.revision);
            for e in moment.iter().filter(|e| e.revision > leave.revision) {
                let d: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
                let text = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                match e.action.as_str() {
                    "departure.reassign_reports"
                        if e.target == leave.target && e.organization.as_deref() == Some(org.as_str()) =>
                    {
                        let count = d.get("members").and_then(|m| m.as_array()).map_or(0, |m| m.len() as i64);
                        let to = self.successor(&mut c, org, text("new_supervisor")).await?;
                        handovers.push(Handover::Reports { count, to });
                    }
                    "contact.handover" | "contact.vacant" if text("from").as_deref() == Some(leave.target.as_str()) => {
                        let to = self.successor(&mut c, org, text("to")).await?;
                        handovers.push(Handover::Contact {
                            role: text("role").unwrap_or_default(),
                            network_id: text("network").unwrap_or_default(),
                            unit_id: text("unit").unwrap_or_default(),
                            to,
                        });
                    }
                    _ => {}
                }
            }
            out.push(DepartureView {
                still_left: member.as_ref().is_some_and(|m| m.status == MemberStatus::Left),
                member_id: leave.target,
                name,
                left_at: format_rfc3339(leave.at),
                handovers,
            });
        }
        Ok(out)
    }

    /// A successor named by id, if they are a member of `org` (anyone else is not shown).
    async fn successor(&self, c: &mut AnyConnection, org: &OrgId, id: Option<String>) -> Result<Option<Successor>> {
        let Some(id) = id else { return Ok(None) };
        Ok(store::member(c, org, &id).await?.map(|m| Successor { member_id: m.id, name: m.name }))
    }
}

fn detail_text(details: &str, key: &str) -> String {
    serde_json::from_str::<serde_json::Value>(details)
        .ok()
        .and_then(|d| d.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_default()
}
