//! Keiretsu's use cases: one function per user action, each in one transaction that also
//! appends the journal entry. Every use case takes the [`Caller`] and checks it first.

/// Declares a capability's handle, `Cases`: its use cases are the methods of `impl Cases` blocks
/// in the capability's files, reached as `svc.network().invite(…)`. The handle derefs to the
/// service, so every capability shares one store, clock and commit path.
macro_rules! use_cases {
    () => {
        /// This capability's use cases.
        #[derive(Clone, Copy)]
        pub struct Cases<'a>(pub(crate) &'a crate::Service);

        impl std::ops::Deref for Cases<'_> {
            type Target = crate::Service;

            fn deref(&self) -> &crate::Service {
                self.0
            }
        }
    };
}
pub(crate) use use_cases;

pub mod access;
pub mod approvals;
pub mod apps;
pub mod demo;
pub mod directory;
pub mod files;
pub mod follower;
pub mod forms;
pub mod idempotency;
pub mod identity;
pub mod journal;
pub mod license;
pub mod network;
pub mod notifications;
pub mod page;
pub mod people;
pub mod reactions;

use std::sync::Arc;

use keiretsu_domain::DomainError;
use keiretsu_domain::identity::{Need, Permit};
use keiretsu_domain::ids::OrgId;
use keiretsu_domain::ids::RANDOM_LEN;
use keiretsu_domain::journal::{Change, Entry};
use keiretsu_domain::time::{Clock, Millis};
use keiretsu_store::{Store, StoreError, Tx};
use rand::RngCore;

pub use keiretsu_domain::identity::Caller;
pub use keiretsu_store::Backend;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Too many failed sign-ins; try again after the given seconds.
    #[error("too many failed sign-ins; try again in {retry_after_s} seconds")]
    Throttled { retry_after_s: i64 },
    #[error("sign-in failed: wrong login or password")]
    BadCredentials,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<keiretsu_store::SqlError> for Error {
    fn from(e: keiretsu_store::SqlError) -> Self {
        Error::Store(StoreError::Db(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

tokio::task_local! {
    /// The journal revision of the last write made while serving one request: the server sends
    /// it as `Keiretsu-Revision`, and a later check can demand it with `at_least`.
    pub static WRITTEN: std::cell::Cell<i64>;
}

/// Settings of the use cases; the server's configuration fills it in.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session_idle_ms: Millis,
    pub session_absolute_ms: Millis,
    pub token_ttl_ms: Millis,
    /// Failed sign-ins allowed per login from one client address in a window; past them that
    /// pair waits for the window to end. The tight limit: it stops guessing, and only there.
    pub throttle_pair: i64,
    /// Failed sign-ins per login (from any address) in a window after which each attempt on it
    /// is slowed, by a delay that doubles, never locked: nobody can lock a person out.
    pub throttle_login: i64,
    /// Failed sign-ins per client address (any logins) in a window after which its attempts are
    /// slowed; at four times this it waits for the window to end.
    pub throttle_address: i64,
    pub throttle_window_ms: Millis,
    /// Argon2id memory in KiB and iterations.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_ms: 30 * 60_000,
            session_absolute_ms: 12 * 3_600_000,
            token_ttl_ms: 90 * 86_400_000,
            throttle_pair: 5,
            throttle_login: 10,
            throttle_address: 50,
            throttle_window_ms: 15 * 60_000,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
        }
    }
}

/// The use cases, over one store and one clock.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    pub(crate) reactions: Arc<reactions::Reactions>,
    pub(crate) access: Arc<access::Access>,
    pub(crate) people: Arc<people::People>,
    /// Every in-memory index the journal advances, access and people among them.
    pub(crate) indexes: Arc<follower::Indexes>,
    pub(crate) tokens: Arc<identity::TokenCache>,
    /// A hash checked when a login is unknown, so unknown and known logins take the same time.
    pub(crate) decoy_hash: Arc<str>,
}

/// The composition root: which capabilities react to which events, in the order they run. The
/// only place that names every capability's reactions.
fn wired() -> reactions::Reactions {
    use reactions::{Moves, Registry};
    let unit_narrowed =
        Arc::new(Registry::new(vec![Box::new(license::UnitSeats), Box::new(approvals::TasksLeaveUnit)]));
    reactions::Reactions {
        departure: Registry::new(vec![
            Box::new(identity::EndAccess),
            Box::new(directory::ReleaseHeadships),
            Box::new(directory::ReassignReports),
            Box::new(directory::TellSupervisor),
            // Before the seats: the handover locks units, which come before seat pools in the
            // lock order (a unit's change of departments locks its unit, then the pool).
            Box::new(network::ContactHandover),
            Box::new(approvals::TasksMove),
            Box::new(license::ReleaseSeats),
        ]),
        joined: Registry::new(vec![Box::new(license::EntryRules)]),
        // Who units bring settles first: a contact left out refuses the move before any seat moves.
        moves: Moves::new(vec![
            Box::new(network::BroughtIn { narrowed: unit_narrowed.clone() }),
            Box::new(license::EntryRules),
        ]),
        tree_changed: Registry::new(vec![Box::new(network::BroughtFollowsTree)]),
        certification: Registry::new(vec![Box::new(network::UnitsFollowCertification)]),
        unit_narrowed,
        signed_in: Registry::new(vec![Box::new(license::FirstVisit)]),
    }
}

