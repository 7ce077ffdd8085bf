//! The network address book: people across the backbone and its units, under the network's visibility.

use super::*;

// ----- the address book -----

/// One person in a network's address book: a unit's member, or a backbone network member
/// (no unit).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonRow {
    pub member_id: String,
    pub account_id: String,
    pub name: String,
    pub title: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
    pub org_id: String,
    pub org_name: String,
    pub unit_id: Option<String>,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PeopleFilter {
    /// `None`: every active unit; otherwise these units and the units of these types.
    pub scope: Option<(Vec<String>, Vec<String>)>,
    /// Only this unit's people (`Some("")`: only the backbone's).
    pub unit: Option<String>,
    /// Only members of these departments.
    pub departments: Option<Vec<String>>,
    /// Lowercase substring of name, login, phone, email or employee number.
    pub text: Option<String>,
    /// `(name, member id)` of the last person of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

const PERSON_COLUMNS: &str = "m.id AS member_id, m.account_id, m.name, m.title, m.status, m.org_id, o.name AS org_name";

/// Units in scope up to which the address book is read unit by unit (each unit's members come
/// in name order from an index, and the few thousand people are sorted); above it, the book is
/// read by walking all members in name order and keeping those of the network.
pub const NARROW_UNITS: i64 = 50;

/// The address book in name order: active members of the active units in scope, then the
/// backbone's network members, merged.
///
/// Three plans give the same rows:
/// - narrow (one unit, only the backbone, departments, or a scope of few units): the two halves
///   of the book unit by unit, merged and sorted;
/// - text of three characters or more: the trigram index first, then the matches sorted;
/// - otherwise: members walked in name order (`members_status_name`), starting at the cursor,
///   each kept when its organization is an active unit in scope or it is a network member.
///
/// The service answers the wide questions (the last two plans) from its people index and
/// [`people_by_ids`]; they run here while that index is being built.
pub async fn people(c: &mut AnyConnection, network: &str, f: &PeopleFilter) -> Result<Vec<PersonRow>> {
    let sqlite = c.backend_name() == "SQLite";
    let pattern = f.text.as_ref().map(|t| format!("%{}%", t.replace(['%', '_'], "")));
    // A department filter keeps few people: found through `member_departments`.
    let narrow = f.departments.is_some()
        || match (&f.unit, &f.scope) {
            (Some(_), _) => true,
            (None, None) => false,
            (None, Some((ids, types))) => scoped_units(c, network, ids, types).await? < NARROW_UNITS,
        };
    if narrow {
        return people_by_unit(c, network, f, pattern.as_deref()).await;
    }
    // A term of three characters or more is looked up in the trigram index first and its
    // matches sorted. Walking names instead looks fast for a common term but is not: a name
    // term's matches sit together in name order (all the "Wang"s), so the walk reads every name
    // before them first (measured at 1M members: 1.5 s for "wang", 0.7 s index first).
    let sparse = pattern.as_ref().is_some_and(|p| p.chars().count() >= 5);
    let mut binds: Vec<String> = vec![network.to_owned()];
    let mut p = |v: &str| {
        binds.push(v.to_owned());
        format!("${}", binds.len())
    };
    let mut unit_on = format!("u.org_id = m.org_id AND u.network_id = $1 AND u.status = 'active' AND {BROUGHT}");
    if let Some((ids, types)) = &f.scope {
        let ids_sql =
            if ids.is_empty() { "NULL".to_owned() } else { ids.iter().map(|v| p(v)).collect::<Vec<_>>().join(", ") };
        let types_sql = if types.is_empty() {
            "NULL".to_owned()
        } else {
            types.iter().map(|v| p(v)).collect::<Vec<_>>().join(", ")
        };
        unit_on += &format!(" AND (u.id IN ({ids_sql}) OR u.partner_type IN ({types_sql}))");
    }
    let from = match (sparse, sqlite) {
        // The trigram table drives; each match is looked up by rowid.
        (true, true) => "member_search s CROSS JOIN members m ON m.rowid = s.rowid",
        _ => "members m",
    };
    let mut sql = format!(
        "SELECT m.id AS member_id, m.account_id, m.name, m.title, m.status, m.org_id, \
         (SELECT o.name FROM organizations o WHERE o.id = m.org_id) AS org_name, \
         u.id AS unit_id, u.partner_type, u.tier FROM {from} LEFT JOIN units u ON {unit_on} \
         WHERE m.status = 'active' AND (u.id IS NOT NULL OR EXISTS \
         (SELECT 1 FROM network_members nm WHERE nm.network_id = $1 AND nm.member_id = m.id))"
    );
    if let Some(t) = &pattern {
        let column = if sparse && sqlite { "s.search" } else { "m.search" };
        sql += &format!(" AND {column} LIKE {}", p(t));
    }
    if let Some((name, id)) = &f.after {
        let (a, b) = (p(name), p(id));
        // `>=` bounds the walk so it starts at the cursor; the rest is the exact cursor.
        sql += &format!(
            " AND m.name{c} >= {a} AND (m.name{c} > {a} OR (m.name = {a} AND m.id > {b}))",
            c = collate(sqlite)
        );
    }
    // PostgreSQL would walk the name index for a sparse term too; an order the index cannot
    // give (the same order) makes it take the trigram index and sort the few matches.
    let order = if sparse && !sqlite { "(m.name || '')" } else { "m.name" };
    sql += &format!(" ORDER BY {order}{}, m.id LIMIT ${}", collate(sqlite), binds.len() + 1);
    let mut q = sqlx::query_as(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// Names sort in byte order on both databases, as the people index sorts them, so a page from
/// one and the next from the other agree whatever the server's locale.
fn collate(sqlite: bool) -> &'static str {
    if sqlite { "" } else { " COLLATE \"C\"" }
}

/// How many active units of the network are in scope, counted up to [`NARROW_UNITS`].
async fn scoped_units(c: &mut AnyConnection, network: &str, ids: &[String], types: &[String]) -> Result<i64> {
    if types.is_empty() {
        return Ok(ids.len() as i64);
    }
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM units WHERE network_id = $1 AND status = 'active' \
         AND partner_type IN ({}) LIMIT {NARROW_UNITS}) AS x",
        placeholders(2, types.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(network);
    for t in types {
        q = q.bind(t);
    }
    let by_type: i64 = q.fetch_one(c).await?;
    Ok(by_type + ids.len() as i64)
}

/// The narrow plan: each half of the book from its own index, merged and sorted.
async fn people_by_unit(
    c: &mut AnyConnection,
    network: &str,
    f: &PeopleFilter,
    pattern: Option<&str>,
) -> Result<Vec<PersonRow>> {
    let sqlite = c.backend_name() == "SQLite";
    let mut n = 1;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let mut units = format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM units u \
         JOIN members m ON m.org_id = u.org_id JOIN organizations o ON o.id = u.org_id \
         WHERE u.network_id = $1 AND u.status = 'active' AND m.status = 'active' AND {BROUGHT}"
    );
    let mut backbone = format!(
        "SELECT {PERSON_COLUMNS}, NULL AS unit_id, NULL AS partner_type, NULL AS tier FROM network_members nm \
         JOIN members m ON m.id = nm.member_id JOIN organizations o ON o.id = m.org_id \
         WHERE nm.network_id = $1 AND m.status = 'active'"
    );
    let mut binds: Vec<String> = Vec::new();
    if let Some((ids, types)) = &f.scope {
        let list = |n: usize, p: &mut dyn FnMut() -> String| (0..n).map(|_| p()).collect::<Vec<_>>().join(", ");
        // Written so each part can use an index: the ids the primary key, the types
        // `units_network`.
        let mut parts = vec![];
        if !ids.is_empty() {
            parts.push(format!("u.id IN ({})", list(ids.len(), &mut p)));
        }
        if !types.is_empty() {
            parts.push(format!("u.partner_type IN ({})", list(types.len(), &mut p)));
        }
        units += &if parts.is_empty() { " AND 1 = 0".to_owned() } else { format!(" AND ({})", parts.join(" OR ")) };
        binds.extend(ids.iter().cloned());
        binds.extend(types.iter().cloned());
    }
    match f.unit.as_deref() {
        Some("") => units += " AND 1 = 0",
        Some(u) => {
            units += &format!(" AND u.id = {}", p());
            binds.push(u.to_owned());
            backbone += " AND 1 = 0";
        }
        None => {}
    }
    if let Some(deps) = &f.departments {
        let list: Vec<String> = deps.iter().map(|_| p()).collect();
        let list = if list.is_empty() { "NULL".to_owned() } else { list.join(", ") };
        let clause = format!(" AND m.id IN (SELECT member_id FROM member_departments WHERE department_id IN ({list}))");
        units += &clause;
        backbone += &clause;
        binds.extend(deps.iter().cloned());
    }
    if let Some(t) = pattern {
        let (a, b) = (p(), p());
        units += &format!(" AND m.search LIKE {a}");
        backbone += &format!(" AND m.search LIKE {b}");
        binds.push(t.to_owned());
        binds.push(t.to_owned());
    }
    if let Some((name, id)) = &f.after {
        let (a, b, d) = (p(), p(), p());
        let (a2, b2, d2) = (p(), p(), p());
        // In each half, so each walks its index from the cursor on.
        let c = collate(sqlite);
        units += &format!(" AND (m.name{c} > {a} OR (m.name = {b} AND m.id > {d}))");
        backbone += &format!(" AND (m.name{c} > {a2} OR (m.name = {b2} AND m.id > {d2}))");
        binds.extend([name.clone(), name.clone(), id.clone(), name.clone(), name.clone(), id.clone()]);
    }
    let sql = format!(
        "SELECT * FROM ({units} UNION ALL {backbone}) AS people ORDER BY name{}, member_id LIMIT {}",
        collate(sqlite),
        p()
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    for b in &binds {
        q = q.bind(b);
    }
    Ok(q.bind(f.limit).fetch_all(c).await?)
}

/// One person of a network, whatever their status (a person page shows who left too).
pub async fn person(c: &mut AnyConnection, network: &str, member: &str) -> Result<Option<PersonRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM members m \
         JOIN organizations o ON o.id = m.org_id \
         LEFT JOIN units u ON u.org_id = m.org_id AND u.network_id = $1 AND u.status <> 'removed' AND {BROUGHT} \
         WHERE m.id = $2 AND (u.id IS NOT NULL OR m.id IN (SELECT member_id FROM network_members WHERE network_id = $3))"
    ))
    .bind(network)
    .bind(member)
    .bind(network)
    .fetch_optional(c)
    .await?)
}

/// The rows of a page the people index chose, in no particular order, for those still active:
/// each member with their organization's active unit in the network, if any.
pub async fn people_by_ids(c: &mut AnyConnection, network: &str, ids: &[String]) -> Result<Vec<PersonRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, u.id AS unit_id, u.partner_type, u.tier FROM members m \
         JOIN organizations o ON o.id = m.org_id \
         LEFT JOIN units u ON u.org_id = m.org_id AND u.network_id = $1 AND u.status = 'active' AND {BROUGHT} \
         WHERE m.status = 'active' AND m.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(c).await?)
}
