//! The network address book and person page, under the network's visibility rules.

use super::*;
use keiretsu_domain::Reason;

impl Cases<'_> {
    // ----- the address book -----

    /// The network address book and person picker: the people the caller may see, in name
    /// order, filtered by text and unit.
    pub async fn people(&self, caller: &Caller, id: &NetworkId, q: &PeopleQuery) -> Result<Page<PersonView>> {
        let limit = page_limit(q.limit)?;
        let text = match &q.q {
            Some(t) => optional_text("q", t, 100)?.map(|t| t.to_lowercase()),
            None => None,
        };
        let after = match q.cursor.as_deref() {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                Some((parts[0].clone(), parts[1].clone()))
            }
            None => None,
        };
        let unit = match q.unit_id.as_deref() {
            None | Some("") => None,
            Some("backbone") => Some(String::new()),
            Some(u) => Some(UnitId::parse(u)?.to_string()),
        };
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let scope = match seen.viewer.unit_scope(seen.visibility()) {
            rules::UnitScope::Every => None,
            rules::UnitScope::Only { units, partner_types } => Some((units, partner_types)),
        };
        let departments = match q.department_id.as_deref().filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                let org = match unit.as_deref() {
                    Some("") => seen.network.org_id.clone(),
                    // A unit out of sight has no departments to filter by.
                    Some(u) => store::unit(&mut c, &seen.network.id, u)
                        .await?
                        .filter(|u| u.status == UnitStatus::Active && seen.sees_unit(u))
                        .map(|u| u.org_id)
                        .unwrap_or_default(),
                    None => {
                        return Err(DomainError::invalid("department_id", Rule::Reason(Reason::NeedsUnitId)).into());
                    }
                };
                Some(self.subtree_of(&mut c, &org, &d).await?)
            }
        };
        let filter = PeopleFilter { scope, unit, departments, text, after, limit: limit + 1 };
        let wide = filter.unit.is_none() && filter.departments.is_none();
        // `more`: the index found a person past the page, even if one of the page left meanwhile.
        let (mut rows, more) = if wide {
            // The index answers wide questions; a scope of few units stays with the SQL plan.
            drop(c);
            let hits = {
                let guard = self.people_index().await?;
                guard
                    .as_ref()
                    .and_then(|g| g.get())
                    .filter(|ix| {
                        filter.scope.as_ref().is_none_or(|(ids, types)| {
                            ix.scoped_units(&seen.network.id, ids, types) as i64 >= store::NARROW_UNITS
                        })
                    })
                    .map(|ix| {
                        ix.page(&people::Query {
                            network: &seen.network.id,
                            scope: filter.scope.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                            text: filter.text.as_deref(),
                            after: filter.after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                            limit: filter.limit as usize,
                        })
                    })
            };
            match hits {
                Some(hits) => self.rows_of(&seen.network.id, hits, limit as usize).await?,
                None => (store::people(&mut *self.store.read().await?, &seen.network.id, &filter).await?, false),
            }
        } else {
            (store::people(&mut c, &seen.network.id, &filter).await?, false)
        };
        let next_cursor = if more || rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|p| encode_cursor(&[&p.name, &p.member_id]))
        } else {
            None
        };
        Ok(Page { items: rows.into_iter().map(person_view).collect(), next_cursor })
    }

    /// The rows of the page's people the index chose, in its order, and whether it found more;
    /// the unit is dropped where the person is seen only as a network member. Someone who left
    /// since the index answered is left out.
    async fn rows_of(&self, network: &str, mut hits: Vec<people::Hit>, limit: usize) -> Result<(Vec<PersonRow>, bool)> {
        let more = hits.len() > limit;
        hits.truncate(limit);
        let ids: Vec<String> = hits.iter().map(|h| h.member.clone()).collect();
        let rows = store::people_by_ids(&mut *self.store.read().await?, network, &ids).await?;
        let mut by_id: HashMap<String, PersonRow> = rows.into_iter().map(|r| (r.member_id.clone(), r)).collect();
        let rows = hits
            .into_iter()
            .filter_map(|h| {
                let mut r = by_id.remove(&h.member)?;
                if h.unit.is_none() {
                    (r.unit_id, r.partner_type, r.tier) = (None, None, None);
                }
                Some(r)
            })
            .collect();
        Ok((rows, more))
    }

    /// A department and every department below it, in `org`; an error naming `department_id` otherwise.
    async fn subtree_of(&self, c: &mut AnyConnection, org: &str, d: &DepartmentId) -> Result<Vec<String>> {
        let all = dir::departments(c, &OrgId::from_trusted(org.to_owned())).await?;
        if !all.iter().any(|x| x.id == d.as_str()) {
            return Err(DomainError::invalid("department_id", Rule::Reason(Reason::NotUnitDepartment)).into());
        }
        let parents = all
            .iter()
            .map(|x| (DepartmentId::from_trusted(x.id.clone()), x.parent_id.clone().map(DepartmentId::from_trusted)))
            .collect();
        Ok(subtree(&parents, d).into_iter().map(String::from).collect())
    }

    /// A unit's department tree, for the address book.
    pub async fn unit_departments(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
    ) -> Result<Vec<DepartmentView>> {
        let u = {
            let mut c = self.store.read().await?;
            let seen = self.look(&mut c, caller, id).await?;
            let u = store::unit(&mut c, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
            if u.status != UnitStatus::Active || !seen.sees_unit(&u) {
                return Err(NOT_FOUND_UNIT.into());
            }
            u
        };
        // The network's rules allowed the read above; the directory lists the tree.
        let all = self.directory().departments(&Caller::System, &OrgId::from_trusted(u.org_id.clone())).await?;
        if u.brings != Brings::Departments {
            return Ok(all);
        }
        // Only the departments brought in, the chosen ones shown as roots, and only heads the
        // unit brings.
        let mut c = self.store.read().await?;
        let brought = store::unit_departments_of(&mut c, &u.id).await?;
        let heads: Vec<String> = all.iter().flat_map(|d| d.head_ids.iter().cloned()).collect();
        let heads: HashSet<String> = store::brought_of(&mut c, &u.id, &heads).await?.into_iter().collect();
        Ok(all
            .into_iter()
            .filter_map(|mut d| {
                if *brought.get(&d.id)? {
                    d.parent_id = None;
                }
                d.head_ids.retain(|h| heads.contains(h));
                Some(d)
            })
            .collect())
    }

    pub async fn person(&self, caller: &Caller, id: &NetworkId, member: &MemberId) -> Result<PersonDetail> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let p = store::person(&mut c, &seen.network.id, member.as_str()).await?.ok_or(NOT_FOUND_PERSON)?;
        let scope = seen.viewer.unit_scope(seen.visibility());
        let backbone_contacts = match (&p.unit_id, &p.partner_type) {
            (Some(u), Some(t)) => {
                if !scope.sees(u, t) {
                    return Err(NOT_FOUND_PERSON.into());
                }
                let unit = store::unit(&mut c, &seen.network.id, u).await?.ok_or(NOT_FOUND_PERSON)?;
                if unit.status != UnitStatus::Active && !seen.viewer.is_backbone() {
                    return Err(NOT_FOUND_PERSON.into());
                }
                store::contacts_of_unit(&mut c, u)
                    .await?
                    .into_iter()
                    .filter(|k| k.side == Side::Backbone)
                    .map(contact_view)
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut dep_ids: Vec<String> = dir::departments_of(&mut c, std::slice::from_ref(&p.member_id))
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        // Only the departments the unit brings: the others are not the network's to see.
        if let Some(u) = &p.unit_id
            && store::unit_by_id(&mut c, u).await?.is_some_and(|u| u.brings == Brings::Departments)
        {
            let brought = store::unit_departments_of(&mut c, u).await?;
            dep_ids.retain(|d| brought.contains_key(d));
        }
        let all = dir::departments(&mut c, &OrgId::from_trusted(p.org_id.clone())).await?;
        let departments = all.into_iter().filter(|d| dep_ids.contains(&d.id)).map(|d| d.name).collect();
        Ok(PersonDetail { person: person_view(p), departments, backbone_contacts })
    }
}
