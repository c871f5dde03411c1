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

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_username: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_username: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
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
    limits: Limits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(address: Option<IpAddr>, username: &str) -> Vec<(Key, usize)> {
        Vec::new()
            .into_iter()
            .chain(address.map(|ip| (Key::Address(ip), 0)))
            .chain((!username.is_empty()).then(|| (Key::Username(username.to_lowercase()), 1)))
            .collect()
    }

    /// `Err(seconds)` when this attempt must wait; call before checking the password.
    pub fn check(&self, address: Option<IpAddr>, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, kind) in Self::keys(address, username) {
            let limit = if kind == 0 {
                self.limits.per_address
            } else {
                self.limits.per_username
            };
            if let Some(times) = failures.get_mut(&key) {
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
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    pub fn record_failure(&self, address: Option<IpAddr>, username: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_KEYS {
            let window = self.limits.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for (key, _) in Self::keys(address, username) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A correct password clears the username's failures (not the address's: one good
    /// account must not reset a guessing campaign from the same address).
    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&Key::Username(username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(Limits {
            per_username: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_username_is_locked_after_its_failures_whatever_the_address() {
        let t = throttle();
        for i in 0..3 {
            assert!(
                t.check(Some(format!("10.0.0.{i}").parse().unwrap()), "demo")
                    .is_ok()
            );
            t.record_failure(Some(format!("10.0.0.{i}").parse().unwrap()), "demo");
        }
        let wait = t
            .check(Some("10.9.9.9".parse().unwrap()), "Demo")
            .unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(t.check(Some("10.9.9.9".parse().unwrap()), "other").is_ok());
    }

    #[test]
    fn an_address_is_locked_after_failures_across_usernames() {
        let t = throttle();
        let ip = Some("192.0.2.1".parse().unwrap());
        for i in 0..5 {
            t.record_failure(ip, &format!("user{i}"));
        }
        assert!(t.check(ip, "fresh").is_err());
        assert!(t.check(Some("192.0.2.2".parse().unwrap()), "fresh").is_ok());
    }

    #[test]
    fn success_clears_the_usernames_failures() {
        let t = throttle();
        for _ in 0..3 {
            t.record_failure(None, "demo");
        }
        assert!(t.check(None, "demo").is_err());
        t.record_success("demo");
        assert!(t.check(None, "demo").is_ok());
    }
}
