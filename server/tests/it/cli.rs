//! The `server` binary's command line, run as a real process: these spellings are a contract.

use std::process::{Command, Stdio};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use server::domain::db::{self, entities::user};

const SERVER: &str = env!("CARGO_BIN_EXE_server");

fn server(dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(SERVER);
    command
        .current_dir(dir.path())
        .env_remove("SCRUM_PASSWORD")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

async fn find_user(dir: &tempfile::TempDir, username: &str) -> Option<user::Model> {
    let url = format!("sqlite://{}/scrum.db?mode=ro", dir.path().display());
    let db = db::connect(&url).await.unwrap();
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&db)
        .await
        .unwrap()
}

#[tokio::test]
async fn createsuperuser_with_flags_creates_an_argon2id_superuser_in_scrum_db() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir)
        .args([
            "createsuperuser",
            "--username",
            "demo",
            "--email",
            "demo@example.com",
            "--password",
            "test",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    // The default database is scrum.db in the working directory, created on demand.
    let user = find_user(&dir, "demo").await.expect("user created");
    assert!(user.is_superuser && user.is_active);
    assert_eq!(user.email, "demo@example.com");
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(!user.password_hash.contains("test"));
}

#[tokio::test]
async fn createsuperuser_takes_the_password_from_scrum_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir)
        .args([
            "createsuperuser",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
        ])
        .env("SCRUM_PASSWORD", "from-env")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(find_user(&dir, "ops").await.is_some());
}

#[tokio::test]
async fn createsuperuser_without_a_password_and_no_terminal_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir)
        .args([
            "createsuperuser",
            "--username",
            "x",
            "--email",
            "x@example.com",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SCRUM_PASSWORD"), "{stderr}");
}

#[tokio::test]
async fn createsuperuser_refuses_a_taken_username() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "createsuperuser",
        "--username",
        "demo",
        "--email",
        "demo@example.com",
        "--password",
        "test",
    ];
    assert!(server(&dir).args(args).output().unwrap().status.success());
    let second = server(&dir).args(args).output().unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}

#[tokio::test]
async fn users_create_makes_an_ordinary_account_and_warns_of_a_weak_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir)
        .args(["users", "create", "erin", "--email", "erin@example.com"])
        .env("SCRUM_PASSWORD", "erin")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: This password is too short. It must contain at least 10 characters. (allowed from the command line)"),
        "{stderr}"
    );
    let erin = find_user(&dir, "erin").await.expect("created");
    assert!(erin.is_active && !erin.is_superuser);
    assert_eq!(erin.email, "erin@example.com");
    assert!(erin.password_hash.starts_with("$argon2id$"));

    // A good password: no warning. A taken name: refused, saying so.
    let output = server(&dir)
        .args([
            "users",
            "create",
            "frank",
            "--password",
            "a long and private phrase",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    let taken = server(&dir)
        .args([
            "users",
            "create",
            "erin",
            "--password",
            "a long and private phrase",
        ])
        .output()
        .unwrap();
    assert!(!taken.status.success());
    assert!(
        String::from_utf8_lossy(&taken.stderr).contains(r#"a user named "erin" already exists"#)
    );

    // The list: every account, who is a site administrator, who is active.
    let admin = server(&dir)
        .args([
            "createsuperuser",
            "--username",
            "root",
            "--password",
            "rootpass",
        ])
        .output()
        .unwrap();
    assert!(admin.status.success(), "{admin:?}");
    let list = server(&dir).args(["users", "list"]).output().unwrap();
    assert!(list.status.success(), "{list:?}");
    let text = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["USERNAME", "STATUS", "ADMIN", "JOINED", "EMAIL"],
        "{text}"
    );
    assert_eq!(lines[1][..3], ["erin", "active", "no"], "{text}");
    assert_eq!(lines[1][4], "erin@example.com", "{text}");
    assert_eq!(lines[2][..3], ["frank", "active", "no"], "{text}");
    assert_eq!(lines[3][..3], ["root", "active", "yes"], "{text}");
    assert_eq!(lines[4], ["3", "account(s)"], "{text}");
}

#[tokio::test]
async fn migrate_creates_the_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(find_user(&dir, "nobody").await.is_none());
}

#[tokio::test]
async fn production_mode_refuses_to_start_without_a_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = server(&dir)
        .arg("serve")
        .env("SCRUM_ENV", "production")
        .env_remove("SECRET_KEY")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("SECRET_KEY is required"));
}

