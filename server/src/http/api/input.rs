//! Request bodies as DRF reads them: JSON or `application/x-www-form-urlencoded`, turned into
//! one field map, then read field by field with DRF's messages.
//!
//! The book's Python client posts forms and sends whole objects back on PUT (read-only keys,
//! `links` repeated, `None` values dropped); the Backbone client sends JSON. Unknown and
//! read-only keys are ignored, never rejected.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::http::error::{AppError, FieldErrors};

pub const REQUIRED: &str = "This field is required.";
pub const DATE_FORMAT: &str =
    "Date has wrong format. Use one of these formats instead: YYYY[-MM[-DD]].";

/// The largest body an API write may have (a task's description included).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A parsed request body. Form values are strings; JSON keeps its types.
#[derive(Debug, Default)]
pub struct Input {
    fields: Map<String, Value>,
}

/// How a field appeared in the body.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Absent,
    /// JSON `null`, or an empty string (how forms and DRF spell "no value").
    Null,
    Value(&'a Value),
}

impl Input {
    pub fn from_json_object(fields: Map<String, Value>) -> Self {
        Self { fields }
    }

    pub fn get(&self, name: &str) -> Field<'_> {
        match self.fields.get(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) if s.is_empty() => Field::Null,
            Some(value) => Field::Value(value),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// A text field: `Ok(None)` when absent; errors are recorded under `name`.
    pub fn text(
        &self,
        name: &str,
        max_len: Option<usize>,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        let text = match self.fields.get(name)? {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                errors.add(name, "Not a valid string.");
                return None;
            }
        };
        if let Some(max) = max_len {
            let length = text.chars().count();
            if length > max {
                errors.add(
                    name,
                    format!("Ensure this value has at most {max} characters (it has {length})."),
                );
                return None;
            }
        }
        Some(text)
    }

    /// A nullable date: `None` when absent, `Some(None)` for null/empty.
    pub fn date(&self, name: &str, errors: &mut FieldErrors) -> Option<Option<NaiveDate>> {
        match self.get(name) {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(Value::String(s)) => match parse_date(s) {
                Some(date) => Some(Some(date)),
                None => {
                    errors.add(name, DATE_FORMAT);
                    None
                }
            },
            Field::Value(_) => {
                errors.add(name, DATE_FORMAT);
                None
            }
        }
    }

    /// A nullable integer: `None` when absent, `Some(None)` for null/empty.
    pub fn integer(&self, name: &str, errors: &mut FieldErrors) -> Option<Option<i64>> {
        match self.get(name) {
            Field::Absent => None,
            Field::Null => Some(None),
            Field::Value(value) => match as_integer(value) {
                Some(n) => Some(Some(n)),
                None => {
                    errors.add(name, "A valid integer is required.");
                    None
                }
            },
        }
    }
}

impl Input {
    /// A boolean as DRF reads one (`true`, `"false"`, `1`, `"on"`…): `None` when absent;
    /// anything else is an error recorded under `name`.
    pub fn boolean(&self, name: &str, errors: &mut FieldErrors) -> Option<bool> {
        let value = self.fields.get(name)?;
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            errors.add(name, "Must be a valid boolean.");
        }
        parsed
    }
}

/// A whole number from JSON (`3`, `"3"`) or a form (`"3"`).
pub fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `YYYY-MM-DD` (what the book and HTML date inputs send).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

impl<S: Send + Sync> FromRequest<S> for Input {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("The request body could not be read.".into())
                }
            })?;
        if body.is_empty() {
            return Ok(Input::default());
        }
        match media_type.as_str() {
            "application/json" => parse_json(&body),
            "application/x-www-form-urlencoded" => Ok(parse_form(&body)),
            // Clients that send a body without a type almost always mean JSON.
            "" => parse_json(&body),
            other => Err(AppError::UnsupportedMediaType(other.to_owned())),
        }
    }
}

fn parse_json(body: &[u8]) -> Result<Input, AppError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(Input { fields }),
        Ok(other) => Err(AppError::Validation(FieldErrors::single(
            FieldErrors::NON_FIELD,
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                json_type_name(&other)
            ),
        ))),
        Err(error) => {
            tracing::warn!(%error, bytes = body.len(), body = %loggable_excerpt(body), "unreadable JSON body");
            Err(AppError::BadRequest(format!(
                "JSON parse error - {}",
                error
            )))
        }
    }
}

