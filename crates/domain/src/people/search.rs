//! Answering a question: the units in scope, who the viewer sees, and a page of the address book.

use rustc_hash::FxHashSet;

use super::postings::{Postings, Walk, intersect, term_grams};
use super::{Hit, Index, Ix, NONE, Net, Query, Record};

/// The resolved sight of one question.
struct Sight<'a> {
    net: Option<&'a Net>,
    net_ix: Ix,
    scope: Option<(FxHashSet<Ix>, FxHashSet<Ix>)>,
}

impl Index {
    /// Active units in scope, counted as the SQL plan chooser counts them: those of the types,
    /// plus the ids given.
    pub fn scoped_units(&self, network: &str, ids: &[String], types: &[String]) -> usize {
        let by_type = self.nets.get(&self.networks.get(network)).map_or(0, |n| {
            types.iter().map(|t| n.by_type.get(&self.types.get(t)).copied().unwrap_or(0) as usize).sum()
        });
        by_type + ids.len()
    }

    fn sight(&self, q: &Query) -> Sight<'_> {
        let net_ix = self.networks.get(q.network);
        let scope = q.scope.map(|(ids, types)| {
            (ids.iter().map(|u| self.units.get(u)).collect(), types.iter().map(|t| self.types.get(t)).collect())
        });
        Sight { net: self.nets.get(&net_ix), net_ix, scope }
    }

    /// Whether the viewer sees a live record, and through which unit.
    fn sees(&self, s: &Sight, rec: &Record) -> Option<Option<Ix>> {
        if let Some(&(unit, ty)) = s.net.and_then(|n| n.units.get(&rec.org))
            && s.scope.as_ref().is_none_or(|(ids, types)| ids.contains(&unit) || types.contains(&ty))
            && self.brought.get(&unit).is_none_or(|b| b.contains(&rec.member))
        {
            return Some(Some(unit));
        }
        let member_of = self.member_nets.get(&rec.member).is_some_and(|n| n.contains(&s.net_ix));
        (s.net_ix != NONE && member_of).then_some(None)
    }

    /// A page of the address book: the people the viewer sees, in (name, id) order, after the
    /// cursor, at most `limit`.
    pub fn page(&self, q: &Query) -> Vec<Hit> {
        let term: Option<String> = q.text.map(|t| t.replace(['%', '_'], "")).filter(|t| !t.is_empty());
        let sight = self.sight(q);
        let mut out = Vec::new();
        if q.limit == 0 || sight.net_ix == NONE {
            return out;
        }
        let after = |r: Ix| q.after.is_none_or(|a| self.order(r) > a);
        let keep = |r: Ix| -> Option<Option<Ix>> {
            let rec = &self.records[r as usize];
            if self.dead[r as usize] || term.as_deref().is_some_and(|t| !rec.key().contains(t)) {
                return None;
            }
            self.sees(&sight, rec)
        };
        // The base's candidates: the term's lists intersected, or every position.
        let start = q.after.map_or(0, |a| self.base.partition_point(|&r| self.order(r) <= a)) as u32;
        let lists: Option<Vec<&Postings>> = term.as_deref().map(|t| {
            let grams = term_grams(t);
            let mut ls: Vec<&Postings> = grams.iter().filter_map(|g| self.grams.get(g)).collect();
            if ls.len() < grams.len() {
                // A gram nobody has: no base record matches.
                ls.clear();
            }
            ls.sort_by_key(|p| p.len);
            ls
        });
        let mut walks: Vec<Walk> = lists.iter().flatten().map(|p| Walk::new(p)).collect();
        let no_base = lists.as_ref().is_some_and(|l| l.is_empty());
        let mut next_rank = start;
        let mut base_next = || -> Option<(Ix, Option<Ix>)> {
            loop {
                if no_base || next_rank as usize >= self.base.len() {
                    return None;
                }
                let rank = if walks.is_empty() { next_rank } else { intersect(&mut walks, next_rank)? };
                next_rank = rank + 1;
                let r = self.base[rank as usize];
                if let Some(unit) = keep(r) {
                    return Some((r, unit));
                }
            }
        };
        let mut delta = self.delta[self.delta.partition_point(|&d| !after(d))..].iter();
        let mut delta_next = || delta.by_ref().find_map(|&r| keep(r).map(|u| (r, u)));
        let (mut b, mut d) = (base_next(), delta_next());
        while out.len() < q.limit {
            let take_base = match (&b, &d) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((x, _)), Some((y, _))) => self.order(*x) < self.order(*y),
            };
            let (r, unit) = if take_base {
                std::mem::replace(&mut b, base_next())
            } else {
                std::mem::replace(&mut d, delta_next())
            }
            .unwrap_or((NONE, None));
            if r == NONE {
                break;
            }
            let member = self.members.name(self.records[r as usize].member).to_owned();
            out.push(Hit { member, unit: unit.map(|u| self.units.name(u).to_owned()) });
        }
        out
    }
}
