//! Fingerprints the app's source (and the lockfile) into `SCRUM_SOURCE_HASH`. The server and
//! the wasm bundle both compile this crate, so both carry the fingerprint (`app::build_id`), and
//! the server compares the two at start-up: a server and a bundle built from different code, or
//! with different settings, render pages that fail to hydrate.

use std::{
    fs,
    path::{Path, PathBuf},
};

fn main() {
    // A directory is watched as a whole, every file in it.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=../Cargo.lock");
    let mut files = vec![PathBuf::from("Cargo.toml"), PathBuf::from("../Cargo.lock")];
    sources(Path::new("src"), &mut files);
    files.sort();
    let mut hash = Fnv1a::default();
    for file in &files {
        hash.write(file.to_string_lossy().as_bytes());
        hash.write(&fs::read(file).unwrap_or_default());
    }
    println!("cargo:rustc-env=SCRUM_SOURCE_HASH={:016x}", hash.0);
}

/// Every file under `dir`.
fn sources(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// 64-bit FNV-1a: a fingerprint, not a defence against anyone (std has no stable hash of its
/// own, and a dependency for this is not worth a build-script compile).
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
