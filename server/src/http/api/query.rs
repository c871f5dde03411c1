//! Query-string handling shared by the list endpoints: pagination (DRF's page-number style),
//! `search` terms, `ordering` lists, and typed filter values that answer 400 naming the
//! parameter when they do not parse.

use std::collections::HashMap;

use crate::{
    http::error::{AppError, FieldErrors},
    http::origin::RequestOrigin,
};

pub const DEFAULT_PAGE_SIZE: u64 = 25;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The raw query string, decoded; a repeated parameter keeps its last value.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    map: HashMap<String, String>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = raw
            .map(|raw| {
                form_urlencoded::parse(raw.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let map = pairs.iter().cloned().collect();
        Self { pairs, map }
    }

    /// A parameter's value; empty means "not given", as django-filter reads it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// The same query with `page` set, for `next`/`previous` links.
    fn with_page(&self, page: u64) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.pairs.iter().filter(|(key, _)| key != "page") {
            serializer.append_pair(key, value);
        }
        serializer.append_pair("page", &page.to_string());
        serializer.finish()
    }
}

/// Records a 400 for `name` and returns `None` when `parse` fails.
pub fn typed<T>(
    query: &Query,
    name: &str,
    message: &str,
    errors: &mut FieldErrors,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let text = query.get(name)?;
    let parsed = parse(text);
    if parsed.is_none() {
        errors.add(name, message);
    }
    parsed
}

/// `True`/`False` as the book sends them, plus `true`/`false`/`1`/`0`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "True" | "true" | "1" => Some(true),
        "False" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// At most this many search terms count (each is one more condition for the database).
pub const MAX_SEARCH_TERMS: usize = 10;

/// Search terms: split on whitespace and commas, as DRF's `SearchFilter`; repeated terms
/// count once, and only the first `MAX_SEARCH_TERMS` count at all.
pub fn search_terms(query: &Query) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    if let Some(text) = query.get("search") {
        for term in text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|term| !term.is_empty())
            .map(str::to_lowercase)
        {
            if !terms.contains(&term) {
                terms.push(term);
            }
            if terms.len() == MAX_SEARCH_TERMS {
                break;
            }
        }
    }
    terms
}

/// The requested ordering as `(field, descending)`, keeping only `allowed` fields (unknown
/// ones are ignored, as DRF's `OrderingFilter`); each field counts once, at its first mention.
pub fn ordering<'a>(query: &Query, allowed: &[&'a str]) -> Vec<(&'a str, bool)> {
    let Some(text) = query.get("ordering") else {
        return Vec::new();
    };
    let mut fields: Vec<(&'a str, bool)> = Vec::new();
    for term in text.split(',').map(str::trim) {
        let (name, descending) = match term.strip_prefix('-') {
            Some(name) => (name, true),
            None => (term, false),
        };
        if let Some(field) = allowed.iter().find(|field| **field == name)
            && !fields.iter().any(|(seen, _)| seen == field)
        {
            fields.push((*field, descending));
        }
    }
    fields
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: PageNumber,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageNumber {
    Number(u64),
    Last,
}

impl PageRequest {
    /// `page` (a number ≥ 1, or `last`) and `page_size` (capped at 100; a bad size falls back
    /// to the default, as DRF does). A bad page is 404 "Invalid page.", also as DRF.
    pub fn from_query(query: &Query) -> Result<Self, AppError> {
        let size = query
            .get("page_size")
            .and_then(|text| text.parse::<u64>().ok())
            .filter(|size| *size > 0)
            .map_or(DEFAULT_PAGE_SIZE, |size| size.min(MAX_PAGE_SIZE));
        let page = match query.get("page") {
            None => PageNumber::Number(1),
            Some("last") => PageNumber::Last,
            Some(text) => match text.parse::<u64>() {
                Ok(number) if number >= 1 => PageNumber::Number(number),
                _ => return Err(invalid_page()),
            },
        };
        Ok(Self { page, size })
    }

    /// The 1-based page to show for `count` items, or 404 past the end.
    pub fn resolve(&self, count: u64) -> Result<u64, AppError> {
        let pages = count.div_ceil(self.size).max(1);
        match self.page {
            PageNumber::Last => Ok(pages),
            PageNumber::Number(n) if n <= pages => Ok(n),
            PageNumber::Number(_) => Err(invalid_page()),
        }
    }

    /// The `next` and `previous` links for page `page` of `count` items.
    pub fn links(
        &self,
        page: u64,
        count: u64,
        origin: &RequestOrigin,
        path: &str,
        query: &Query,
    ) -> (Option<String>, Option<String>) {
        let pages = count.div_ceil(self.size).max(1);
        let link = |n: u64| format!("{}?{}", origin.url(path), query.with_page(n));
        (
            (page < pages).then(|| link(page + 1)),
            (page > 1).then(|| link(page - 1)),
        )
    }
}

fn invalid_page() -> AppError {
    AppError::NotFoundWith("Invalid page.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_capped_and_bad_sizes_use_the_default() {
        let request = |q: &str| PageRequest::from_query(&Query::parse(Some(q))).unwrap();
        assert_eq!(request("page_size=500").size, 100);
        assert_eq!(request("page_size=abc").size, 25);
        assert_eq!(request("page_size=0").size, 25);
        assert_eq!(request("").page, PageNumber::Number(1));
        assert_eq!(request("page=last").page, PageNumber::Last);
        assert!(PageRequest::from_query(&Query::parse(Some("page=0"))).is_err());
        assert!(PageRequest::from_query(&Query::parse(Some("page=x"))).is_err());
    }

    #[test]
    fn pages_resolve_against_the_count() {
        let request = PageRequest {
            page: PageNumber::Number(3),
            size: 25,
        };
        assert_eq!(request.resolve(51).unwrap(), 3);
        assert!(request.resolve(50).is_err());
        let first = PageRequest {
            page: PageNumber::Number(1),
            size: 25,
        };
        assert_eq!(
            first.resolve(0).unwrap(),
            1,
            "an empty list still has page 1"
        );
    }

    #[test]
    fn ordering_keeps_allowed_fields_and_signs() {
        let query = Query::parse(Some("ordering=-name,bogus,order"));
        assert_eq!(
            ordering(&query, &["name", "order"]),
            vec![("name", true), ("order", false)]
        );
    }

    #[test]
    fn search_and_ordering_are_bounded() {
        let many = (0..1000)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let query = Query::parse(Some(&format!(
            "search={many}&ordering=name,-name,name,order"
        )));
        assert_eq!(search_terms(&query).len(), MAX_SEARCH_TERMS);
        assert_eq!(
            ordering(&query, &["name", "order"]),
            vec![("name", false), ("order", false)]
        );
        let repeated = Query::parse(Some("search=a,a,a,b"));
        assert_eq!(search_terms(&repeated), vec!["a", "b"]);
    }

    #[test]
    fn search_splits_on_spaces_and_commas() {
        let query = Query::parse(Some("search=Foo%20bar,baz"));
        assert_eq!(search_terms(&query), vec!["foo", "bar", "baz"]);
    }
}
