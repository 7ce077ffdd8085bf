//! The authorization list and its batch changes: authorize and freeze, by account or department subtree.

use super::*;
use keiretsu_domain::Reason;

/// Whose seats a list or selection is about: an organization's members, or a unit's, which may
/// bring only some departments into the network.
pub(super) struct People {
    pub(super) org: String,
    unit: Option<String>,
    /// The departments a unit brings, those below its chosen ones included; `None`: all.
    brought: Option<HashSet<String>>,
}

impl People {
    /// `department` must be one of the organization's that these people include.
    pub(super) async fn check_department(&self, c: &mut AnyConnection, department: &str) -> Result<()> {
        let ours = dir::department(c, &OrgId::from_trusted(self.org.clone()), department).await?.is_some()
            && self.brought.as_ref().is_none_or(|b| b.contains(department));
        if !ours {
            let rule = if self.unit.is_some() { Reason::NotBroughtIntoNetwork } else { Reason::NotDepartmentThere };
            return Err(DomainError::invalid("department_id", Rule::Reason(rule)).into());
        }
        Ok(())
    }

    /// Departments narrowed to those these people include.
    pub(super) fn narrow(&self, departments: Vec<String>) -> Vec<String> {
        match &self.brought {
            None => departments,
            Some(b) => departments.into_iter().filter(|d| b.contains(d)).collect(),
        }
    }
}

/// A department and all below it, by id.
pub(super) async fn subtree_of(c: &mut AnyConnection, org: &str, department: &str) -> Result<Vec<String>> {
    let all = dir::departments(c, &OrgId::from_trusted(org.to_owned())).await?;
    let parents = all
        .iter()
        .map(|d| (DepartmentId::from_trusted(d.id.clone()), d.parent_id.clone().map(DepartmentId::from_trusted)))
        .collect();
    Ok(subtree(&parents, &DepartmentId::from_trusted(department.to_owned())).into_iter().map(String::from).collect())
}

