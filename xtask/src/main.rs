//! Project automation, std only so it compiles in seconds on a fresh machine.
//!
//! - `cargo xtask run`: install what is missing, build the release site, serve it.
//! - `cargo xtask site`: install what is missing, build the release site, ready to ship.
//! - `cargo xtask test`: install what is missing, then every check CI runs, with a summary.
//! - `cargo xtask setup`: only install what is missing.

mod audit;
mod pipeline;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    if let Err(error) = std::env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {error}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("run") => pipeline::run(),
        Some("site") => pipeline::site(),
        Some("test") => pipeline::test(),
        Some("setup") => tools::ensure(tools::Needs::everything()),
        _ => {
            eprintln!("usage: cargo xtask <run|site|test|setup>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask's manifest lives one level below it.
fn workspace_root() -> std::path::PathBuf {
    let manifest_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or(manifest_dir)
}
