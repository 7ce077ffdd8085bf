//! Test fixtures against the real thing: a fresh SQLite file or a fresh PostgreSQL schema per
//! test, a real server on 127.0.0.1:0, and a small API client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use keiretsu_domain::directory::Certification;
use keiretsu_domain::time::FakeClock;
use keiretsu_server::{AppState, ServerSettings};
use keiretsu_service::directory::NewOrg;
use keiretsu_service::license::LicenseChange;
use keiretsu_service::{Caller, Service, Settings};
use keiretsu_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The store crate, for tests that read the database as the service does (e.g. `store::apps::facts`).
pub use keiretsu_store as store;
pub use keiretsu_store::Backend as Db;

/// Runs the same async test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let $db = $crate::Db::Sqlite; $body })*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { let $db = $crate::Db::Postgres; $body })*
        }
    };
}

pub fn postgres_url() -> String {
    std::env::var("KEIRETSU_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}{}", keiretsu_service::random_token(8))
}

/// A database of its own: a temporary SQLite file, or a PostgreSQL schema dropped afterwards.
pub struct TestDb {
    pub url: String,
    dir: Option<std::path::PathBuf>,
    schema: Option<String>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(random_name("keiretsu-test-"));
                std::fs::create_dir_all(&dir).unwrap();
                TestDb { url: format!("sqlite:{}", dir.join("k.db").display()), dir: Some(dir), schema: None }
            }
            Db::Postgres => {
                let base = postgres_url();
                let schema = random_name("kt_");
                let store = Store::open(&base, 1).await.expect("PostgreSQL is reachable (KEIRETSU_TEST_DATABASE_URL)");
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(store.pool()).await.unwrap();
                store.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    dir: None,
                    schema: Some(schema),
                }
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        keiretsu_service::open_store(&self.url, 8).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(schema) = self.schema.take() {
            // Drop runs outside any runtime we may block: use a small one of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(store) = Store::open(&postgres_url(), 1).await {
                        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(store.pool()).await;
                        store.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Fast argon2 settings for tests that sign in a lot; the production defaults are tested apart.
pub fn test_settings() -> Settings {
    Settings { argon2_memory_kib: 19 * 1024, argon2_iterations: 2, ..Settings::default() }
}

/// 2026-11-24T00:00:00Z, where every test clock starts.
pub const T0: i64 = 1_795_478_400_000;

/// A real server on 127.0.0.1:0 with its own database and a fake clock.
pub struct TestServer {
    pub base: String,
    pub svc: Service,
    pub clock: Arc<FakeClock>,
    pub db: TestDb,
}

impl TestServer {
    pub async fn start(db: Db) -> TestServer {
        Self::start_with(db, test_settings()).await
    }

    pub async fn start_with(db: Db, settings: Settings) -> TestServer {
        Self::start_full(db, settings, ServerSettings::default()).await
    }

    pub async fn start_full(db: Db, settings: Settings, server: ServerSettings) -> TestServer {
        let db = TestDb::new(db).await;
        let clock = Arc::new(FakeClock::at(T0));
        let svc = Service::new(db.store().await, clock.clone(), settings).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(svc.clone(), server);
        tokio::spawn(keiretsu_server::serve(listener, state, std::future::pending()));
        let server = TestServer { base, svc, clock, db };
        // Wait for readiness (migrated, both indexes built), never a fixed sleep.
        for _ in 0..1000 {
            if let Ok(r) = reqwest::get(format!("{}/readyz", server.base)).await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("server did not become ready");
    }

    /// A second server on the same database, with its own connection pool, service and
    /// listener, as a second process would have; returns its base URL.
    pub async fn twin(&self) -> String {
        let svc = Service::new(self.db.store().await, self.clock.clone(), test_settings()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(svc, ServerSettings::default());
        tokio::spawn(keiretsu_server::serve(listener, state, std::future::pending()));
        // Ready means migrated with both indexes built: up to ten seconds on a loaded machine.
        for _ in 0..1000 {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status() == StatusCode::OK
            {
                return base;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("twin server did not become ready");
    }

    /// Fills the console's sign-in form as a browser does (the login page's cookie and CSRF
    /// token, then the form) and returns the answer, redirects not followed.
    pub async fn console_login(&self, login: &str, password: &str) -> reqwest::Response {
        use reqwest::header::{COOKIE, SET_COOKIE};
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = http.get(format!("{}/login", self.base)).send().await.unwrap();
        let pre = page.headers()[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
        let html = page.text().await.unwrap();
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        let token = &html[at..at + html[at..].find('"').unwrap()];
        let form = [("login", login), ("password", password), ("csrf", token)];
        http.post(format!("{}/login", self.base)).header(COOKIE, pre).form(&form).send().await.unwrap()
    }

    /// Signs in through the console form and returns the session's `Set-Cookie` header.
    pub async fn console_session(&self, login: &str) -> String {
        let res = self.console_login(login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "signing in {login}");
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.contains("keiretsu_session="))
            .expect("a session cookie")
    }

    pub fn client(&self) -> Client {
        Client { http: reqwest::Client::new(), base: self.base.clone(), token: None }
    }

    pub fn client_with(&self, token: &str) -> Client {
        Client { token: Some(token.to_owned()), ..self.client() }
    }

    /// Creates an organization with a primary admin `admin_login` (password `password-123`) and
    /// returns its id and an admin token.
    pub async fn org(&self, name: &str, admin_login: &str) -> (String, Client) {
        let org = self
            .svc
            .directory()
            .create_org(
                &Caller::System,
                &NewOrg {
                    name: name.into(),
                    certification: None,
                    admin_login: admin_login.into(),
                    admin_name: format!("{name} Admin"),
                    admin_password: Some(PASSWORD.into()),
                },
            )
            .await
            .unwrap();
        let token = self.token(admin_login, Some(&org.id)).await;
        (org.id, self.client_with(&token))
    }

    /// A certified organization, ready to be a partner in a network.
    pub async fn certified_org(&self, name: &str, admin_login: &str) -> (String, Client) {
        let (org, admin) = self.org(name, admin_login).await;
        let id = keiretsu_domain::ids::OrgId::parse(&org).unwrap();
        self.svc.directory().set_certification(&Caller::System, &id, Certification::Certified).await.unwrap();
        (org, admin)
    }

    /// A certified organization on the exclusive edition (1000 seats, three networks): a backbone.
    pub async fn backbone(&self, name: &str, admin_login: &str) -> (String, Client) {
        let (org, admin) = self.certified_org(name, admin_login).await;
        self.license(&org, "exclusive", Some(1000)).await;
        (org, admin)
    }

    /// The operator sets an organization's edition and purchased seats.
    pub async fn license(&self, org: &str, edition: &str, seats: Option<i64>) {
        let id = keiretsu_domain::ids::OrgId::parse(org).unwrap();
        let change = LicenseChange { edition: edition.into(), seats };
        self.svc.license().set_license(&Caller::System, &id, &change).await.unwrap();
    }

    /// A token for `login` (password [`PASSWORD`]) in `org`.
    pub async fn token(&self, login: &str, org: Option<&str>) -> String {
        let (status, body) = self
            .client()
            .send(
                Method::POST,
                "/api/v1/tokens",
                Some(json!({"login": login, "password": PASSWORD, "organization_id": org, "name": "test"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "token for {login}: {body}");
        body["secret"].as_str().unwrap().to_owned()
    }

    /// Adds a member with password [`PASSWORD`] through the API as `admin`; returns its id and a token for it.
    pub async fn member(&self, admin: &Client, org: &str, login: &str) -> (String, Client) {
        let (status, body) = admin
            .send(
                Method::POST,
                &format!("/api/v1/organizations/{org}/members"),
                Some(json!({"name": login, "login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let token = self.token(login, Some(org)).await;
        (body["id"].as_str().unwrap().to_owned(), self.client_with(&token))
    }
}

pub const PASSWORD: &str = "password-123";

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
}
