//! `server`: the Scrum board binary (`serve`, `migrate`, `createsuperuser`).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::cli::run().await
}
