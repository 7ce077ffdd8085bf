//! Time as epoch milliseconds (the one form both databases carry), and the clock the
//! service passes into the rules so expiry can be tested by moving a fake clock.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::{DomainError, Reason, Rule};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
}

/// A clock that only moves when a test moves it.
#[derive(Debug, Default)]
pub struct FakeClock(AtomicI64);

impl FakeClock {
    pub fn at(ms: Millis) -> Self {
        Self(AtomicI64::new(ms))
    }
    pub fn advance(&self, ms: Millis) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

// Days from the civil date, after Howard Hinnant's public-domain algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Formats as RFC 3339 in UTC with seconds, e.g. `2026-11-24T09:30:00Z`.
pub fn format_rfc3339(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// What [`parse_rfc3339`] accepts, for the API's document: the shape as a pattern (ASCII digits,
/// UTC only, at most milliseconds), and a real calendar date and time through the formats.
pub fn time_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AllOfBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    let shape = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,3})?Z)?$";
    let format = |f| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(f)));
    let all = AllOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(shape)))
        .item(OneOfBuilder::new().item(format(KnownFormat::Date)).item(format(KnownFormat::DateTime)));
    utoipa::openapi::schema::Schema::AllOf(all.build())
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC) into epoch milliseconds.
pub fn parse_rfc3339(field: &str, text: &str) -> Result<Millis, DomainError> {
    let bad = || DomainError::invalid(field, Rule::Reason(Reason::UtcDateFormat));
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, DomainError> {
        let part = text.get(r).ok_or_else(bad)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().map_err(|_| bad()) } else { Err(bad()) }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Ok(ms);
    }
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return Err(bad());
    }
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || mi > 59 || s > 59 {
        return Err(bad());
    }
    ms += (h * 3600 + mi * 60 + s) * 1000;
    match &b[19..b.len() - 1] {
        [] => Ok(ms),
        [b'.', frac @ ..] if (1..=3).contains(&frac.len()) => {
            let f = num(20..20 + frac.len())?;
            Ok(ms + f * 10_i64.pow(3 - frac.len() as u32))
        }
        _ => Err(bad()),
    }
}

/// The end of a range, exclusive: a time as [`parse_rfc3339`] reads it, and a bare date as the
/// midnight after it, so "up to 2026-11-24" includes the whole of that day.
pub fn parse_range_end(field: &str, text: &str) -> Result<Millis, DomainError> {
    let at = parse_rfc3339(field, text)?;
    Ok(if text.len() == 10 { at + 86_400_000 } else { at })
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_bare_end_date_includes_its_day() {
        let day = parse_rfc3339("to", "2026-11-24").unwrap();
        assert_eq!(parse_range_end("to", "2026-11-24").unwrap(), day + 86_400_000);
        assert_eq!(parse_range_end("to", "2026-11-24T09:30:00Z").unwrap(), day + 34_200_000);
        assert_eq!(parse_range_end("to", "2026-02-28").unwrap(), parse_rfc3339("to", "2026-03-01").unwrap());
        assert!(parse_range_end("to", "2026-02-29").is_err());
    }

    #[test]
    fn known_dates() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("t", "2026-11-24T09:30:05Z"), Ok(1_795_512_605_000));
        assert_eq!(format_rfc3339(1_795_512_605_000), "2026-11-24T09:30:05Z");
        assert_eq!(parse_rfc3339("t", "2024-02-29"), Ok(1_709_164_800_000));
        assert!(parse_rfc3339("t", "2023-02-29").is_err());
        assert!(parse_rfc3339("t", "2026-13-01").is_err());
        assert!(parse_rfc3339("t", "2026-1-01").is_err());
        assert_eq!(parse_rfc3339("from", "x").unwrap_err().field(), Some("from"));
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(secs in 0i64..10_000_000_000) {
            let ms = secs * 1000;
            prop_assert_eq!(parse_rfc3339("t", &format_rfc3339(ms)), Ok(ms));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,30}") {
            let _ = parse_rfc3339("t", &text);
        }
    }
}
