//! Passwords stored with older argon2 settings are hashed again, with the current ones, when
//! their owner signs in (by `POST /api/token/` or `POST /api/session`).

use argon2::{
    Algorithm, Argon2, Params, PasswordHasher, Version,
    password_hash::{PasswordHash, SaltString, rand_core::OsRng},
};
use axum::http::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use server::domain::db::entities::user;

use crate::harness::{Backend, TestApp, backends};

const PASSWORD: &str = "correct horse battery staple";

/// A PHC string of `PASSWORD` made with `algorithm` and these costs.
fn old_hash(algorithm: Algorithm, m_cost: u32, t_cost: u32) -> String {
    Argon2::new(
        algorithm,
        Version::V0x13,
        Params::new(m_cost, t_cost, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string()
}

/// An active user whose row holds exactly `password_hash`.
async fn user_with_hash(app: &TestApp, username: &str, password_hash: &str) -> user::Model {
    user::ActiveModel {
        username: Set(username.to_owned()),
        email: Set(format!("{username}@example.com")),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        password_hash: Set(password_hash.to_owned()),
        is_active: Set(true),
        is_superuser: Set(false),
        date_joined: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

async fn stored_hash(app: &TestApp, id: i32) -> String {
    user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash
}

/// The algorithm and cost parameters of a PHC string, e.g. `argon2id m=19456,t=2,p=1`.
fn settings(phc: &str) -> String {
    let parsed = PasswordHash::new(phc).unwrap();
    format!("{} {}", parsed.algorithm, parsed.params)
}

async fn sign_in(app: &TestApp, path: &str, username: &str) -> StatusCode {
    app.call(Method::POST, path)
        .json(json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .status
}

fn current_settings() -> String {
    let params = Argon2::default().params().clone();
    format!(
        "argon2id m={},t={},p={}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost()
    )
}

#[tokio::test]
async fn signing_in_upgrades_a_hash_made_with_weaker_settings() {
    for backend in backends() {
        for (path, username) in [("/api/token/", "by_token"), ("/api/session", "by_session")] {
            // Arrange
            let app = TestApp::spawn(&backend).await;
            let weak = old_hash(Algorithm::Argon2id, 4096, 1);
            assert_eq!(settings(&weak), "argon2id m=4096,t=1,p=1");
            let user = user_with_hash(&app, username, &weak).await;

            // Act
            let status = sign_in(&app, path, username).await;

            // Assert
            assert_eq!(status, StatusCode::OK, "{backend:?} {path}");
            let upgraded = stored_hash(&app, user.id).await;
            assert_ne!(upgraded, weak, "{backend:?} {path}");
            assert_eq!(
                settings(&upgraded),
                current_settings(),
                "{backend:?} {path}"
            );
            assert!(!upgraded.contains(PASSWORD));
            // The new hash is of the same password: signing in still works, and changes
            // nothing more.
            assert_eq!(sign_in(&app, path, username).await, StatusCode::OK);
            assert_eq!(stored_hash(&app, user.id).await, upgraded);
            app.cleanup().await;
        }
    }
}

#[tokio::test]
async fn another_argon2_variant_is_upgraded_to_argon2id() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let argon2i = old_hash(Algorithm::Argon2i, 19 * 1024, 2);
    let user = user_with_hash(&app, "legacy", &argon2i).await;

    assert_eq!(sign_in(&app, "/api/token/", "legacy").await, StatusCode::OK);

    assert_eq!(
        settings(&stored_hash(&app, user.id).await),
        current_settings()
    );
}

#[tokio::test]
async fn a_current_hash_and_a_failed_sign_in_leave_the_row_alone() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let current = server::domain::accounts::password::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    let user = user_with_hash(&app, "current", &current).await;
    let weak = old_hash(Algorithm::Argon2id, 4096, 1);
    let other = user_with_hash(&app, "weak", &weak).await;

    assert_eq!(
        sign_in(&app, "/api/session", "current").await,
        StatusCode::OK
    );
    let wrong = app
        .call(Method::POST, "/api/token/")
        .json(json!({"username": "weak", "password": "not the password"}))
        .send()
        .await;

    assert_eq!(stored_hash(&app, user.id).await, current);
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(stored_hash(&app, other.id).await, weak);
}
