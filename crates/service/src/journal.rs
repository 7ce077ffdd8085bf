//! Reading, exporting and verifying the journal.

use keiretsu_domain::identity::{Caller, Need, Scope};
use keiretsu_domain::ids::{AccountId, MemberId, OrgId};
use keiretsu_domain::journal::{ChainBreak, Entry, Verifier};
use keiretsu_domain::time::{format_rfc3339, parse_range_end, parse_rfc3339};
use keiretsu_domain::{DomainError, Reason, Rule};
pub use keiretsu_store::journal::Named;
use keiretsu_store::journal::{self as store, Query};
use serde::Deserialize;
use std::collections::HashMap;

use crate::Result;
use crate::page::{Page, page_limit};

crate::use_cases!();

/// The most rows one CSV export holds; more is a filter to narrow, not a file to wait for.
pub const CSV_MAX_ROWS: usize = 100_000;

/// Ids and what the viewer may know them as.
#[derive(Clone, Debug, Default)]
pub struct Names(HashMap<String, Named>);

impl From<Vec<Named>> for Names {
    fn from(rows: Vec<Named>) -> Names {
        Names(rows.into_iter().map(|n| (n.id.clone(), n)).collect())
    }
}

impl Names {
    pub fn get(&self, id: &str) -> Option<&Named> {
        self.0.get(id)
    }

    /// "Li Na (Acme)" for a person, the name for anything else, "" for an id the viewer may not see.
    pub fn full(&self, id: &str) -> String {
        match self.0.get(id) {
            Some(Named { name, org_name: Some(org), .. }) => format!("{name} ({org})"),
            Some(n) => n.name.clone(),
            None => String::new(),
        }
    }
}

impl Names {
    /// The ids named in an entry's details with their names, `id=name` joined by `; `.
    pub fn in_details(&self, details: &str) -> String {
        let mut ids = Vec::new();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(details) {
            walk(&v, &mut ids);
        }
        ids.dedup();
        ids.iter().filter_map(|id| self.get(id).map(|n| format!("{id}={}", n.name))).collect::<Vec<_>>().join("; ")
    }
}

/// Id-shaped strings (`xxx_...`) anywhere in a JSON value.
fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.len() > 4 && s.as_bytes()[3] == b'_' => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
        _ => {}
    }
}

/// Whose journal the caller reads: its acting organization's (as primary admin or audit
/// sub-admin), or the platform's for the operator (`None`).
fn viewer(caller: &Caller) -> Result<Option<String>> {
    match caller.acting() {
        Some(acting) => Ok(Some(caller.permit(&acting.org.clone(), Need::Manage(Scope::Audit))?.org().to_string())),
        None => {
            caller.operator()?;
            Ok(None)
        }
    }
}

