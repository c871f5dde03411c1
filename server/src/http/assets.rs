//! The built bundle: its manifest (logical names such as `scrum.wasm` → the content-hashed
//! files cargo-leptos wrote), and precompressed copies (`.br` and `.gz` beside each file) made
//! once at build time at the highest settings, so the server never compresses the same bytes
//! twice and browsers get the smallest bundle.

use std::{
    collections::BTreeMap,
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

use app::assets::Assets;

use crate::config::{Config, hash_file_path};

/// The bundle manifest for `config`: where browsers fetch the files (`ASSET_BASE_URL`, else
/// `{BASE_PATH}/pkg` on this server) and their hashed names, from the hash file cargo-leptos
/// writes beside the binary in a release build (`hash.txt`: `js: <hash>` per line).
///
/// Without hashing (`cargo leptos watch`, tests) the files keep their plain names.
pub fn manifest(config: &Config) -> Assets {
    let options = &config.leptos;
    let base_url = config
        .asset_base_url
        .clone()
        .unwrap_or_else(|| format!("{}/{}", config.base_path, options.site_pkg_dir));
    let name = options.output_name.to_string();
    let hashes = options
        .hash_files
        .then(|| {
            let path = hash_file_path(&options.hash_file);
            fs::read_to_string(&path)
                .inspect_err(|error| {
                    tracing::error!(%error, path = %path.display(), "cannot read the bundle's hash file: serving unhashed names");
                })
                .ok()
        })
        .flatten();
    Assets {
        base_url,
        files: bundle_files(&name, hashes.as_deref()),
    }
}

/// Logical → served names of the JS glue, the wasm and the stylesheet of bundle `name`.
fn bundle_files(name: &str, hashes: Option<&str>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for ext in ["js", "wasm", "css"] {
        let hash = hashes.and_then(|text| {
            text.lines().find_map(|line| {
                let (kind, hash) = line.split_once(':')?;
                (kind.trim() == ext).then(|| hash.trim().to_owned())
            })
        });
        let served = match hash {
            Some(hash) => format!("{name}.{hash}.{ext}"),
            // wasm-bindgen names the module `<name>_bg.wasm` unless cargo-leptos renamed it
            // (it sets LEPTOS_OUTPUT_NAME while building).
            None if ext == "wasm" && option_env!("LEPTOS_OUTPUT_NAME").is_none() => {
                format!("{name}_bg.wasm")
            }
            None => format!("{name}.{ext}"),
        };
        files.insert(format!("{name}.{ext}"), served);
    }
    files
}

/// The manifest's files that are missing under `pkg_dir` (empty when the bundle is whole).
pub fn missing_files(assets: &Assets, pkg_dir: &Path) -> Vec<String> {
    assets
        .files
        .values()
        .filter(|file| !pkg_dir.join(file).is_file())
        .cloned()
        .collect()
}

/// How the wasm bundle the server is about to serve relates to the server's own build.
#[derive(Debug, PartialEq, Eq)]
pub enum BundleBuild {
    /// The bundle was built from the same app, with the same settings.
    Same,
    /// There is no wasm file to read (a site not built yet): pages are served without the app.
    Absent(PathBuf),
    /// Built from other code or with other settings (`None`: it carries no build mark): the
    /// pages this server renders would fail to hydrate with it.
    Other {
        wasm: PathBuf,
        bundle: Option<String>,
    },
}

impl BundleBuild {
    /// Compares the build marked in the manifest's wasm file under `pkg_dir` with this binary's.
    pub fn of(assets: &Assets, output_name: &str, pkg_dir: &Path) -> BundleBuild {
        let logical = format!("{output_name}.wasm");
        let file = assets.files.get(&logical).unwrap_or(&logical);
        let wasm = pkg_dir.join(file);
        let Ok(bytes) = fs::read(&wasm) else {
            return BundleBuild::Absent(wasm);
        };
        match app::build_id::marked_in(&bytes) {
            Some(id) if id == app::build_id::id() => BundleBuild::Same,
            other => BundleBuild::Other {
                bundle: other.map(str::to_owned),
                wasm,
            },
        }
    }

    /// The bundle of the site `config` serves.
    pub fn of_site(config: &Config) -> BundleBuild {
        let options = &config.leptos;
        let pkg_dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
        BundleBuild::of(&manifest(config), &options.output_name, &pkg_dir)
    }

    /// What is wrong, in words, or `None` for a bundle of this build.
    pub fn problem(&self) -> Option<String> {
        match self {
            BundleBuild::Same => None,
            BundleBuild::Absent(wasm) => Some(format!(
                "the wasm bundle {} is missing: pages will be served without their app \
                 (LEPTOS_SITE_ROOT; build the site with `cargo xtask site`)",
                wasm.display()
            )),
            BundleBuild::Other { wasm, bundle } => Some(format!(
                "the wasm bundle {} is {}, and this server binary is build {}: the pages it renders \
                 would fail to hydrate. Build the server and the site together (`cargo xtask site`, \
                 or `cargo leptos build --release`) and ship them together",
                wasm.display(),
                match bundle {
                    Some(id) => format!("build {id} of the app"),
                    None => "unmarked (not a build of this app's source)".to_owned(),
                },
                app::build_id::id()
            )),
        }
    }
}

/// Files worth compressing (text and wasm); images and fonts are already compressed.
const COMPRESSIBLE: [&str; 5] = ["js", "wasm", "css", "svg", "html"];

/// Writes `<file>.br` and `<file>.gz` for every compressible file under `dir`, skipping those
/// whose compressed copies are already newer. Returns the copies written.
pub fn precompress(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            written.extend(precompress(&path)?);
            continue;
        }
        let compressible = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext));
        if !compressible {
            continue;
        }
        let source = fs::read(&path)?;
        let modified = fs::metadata(&path)?.modified()?;
        for (suffix, compress) in [
            ("br", brotli_of as fn(&[u8]) -> io::Result<Vec<u8>>),
            ("gz", gzip_of),
        ] {
            let target = PathBuf::from(format!("{}.{suffix}", path.display()));
            let fresh = fs::metadata(&target)
                .and_then(|meta| meta.modified())
                .is_ok_and(|written_at| written_at >= modified);
            if !fresh {
                fs::write(&target, compress(&source)?)?;
                written.push(target);
            }
        }
    }
    Ok(written)
}

