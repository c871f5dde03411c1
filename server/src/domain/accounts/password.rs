//! Password hashing with argon2id, run on the blocking pool so it never stalls the async runtime.
//! Hashes made with older settings are recognised ([`needs_rehash`]) so that a successful
//! login can store a new one.

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

/// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// True when `password` matches `phc`; a malformed stored hash never matches.
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .unwrap_or(false)
}

/// True when `phc` was made with another algorithm, version or cost than [`hash`] uses now
/// (e.g. before the parameters were raised): after a successful check, hash the password
/// again. A malformed hash is left alone (it never verifies).
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let current = Argon2::default();
    let wanted = current.params();
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed.version != Some(u32::from(Version::V0x13))
        || params.m_cost() != wanted.m_cost()
        || params.t_cost() != wanted.t_cost()
        || params.p_cost() != wanted.p_cost()
        || params.output_len() != Some(wanted.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN))
}

/// A valid hash of a random password, checked against when a username does not exist so that
/// both cases cost the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(&super::secrets::random_hex(16)).unwrap_or_else(|_| String::new())
    })
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    // Argon2::default() is argon2id with OWASP's recommended m=19 MiB, t=2, p=1.
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("hashing a password failed: {error}"))
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let first = hash("correct horse".into()).await.unwrap();
        let second = hash("correct horse".into()).await.unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "every hash has its own salt");
        assert!(verify("correct horse".into(), first.clone()).await);
        assert!(!verify("Correct horse".into(), first).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
    }

    fn hash_with(algorithm: Algorithm, m_cost: u32, t_cost: u32, password: &str) -> String {
        let params = Params::new(m_cost, t_cost, 1, None).unwrap();
        Argon2::new(algorithm, Version::V0x13, params)
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn only_hashes_made_with_other_settings_need_a_rehash() {
        assert!(!needs_rehash(&hash("pw".into()).await.unwrap()));
        let weaker = hash_with(Algorithm::Argon2id, 4096, 1, "pw");
        assert!(needs_rehash(&weaker));
        assert!(verify("pw".into(), weaker).await, "old hashes still verify");
        assert!(needs_rehash(&hash_with(
            Algorithm::Argon2i,
            19 * 1024,
            2,
            "pw"
        )));
        assert!(!needs_rehash("not a hash"));
    }
}
