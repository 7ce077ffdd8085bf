//! What the people index is built and refreshed from.

use super::*;

// ----- the people index -----

#[derive(sqlx::FromRow)]
struct PersonFactsRow {
    id: String,
    org_id: String,
    name: String,
    search: String,
    #[sqlx(try_from = "String")]
    status: MemberStatus,
}

#[derive(sqlx::FromRow)]
struct UnitFactsRow {
    id: String,
    network_id: String,
    org_id: String,
    partner_type: String,
    #[sqlx(try_from = "String")]
    status: UnitStatus,
    #[sqlx(try_from = "String")]
    brings: Brings,
}

fn person_facts(m: PersonFactsRow) -> PersonFacts {
    PersonFacts { id: m.id, org: m.org_id, name: m.name, key: m.search, active: m.status == MemberStatus::Active }
}

const PERSON_FACTS: &str = "SELECT id, org_id, name, search, status FROM members";

/// Units as both indexes take them, with whether each is removed: every unit when `column` is
/// `None`, otherwise those whose `column` is one of `ids`.
pub async fn unit_facts(c: &mut AnyConnection, column: Option<&str>, ids: &[String]) -> Result<Vec<(UnitFacts, bool)>> {
    const UNITS: &str = "SELECT id, network_id, org_id, partner_type, status, brings FROM units";
    const TOPS: &str = "SELECT unit_id, department_id FROM unit_departments WHERE top = 1";
    let (rows, tops_rows): (Vec<UnitFactsRow>, Vec<(String, String)>) = match column {
        None => (sqlx::query_as(UNITS).fetch_all(&mut *c).await?, sqlx::query_as(TOPS).fetch_all(&mut *c).await?),
        Some(column) => {
            let rows: Vec<UnitFactsRow> = rows_in(c, &format!("{UNITS} WHERE {column} IN (?)"), ids).await?;
            let scoped: Vec<String> =
                rows.iter().filter(|r| r.brings == Brings::Departments).map(|r| r.id.clone()).collect();
            let tops = rows_in(c, &format!("{TOPS} AND unit_id IN (?)"), &scoped).await?;
            (rows, tops)
        }
    };
    let mut tops: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (u, d) in tops_rows {
        tops.entry(u).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .map(|u| {
            let departments = (u.brings == Brings::Departments).then(|| tops.remove(&u.id).unwrap_or_default());
            let facts = UnitFacts {
                active: u.status == UnitStatus::Active,
                id: u.id,
                network: u.network_id,
                org: u.org_id,
                partner_type: u.partner_type,
                departments,
            };
            (facts, u.status == UnitStatus::Removed)
        })
        .collect())
}

/// `(unit, member)`: the active people of units that bring departments, all of them or those
/// of `units`.
async fn brought(c: &mut AnyConnection, units: Option<&[String]>) -> Result<Vec<(String, String)>> {
    const SQL: &str = "SELECT DISTINCT ud.unit_id, md.member_id FROM unit_departments ud \
        JOIN units u ON u.id = ud.unit_id JOIN member_departments md ON md.department_id = ud.department_id \
        JOIN members m ON m.id = md.member_id \
        WHERE u.brings = 'departments' AND u.status <> 'removed' AND m.status = 'active'";
    match units {
        None => Ok(sqlx::query_as(SQL).fetch_all(c).await?),
        Some(units) => rows_in(c, &format!("{SQL} AND ud.unit_id IN (?)"), units).await,
    }
}

/// Everything the people index holds: active members, live units, network members.
pub async fn people_facts(c: &mut AnyConnection) -> Result<PeopleFacts> {
    let people: Vec<PersonFactsRow> =
        sqlx::query_as(&format!("{PERSON_FACTS} WHERE status = 'active'")).fetch_all(&mut *c).await?;
    let people = people.into_iter().map(person_facts).collect();
    let units = unit_facts(c, None, &[]).await?.into_iter().filter(|u| !u.1).map(|u| u.0).collect();
    let network_members =
        sqlx::query_as("SELECT network_id, member_id FROM network_members").fetch_all(&mut *c).await?;
    let brought = brought(c, None).await?;
    Ok(PeopleFacts { people, units, network_members, brought })
}

/// What a run of journal entries changed, read again for the people index.
#[derive(Debug, Default)]
pub struct PeopleRefreshed {
    /// The touched members found, whatever their status.
    pub people: Vec<PersonFacts>,
    /// `(member, networks)` for every touched member.
    pub networks: Vec<(String, Vec<String>)>,
    /// Touched units (by id or by organization) with whether they are removed.
    pub units: Vec<(UnitFacts, bool)>,
    /// For each of `units` that brings departments, all its active people.
    pub brought: Vec<(String, Vec<String>)>,
}

pub async fn refresh_people(
    c: &mut AnyConnection,
    members: &[String],
    units: &[String],
    unit_orgs: &[String],
) -> Result<PeopleRefreshed> {
    let mut out = PeopleRefreshed::default();
    let mut memberships: std::collections::HashMap<String, Vec<String>> =
        members.iter().map(|m| (m.clone(), Vec::new())).collect();
    let rows: Vec<PersonFactsRow> = rows_in(c, &format!("{PERSON_FACTS} WHERE id IN (?)"), members).await?;
    out.people = rows.into_iter().map(person_facts).collect();
    let rows: Vec<(String, String)> =
        rows_in(c, "SELECT member_id, network_id FROM network_members WHERE member_id IN (?)", members).await?;
    for (m, n) in rows {
        memberships.entry(m).or_default().push(n);
    }
    out.networks = memberships.into_iter().collect();
    out.units = unit_facts(c, Some("id"), units).await?;
    out.units.extend(unit_facts(c, Some("org_id"), unit_orgs).await?);
    let scoped: Vec<String> =
        out.units.iter().filter(|(u, _)| u.departments.is_some()).map(|(u, _)| u.id.clone()).collect();
    let mut by_unit: std::collections::HashMap<String, Vec<String>> =
        scoped.iter().map(|u| (u.clone(), Vec::new())).collect();
    for (u, m) in brought(c, Some(&scoped)).await? {
        by_unit.entry(u).or_default().push(m);
    }
    out.brought = by_unit.into_iter().collect();
    Ok(out)
}
