//! SeaORM entities mirroring the migrations: users, projects and their members, sprints, tasks,
//! labels, comments, tokens, sessions, password links and the change log.

pub mod auth_token;
pub mod change;
pub mod comment;
pub mod label;
pub mod password_link;
pub mod project;
pub mod project_member;
pub mod session;
pub mod sprint;
pub mod task;
pub mod task_label;
pub mod user;

/// Search text as stored in `search_key`: Unicode lowercase, so "Ü" matches "ü" on SQLite too.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}
