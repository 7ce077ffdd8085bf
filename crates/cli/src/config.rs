//! Configuration in layers: defaults, a TOML file, `KEIRETSU_*` environment, then flags.

use std::fmt;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A value that never shows in logs or `Debug` output.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Where the SQLite database lives (when no database URL is given).
    pub data_dir: PathBuf,
    /// `postgres://user:password@host/db` to use PostgreSQL; SQLite in `data_dir` otherwise.
    pub database_url: Option<Secret>,
    /// Set when users reach the console over HTTPS (directly or through a proxy).
    pub secure_cookies: bool,
    /// Log filter, e.g. `info` or `keiretsu=debug`.
    pub log: String,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub token_days: i64,
    pub max_connections: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            secure_cookies: false,
            log: "info".into(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            token_days: 90,
            max_connections: 16,
        }
    }
}

/// Flags given on the command line; they win over everything else.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            fig = fig.merge(Toml::file_exact(file));
        }
        fig.merge(Env::prefixed("KEIRETSU_").ignore(&["operator_password", "test_database_url"]))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(Secret(url)) if !url.is_empty() => url.clone(),
            _ => format!("sqlite:{}", self.data_dir.join("keiretsu.db").display()),
        }
    }

    pub fn settings(&self) -> keiretsu_service::Settings {
        keiretsu_service::Settings {
            session_idle_ms: self.session_idle_minutes * 60_000,
            session_absolute_ms: self.session_absolute_hours * 3_600_000,
            token_ttl_ms: self.token_days * 86_400_000,
            ..Default::default()
        }
    }
}

/// The commented default configuration `keiretsu default-config` prints.
pub const DEFAULT_TOML: &str = r#"# Keiretsu configuration. Every key can also be set as KEIRETSU_<KEY> in the
# environment (e.g. KEIRETSU_LISTEN), and the main ones as flags; flags win, then
# the environment, then this file, then these defaults.

# Address and port to listen on.
listen = "127.0.0.1:8080"

# Where the embedded SQLite database (keiretsu.db) is kept.
data_dir = "data"

# Use PostgreSQL instead of SQLite: several replicas may share one database.
# database_url = "postgres://keiretsu:secret@127.0.0.1:5432/keiretsu"

# Set to true when people reach the console over HTTPS (directly or via a proxy):
# session cookies then get the __Host- prefix and the Secure flag.
secure_cookies = false

# Log filter (tracing's env-filter syntax).
log = "info"

# A console session ends after this many idle minutes, and after this many hours in any case.
session_idle_minutes = 30
session_absolute_hours = 12

# Default lifetime of API tokens, in days (1 to 365).
token_days = 90

# Database connections in the pool.
max_connections = 16

# The platform operator's first password comes from KEIRETSU_OPERATOR_PASSWORD; without it a
# random one is printed once, on the first start.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config { database_url: Some(Secret("postgres://u:hunter2@db/k".into())), ..Config::default() };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn default_toml_parses_to_the_defaults() {
        let fig = Figment::from(Toml::string(DEFAULT_TOML));
        let c: Config = fig.extract().unwrap();
        assert_eq!(c.listen, Config::default().listen);
        assert_eq!(c.session_idle_minutes, 30);
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("kcfg{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("k.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:1\"\nlog = \"debug\"\n").unwrap();
        let c =
            Config::load(Some(&file), &Overrides { listen: Some("127.0.0.1:2".into()), ..Default::default() }).unwrap();
        assert_eq!(c.listen, "127.0.0.1:2");
        assert_eq!(c.log, "debug");
    }
}
