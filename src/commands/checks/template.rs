//! The env template (`config.env.template`): which variables are required, which have a
//! default, which are optional. Pure.
//!
//! Conventions, one variable a line:
//!
//! ```text
//! NAME=value    a default
//! NAME=         required: no default on purpose
//! # NAME=       optional (also `# NAME=example`); at most one space after the `#`
//! ```
//!
//! Other comment lines are documentation and ignored, so prose such as
//! `#   NAME=value   a default` (more than one space after `#`) is not read as a variable.

use crate::config::xphi::is_variable_name;

/// The default template file name, looked up in the project directory.
pub const DEFAULT_TEMPLATE: &str = "config.env.template";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `NAME=`: must be set.
    Required,
    /// `NAME=value`: a default that works for development.
    Default(String),
    /// `# NAME=value`: optional; the value, if any, is an example.
    Optional(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    /// 1-based line in the template.
    pub line: usize,
}

impl Entry {
    /// The template's value for the variable (a default or an example), if it has one.
    pub fn value(&self) -> Option<&str> {
        match &self.kind {
            Kind::Required => None,
            Kind::Default(v) | Kind::Optional(v) => Some(v.as_str()).filter(|v| !v.is_empty()),
        }
    }
}

/// Every variable the template names, in file order; a later line for the same name wins.
pub fn parse(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some((name, kind)) = parse_line(line) else {
            continue;
        };
        let entry = Entry {
            name,
            kind,
            line: i + 1,
        };
        match entries.iter_mut().find(|e| e.name == entry.name) {
            Some(existing) => *existing = entry,
            None => entries.push(entry),
        }
    }
    entries
}

fn parse_line(line: &str) -> Option<(String, Kind)> {
    let line = line.trim_end();
    let (commented, rest) = match line.strip_prefix('#') {
        Some(rest) => {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            if rest.starts_with(char::is_whitespace) {
                return None;
            }
            (true, rest)
        }
        None => (false, line.trim_start()),
    };
    let rest = rest.strip_prefix("export ").unwrap_or(rest);
    let (name, value) = rest.split_once('=')?;
    if !is_variable_name(name) {
        return None;
    }
    let value = unquote(value.trim());
    let kind = match (commented, value.is_empty()) {
        (true, _) => Kind::Optional(value),
        (false, true) => Kind::Required,
        (false, false) => Kind::Default(value),
    };
    Some((name.to_string(), kind))
}

/// Strip matching quotes; for an unquoted value, drop a trailing ` # comment`.
fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_string();
        }
    }
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Kind, usize)> {
        parse(text)
            .into_iter()
            .map(|e| (e.name, e.kind, e.line))
            .collect()
    }

    #[test]
    fn required_default_and_optional_lines() {
        let text = "# header prose\n\
                    #   NAME=value   a default (documentation, not a variable)\n\
                    REQUIRED=\n\
                    WITH_DEFAULT=phi\n\
                    # OPTIONAL=\n\
                    #EXAMPLE=europe-west1\n\
                    export EXPORTED= \n\
                    QUOTED=\"a b\"\n\
                    INLINE=5432 # the port\n\
                    not a variable\n\
                    1BAD=x\n";
        assert_eq!(
            kinds(text),
            vec![
                ("REQUIRED".into(), Kind::Required, 3),
                ("WITH_DEFAULT".into(), Kind::Default("phi".into()), 4),
                ("OPTIONAL".into(), Kind::Optional(String::new()), 5),
                ("EXAMPLE".into(), Kind::Optional("europe-west1".into()), 6),
                ("EXPORTED".into(), Kind::Required, 7),
                ("QUOTED".into(), Kind::Default("a b".into()), 8),
                ("INLINE".into(), Kind::Default("5432".into()), 9),
            ]
        );
    }

    #[test]
    fn a_later_line_wins_and_values_are_exposed() {
        let entries = parse("A=1\nA=\n# B=\n");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].kind, Kind::Required);
        assert_eq!(entries[0].line, 2);
        assert_eq!(entries[0].value(), None);
        assert_eq!(entries[1].value(), None);
        assert_eq!(parse("C=x\n")[0].value(), Some("x"));
    }

    #[test]
    fn the_repository_template_requires_the_two_secrets() {
        let entries = parse(include_str!("../../../config.env.template"));
        let required: Vec<&str> = entries
            .iter()
            .filter(|e| e.kind == Kind::Required)
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(required, ["POSTGRES_PASSWORD", "FLASK_SECRET_KEY"]);
        let user = entries.iter().find(|e| e.name == "POSTGRES_USER").unwrap();
        assert_eq!(user.kind, Kind::Default("phi".into()));
        let token = entries.iter().find(|e| e.name == "GITHUB_TOKEN").unwrap();
        assert_eq!(token.kind, Kind::Optional(String::new()));
        // The header's prose (`#   NAME=value ...`) is not a variable.
        assert!(!entries.iter().any(|e| e.name == "NAME"));
    }
}
