//! `ALLOWED_HOSTS`: the host names this site answers to, and how a request's `Host` is matched
//! against them.

/// The hosts this site answers to: exact names (`scrum.example.com`, `[::1]`), a leading dot
/// for a domain and its subdomains (`.example.com`), or `*` for any (never in production).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    pub fn development_default() -> Self {
        Self(vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()])
    }

    /// Comma-separated; an empty entry is an error, never "anything".
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut hosts = Vec::new();
        for entry in list.split(',').map(str::trim) {
            if entry.is_empty() {
                return Err("the list has an empty entry".into());
            }
            if entry.contains(['/', ' ', '@']) {
                return Err(format!("{entry:?} is not a host name"));
            }
            hosts.push(entry.to_ascii_lowercase());
        }
        Ok(Self(hosts))
    }

    /// The entries as configured (lowercase): names, `.domain`s, `*`.
    pub fn entries(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn allows_any(&self) -> bool {
        self.0.iter().any(|host| host == "*")
    }

    /// `host` as sent (`name[:port]`, `[v6]:port`); the port does not matter.
    pub fn allows(&self, host: &str) -> bool {
        let name = strip_port(&host.to_ascii_lowercase());
        self.0.iter().any(|allowed| {
            allowed == "*"
                || *allowed == name
                || allowed
                    .strip_prefix('.')
                    .is_some_and(|domain| name == domain || name.ends_with(allowed.as_str()))
        })
    }
}

/// `host` without its port: `name` of `name:port`, `[v6]` of `[v6]:port`.
pub fn strip_port(host: &str) -> String {
    if host.starts_with('[') {
        // [v6] or [v6]:port
        return host
            .split_once(']')
            .map(|(address, _)| format!("{address}]"))
            .unwrap_or_else(|| host.to_owned());
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => host.to_owned(),
    }
}

/// A host (name or IP, optional port) and nothing that could break out of a URL.
pub fn is_plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_entry_is_an_error_not_anything() {
        assert!(AllowedHosts::parse("example.com,,").is_err());
        assert!(AllowedHosts::parse("a b").is_err());
    }

    #[test]
    fn hosts_match_by_name_whatever_the_port() {
        let hosts = AllowedHosts::parse("scrum.example.com, .corp.example, [::1]").unwrap();
        assert!(hosts.allows("scrum.example.com"));
        assert!(hosts.allows("SCRUM.example.com:8443"));
        assert!(hosts.allows("corp.example"));
        assert!(hosts.allows("board.corp.example:80"));
        assert!(hosts.allows("[::1]:3000"));
        assert!(!hosts.allows("evil.example"));
        assert!(!hosts.allows("scrum.example.com.evil.example"));
        assert!(!hosts.allows("notcorp.example"));
        assert!(!hosts.allows("[::2]:3000"));
        assert!(AllowedHosts::parse("*").unwrap().allows("anything:1"));
    }
}
