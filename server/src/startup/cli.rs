//! The command line of the `server` binary. These spellings are a contract that scripts use:
//! `server [serve]`, `server migrate`, `server check-deploy`,
//! `server createsuperuser --username U --email E [--password P]`,
//! `server users create NAME [--email E] [--password P]`, `server users list`,
//! `server users deactivate NAME`, `server users reactivate NAME`,
//! `server users reset-password NAME`, `server export [--project KEY]`, `server import FILE`,
//! `server backup PATH`, `server restore PATH`.

use std::{io::IsTerminal, process::ExitCode};

use clap::{Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tracing_subscriber::EnvFilter;

use crate::{
    AppState, Config, build_router,
    domain::accounts::{
        admin,
        users::{self, NewUser},
    },
    domain::db,
    startup::deploy,
    startup::tls,
};

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "The Scrum board server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the site (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Check the configuration for production: one line per problem, exit status 1 if any.
    CheckDeploy,
    /// Print the effective configuration (defaults filled in, secrets redacted), then exit.
    PrintConfig,
    /// Write brotli and gzip copies of the built site's files (LEPTOS_SITE_ROOT), once per build.
    Precompress,
    /// Create a superuser without prompts (the password may also come from SCRUM_PASSWORD).
    Createsuperuser {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Prefer SCRUM_PASSWORD: command lines are visible to other local users.
        #[arg(long, env = "SCRUM_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Manage accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Write everything (or one project) as a JSON document to standard output.
    Export {
        /// The project's key (WEB); without it, every project.
        #[arg(long)]
        project: Option<String>,
    },
    /// Load a document written by `export` (or `GET /api/export`): all of it, or nothing.
    Import { file: std::path::PathBuf },
    /// Write a consistent copy of the SQLite database to PATH while the server runs.
    Backup { path: std::path::PathBuf },
    /// Replace the SQLite database with the backup at PATH. Stop the server first.
    Restore { path: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
enum UsersCommand {
    /// Create an ordinary account (the password may also come from SCRUM_PASSWORD). A weak
    /// password is allowed here, with a warning: scripts and test fixtures choose their own.
    Create {
        username: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Prefer SCRUM_PASSWORD: command lines are visible to other local users.
        #[arg(long, env = "SCRUM_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List every account: username, email, whether active and a site administrator, joined.
    List,
    /// Deactivate an account: its sessions, tokens and open boards end (within a second on a
    /// running server).
    Deactivate { username: String },
    /// Reactivate a deactivated account (it signs in again with its password).
    Reactivate { username: String },
    /// Print a one-time link (valid 3 days) for the account to set a new password.
    ResetPassword { username: String },
}

/// Parses the command line, runs the command, and turns failures into a message and exit code 1.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    // Only the server logs to standard output; a command's output is its result
    // (`server export > board.json`).
    init_tracing(matches!(cli.command, None | Some(Command::Serve)));
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
        Command::CheckDeploy => return check_deploy(),
        Command::PrintConfig => print_config(),
        Command::Precompress => precompress(),
        Command::Createsuperuser {
            username,
            email,
            password,
        } => create_superuser(username, email, password).await,
        Command::Users(UsersCommand::Create {
            username,
            email,
            password,
        }) => create_ordinary_account(username, email, password).await,
        Command::Users(UsersCommand::List) => list_accounts().await,
        Command::Users(UsersCommand::Deactivate { username }) => set_active(username, false).await,
        Command::Users(UsersCommand::Reactivate { username }) => set_active(username, true).await,
        Command::Users(UsersCommand::ResetPassword { username }) => reset_password(username).await,
        Command::Export { project } => export(project).await,
        Command::Import { file } => import(file).await,
        Command::Backup { path } => backup(path).await,
        Command::Restore { path } => restore(path).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn precompress() -> anyhow::Result<()> {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let written = crate::http::assets::precompress(std::path::Path::new(&site_root))
        .map_err(|error| anyhow::anyhow!("cannot precompress {site_root}: {error}"))?;
    println!(
        "precompressed: {} file(s) written under {site_root}",
        written.len()
    );
    Ok(())
}

/// Logs as `RUST_LOG` filters and `LOG_FORMAT` says, to standard output or error.
fn init_tracing(to_stdout: bool) {
    let json = match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => false,
        "json" => true,
        other => {
            eprintln!("warning: LOG_FORMAT={other:?} is neither text nor json; logging text");
            false
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new(crate::config::variables::default_value("RUST_LOG"))
        }))
        .with_target(false);
    match (json, to_stdout) {
        // One object per line, the span's fields flattened in: what collectors index.
        (true, true) => builder.json().flatten_event(true).init(),
        (true, false) => builder
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .init(),
        (false, true) => builder.init(),
        (false, false) => builder.with_writer(std::io::stderr).init(),
    }
}

async fn load_config_and_db() -> anyhow::Result<(Config, sea_orm::DatabaseConnection)> {
    let config = Config::from_env()?;
    let db = open_db(&config).await?;
    Ok((config, db))
}

/// Connects and applies pending migrations.
async fn open_db(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect_with_pool(&config.database_url, config.database_pool_size)
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the database: {error}"))?;
    db::migrate(&db)
        .await
        .map_err(|error| anyhow::anyhow!("migrating the database failed: {error}"))?;
    Ok(db)
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    // A server and a bundle from different builds render pages that break in the browser: say
    // so now rather than serve them. (No bundle at all is only worth a warning: the API works.)
    match crate::http::assets::BundleBuild::of_site(&config) {
        crate::http::assets::BundleBuild::Same => {}
        absent @ crate::http::assets::BundleBuild::Absent(_) => {
            tracing::warn!("{}", absent.problem().unwrap_or_default());
        }
        other => anyhow::bail!("{}", other.problem().unwrap_or_default()),
    }
    // A broken certificate chain stops the server before it touches the database.
    let tls = match &config.tls {
        Some(files) => {
            let (server_config, warnings) = tls::load(files, Some(&config.allowed_hosts))?;
            for warning in warnings {
                tracing::warn!("{warning}");
            }
            Some(server_config)
        }
        None => None,
    };
    let db = open_db(&config).await?;
    let addr = config.site_addr;
    let redirect_plan = config
        .http_redirect_addr
        .map(|redirect_addr| (redirect_addr, config.allowed_hosts.clone()));
    let state = AppState::new(db, config).await?.with_database_bus().await?;
    let state_config = state.config.clone();
    // The first run: say where to create the first account, and the code that allows it from
    // another machine (valid while this process runs and no account exists).
    let pending = state.first_run.pending(&state.db).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "could not tell whether an account exists; the setup code follows");
        true
    });
    if pending {
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::warn!(
            "No account exists yet: create the administrator at {scheme}://{addr}{}/setup \
             from this machine, or from another with the setup code {}",
            state.config.base_path,
            state.first_run.code()
        );
    }
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(error) = crate::domain::accounts::sweep_expired(&sweeper.store).await {
                tracing::warn!(%error, "sweeping expired credentials failed");
            }
        }
    });
    if let Some(retention) = state.config.history_retention {
        let store = state.store.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                // A retention longer than the calendar goes back keeps everything.
                let Some(before) = chrono::Duration::from_std(retention)
                    .ok()
                    .and_then(|age| chrono::Utc::now().checked_sub_signed(age))
                else {
                    continue;
                };
                match store.prune_history(before).await {
                    Ok(0) => {}
                    Ok(pruned) => {
                        tracing::info!(pruned, "pruned change-log entries past HISTORY_RETENTION")
                    }
                    Err(error) => tracing::warn!(%error, "pruning the change log failed"),
                }
            }
        });
    }
    let app = build_router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {addr}: {error}"))?;
    // The bound address: with port 0 the system chose one.
    let bound = listener.local_addr()?;
    // Bound before serving, so a taken port 80 stops the server at start-up, not later.
    if let Some((redirect_addr, allowed_hosts)) = redirect_plan {
        let listener = tokio::net::TcpListener::bind(redirect_addr)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {redirect_addr}: {error}"))?;
        let router = crate::startup::https_redirect::router(allowed_hosts, bound.port());
        tracing::info!(
            "redirecting plain HTTP on http://{} to HTTPS",
            listener.local_addr()?
        );
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown_signal())
                .await
            {
                tracing::error!(%error, "the HTTP redirect listener stopped");
            }
        });
    }
    match tls {
        Some(server_config) => {
            tracing::info!("Scrum board listening on https://{bound}");
            let files = state_config.tls.clone().expect("TLS is configured");
            let configs = tls::reloading(
                files,
                Some(state_config.allowed_hosts.clone()),
                server_config,
            );
            let listener = tls::TlsListener::new(listener, configs)?;
            tls::serve(listener, app, shutdown_signal()).await?;
        }
        None => {
            tracing::info!("Scrum board listening on http://{bound}");
            // Small writes (live frames, API answers) leave at once, as on the TLS listener:
            // with Nagle's algorithm a frame may wait for the peer's delayed ACK of the last.
            let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
                let _ = stream.set_nodelay(true);
            });
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        }
    }
    tracing::info!("server stopped");
    Ok(())
}

