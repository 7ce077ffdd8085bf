//! The timed part: the people index's build, the address book and person page beside their
//! peers, and departures with their handover.

use std::time::{Duration, Instant};

use keiretsu_domain::ids::{MemberId, OrgId};
use keiretsu_service::{Caller, Service};

use super::data::{Fixture, now_millis};
use super::questions::{cases, peer_leave, peer_person, pick};
use super::report::print_kinds;
use super::{Args, Kind, NETWORK_MEMBERS, PAGE, PEER_BUDGET};
use crate::{Stats, mem};

/// What the issue asks for: search p99 under 20 ms, a departure with handover under 10 ms.
const SEARCH_TARGET_MS: f64 = 20.0;
const LEAVE_TARGET_MS: f64 = 10.0;
const PEER_MIN_SAMPLES: usize = 5;
/// Departures of each kind; service and peer take different contact holders.
const LEAVES: usize = 200;

/// Builds the people index as the server does at start (the wide questions read it), and says
/// what it took and holds.
pub(super) async fn people_index(svc: &Service) -> anyhow::Result<String> {
    let (rss_before, _) = mem();
    let t = Instant::now();
    svc.advance_people().await?;
    let build = t.elapsed();
    let (rss_after, hwm) = mem();
    let (live, heap) = svc.people_index_size().await?;
    Ok(format!(
        "people index: built from the database in {:.2} s, {live} people, heap ~{} MiB; RSS {} MiB before, \
         {} MiB after (+{} MiB), peak {} MiB",
        build.as_secs_f64(),
        heap >> 20,
        rss_before >> 10,
        rss_after >> 10,
        rss_after.saturating_sub(rss_before) >> 10,
        hwm >> 10
    ))
}

struct Samples {
    service: Vec<Duration>,
    peer: Vec<Duration>,
    peer_time: Duration,
}

impl Samples {
    fn new() -> Samples {
        Samples { service: vec![], peer: vec![], peer_time: Duration::ZERO }
    }

    fn peer_due(&self) -> bool {
        self.peer.len() < PEER_MIN_SAMPLES || self.peer_time < PEER_BUDGET
    }

    fn add_peer(&mut self, d: Duration) {
        self.peer.push(d);
        self.peer_time += d;
    }
}

pub(super) async fn measure(svc: &Service, fx: &Fixture, args: &Args) -> anyhow::Result<Vec<Kind>> {
    let store = svc.store();
    let network = fx.network.as_str();
    let kinds = cases(fx);
    let n_kinds = kinds.len() + 1;
    let per_kind = (args.queries / n_kinds).max(1);
    let mut samples: Vec<Samples> = (0..n_kinds).map(|_| Samples::new()).collect();
    // One warm-up round, then the kinds interleaved so none profits from running alone.
    for round in 0..=per_kind {
        for (k, (name, cases)) in kinds.iter().enumerate() {
            let case = &cases[round % cases.len()];
            let t = Instant::now();
            let page = svc.network().people(&case.caller, &fx.network, &case.query).await?;
            let s = t.elapsed();
            if round > 0 {
                samples[k].service.push(s);
            }
            if round == 0 || samples[k].peer_due() {
                let t = Instant::now();
                let rows = case.peer.run(store, network).await?;
                let r = t.elapsed();
                let got: Vec<&str> = page.items.iter().map(|p| p.member_id.as_str()).collect();
                let want: Vec<&str> = rows.iter().take(PAGE as usize).map(String::as_str).collect();
                anyhow::ensure!(
                    got == want,
                    "{name}: the service's page differs from plain SQL's ({:?})",
                    case.query.q
                );
                anyhow::ensure!(round > 0 || !got.is_empty() || *name == "search sparse", "{name}: nobody found");
                if round > 0 {
                    samples[k].add_peer(r);
                }
            }
        }
        // The person page.
        let k = kinds.len();
        let (_, member) = pick(&fx.spread, round);
        let id = MemberId::from_trusted(member.clone());
        let t = Instant::now();
        let detail = svc.network().person(&Caller::System, &fx.network, &id).await?;
        let s = t.elapsed();
        anyhow::ensure!(detail.backbone_contacts.len() == 1, "a unit has one backbone contact");
        let t = Instant::now();
        peer_person(store, network, member).await?;
        let r = t.elapsed();
        if round > 0 {
            samples[k].service.push(s);
            samples[k].add_peer(r);
        }
    }

    let mut out = vec![];
    for (k, (name, _)) in kinds.iter().enumerate() {
        out.push(kind(name, SEARCH_TARGET_MS, &mut samples[k]));
    }
    out.push(kind("person page", SEARCH_TARGET_MS, &mut samples[kinds.len()]));

    // Departures: a partner-side contact (one post) and a backbone-side one (ten posts), each
    // handing over to the backup. The service and the peer take different people.
    let leaves = LEAVES.min(fx.partner_contacts.len() / 2).min(NETWORK_MEMBERS / 5);
    let sys = Caller::System;
    let now = now_millis();
    let mut partner = Samples::new();
    for i in 0..leaves {
        let (org, member) = &fx.partner_contacts[i];
        let t = Instant::now();
        svc.directory().leave(&sys, &OrgId::from_trusted(org.clone()), &MemberId::from_trusted(member.clone())).await?;
        partner.service.push(t.elapsed());
        let (_, member) = &fx.partner_contacts[fx.partner_contacts.len() - 1 - i];
        let t = Instant::now();
        peer_leave(store, member, now).await?;
        partner.add_peer(t.elapsed());
    }
    let mut backbone = Samples::new();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE member_id = $1")
        .bind(&fx.network_members[0])
        .fetch_one(store.pool())
        .await?;
    for i in 0..leaves {
        let t = Instant::now();
        svc.directory().leave(&sys, &fx.backbone, &MemberId::from_trusted(fx.network_members[i].clone())).await?;
        backbone.service.push(t.elapsed());
        let t = Instant::now();
        peer_leave(store, &fx.network_members[NETWORK_MEMBERS / 5 + i], now).await?;
        backbone.add_peer(t.elapsed());
    }
    // The posts moved: the first leaver holds none, the backup took them over.
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE member_id = $1")
        .bind(&fx.network_members[0])
        .fetch_one(store.pool())
        .await?;
    anyhow::ensure!(left == 0, "the leaver still holds {left} contacts");
    out.push(kind("leave partner", LEAVE_TARGET_MS, &mut partner));
    let name: &'static str = Box::leak(format!("leave backbone/{held}").into_boxed_str());
    out.push(kind(name, LEAVE_TARGET_MS, &mut backbone));
    print_kinds(&out);
    Ok(out)
}

fn kind(name: &'static str, target: f64, s: &mut Samples) -> Kind {
    let peer_samples = s.peer.len();
    Kind { name, target, service: Stats::of(&mut s.service), peer: Stats::of(&mut s.peer), peer_samples }
}
