//! Licenses: editions, the seat pool, auto-authorization and usage warnings. The rules follow
//! the platform's account authorization spec: auto-authorization only for first visits after it
//! was switched on, never for accounts already listed, never past the limit, never against an
//! admin's freeze; trial editions keep it on; an edition change re-applies the new edition's
//! initial value unless an admin chose by hand.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason, Rule};

/// One edition of the catalogue the platform operator keeps (seeded by the 0006 migration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Edition {
    pub key: String,
    #[schema(schema_with = crate::directory::name_schemas::n60)]
    pub name: String,
    /// False for unlimited editions: no seat count applies.
    pub seat_limited: bool,
    /// Auto-authorization's initial value on this edition.
    pub auto_default: bool,
    /// Auto-authorization stays on (the trial edition).
    pub auto_locked: bool,
    /// Whether the organization may release apps to downstream networks.
    pub downstream: bool,
    #[serde(deserialize_with = "crate::whole::int")]
    pub max_networks: i64,
}

/// An account's standing in one seat pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    /// Holds a seat.
    Enabled,
    /// An admin took the seat away: auto-authorization never gives it back.
    Frozen,
    /// Visited without getting a seat (auto-authorization off, or the pool full): listed as
    /// not authorized, so auto-authorization leaves it alone.
    Unauthorized,
    /// Never visited and never authorized: no entry in the list yet.
    Never,
}

text_enum!(SeatStatus {
    Enabled = "enabled",
    Frozen = "frozen",
    Unauthorized = "unauthorized",
    Never = "never",
});

/// Why a seat moved; every journal entry of a seat says one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatReason {
    Manual,
    Auto,
    EntryRule,
    Departure,
}

text_enum!(SeatReason {
    Manual = "manual",
    Auto = "auto",
    EntryRule = "entry_rule",
    Departure = "departure",
});

/// A pool's auto-authorization setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoSetting {
    pub on: bool,
    /// An admin switched it by hand: edition changes keep it.
    pub by_admin: bool,
}

/// The setting after an edition change.
pub fn auto_after_edition_change(current: AutoSetting, to: &Edition) -> AutoSetting {
    if to.auto_locked {
        AutoSetting { on: true, by_admin: current.by_admin }
    } else if current.by_admin {
        current
    } else {
        AutoSetting { on: to.auto_default, by_admin: false }
    }
}

/// An admin switches auto-authorization; the trial edition refuses to switch it off.
pub fn switch_auto(edition: &Edition, on: bool) -> Result<AutoSetting, DomainError> {
    if edition.auto_locked && !on {
        return Err(DomainError::conflict("auto_authorize", Rule::Reason(Reason::TrialAlwaysOn)));
    }
    Ok(AutoSetting { on, by_admin: true })
}

/// What a visit does to an account's standing: `Some(Enabled)` takes a seat, `Some(Unauthorized)`
/// lists the account as not authorized, `None` changes nothing.
pub fn on_visit(current: SeatStatus, auto_on: bool, pool_has_room: bool) -> Option<SeatStatus> {
    match current {
        // Only a first visit is decided here; every later one leaves the standing alone.
        SeatStatus::Never if auto_on && pool_has_room => Some(SeatStatus::Enabled),
        SeatStatus::Never => Some(SeatStatus::Unauthorized),
        SeatStatus::Enabled | SeatStatus::Frozen | SeatStatus::Unauthorized => None,
    }
}

/// The pool's counts. `purchased` is `None` for unlimited editions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub purchased: Option<i64>,
    pub assigned: i64,
    pub unassigned: Option<i64>,
}

pub fn counts(purchased: Option<i64>, assigned: i64) -> Counts {
    Counts { purchased, assigned, unassigned: purchased.map(|p| p - assigned) }
}

/// Usage warning levels, in percent of the purchased seats.
pub const WARN_LEVELS: [i64; 2] = [80, 100];

/// The highest warning level usage has reached (0 below the first).
pub fn level(assigned: i64, purchased: Option<i64>) -> i64 {
    match purchased {
        Some(p) if p > 0 => WARN_LEVELS.iter().copied().filter(|l| assigned * 100 >= l * p).max().unwrap_or(0),
        _ => 0,
    }
}

/// After a change in usage: the level to remember and the warning to send, if usage just
/// crossed a level upwards. Falling below a level re-arms it, so each crossing warns once.
pub fn warning(remembered: i64, assigned: i64, purchased: Option<i64>) -> (i64, Option<i64>) {
    let now = level(assigned, purchased);
    if now > remembered { (now, Some(now)) } else { (now, None) }
}

