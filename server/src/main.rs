//! `server`: the Scrum board binary (`serve`, `migrate`, `createsuperuser`).

use std::process::ExitCode;

// Many small allocations from many threads (tokio workers, SQLite's worker threads): glibc's
// allocator spent ~20% of the API benchmark in malloc/free; mimalloc does not contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    server::startup::cli::run().await
}
