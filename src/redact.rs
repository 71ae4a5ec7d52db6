//! Secret redaction. Every byte phi prints passes through a [`Redactor`], which replaces the
//! values it was told are secret. Values are registered as they are read (secret-looking env
//! variables, `*_FILE` contents), so later output cannot leak them.
//!
//! Names are not secrets: the project's, its services', containers', networks', volumes' and
//! images' names are registered as public, and a secret found inside a word that is such a
//! name (or starts with one followed by `-` or `_`, as the names Compose derives do) is left
//! as it is. A password that equals the project's name (`POSTGRES_PASSWORD=temporal` in a
//! project called temporal) would otherwise turn every name in the output into `[redacted]`;
//! `phi check-auth` flags such a password as weak instead. Values are never printed in the
//! first place (messages name variables, not their values); this is the second line.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

/// What a redacted value is replaced with.
pub const MASK: &str = "[redacted]";

/// Values shorter than this are not masked: they would garble ordinary text ("1", "on").
const MIN_SECRET_LEN: usize = 4;

/// A shared, growing set of secret values. Cloning shares the set.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Secrets>>,
    /// Public names: a set, so that registering thousands of services stays linear.
    names: Arc<RwLock<std::collections::HashSet<String>>>,
}

/// The registered values: a set (adding is O(1), so 40,000 secret-looking variables load
/// at once) and the same values longest first, rebuilt only when something was added.
#[derive(Debug, Default)]
struct Secrets {
    set: std::collections::HashSet<String>,
    longest_first: Vec<String>,
    stale: bool,
}

/// Characters of a name word: what project, service, container, network, volume and image
/// names are made of.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '@')
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember a value as secret. Short values are ignored; see [`MIN_SECRET_LEN`].
    pub fn add(&self, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if secrets.set.insert(value.to_string()) {
            secrets.stale = true;
        }
    }

    /// Remember a name (project, service, container, network, volume, image) as public: a
    /// secret inside a word that is this name, or starts with it and `-` or `_`, is not masked.
    pub fn add_name(&self, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
        if !names.contains(name) {
            names.insert(name.to_string());
        }
    }

    /// Replace every registered secret in `text`, except inside public names.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.secrets.read().unwrap_or_else(|e| e.into_inner()).stale {
            let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
            let mut sorted: Vec<String> = secrets.set.iter().cloned().collect();
            // Longest first, so a secret that contains another is masked whole.
            sorted.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            secrets.longest_first = sorted;
            secrets.stale = false;
        }
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let names = self.names.read().unwrap_or_else(|e| e.into_inner());
        let mut out = Cow::Borrowed(text);
        for secret in secrets.longest_first.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(mask(&out, secret, &names));
            }
        }
        out
    }
}

/// `text` with each occurrence of `secret` masked, unless the word around it is a public name.
fn mask(text: &str, secret: &str, names: &std::collections::HashSet<String>) -> String {
    // The word is a name, or a name followed by `-` or `_` and more: each such prefix is
    // looked up, so the cost is the word's length, not the number of names.
    let public = |word: &str| {
        names.contains(word)
            || word
                .match_indices(['-', '_'])
                .any(|(i, _)| names.contains(&word[..i]))
    };
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (at, _) in text.match_indices(secret) {
        if at < done {
            continue; // inside an occurrence already handled
        }
        let end = at + secret.len();
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| name_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let stop = text[end..]
            .char_indices()
            .find(|(_, c)| !name_char(*c))
            .map_or(text.len(), |(i, _)| end + i);
        out.push_str(&text[done..at]);
        if public(&text[start..stop]) {
            out.push_str(secret);
        } else {
            out.push_str(MASK);
        }
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

/// Whether a variable name looks like it holds a secret (a password, token, key or secret).
/// Names of files and paths that point at secrets (`*_FILE`, `*_PATH`, `*_DIR`) do not.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper == "GOOGLE_APPLICATION_CREDENTIALS"
        || ["_FILE", "_PATH", "_DIR"]
            .iter()
            .any(|s| upper.ends_with(s))
    {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE",
        "APIKEY",
        "CREDENTIAL",
        "PASSPHRASE",
    ]
    .iter()
    .any(|word| upper.contains(word))
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|segment| matches!(segment, "KEY" | "KEYS" | "PASS" | "AUTH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_masked_everywhere() {
        let r = Redactor::new();
        r.add("hunter2-long");
        assert_eq!(
            r.redact("password=hunter2-long, again hunter2-long"),
            "password=[redacted], again [redacted]"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn many_names_register_in_linear_time() {
        // 100,000 public names (a large project's services, containers and images): each
        // used to be compared with every name before it.
        let r = Redactor::new();
        let started = std::time::Instant::now();
        for i in 0..100_000 {
            r.add_name(&format!("service-{i}"));
        }
        r.add("service");
        assert_eq!(
            r.redact("service-99999-1 and xservice"),
            "service-99999-1 and x[redacted]"
        );
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn names_are_not_secrets() {
        let r = Redactor::new();
        r.add("temporal");
        r.add_name("temporal");
        r.add_name("postgresql");
        assert_eq!(
            r.redact("temporal-postgresql-1 on temporal_default (project temporal)"),
            "temporal-postgresql-1 on temporal_default (project temporal)"
        );
        // Elsewhere the value is still masked: inside other words, or standing for itself.
        assert_eq!(
            r.redact("xtemporal password: temporalx"),
            "x[redacted] password: [redacted]x"
        );
        let r = Redactor::new();
        r.add("hunter22");
        r.add_name("web");
        assert_eq!(
            r.redact("web: hunter22 web-hunter22"),
            "web: [redacted] web-hunter22"
        );
    }

    #[test]
    fn the_longest_secret_is_masked_first() {
        let r = Redactor::new();
        r.add("abcd");
        r.add("abcdefgh");
        assert_eq!(r.redact("x abcdefgh y abcd"), "x [redacted] y [redacted]");
    }

    #[test]
    fn short_values_are_not_masked() {
        let r = Redactor::new();
        r.add("on");
        r.add("  ");
        assert_eq!(r.redact("on and on"), "on and on");
    }

    #[test]
    fn clones_share_the_set() {
        let r = Redactor::new();
        let printer_side = r.clone();
        r.add("s3cr3t-value");
        assert_eq!(printer_side.redact("s3cr3t-value"), MASK);
    }

    #[test]
    fn secret_names() {
        for name in [
            "POSTGRES_PASSWORD",
            "FLASK_SECRET_KEY",
            "GITHUB_TOKEN",
            "API_KEY",
            "aws_secret_access_key",
            "REDIS_PASS",
            "PRIVATE_KEY",
            "JWT_SIGNING_KEYS",
            "GPG_PASSPHRASE",
        ] {
            assert!(is_secret_name(name), "{name} should be secret");
        }
        for name in [
            "POSTGRES_USER",
            "POSTGRES_PASSWORD_FILE",
            "PWD",
            "HOME",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "KEYBOARD_LAYOUT",
            "DASHBOARD_PORT",
            "SSH_KEY_PATH",
        ] {
            assert!(!is_secret_name(name), "{name} should not be secret");
        }
    }
}
