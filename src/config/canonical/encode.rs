//! The canonical document written out as Compose writes it: JSON as Go's
//! `json.MarshalIndent(v, "", "  ")` (struct fields in Go's order, maps sorted, `<>&`
//! escaped, no trailing newline), YAML in the same order (top-level keys as Compose's YAML),
//! and every `$` doubled so that the output can be loaded again.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use super::order::{self, Kind};

/// The document as `docker compose config --format json` prints it.
pub fn json(doc: &Json) -> String {
    let mut out = String::new();
    match doc {
        Json::Object(map) => {
            let map: Map<String, Json> = map
                .iter()
                .map(|(k, v)| {
                    let v = if k.starts_with("x-") {
                        empty_lists_as_null(v)
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect();
            let keys: Vec<&String> = map.keys().collect();
            write_object(&mut out, &map, &keys, 0, &|key| order::top_level(key));
        }
        other => write_json(&mut out, other, Kind::Any, 0),
    }
    out.replace('$', "$$")
}

/// The document in YAML, with the same content as [`json`] (so both parse to one value),
/// keys in Compose's YAML order; ends with a newline.
pub fn yaml(doc: &Json) -> String {
    const TOP: &[&str] = &[
        "name", "services", "networks", "volumes", "secrets", "configs", "models",
    ];
    let mut lines = Vec::new();
    if let Json::Object(map) = doc {
        let mut keys: Vec<&String> = TOP
            .iter()
            .filter_map(|k| map.get_key_value(*k).map(|(k, _)| k))
            .collect();
        keys.extend(map.keys().filter(|k| !TOP.contains(&k.as_str())));
        for key in keys {
            yaml_entry(&mut lines, key, &map[key], order::top_level(key));
        }
    } else {
        lines.push(yaml_scalar(doc));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text.replace('$', "$$")
}

/// The keys of `map` in the order `kind` gives: struct fields first in Go's order, then
/// anything else sorted; maps sorted.
fn ordered(map: &Map<String, Json>, kind: Kind) -> Vec<&String> {
    match kind {
        Kind::One(s) => {
            let fields = order::fields(s);
            let mut keys: Vec<&String> = fields
                .iter()
                .filter_map(|f| map.get_key_value(*f).map(|(k, _)| k))
                .collect();
            keys.extend(map.keys().filter(|k| !fields.contains(&k.as_str())));
            keys
        }
        _ => map.keys().collect(),
    }
}

/// What the value of `key` holds inside a value of `kind`.
fn element(kind: Kind, key: &str) -> Kind {
    match kind {
        Kind::One(s) => order::child(s, key),
        Kind::MapOf(s) => Kind::One(s),
        Kind::ListOf(s) => Kind::One(s),
        Kind::Any => Kind::Any,
    }
}

/// A top-level extension as Compose's JSON holds it: every empty list, at any depth, is
/// `null` (its YAML keeps `[]`).
pub fn empty_lists_as_null(value: &Json) -> Json {
    match value {
        Json::Array(items) if items.is_empty() => Json::Null,
        Json::Array(items) => Json::Array(items.iter().map(empty_lists_as_null).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), empty_lists_as_null(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn write_json(out: &mut String, value: &Json, kind: Kind, indent: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&number(n)),
        Json::String(s) => json_string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) => {
            out.push('[');
            let item_kind = match kind {
                Kind::ListOf(s) => Kind::One(s),
                _ => Kind::Any,
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                write_json(out, item, item_kind, indent + 1);
            }
            newline(out, indent);
            out.push(']');
        }
        Json::Object(map) => {
            let keys = ordered(map, kind);
            write_object(out, map, &keys, indent, &|key| element(kind, key));
        }
    }
}

fn write_object(
    out: &mut String,
    map: &Map<String, Json>,
    keys: &[&String],
    indent: usize,
    kind_of: &dyn Fn(&str) -> Kind,
) {
    if keys.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, indent + 1);
        json_string(out, key);
        out.push_str(": ");
        write_json(out, &map[key.as_str()], kind_of(key), indent + 1);
    }
    newline(out, indent);
    out.push('}');
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// A number as Go's encoding/json writes it: integers as they are, floats in their shortest
/// form without a needless `.0`.
fn number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(0.0);
        if f.fract() == 0.0 && f.abs() < 1e21 {
            return format!("{f:.0}");
        }
        return format!("{f}");
    }
    n.to_string()
}

/// A JSON string escaped as Go escapes it: `<`, `>`, `&`, U+2028 and U+2029 as `\u....`,
/// control characters as short escapes or `\u00xx`, everything else as it is.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ------------------------------------------------------------------------------ YAML --

fn yaml_entry(lines: &mut Vec<String>, key: &str, value: &Json, kind: Kind) {
    let key = yaml_string(key);
    if is_leaf(value) {
        lines.push(format!("{key}: {}", yaml_scalar(value)));
        return;
    }
    lines.push(format!("{key}:"));
    for line in yaml_node(value, kind) {
        lines.push(format!("  {line}"));
    }
}

/// A mapping or sequence as lines (indented relative to it).
fn yaml_node(value: &Json, kind: Kind) -> Vec<String> {
    let mut lines = Vec::new();
    match value {
        Json::Object(map) => {
            for key in ordered(map, kind) {
                yaml_entry(&mut lines, key, &map[key.as_str()], element(kind, key));
            }
        }
        Json::Array(items) => {
            let item_kind = match kind {
                Kind::ListOf(s) => Kind::One(s),
                _ => Kind::Any,
            };
            for item in items {
                if is_leaf(item) {
                    lines.push(format!("- {}", yaml_scalar(item)));
                    continue;
                }
                for (i, line) in yaml_node(item, item_kind).into_iter().enumerate() {
                    lines.push(if i == 0 {
                        format!("- {line}")
                    } else {
                        format!("  {line}")
                    });
                }
            }
        }
        leaf => lines.push(yaml_scalar(leaf)),
    }
    lines
}

fn is_leaf(value: &Json) -> bool {
    match value {
        Json::Object(m) => m.is_empty(),
        Json::Array(a) => a.is_empty(),
        _ => true,
    }
}

fn yaml_scalar(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => number(n),
        Json::String(s) => yaml_string(s),
        Json::Array(_) => "[]".into(),
        Json::Object(_) => "{}".into(),
    }
}

