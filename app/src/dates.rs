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

/// Serde for `YYYY-MM-DD` dates (`#[serde(with = "crate::dates::iso")]`), through
/// [`parse_iso`] rather than chrono's general parser, which the bundle would otherwise carry
/// only to read the API's one date format.
pub mod iso {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        read(&<std::borrow::Cow<'de, str>>::deserialize(deserializer)?)
    }

    fn read<E: Error>(text: &str) -> Result<NaiveDate, E> {
        super::parse_iso(text).ok_or_else(|| E::custom("expected a date as YYYY-MM-DD"))
    }

    /// The same for `Option<NaiveDate>` (`null` for none).
    pub mod option {
        use chrono::NaiveDate;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            date: &Option<NaiveDate>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<NaiveDate>, D::Error> {
            <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?
                .map(|text| super::read(&text))
                .transpose()
        }
    }
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
    fn api_dates_travel_as_iso_text_both_ways() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Dated {
            #[serde(with = "iso")]
            end: NaiveDate,
            #[serde(with = "iso::option")]
            due: Option<NaiveDate>,
        }
        let dated = Dated {
            end: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            due: None,
        };
        let json = serde_json::to_string(&dated).unwrap();
        assert_eq!(json, r#"{"end":"2026-03-09","due":null}"#);
        assert_eq!(serde_json::from_str::<Dated>(&json).unwrap(), dated);
        let due: Dated =
            serde_json::from_str(r#"{"end":"2026-03-09","due":"2026-12-31"}"#).unwrap();
        assert_eq!(due.due, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert!(serde_json::from_str::<Dated>(r#"{"end":"2026-02-30","due":null}"#).is_err());
        assert!(serde_json::from_str::<Dated>(r#"{"end":"soon","due":null}"#).is_err());
    }

    #[test]
    fn iso_dates_parse_and_nonsense_does_not() {
        assert_eq!(parse_iso("2026-01-05"), NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(parse_iso("2026-02-30"), None);
        assert_eq!(parse_iso("yesterday"), None);
    }
}
