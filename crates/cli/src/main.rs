//! `keiretsu`: run the server, seed the demo, import members and invitations, create tokens, verify the journal.

mod config;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use keiretsu_domain::ids::{NetworkId, OrgId};
use keiretsu_server::AppState;
use keiretsu_service::identity::NewToken;
use keiretsu_service::{Caller, Service, SystemClock};

#[derive(Parser)]
#[command(name = "keiretsu", version, about = "One trusted network for an enterprise and its partners.")]
struct Cli {
    /// A TOML configuration file (see `keiretsu default-config`).
    #[arg(long, global = true, env = "KEIRETSU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone, Default)]
struct Where {
    /// Address and port to listen on.
    #[arg(long)]
    listen: Option<String>,
    /// Directory for the SQLite database.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// `postgres://...` to use PostgreSQL instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

/// The HTTP server's limits and extras, for the commands that serve. The metrics token has no
/// flag: a command line is visible to every local user (`ps`); use the file or environment.
#[derive(clap::Args, Clone, Default)]
struct Http {
    /// Seconds a client may take to send a request's headers, or sit idle between requests.
    #[arg(long)]
    header_read_timeout_secs: Option<u64>,
    /// Seconds a request's whole body may take to arrive after its headers.
    #[arg(long)]
    request_body_timeout_secs: Option<u64>,
    /// Open client connections per listener; more wait until one closes.
    #[arg(long)]
    max_client_connections: Option<usize>,
    /// A second address serving only `/metrics`, without authentication.
    #[arg(long)]
    metrics_listen: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed (repeat, or separate with commas).
    #[arg(long, value_delimiter = ',')]
    trusted_proxies: Vec<IpAddr>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API and console).
    Serve {
        #[command(flatten)]
        at: Where,
        #[command(flatten)]
        http: Http,
    },
    /// Seed a demo network (idempotently) and run the server.
    Demo {
        #[command(flatten)]
        at: Where,
        #[command(flatten)]
        http: Http,
        /// The password of every demo account.
        #[arg(long, default_value = "keiretsu-demo")]
        demo_password: String,
    },
    /// Import members from a CSV file into an organization.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        what: TokenWhat,
    },
    /// Walk the journal's hash chain and name the first bad entry.
    Verify(Where),
    /// Print the commented default configuration.
    DefaultConfig,
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum ImportWhat {
    /// CSV columns: employee_no,name,login[,phone,email,title,department].
    Members {
        #[command(flatten)]
        at: Where,
        /// The organization's id (`org_...`).
        #[arg(long)]
        org: String,
        /// The CSV file.
        file: PathBuf,
        /// Import the good rows even if some are bad.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Invite partner organizations to a network. CSV columns: partner_name,partner_type,tier, and
    /// optionally organization_id and departments (names to bring in, separated by `;`).
    /// Prints each invitation's code; bad rows are reported and skipped.
    Invitations {
        #[command(flatten)]
        at: Where,
        /// The network's id (`net_...`).
        #[arg(long)]
        network: String,
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenWhat {
    /// Create a token for an account (direct database access: no password asked).
    Create {
        #[command(flatten)]
        at: Where,
        #[arg(long)]
        login: String,
        /// The organization the token acts in (default: the account's first).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        days: Option<i64>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(cli))
}

fn load(cli_config: Option<&PathBuf>, at: &Where) -> anyhow::Result<Config> {
    load_serving(cli_config, at, &Http::default())
}

fn load_serving(cli_config: Option<&PathBuf>, at: &Where, http: &Http) -> anyhow::Result<Config> {
    let overrides = Overrides {
        listen: at.listen.clone(),
        data_dir: at.data_dir.clone(),
        database_url: at.database_url.clone(),
        header_read_timeout_secs: http.header_read_timeout_secs,
        request_body_timeout_secs: http.request_body_timeout_secs,
        max_client_connections: http.max_client_connections,
        metrics_listen: http.metrics_listen.clone(),
        trusted_proxies: (!http.trusted_proxies.is_empty()).then(|| http.trusted_proxies.clone()),
    };
    Ok(Config::load(cli_config.map(PathBuf::as_path), &overrides)?)
}

async fn open(config: &Config) -> anyhow::Result<Service> {
    if config.database_url.as_ref().is_none_or(|u| u.0.is_empty()) {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    }
    let store = keiretsu_service::open_store(&config.database_url(), config.max_connections).await?;
    Ok(Service::new(store, Arc::new(SystemClock), config.settings()).await?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { at, http } => {
            let config = load_serving(cli.config.as_ref(), &at, &http)?;
            init_logs(&config);
            let svc = open(&config).await?;
            serve(&config, svc).await
        }
        Command::Demo { at, http, demo_password } => {
            let mut at = at;
            at.data_dir = at.data_dir.or_else(|| Some(PathBuf::from("data/demo")));
            let config = load_serving(cli.config.as_ref(), &at, &http)?;
            init_logs(&config);
            let svc = open(&config).await?;
            let demo = svc.demo().seed_demo(&demo_password).await?;
            println!(
                "Demo organization {} {} ({})",
                keiretsu_service::demo::DEMO_ORG,
                if demo.created { "created" } else { "already seeded" },
                demo.org
            );
            println!("Console: http://{}/console", config.listen);
            println!("Demo logins (password `{demo_password}`):");
            for (login, role) in keiretsu_service::demo::DEMO_LOGINS {
                println!("  {login:<14} {role}");
            }
            serve(&config, svc).await
        }
        Command::Import { what: ImportWhat::Members { at, org, file, skip_bad } } => {
            let config = load(cli.config.as_ref(), &at)?;
            let svc = open(&config).await?;
            let org = OrgId::parse(&org)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let bar = Bar(indicatif::ProgressBar::new(0));
            bar.0.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed_precise}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let report = svc.directory().import_members(&Caller::System, &org, &text, skip_bad, &bar).await?;
            bar.0.finish_and_clear();
            for e in &report.errors {
                eprintln!("line {}: {} {}", e.line, e.field, e.reason);
            }
            if !report.applied {
                bail!(
                    "{} bad rows: nothing was imported (use --skip-bad to import the good rows)",
                    report.errors.len()
                );
            }
            for r in &report.invited {
                println!("line {}: {} already has an account: invited, a member once they accept", r.line, r.login);
            }
            println!(
                "imported: {} created, {} updated, {} invited, {} bad rows skipped",
                report.created,
                report.updated,
                report.invited.len(),
                report.skipped
            );
            Ok(())
        }
        Command::Import { what: ImportWhat::Invitations { at, network, file } } => {
            let config = load(cli.config.as_ref(), &at)?;
            let svc = open(&config).await?;
            let network = NetworkId::parse(&network)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = svc.network().import_invitations(&Caller::System, &network, &text).await?;
            for e in &report.errors {
                eprintln!("line {}: {} {}", e.line, e.field, e.reason);
            }
            for i in &report.created {
                println!("{}\t{}\t{}", i.partner_name, i.code.as_deref().unwrap_or_default(), i.expires_at);
            }
            eprintln!("{} invitations created, {} bad rows skipped", report.created.len(), report.errors.len());
            Ok(())
        }
        Command::Token { what: TokenWhat::Create { at, login, org, name, days } } => {
            let config = load(cli.config.as_ref(), &at)?;
            let svc = open(&config).await?;
            let org = org.as_deref().map(OrgId::parse).transpose()?;
            let caller = svc.identity().caller_for_login(&Caller::System, &login, org.as_ref()).await?;
            let token = svc.identity().create_token(&caller, &NewToken { name, expires_in_days: days }).await?;
            println!("{}", token.secret);
            let scope = token.token.organization_id.as_deref().unwrap_or("the operator's routes");
            eprintln!("token {} for {login} in {scope}, expires {}", token.token.id, token.token.expires_at);
            Ok(())
        }
        Command::Verify(at) => {
            let config = load(cli.config.as_ref(), &at)?;
            let svc = open(&config).await?;
            let v = svc.journal().verify_journal().await?;
            if let Some(b) = v.first_break {
                bail!("journal broken after {} good entries: {b}", v.checked);
            }
            println!("journal intact: {} entries verified", v.checked);
            let problems = svc.license().verify_seats().await?;
            for p in &problems {
                eprintln!("{p}");
            }
            if !problems.is_empty() {
                bail!("{} seat count(s) disagree with the seats", problems.len());
            }
            println!("seat pools intact: every count equals its enabled seats, none over its purchase");
            Ok(())
        }
        Command::DefaultConfig => {
            print!("{}", config::DEFAULT_TOML);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", keiretsu_server::openapi_json());
            Ok(())
        }
    }
}

struct Bar(indicatif::ProgressBar);

impl keiretsu_service::directory::Progress for Bar {
    fn total(&self, rows: u64) {
        self.0.set_length(rows);
    }
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    tracing::info!(config = ?config, "configuration");
}

async fn serve(config: &Config, svc: Service) -> anyhow::Result<()> {
    let password = std::env::var("KEIRETSU_OPERATOR_PASSWORD").ok();
    if let Some(generated) = svc.identity().ensure_operator(password.as_deref()).await? {
        println!("Platform operator created: login `operator`, password `{generated}` (shown only now).");
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = ?svc.store().backend(), "listening");
    println!("Listening on http://{addr}");
    let state = AppState::new(svc, config.server_settings());
    // The metrics listener stops when the main one has: dropping `stop` ends its shutdown future.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let metrics = match config.metrics_listen() {
        Some(at) => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("cannot listen for metrics on {at}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "serving metrics");
            println!("Metrics on http://{addr}/metrics");
            let mut stopped = stopped.clone();
            Some(tokio::spawn(keiretsu_server::serve_metrics(listener, state.clone(), async move {
                let _ = stopped.changed().await;
            })))
        }
        None => None,
    };
    drop(stopped);
    let served = keiretsu_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    drop(stop);
    if let Some(metrics) = metrics {
        metrics.await??;
    }
    served?;
    Ok(())
}
