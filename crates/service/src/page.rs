//! Page sizes and opaque cursors shared by every list.

use keiretsu_domain::{DomainError, Reason, Rule};
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A requested page size: 1 to 200, 50 when absent; anything else is refused, naming `limit`.
pub fn page_limit(limit: Option<i64>) -> Result<i64, DomainError> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(DomainError::invalid("limit", Rule::Range { min: 1, max: MAX_LIMIT })),
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page { items: Vec::new(), next_cursor: None }
    }
}

/// Encodes cursor parts as hex, so a cursor is opaque and URL-safe.
pub fn encode_cursor(parts: &[&str]) -> String {
    keiretsu_domain::journal::hex(parts.join("\u{0}").as_bytes())
}

pub fn bad_cursor() -> DomainError {
    DomainError::invalid("cursor", Rule::Reason(Reason::CursorFormat))
}

pub fn decode_cursor(cursor: &str, n: usize) -> Result<Vec<String>, DomainError> {
    let bad = bad_cursor;
    // An empty cursor would read as one empty part: a first page asked for wrongly.
    if cursor.is_empty() || !cursor.len().is_multiple_of(2) || cursor.len() > 2048 {
        return Err(bad());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<String> = text.split('\u{0}').map(str::to_owned).collect();
    if parts.len() == n { Ok(parts) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&["Zhang Wei", "mem_x"]);
        assert_eq!(decode_cursor(&c, 2).unwrap(), vec!["Zhang Wei", "mem_x"]);
        assert!(decode_cursor("zz", 2).is_err());
        assert!(decode_cursor("", 1).is_err());
        assert!(decode_cursor(&c, 3).is_err());
        let out_of_range = Err(DomainError::invalid("limit", Rule::Range { min: 1, max: 200 }));
        assert_eq!(page_limit(Some(201)), out_of_range);
        assert_eq!(page_limit(Some(0)), out_of_range);
        assert_eq!(page_limit(Some(200)), Ok(200));
        assert_eq!(page_limit(None), Ok(50));
    }
}
