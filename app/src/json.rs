//! Reading the API's JSON into the shared types: one small parser into a borrowed tree
//! ([`Json`]), and a [`Read`] trait each wire type implements by naming its fields
//! ([`read_fields!`]). Both sides read answers with it; the server writes with serde.
//!
//! Written here rather than taken from serde because of the bundle: serde's derived readers
//! are generic over the parser, so every type read is a copy of field-matching and
//! error-building code, and the browser read a dozen types (over a hundred kilobytes of code
//! before optimisation). This parser is one non-generic function, and a type's reader is a
//! lookup per field. The trade: unknown fields are skipped, a missing optional or list field
//! reads as empty (as serde's `default`), and numbers are read as the integer types the API
//! uses.

use std::borrow::Cow;

/// A parsed JSON value. Strings without escapes borrow from the text they were read from.
#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    /// The number as written (checked against JSON's grammar), read on demand.
    Number(Cow<'a, str>),
    Text(Cow<'a, str>),
    List(Vec<Json<'a>>),
    /// Fields in the order written; the first of a repeated name wins.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

static NULL: Json<'static> = Json::Null;

/// Nesting deeper than this is refused rather than recursed into (the API nests four deep).
const MAX_DEPTH: u32 = 64;

impl<'a> Json<'a> {
    /// The value `text` holds, or `None` when it is not exactly one JSON value.
    pub fn parse(text: &'a str) -> Option<Json<'a>> {
        let mut parser = Parser {
            text,
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value(0)?;
        parser.skip_space();
        (parser.at == parser.bytes.len()).then_some(value)
    }

    /// A field of an object: null when it is absent or this is not an object.
    pub fn get(&self, name: &str) -> &Json<'a> {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(key, _)| key == name)
                .map_or(&NULL, |(_, value)| value),
            _ => &NULL,
        }
    }

    /// A field read as `T`.
    pub fn field<T: Read>(&self, name: &str) -> Option<T> {
        T::read(self.get(name))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The items of a list (none for anything else).
    pub fn items(&self) -> &[Json<'a>] {
        match self {
            Json::List(items) => items,
            _ => &[],
        }
    }

    /// The fields of an object (none for anything else).
    pub fn fields(&self) -> &[(Cow<'a, str>, Json<'a>)] {
        match self {
            Json::Object(fields) => fields,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The same value, owning its text.
    pub fn into_owned(self) -> Json<'static> {
        let own = |text: Cow<'a, str>| Cow::Owned(text.into_owned());
        match self {
            Json::Null => Json::Null,
            Json::Bool(value) => Json::Bool(value),
            Json::Number(number) => Json::Number(own(number)),
            Json::Text(text) => Json::Text(own(text)),
            Json::List(items) => Json::List(items.into_iter().map(Json::into_owned).collect()),
            Json::Object(fields) => Json::Object(
                fields
                    .into_iter()
                    .map(|(key, value)| (own(key), value.into_owned()))
                    .collect(),
            ),
        }
    }
}

/// Written back as the JSON it was read from (the server's history writes logged values so).
impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(value) => serializer.serialize_bool(*value),
            Json::Number(number) => match number.parse::<i64>() {
                Ok(integer) => serializer.serialize_i64(integer),
                Err(_) => serializer.serialize_f64(number.parse().unwrap_or_default()),
            },
            Json::Text(text) => serializer.serialize_str(text),
            Json::List(items) => serializer.collect_seq(items),
            Json::Object(fields) => serializer.collect_map(fields.iter().map(|(k, v)| (k, v))),
        }
    }
}

/// A serde value as a tree (the server turns the change log's stored fields into one).
#[cfg(feature = "ssr")]
impl From<&serde_json::Value> for Json<'static> {
    fn from(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(value) => Json::Bool(*value),
            Value::Number(number) => Json::Number(Cow::Owned(number.to_string())),
            Value::String(text) => Json::Text(Cow::Owned(text.clone())),
            Value::Array(items) => Json::List(items.iter().map(Json::from).collect()),
            Value::Object(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(key, value)| (Cow::Owned(key.clone()), Json::from(value)))
                    .collect(),
            ),
        }
    }
}

/// `T` read from `text`, or `None` when it is not JSON or not a `T`.
pub fn from_str<T: Read>(text: &str) -> Option<T> {
    T::read(&Json::parse(text)?)
}

/// A type read from the API's JSON.
pub trait Read: Sized {
    fn read(json: &Json) -> Option<Self>;
}

