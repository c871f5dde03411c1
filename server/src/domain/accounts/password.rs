//! Password hashing with argon2id, run on the blocking pool so it never stalls the async runtime.
//! Hashes made with older settings are recognised ([`needs_rehash`]) so that a successful
//! login can store a new one.

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

/// The shortest password a person may choose in the site's own forms (the command line only
/// warns, so scripts and test fixtures keep working).
pub const MIN_LENGTH: usize = 10;

/// Passwords of at least [`MIN_LENGTH`] characters that lists of leaked passwords start with.
const COMMON: &[&str] = &[
    "1234567890",
    "0987654321",
    "1122334455",
    "1111111111",
    "0000000000",
    "123456789a",
    "qwertyuiop",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwerty1234",
    "qwerty123456",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "abcdefghij",
    "abc1234567",
    "abcd123456",
    "letmein123",
    "welcome123",
    "administrator",
    "admin12345",
    "changeme123",
    "sunshine12",
    "football12",
    "baseball12",
    "superman12",
    "trustno1234",
    "princess12",
];

/// What is wrong with `password` for an account named `username`, in words a person can act
/// on; `None` when it will do.
pub fn weakness(username: &str, password: &str) -> Option<String> {
    let folded = password.to_lowercase();
    if password.chars().count() < MIN_LENGTH {
        Some(format!(
            "This password is too short. It must contain at least {MIN_LENGTH} characters."
        ))
    } else if !username.is_empty() && folded.contains(&username.to_lowercase()) {
        Some("The password may not contain the username.".into())
    } else if COMMON.contains(&folded.as_str()) {
        Some("This password is too common.".into())
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        Some("This password is entirely numeric.".into())
    } else {
        None
    }
}

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

    #[test]
    fn people_choose_passwords_that_are_long_uncommon_and_not_their_name() {
        assert!(
            weakness("alice", "short")
                .unwrap()
                .contains("at least 10 characters")
        );
        assert!(
            weakness("alice", "my-Alice-2026!")
                .unwrap()
                .contains("username")
        );
        assert_eq!(
            weakness("bob", "Password123").as_deref(),
            Some("This password is too common.")
        );
        assert_eq!(
            weakness("bob", "20261206123").as_deref(),
            Some("This password is entirely numeric.")
        );
        assert_eq!(weakness("bob", "correct horse battery"), None);
    }

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
