//! Money, dates and numbers typed as text: how each is read, and how amounts are written back.

use super::{DATE_FORMAT, MONEY_FORMAT, MONEY_MAX_CENTS};
use crate::error::{DomainError, Reason, Rule};

/// Parses an amount: an optional `-`, 1 to 12 whole digits, and optionally `.` with 1 or 2 decimals
/// (`1234.5`, `-3`, `0.05`; no `+`, separators or exponents). Returns cents.
pub fn parse_money(field: &str, text: &str) -> Result<i64, DomainError> {
    let bad = || DomainError::invalid(field, Rule::Reason(MONEY_FORMAT));
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((_, "")) => return Err(bad()),
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return Err(DomainError::invalid(
            field,
            Rule::Between { min: format_money(-MONEY_MAX_CENTS), max: format_money(MONEY_MAX_CENTS) },
        ));
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let cents = whole * 100 + cents;
    Ok(if negative { -cents } else { cents })
}

/// Renders cents as the stored amount: `-`, whole units, `.` and two decimals (`1234.50`).
pub fn format_money(cents: i64) -> String {
    money_text(i128::from(cents))
}

pub(super) fn money_text(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A `YYYY-MM-DD` date that exists (from 1900 on), digits only.
pub(super) fn check_date(path: &str, text: &str) -> Result<String, DomainError> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shaped {
        return Err(DomainError::invalid(path, Rule::Reason(DATE_FORMAT)));
    }
    crate::network::date(path, text)
}

/// A number typed as text: anything Rust reads as a finite f64 (`12`, `-0.5`, `1e3`).
pub(super) fn parse_number(path: &str, text: &str) -> Result<f64, DomainError> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(DomainError::invalid(path, Rule::Reason(Reason::NumberFormat))),
    }
}
