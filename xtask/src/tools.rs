//! Installs the build and test tools a fresh machine lacks, at versions known to work offline
//! with rustc 1.95; a second run finds them present and does nothing.
//!
//! cargo-leptos and Trunk download a tool only when it is missing from PATH, and that download
//! cannot work here, so every tool they call is installed first.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// 0.3.11 needs rustc 1.96.
pub const CARGO_LEPTOS_VERSION: &str = "0.3.10";
/// 0.22 needs rustc 1.96.1.
pub const TRUNK_VERSION: &str = "0.21.14";
pub const CARGO_AUDIT_VERSION: &str = "0.22.2";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Which groups of tools a command needs.
#[derive(Clone, Copy)]
pub struct Needs {
    pub trunk: bool,
    pub browser_tests: bool,
    pub audit: bool,
}

impl Needs {
    pub fn site() -> Self {
        Self {
            trunk: false,
            browser_tests: false,
            audit: false,
        }
    }

    pub fn everything() -> Self {
        Self {
            trunk: true,
            browser_tests: true,
            audit: true,
        }
    }
}

/// Installs what `needs` names and is missing, then prints how long each install took (the
/// README quotes these figures for a fresh machine).
pub fn ensure(needs: Needs) -> Result<(), String> {
    let mut log = SetupLog::default();
    let result = ensure_all(needs, &mut log);
    log.print();
    result
}

/// What this run of the set-up installed, and how long each took.
#[derive(Default)]
pub struct SetupLog {
    installed: Vec<(String, Duration)>,
}

impl SetupLog {
    /// Runs `install` and records its time under `what`.
    pub fn time(
        &mut self,
        what: impl Into<String>,
        install: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        let started = Instant::now();
        let result = install();
        let what = what.into();
        let took = started.elapsed();
        match &result {
            Ok(()) => self.installed.push((what, took)),
            Err(_) => self.installed.push((format!("{what} (FAILED)"), took)),
        }
        result
    }

    fn print(&self) {
        if self.installed.is_empty() {
            println!("xtask: set-up: every tool was already installed");
            return;
        }
        let total: Duration = self.installed.iter().map(|(_, took)| *took).sum();
        println!("xtask: set-up installed, in {}:", minutes(total));
        for (what, took) in &self.installed {
            println!("  {:>11}  {what}", minutes(*took));
        }
    }
}

/// `12 min 47 s`, or `41 s` under a minute.
pub fn minutes(took: Duration) -> String {
    let seconds = took.as_secs();
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    }
}

fn ensure_all(needs: Needs, log: &mut SetupLog) -> Result<(), String> {
    ensure_rust_components(log)?;
    ensure_wasm_target(log)?;
    ensure_cargo_tool(
        log,
        CargoTool {
            crate_name: "cargo-leptos",
            program: "cargo",
            probe: &["leptos", "--version"],
            version: CARGO_LEPTOS_VERSION,
            flags: &["--locked"],
        },
    )?;
    // wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock. Its own lockfile pins a
    // crate the registry mirror lacks, so it is installed without --locked.
    let bindgen = wasm_bindgen_version()?;
    ensure_cargo_tool(
        log,
        CargoTool {
            crate_name: "wasm-bindgen-cli",
            program: "wasm-bindgen",
            probe: &["--version"],
            version: &bindgen,
            flags: &[],
        },
    )?;
    // wasm-opt from npm's binaryen 132: Debian's binaryen 108 breaks hydration.
    ensure_npm_packages(log, Path::new("."))?;
    if needs.trunk {
        ensure_cargo_tool(
            log,
            CargoTool {
                crate_name: "trunk",
                program: "trunk",
                probe: &["--version"],
                version: TRUNK_VERSION,
                flags: &["--locked"],
            },
        )?;
    }
    if needs.audit {
        // Without binary scanning: only Cargo.lock is audited, and the build is half as long.
        ensure_cargo_tool(
            log,
            CargoTool {
                crate_name: "cargo-audit",
                program: "cargo",
                probe: &["audit", "--version"],
                version: CARGO_AUDIT_VERSION,
                flags: &["--locked", "--no-default-features"],
            },
        )?;
        crate::audit::ensure_database(log)?;
    }
    if needs.browser_tests {
        ensure_npm_packages(log, Path::new("end2end"))?;
        ensure_chromium(log)?;
        ensure_python_requests(log)?;
        ensure_schemathesis(log)?;
    }
    Ok(())
}