/// Prints each problem of the configuration on its own line (exit status 1), or one OK line.
fn print_config() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    for (name, value) in config.describe() {
        println!("{name}={value}");
    }
    Ok(())
}

fn check_deploy() -> ExitCode {
    // The same sources as `serve`: the environment, after `.env` if there is one.
    let _ = dotenvy::dotenv();
    let problems = deploy::problems(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    if problems.is_empty() {
        println!("OK: the configuration is ready for production");
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        println!("problem: {problem}");
    }
    eprintln!(
        "check-deploy: {} problem(s); not ready for production",
        problems.len()
    );
    ExitCode::FAILURE
}

async fn migrate() -> anyhow::Result<()> {
    load_config_and_db().await?;
    println!("Migrations applied.");
    Ok(())
}

async fn create_superuser(
    username: String,
    email: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let password = match password {
        Some(password) => password,
        None => prompt_password()?,
    };
    let user = create_account(NewUser {
        username,
        email,
        password,
        is_superuser: true,
    })
    .await?;
    println!("Superuser {:?} created.", user.username);
    Ok(())
}

/// `server users create`: an ordinary account.
async fn create_ordinary_account(
    username: String,
    email: String,
    password: Option<String>,
) -> anyhow::Result<()> {
    let password = match password {
        Some(password) => password,
        None => prompt_password()?,
    };
    if let Some(weakness) = crate::domain::accounts::password::weakness(&username, &password) {
        eprintln!("warning: {weakness} (allowed from the command line)");
    }
    let user = create_account(NewUser {
        username,
        email,
        password,
        is_superuser: false,
    })
    .await?;
    println!("Account {:?} created.", user.username);
    Ok(())
}

/// Creates an account on the command line's behalf.
async fn create_account(new: NewUser) -> anyhow::Result<crate::domain::db::entities::user::Model> {
    let (config, db) = load_config_and_db().await?;
    let store = crate::domain::store::Store::new(db, &config);
    Ok(users::create_user(&store, &crate::domain::log::Actor::command_line(), new).await?)
}

/// `server users deactivate` and `reactivate`.
async fn set_active(username: String, active: bool) -> anyhow::Result<()> {
    let (config, db) = load_config_and_db().await?;
    let store = crate::domain::store::Store::new(db, &config);
    let actor = crate::domain::log::Actor::command_line();
    let user = admin::set_active(&store, &actor, &username, active).await?;
    if active {
        println!("Account {:?} is active.", user.username);
    } else {
        println!(
            "Account {:?} is deactivated: its sessions and tokens have ended.",
            user.username
        );
    }
    Ok(())
}

/// `server users reset-password`: prints the link to hand over.
async fn reset_password(username: String) -> anyhow::Result<()> {
    let (config, db) = load_config_and_db().await?;
    let store = crate::domain::store::Store::new(db, &config);
    let link = admin::reset_link(
        &store,
        &crate::domain::log::Actor::command_line(),
        &username,
    )
    .await?;
    // The site's public address when it is configured; otherwise where this machine serves it.
    let site = config.public_url.clone().unwrap_or_else(|| {
        let addr = config.site_addr;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else if addr.is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}:{}", addr.port())
    });
    println!(
        "{site}{}{}",
        config.base_path,
        crate::domain::accounts::links::path(&link.key)
    );
    eprintln!(
        "It works once, until {}. An earlier link for {username:?} no longer works.",
        admin::describe_moment(link.expires)
    );
    Ok(())
}

