//! Today's date (UTC, as the API's date rules use) on either side of the wire.

use chrono::{Datelike, NaiveDate};

// Dates are read and written by hand rather than with chrono's `format`/`parse_from_str`:
// those bring a strftime interpreter into the wasm bundle for two fixed patterns.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn today() -> NaiveDate {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        // `SystemTime` does not exist in the browser; ask JavaScript.
        let iso: String = js_sys::Date::new_0().to_iso_string().into();
        iso.get(..10).and_then(parse_iso).unwrap_or_default()
    }
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    {
        chrono::Utc::now().date_naive()
    }
}

/// `2026-11-21` → `Nov 21, 2026`, the way dates read on tiles and boards.
pub fn display(date: NaiveDate) -> String {
    let month = MONTHS[date.month0() as usize];
    format!("{month} {}, {}", date.day(), date.year())
}

/// `2026-11-21` → that date; anything else → `None`.
pub fn parse_iso(text: &str) -> Option<NaiveDate> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_people_write_them() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(display(date), "Jan 5, 2026");
        assert_eq!(
            display(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            "Dec 31, 2026"
        );
    }

    #[test]
    fn iso_dates_parse_and_nonsense_does_not() {
        assert_eq!(parse_iso("2026-01-05"), NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(parse_iso("2026-02-30"), None);
        assert_eq!(parse_iso("yesterday"), None);
    }
}
