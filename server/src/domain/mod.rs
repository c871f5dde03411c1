//! The board's domain: entities and the database, the business rules and transactions, the
//! change log every write appends to, and accounts. Nothing here knows about HTTP.

pub mod accounts;
pub mod clock;
pub mod db;
pub mod errors;
pub mod log;
pub mod markdown;
pub mod permissions;
pub mod render;
pub mod service;
pub mod store;
pub mod undo;
pub mod zone;
