//! The time the board's rules read ("today" for dates, the moment of a log entry): the
//! system's clock, or one a test pins and moves forward, so a sprint's days pass without
//! waiting.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// A shared handle: every clone reads (and a test moves) the same clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds since the epoch while pinned; [`FOLLOWS_SYSTEM`] otherwise.
    pinned: Arc<AtomicI64>,
}

const FOLLOWS_SYSTEM: i64 = 0;

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self.pinned.load(Ordering::Relaxed) {
            FOLLOWS_SYSTEM => Utc::now(),
            micros => DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now),
        }
    }

    /// The UTC date: the same on every server and in the browser.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Stops the clock at `at` (tests only: the server never pins its clock).
    pub fn pin(&self, at: DateTime<Utc>) {
        // The epoch itself is the one moment that cannot be pinned; a microsecond later can.
        let micros = at.timestamp_micros().max(1);
        self.pinned.store(micros, Ordering::Relaxed);
    }

    /// Moves a pinned clock forward by `by` (from now, when it follows the system).
    pub fn advance(&self, by: TimeDelta) {
        self.pin(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_clock_moves_only_when_told_and_every_clone_sees_it() {
        let clock = Clock::default();
        let start = DateTime::parse_from_rfc3339("2030-03-04T09:00:00Z")
            .unwrap()
            .to_utc();
        clock.pin(start);
        let clone = clock.clone();
        assert_eq!(clone.now(), start);
        clock.advance(TimeDelta::days(2));
        assert_eq!(clone.today(), NaiveDate::from_ymd_opt(2030, 3, 6).unwrap());
    }

    #[test]
    fn an_unpinned_clock_follows_the_system() {
        let before = Utc::now();
        let now = Clock::default().now();
        assert!(now >= before && now <= Utc::now());
    }
}
