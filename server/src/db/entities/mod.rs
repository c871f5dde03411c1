//! SeaORM entities mirroring the migrations: users, sprints and tasks.

pub mod sprint;
pub mod task;
pub mod user;
