//! Authentication: password hashing now; tokens, sessions and extractors build on it.

pub mod password;
