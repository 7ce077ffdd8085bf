//! The journal: an append-only chain of entries, each hashed over a canonical encoding
//! of its fields and its predecessor's hash, so an edit anywhere breaks the chain after it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::time::Millis;

/// The hash that stands before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Actions whose details hold each changed value as a `[before, after]` pair.
pub const CHANGE_PAIRS: &[&str] = &["department.update", "member.update"];

/// Every action the journal records, sorted: the console offers them as a filter and names each
/// in both languages (a test in the service keeps this list in step with the code that journals).
pub const ACTIONS: &[&str] = &[
    "account.create_operator",
    "account.disable",
    "account.enable",
    "account.lang",
    "account.login",
    "account.logout",
    "account.password",
    "account.password_link",
    "account.password_set",
    "account.session_end",
    "account.switch_org",
    "account.time_zone",
    "app.create",
    "app.permission_group",
    "app.permission_group.remove",
    "app.publish",
    "app.schema",
    "app.unpublish",
    "approval.add",
    "approval.approve",
    "approval.comment",
    "approval.delegate",
    "approval.delegation",
    "approval.delegation_end",
    "approval.escalate",
    "approval.finish",
    "approval.move",
    "approval.open",
    "approval.pass",
    "approval.reject",
    "approval.remind",
    "approval.resubmit",
    "approval.return",
    "approval.submit",
    "approval.template",
    "approval.transfer",
    "approval.withdraw",
    "attachment.upload",
    "contact.add",
    "contact.handover",
    "contact.remove",
    "contact.update",
    "contact.vacant",
    "department.create",
    "department.delete",
    "department.heads",
    "department.update",
    "departure.clear_backup",
    "departure.end_access",
    "departure.notify_supervisor",
    "departure.reassign_reports",
    "departure.release_headships",
    "edition.update",
    "invitation.accept",
    "invitation.create",
    "invitation.decline",
    "invitation.resend",
    "invitation.revoke",
    "license.auto_authorize",
    "license.set",
    "member.invitation_accept",
    "member.invitation_cancel",
    "member.invitation_decline",
    "member.invite",
    "member.join",
    "member.leave",
    "member.rejoin",
    "member.role",
    "member.transfer",
    "member.update",
    "network.add_members",
    "network.create",
    "network.partner_type",
    "network.remove_member",
    "network.update",
    "notification.read",
    "org.certify",
    "org.create",
    "seat.enable",
    "seat.entry_rule",
    "seat.entry_rule_removed",
    "seat.freeze",
    "seat.list",
    "seat.release",
    "submission.create",
    "submission.update",
    "token.create",
    "token.revoke",
    "unit.create_managed",
    "unit.departments",
    "unit.join",
    "unit.leave",
    "unit.remove",
    "unit.status",
    "unit.update",
];

/// What a change records about itself; the store adds revision, time and hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Who made it: an account id, or `system` for the server's own work.
    pub actor: String,
    pub organization: Option<String>,
    /// Dotted verb, e.g. `member.join`.
    pub action: &'static str,
    /// The id of the object changed.
    pub target: String,
    /// Details as JSON; keys come out sorted, which keeps the encoding canonical.
    pub details: serde_json::Value,
}