/// What of a refused body may reach the logs: its first 80 characters, or nothing at all when
/// it may carry a credential (a broken login body still holds the password).
fn loggable_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if ["password", "token", "secret", "key"]
        .iter()
        .any(|word| lower.contains(word))
    {
        return "(withheld: it may hold a credential)".into();
    }
    let excerpt: String = text.chars().take(80).collect();
    if excerpt.len() < text.len() {
        format!("{excerpt}…")
    } else {
        excerpt
    }
}

/// How DRF names a JSON value's type in its messages (Python's names).
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
        Value::Object(_) => "dict",
    }
}

/// Form fields that hold a list: every value of a repeated key is kept, as DRF reads a
/// many-valued field with `QueryDict.getlist` (the book's client sends a list that way).
const LIST_FIELDS: &[&str] = &["labels"];

/// Form fields; a repeated key keeps its last value, as Django's `QueryDict.get` does, except
/// the [`LIST_FIELDS`], which keep them all, as a list of strings.
fn parse_form(body: &[u8]) -> Input {
    let mut fields = Map::new();
    for (key, value) in form_urlencoded::parse(body) {
        let value = Value::String(value.into_owned());
        if LIST_FIELDS.contains(&key.as_ref()) {
            let list = fields
                .entry(key.into_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.push(value);
            }
        } else {
            fields.insert(key.into_owned(), value);
        }
    }
    Input { fields }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_every_value_of_a_list_field() {
        let input = parse_form(b"labels=3&name=Task&labels=5");
        assert_eq!(
            input.fields.get("labels"),
            Some(&serde_json::json!(["3", "5"]))
        );
        assert_eq!(input.fields.get("name"), Some(&serde_json::json!("Task")));
    }

    #[test]
    fn forms_keep_the_last_of_repeated_keys_and_empty_means_null() {
        let input = parse_form(b"links=assigned&links=self&name=Task&due=&order=3");
        assert!(matches!(input.get("links"), Field::Value(Value::String(s)) if s == "self"));
        assert!(matches!(input.get("due"), Field::Null));
        assert!(matches!(input.get("missing"), Field::Absent));
        let mut errors = FieldErrors::default();
        assert_eq!(input.integer("order", &mut errors), Some(Some(3)));
        assert!(errors.is_empty());
    }

    #[test]
    fn text_length_errors_use_drfs_message() {
        let input = Input::from_json_object(
            serde_json::json!({ "name": "x".repeat(101) })
                .as_object()
                .unwrap()
                .clone(),
        );
        let mut errors = FieldErrors::default();
        assert_eq!(input.text("name", Some(100), &mut errors), None);
        assert_eq!(
            serde_json::to_value(&errors).unwrap(),
            serde_json::json!({"name": ["Ensure this value has at most 100 characters (it has 101)."]})
        );
    }

    #[test]
    fn dates_are_iso_days_only() {
        assert_eq!(
            parse_date("2030-01-31"),
            NaiveDate::from_ymd_opt(2030, 1, 31)
        );
        assert_eq!(parse_date("31/01/2030"), None);
        assert_eq!(parse_date("2030-02-30"), None);
    }

    #[test]
    fn refused_bodies_are_logged_short_and_never_with_a_credential() {
        assert_eq!(loggable_excerpt(b"{oops"), "{oops");
        let long = "x".repeat(200);
        assert_eq!(
            loggable_excerpt(long.as_bytes()),
            format!("{}…", "x".repeat(80))
        );
        let login = br#"{"username":"demo","PASSWORD":"hunter2""#;
        assert!(!loggable_excerpt(login).contains("hunter2"));
    }

    #[test]
    fn json_that_is_not_an_object_is_a_non_field_error() {
        let error = parse_json(b"[1,2]").unwrap_err();
        assert!(matches!(error, AppError::Validation(e) if e.has("non_field_errors")));
        assert!(matches!(parse_json(b"{oops"), Err(AppError::BadRequest(_))));
    }
}
