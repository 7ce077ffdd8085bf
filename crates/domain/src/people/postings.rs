//! The base's n-gram lists: varint gaps with skip entries, walked and intersected from a cursor.

/// Postings between skip entries: a walk starts at its cursor after decoding at most this many.
const SKIP: u32 = 64;
/// Terms are indexed by n-grams of one to three characters.
const GRAM: usize = 3;

/// The base positions holding one n-gram, ascending, as varint gaps; `skips[j]` is the position
/// of posting `j * SKIP` and the byte offset just after it.
#[derive(Default)]
pub(super) struct Postings {
    pub(super) bytes: Vec<u8>,
    pub(super) skips: Vec<(u32, u32)>,
    pub(super) len: u32,
    last: u32,
}

impl Postings {
    pub(super) fn push(&mut self, rank: u32) {
        let mut gap = if self.len == 0 { rank } else { rank - self.last };
        loop {
            let b = (gap & 0x7f) as u8;
            gap >>= 7;
            if gap == 0 {
                self.bytes.push(b);
                break;
            }
            self.bytes.push(b | 0x80);
        }
        if self.len.is_multiple_of(SKIP) {
            self.skips.push((rank, self.bytes.len() as u32));
        }
        self.len += 1;
        self.last = rank;
    }

    pub(super) fn bytes(&self) -> usize {
        self.bytes.capacity() + self.skips.capacity() * 8 + std::mem::size_of::<Self>()
    }
}

/// A forward walk over one list.
pub(super) struct Walk<'a> {
    p: &'a Postings,
    pos: usize,
    cur: u32,
    started: bool,
}

impl<'a> Walk<'a> {
    pub(super) fn new(p: &'a Postings) -> Self {
        Walk { p, pos: 0, cur: 0, started: false }
    }

    /// The first position at or after `target`, from where the walk stands.
    pub(super) fn seek(&mut self, target: u32) -> Option<u32> {
        if self.started && self.cur >= target {
            return Some(self.cur);
        }
        let j = self.p.skips.partition_point(|s| s.0 <= target);
        if j > 0 {
            let (r, off) = self.p.skips[j - 1];
            if !self.started || r > self.cur {
                (self.cur, self.pos, self.started) = (r, off as usize, true);
                if r >= target {
                    return Some(r);
                }
            }
        }
        loop {
            let bytes = &self.p.bytes;
            if self.pos >= bytes.len() {
                return None;
            }
            let mut gap = 0u32;
            let mut shift = 0;
            while let Some(&b) = bytes.get(self.pos) {
                self.pos += 1;
                gap |= u32::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            self.cur = if self.started { self.cur + gap } else { gap };
            self.started = true;
            if self.cur >= target {
                return Some(self.cur);
            }
        }
    }
}

/// N-grams of characters packed in a word: 21 bits a character, a missing one all ones.
fn gram(chars: &[char]) -> u64 {
    let mut g = 0u64;
    for i in 0..GRAM {
        g = (g << 21) | chars.get(i).map_or(0x1f_ffff, |&c| u64::from(c));
    }
    g
}

/// Every n-gram of one to three characters in a key, deduplicated.
pub(super) fn grams_of(key: &str, out: &mut Vec<u64>) {
    out.clear();
    let chars: Vec<char> = key.chars().collect();
    for n in 1..=GRAM {
        out.extend(chars.windows(n).map(gram));
    }
    out.sort_unstable();
    out.dedup();
}

/// What a term is looked up by: its trigrams, or the term itself when shorter.
pub(super) fn term_grams(term: &str) -> Vec<u64> {
    let chars: Vec<char> = term.chars().collect();
    let mut g: Vec<u64> = chars.windows(GRAM.min(chars.len())).map(gram).collect();
    g.sort_unstable();
    g.dedup();
    g
}

/// The first position at or after `from` in every list.
pub(super) fn intersect(walks: &mut [Walk], mut from: u32) -> Option<u32> {
    'next: loop {
        let (first, rest) = walks.split_first_mut()?;
        let r = first.seek(from)?;
        for w in rest {
            let x = w.seek(r)?;
            if x > r {
                from = x;
                continue 'next;
            }
        }
        return Some(r);
    }
}
