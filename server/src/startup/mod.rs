//! Start-up: the command line, deploy checks, built-in TLS and the HTTP-to-HTTPS redirect.

pub mod cli;
pub mod deploy;
pub mod https_redirect;
pub mod tls;