/// Purchased seats: 0 to 10 million, and never below what is assigned.
pub fn purchased_seats(field: &str, seats: i64, assigned: i64) -> Result<i64, DomainError> {
    if !(0..=10_000_000).contains(&seats) {
        return Err(DomainError::invalid(field, Rule::Range { min: 0, max: 10_000_000 }));
    }
    if seats < assigned {
        return Err(DomainError::conflict(field, Rule::Reason(Reason::BelowAssignedSeats)));
    }
    Ok(seats)
}

/// What is wrong with a pool that counts `assigned` seats while `enabled` seat rows exist, if
/// anything: the count must equal the rows and never exceed the purchase.
pub fn pool_problem(purchased: Option<i64>, assigned: i64, enabled: i64) -> Option<String> {
    if assigned != enabled {
        return Some(format!("counts {assigned} assigned seats but {enabled} are enabled"));
    }
    match purchased {
        Some(p) if enabled > p => Some(format!("has {enabled} enabled seats for {p} purchased")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_seed_faq_comes_out_exactly() {
        // Exclusive edition, 3000 seats; 2000 backbone members and 200 of a unit authorized.
        let c = counts(Some(3000), 2000 + 200);
        assert_eq!(c, Counts { purchased: Some(3000), assigned: 2200, unassigned: Some(800) });
        assert_eq!(counts(None, 5).unassigned, None, "unlimited editions show no number");
    }

    #[test]
    fn a_pool_holds_when_its_count_is_its_rows_within_the_purchase() {
        assert_eq!(pool_problem(Some(5), 5, 5), None);
        assert_eq!(pool_problem(None, 7, 7), None, "unlimited");
        assert!(pool_problem(Some(5), 4, 5).is_some_and(|p| p.contains("4 assigned") && p.contains("5 are enabled")));
        assert!(pool_problem(Some(5), 6, 6).is_some_and(|p| p.contains("6 enabled seats for 5 purchased")));
    }

    #[test]
    fn first_visits_only() {
        assert_eq!(on_visit(SeatStatus::Never, true, true), Some(SeatStatus::Enabled));
        assert_eq!(on_visit(SeatStatus::Never, true, false), Some(SeatStatus::Unauthorized), "pool full");
        assert_eq!(on_visit(SeatStatus::Never, false, true), Some(SeatStatus::Unauthorized));
        assert_eq!(on_visit(SeatStatus::Unauthorized, true, true), None, "listed before: left alone");
        assert_eq!(on_visit(SeatStatus::Frozen, true, true), None, "an admin's freeze sticks");
    }

    fn edition(seat_limited: bool, auto_default: bool, auto_locked: bool) -> Edition {
        Edition {
            key: "x".into(),
            name: "X".into(),
            seat_limited,
            auto_default,
            auto_locked,
            downstream: false,
            max_networks: 0,
        }
    }

    #[test]
    fn edition_changes_keep_an_admins_choice() {
        let trial = edition(false, true, true);
        let standard = edition(true, false, false);
        let pro = edition(false, true, false);
        let initial = AutoSetting { on: true, by_admin: false };
        assert_eq!(auto_after_edition_change(initial, &standard), AutoSetting { on: false, by_admin: false });
        assert!(auto_after_edition_change(AutoSetting { on: false, by_admin: false }, &pro).on);
        let chosen = AutoSetting { on: true, by_admin: true };
        assert_eq!(auto_after_edition_change(chosen, &standard), chosen);
        assert!(switch_auto(&trial, false).is_err());
        assert!(auto_after_edition_change(AutoSetting { on: false, by_admin: true }, &trial).on);
    }

    #[test]
    fn warnings_once_per_crossing() {
        let p = Some(100);
        assert_eq!(warning(0, 79, p), (0, None));
        assert_eq!(warning(0, 80, p), (80, Some(80)));
        assert_eq!(warning(80, 90, p), (80, None), "no repeat while above");
        assert_eq!(warning(80, 100, p), (100, Some(100)));
        assert_eq!(warning(100, 70, p), (0, None), "falling below re-arms");
        assert_eq!(warning(0, 85, p), (80, Some(80)), "a new crossing warns again");
        assert_eq!(warning(0, 5, None), (0, None), "unlimited: never");
    }

    proptest! {
        /// Replaying any usage path, a warning is sent exactly when usage climbs into a
        /// level it was not already in.
        #[test]
        fn warnings_follow_crossings(path in proptest::collection::vec(0i64..=120, 1..40)) {
            let mut remembered = 0;
            let mut prev_level = 0;
            for assigned in path {
                let (now, sent) = warning(remembered, assigned, Some(100));
                let lvl = level(assigned, Some(100));
                prop_assert_eq!(now, lvl);
                prop_assert_eq!(sent.is_some(), lvl > prev_level);
                remembered = now;
                prev_level = lvl;
            }
        }
    }
}