/// `server export`: the document, to standard output.
async fn export(project: Option<String>) -> anyhow::Result<()> {
    use crate::domain::service::transfer::{self, Scope};
    let (config, db) = load_config_and_db().await?;
    let store = crate::domain::store::Store::new(db, &config);
    let scope = match project {
        None => Scope::Everything,
        Some(key) => {
            let key = key.trim().to_uppercase();
            let found = crate::domain::db::entities::project::Entity::find()
                .filter(crate::domain::db::entities::project::Column::Key.eq(key.as_str()))
                .one(&store.db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no project has the key {key}"))?;
            Scope::Project(found.id)
        }
    };
    let document = transfer::export(&store, scope).await?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &document)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    Ok(())
}

/// `server import FILE`.
async fn import(file: std::path::PathBuf) -> anyhow::Result<()> {
    use crate::domain::service::transfer::{self, ImportError};
    let text = std::fs::read_to_string(&file)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
    let (config, db) = load_config_and_db().await?;
    let store = crate::domain::store::Store::new(db, &config);
    let refused = |error: ImportError| match error {
        ImportError::Invalid(message) => {
            anyhow::anyhow!("{} was not imported: {message}", file.display())
        }
        ImportError::Db(error) => error.into(),
    };
    let document = transfer::parse(&text).map_err(refused)?;
    let imported = transfer::import(&store, &crate::domain::log::Actor::command_line(), document)
        .await
        .map_err(refused)?;
    let keys: Vec<&str> = imported
        .projects
        .iter()
        .map(|(_, key)| key.as_str())
        .collect();
    println!(
        "Imported {} project(s) ({}), {} task(s), {} logged change(s).",
        keys.len(),
        keys.join(", "),
        imported.tasks,
        imported.entries
    );
    if !imported.accounts_created.is_empty() {
        println!(
            "New accounts, with no password yet ({}): `server users reset-password NAME` \
             gives each a link to set one.",
            imported.accounts_created.join(", ")
        );
    }
    Ok(())
}