/// Runs `program args…` and returns its stdout, or None if it could not run or failed.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn run_checked(command: &mut Command) -> Result<(), String> {
    let description = format!("{command:?}");
    let status = command
        .status()
        .map_err(|error| format!("cannot start {description}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

/// Lines of a failed command's output that its error carries, for the summary at the end of a
/// run: CI keeps only the end of the log, and a failure's own words are what say what broke.
const FAILURE_TAIL_LINES: usize = 15;

/// Runs `command` in its own process group and waits for it, killing the whole group (cargo
/// and the test binaries or browsers it started) when it outlives `limit`. Its output goes to
/// ours as it comes; on failure the error ends with the output's last lines.
pub fn run_within(command: &mut Command, limit: Duration) -> Result<(), String> {
    run_echoing(command, limit, true)
}

/// [`run_within`], copying the output to ours only when `echo` (the tests keep theirs quiet).
fn run_echoing(command: &mut Command, limit: Duration, echo: bool) -> Result<(), String> {
    use std::os::unix::process::CommandExt;

    let description = format!("{command:?}");
    let (reader, writer) = std::io::pipe()
        .map_err(|error| format!("cannot open a pipe for {description}: {error}"))?;
    let writer_too = writer
        .try_clone()
        .map_err(|error| format!("cannot open a pipe for {description}: {error}"))?;
    let spawned = command
        .stdout(writer)
        .stderr(writer_too)
        .process_group(0)
        .spawn();
    // The command keeps its Stdio until replaced: our copies of the write end must close, or
    // the reader never sees the end of the output.
    command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    let mut child = spawned.map_err(|error| format!("cannot start {description}: {error}"))?;
    let tail = OutputTail::follow(reader, echo);
    let deadline = Instant::now() + limit;
    let mut message = loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => break format!("{description} failed ({status})"),
            Ok(None) if Instant::now() >= deadline => {
                // A negative pid names the process group.
                let _ = Command::new("kill")
                    .args(["-KILL", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                break format!(
                    "{description} was still running after {} min and was stopped",
                    limit.as_secs() / 60
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(250)),
            Err(error) => break format!("waiting for {description}: {error}"),
        }
    };
    for line in tail.last_lines() {
        message.push_str("\n        │ ");
        message.push_str(&line);
    }
    Err(message)
}

/// Copies a command's output to ours line by line (when echoing) and keeps its last lines.
struct OutputTail {
    lines: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
    copier: std::thread::JoinHandle<()>,
}

impl OutputTail {
    fn follow(reader: std::io::PipeReader, echo: bool) -> Self {
        use std::io::{BufRead, Write};

        let lines = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let kept = lines.clone();
        let copier = std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                if matches!(reader.read_until(b'\n', &mut line), Ok(0) | Err(_)) {
                    break;
                }
                if echo {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(&line);
                    let _ = out.flush();
                }
                let text = strip_ansi(String::from_utf8_lossy(&line).trim_end());
                if text.trim().is_empty() {
                    continue;
                }
                if let Ok(mut kept) = kept.lock() {
                    if kept.len() == FAILURE_TAIL_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(text);
                }
            }
        });
        Self { lines, copier }
    }

    /// The last lines, once the output has ended or a moment has passed: a process the command
    /// left behind may hold the pipe open, and must not hold up the run.
    fn last_lines(self) -> Vec<String> {
        let waited = Instant::now();
        while !self.copier.is_finished() && waited.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let kept = self
            .lines
            .lock()
            .map(|kept| kept.clone())
            .unwrap_or_default();
        kept.into()
    }
}

/// `text` without its terminal colour codes (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for code in chars.by_ref() {
                    if code.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn ensure_rust_components(log: &mut SetupLog) -> Result<(), String> {
    let installed = output_of("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    // rust-src: the release wasm bundle rebuilds the standard library for size (pipeline.rs).
    for component in ["rustfmt", "clippy", "rust-src"] {
        if !installed.lines().any(|line| line.starts_with(component)) {
            println!("xtask: installing the {component} component");
            log.time(format!("the {component} component"), || {
                run_checked(Command::new("rustup").args(["component", "add", component]))
            })?;
        }
    }
    Ok(())
}

fn ensure_wasm_target(log: &mut SetupLog) -> Result<(), String> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("xtask: adding the {WASM_TARGET} target");
        log.time(format!("the {WASM_TARGET} target"), || {
            run_checked(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        })?;
    }
    Ok(())
}

/// True when `text` (a `--version` output) names exactly `version` as a whole word.
pub fn reports_version(text: &str, version: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == 'v')
        .any(|word| word == version)
}

/// A tool installed with `cargo install`, recognised by the version its probe prints.
struct CargoTool<'a> {
    crate_name: &'a str,
    program: &'a str,
    probe: &'a [&'a str],
    version: &'a str,
    /// Extra `cargo install` flags (`--locked`, feature choices).
    flags: &'a [&'a str],
}

