//! The board's domain: entities and the database, the business rules and transactions, and
//! accounts. Nothing here knows about HTTP.

pub mod accounts;
pub mod db;
pub mod service;
