//! Validation errors by field, the shape every rule reports in (DRF's, which the book's clients
//! parse); the HTTP layer turns them into 400 answers.

use std::collections::BTreeMap;

/// DRF's message for a field a write must have.
pub const REQUIRED: &str = "This field is required.";
/// DRF's message for a text field sent empty or only spaces.
pub const BLANK: &str = "This field may not be blank.";

/// Validation messages by field name, in DRF's `{"field": ["message", ...]}` shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

/// From a rule's refusals, `(field, message)` in order.
impl<'a> FromIterator<(&'a str, String)> for FieldErrors {
    fn from_iter<I: IntoIterator<Item = (&'a str, String)>>(problems: I) -> Self {
        let mut errors = Self::default();
        for (field, message) in problems {
            errors.add(field, message);
        }
        errors
    }
}

impl FieldErrors {
    pub const NON_FIELD: &'static str = "non_field_errors";

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The messages recorded for `field` (none: empty).
    pub fn messages(&self, field: &str) -> &[String] {
        self.0.get(field).map_or(&[], Vec::as_slice)
    }

    /// The first message recorded, by field name (the order the API writes them in).
    pub fn first(&self) -> Option<&str> {
        self.0.values().flatten().next().map(String::as_str)
    }

    /// `Ok(())` when nothing was recorded, so validation can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}