/// `server backup PATH`.
async fn backup(path: std::path::PathBuf) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    // No migrations here: a backup copies the database as it is.
    let db = db::connect(&config.database_url)
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the database: {error}"))?;
    db::backup::backup(&db, &path).await?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("Backed up to {} ({size} bytes).", path.display());
    Ok(())
}

/// `server restore PATH`.
async fn restore(path: std::path::PathBuf) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    db::backup::restore(&config.database_url, &path).await?;
    // A backup from an older release is brought up to this one now rather than at start-up.
    open_db(&config).await?;
    println!(
        "Restored {} from {}.",
        db::backup::sqlite_file(&config.database_url)?.display(),
        path.display()
    );
    Ok(())
}

/// `server users list`: one line per account, in the order they joined.
async fn list_accounts() -> anyhow::Result<()> {
    let (_, db) = load_config_and_db().await?;
    let accounts = admin::list(&db).await?;
    let width = accounts
        .iter()
        .map(|user| user.username.chars().count())
        .max()
        .unwrap_or(0)
        .max("USERNAME".len());
    println!(
        "{:<width$}  {:<8}  {:<5}  {:<10}  EMAIL",
        "USERNAME", "STATUS", "ADMIN", "JOINED"
    );
    for user in &accounts {
        println!(
            "{:<width$}  {:<8}  {:<5}  {:<10}  {}",
            user.username,
            if user.is_active { "active" } else { "inactive" },
            if user.is_superuser { "yes" } else { "no" },
            user.date_joined.date_naive(),
            user.email
        );
    }
    println!("{} account(s)", accounts.len());
    Ok(())
}

fn prompt_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no password given: pass --password or set SCRUM_PASSWORD");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password (again): ")?;
    if first != second {
        anyhow::bail!("the passwords do not match");
    }
    Ok(first)
}

/// Resolves on SIGINT (Ctrl-C, cargo-leptos) or SIGTERM (service managers); in-flight requests
/// then finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
