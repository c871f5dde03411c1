//! Random secrets and the digests we store instead of them.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes as lowercase hex (a token key is 20 bytes: DRF's 40 hex characters).
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The SHA-256 of a secret, as stored in the database. Secrets are high-entropy random
/// values, so a fast digest is enough: nothing to brute-force.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_of_the_requested_length_and_differ() {
        let a = random_hex(20);
        assert_eq!(a.len(), 40);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(20));
        assert_eq!(digest("abc").len(), 64);
        assert_ne!(digest("abc"), "abc");
    }
}