/// A string plain when YAML reads it back as the same string, else double-quoted.
fn yaml_string(s: &str) -> String {
    if plain_safe(s) {
        return s.to_string();
    }
    let mut quoted = String::new();
    json_string(&mut quoted, s);
    // YAML does not allow DEL, the C1 controls or a BOM raw, even quoted.
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{feff}' {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn plain_safe(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "<<",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() || "-?:,[]{}#&*!|>'\"%@`+.<=".contains(first) || first.is_whitespace()
    {
        return false;
    }
    if s.ends_with(|c: char| c.is_whitespace() || c == ':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(['\t', '\n', '\r']) {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}')
    {
        return false;
    }
    !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::canonical::order::S;
    use serde_json::json;

    #[test]
    fn json_is_written_as_go_writes_it() {
        let doc = json!({
            "services": {"web": {"image": "nginx", "command": null, "cpus": 0.5,
                "entrypoint": ["sh", "-c", "a && b <c>"], "networks": {"default": null},
                "environment": {"B": "$x", "A": "1"}, "ports": [{"target": 80, "mode": "ingress"}]}},
            "name": "demo",
            "networks": {"default": {"ipam": {}, "name": "demo_default"}},
        });
        let text = json(&doc);
        let want = r#"{
  "name": "demo",
  "networks": {
    "default": {
      "name": "demo_default",
      "ipam": {}
    }
  },
  "services": {
    "web": {
      "cpus": 0.5,
      "command": null,
      "entrypoint": [
        "sh",
        "-c",
        "a \u0026\u0026 b \u003cc\u003e"
      ],
      "environment": {
        "A": "1",
        "B": "$$x"
      },
      "image": "nginx",
      "networks": {
        "default": null
      },
      "ports": [
        {
          "mode": "ingress",
          "target": 80
        }
      ]
    }
  }
}"#;
        assert_eq!(text, want);
    }

    #[test]
    fn yaml_has_the_same_content() {
        let doc = json!({
            "name": "demo",
            "services": {"web": {"image": "nginx", "command": ["echo", "yes", "8080:80", ""],
                "environment": {"A": "1.5", "B": "line\nnext", "C": null, "D": "plain text"},
                "ports": [{"target": 80, "published": "8080"}], "labels": {}}},
        });
        let text = yaml(&doc);
        assert!(
            text.starts_with("name: demo\nservices:\n  web:\n"),
            "{text}"
        );
        assert!(
            text.contains("      - target: 80\n        published: \"8080\"\n"),
            "{text}"
        );
        let back: Json = serde_norway::from_str(&text).unwrap();
        assert_eq!(back, doc);
        assert_eq!(order::child(S::Service, "build"), Kind::One(S::Build));
    }

    #[test]
    fn empty_lists_in_top_level_extensions_are_null_in_json_only() {
        let doc = json!({"name": "a", "x-top": {"l": [], "m": {}, "n": [[], 1]}, "x-e": []});
        let text = json(&doc);
        let back: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(back["x-top"], json!({"l": null, "m": {}, "n": [null, 1]}));
        assert_eq!(back["x-e"], Json::Null);
        assert!(yaml(&doc).contains("x-e: []\n"), "{}", yaml(&doc));
        // Elsewhere an empty list stays a list.
        let services = json!({"services": {"a": {"command": []}}});
        assert!(json(&services).contains("\"command\": []"));
    }

    #[test]
    fn dollars_are_doubled() {
        assert_eq!(json(&json!({"name": "a$b"})), "{\n  \"name\": \"a$$b\"\n}");
        assert_eq!(yaml(&json!({"name": "a$b"})), "name: a$$b\n");
    }
}
