//! The live stream of a sprint's changes: the frames, the per-sprint hub, and the bus that
//! follows the change log (and shares gestures and presence across instances).

pub mod bus;
pub mod events;
pub mod hub;
pub mod outlet;

pub use bus::Bus;
pub use hub::Hub;
