//! Login throttling: after repeated failures from one client address or for one username,
//! further attempts get 429 with `Retry-After` until the oldest failure leaves the window.
//!
//! Kept in memory per instance: a determined attacker spreading over several instances gets
//! at most N times the budget, which still rules out online guessing at any useful rate.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::config::LoginLimits;

/// One IPv6 subscriber usually holds a whole /64: count it as one address.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
        v4 => v4,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Username(String),
    Address(IpAddr),
}

/// Bounds memory: past this many tracked keys, the stalest are forgotten.
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(LoginLimits::default())
    }
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(address: Option<IpAddr>, username: &str) -> Vec<(Key, usize)> {
        Vec::new()
            .into_iter()
            .chain(address.map(|ip| (Key::Address(network_of(ip)), 0)))
            .chain((!username.is_empty()).then(|| (Key::Username(username.to_lowercase()), 1)))
            .collect()
    }

    /// Reserves an attempt: `Err(seconds)` when it must wait, else the attempt is counted as a
    /// failure right away (so a burst of concurrent guesses cannot all pass the check before
    /// any failure is recorded). Call [`LoginThrottle::succeeded`] if the password was right.
    pub fn reserve(&self, address: Option<IpAddr>, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        let keys = Self::keys(address, username);
        for (key, kind) in &keys {
            let limit = if *kind == 0 {
                self.limits.per_address
            } else {
                self.limits.per_username
            };
            if let Some(times) = failures.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.limits.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.limits.window - now.duration_since(*oldest));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.as_secs().max(1));
        }
        if failures.len() >= MAX_KEYS {
            Self::evict(&mut failures, now, self.limits.window);
        }
        for (key, _) in keys {
            failures.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// The reserved attempt was a correct password: it no longer counts. Earlier failures do
    /// (a success must not reset a guessing campaign against the same account).
    pub fn succeeded(&self, address: Option<IpAddr>, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(address, username) {
            if let Some(times) = failures.get_mut(&key) {
                times.pop_back();
                if times.is_empty() {
                    failures.remove(&key);
                }
            }
        }
    }

    /// Keeps memory bounded: drops expired entries, then, if still full, the half with the
    /// oldest latest failure.
    fn evict(failures: &mut HashMap<Key, VecDeque<Instant>>, now: Instant, window: Duration) {
        failures.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < window)
        });
        if failures.len() >= MAX_KEYS {
            let mut latest: Vec<(Instant, Key)> = failures
                .iter()
                .filter_map(|(key, times)| times.back().map(|t| (*t, key.clone())))
                .collect();
            latest.sort_by_key(|(t, _)| *t);
            for (_, key) in latest.into_iter().take(MAX_KEYS / 2) {
                failures.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(LoginLimits {
            per_username: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        })
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_username_is_locked_after_its_failures_whatever_the_address() {
        let t = throttle();
        for i in 0..3 {
            assert!(t.reserve(ip(&format!("10.0.0.{i}")), "demo").is_ok());
        }
        let wait = t.reserve(ip("10.9.9.9"), "Demo").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(t.reserve(ip("10.9.9.9"), "other").is_ok());
    }

    #[test]
    fn an_address_is_locked_after_failures_across_usernames() {
        let t = throttle();
        for i in 0..5 {
            assert!(t.reserve(ip("192.0.2.1"), &format!("user{i}")).is_ok());
        }
        assert!(t.reserve(ip("192.0.2.1"), "fresh").is_err());
        assert!(t.reserve(ip("192.0.2.2"), "fresh").is_ok());
    }

    #[test]
    fn concurrent_attempts_are_counted_before_they_finish() {
        // Three guesses reserved at once (none finished): the fourth must already wait.
        let t = throttle();
        for _ in 0..3 {
            assert!(t.reserve(None, "demo").is_ok());
        }
        assert!(t.reserve(None, "demo").is_err());
    }

    #[test]
    fn a_success_takes_back_only_its_own_attempt() {
        let t = throttle();
        assert!(t.reserve(None, "demo").is_ok());
        assert!(t.reserve(None, "demo").is_ok());
        assert!(t.reserve(None, "demo").is_ok());
        t.succeeded(None, "demo");
        // Two earlier failures still count: one more failure locks again.
        assert!(t.reserve(None, "demo").is_ok());
        assert!(t.reserve(None, "demo").is_err());
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_budget() {
        let t = throttle();
        for i in 0..5 {
            assert!(
                t.reserve(ip(&format!("2001:db8:1:2::{i:x}")), &format!("u{i}"))
                    .is_ok()
            );
        }
        assert!(t.reserve(ip("2001:db8:1:2:ffff::1"), "x").is_err());
        assert!(t.reserve(ip("2001:db8:1:3::1"), "x").is_ok());
    }
}
