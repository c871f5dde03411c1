//! Precompressed copies of the built site's bundle (`.br` and `.gz` beside each file), made
//! once at build time at the highest settings, so the server never compresses the same bytes
//! twice and browsers get the smallest bundle.

use std::{
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

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
