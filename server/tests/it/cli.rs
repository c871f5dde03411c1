//! The `server` binary's command line, run as a real process: these spellings are a contract.

use std::process::{Command, Stdio};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use server::db::{self, entities::user};

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