/// `server check-deploy` in `dir` with exactly these variables (nothing inherited, no `.env`),
/// reading unhashed bundle names (whatever hash file a local build left beside the binary).
fn check_deploy(dir: &tempfile::TempDir, vars: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(SERVER)
        .arg("check-deploy")
        .current_dir(dir.path())
        .env_clear()
        .env("LEPTOS_HASH_FILES", "false")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// `dir` holding a built site where the server looks by default (`target/site/pkg`), its wasm
/// marked as this binary's build (as the bundle built with it is).
fn with_built_site(dir: &tempfile::TempDir) {
    with_bundle(dir, app::build_id::MARK);
}

/// `dir` holding a site whose wasm file contains `wasm`.
fn with_bundle(dir: &tempfile::TempDir, wasm: &str) {
    let pkg = dir.path().join("target/site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for file in ["scrum.js", "scrum.wasm", "scrum.css"] {
        let contents = if file.ends_with(".wasm") {
            wasm
        } else {
            "built"
        };
        std::fs::write(pkg.join(file), contents).unwrap();
    }
}

/// `server serve` in `dir` on a free port, with unhashed bundle names.
fn serve(dir: &tempfile::TempDir) -> Command {
    let mut command = server(dir);
    command
        .arg("serve")
        .env("SECRET_KEY", PRODUCTION_KEY)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_HASH_FILES", "false")
        .env_remove("LEPTOS_SITE_ROOT");
    command
}

#[test]
fn serve_refuses_a_bundle_of_another_build_before_touching_the_database() {
    // What a server rebuilt on its own (other code, or without the settings the site was built
    // with) finds: the wasm names another build, and the pages it renders would not hydrate.
    let dir = tempfile::tempdir().unwrap();
    with_bundle(&dir, "\0asm…scrum-build:0123456789abcdef-erased;…");
    let output = serve(&dir).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "is build 0123456789abcdef-erased of the app, and this server binary is build"
        ) && stderr.contains("would fail to hydrate")
            && stderr.contains("cargo xtask site"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("scrum.db").exists(),
        "it stopped before opening the database"
    );

    // A wasm without any mark is no bundle of this app either.
    with_bundle(&dir, "\0asm built elsewhere");
    let output = serve(&dir).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unmarked"));
}

#[tokio::test]
async fn serve_starts_with_a_bundle_of_its_own_build() {
    let dir = tempfile::tempdir().unwrap();
    with_built_site(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .unwrap()
        .port();
    let mut child = serve(&dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let up = loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break true;
        }
        if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "the server did not start with its own bundle");
}

const PRODUCTION_KEY: &str = "deploy-Hq3vT8zW1nR6yL0cJ4kP9sB2xF7mD5gA";

#[test]
fn check_deploy_lists_every_problem_of_a_development_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout) = check_deploy(&dir, &[]);
    assert!(!ok, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = [
        "problem: SCRUM_ENV is not set, not \"production\"",
        "problem: SECRET_KEY is not set",
        "problem: ALLOWED_HOSTS is not set",
        "problem: no HTTPS",
        "problem: session cookies are not always Secure",
        "problem: the bundle is incomplete",
    ];
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, start) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
}

#[test]
fn check_deploy_passes_production_with_built_in_tls_and_reports_a_leaf_only_chain() {
    let dir = tempfile::tempdir().unwrap();
    with_built_site(&dir);
    let pki = crate::tls::Pki::new();
    let full = pki.full_chain();
    let (cert, key) = (
        full.cert.display().to_string(),
        full.key.display().to_string(),
    );
    let mut vars = vec![
        ("SCRUM_ENV", "production"),
        ("SECRET_KEY", PRODUCTION_KEY),
        ("ALLOWED_HOSTS", "localhost, 127.0.0.1"),
        ("TLS_CERT", cert.as_str()),
        ("TLS_KEY", key.as_str()),
    ];
    let (ok, stdout) = check_deploy(&dir, &vars);
    assert!(ok, "{stdout}");
    assert_eq!(stdout, "OK: the configuration is ready for production\n");

    let leaf_only = pki.leaf_only();
    let leaf_only_cert = leaf_only.cert.display().to_string();
    vars[3] = ("TLS_CERT", leaf_only_cert.as_str());
    let (ok, stdout) = check_deploy(&dir, &vars);
    assert!(!ok, "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("problem: TLS_CERT holds only the leaf certificate"),
        "{stdout}"
    );
}

#[test]
fn check_deploy_passes_production_behind_a_trusted_proxy_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    with_built_site(&dir);
    let (ok, stdout) = check_deploy(
        &dir,
        &[
            ("SCRUM_ENV", "production"),
            ("SECRET_KEY", PRODUCTION_KEY),
            ("ALLOWED_HOSTS", "scrum.example.com"),
            ("TRUSTED_PROXIES", "10.0.0.5, 10.0.0.6"),
            ("PUBLIC_URL", "https://scrum.example.com"),
            ("DATABASE_URL", "postgres://scrum@db.internal/scrum"),
            ("INSTANCES", "3"),
        ],
    );
    assert!(ok, "{stdout}");
}

#[test]
fn an_empty_api_allow_list_stops_the_server_instead_of_letting_everyone_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(SERVER)
        .arg("print-config")
        .current_dir(dir.path())
        .env_clear()
        .env("API_ALLOWED_NETS", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("API_ALLOWED_NETS is not valid: it is set but empty"),
        "{stderr}"
    );
}

#[test]
fn print_config_shows_the_effective_settings_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(SERVER)
        .arg("print-config")
        .current_dir(dir.path())
        .env_clear()
        .env("SECRET_KEY", PRODUCTION_KEY)
        .env(
            "DATABASE_URL",
            "postgres://scrum:hunter2-canary@db.internal/scrum",
        )
        .env("BASE_PATH", "/scrum/")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains(PRODUCTION_KEY) && !stdout.contains("hunter2-canary"),
        "{stdout}"
    );
    assert!(stdout.contains("SECRET_KEY=<redacted>\n"), "{stdout}");
    assert!(stdout.contains("BASE_PATH=/scrum\n"), "{stdout}");
    assert!(
        stdout.contains("LEPTOS_SITE_ADDR=127.0.0.1:3000\n"),
        "{stdout}"
    );
}