fn ensure_cargo_tool(log: &mut SetupLog, tool: CargoTool<'_>) -> Result<(), String> {
    if output_of(tool.program, tool.probe).is_some_and(|out| reports_version(&out, tool.version)) {
        return Ok(());
    }
    println!(
        "xtask: installing {} {} (a one-time build, several minutes)",
        tool.crate_name, tool.version
    );
    let mut install = Command::new("cargo");
    install.args([
        "install",
        tool.crate_name,
        "--version",
        tool.version,
        "--force",
    ]);
    install.args(tool.flags);
    // Tools share one build directory, so crates they have in common compile once.
    install.env("CARGO_TARGET_DIR", "target/tools");
    log.time(format!("{} {}", tool.crate_name, tool.version), || {
        run_checked(&mut install)
    })
}

/// The exact `wasm-bindgen` version in Cargo.lock.
pub fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string("Cargo.lock")
        .map_err(|error| format!("cannot read Cargo.lock: {error}"))?;
    locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".into())
}

/// Finds `version = "…"` right after `name = "<package>"` in a Cargo.lock.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|rest| rest.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// `npm ci` in `dir` when node_modules is missing or older than package-lock.json.
fn ensure_npm_packages(log: &mut SetupLog, dir: &Path) -> Result<(), String> {
    let lock = dir.join("package-lock.json");
    let marker = dir.join("node_modules/.package-lock.json");
    let fresh = match (modified(&lock), modified(&marker)) {
        (Some(lock_time), Some(marker_time)) => marker_time >= lock_time,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    println!("xtask: installing npm packages in {}", dir.display());
    log.time(format!("npm packages in {}", dir.display()), || {
        run_checked(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir)
                // Playwright drives Debian's Chromium; its own browser download cannot work here.
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
        )
    })
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn ensure_chromium(log: &mut SetupLog) -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    let is_root = output_of("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        return Err(format!(
            "{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        ));
    }
    println!("xtask: installing Debian's chromium");
    log.time("Debian's chromium", || {
        run_checked(Command::new("apt-get").args(["update", "-qq"]))?;
        run_checked(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    })
}

/// The book's own client library, for replaying its chapter-4 session.
fn ensure_python_requests(log: &mut SetupLog) -> Result<(), String> {
    if output_of("python3", &["-c", "import requests"]).is_some() {
        return Ok(());
    }
    println!("xtask: installing the Python requests package");
    log.time("the Python requests package", || {
        run_checked(Command::new("python3").args(["-m", "pip", "install", "--quiet", "requests"]))
    })
}

/// The version of schemathesis the API contract check runs (`tests/api_contract.py`).
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// schemathesis from PyPI, for checking the API against its OpenAPI document.
fn ensure_schemathesis(log: &mut SetupLog) -> Result<(), String> {
    let probe = "import importlib.metadata as m; print(m.version('schemathesis'))";
    if output_of("python3", &["-c", probe]).is_some_and(|v| v.trim() == SCHEMATHESIS_VERSION) {
        return Ok(());
    }
    println!("xtask: installing schemathesis {SCHEMATHESIS_VERSION}");
    log.time("schemathesis (PyPI)", || {
        run_checked(Command::new("python3").args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ]))
    })
}

/// PATH with the project's npm tools (wasm-opt) first, for tools that do not add it themselves.
pub fn path_with_node_tools() -> std::ffi::OsString {
    let mut paths = vec![
        PathBuf::from("node_modules/.bin")
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from("node_modules/.bin")),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"0.2.99\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(lock, "wasm-bindgen-shared").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(locked_version(lock, "leptos"), None);
    }

    #[test]
    fn version_matching_is_exact() {
        assert!(reports_version("cargo-leptos 0.3.10\n", "0.3.10"));
        assert!(!reports_version("cargo-leptos 0.3.100\n", "0.3.10"));
        assert!(reports_version("trunk 0.21.14", "0.21.14"));
        assert!(!reports_version("wasm-bindgen 0.2.13", "0.2.130"));
    }

    #[test]
    fn a_failed_command_reports_the_end_of_its_output() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "for i in $(seq 1 40); do echo line $i; done; printf '\\033[31mred\\033[0m\\n' >&2; exit 3",
        ]);
        let why = run_echoing(&mut command, Duration::from_secs(60), false).unwrap_err();
        assert!(why.contains("exit status: 3"), "{why}");
        assert!(why.contains("│ line 40\n"), "{why}");
        assert!(
            why.ends_with("│ red"),
            "stderr, without colour codes: {why}"
        );
        assert!(!why.contains("line 20\n"), "only the last lines: {why}");
    }

    #[test]
    fn a_passing_command_is_ok() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo fine"]);
        assert_eq!(
            run_echoing(&mut command, Duration::from_secs(60), false),
            Ok(())
        );
    }
}
