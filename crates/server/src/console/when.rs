//! Times as the viewer reads them: in their time zone, in their language's form, and as "5
//! minutes ago" while recent. Every page shows a time through [`when`] or [`when_text`].

use keiretsu_domain::time::{Millis, format_rfc3339, parse_rfc3339};
use keiretsu_domain::zone::Zone;
use maud::{Markup, html};

use super::Ctx;
use crate::i18n::{Lang, t, tf, tn};

/// The cookie in which the console's script leaves the browser's time zone, used until the
/// person chooses one on their account page.
pub const ZONE_COOKIE: &str = "tz";

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;

/// The zone a page is shown in: the account's choice, else the browser's, else UTC.
pub fn viewer_zone(chosen: Option<&str>, browser: Option<&str>) -> Zone {
    chosen.into_iter().chain(browser).find_map(|z| Zone::parse("time_zone", z).ok()).unwrap_or_else(Zone::utc)
}

fn month(lang: Lang, m: i8) -> &'static str {
    match m {
        1 => t(lang, "time.month_1"),
        2 => t(lang, "time.month_2"),
        3 => t(lang, "time.month_3"),
        4 => t(lang, "time.month_4"),
        5 => t(lang, "time.month_5"),
        6 => t(lang, "time.month_6"),
        7 => t(lang, "time.month_7"),
        8 => t(lang, "time.month_8"),
        9 => t(lang, "time.month_9"),
        10 => t(lang, "time.month_10"),
        11 => t(lang, "time.month_11"),
        _ => t(lang, "time.month_12"),
    }
}

/// "3 Dec 2026, 14:05" or "2026年12月3日 14:05": the wall-clock time in `zone`.
pub fn local_text(lang: Lang, zone: &Zone, at: Millis) -> String {
    let l = zone.local(at);
    let (y, d) = (l.year.to_string(), l.day.to_string());
    let (m, time) = (l.month.to_string(), format!("{:02}:{:02}", l.hour, l.minute));
    tf(lang, "time.format", &[("y", &y), ("mon", month(lang, l.month)), ("m", &m), ("d", &d), ("time", &time)])
}