/// Every id an entry mentions: actor, organization, target, and id-shaped strings in its details.
fn mentioned(entries: &[Entry]) -> Vec<String> {
    let mut out = Vec::new();
    for e in entries {
        out.push(e.actor.clone());
        out.push(e.target.clone());
        out.extend(e.organization.clone());
        if let Ok(details) = serde_json::from_str::<serde_json::Value>(&e.details) {
            walk(&details, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// From this time on (UTC, `2026-11-24` or `2026-11-24T09:30:00Z`).
    #[param(schema_with = keiretsu_domain::time::time_schema)]
    pub from: Option<String>,
    /// Up to this time; a date alone includes that whole day.
    #[param(schema_with = keiretsu_domain::time::time_schema)]
    pub to: Option<String>,
    #[param(
        max_length = 200,
        pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F]*[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub actor: Option<String>,
    /// An action (`member.join`) or a family of them (`member`).
    #[param(
        max_length = 200,
        pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F]*[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub action: Option<String>,
    #[param(
        max_length = 200,
        pattern = "^[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F]*[\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub target: Option<String>,
    /// One person as actor or target: a member id (`mem_`) or an account id (`acc_`).
    #[param(pattern = "^(mem|acc)_[a-z0-9_]{1,64}$")]
    pub person: Option<String>,
    /// Entries about one organization: recorded in it, aimed at it or its units, naming it in
    /// their details, or made by its members.
    #[param(pattern = "^org_[a-z0-9_]{1,64}$")]
    pub organization: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The outcome of walking the whole chain.
#[derive(Clone, Debug)]
pub struct Verification {
    pub checked: u64,
    pub first_break: Option<ChainBreak>,
}

impl Cases<'_> {
    async fn journal_query(&self, caller: &Caller, q: &JournalQuery) -> Result<Query> {
        // The primary admin and audit sub-admins read their organization's journal; the operator
        // reads the platform's own entries (organizations, certification, accounts).
        let org = match caller.acting() {
            Some(acting) => Some(caller.permit(&acting.org.clone(), Need::Manage(Scope::Audit))?.org().to_string()),
            None => {
                caller.operator()?;
                None
            }
        };
        let before = q
            .cursor
            .as_deref()
            .map(|c| {
                // A revision: 1 to 18 digits, so it always fits.
                Some(c)
                    .filter(|c| (1..=18).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|c| c.parse::<i64>().ok())
                    .ok_or_else(|| DomainError::invalid("cursor", Rule::Reason(Reason::CursorFormat)))
            })
            .transpose()?;
        let text = |field: &str, v: &Option<String>| -> Result<Option<String>> {
            Ok(v.as_deref().map(|s| keiretsu_domain::directory::optional_text(field, s, 200)).transpose()?.flatten())
        };
        // An id or nothing: an empty or padded value is refused, as the document says.
        let person = match q.person.as_deref() {
            Some(p) => {
                if MemberId::parse(p).is_err() && AccountId::parse(p).is_err() {
                    return Err(DomainError::invalid("person", Rule::Reason(Reason::JournalPersonFormat)).into());
                }
                Some(store::person(&mut *self.store.read().await?, org.as_deref(), p).await?)
            }
            None => None,
        };
        let about_org = q
            .organization
            .as_deref()
            .map(|o| {
                OrgId::parse(o)
                    .map(|o| o.to_string())
                    .map_err(|_| DomainError::invalid("organization", Rule::IdPrefix("org_")))
            })
            .transpose()?;
        Ok(Query {
            person,
            about_org,
            platform_only: org.is_none(),
            org,
            from: q.from.as_deref().map(|t| parse_rfc3339("from", t)).transpose()?,
            to: q.to.as_deref().map(|t| parse_range_end("to", t)).transpose()?,
            actor: text("actor", &q.actor)?,
            action: text("action", &q.action)?,
            target: text("target", &q.target)?,
            before,
            limit: page_limit(q.limit)?,
        })
    }

    pub async fn entries(&self, caller: &Caller, q: &JournalQuery) -> Result<Page<Entry>> {
        let query = self.journal_query(caller, q).await?;
        let items = store::query(&mut *self.store.read().await?, &query).await?;
        let next_cursor =
            (items.len() as i64 == query.limit).then(|| items.last().map(|e| e.revision.to_string())).flatten();
        Ok(Page { items, next_cursor })
    }

    /// The journal as CSV, every page of the filter, newest first.
    pub async fn journal_csv(&self, caller: &Caller, q: &JournalQuery) -> Result<String> {
        let mut query = self.journal_query(caller, q).await?;
        query.limit = 1000;
        let viewer = query.org.clone();
        let mut out = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| crate::Error::Internal(e.to_string());
        out.write_record([
            "revision",
            "time",
            "actor",
            "actor_name",
            "organization",
            "organization_name",
            "action",
            "target",
            "target_name",
            "details",
            "details_names",
            "hash",
        ])
        .map_err(io)?;
        let mut c = self.store.read().await?;
        let mut rows = 0;
        loop {
            let page = store::query(&mut c, &query).await?;
            rows += page.len();
            if rows > CSV_MAX_ROWS {
                return Err(DomainError::invalid("to", Rule::Reason(Reason::ExportTooLarge)).into());
            }
            let names = Names::from(store::names(&mut c, viewer.as_deref(), &mentioned(&page)).await?);
            for e in &page {
                let org = e.organization.as_deref().unwrap_or("");
                out.write_record([
                    e.revision.to_string().as_str(),
                    &format_rfc3339(e.at),
                    &e.actor,
                    &names.full(&e.actor),
                    org,
                    &names.full(org),
                    &e.action,
                    &e.target,
                    &names.full(&e.target),
                    &e.details,
                    &names.in_details(&e.details),
                    &e.hash,
                ])
                .map_err(io)?;
            }
            match page.last() {
                Some(last) if page.len() as i64 == query.limit => query.before = Some(last.revision),
                _ => break,
            }
        }
        let bytes = out.into_inner().map_err(|e| crate::Error::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| crate::Error::Internal(e.to_string()))
    }

    /// What the ids in `entries` (actors, targets, organizations and ids in the details) stand
    /// for, as far as the caller may see them; the rest stay ids.
    pub async fn names(&self, caller: &Caller, entries: &[Entry]) -> Result<Names> {
        let viewer = viewer(caller)?;
        Ok(Names::from(store::names(&mut *self.store.read().await?, viewer.as_deref(), &mentioned(entries)).await?))
    }

    /// The organizations the caller's journal can be filtered by, by name.
    pub async fn organizations(&self, caller: &Caller) -> Result<Vec<Named>> {
        let viewer = viewer(caller)?;
        Ok(store::organizations(&mut *self.store.read().await?, viewer.as_deref()).await?)
    }

    /// Walks the whole chain from the first entry; the first break names the first bad entry.
    pub async fn verify_journal(&self) -> Result<Verification> {
        let mut verifier = Verifier::default();
        let mut c = self.store.read().await?;
        let mut after = 0;
        loop {
            let page = store::chain_page(&mut c, after, store::CHAIN_PAGE).await?;
            for e in &page {
                if let Err(b) = verifier.check(e) {
                    return Ok(Verification { checked: verifier.checked, first_break: Some(b) });
                }
            }
            match page.last() {
                Some(last) => after = last.revision,
                None => {
                    return Ok(Verification { checked: verifier.checked, first_break: None });
                }
            }
        }
    }

    pub async fn latest_revision(&self) -> Result<i64> {
        Ok(store::latest_revision(&mut *self.store.read().await?).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// Every string literal shaped like family.verb in the service's code is an action it journals (the demo's
    /// logins aside): each must be in `ACTIONS`, so the console can offer and name it.
    #[test]
    fn every_journaled_action_is_listed() {
        let listed = keiretsu_domain::journal::ACTIONS;
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "ACTIONS is sorted and without repeats");
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut found = std::collections::BTreeSet::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && path.file_stem().is_none_or(|s| s != "demo") {
                    let src = std::fs::read_to_string(&path).unwrap();
                    for lit in src.split('"').skip(1).step_by(2) {
                        let parts: Vec<&str> = lit.split('.').collect();
                        let word = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                        if (2..=3).contains(&parts.len()) && parts.iter().all(word) {
                            found.insert(lit.to_owned());
                        }
                    }
                }
            }
        }
        assert!(found.len() > 50, "found only {} actions", found.len());
        let missing: Vec<_> = found.iter().filter(|a| !listed.contains(&a.as_str())).collect();
        assert!(missing.is_empty(), "journaled but not in journal::ACTIONS: {missing:?}");
    }
}
