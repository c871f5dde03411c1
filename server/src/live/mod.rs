//! The live stream of a sprint's changes. For now: the tickets that authorize a connection.

pub mod ticket;
