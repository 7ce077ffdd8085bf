//! The only crate that speaks SQL. One code path over sqlx's `Any` driver serves SQLite and
//! PostgreSQL; the backend is chosen at run time by the database URL.

pub mod approvals;
pub mod apps;
pub mod directory;
pub mod forms;
pub mod idempotency;
pub mod identity;
pub mod journal;
mod json;
pub mod license;
pub mod network;
pub mod notifications;

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor};

pub use json::Json;
pub use sqlx::AnyConnection;
pub use sqlx::Error as SqlError;

/// Migrations, embedded in the binary and applied at start: one folder per database, the same
/// portable SQL in both where it can be, each dialect's own where it must (search indexes).
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url: use sqlite:PATH or postgres://")]
    UnsupportedUrl,
    /// A stored value the domain does not accept: damaged data, reported rather than defaulted.
    #[error("stored value: {0}")]
    Stored(#[from] keiretsu_domain::error::DomainError),
}

impl StoreError {
    /// The name of the unique constraint a write broke, if that is what happened.
    pub fn unique_violation(&self) -> Option<String> {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Some(e.constraint().map(str::to_owned).unwrap_or_else(|| e.message().to_owned()))
            }
            _ => None,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: std::sync::Arc<str>,
}

/// A write transaction. On SQLite it begins IMMEDIATE, taking the write lock up front, so a
/// read-then-write inside it cannot fail half-way with a busy snapshot.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    backend: Backend,
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.inner.commit().await?)
    }
}

impl Store {
    /// Opens `sqlite:PATH` (created if missing) or `postgres://...`. Does not migrate.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        let options: AnyConnectOptions = url.parse::<AnyConnectOptions>()?.disable_statement_logging();
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set it once, before the pool opens.
            let mut conn = AnyConnection::connect_with(&options).await?;
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.close().await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        // Random ids land all over the indexes: a larger page cache keeps bulk writes in memory.
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        // An acknowledged write survives a power failure.
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store { pool, backend, url: url.into() })
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so two
    /// replicas starting together do not race.
    pub async fn migrate(&self) -> Result<()> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    pub fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// True when every embedded migration has been applied.
    pub async fn migrations_applied(&self) -> Result<bool> {
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await
            .or_else(|_| Ok::<i64, sqlx::Error>(-1))?;
        Ok(applied == self.migrator().iter().count() as i64)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Refreshes PostgreSQL's planner statistics after a bulk change: autovacuum may be off or
    /// late, and without them it misjudges an organization of 100k members as a few hundred.
    /// (SQLite plans these queries better without statistics than with them: measured.)
    pub async fn analyze(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE members, member_departments, accounts, departments").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Wakes up when another writer's journal entries land (PostgreSQL's NOTIFY), or after
    /// `poll` at the latest: SQLite, a lost connection and a missed notice all fall back to it.
    pub async fn follower(&self, poll: Duration) -> Follower {
        let listener = match self.backend {
            Backend::Postgres => match sqlx::postgres::PgListener::connect(&self.url).await {
                Ok(mut l) => l.listen(journal::CHANNEL).await.is_ok().then_some(l),
                Err(_) => None,
            },
            Backend::Sqlite => None,
        };
        Follower { listener, poll }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn write(&self) -> Result<Tx> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { inner, backend: self.backend })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// See [`Store::follower`].
pub struct Follower {
    listener: Option<sqlx::postgres::PgListener>,
    poll: Duration,
}

impl Follower {
    pub async fn wait(&mut self) {
        match &mut self.listener {
            Some(l) => {
                // An error means the listener lost its connection; it reconnects on the next call.
                if let Ok(Err(_)) = tokio::time::timeout(self.poll, l.recv()).await {
                    tokio::time::sleep(self.poll).await;
                }
            }
            None => tokio::time::sleep(self.poll).await,
        }
    }
}

/// A column of a bulk insert and the type PostgreSQL should read it as.
#[derive(Clone, Copy)]
pub enum Col {
    Text(&'static str),
    BigInt(&'static str),
}

/// How long a use case waits for a database connection before it fails (the pool is exhausted).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Rows per bulk statement: one JSON parameter each, so the row count is bounded only by size.
const BULK_ROWS: usize = 2000;

/// Inserts many rows with one parameter per statement: each row is a JSON array, expanded by
/// the database (`json_each` on SQLite, `json_array_elements` on PostgreSQL). Binding values one
/// by one costs more than the insert itself at import sizes.
pub async fn insert_json(
    c: &mut AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[Col],
    rows: &[serde_json::Value],
) -> Result<()> {
    upsert_json(c, backend, table, cols, rows, "").await
}

/// [`insert_json`] with the statement's `ON CONFLICT` clause.
pub async fn upsert_json(
    c: &mut AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[Col],
    rows: &[serde_json::Value],
    on_conflict: &str,
) -> Result<()> {
    let names: Vec<&str> = cols
        .iter()
        .map(|c| match c {
            Col::Text(n) | Col::BigInt(n) => *n,
        })
        .collect();
    let values: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, col)| match (backend, col) {
            (Backend::Sqlite, _) => format!("value ->> {i}"),
            (Backend::Postgres, Col::Text(_)) => format!("(e ->> {i})::text"),
            (Backend::Postgres, Col::BigInt(_)) => format!("(e ->> {i})::bigint"),
        })
        .collect();
    let source = match backend {
        Backend::Sqlite => "json_each($1)",
        Backend::Postgres => "json_array_elements($1::json) AS e",
    };
    // Both parsers need a WHERE before an upsert's `ON CONFLICT` in an `INSERT ... SELECT`.
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {source} WHERE true {on_conflict}",
        names.join(", "),
        values.join(", ")
    );
    for batch in rows.chunks(BULK_ROWS) {
        sqlx::query(&sql).bind(serde_json::Value::Array(batch.to_vec()).to_string()).execute(&mut *c).await?;
    }
    Ok(())
}

/// Runs `sql`, whose `(?)` is an IN list, on `ids`, 500 at a time (under both databases' limits
/// on bound values); no query when there are none.
pub(crate) async fn rows_in<T>(c: &mut AnyConnection, sql: &str, ids: &[String]) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let q = sql.replace("(?)", &format!("({})", directory::placeholders(1, chunk.len())));
        let mut query = sqlx::query_as::<_, T>(&q);
        for id in chunk {
            query = query.bind(id);
        }
        out.extend(query.fetch_all(&mut *c).await?);
    }
    Ok(out)
}

/// `0`/`1` integers are how both databases carry booleans through `Any`.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// A savepoint inside an open transaction: rolling it back undoes only what came after it.
pub async fn savepoint(c: &mut AnyConnection) -> Result<sqlx::Transaction<'_, Any>> {
    Ok(sqlx::Connection::begin(c).await?)
}
