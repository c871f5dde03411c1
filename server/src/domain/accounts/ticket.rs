//! Short-lived tickets in a sprint's `links.channel` URL: HMAC-SHA256 (keyed with
//! `SECRET_KEY`) over the sprint, the user it was minted for and its expiry. Unlike the book's
//! channel token, a ticket names its user and lives minutes, not half an hour.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a freshly minted ticket opens the stream.
pub const TICKET_TTL_SECS: i64 = 5 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub sprint_id: i32,
    pub user_id: i32,
    /// Unix seconds after which the ticket is refused.
    pub expires: i64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("malformed ticket")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("expired ticket")]
    Expired,
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"scrum-channel-ticket:");
    mac.update(payload.as_bytes());
    mac
}

/// `<sprint>.<user>.<expires>.<signature>`, URL-safe.
pub fn mint(key: &[u8], sprint_id: i32, user_id: i32, now: i64) -> String {
    let payload = format!("{sprint_id}.{user_id}.{}", now + TICKET_TTL_SECS);
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Checks the signature (in constant time) and the expiry.
pub fn verify(key: &[u8], ticket: &str, now: i64) -> Result<Ticket, TicketError> {
    let (payload, signature) = ticket.rsplit_once('.').ok_or(TicketError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TicketError::Malformed)?;
    mac(key, payload)
        .verify_slice(&signature)
        .map_err(|_| TicketError::BadSignature)?;
    let mut parts = payload.split('.');
    let mut next = || parts.next().ok_or(TicketError::Malformed);
    let sprint_id = next()?.parse().map_err(|_| TicketError::Malformed)?;
    let user_id = next()?.parse().map_err(|_| TicketError::Malformed)?;
    let expires: i64 = next()?.parse().map_err(|_| TicketError::Malformed)?;
    if expires < now {
        return Err(TicketError::Expired);
    }
    Ok(Ticket {
        sprint_id,
        user_id,
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a test key that is long enough......";

    #[test]
    fn a_ticket_verifies_until_it_expires() {
        let ticket = mint(KEY, 7, 3, 1_000);
        let checked = verify(KEY, &ticket, 1_000).unwrap();
        assert_eq!((checked.sprint_id, checked.user_id), (7, 3));
        assert!(verify(KEY, &ticket, 1_000 + TICKET_TTL_SECS).is_ok());
        assert_eq!(
            verify(KEY, &ticket, 1_001 + TICKET_TTL_SECS),
            Err(TicketError::Expired)
        );
    }

    #[test]
    fn forged_or_tampered_tickets_are_refused() {
        let ticket = mint(KEY, 7, 3, 1_000);
        let other_sprint = ticket.replacen("7.", "8.", 1);
        assert_eq!(
            verify(KEY, &other_sprint, 1_000),
            Err(TicketError::BadSignature)
        );
        assert_eq!(
            verify(b"another key", &ticket, 1_000),
            Err(TicketError::BadSignature)
        );
        assert_eq!(verify(KEY, "garbage", 1_000), Err(TicketError::Malformed));
    }
}
