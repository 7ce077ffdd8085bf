//! "What can this person do, and why" on a member's page: their seat and what decides it, and
//! the organization's apps they may use. Each part only for an admin of its area.

use keiretsu_domain::license::{SeatReason, SeatStatus};
use keiretsu_service::license::MemberSeat;

use super::*;

fn seat_text(lang: Lang, seat: Option<&MemberSeat>) -> &'static str {
    let Some(seat) = seat else { return t(lang, "members.seat_no_license") };
    match (seat.status, seat.reason) {
        (SeatStatus::Enabled, Some(SeatReason::Auto)) => t(lang, "members.seat_enabled_auto"),
        (SeatStatus::Enabled, Some(SeatReason::EntryRule)) => t(lang, "members.seat_enabled_rule"),
        (SeatStatus::Enabled, _) => t(lang, "members.seat_enabled"),
        (SeatStatus::Frozen, _) => t(lang, "members.seat_frozen"),
        (SeatStatus::Unauthorized, _) => t(lang, "members.seat_unauthorized"),
        (SeatStatus::Never, _) if !seat.auto_authorize => t(lang, "members.seat_never_manual"),
        (SeatStatus::Never, _) if !seat.room => t(lang, "members.seat_never_full"),
        (SeatStatus::Never, _) => t(lang, "members.seat_never_auto"),
    }
}

/// `active`: someone who left uses no app, and the access index no longer holds them.
pub(crate) async fn abilities(
    s: &AppState,
    ctx: &Ctx,
    org: &OrgId,
    member: &MemberId,
    active: bool,
) -> Result<Markup, ApiError> {
    let lang = ctx.lang;
    let caller = &ctx.session.caller;
    let seat =
        if ctx.can(Scope::License) { Some(s.svc.license().member_seat(caller, org, member).await?) } else { None };
    let apps =
        if ctx.can(Scope::Apps) && active { Some(s.svc.apps().usable_apps(caller, member, None).await?) } else { None };
    if seat.is_none() && apps.is_none() {
        return Ok(html! {});
    }
    Ok(html! {
        section data-testid="member-abilities" {
            h2 { (t(lang, "members.abilities")) }
            div.card {
                @if let Some(seat) = &seat {
                    p data-testid="member-seat" { (seat_text(lang, seat.as_ref())) }
                }
                @if let Some(apps) = &apps {
                    p data-testid="member-apps" {
                        (t(lang, "members.apps_usable")) " "
                        @if apps.is_empty() { span.muted { (t(lang, "common.none")) } }
                        @for (i, a) in apps.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={ "/console/apps/" (a.id) } { (a.name) }
                        }
                    }
                }
            }
        }
    })
}