impl Cases<'_> {
    /// The people a selection or list is about: the pool organization's own, or a unit's, of one
    /// of the pool organization's networks.
    pub(super) async fn people_of(&self, c: &mut AnyConnection, pool: &OrgId, unit: Option<&str>) -> Result<People> {
        let Some(unit) = unit.filter(|u| !u.is_empty()) else {
            return Ok(People { org: pool.to_string(), unit: None, brought: None });
        };
        let unit = UnitId::parse(unit)?;
        let u = net::unit_by_id(c, unit.as_str()).await?.filter(|u| u.status == UnitStatus::Active);
        let Some(u) = u else {
            return Err(DomainError::invalid("unit_id", Rule::Reason(Reason::NotActiveUnit)).into());
        };
        let owner = net::network(c, &u.network_id).await?.map(|n| n.org_id);
        if owner.as_deref() != Some(pool.as_str()) {
            return Err(DomainError::invalid("unit_id", Rule::Reason(Reason::NotActiveUnit)).into());
        }
        let brought = match u.brings.as_str() {
            "departments" => Some(net::unit_departments_of(c, &u.id).await?.into_keys().collect()),
            _ => None,
        };
        Ok(People { org: u.org_id, unit: Some(u.id), brought })
    }

    /// The authorization list: an organization's (or a unit's) active members with their standing.
    pub async fn seats(&self, caller: &Caller, org: &OrgId, q: &SeatQuery) -> Result<Page<SeatView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let limit = page_limit(q.limit)?;
        let status =
            q.status.as_deref().filter(|s| !s.is_empty()).map(|s| SeatStatus::parse("status", s)).transpose()?;
        let text = match &q.q {
            Some(t) => optional_text("q", t, 100)?.map(|t| t.to_lowercase()),
            None => None,
        };
        let after = match q.cursor.as_deref() {
            Some(cur) => {
                let parts = decode_cursor(cur, 2)?;
                Some((parts[0].clone(), parts[1].clone()))
            }
            None => None,
        };
        let mut c = self.store.read().await?;
        store::pool(&mut c, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let who = self.people_of(&mut c, permit.org(), q.unit_id.as_deref()).await?;
        let people = who.org.clone();
        let departments = match q.department_id.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                who.check_department(&mut c, d.as_str()).await?;
                Some(who.narrow(if q.include_sub_departments.unwrap_or(true) {
                    subtree_of(&mut c, &people, d.as_str()).await?
                } else {
                    vec![d.to_string()]
                }))
            }
            None => who.brought.as_ref().map(|b| b.iter().cloned().collect()),
        };
        let filter = ListFilter { text, departments, status, after, limit: limit + 1 };
        let mut rows = store::list(&mut c, self.store.backend(), permit.org().as_str(), &people, &filter).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&[&r.name, &r.member_id]))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|r| SeatView {
                status: r.status.unwrap_or(SeatStatus::Never),
                member_id: r.member_id,
                name: r.name,
                login: r.login,
                title: r.title,
                reason: r.reason.map(|r| r.as_str().to_owned()),
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// The members a selection names: chosen active members, or the active members of a
    /// department subtree.
    async fn selected(
        &self,
        c: &mut AnyConnection,
        pool: &OrgId,
        sel: &SeatSelection,
    ) -> Result<(String, Vec<String>)> {
        let who = self.people_of(c, pool, sel.unit_id.as_ref().map(|u| u.as_str())).await?;
        let people = who.org.clone();
        let backend = self.store.backend();
        match (&sel.department_id, sel.member_ids.is_empty()) {
            (Some(d), true) => {
                who.check_department(c, d.as_str()).await?;
                let deps = who.narrow(subtree_of(c, &people, d.as_str()).await?);
                Ok((people.clone(), store::active_members_in(c, backend, &people, &deps).await?))
            }
            (None, false) => {
                if sel.member_ids.len() > 10_000 {
                    return Err(DomainError::invalid("member_ids", Rule::Range { min: 1, max: 10_000 }).into());
                }
                let mut found = store::active_among(c, backend, &people, &sel.member_ids).await?;
                if let (Some(unit), Some(_)) = (&who.unit, &who.brought) {
                    found = net::brought_of(c, unit, &found).await?;
                }
                if found.len() != sel.member_ids.iter().collect::<HashSet<_>>().len() {
                    return Err(DomainError::invalid("member_ids", Rule::Reason(Reason::NotActiveMembersThere)).into());
                }
                Ok((people, found))
            }
            _ => Err(DomainError::invalid("member_ids", Rule::Reason(Reason::MembersOrDepartment)).into()),
        }
    }

    /// Batch authorize (all or nothing: the pool must have room for every account) or freeze.
    pub async fn set_seats(
        &self,
        caller: &Caller,
        org: &OrgId,
        sel: &SeatSelection,
        enable: bool,
    ) -> Result<SeatsChanged> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        if enable
            && sel.member_ids.is_empty()
            && let Some(department) = &sel.department_id
        {
            return self.enable_subtree(tx, &permit, sel.unit_id.as_ref(), department).await;
        }
        let (people, members) = self.selected(&mut tx, permit.org(), sel).await?;
        let targets: Vec<(String, String)> = members.into_iter().map(|m| (m, people.clone())).collect();
        let to = if enable { SeatStatus::Enabled } else { SeatStatus::Frozen };
        let (changed, change) = move_seats(
            &mut tx,
            backend,
            org.as_str(),
            &targets,
            to,
            SeatReason::Manual,
            true,
            permit.actor(),
            self.now(),
        )
        .await?;
        let pool = store::pool(&mut tx, org.as_str()).await?.ok_or(NO_LICENSE)?;
        let changes: Vec<Change> = change.into_iter().collect();
        self.commit(tx, &changes).await?;
        Ok(SeatsChanged { changed: changed.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }

    /// Batch authorization of a department subtree, the largest batch there is: the seats move
    /// in one statement that returns whose moved, so 100,000 ids do not travel there and back.
    async fn enable_subtree(
        &self,
        mut tx: Tx,
        permit: &keiretsu_domain::identity::Permit,
        unit: Option<&UnitId>,
        department: &DepartmentId,
    ) -> Result<SeatsChanged> {
        let org = permit.org().as_str();
        let who = self.people_of(&mut tx, permit.org(), unit.map(|u| u.as_str())).await?;
        let people = who.org.clone();
        who.check_department(&mut tx, department.as_str()).await?;
        let deps = who.narrow(subtree_of(&mut tx, &people, department.as_str()).await?);
        let now = self.now();
        let reason = SeatReason::Manual;
        let backend = self.store.backend();
        let moved = store::enable_in_departments(&mut tx, backend, org, &people, &deps, reason, now).await?;
        if !moved.is_empty() && store::take_seats(&mut tx, org, moved.len() as i64).await?.is_none() {
            // Dropping the transaction undoes the rows written above.
            return Err(DomainError::conflict("seats", Rule::Reason(Reason::SeatsNotEnough)).into());
        }
        store::add_usage(&mut tx, org, &[(people, moved.len() as i64)]).await?;
        warn_if_crossed(&mut tx, org, now).await?;
        let pool = store::pool(&mut tx, org).await?.ok_or(NO_LICENSE)?;
        let change = seat_change(permit.actor(), org, SeatStatus::Enabled, reason, &moved);
        self.commit(tx, &change.into_iter().collect::<Vec<_>>()).await?;
        Ok(SeatsChanged { changed: moved.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }

    /// Releases the seats still held by members who left before releases were automatic.
    pub async fn release_departed(&self, caller: &Caller, org: &OrgId) -> Result<SeatsChanged> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut tx = self.store.write().await?;
        let backend = tx.backend();
        store::lock_pool(&mut tx, backend, permit.org().as_str()).await?.ok_or(NO_LICENSE)?;
        let held: Vec<String> =
            store::departed_holders(&mut tx, org.as_str()).await?.into_iter().map(|(m, _)| m).collect();
        let change =
            release(&mut tx, backend, org.as_str(), &held, SeatReason::Departure, permit.actor(), self.now()).await?;
        let pool = store::pool(&mut tx, org.as_str()).await?.ok_or(NO_LICENSE)?;
        self.commit(tx, &change.into_iter().collect::<Vec<_>>()).await?;
        Ok(SeatsChanged { changed: held.len() as u64, counts: rules::counts(pool.purchased, pool.assigned) })
    }
}

/// One member's place in their organization's seat pool, with what decides it.
#[derive(Clone, Debug)]
pub struct MemberSeat {
    pub status: SeatStatus,
    /// Why the seat last moved, when it has.
    pub reason: Option<SeatReason>,
    /// Auto-authorization gives a seat on a first visit.
    pub auto_authorize: bool,
    /// The pool has an unassigned seat.
    pub room: bool,
}

impl Cases<'_> {
    /// A member's seat and why, for a license administrator of the member's organization;
    /// `None` when the organization has no license.
    pub async fn member_seat(
        &self,
        caller: &Caller,
        org: &OrgId,
        member: &keiretsu_domain::ids::MemberId,
    ) -> Result<Option<MemberSeat>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::License)).await?;
        let mut c = self.store.read().await?;
        dir::member(&mut c, permit.org(), member.as_str()).await?.ok_or(DomainError::NotFound { what: "member" })?;
        let Some(pool) = store::pool(&mut c, org.as_str()).await? else { return Ok(None) };
        let seat = store::seat(&mut c, org.as_str(), member.as_str()).await?;
        Ok(Some(MemberSeat {
            status: seat.as_ref().map_or(SeatStatus::Never, |s| s.status),
            reason: seat.map(|s| s.reason),
            auto_authorize: pool.auto_on != 0,
            room: pool.purchased.is_none_or(|p| pool.assigned < p),
        }))
    }
}
