//! Which build of the app this is: the fingerprint of its source (from `build.rs`) and whether
//! views are type-erased. The server renders pages that only a bundle of the same build can
//! hydrate; it reads the bundle's build from the wasm file at start-up (the mark below is in
//! the bundle's data as it is) and refuses a bundle of another build, and the bundle compares
//! its own with the one the page names before hydrating.

/// The mark as it sits in the compiled code: `scrum-build:<id>;`.
pub const MARK: &str = if cfg!(erase_components) {
    concat!("scrum-build:", env!("SCRUM_SOURCE_HASH"), "-erased;")
} else {
    concat!("scrum-build:", env!("SCRUM_SOURCE_HASH"), ";")
};

/// What precedes the build id in [`MARK`].
pub const MARK_PREFIX: &str = "scrum-build:";

/// This build's id, e.g. `6c1f0e2a9b7d3c45-erased`.
pub fn id() -> &'static str {
    // Sliced out of MARK rather than written again, so the bundle holds the mark whole.
    &MARK[MARK_PREFIX.len()..MARK.len() - 1]
}

/// The build id marked in a compiled bundle's bytes, if it carries one.
pub fn marked_in(bytes: &[u8]) -> Option<&str> {
    let prefix = MARK_PREFIX.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes[from..]
        .windows(prefix.len())
        .position(|window| window == prefix)
    {
        let start = from + found + prefix.len();
        let rest = &bytes[start..bytes.len().min(start + 64)];
        if let Some(end) = rest.iter().position(|&byte| byte == b';')
            && end > 0
            && rest[..end]
                .iter()
                .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
        {
            return std::str::from_utf8(&rest[..end]).ok();
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_read_back_from_bytes_that_carry_the_mark() {
        assert!(!id().is_empty() && !id().contains(';'));
        let mut bundle = b"\0asm\x01\0\0\0 scrum-build: noise scrum-build:".to_vec();
        bundle.extend_from_slice(MARK.as_bytes());
        bundle.extend_from_slice(b"\0more");
        assert_eq!(marked_in(&bundle), Some(id()));
        assert_eq!(marked_in(b"\0asm no mark here"), None);
        assert_eq!(
            marked_in(b"scrum-build:0123abcd-erased;"),
            Some("0123abcd-erased")
        );
    }
}