/// The real clock: the only place the service reads the system time.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Millis {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
    }
}

impl Service {
    pub async fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Result<Service> {
        let decoy_hash = identity::hash_password(&settings, &random_token(24)).await?;
        let access = Arc::new(access::Access::default());
        let people = Arc::new(people::People::default());
        // The indexes the follower advances, in this order; `/readyz` waits for all of them. A
        // new index (inventory, communication) is one more entry in this list.
        let indexes = follower::Indexes::new(vec![access.clone(), people.clone()]);
        Ok(Service {
            store,
            clock,
            settings,
            reactions: Arc::new(wired()),
            access,
            people,
            indexes: Arc::new(indexes),
            tokens: Arc::default(),
            decoy_hash: decoy_hash.into(),
        })
    }

    pub fn approvals(&self) -> approvals::Cases<'_> {
        approvals::Cases(self)
    }

    pub fn apps(&self) -> apps::Cases<'_> {
        apps::Cases(self)
    }

    pub fn demo(&self) -> demo::Cases<'_> {
        demo::Cases(self)
    }

    pub fn directory(&self) -> directory::Cases<'_> {
        directory::Cases(self)
    }

    pub fn forms(&self) -> forms::Cases<'_> {
        forms::Cases(self)
    }

    pub fn idempotency(&self) -> idempotency::Cases<'_> {
        idempotency::Cases(self)
    }

    pub fn identity(&self) -> identity::Cases<'_> {
        identity::Cases(self)
    }

    pub fn journal(&self) -> journal::Cases<'_> {
        journal::Cases(self)
    }

    pub fn license(&self) -> license::Cases<'_> {
        license::Cases(self)
    }

    pub fn network(&self) -> network::Cases<'_> {
        network::Cases(self)
    }

    pub fn notifications(&self) -> notifications::Cases<'_> {
        notifications::Cases(self)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// [`Caller::permit`], widened to organizations kept as managed units of a network: there
    /// the managing organization's partner admins act as admins.
    pub(crate) async fn permit(&self, caller: &Caller, org: &OrgId, need: Need) -> Result<Permit> {
        match caller.permit(org, need) {
            Err(DomainError::NotFound { .. }) if caller.acting().is_some() => {
                let mut c = self.store.read().await?;
                match keiretsu_store::network::managed_by(&mut c, org.as_str()).await? {
                    Some(manager) => Ok(caller.permit_managed(org, &OrgId::from_trusted(manager))?),
                    None => Err(DomainError::NotFound { what: "organization" }.into()),
                }
            }
            other => Ok(other?),
        }
    }

    /// Appends the change to the journal and commits: the change and its entry land together.
    pub(crate) async fn commit(&self, mut tx: Tx, changes: &[Change]) -> Result<Option<Entry>> {
        let last = keiretsu_store::journal::append(&mut tx, changes, self.now()).await?;
        tx.commit().await?;
        self.tokens.invalidate();
        self.advance_access_if_built().await?;
        if let Some(entry) = &last {
            // Outside a request (the CLI, the demo) there is nobody to tell.
            let _ = WRITTEN.try_with(|w| w.set(entry.revision));
        }
        Ok(last)
    }
}

/// Random bytes for an id's random part.
pub fn random_id_bytes() -> [u8; RANDOM_LEN] {
    let mut bytes = [0u8; RANDOM_LEN];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A random secret of `n` bytes, as lowercase hex.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    keiretsu_domain::journal::hex(&bytes)
}

/// SHA-256 of a secret, hex: how tokens and session ids are stored.
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    keiretsu_domain::journal::hex(&sha2::Sha256::digest(secret.as_bytes()))
}

/// Maps a broken unique constraint to an error that names the field.
pub(crate) fn unique_to_field(e: StoreError, field: &str) -> Error {
    if e.unique_violation().is_some() {
        Error::Domain(DomainError::conflict(field, keiretsu_domain::Rule::Unique))
    } else {
        Error::Store(e)
    }
}

/// Opens the database at `url` and applies pending migrations.
pub async fn open_store(url: &str, max_connections: u32) -> Result<Store> {
    let store = Store::open(url, max_connections).await?;
    store.migrate().await?;
    Ok(store)
}
