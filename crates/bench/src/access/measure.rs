//! How decisions are sampled and timed: the fixed sample, one timing per call, the floors of the
//! timer and of an id lookup, percentiles.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use keiretsu_domain::access::{Facts, MemberFacts};

/// Nearest-rank percentile of nanoseconds.
pub(super) fn pct(samples: &mut [u64], q: f64) -> u64 {
    samples.sort_unstable();
    samples.get(((samples.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0)
}

/// The Fx hash (as `rustc-hash`, which the index uses), for the id-lookup floor.
#[derive(Default)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..c.len()].copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a decision cannot go below at this size: finding the member's id among all ids (one
/// lookup of a string key in a hash map of every member, as the index's first step), per call.
pub(super) fn id_lookup_floor(facts: &Facts, decisions: &[(&str, &str)]) -> Vec<u64> {
    let ids: HashMap<Box<str>, u32, std::hash::BuildHasherDefault<Fx>> =
        facts.members.iter().enumerate().map(|(i, m)| (m.id.as_str().into(), i as u32)).collect();
    time_each(decisions, |m, _| ids.contains_key(m)).0
}

/// What a pair of `Instant::now()` costs by itself (p50, ns).
pub(super) fn timer_floor() -> u64 {
    let mut v: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            t.elapsed().as_nanos() as u64
        })
        .collect();
    pct(&mut v, 0.5)
}

/// Times each decision on its own; returns the nanoseconds and how many were allowed.
pub(super) fn time_each(decisions: &[(&str, &str)], mut f: impl FnMut(&str, &str) -> bool) -> (Vec<u64>, usize) {
    let mut out = Vec::with_capacity(decisions.len());
    let mut allowed = 0;
    for (m, a) in decisions {
        let t = Instant::now();
        let ok = black_box(f(black_box(*m), black_box(*a)));
        out.push(t.elapsed().as_nanos() as u64);
        allowed += usize::from(ok);
    }
    (out, allowed)
}

/// A small deterministic generator (splitmix64): the same sample every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// `n` (member, app) pairs: members uniform over everyone plus 5% from the backbone, apps uniform.
pub(super) fn sample<'a>(facts: &'a Facts, backbone: &str, n: usize) -> Vec<(&'a str, &'a str)> {
    let mut rng = Rng(42);
    let own: Vec<&MemberFacts> = facts.members.iter().filter(|m| m.org == backbone).collect();
    (0..n)
        .map(|i| {
            let m = if i % 20 == 0 && !own.is_empty() {
                own[rng.below(own.len())]
            } else {
                &facts.members[rng.below(facts.members.len())]
            };
            (m.id.as_str(), facts.apps[rng.below(facts.apps.len())].id.as_str())
        })
        .collect()
}