impl Change {
    pub fn new(
        actor: impl Into<String>,
        organization: Option<&str>,
        action: &'static str,
        target: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.into(),
            organization: organization.map(str::to_owned),
            action,
            target: target.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let serde_json::Value::Object(map) = &mut self.details {
            map.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(serde_json::Value::Null));
        }
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entry {
    pub revision: i64,
    /// Epoch milliseconds.
    pub at: Millis,
    pub actor: String,
    pub organization: Option<String>,
    pub action: String,
    pub target: String,
    /// Canonical JSON text.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

fn put(hasher: &mut Sha256, field: &[u8]) {
    // Length-prefixed so that no two different field lists encode the same bytes.
    hasher.update((field.len() as u64).to_be_bytes());
    hasher.update(field);
}

/// The hash of an entry: SHA-256 over its length-prefixed fields and the previous hash, hex encoded.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    revision: i64,
    at: Millis,
    actor: &str,
    organization: Option<&str>,
    action: &str,
    target: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    put(&mut h, b"keiretsu-journal-v1");
    put(&mut h, &revision.to_be_bytes());
    put(&mut h, &at.to_be_bytes());
    put(&mut h, actor.as_bytes());
    match organization {
        Some(org) => put(&mut h, org.as_bytes()),
        None => put(&mut h, b"\0none"),
    }
    put(&mut h, action.as_bytes());
    put(&mut h, target.as_bytes());
    put(&mut h, details.as_bytes());
    put(&mut h, prev_hash.as_bytes());
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    // By table rather than a `format!` per byte: every bearer token's hash passes through here.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

impl Entry {
    /// Seals a change as the entry after `prev`.
    pub fn seal(change: &Change, revision: i64, at: Millis, prev_hash: &str) -> Entry {
        let details = change.details.to_string();
        let hash = entry_hash(
            revision,
            at,
            &change.actor,
            change.organization.as_deref(),
            change.action,
            &change.target,
            &details,
            prev_hash,
        );
        Entry {
            revision,
            at,
            actor: change.actor.clone(),
            organization: change.organization.clone(),
            action: change.action.to_owned(),
            target: change.target.clone(),
            details,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }

    fn computed_hash(&self) -> String {
        entry_hash(
            self.revision,
            self.at,
            &self.actor,
            self.organization.as_deref(),
            &self.action,
            &self.target,
            &self.details,
            &self.prev_hash,
        )
    }
}

/// Why the chain is broken at an entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {revision}: its hash does not match its contents")]
    HashMismatch { revision: i64 },
    #[error("entry {revision}: its previous hash does not match entry {previous}")]
    LinkMismatch { revision: i64, previous: i64 },
    #[error("entry {revision}: expected revision {expected} (an entry is missing or out of order)")]
    Gap { revision: i64, expected: i64 },
}

/// Walks entries in revision order; keeps the state between batches so a long chain
/// can be verified page by page.
#[derive(Debug)]
pub struct Verifier {
    last_revision: i64,
    last_hash: String,
    pub checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self { last_revision: 0, last_hash: GENESIS_HASH.to_owned(), checked: 0 }
    }
}

impl Verifier {
    /// Checks the next entry; the first error names the first bad entry.
    pub fn check(&mut self, entry: &Entry) -> Result<(), ChainBreak> {
        let expected = self.last_revision + 1;
        if entry.revision != expected {
            return Err(ChainBreak::Gap { revision: entry.revision, expected });
        }
        if entry.prev_hash != self.last_hash {
            return Err(ChainBreak::LinkMismatch { revision: entry.revision, previous: self.last_revision });
        }
        if entry.computed_hash() != entry.hash {
            return Err(ChainBreak::HashMismatch { revision: entry.revision });
        }
        self.last_revision = entry.revision;
        self.last_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<Entry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n as i64)
            .map(|rev| {
                let change = Change::new("acc_x", Some("org_y"), "member.join", format!("mem_{rev}")).with("n", rev);
                let e = Entry::seal(&change, rev, 1000 * rev, &prev);
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        // The hash of the empty string, as every SHA-256 tool prints it.
        use sha2::Digest;
        assert_eq!(hex(&sha2::Sha256::digest(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn intact_chain_verifies() {
        let mut v = Verifier::default();
        for e in chain(5) {
            v.check(&e).unwrap();
        }
        assert_eq!(v.checked, 5);
    }

    proptest! {
        #[test]
        fn any_edit_is_caught_at_or_after_the_edited_entry(n in 2usize..12, at in 0usize..12, which in 0u8..5) {
            let at = at % n;
            let mut entries = chain(n);
            let e = &mut entries[at];
            match which {
                0 => e.details = "{\"n\":999}".into(),
                1 => e.actor = "acc_mallory".into(),
                2 => e.at += 1,
                3 => e.target.push('x'),
                _ => e.organization = None,
            }
            let mut v = Verifier::default();
            let first_bad = entries.iter().position(|e| v.check(e).is_err());
            prop_assert_eq!(first_bad, Some(at));
        }
    }

    #[test]
    fn deleted_entry_is_a_gap() {
        let mut entries = chain(4);
        entries.remove(1);
        let mut v = Verifier::default();
        v.check(&entries[0]).unwrap();
        assert_eq!(v.check(&entries[1]), Err(ChainBreak::Gap { revision: 3, expected: 2 }));
    }
}
