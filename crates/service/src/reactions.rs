//! Events that several capabilities react to, and their registries. A capability that changes
//! something others depend on (a member leaves, moves or joins, an organization's certification
//! changes, a unit leaves or narrows, someone signs in) fires the event inside its transaction;
//! every registered reaction runs there too and returns the journal entries for what it did.
//! The registries are filled in one place, `wired()` in the crate root, so no
//! capability names another's internals, and approvals, inventory and communication plug in
//! by adding a line there.

use std::future::Future;
use std::pin::Pin;

use keiretsu_domain::ids::OrgId;
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::Millis;
use keiretsu_store::Tx;
use keiretsu_store::directory::MemberRow;
use keiretsu_store::network::UnitRow;

use crate::Result;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One capability's answer to event `E`, inside the transaction that fired it.
pub trait Reaction<E>: Send + Sync {
    fn react<'a>(&'a self, tx: &'a mut Tx, event: &'a E) -> BoxFuture<'a, Result<Vec<Change>>>;
}

/// The reactions to one event, in the order they run.
pub struct Registry<E>(Vec<Box<dyn Reaction<E>>>);

impl<E: Sync> Registry<E> {
    pub fn new(reactions: Vec<Box<dyn Reaction<E>>>) -> Self {
        Registry(reactions)
    }

    pub async fn run(&self, tx: &mut Tx, event: &E) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        for reaction in &self.0 {
            changes.extend(reaction.react(tx, event).await?);
        }
        Ok(changes)
    }
}

/// A member who left, as they were just before leaving.
#[derive(Clone, Debug)]
pub struct Departure {
    pub org: OrgId,
    pub member: MemberRow,
    pub actor: String,
    pub at: Millis,
}

impl Departure {
    /// A journal entry for what a reaction did, tied to the departed member.
    pub fn change(&self, action: &'static str) -> Change {
        Change::new(&self.actor, Some(self.org.as_str()), action, &self.member.id)
    }
}

/// Members who joined an organization, came back, or were written by an import.
pub struct Joined {
    pub org: String,
    pub members: Vec<String>,
    pub actor: String,
    pub at: Millis,
}

/// An organization's tree is about to change under some of its people: one member moved to other
/// departments, or a department moved (then anyone may be affected). Reactions look before the
/// change and settle after it, in the same transaction.
pub struct Move {
    pub org: String,
    /// The moved member; `None` when a department moved.
    pub member: Option<String>,
    /// The field a refusal names.
    pub field: &'static str,
    pub actor: String,
    pub at: Millis,
}

/// What a reaction to a [`Move`] saw before it, to settle afterwards.
pub trait Settle: Send {
    fn settle<'a>(self: Box<Self>, tx: &'a mut Tx, event: &'a Move) -> BoxFuture<'a, Result<Vec<Change>>>;
}

/// A reaction to a [`Move`]: it looks before the change and returns what settles it after.
pub trait MoveReaction: Send + Sync {
    fn before<'a>(&'a self, tx: &'a mut Tx, event: &'a Move) -> BoxFuture<'a, Result<Box<dyn Settle>>>;
}

/// The reactions to moves, in the order they settle.
pub struct Moves(Vec<Box<dyn MoveReaction>>);

/// A move in progress: what every reaction saw before the change.
pub struct Moving(Vec<Box<dyn Settle>>);

impl Moves {
    pub fn new(reactions: Vec<Box<dyn MoveReaction>>) -> Self {
        Moves(reactions)
    }

    pub async fn before(&self, tx: &mut Tx, event: &Move) -> Result<Moving> {
        let mut seen = Vec::with_capacity(self.0.len());
        for reaction in &self.0 {
            seen.push(reaction.before(tx, event).await?);
        }
        Ok(Moving(seen))
    }
}

impl Moving {
    pub async fn settle(self, tx: &mut Tx, event: &Move) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        for seen in self.0 {
            changes.extend(seen.settle(tx, event).await?);
        }
        Ok(changes)
    }
}

/// A department was added to an organization's tree, or one is about to be removed (`removed`).
pub struct TreeChanged {
    pub org: String,
    pub removed: Option<String>,
}

/// An organization became certified, or stopped being so.
pub struct CertificationChanged {
    pub org: String,
    pub certified: bool,
    pub actor: String,
    pub at: Millis,
}

/// A unit left its network (`left_out` is everyone it brought), or now brings fewer people
/// (`left_out` are those no longer brought). `pool_org` is the backbone that owns the network.
pub struct UnitNarrowed {
    pub pool_org: String,
    pub unit: UnitRow,
    pub removed: bool,
    pub left_out: Vec<String>,
    pub actor: String,
    pub at: Millis,
}

/// An account signed in to an organization as one of its members (a session or a token).
pub struct SignedIn {
    pub org: String,
    pub member: String,
    pub at: Millis,
}

/// Every registry of the service.
pub struct Reactions {
    pub departure: Registry<Departure>,
    pub joined: Registry<Joined>,
    pub moves: Moves,
    pub tree_changed: Registry<TreeChanged>,
    pub certification: Registry<CertificationChanged>,
    /// Shared: the reaction to a move fires it for each unit the move narrows.
    pub unit_narrowed: std::sync::Arc<Registry<UnitNarrowed>>,
    pub signed_in: Registry<SignedIn>,
}
