//! SeaORM entities mirroring the migrations: users, sprints, tasks, tokens and sessions.

pub mod auth_token;
pub mod session;
pub mod sprint;
pub mod task;
pub mod user;
