//! Reading, exporting and verifying the journal.

use keiretsu_domain::identity::{Caller, Need, Scope};
use keiretsu_domain::journal::{ChainBreak, Entry, Verifier};
use keiretsu_domain::time::{format_rfc3339, parse_range_end, parse_rfc3339};
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::journal::{self as store, Query};
use serde::Deserialize;

use crate::Result;
use crate::page::{Page, page_limit};

crate::use_cases!();

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
    fn journal_query(&self, caller: &Caller, q: &JournalQuery) -> Result<Query> {
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
        Ok(Query {
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
        let query = self.journal_query(caller, q)?;
        let items = store::query(&mut *self.store.read().await?, &query).await?;
        let next_cursor =
            (items.len() as i64 == query.limit).then(|| items.last().map(|e| e.revision.to_string())).flatten();
        Ok(Page { items, next_cursor })
    }

    /// The journal as CSV, every page of the filter, newest first.
    pub async fn journal_csv(&self, caller: &Caller, q: &JournalQuery) -> Result<String> {
        let mut query = self.journal_query(caller, q)?;
        query.limit = 1000;
        let mut out = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| crate::Error::Internal(e.to_string());
        out.write_record(["revision", "time", "actor", "organization", "action", "target", "details", "hash"])
            .map_err(io)?;
        let mut c = self.store.read().await?;
        loop {
            let page = store::query(&mut c, &query).await?;
            for e in &page {
                out.write_record([
                    &e.revision.to_string(),
                    &format_rfc3339(e.at),
                    &e.actor,
                    e.organization.as_deref().unwrap_or(""),
                    &e.action,
                    &e.target,
                    &e.details,
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
