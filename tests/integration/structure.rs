//! The architecture, held by a test: the rooms of `src/` and which rooms each may use (the
//! README's Design section has the same table), bollard only in `engine/`, clap only in the
//! command-line rooms, no subcommand using another, and no function over 150 lines.
//!
//! The sources are read as text with comments, strings and character literals blanked out,
//! so a word in a comment or a message never counts as a use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each room and the rooms it may use. `lib` (the crate root) may use every room.
const MAY_USE: &[(&str, &[&str])] = &[
    ("exit", &[]),
    ("units", &[]),
    ("files", &[]),
    ("redact", &[]),
    ("http", &[]),
    ("output", &["redact"]),
    ("config", &["exit", "files", "redact", "units"]),
    ("spec", &["config", "exit", "redact", "units"]),
    ("engine", &["spec", "exit", "files", "units"]),
    (
        "commands",
        &[
            "config", "spec", "engine", "output", "http", "exit", "files", "redact", "units",
        ],
    ),
    ("cli", &["units"]),
    (
        "settings",
        &[
            "cli", "commands", "config", "output", "exit", "redact", "units",
        ],
    ),
];

/// Files that may name clap: the command line, its resolution, the man page and completion
/// generator, and the crate root that parses argv.
const CLAP_FILES: &[&str] = &["cli.rs", "settings.rs", "commands/docs.rs", "lib.rs"];

/// `commands/docs.rs` generates the man pages and completions from the clap definition.
const COMMANDS_MAY_USE_CLI: &[&str] = &["commands/docs.rs"];

/// Shared parts of `commands/` that every subcommand may use.
const COMMANDS_SHARED: &[&str] = &["mod", "checks", "hooks", "lock"];

const MAX_FUNCTION_LINES: usize = 150;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as (path relative to `src/`, code without comments and
/// literals). Test-only files and modules are left out: they may reach anywhere.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "testing.rs" || rel.ends_with("/tests.rs") {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = blank(&text);
            let code = match code.find("#[cfg(test)]\nmod ") {
                Some(at) => code[..at].to_string(),
                None => code,
            };
            Some((rel, code))
        })
        .collect()
}

/// The code with comments, string, raw-string and character literals replaced by spaces
/// (newlines kept, so line numbers stay true).
fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_newlines = |s: &[char], out: &mut String| {
        for c in s {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| i + p);
            keep_newlines(&chars[i..end], &mut out);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let start = i;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            keep_newlines(&chars[start..i.min(chars.len())], &mut out);
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // r"..." or r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while j < chars.len() && !chars[j..].starts_with(&close) {
                j += 1;
            }
            let end = (j + close.len()).min(chars.len());
            keep_newlines(&chars[i..end], &mut out);
            i = end;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            keep_newlines(&chars[start..i], &mut out);
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or a lifetime ('a).
            let literal_end = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|c| *c == '\'')
                    .map(|p| i + 2 + p + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match literal_end {
                Some(end) => {
                    keep_newlines(&chars[i..end], &mut out);
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The room a file is in: its first folder, or its stem for a top-level file.
fn room(rel: &str) -> &str {
    match rel.split_once('/') {
        Some((dir, _)) => dir,
        None => rel.trim_end_matches(".rs"),
    }
}

/// The top-level names after `crate::` in a file's code: `use crate::{a, b::c}` gives a and
/// b; `crate::x::y` anywhere gives x.
fn crate_uses(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    let name = item.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() && name != "self" {
                        names.insert(name.to_string());
                    }
                    item.clear();
                    if depth == 0 {
                        break;
                    }
                } else if depth == 1 {
                    item.push(c);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn rooms_use_only_the_rooms_the_table_allows() {
    let table: BTreeMap<&str, BTreeSet<&str>> = MAY_USE
        .iter()
        .map(|(room, uses)| (*room, uses.iter().copied().collect()))
        .collect();
    let mut problems = Vec::new();
    for (rel, code) in sources() {
        let from = room(&rel);
        if from == "lib" || from == "main" {
            continue;
        }
        let Some(allowed) = table.get(from) else {
            problems.push(format!(
                "src/{rel}: room `{from}` is not in the table; add it to MAY_USE and the README"
            ));
            continue;
        };
        for to in crate_uses(&code) {
            let ok = to == from
                || allowed.contains(to.as_str())
                || (to == "cli" && COMMANDS_MAY_USE_CLI.contains(&rel.as_str()));
            if !ok {
                problems.push(format!("src/{rel}: `{from}` may not use `{to}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_subcommand_uses_another() {
    let mut problems = Vec::new();
    for (rel, code) in sources() {
        let Some(inside) = rel.strip_prefix("commands/") else {
            continue;
        };
        let own = inside.split('/').next().unwrap().trim_end_matches(".rs");
        let mut rest = code.as_str();
        while let Some(at) = rest.find("commands::") {
            rest = &rest[at + "commands::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let is_module = rest[name.len()..].starts_with("::")
                || rest[name.len()..].trim_start().starts_with([';', ',', '}']);
            let shared = COMMANDS_SHARED.contains(&name.as_str())
                || name.chars().next().is_some_and(|c| c.is_uppercase())
                || !is_module;
            if !shared && name != own {
                problems.push(format!("src/{rel}: `{own}` uses the subcommand `{name}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_the_engine_names_bollard_and_only_the_command_line_names_clap() {
    let mut problems = Vec::new();
    for (rel, code) in sources() {
        let names = |word: &str| {
            code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == word)
        };
        if names("bollard") && !rel.starts_with("engine/") {
            problems.push(format!("src/{rel} names bollard"));
        }
        if (names("clap") || names("clap_complete") || names("clap_mangen"))
            && !CLAP_FILES.contains(&rel.as_str())
        {
            problems.push(format!("src/{rel} names clap"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let mut problems = Vec::new();
    for (rel, code) in sources() {
        let lines: Vec<&str> = code.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(at) = words.iter().position(|w| *w == "fn") else {
                continue;
            };
            let name = words.get(at + 1).map_or("?", |w| {
                w.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("?")
            });
            let mut depth = 0i32;
            let mut opened = false;
            for (end, body) in lines.iter().enumerate().skip(start) {
                for c in body.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if !opened && body.trim_end().ends_with(';') {
                    break;
                }
                if opened && depth <= 0 {
                    let length = end - start + 1;
                    if length > MAX_FUNCTION_LINES {
                        problems.push(format!(
                            "src/{rel}:{}: fn {name} has {length} lines (at most {MAX_FUNCTION_LINES})",
                            start + 1
                        ));
                    }
                    break;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_blanks_comments_and_literals() {
    let code = blank(
        "use crate::a; // crate::b\nlet s = \"crate::c\"; let r = r#\"crate::d\"#;\nlet c = '{'; /* crate::e */ crate::f::g();\n",
    );
    let uses = crate_uses(&code);
    assert_eq!(
        uses,
        ["a", "f"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(code.lines().count(), 3);
    let grouped = crate_uses("use crate::{x::Y, z, self};\n");
    assert_eq!(
        grouped,
        ["x", "z"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
}