/// "UTC+08:00", the offset in force at that instant.
fn offset_text(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// "5 minutes ago", "in 3 hours", "just now" within a week either way; `None` further out.
pub fn relative_text(lang: Lang, now: Millis, at: Millis) -> Option<String> {
    let past = at <= now;
    let gap = (now - at).abs();
    let (n, unit) = match gap {
        g if g < MINUTE => return Some(t(lang, "time.just_now").to_owned()),
        g if g < HOUR => (g / MINUTE, 0),
        g if g < DAY => (g / HOUR, 1),
        g if g < 7 * DAY => (g / DAY, 2),
        _ => return None,
    };
    Some(match (past, unit) {
        (true, 0) => tn(lang, "time.minutes_ago", "time.minutes_ago_one", n, &[]),
        (true, 1) => tn(lang, "time.hours_ago", "time.hours_ago_one", n, &[]),
        (true, _) => tn(lang, "time.days_ago", "time.days_ago_one", n, &[]),
        (false, 0) => tn(lang, "time.in_minutes", "time.in_minutes_one", n, &[]),
        (false, 1) => tn(lang, "time.in_hours", "time.in_hours_one", n, &[]),
        (false, _) => tn(lang, "time.in_days", "time.in_days_one", n, &[]),
    })
}

/// A time on a page: local wall-clock time, how long ago when recent, and the exact instant
/// with its zone on hover.
pub fn when(ctx: &Ctx, at: Millis) -> Markup {
    let local = local_text(ctx.lang, &ctx.zone, at);
    let hover = format!("{} ({})", ctx.zone.name(), offset_text(ctx.zone.local(at).offset));
    html! {
        time datetime=(format_rfc3339(at)) title=(hover) data-testid="time" {
            (local)
            @if let Some(r) = relative_text(ctx.lang, ctx.now, at) { " " span.muted.ago { "(" (r) ")" } }
        }
    }
}

/// [`when`] for a time the service gave as RFC 3339 text; text that is not one is shown as is.
pub fn when_text(ctx: &Ctx, text: &str) -> Markup {
    match parse_rfc3339("at", text) {
        Ok(at) => when(ctx, at),
        Err(_) => html! { (text) },
    }
}

/// A time inside a sentence: the local wall-clock text alone.
pub fn when_string(ctx: &Ctx, text: &str) -> String {
    parse_rfc3339("at", text).map_or_else(|_| text.to_owned(), |at| local_text(ctx.lang, &ctx.zone, at))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(text: &str) -> Millis {
        parse_rfc3339("t", text).unwrap()
    }

    #[test]
    fn each_language_has_its_own_form() {
        let shanghai = Zone::parse("z", "Asia/Shanghai").unwrap();
        let instant = at("2026-12-03T06:05:00Z");
        assert_eq!(local_text(Lang::En, &shanghai, instant), "3 Dec 2026, 14:05");
        assert_eq!(local_text(Lang::Zh, &shanghai, instant), "2026年12月3日 14:05");
        assert_eq!(local_text(Lang::En, &Zone::utc(), instant), "3 Dec 2026, 06:05");
        // Across midnight, the local date is the one shown.
        assert_eq!(local_text(Lang::En, &shanghai, at("2026-12-31T16:30:00Z")), "1 Jan 2027, 00:30");
    }

    #[test]
    fn daylight_saving_moves_the_wall_clock_not_the_instant() {
        let new_york = Zone::parse("z", "America/New_York").unwrap();
        // 2026-03-08 07:00 UTC: 02:00 EST jumps to 03:00 EDT; a minute apart reads an hour and a minute apart.
        assert_eq!(local_text(Lang::En, &new_york, at("2026-03-08T06:59:00Z")), "8 Mar 2026, 01:59");
        assert_eq!(local_text(Lang::En, &new_york, at("2026-03-08T07:00:00Z")), "8 Mar 2026, 03:00");
        // 2026-11-01 06:00 UTC: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        assert_eq!(local_text(Lang::Zh, &new_york, at("2026-11-01T05:30:00Z")), "2026年11月1日 01:30");
        assert_eq!(local_text(Lang::Zh, &new_york, at("2026-11-01T06:30:00Z")), "2026年11月1日 01:30");
        assert_eq!(offset_text(new_york.local(at("2026-11-01T05:30:00Z")).offset), "UTC-04:00");
        assert_eq!(offset_text(new_york.local(at("2026-11-01T06:30:00Z")).offset), "UTC-05:00");
        assert_eq!(offset_text(Zone::parse("z", "Asia/Kolkata").unwrap().local(0).offset), "UTC+05:30");
    }

    #[test]
    fn recent_times_read_as_how_long_ago() {
        let now = at("2026-12-03T12:00:00Z");
        assert_eq!(relative_text(Lang::En, now, now - 20_000).unwrap(), "just now");
        assert_eq!(relative_text(Lang::En, now, now - 5 * MINUTE).unwrap(), "5 minutes ago");
        assert_eq!(relative_text(Lang::En, now, now - MINUTE).unwrap(), "1 minute ago");
        assert_eq!(relative_text(Lang::Zh, now, now - 5 * MINUTE).unwrap(), "5 分钟前");
        assert_eq!(relative_text(Lang::En, now, now - 3 * HOUR).unwrap(), "3 hours ago");
        assert_eq!(relative_text(Lang::Zh, now, now - 3 * HOUR).unwrap(), "3 小时前");
        assert_eq!(relative_text(Lang::En, now, now - 2 * DAY).unwrap(), "2 days ago");
        assert_eq!(relative_text(Lang::En, now, now + 2 * HOUR).unwrap(), "in 2 hours");
        assert_eq!(relative_text(Lang::Zh, now, now + 2 * DAY).unwrap(), "2 天后");
        assert_eq!(relative_text(Lang::En, now, now - 8 * DAY), None);
    }

    #[test]
    fn the_chosen_zone_wins_then_the_browser_then_utc() {
        assert_eq!(viewer_zone(Some("Asia/Tokyo"), Some("Europe/Paris")).name(), "Asia/Tokyo");
        assert_eq!(viewer_zone(None, Some("Europe/Paris")).name(), "Europe/Paris");
        assert_eq!(viewer_zone(None, Some("Not/AZone")).name(), "UTC");
        assert_eq!(viewer_zone(None, None).name(), "UTC");
    }
}