/// Implements [`Read`] for a struct by reading each named field from the object field of the
/// same name (or the one given: `self_ = "self"`). A field may carry a `#[cfg(…)]`, as its
/// struct's does.
#[macro_export]
macro_rules! read_fields {
    ($type:ident { $($(#[$attr:meta])* $field:ident $(= $key:literal)?),* $(,)? }) => {
        impl $crate::json::Read for $type {
            fn read(json: &$crate::json::Json) -> Option<Self> {
                Some($type {
                    $($(#[$attr])* $field: json.field($crate::read_fields!(@key $field $($key)?))?,)*
                })
            }
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
}

/// Every integer is read through `i64`: one parser in the bundle rather than one per type.
impl Read for i64 {
    fn read(json: &Json) -> Option<Self> {
        match json {
            Json::Number(number) => number.parse().ok(),
            _ => None,
        }
    }
}

macro_rules! read_integers {
    ($($type:ty),*) => {$(
        impl Read for $type {
            fn read(json: &Json) -> Option<Self> {
                i64::read(json)?.try_into().ok()
            }
        }
    )*};
}

read_integers!(i16, i32, u16, u32, u64);

impl Read for bool {
    fn read(json: &Json) -> Option<Self> {
        match json {
            Json::Bool(value) => Some(*value),
            _ => None,
        }
    }
}

impl Read for String {
    fn read(json: &Json) -> Option<Self> {
        json.as_str().map(str::to_owned)
    }
}

/// Null or absent is `None`; anything else must read as `T`.
impl<T: Read> Read for Option<T> {
    fn read(json: &Json) -> Option<Self> {
        match json {
            Json::Null => Some(None),
            _ => T::read(json).map(Some),
        }
    }
}

/// A list of `T`; null or absent is empty.
impl<T: Read> Read for Vec<T> {
    fn read(json: &Json) -> Option<Self> {
        match json {
            Json::Null => Some(Vec::new()),
            Json::List(items) => {
                // A plain loop: `collect` into `Option<Vec<_>>` is more code for each `T`.
                let mut read = Vec::with_capacity(items.len());
                for item in items {
                    read.push(T::read(item)?);
                }
                Some(read)
            }
            _ => None,
        }
    }
}

/// `YYYY-MM-DD`.
impl Read for chrono::NaiveDate {
    fn read(json: &Json) -> Option<Self> {
        crate::dates::parse_iso(json.as_str()?)
    }
}

/// serde's shape of a `Result`: `{"Ok": …}` or `{"Err": …}` (how resources travel).
impl<T: Read, E: Read> Read for Result<T, E> {
    fn read(json: &Json) -> Option<Self> {
        match json.fields() {
            [(tag, value)] if tag == "Ok" => T::read(value).map(Ok),
            [(tag, value)] if tag == "Err" => E::read(value).map(Err),
            _ => None,
        }
    }
}

impl<A: Read, B: Read> Read for (A, B) {
    fn read(json: &Json) -> Option<Self> {
        match json.items() {
            [a, b] => Some((A::read(a)?, B::read(b)?)),
            _ => None,
        }
    }
}

impl<A: Read, B: Read, C: Read> Read for (A, B, C) {
    fn read(json: &Json) -> Option<Self> {
        match json.items() {
            [a, b, c] => Some((A::read(a)?, B::read(b)?, C::read(c)?)),
            _ => None,
        }
    }
}

impl<A: Read, B: Read, C: Read, D: Read> Read for (A, B, C, D) {
    fn read(json: &Json) -> Option<Self> {
        match json.items() {
            [a, b, c, d] => Some((A::read(a)?, B::read(b)?, C::read(c)?, D::read(d)?)),
            _ => None,
        }
    }
}

/// The codec the app's resources travel in from the server-rendered page: written with serde
/// by the server (the only side that writes them), read with [`Read`].
pub struct Wire;

impl<T: serde::Serialize> codee::Encoder<T> for Wire {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: Read> codee::Decoder<T> for Wire {
    type Error = ();
    type Encoded = str;

    fn decode(text: &str) -> Result<T, ()> {
        from_str(text).ok_or(())
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// Takes `expected` if it comes next.
    fn take(&mut self, expected: u8) -> bool {
        self.skip_space();
        let found = self.bytes.get(self.at) == Some(&expected);
        if found {
            self.at += 1;
        }
        found
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Option<Json<'a>> {
        let found = self.text[self.at..].starts_with(word);
        found.then(|| {
            self.at += word.len();
            value
        })
    }

    fn value(&mut self, depth: u32) -> Option<Json<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match *self.bytes.get(self.at)? {
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'"' => self.text().map(Json::Text),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.take(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.take(b']') {
                            break;
                        }
                        self.take(b',').then_some(())?;
                    }
                }
                Some(Json::List(items))
            }
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                if !self.take(b'}') {
                    loop {
                        self.skip_space();
                        let key = self.text()?;
                        self.take(b':').then_some(())?;
                        fields.push((key, self.value(depth + 1)?));
                        if self.take(b'}') {
                            break;
                        }
                        self.take(b',').then_some(())?;
                    }
                }
                Some(Json::Object(fields))
            }
            _ => self.number(),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<Json<'a>> {
        let start = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        if self.bytes.get(self.at) == Some(&b'0') {
            self.at += 1;
        } else {
            self.digits()?;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.digits()?;
        }
        Some(Json::Number(Cow::Borrowed(&self.text[start..self.at])))
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let from = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        (self.at > from).then_some(())
    }

    /// A string at the cursor (which is on its opening quote), unescaped.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        (self.bytes.get(self.at) == Some(&b'"')).then_some(())?;
        self.at += 1;
        let start = self.at;
        // Only a string with escapes is copied; the copy starts at its first escape.
        let mut owned: Option<String> = None;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    let raw = &self.text[start..self.at];
                    self.at += 1;
                    return Some(owned.map_or(Cow::Borrowed(raw), Cow::Owned));
                }
                b'\\' => {
                    let unescaped =
                        owned.get_or_insert_with(|| self.text[start..self.at].to_owned());
                    let escape = *self.bytes.get(self.at + 1)?;
                    self.at += 2;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let high = hex4(self.text, &mut self.at)?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                // A surrogate pair: the low half must follow as `\uXXXX`.
                                self.text[self.at..].starts_with("\\u").then_some(())?;
                                self.at += 2;
                                let low = hex4(self.text, &mut self.at)?;
                                (0xDC00..0xE000).contains(&low).then_some(())?;
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    unescaped.push(c);
                }
                // Control characters must be escaped.
                0..0x20 => return None,
                _ => {
                    // The run up to the next quote, backslash or control character, as it is.
                    let run_end = self.bytes[self.at..]
                        .iter()
                        .position(|b| matches!(b, b'"' | b'\\' | 0..0x20))
                        .map_or(self.bytes.len(), |n| self.at + n);
                    if let Some(unescaped) = owned.as_mut() {
                        unescaped.push_str(&self.text[self.at..run_end]);
                    }
                    self.at = run_end;
                }
            }
        }
    }
}

/// Four hex digits at `*at` (after `\u`), moving past them.
fn hex4(text: &str, at: &mut usize) -> Option<u32> {
    let digits = text.get(*at..*at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    *at += 4;
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_writes() {
        let written = serde_json::json!({
            "id": 7,
            "name": "Write \"docs\" \\ ünïcödé 🚀\n\ttabbed\u{1}",
            "nested": {"list": [1, -2, 3.5, 1e3, true, false, null, [], {}]},
        })
        .to_string();
        let json = Json::parse(&written).unwrap();
        assert_eq!(json.field::<i32>("id"), Some(7));
        assert_eq!(
            json.field::<String>("name").unwrap(),
            "Write \"docs\" \\ ünïcödé 🚀\n\ttabbed\u{1}"
        );
        let list = json.get("nested").get("list").items();
        assert_eq!(list.len(), 9);
        assert_eq!(i64::read(&list[1]), Some(-2));
        assert_eq!(list[2], Json::Number("3.5".into()));
        assert_eq!(i32::read(&list[2]), None, "a fraction is not an id");
        assert_eq!(list[4], Json::Bool(true));
        assert!(list[6].is_null());
        assert!(json.get("absent").is_null());
        assert_eq!(json.field::<Option<String>>("absent"), Some(None));
        assert_eq!(json.field::<Vec<i32>>("absent"), Some(vec![]));
        assert_eq!(json.field::<String>("id"), None, "a number is not text");
    }

    #[test]
    fn unescapes_every_escape_and_borrows_plain_text() {
        let json = Json::parse(r#"["plain", "a\"b\\c\/d\be\ff\ng\rh\ti", "\u00e9\ud83d\ude80x"]"#)
            .unwrap();
        let items = json.items();
        assert!(matches!(&items[0], Json::Text(Cow::Borrowed("plain"))));
        assert_eq!(items[1].as_str(), Some("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti"));
        assert_eq!(items[2].as_str(), Some("é🚀x"));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"unterminated",
            "\"tab\there\"",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u+123\"",
            "\"\\ud83d alone\"",
            "nul",
            "[1] 2",
            "{'a': 1}",
        ] {
            assert_eq!(Json::parse(bad), None, "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(Json::parse(&deep), None, "nesting is bounded");
        assert!(Json::parse(&("[".repeat(60) + &"]".repeat(60))).is_some());
        assert_eq!(
            Json::parse(" {\"a\" : [ 1 , 2 ] } ")
                .unwrap()
                .get("a")
                .items()
                .len(),
            2
        );
    }

    #[test]
    fn results_read_as_serde_writes_them() {
        let ok: Result<u32, String> = Ok(3);
        let err: Result<u32, String> = Err("no".into());
        for value in [ok, err] {
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(from_str::<Result<u32, String>>(&text), Some(value));
        }
        assert_eq!(
            from_str::<Result<u32, String>>(r#"{"Ok":1,"Err":"x"}"#),
            None
        );
    }
}