fn brotli_of(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // Quality 11 and a 4 MiB window: slow, but it runs once per release.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

fn gzip_of(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_come_from_the_hash_file() {
        let files = bundle_files(
            "scrum",
            Some(
                "js: Qdb-pDJpIqzhzfVdROVCDg\nwasm: Hg83HrffVMd6aTqA0EPbCw\ncss: 1kQ9xY2Zr7TgL0aBcDeFgH\n",
            ),
        );
        assert_eq!(files["scrum.js"], "scrum.Qdb-pDJpIqzhzfVdROVCDg.js");
        assert_eq!(files["scrum.wasm"], "scrum.Hg83HrffVMd6aTqA0EPbCw.wasm");
        assert_eq!(files["scrum.css"], "scrum.1kQ9xY2Zr7TgL0aBcDeFgH.css");
    }

    #[test]
    fn a_missing_hash_keeps_the_plain_name() {
        let files = bundle_files("scrum", Some("js: Qdb-pDJpIqzhzfVdROVCDg\n"));
        assert_eq!(files["scrum.js"], "scrum.Qdb-pDJpIqzhzfVdROVCDg.js");
        assert_eq!(files["scrum.css"], "scrum.css");
    }

    #[test]
    fn missing_files_lists_what_the_manifest_names_but_the_disk_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let assets = Assets {
            base_url: "/pkg".into(),
            files: bundle_files("scrum", None),
        };
        fs::write(dir.path().join(&assets.files["scrum.js"]), "js").unwrap();
        let missing = missing_files(&assets, dir.path());
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(!missing.contains(&assets.files["scrum.js"]));
    }
}
