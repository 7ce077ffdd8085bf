//! Configuration in layers: defaults, a TOML file, `KEIRETSU_*` environment, then flags.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Database connections in the pool.
    pub max_connections: u32,
    /// Seconds a client may take to send a request's headers, or wait idle between requests.
    pub header_read_timeout_secs: u64,
    /// Seconds a request's whole body may take to arrive after its headers.
    pub request_body_timeout_secs: u64,
    /// Open client (HTTP) connections per listener; more wait until one closes.
    pub max_client_connections: usize,
    /// Bearer token `/metrics` requires on `listen`; without one it answers 404 there.
    pub metrics_token: Option<Secret>,
    /// A second address serving only `/metrics`, without authentication.
    pub metrics_listen: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed. A list in TOML, comma-separated elsewhere.
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
}

/// A list of addresses: a TOML array, or one string separated by commas, as an environment
/// variable gives it (`KEIRETSU_TRUSTED_PROXIES=10.0.0.1,10.0.0.2`).
fn ip_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Many(Vec<String>),
        One(String),
    }
    let items = match List::deserialize(d)? {
        List::Many(v) => v,
        List::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| serde::de::Error::custom(format!("not an IP address: {s:?}"))))
        .collect()
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
            header_read_timeout_secs: keiretsu_server::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
            request_body_timeout_secs: keiretsu_server::DEFAULT_REQUEST_BODY_TIMEOUT.as_secs(),
            max_client_connections: keiretsu_server::DEFAULT_MAX_CLIENT_CONNECTIONS,
            metrics_token: None,
            metrics_listen: None,
            trusted_proxies: Vec::new(),
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body_timeout_secs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_client_connections: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<IpAddr>>,
}

impl Config {
    pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> Result<Config, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            fig = fig.merge(Toml::file_exact(file));
        }
        let config: Config = fig
            .merge(Env::prefixed("KEIRETSU_").ignore(&["operator_password", "test_database_url"]))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        config.check().map_err(|e| Box::new(figment::Error::from(e)))?;
        Ok(config)
    }

    /// Limits of zero would close every connection at once or never accept one.
    fn check(&self) -> Result<(), String> {
        for (key, value) in [
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("request_body_timeout_secs", self.request_body_timeout_secs),
            ("max_client_connections", self.max_client_connections as u64),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        Ok(())
    }

    /// What the HTTP server needs from the configuration.
    pub fn server_settings(&self) -> keiretsu_server::ServerSettings {
        keiretsu_server::ServerSettings {
            secure_cookies: self.secure_cookies,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            request_body_timeout: Duration::from_secs(self.request_body_timeout_secs),
            max_client_connections: self.max_client_connections,
            metrics_token: self.metrics_token.as_ref().and_then(|t| keiretsu_server::metrics::MetricsToken::new(&t.0)),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    /// The separate metrics address, if one is set (an empty string is none).
    pub fn metrics_listen(&self) -> Option<&str> {
        self.metrics_listen.as_deref().filter(|a| !a.trim().is_empty())
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

# Slow or idle clients (slowloris): a connection that has not sent a whole request head within
# header_read_timeout_secs is closed, whether new or idle between keep-alive requests; a request
# whose body has not fully arrived request_body_timeout_secs after its head gets 408 and is cut
# off (raise it if large member imports come over slow links). At most max_client_connections
# are open per listener; further ones wait, not yet accepted, until one closes.
header_read_timeout_secs = 10
request_body_timeout_secs = 30
max_client_connections = 1024

# Prometheus metrics. /metrics on `listen` answers only with this bearer token (Prometheus:
# `authorization: { credentials: ... }`), and 404 without one set; or set metrics_listen to
# serve /metrics without authentication on a second, private address. Either, both or neither.
# metrics_token = "a-long-random-string"
# metrics_listen = "127.0.0.1:9090"

# Proxies (load balancers) whose X-Forwarded-For header is believed for the client's address,
# e.g. ["10.0.0.5", "10.0.0.6"]; as KEIRETSU_TRUSTED_PROXIES, comma-separated.
trusted_proxies = []

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
    fn default_toml_has_the_server_defaults() {
        let c: Config = Figment::from(Toml::string(DEFAULT_TOML)).extract().unwrap();
        let d = Config::default();
        assert_eq!(c.header_read_timeout_secs, d.header_read_timeout_secs);
        assert_eq!(c.request_body_timeout_secs, d.request_body_timeout_secs);
        assert_eq!(c.max_client_connections, d.max_client_connections);
        assert!(c.metrics_token.is_none() && c.metrics_listen.is_none() && c.trusted_proxies.is_empty());
        let s = c.server_settings();
        assert_eq!(s.header_read_timeout, keiretsu_server::DEFAULT_HEADER_READ_TIMEOUT);
        assert_eq!(s.request_body_timeout, keiretsu_server::DEFAULT_REQUEST_BODY_TIMEOUT);
        assert_eq!(s.max_client_connections, keiretsu_server::DEFAULT_MAX_CLIENT_CONNECTIONS);
    }

    #[test]
    fn trusted_proxies_from_a_list_or_commas() {
        let c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("trusted_proxies = [\"10.0.0.1\", \"::1\"]"))
            .extract()
            .unwrap();
        assert_eq!(c.trusted_proxies, ["10.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        let c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("trusted_proxies", "10.0.0.1, 10.0.0.2"))
            .extract()
            .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        let bad: Result<Config, _> = Figment::from(Serialized::defaults(Config::default()))
            .merge(Serialized::default("trusted_proxies", "10.0.0.1,nope"))
            .extract();
        assert!(bad.is_err());
    }

    #[test]
    fn the_metrics_token_is_redacted_and_empty_means_none() {
        let c = Config { metrics_token: Some(Secret("scrape-me".into())), ..Config::default() };
        assert!(!format!("{c:?}").contains("scrape-me"));
        assert!(!format!("{:?}", c.server_settings()).contains("scrape-me"));
        assert!(c.server_settings().metrics_token.is_some());
        let c = Config { metrics_token: Some(Secret(String::new())), ..Config::default() };
        assert!(c.server_settings().metrics_token.is_none());
    }

    #[test]
    fn zero_limits_are_refused() {
        let c = Config { max_client_connections: 0, ..Config::default() };
        assert!(c.check().is_err());
        assert!(Config::default().check().is_ok());
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
