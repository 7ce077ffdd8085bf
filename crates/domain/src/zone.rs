//! Time zones: a person's chosen zone, checked against the tz database compiled into the binary
//! (no `/usr/share/zoneinfo` needed), and instants read as wall-clock time in it.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::Reason;
use crate::error::{DomainError, Rule};
use crate::time::Millis;

/// A zone of the tz database, by its canonical name (`Asia/Shanghai`, `UTC`).
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

/// Wall-clock time at an instant in a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Local {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
    /// Seconds east of UTC in force at that instant.
    pub offset: i32,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone { name: "UTC".into(), tz: TimeZone::UTC }
    }

    /// A name from the tz database, as a browser's `Intl` reports it; letter case is forgiven and
    /// the database's own spelling kept.
    pub fn parse(field: &str, text: &str) -> Result<Zone, DomainError> {
        let bad = || DomainError::invalid(field, Rule::Reason(Reason::TimeZoneFormat));
        let text = text.trim();
        // Names are short ASCII paths; anything else (a POSIX rule, a file path) is not one.
        if text.is_empty()
            || text.len() > 64
            || text.starts_with('/')
            || text.contains("..")
            || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
        {
            return Err(bad());
        }
        let tz = jiff::tz::db().get(text).map_err(|_| bad())?;
        let name = tz.iana_name().unwrap_or(text).to_owned();
        Ok(Zone { name, tz })
    }

    /// Every name the database knows, sorted, for a picker.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        names.sort();
        names
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn local(&self, at: Millis) -> Local {
        let ts = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
        let z = ts.to_zoned(self.tz.clone());
        Local {
            year: z.year(),
            month: z.month(),
            day: z.day(),
            hour: z.hour(),
            minute: z.minute(),
            second: z.second(),
            offset: z.offset().seconds(),
        }
    }

    /// The instant a calendar day (`2026-12-03`) begins here: the first moment that exists,
    /// when a clock change skips midnight.
    pub fn day_start(&self, field: &str, date: &str) -> Result<Millis, DomainError> {
        let bad = || DomainError::invalid(field, Rule::Reason(Reason::DateFormat));
        // The same shape and calendar check as the API's dates.
        crate::time::parse_rfc3339(field, date).map_err(|_| bad())?;
        if date.len() != 10 {
            return Err(bad());
        }
        let d: jiff::civil::Date = date.parse().map_err(|_| bad())?;
        let start = d.to_zoned(self.tz.clone()).map_err(|_| bad())?.start_of_day().map_err(|_| bad())?;
        Ok(start.timestamp().as_millisecond())
    }
}

impl Zone {
    /// The end of a day here, exclusive: the start of the next, so "to 2026-12-03" includes all of it.
    pub fn day_end(&self, field: &str, date: &str) -> Result<Millis, DomainError> {
        let start = self.day_start(field, date)?;
        let bad = || DomainError::invalid(field, Rule::Reason(Reason::DateFormat));
        let d: jiff::civil::Date = date.parse().map_err(|_| bad())?;
        let next = d.tomorrow().map_err(|_| bad())?;
        self.day_start(field, &next.to_string()).map(|end| end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    fn at(text: &str) -> Millis {
        parse_rfc3339("t", text).unwrap()
    }

    #[test]
    fn names_come_from_the_database() {
        assert_eq!(Zone::parse("time_zone", "Asia/Shanghai").unwrap().name(), "Asia/Shanghai");
        assert_eq!(Zone::parse("time_zone", "europe/berlin").unwrap().name(), "Europe/Berlin");
        assert_eq!(Zone::parse("time_zone", "UTC").unwrap().name(), "UTC");
        let names = Zone::names();
        assert!(names.len() > 300 && names.iter().any(|n| n == "Asia/Shanghai"), "{}", names.len());
        for bad in
            ["", "Mars/Olympus", "../etc/passwd", "/usr/share/zoneinfo/UTC", "EST5EDT,M3.2.0,M11.1.0", "Asia/Shang hai"]
        {
            let e = Zone::parse("time_zone", bad).unwrap_err();
            assert!(e.to_string().contains("time_zone"), "{bad}: {e}");
        }
    }

    #[test]
    fn wall_clock_follows_daylight_saving() {
        let berlin = Zone::parse("z", "Europe/Berlin").unwrap();
        // 2026-03-29 01:00 UTC: clocks jump from 02:00 to 03:00 local.
        let before = berlin.local(at("2026-03-29T00:59:59Z"));
        assert_eq!((before.hour, before.minute, before.offset), (1, 59, 3600));
        let after = berlin.local(at("2026-03-29T01:00:00Z"));
        assert_eq!((after.hour, after.minute, after.offset), (3, 0, 7200));
        // 2026-10-25 01:00 UTC: 03:00 local falls back to 02:00; 02:30 happens twice.
        let first = berlin.local(at("2026-10-25T00:30:00Z"));
        let second = berlin.local(at("2026-10-25T01:30:00Z"));
        assert_eq!((first.hour, first.minute, first.offset), (2, 30, 7200));
        assert_eq!((second.hour, second.minute, second.offset), (2, 30, 3600));
        let shanghai = Zone::parse("z", "Asia/Shanghai").unwrap().local(at("2026-12-03T16:30:00Z"));
        assert_eq!((shanghai.year, shanghai.month, shanghai.day, shanghai.hour), (2026, 12, 4, 0));
    }

    #[test]
    fn a_day_starts_at_local_midnight_or_the_first_moment_after() {
        let shanghai = Zone::parse("z", "Asia/Shanghai").unwrap();
        assert_eq!(shanghai.day_start("from", "2026-12-03").unwrap(), at("2026-12-02T16:00:00Z"));
        assert_eq!(Zone::utc().day_start("from", "2026-12-03").unwrap(), at("2026-12-03"));
        // Havana skips midnight to 01:00 on its spring change (2026-03-08).
        let havana = Zone::parse("z", "America/Havana").unwrap();
        assert_eq!(havana.day_start("from", "2026-03-08").unwrap(), at("2026-03-08T05:00:00Z"));
        assert_eq!(shanghai.day_end("to", "2026-12-03").unwrap(), at("2026-12-03T16:00:00Z"));
        // A day with a clock change is 23 or 25 hours long.
        let berlin = Zone::parse("z", "Europe/Berlin").unwrap();
        let (start, end) = (berlin.day_start("d", "2026-10-25").unwrap(), berlin.day_end("d", "2026-10-25").unwrap());
        assert_eq!(end - start, 25 * 3_600_000);
        assert!(shanghai.day_start("from", "2026-02-30").is_err());
        assert!(shanghai.day_start("from", "2026-12-03T00:00:00Z").is_err());
    }
}
