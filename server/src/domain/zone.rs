//! A project's time zone: where its days begin and end (a burndown's days are its days). Named
//! as the IANA database names them (`Europe/Paris`); the database itself is built into the
//! server (jiff's bundled copy), so a deployment needs no `/usr/share/zoneinfo`.

use chrono::{DateTime, NaiveDate, Utc};

/// Why a time zone's name is refused.
pub const UNKNOWN: &str =
    "Unknown time zone: use a name from the IANA database, like Europe/Paris or UTC.";

#[derive(Clone, Debug)]
pub struct Zone(jiff::tz::TimeZone);

impl Default for Zone {
    fn default() -> Self {
        Zone(jiff::tz::TimeZone::UTC)
    }
}

impl Zone {
    /// The zone called `name` (ignoring case), if the database knows it.
    pub fn named(name: &str) -> Option<Zone> {
        if name.is_empty() {
            return None;
        }
        jiff::tz::TimeZone::get(name).ok().map(Zone)
    }

    /// The zone of a stored name; UTC when it is no longer known.
    pub fn of(name: &str) -> Zone {
        Self::named(name).unwrap_or_default()
    }

    /// Its name as the database spells it (`Europe/Paris`).
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The moment `day` begins here.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        use chrono::Datelike;
        let date = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8);
        let micros = date
            .to_zoned_datetime(self.0.clone())
            .map(|zoned| zoned.timestamp().as_microsecond())
            .unwrap_or_else(|_| {
                day.and_hms_opt(0, 0, 0)
                    .unwrap_or_default()
                    .and_utc()
                    .timestamp_micros()
            });
        DateTime::from_timestamp_micros(micros).unwrap_or_default()
    }

    /// The moment `day` ends here (the next day begins).
    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        self.start_of(day.succ_opt().unwrap_or(day))
    }

    /// The date here at `moment`.
    pub fn date_at(&self, moment: DateTime<Utc>) -> NaiveDate {
        let local = jiff::Timestamp::from_microsecond(moment.timestamp_micros())
            .map(|at| at.to_zoned_datetime(self.0.clone()).date());
        match local {
            Ok(date) => NaiveDate::from_ymd_opt(
                i32::from(date.year()),
                date.month() as u32,
                date.day() as u32,
            )
            .unwrap_or_else(|| moment.date_naive()),
            Err(_) => moment.date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_begin_at_local_midnight() {
        let paris = Zone::named("europe/paris").expect("a known zone");
        assert_eq!(paris.name(), "Europe/Paris");
        let day = NaiveDate::from_ymd_opt(2030, 3, 4).unwrap();
        // Winter: an hour ahead of UTC.
        assert_eq!(
            paris.start_of(day).to_rfc3339(),
            "2030-03-03T23:00:00+00:00"
        );
        let late = DateTime::parse_from_rfc3339("2030-03-04T23:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            paris.date_at(late),
            NaiveDate::from_ymd_opt(2030, 3, 5).unwrap()
        );
        assert_eq!(Zone::default().date_at(late), day);
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
    }
}
