//! What the license capability takes in and gives out.

use super::*;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseChange {
    /// An edition key from the catalogue.
    pub edition: String,
    /// Purchased seats; required for seat-limited editions, absent for unlimited ones.
    #[serde(default, deserialize_with = "keiretsu_domain::whole::option")]
    pub seats: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoChange {
    pub on: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsageView {
    pub organization_id: String,
    pub organization_name: String,
    /// Set for a network unit's people authorized as partners.
    pub unit_id: Option<String>,
    pub assigned: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LicenseView {
    pub organization_id: String,
    pub edition: Edition,
    /// `purchased` and `unassigned` are absent for unlimited editions.
    pub counts: Counts,
    pub auto_authorize: bool,
    /// An admin set auto-authorization by hand: edition changes keep it.
    pub auto_set_by_admin: bool,
    /// Usage in percent of the purchased seats; absent for unlimited editions.
    pub usage_percent: Option<i64>,
    /// 80 or 100 once usage reached that level; 0 below.
    pub warning_level: i64,
    /// Seats by the organization holding them: the pool's own first, then network units.
    pub usage: Vec<UsageView>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeatQuery {
    /// List a network unit's people (as partners of this pool) instead of the organization's own.
    pub unit_id: Option<String>,
    /// Part of a name, login, phone, email or employee number.
    pub q: Option<String>,
    pub department_id: Option<String>,
    /// With `department_id`: include every department below it.
    pub include_sub_departments: Option<bool>,
    /// `enabled`, `frozen`, `unauthorized` (visited, never authorized) or `never`.
    #[param(pattern = "^(enabled|frozen|unauthorized|never)?$")]
    pub status: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeatView {
    pub member_id: String,
    pub name: String,
    pub login: String,
    pub title: Option<String>,
    pub status: SeatStatus,
    /// Why the seat last moved: `manual`, `auto`, `entry_rule` or `departure`.
    pub reason: Option<String>,
}

/// Whose seats to change: chosen members, or a whole department subtree (of the organization,
/// or of a unit with `unit_id`).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatSelection {
    #[serde(default)]
    pub member_ids: Vec<String>,
    pub department_id: Option<DepartmentId>,
    pub unit_id: Option<UnitId>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SeatsChanged {
    /// Accounts whose standing changed.
    pub changed: u64,
    pub counts: Counts,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntryRule {
    pub unit_id: UnitId,
    pub department_id: DepartmentId,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryRuleView {
    pub unit_id: String,
    pub department_id: String,
    /// Seats the rule gave when it was bound.
    pub authorized: Option<u64>,
}

pub(super) fn license_view(org: &str, edition: Edition, pool: &PoolRow, usage: Vec<UsageView>) -> LicenseView {
    LicenseView {
        organization_id: org.to_owned(),
        counts: rules::counts(pool.purchased, pool.assigned),
        auto_authorize: pool.auto_on != 0,
        auto_set_by_admin: pool.auto_by_admin != 0,
        usage_percent: pool.purchased.filter(|p| *p > 0).map(|p| pool.assigned * 100 / p),
        warning_level: pool.warned_level,
        edition,
        usage,
    }
}
