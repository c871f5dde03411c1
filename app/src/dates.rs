//! Today's date (UTC, as the API's date rules use) on either side of the wire.

use chrono::NaiveDate;

pub fn today() -> NaiveDate {
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        // `SystemTime` does not exist in the browser; ask JavaScript.
        let iso: String = js_sys::Date::new_0().to_iso_string().into();
        iso.get(..10)
            .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
            .unwrap_or_default()
    }
    #[cfg(not(all(feature = "browser", not(feature = "ssr"))))]
    {
        chrono::Utc::now().date_naive()
    }
}

/// `2026-11-21` → `Nov 21, 2026`, the way dates read on tiles and boards.
pub fn display(date: NaiveDate) -> String {
    date.format("%b %-d, %Y").to_string()
}
