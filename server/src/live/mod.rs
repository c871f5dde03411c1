//! The live stream of a sprint's changes: tickets, the wire format, the per-sprint hub, the
//! event bus across instances, and the websocket endpoint.

pub mod bus;
pub mod events;
pub mod hub;
pub mod ticket;

pub use bus::Bus;
pub use events::{Action, Change, Model, Topic};
pub use hub::Hub;
