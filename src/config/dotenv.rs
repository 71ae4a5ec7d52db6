//! Env files (`.env`, `--env-file`, a service's `env_file:`) read exactly as Docker Compose v2
//! reads them: a port of compose-go's `dotenv` package (`dotenv/parser.go`, `godotenv.go`,
//! `env.go`), checked against compose-go v2.9.1 (the version inside Docker Compose v2.40) and
//! against `docker compose config` itself (the tests at the bottom are its answers).
//!
//! What compose accepts, and so what this accepts:
//! - a UTF-8 BOM at the very start is skipped; blank lines and lines whose first non-blank
//!   character is `#` are skipped; any Unicode whitespace (CR included) may surround statements;
//! - `KEY=value`, `KEY: value` (yaml-ish) and either after `export ` (`export` followed by a
//!   space, tab, CR, FF or newline); blanks around the `=` or `:` are ignored; the key ends at
//!   the first `=` or `:` (`A:B=c` sets `A` to `B=c`);
//! - key characters: letters, digits, `_ . - [ ]`, anything else is an error (so is
//!   `KEY # comment`: `#` only starts a comment at the start of a statement); a space inside a
//!   key is an error, while other blanks inside it (tab, NBSP, ...) are kept in the key, as
//!   compose does; a key may start with a digit;
//! - unquoted values run to the end of the line, are cut at the first ` #` (a space then `#`:
//!   `a#b` and `a\t#b` keep their `#`), and are trimmed; quotes inside them are ordinary
//!   characters (`a'b`), backslashes too, and backquotes are not quotes;
//! - `'single'` values are literal and may span lines; `\'` is a `'`, every other backslash
//!   stays;
//! - `"double"` values may span lines and understand `\"`, `\\`, `\n`, `\t`, `\r`, `\a`, `\b`,
//!   `\f`, `\v`, `\$` (a literal `$`) and octal `\0NNN`, with compose's quirks (`\012` gives
//!   `\12`, `\0` gives `\`, `\x41` stays as written);
//! - after a closing quote the line goes on as a new statement: `A="x" B=2` sets both, and
//!   `A="x" # c` is a comment;
//! - unquoted and double-quoted values are interpolated (`$VAR`, `${VAR:-default}`, `$$`, ...,
//!   see [`super::interpolate`]); single-quoted ones are not;
//! - a line holding only a key (`KEY` or `export KEY`) takes the variable from `lookup`, and
//!   sets nothing when `lookup` does not know it;
//! - duplicate keys are all returned, in file order; the last one wins.
//!
//! Precedence when a value is interpolated (compose-go `godotenv.go`, `expandVariables`: it
//! asks its `lookupFn` first and only then the map of keys parsed so far): `lookup` first,
//! then the keys set earlier in this file (the latest assignment), then, for
//! [`parse_with_fallback`], the `fallback`. So with `A` in the process environment,
//! `A=file` then `B=$A` gives `B` the environment's `A`. A key defined later in the file is
//! not visible (it interpolates as unset).
//!
//! Compose quirks kept on purpose, because compose accepts these files: a key alone on the
//! last line without a newline (`KEY` at the end of the file) is read as a value for the empty
//! key (compose's `"": "KEY"`), and so is `=value`; `export` alone, followed by blanks, at the
//! very end of the file is an error.
//!
//! Deliberate differences:
//! - errors never quote the line or the value (env files hold secrets): compose's
//!   `unexpected character "$" in variable name "A$B=2"` becomes `unexpected character '$' in
//!   the variable name (column 2)`, the message written in `${VAR:?message}` is not repeated,
//!   and an unterminated quoted value is reported on the line where it starts (compose reports
//!   the line where the file ends);
//! - the content is a `&str`: compose also takes invalid UTF-8, the caller decides what to do
//!   with it;
//! - non-ASCII key characters are classified with Rust's Unicode tables (`char::is_alphabetic`
//!   and `char::is_numeric`), which also accept the few `Other_Alphabetic` marks and symbols
//!   (e.g. `Ⓐ`, the Devanagari sign `ः`) that Go's `unicode.IsLetter`/`IsNumber` refuse;
//! - interpolation is phi's [`super::interpolate`], which follows current compose-go: an
//!   unused default (`${SET:-${}}`) is not evaluated, where compose-go v2.9.1 (Compose v2.40)
//!   still reports its error;
//! - compose logs a warning for every unset variable a value uses; this reports none.
//!
//! Linear in the size of the input: every byte is looked at a bounded number of times, keys set
//! so far are kept in a hash map, and nothing recurses (interpolation bounds its own nesting).

use std::collections::HashMap;

use super::interpolate::{InterpolationError, Lookup, interpolate};

/// One assignment: the key, its value, and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A line compose would refuse. `message` says what is wrong WITHOUT quoting the line or the value (env files hold secrets).
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DotenvError {
    pub line: usize,
    pub message: String,
}

/// Parse `content` as compose-go's dotenv does; `lookup` answers the variables that values
/// interpolate, *before* the keys set earlier in the file, as compose asks them (see the
/// module documentation), and is also used for a bare `KEY` line, as compose does.
///
/// Pass the process environment (for a service's `env_file:`, the project's environment, then
/// the service's `environment:`). To also see the keys of files read before this one, below
/// this file's own keys as compose has them, use [`parse_with_fallback`].
pub fn parse(
    content: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, DotenvError> {
    parse_with_fallback(content, lookup, &|_| None)
}

/// [`parse`], with `fallback` asked last, after the keys set earlier in this file: compose's
/// precedence when it reads several files into one map (`--env-file a --env-file b`, or a
/// service's `env_file: [a, b]`): `lookup` (the environment) first, then this file's earlier
/// keys, then `fallback` (the keys of the files before, the last one winning). A bare `KEY`
/// line asks `lookup` only: a key known only to `fallback` or to this file keeps its value.
pub fn parse_with_fallback(
    content: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    fallback: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, DotenvError> {
    let src = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut parser = Parser {
        src,
        pos: 0,
        line: 1,
        lookup,
        fallback,
        earlier: HashMap::new(),
        entries: Vec::new(),
        value_bytes: 0,
    };
    parser.run()?;
    Ok(parser.entries)
}

/// Go's `unicode.IsSpace` (Rust's `char::is_whitespace` is the same set).
fn is_unicode_space(c: char) -> bool {
    c.is_whitespace()
}

/// compose-go's `isSpace`: a blank that is not a newline.
fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Go regexp `\s` (ASCII `[\t\n\f\r ]`), which must follow `export` for it to be a prefix.
fn is_regex_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// What ends a key: `=`, `:` (yaml-ish), a newline (a bare key), or the end of the input.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyEnd {
    Value,
    Newline,
    Eof,
}

struct Parser<'a, 'l> {
    src: &'a str,
    /// Byte offset of the next unread character (always on a char boundary).
    pos: usize,
    /// 1-based line of `pos`.
    line: usize,
    lookup: &'l dyn Fn(&str) -> Option<String>,
    fallback: &'l dyn Fn(&str) -> Option<String>,
    /// Where in `entries` the latest assignment of every key set so far is, for interpolation.
    earlier: HashMap<&'a str, usize>,
    entries: Vec<Entry>,
    /// The bytes of the keys and values set so far (see [`MAX_VALUE_BYTES`]).
    value_bytes: usize,
}

/// The most bytes of keys and interpolated values one env file may set: as much as the file
/// itself may hold ([`crate::files::MAX_ENV_BYTES`]).
const MAX_VALUE_BYTES: usize = crate::files::MAX_ENV_BYTES as usize;

impl<'a> Parser<'a, '_> {
    fn error(line: usize, message: impl Into<String>) -> DotenvError {
        DotenvError {
            line,
            message: message.into(),
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    /// Move to `to` (a char boundary at or after `pos`), counting the newlines passed.
    fn advance_to(&mut self, to: usize) {
        let to = to.min(self.src.len());
        if let Some(passed) = self.src.as_bytes().get(self.pos..to) {
            self.line += passed.iter().filter(|&&b| b == b'\n').count();
        }
        self.pos = to.max(self.pos);
    }

    /// Skip characters while `keep` holds.
    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        let len = self
            .rest()
            .find(|c: char| !keep(c))
            .unwrap_or(self.rest().len());
        self.advance_to(self.pos + len);
    }

    fn run(&mut self) -> Result<(), DotenvError> {
        while self.statement_start() {
            self.statement()?;
        }
        Ok(())
    }

    /// compose-go `getStatementStart`: skip whitespace and comment lines; false at the end.
    fn statement_start(&mut self) -> bool {
        loop {
            self.skip_while(is_unicode_space);
            if self.pos >= self.src.len() {
                return false;
            }
            if !self.rest().starts_with('#') {
                return true;
            }
            let line_len = self.rest().find('\n').unwrap_or(self.rest().len());
            self.advance_to(self.pos + line_len);
        }
    }

    /// One statement: an assignment, or a bare key.
    fn statement(&mut self) -> Result<(), DotenvError> {
        let line = self.line;
        let rest = self.rest().as_bytes();
        if rest.starts_with(b"export") && rest.get(6).copied().is_some_and(is_regex_space) {
            self.advance_to(self.pos + 6);
            self.skip_while(is_blank);
            if self.pos >= self.src.len() {
                return Err(Self::error(
                    line,
                    "`export` is not followed by a variable name",
                ));
            }
        }
        let (key, end) = self.key(line)?;
        match end {
            KeyEnd::Newline => {
                if let Some(value) = (self.lookup)(key) {
                    self.set(key, value, line)?;
                }
                Ok(())
            }
            KeyEnd::Value | KeyEnd::Eof => {
                self.skip_while(is_blank);
                let value = self.value(line)?;
                self.set(key, value, line)
            }
        }
    }

    /// compose-go `locateKeyName`: the key (trimmed), and what ended it, which is consumed.
    /// At the end of the input without `=`/`:`, the key is empty and nothing is consumed: the
    /// text is then read as the value, as compose does.
    fn key(&mut self, line: usize) -> Result<(&'a str, KeyEnd), DotenvError> {
        let rest = self.rest();
        let mut found = None;
        for (i, c) in rest.char_indices() {
            match c {
                '=' | ':' => found = Some((i, KeyEnd::Value)),
                '\n' => found = Some((i, KeyEnd::Newline)),
                '_' | '.' | '-' | '[' | ']' => continue,
                c if is_blank(c) || c.is_alphanumeric() => continue,
                c => {
                    let message = unexpected_character(self.src, self.pos + i, c);
                    return Err(Self::error(line, message));
                }
            }
            break;
        }
        let Some((at, end)) = found else {
            return Ok(("", KeyEnd::Eof));
        };
        let key = rest[..at].trim_end_matches(is_unicode_space);
        if key.contains(' ') {
            return Err(Self::error(line, "key cannot contain a space"));
        }
        self.advance_to(self.pos + at + 1);
        Ok((key, end))
    }

    /// compose-go `extractVarValue`, from the first non-blank character after the key.
    fn value(&mut self, line: usize) -> Result<String, DotenvError> {
        match self.rest().as_bytes().first() {
            Some(&quote @ (b'"' | b'\'')) => self.quoted(quote, line),
            _ => {
                let rest = self.rest();
                let line_end = rest.find('\n');
                let raw = &rest[..line_end.unwrap_or(rest.len())];
                let raw = raw.find(" #").map_or(raw, |at| &raw[..at]);
                let raw = raw.trim_end_matches(is_unicode_space).to_owned();
                let next = line_end.map_or(self.src.len(), |at| self.pos + at + 1);
                self.advance_to(next);
                self.expand(&raw, line)
            }
        }
    }

    /// A quoted value starting at `pos`. Leaves `pos` right after the closing quote.
    fn quoted(&mut self, quote: u8, line: usize) -> Result<String, DotenvError> {
        let rest = self.rest().as_bytes();
        let mut chars: Vec<u8> = Vec::new();
        let mut escaped = false;
        let mut close = None;
        for (i, &b) in rest.iter().enumerate().skip(1) {
            if b == quote {
                if escaped {
                    // `\"` inside "..." (or `\'` inside '...') is the quote alone.
                    escaped = false;
                    chars.push(b);
                    continue;
                }
                close = Some(i);
                break;
            }
            if b == b'\\' && !escaped {
                escaped = true;
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(b'\\');
            }
            chars.push(b);
        }
        let Some(close) = close else {
            let kind = if quote == b'"' { "double" } else { "single" };
            return Err(Self::error(
                line,
                format!(
                    "unterminated {kind}-quoted value (no closing quote before the end of the file)"
                ),
            ));
        };
        self.advance_to(self.pos + close + 1);
        // Only ASCII bytes were dropped, so this is still UTF-8.
        let value = String::from_utf8(chars)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if quote == b'"' {
            self.expand(&expand_escapes(&value), line)
        } else {
            Ok(value)
        }
    }

    /// Interpolate `raw`: `lookup` first, then this file's earlier keys, then `fallback`.
    fn expand(&self, raw: &str, line: usize) -> Result<String, DotenvError> {
        if !raw.contains('$') {
            return Ok(raw.to_owned());
        }
        let vars = |name: &str| {
            (self.lookup)(name)
                .or_else(|| {
                    let at = *self.earlier.get(name)?;
                    self.entries.get(at).map(|entry| entry.value.clone())
                })
                .or_else(|| (self.fallback)(name))
        };
        interpolate(raw, &vars as &dyn Lookup).map_err(|e| {
            let message = match e {
                InterpolationError::Required { name, .. } => {
                    format!("required variable {name} is missing a value")
                }
                InterpolationError::Invalid { reason, .. } => {
                    format!("invalid interpolation in the value: {reason}")
                }
            };
            Self::error(line, message)
        })
    }

    fn set(&mut self, key: &'a str, value: String, line: usize) -> Result<(), DotenvError> {
        // Values that interpolate earlier ones can grow far beyond the file: 20,000 lines
        // `Vn="x ${Vn-1}"` set 1.4 GB from 1 MB. The values one file sets are bounded like
        // the file itself.
        self.value_bytes += key.len() + value.len();
        if self.value_bytes > MAX_VALUE_BYTES {
            return Err(Self::error(
                line,
                format!(
                    "the values set up to here come to more than {} MiB once interpolated",
                    MAX_VALUE_BYTES >> 20
                ),
            ));
        }
        self.earlier.insert(key, self.entries.len());
        self.entries.push(Entry {
            key: key.to_owned(),
            value,
            line,
        });
        Ok(())
    }
}

/// Describe the unexpected key character `c` at byte `at` of `src` without quoting the line:
/// printable ASCII punctuation is named, anything else only described; the column counts
/// characters from the start of the line.
fn unexpected_character(src: &str, at: usize, c: char) -> String {
    let before = src.get(..at).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    let what = if c.is_ascii_punctuation() {
        format!("character '{c}'")
    } else if c == '\u{feff}' {
        "byte order mark".to_owned()
    } else if c.is_control() {
        "control character".to_owned()
    } else {
        "character".to_owned()
    };
    format!("unexpected {what} in the variable name (column {column})")
}

/// compose-go `expandEscapes`: the escapes matched by `\\(?:[abcfnrtv$"\\]|0\d{0,3})`,
/// decoded like Go's `strconv.UnquoteChar`; `\$` becomes `$$` for the interpolation that
/// follows. Octal is `\0` and exactly three octal digits up to 255 (`\0101` is `A`); otherwise
/// compose keeps the escape without its `0` (`\012` is `\12`, `\0` is `\`).
fn expand_escapes(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // Everything before `copied` is in `out`.
    let mut copied = 0;
    while let Some(offset) = s.get(copied..).and_then(|tail| tail.find('\\')) {
        let at = copied + offset;
        let simple = match bytes.get(at + 1) {
            Some(b'a') => Some("\u{7}"),
            Some(b'b') => Some("\u{8}"),
            Some(b'f') => Some("\u{c}"),
            Some(b'n') => Some("\n"),
            Some(b'r') => Some("\r"),
            Some(b't') => Some("\t"),
            Some(b'v') => Some("\u{b}"),
            Some(b'"') => Some("\""),
            Some(b'\\') => Some("\\"),
            Some(b'$') => Some("$$"),
            _ => None,
        };
        out.push_str(&s[copied..at]);
        if let Some(replacement) = simple {
            out.push_str(replacement);
            copied = at + 2;
        } else if bytes.get(at + 1) == Some(&b'0') {
            let digits_start = at + 2;
            let digits = bytes
                .get(digits_start..)
                .unwrap_or_default()
                .iter()
                .take(3)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let digits = &s[digits_start..digits_start + digits];
            match octal(digits) {
                Some(c) => out.push(c),
                None => {
                    out.push('\\');
                    out.push_str(digits);
                }
            }
            copied = digits_start + digits.len();
        } else {
            // Not an escape compose knows: the backslash stays, scanning goes on after it.
            out.push('\\');
            copied = at + 1;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Exactly three octal digits with a value up to 255, as Go's `UnquoteChar` wants them.
fn octal(digits: &str) -> Option<char> {
    if digits.len() != 3 {
        return None;
    }
    let mut value = 0u32;
    for b in digits.bytes() {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value * 8 + u32::from(b - b'0');
    }
    if value > 255 {
        return None;
    }
    char::from_u32(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn env_lookup<'a>(env: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn unset(_: &str) -> Option<String> {
        None
    }

    fn last_wins(entries: &[Entry]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The file as a service's `env_file:` (no project `.env`): what `docker compose config`
    /// printed as the service's environment, with `env` as the process environment.
    fn assert_compose(content: &str, env: &[(&str, &str)], expected: &[(&str, &str)]) {
        let entries =
            parse(content, &env_lookup(env)).unwrap_or_else(|e| panic!("{content:?}: {e}"));
        assert_eq!(last_wins(&entries), map(expected), "{content:?}");
    }

    /// A file compose refuses: the error is on `line` and its message contains `contains`.
    fn assert_compose_error(content: &str, env: &[(&str, &str)], line: usize, contains: &str) {
        match parse(content, &env_lookup(env)) {
            Ok(entries) => panic!("{content:?}: compose refuses it, got {entries:?}"),
            Err(e) => {
                assert_eq!(e.line, line, "{content:?}: {e}");
                assert!(e.message.contains(contains), "{content:?}: {e}");
            }
        }
    }

    /// The file as the project's `.env`, seen through `${KEY-__UNSET__}` in compose.yaml: the
    /// process environment wins over the file (compose-go `Mapping.Merge` in `WithDotEnv`).
    fn assert_project(content: &str, env: &[(&str, &str)], expected: &[(&str, &str)]) {
        let parsed = last_wins(&parse(content, &env_lookup(env)).unwrap());
        for (key, want) in expected {
            let got = env_lookup(env)(key)
                .or_else(|| parsed.get(*key).cloned())
                .unwrap_or_else(|| "__UNSET__".to_owned());
            assert_eq!(got, *want, "{content:?}: {key}");
        }
    }

    // ---- Cases run through Docker Compose v2.40.3 (`config --format json`), one per project
    // under /tmp/dotenv-cases/<name>; each asserts what compose printed. ----

    #[test]
    fn compose_basic() {
        assert_compose("A=1\nB=two\n", &[], &[("A", "1"), ("B", "two")]);
    }

    #[test]
    fn compose_export_prefix() {
        assert_compose(
            "export A=1\nexport  B=2\nexport\tC=3\n",
            &[],
            &[("A", "1"), ("B", "2"), ("C", "3")],
        );
    }

    #[test]
    fn compose_export_glued() {
        assert_compose("exportA=1\n", &[], &[("exportA", "1")]);
    }

    #[test]
    fn compose_export_bare_line() {
        assert_compose("export\nA=1\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_export_at_eof_space() {
        // compose: zero length string
        assert_compose_error("A=1\nexport ", &[], 2, "`export` is not followed");
    }

    #[test]
    fn compose_export_at_eof() {
        assert_compose("A=1\nexport", &[], &[("", "export"), ("A", "1")]);
    }

    #[test]
    fn compose_export_bare_key() {
        assert_compose("export K\n", &[("K", "fromenv")], &[("K", "fromenv")]);
    }

    #[test]
    fn compose_colon_form() {
        assert_compose(
            "A: b\nB:c\nC : d\n",
            &[],
            &[("A", "b"), ("B", "c"), ("C", "d")],
        );
    }

    #[test]
    fn compose_colon_then_equals() {
        assert_compose("A:B=c\n", &[], &[("A", "B=c")]);
    }

    #[test]
    fn compose_unquoted_spaces() {
        assert_compose("A=a b  c\n", &[], &[("A", "a b  c")]);
    }

    #[test]
    fn compose_unquoted_trailing_ws() {
        assert_compose("A=a b \t \nB=x\t\n", &[], &[("A", "a b"), ("B", "x")]);
    }

    #[test]
    fn compose_unquoted_leading_ws() {
        assert_compose("A=   a\nB=\t b\n", &[], &[("A", "a"), ("B", "b")]);
    }

    #[test]
    fn compose_spaces_around_equals() {
        assert_compose("A = b\nB\t=\tc\n", &[], &[("A", "b"), ("B", "c")]);
    }

    #[test]
    fn compose_inline_comment() {
        assert_compose(
            "A=false  # comment\nB=x # y # z\n",
            &[],
            &[("A", "false"), ("B", "x")],
        );
    }

    #[test]
    fn compose_hash_without_space() {
        assert_compose("A=a#b\nB=#c\n", &[], &[("A", "a#b"), ("B", "#c")]);
    }

    #[test]
    fn compose_tab_before_hash() {
        assert_compose("A=a\t#b\n", &[], &[("A", "a\t#b")]);
    }

    #[test]
    fn compose_space_then_hash_only() {
        assert_compose("A= #c\nB=  # d\n", &[], &[("A", "#c"), ("B", "# d")]);
    }

    #[test]
    fn compose_quote_inside_unquoted() {
        assert_compose(
            "A=a'b\nB=a\"b\"\nC=it's\n",
            &[],
            &[("A", "a'b"), ("B", "a\"b\""), ("C", "it's")],
        );
    }

    #[test]
    fn compose_empty_values() {
        assert_compose(
            "A=\nB=\nC=''\nD=\"\"\n",
            &[],
            &[("A", ""), ("B", ""), ("C", ""), ("D", "")],
        );
    }

    #[test]
    fn compose_empty_at_eof() {
        assert_compose("A=", &[], &[("A", "")]);
    }

    #[test]
    fn compose_single_quoted_literal() {
        assert_compose(
            "A='$HOME ${X:-d} \\n x'\n",
            &[("X", "ex")],
            &[("A", "$HOME ${X:-d} \\n x")],
        );
    }

    #[test]
    fn compose_single_quoted_escaped_quote() {
        assert_compose(
            "A='a\\'b'\nB='a\\\\b'\n",
            &[],
            &[("A", "a'b"), ("B", "a\\\\b")],
        );
    }

    #[test]
    fn compose_single_quoted_multiline() {
        assert_compose(
            "A='line1\nline2'\nB=after\n",
            &[],
            &[("A", "line1\nline2"), ("B", "after")],
        );
    }

    #[test]
    fn compose_double_quoted_escapes() {
        assert_compose(
            "A=\"a\\nb\\tc\\\"d\\\\e\"\n",
            &[],
            &[("A", "a\nb\tc\"d\\e")],
        );
    }

    #[test]
    fn compose_double_quoted_dollar_escape() {
        assert_compose(
            "A=\"\\$X\"\nB=\"$$X\"\n",
            &[("X", "ex")],
            &[("A", "$X"), ("B", "$X")],
        );
    }

    #[test]
    fn compose_double_quoted_expansion() {
        assert_compose(
            "A=\"${X} $X ${U:-def}\"\n",
            &[("X", "ex")],
            &[("A", "ex ex def")],
        );
    }

    #[test]
    fn compose_double_quoted_multiline() {
        assert_compose(
            "A=\"l1\nl2\"\nB=after\n",
            &[],
            &[("A", "l1\nl2"), ("B", "after")],
        );
    }

    #[test]
    fn compose_double_quoted_other_escapes() {
        assert_compose(
            "A=\"\\x41\\u0041\\'\\q\"\n",
            &[],
            &[("A", "\\x41\\u0041\\'\\q")],
        );
    }

    #[test]
    fn compose_double_quoted_octal() {
        assert_compose(
            "A=\"\\0101\\012\\0\\08\\0377\\01234\"\n",
            &[],
            &[("A", "A\\12\\\\8ÿS4")],
        );
    }

    #[test]
    fn compose_double_quoted_bell_etc() {
        assert_compose(
            "A=\"\\a\\b\\f\\r\\v\"\n",
            &[],
            &[("A", "\u{7}\u{8}\u{c}\r\u{b}")],
        );
    }

    #[test]
    fn compose_backquoted() {
        assert_compose("A=`x y`\n", &[], &[("A", "`x y`")]);
    }

    #[test]
    fn compose_after_quote_comment() {
        assert_compose("A=\"x\" # c\nB='y'#c\n", &[], &[("A", "x"), ("B", "y")]);
    }

    #[test]
    fn compose_after_quote_assignment() {
        assert_compose("A=\"x\" B=2\n", &[], &[("A", "x"), ("B", "2")]);
    }

    #[test]
    fn compose_after_quote_glued() {
        assert_compose("A=\"x\"B=2\n", &[], &[("A", "x"), ("B", "2")]);
    }

    #[test]
    fn compose_after_quote_bare() {
        assert_compose(
            "A=\"x\" K\n",
            &[("K", "fromenv")],
            &[("A", "x"), ("K", "fromenv")],
        );
    }

    #[test]
    fn compose_unterminated_double() {
        // compose: line 4: unterminated quoted value "abc
        assert_compose_error("A=1\nB=\"abc\nC=2\n", &[], 2, "unterminated");
    }

    #[test]
    fn compose_unterminated_single() {
        // compose: line 2: unterminated quoted value 'abc
        assert_compose_error("A='abc\n", &[], 1, "unterminated");
    }

    #[test]
    fn compose_bare_key_set() {
        assert_compose(
            "K\nA=1\n",
            &[("K", "fromenv")],
            &[("A", "1"), ("K", "fromenv")],
        );
    }

    #[test]
    fn compose_bare_key_unset() {
        assert_compose("K\nA=1\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_bare_key_eof_set() {
        assert_compose("A=1\nK", &[("K", "fromenv")], &[("", "K"), ("A", "1")]);
    }

    #[test]
    fn compose_bare_key_eof_unset() {
        assert_compose("A=1\nK", &[], &[("", "K"), ("A", "1")]);
    }

    #[test]
    fn compose_bare_key_trailing_space() {
        assert_compose(
            "K   \nA=1\n",
            &[("K", "fromenv")],
            &[("A", "1"), ("K", "fromenv")],
        );
    }

    #[test]
    fn compose_bare_key_defined_earlier() {
        assert_compose("K=file\nK\n", &[], &[("K", "file")]);
    }

    #[test]
    fn compose_comments_blank_lines() {
        assert_compose(
            "# c1\n\n   # c2\n\t\nA=1\n  #c3\nB=2\n\n",
            &[],
            &[("A", "1"), ("B", "2")],
        );
    }

    #[test]
    fn compose_crlf() {
        assert_compose(
            "A=1\r\nB=a b\r\nC=\"q\"\r\nD='s'\r\n# c\r\nE\r\n",
            &[("E", "e")],
            &[("A", "1"), ("B", "a b"), ("C", "q"), ("D", "s"), ("E", "e")],
        );
    }

    #[test]
    fn compose_crlf_in_quotes() {
        assert_compose("A=\"x\r\ny\"\r\n", &[], &[("A", "x\r\ny")]);
    }

    #[test]
    fn compose_bom() {
        assert_compose("\u{feff}A=1\nB=2\n", &[], &[("A", "1"), ("B", "2")]);
    }

    #[test]
    fn compose_bom_second_line() {
        // compose: line 2: unexpected character "\ufeff" in variable name "\ufeffB=2"
        assert_compose_error("A=1\n\u{feff}B=2\n", &[], 2, "unexpected");
    }

    #[test]
    fn compose_key_punctuation() {
        assert_compose(
            "A-B=1\nA.B=2\nA[0]=3\n_x=4\n",
            &[],
            &[("A-B", "1"), ("A.B", "2"), ("A[0]", "3"), ("_x", "4")],
        );
    }

    #[test]
    fn compose_key_invalid_dollar() {
        // compose: line 2: unexpected character "$" in variable name "A$B=2"
        assert_compose_error("A=1\nA$B=2\n", &[], 2, "unexpected");
    }

    #[test]
    fn compose_key_invalid_slash() {
        // compose: line 1: unexpected character "/" in variable name "A/B=2"
        assert_compose_error("A/B=2\n", &[], 1, "unexpected");
    }

    #[test]
    fn compose_key_invalid_quote() {
        // compose: line 1: unexpected character "\"" in variable name "\"A\"=2"
        assert_compose_error("\"A\"=2\n", &[], 1, "unexpected");
    }

    #[test]
    fn compose_key_with_space() {
        // compose: line 1: key cannot contain a space
        assert_compose_error("A B=1\n", &[], 1, "key cannot contain a space");
    }

    #[test]
    fn compose_key_with_tab() {
        assert_compose("A\tB=1\n", &[], &[("A\tB", "1")]);
    }

    #[test]
    fn compose_key_leading_digit() {
        assert_compose("1A=x\n", &[], &[("1A", "x")]);
    }

    #[test]
    fn compose_key_unicode() {
        assert_compose("É=1\nnaïve=2\n", &[], &[("naïve", "2"), ("É", "1")]);
    }

    #[test]
    fn compose_empty_key() {
        assert_compose("=value\n", &[], &[("", "value")]);
    }

    #[test]
    fn compose_duplicates() {
        assert_compose(
            "A=1\nB=$A\nA=2\nC=$A\n",
            &[],
            &[("A", "2"), ("B", "1"), ("C", "2")],
        );
    }

    #[test]
    fn compose_expand_earlier() {
        assert_compose(
            "A=x\nB=${A}y\nC=$A-z\n",
            &[],
            &[("A", "x"), ("B", "xy"), ("C", "x-z")],
        );
    }

    #[test]
    fn compose_expand_env_precedence() {
        assert_compose(
            "A=file\nB=$A\n",
            &[("A", "env")],
            &[("A", "file"), ("B", "env")],
        );
    }

    #[test]
    fn compose_expand_forward_ref() {
        assert_compose("A=$B\nB=1\n", &[], &[("A", ""), ("B", "1")]);
    }

    #[test]
    fn compose_expand_defaults() {
        assert_compose(
            "A=${U:-def}\nB=${E-def}\nC=${E:-def}\nD=${X:+alt}\nF=${U+alt}\n",
            &[("E", ""), ("X", "x")],
            &[
                ("A", "def"),
                ("B", ""),
                ("C", "def"),
                ("D", "alt"),
                ("F", ""),
            ],
        );
    }

    #[test]
    fn compose_expand_required_error() {
        // compose: required variable U is missing a value: must be set
        assert_compose_error(
            "A=${U:?must be set}\n",
            &[],
            1,
            "required variable U is missing a value",
        );
    }

    #[test]
    fn compose_expand_dollar_dollar() {
        assert_compose(
            "A=$$X\nB=\\$X\n",
            &[("X", "ex")],
            &[("A", "$X"), ("B", "\\ex")],
        );
    }

    #[test]
    fn compose_expand_self_append() {
        assert_compose("P=$P:/x\n", &[("P", "/a")], &[("P", "/a:/x")]);
    }

    #[test]
    fn compose_expand_invalid_template() {
        // compose: Invalid template: "${"
        assert_compose_error("A=${\n", &[], 1, "invalid interpolation");
    }

    #[test]
    fn compose_expand_multiline_default() {
        // compose: Invalid template: "${U:-a\nb}"
        assert_compose_error("A=\"${U:-a\nb}\"\n", &[], 1, "invalid interpolation");
    }

    #[test]
    fn compose_expand_nested_default() {
        assert_compose("A=${U:-${V:-z}}\n", &[], &[("A", "z")]);
    }

    #[test]
    fn compose_value_with_equals() {
        assert_compose("A=b=c==\n", &[], &[("A", "b=c==")]);
    }

    #[test]
    fn compose_space_before_quote() {
        assert_compose("A=  \"q\"  \n", &[], &[("A", "q")]);
    }

    #[test]
    fn compose_empty_quote_then_text() {
        assert_compose(
            "A=\"\"x\nB=1\n",
            &[("x", "lower")],
            &[("A", ""), ("B", "1"), ("x", "lower")],
        );
    }

    #[test]
    fn compose_trailing_backslash() {
        assert_compose("A=a\\\nB=c\\d\n", &[], &[("A", "a\\"), ("B", "c\\d")]);
    }

    #[test]
    fn compose_double_quoted_backslash_squote() {
        assert_compose("A=\"a\\'b\"\n", &[], &[("A", "a\\'b")]);
    }

    #[test]
    fn compose_nbsp_leading() {
        assert_compose("A=\u{a0}b\n", &[], &[("A", "b")]);
    }

    #[test]
    fn compose_empty_file() {
        assert_compose("", &[], &[]);
    }

    #[test]
    fn compose_only_comments() {
        assert_compose("# a\n# b", &[], &[]);
    }

    #[test]
    fn compose_project_unquoted_spaces() {
        assert_project(
            "A=a b\nB=x  # c\nC=a'b\n",
            &[],
            &[("A", "a b"), ("B", "x"), ("C", "a'b")],
        );
    }

    #[test]
    fn compose_project_expansion_precedence() {
        assert_project(
            "A=file\nB=$A\nC=${A:-d}\n",
            &[("A", "env")],
            &[("A", "env"), ("B", "env"), ("C", "env")],
        );
    }

    #[test]
    fn compose_project_duplicates() {
        assert_project(
            "A=1\nB=$A\nA=2\nC=$A\n",
            &[],
            &[("A", "2"), ("B", "1"), ("C", "2")],
        );
    }

    #[test]
    fn compose_project_bare_key() {
        assert_project(
            "K\nL\n",
            &[("K", "fromenv")],
            &[("K", "fromenv"), ("L", "__UNSET__")],
        );
    }

    #[test]
    fn compose_project_empty_key() {
        assert_project("=v\nA=1\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_project_bare_eof() {
        assert_project(
            "A=1\nK",
            &[("K", "fromenv")],
            &[("A", "1"), ("K", "fromenv")],
        );
    }

    #[test]
    fn compose_export_then_comment() {
        // compose: line 1: unexpected character "#" in variable name "#c"
        assert_compose_error("export #c\n", &[], 1, "unexpected");
    }

    #[test]
    fn compose_after_quote_eof_text() {
        assert_compose("A=\"x\"y", &[], &[("", "y"), ("A", "x")]);
    }

    #[test]
    fn compose_after_quote_second_quoted() {
        // compose: line 1: unexpected character "\"" in variable name "\"b\""
        assert_compose_error("A=\"a\" \"b\"\n", &[], 1, "unexpected");
    }

    #[test]
    fn compose_unicode_space_indent() {
        assert_compose("\u{3000}A=1\u{3000}\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_key_trailing_vtab() {
        assert_compose("A\u{b}=1\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_value_space_hash_eol() {
        assert_compose("A=x #\nB=x#\n", &[], &[("A", "x"), ("B", "x#")]);
    }

    #[test]
    fn compose_colon_empty() {
        assert_compose("A:\nB=1\n", &[], &[("A", ""), ("B", "1")]);
    }

    #[test]
    fn compose_colon_leading() {
        assert_compose(":x\n", &[], &[("", "x")]);
    }

    #[test]
    fn compose_expand_env_empty_shadows() {
        assert_compose(
            "X=file\nA=${X:-d}\nB=$X\n",
            &[("X", "")],
            &[("A", "d"), ("B", ""), ("X", "file")],
        );
    }

    #[test]
    fn compose_single_quoted_backslash_dquote() {
        assert_compose(
            "A='a\\\"b'\nB=\"it's\"\n",
            &[],
            &[("A", "a\\\"b"), ("B", "it's")],
        );
    }

    #[test]
    fn compose_single_quoted_hash_lines() {
        assert_compose(
            "A='x\n# not a comment\ny'\n",
            &[],
            &[("A", "x\n# not a comment\ny")],
        );
    }

    #[test]
    fn compose_double_quoted_multiline_expansion() {
        assert_compose("A=\"1\n${X}\"\n", &[("X", "ex")], &[("A", "1\nex")]);
    }

    #[test]
    fn compose_cr_only() {
        assert_compose("A=1\rB=2\r", &[], &[("A", "1\rB=2")]);
    }

    #[test]
    fn compose_default_with_space_hash() {
        // compose: Invalid template: "${X:-a"
        assert_compose_error("A=${X:-a #b}\n", &[], 1, "invalid interpolation");
    }

    #[test]
    fn compose_default_with_space_hash_quoted() {
        assert_compose("A=\"${X:-a #b}\"\n", &[], &[("A", "a #b")]);
    }

    #[test]
    fn compose_unquoted_stray_quote_end() {
        assert_compose("A=x\"\n", &[], &[("A", "x\"")]);
    }

    #[test]
    fn compose_double_quoted_escaped_quote_at_end() {
        // compose: line 2: unterminated quoted value "x\"
        assert_compose_error("A=\"x\\\"\n", &[], 1, "unterminated");
    }

    #[test]
    fn compose_export_multiple() {
        assert_compose("export A=1 B=2\n", &[], &[("A", "1 B=2")]);
    }

    #[test]
    fn compose_bare_key_set_empty() {
        assert_compose("K\n", &[("K", "")], &[("K", "")]);
    }

    #[test]
    fn compose_bare_export_unset() {
        assert_compose("export K\nA=1\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_nul_in_value() {
        assert_compose("A=a\0b\n", &[], &[("A", "a\0b")]);
    }

    #[test]
    fn compose_unquoted_escapes_literal() {
        assert_compose("A=a\\nb\\tc\n", &[], &[("A", "a\\nb\\tc")]);
    }

    #[test]
    fn compose_double_quoted_octal_dollar() {
        assert_compose("A=\"\\0044{X}\"\n", &[("X", "ex")], &[("A", "ex")]);
    }

    #[test]
    fn compose_value_unicode_trailing_space() {
        assert_compose("A=b\u{3000}\n", &[], &[("A", "b")]);
    }

    #[test]
    fn compose_key_nbsp_inside() {
        assert_compose("A\u{a0}B=1\n", &[], &[("A\u{a0}B", "1")]);
    }

    #[test]
    fn compose_bare_key_with_space() {
        // compose: line 1: key cannot contain a space
        assert_compose_error("A B\n", &[], 1, "key cannot contain a space");
    }

    #[test]
    fn compose_lone_dollar() {
        assert_compose(
            "A=$\nB=a$1\nC=100$\n",
            &[],
            &[("A", "$"), ("B", "a$1"), ("C", "100$")],
        );
    }

    #[test]
    fn compose_expand_required_ok() {
        assert_compose("X=1\nA=${X:?bad}\n", &[], &[("A", "1"), ("X", "1")]);
    }

    #[test]
    fn compose_double_quoted_dollar_brace_escape() {
        assert_compose("A=\"\\${X}\"\n", &[("X", "ex")], &[("A", "${X}")]);
    }

    #[test]
    fn compose_key_colon_in_value_url() {
        assert_compose(
            "URL=http://h:1/p?q=1#frag\n",
            &[],
            &[("URL", "http://h:1/p?q=1#frag")],
        );
    }

    #[test]
    fn compose_lowercase_and_mixed_keys() {
        assert_compose("lower=1\nMiXed=2\n", &[], &[("MiXed", "2"), ("lower", "1")]);
    }

    #[test]
    fn compose_unicode_value() {
        assert_compose("A=héllo wörld 🚀\n", &[], &[("A", "héllo wörld 🚀")]);
    }

    #[test]
    fn compose_tab_indented_assignment() {
        assert_compose("\tA=1\n  B=2\n", &[], &[("A", "1"), ("B", "2")]);
    }

    #[test]
    fn compose_hash_key_line_after_spaces() {
        assert_compose("A=1 #c\n#B=2\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_multiple_blank_crlf() {
        assert_compose("\r\n\r\nA=1\r\n\r\n", &[], &[("A", "1")]);
    }

    #[test]
    fn compose_bare_key_with_comment() {
        // compose: line 1: unexpected character "#" in variable name "K # comment"
        assert_compose_error("K # comment\n", &[("K", "k")], 1, "unexpected");
    }

    #[test]
    fn compose_colon_then_equals_value() {
        assert_compose("A:=b\n", &[], &[("A", "=b")]);
    }

    #[test]
    fn compose_key_combining_mark() {
        // compose: line 1: unexpected character "\u0301" in variable name "e\u0301=1"
        assert_compose_error("e\u{301}=1\n", &[], 1, "unexpected");
    }

    #[test]
    fn compose_key_superscript_digit() {
        assert_compose("A²=1\n", &[], &[("A²", "1")]);
    }

    // ---- Several files read into one map, as compose does for `--env-file a --env-file b`
    // and `env_file: [a, b]` (checked with compose too). ----

    #[test]
    fn compose_multiple_files_this_file_before_earlier_files() {
        // a.env: X=a, Z=za; b.env: X=b, Y=$X, W=$Z. Compose: W=za X=b Y=b (and with X=os in
        // the environment: X=os Y=os).
        let a = parse("X=a\nZ=za\n", &unset).unwrap();
        let earlier = last_wins(&a);
        let fallback = |name: &str| earlier.get(name).cloned();
        let b = parse_with_fallback("X=b\nY=$X\nW=$Z\n", &unset, &fallback).unwrap();
        assert_eq!(last_wins(&b), map(&[("W", "za"), ("X", "b"), ("Y", "b")]));
        let os = env_lookup(&[("X", "os")]);
        let b = parse_with_fallback("X=b\nY=$X\nW=$Z\n", &os, &fallback).unwrap();
        assert_eq!(last_wins(&b), map(&[("W", "za"), ("X", "b"), ("Y", "os")]));
    }

    #[test]
    fn bare_key_asks_only_lookup() {
        let fallback = |name: &str| (name == "F").then(|| "fallback".to_owned());
        let entries = parse_with_fallback("F\nK\n", &env_lookup(&[("K", "k")]), &fallback).unwrap();
        assert_eq!(last_wins(&entries), map(&[("K", "k")]));
    }

    // ---- The documented differences from compose ----

    #[test]
    fn documented_differences() {
        // Compose v2.40 refuses both (`unexpected character "Ⓐ"`, `Invalid template: "${}"`).
        assert_compose("\u{24b6}=1\n", &[], &[("\u{24b6}", "1")]);
        assert_compose("S=1\nA=${S:-${}}\n", &[], &[("A", "1"), ("S", "1")]);
        // Compose reports line 3, where the file ends.
        assert_compose_error("A=\"x\n\n", &[], 1, "unterminated double-quoted value");
        // Compose repeats the message ("... is missing a value: hunter2").
        let e = parse("A=${U:?hunter2}\n", &unset).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: required variable U is missing a value"
        );
    }

    // ---- Entries, order and lines ----

    #[test]
    fn entries_keep_file_order_duplicates_and_start_lines() {
        let content = "# c\n\nA=1\nB=\"two\nlines\"\n  export C='x'\r\nA=3\nK\nD: 4 # c\n";
        let entries = parse(content, &env_lookup(&[("K", "k")])).unwrap();
        let got: Vec<(&str, &str, usize)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "1", 3),
                ("B", "two\nlines", 4),
                ("C", "x", 6),
                ("A", "3", 7),
                ("K", "k", 8),
                ("D", "4", 9),
            ]
        );
    }

    #[test]
    fn statements_after_a_closing_quote_are_on_its_line() {
        let entries = parse("A=\"x\ny\" B=2\nC=3", &unset).unwrap();
        let lines: Vec<(&str, usize)> = entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(lines, [("A", 1), ("B", 2), ("C", 3)]);
    }

    #[test]
    fn error_lines_count_multiline_values_and_bare_keys() {
        let e = parse("A='x\n\ny'\nK  \n  \nB C=1\n", &unset).unwrap_err();
        assert_eq!(e.line, 6);
        assert_eq!(e.to_string(), "line 6: key cannot contain a space");
        let e = parse("\r\n\r\nX=\"\nabc", &unset).unwrap_err();
        assert_eq!(
            e.line, 3,
            "an unterminated value is reported where it starts"
        );
    }

    #[test]
    fn expansion_sees_only_earlier_keys_and_the_latest_value() {
        let entries = parse("A=1\nB=${A}${C}\nA=2\nC=$A\nA=3\n", &unset).unwrap();
        assert_eq!(
            last_wins(&entries),
            map(&[("A", "3"), ("B", "1"), ("C", "2")])
        );
    }

    #[test]
    fn lookup_wins_over_the_files_own_keys() {
        let env = env_lookup(&[("A", "env")]);
        let entries = parse("A=file\nB=$A\nC=\"${A:+set}\"\nD='$A'\n", &env).unwrap();
        assert_eq!(
            last_wins(&entries),
            map(&[("A", "file"), ("B", "env"), ("C", "set"), ("D", "$A")])
        );
    }

    #[test]
    fn escapes_follow_go() {
        assert_eq!(
            expand_escapes(r#"\a\b\f\n\r\t\v\\\"\$"#),
            "\u{7}\u{8}\u{c}\n\r\t\u{b}\\\"$$"
        );
        assert_eq!(
            expand_escapes(r"\0101\0377\0400\0\01\012\08\01234"),
            "Aÿ\\400\\\\1\\12\\8S4"
        );
        assert_eq!(expand_escapes(r"\x41\u00e9\'\q\"), r"\x41\u00e9\'\q\");
        assert_eq!(expand_escapes(r"\\n"), r"\n");
        assert_eq!(expand_escapes("é\\né"), "é\né");
        assert_eq!(expand_escapes(""), "");
    }

    // ---- Secrets stay out of errors ----

    #[test]
    fn errors_never_quote_the_line_or_the_value() {
        let secret = "s3cr3t";
        let inputs = [
            "A=\"s3cr3t\n",
            "A='s3cr3t",
            "s3cr3t$=1\n",
            "s3cr3t s3cr3t=1\n",
            "s3cr3t s3cr3t\n",
            "\"s3cr3t\"=1\n",
            "A=s3cr3t${\n",
            "A=\"s3cr3t ${U:?s3cr3t}\"\n",
            "A=${U:?s3cr3t}\n",
            "A=${U:-s3cr3t #}\n",
            "A=${U:-${1s3cr3t}}\n",
            "A=\"s3cr3t\" \"s3cr3t\"\n",
            "export s3cr3t#\n",
        ];
        for input in inputs {
            let e = parse(input, &unset).expect_err(input);
            assert!(!e.to_string().contains(secret), "{input:?}: {e}");
            assert!(!format!("{e:?}").contains(secret), "{input:?}: {e:?}");
        }
        let e = parse("A=1\npa$$word=hunter2\n", &unset).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: unexpected character '$' in the variable name (column 3)"
        );
        let e = parse("\u{feff}A=1\n  export é/=1\n", &unset).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: unexpected character '/' in the variable name (column 11)"
        );
        let e = parse("A\u{1}=1", &unset).unwrap_err();
        assert_eq!(
            e.message,
            "unexpected control character in the variable name (column 2)"
        );
    }

    // ---- Size, time and robustness ----

    fn big_file(lines: usize) -> String {
        let mut content = String::new();
        for i in 0..lines {
            let line = match i % 8 {
                0 => format!("KEY_{i}=plain value {i} # comment\n"),
                1 => format!("export KEY_{i}=\"double ${{KEY_{}}} \\n {i}\"\n", i - 1),
                2 => format!("KEY_{i}='single $KEY_{i} {i}'\n"),
                3 => "# a comment line\n".to_owned(),
                4 => format!("KEY_{i}: ${{UNSET_{i}:-default}}\r\n"),
                5 => "\n".to_owned(),
                6 => format!("KEY_{i}=\"two\nlines\"\n"),
                _ => "HOME\n".to_owned(),
            };
            content.push_str(&line);
        }
        content
    }

    #[test]
    fn forty_thousand_lines_parse_quickly() {
        let content = big_file(40_000);
        let env = env_lookup(&[("HOME", "/root")]);
        let started = Instant::now();
        let entries = parse(&content, &env).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(entries.len(), 30_000);
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        assert_eq!(entries[1].value, format!("double plain value 0 \n 1"));
        assert_eq!(entries.last().map(|e| e.line), Some(45_000));
    }

    #[test]
    fn pathological_shapes_stay_linear() {
        let n = 200_000;
        let shapes = [
            "#\n".repeat(n),
            "\n".repeat(n),
            " ".repeat(n),
            format!("A={}\n", " #".repeat(n)),
            format!("A=\"{}\"\n", "\\\\\\\"\\0".repeat(n)),
            format!("A=\"{}", "x\n".repeat(n)),
            format!("A={}\n", "${U:-x}".repeat(n / 4)),
            // Interpolation gives up at 64 levels, after scanning the line once per level.
            format!("A={}x{}\n", "${U:-".repeat(n / 10), "}".repeat(n / 10)),
            format!("{}=1\n", "K".repeat(n)),
            "K\n".repeat(n),
            "A=\"\" \"".repeat(n),
            "export\n".repeat(n),
            "=\n".repeat(n),
        ];
        for shape in shapes {
            let started = Instant::now();
            let _ = parse(&shape, &unset);
            let elapsed = started.elapsed();
            let head: String = shape.chars().take(12).collect();
            assert!(
                elapsed < Duration::from_secs(2),
                "{head:?}...: took {elapsed:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("A={}x{}\n", "${U:-".repeat(10_000), "}".repeat(10_000));
        let e = parse(&deep, &unset).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("invalid interpolation"), "{e}");
    }

    /// xorshift64: deterministic pseudo-random numbers for the property tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_invariants(input: &str) {
        let lines = input.matches('\n').count() + 1;
        let env = |name: &str| (name.len() % 2 == 0).then(|| format!("<{name}>"));
        match parse(input, &env) {
            Ok(entries) => {
                for e in &entries {
                    assert!((1..=lines).contains(&e.line), "{input:?}: {e:?}");
                }
            }
            Err(e) => assert!((1..=lines).contains(&e.line), "{input:?}: {e}"),
        }
    }

    #[test]
    fn random_token_soup_never_panics() {
        let tokens = [
            "A", "b", "_", "1", "=", ":", " ", "\t", "\n", "\r\n", "\r", "#", " #", "\"", "'", "`",
            "\\", "$", "${", "}", "{", ":-", "?", "+", "export ", "export", "é", "🚀", "\u{feff}",
            "\u{a0}", "\u{3000}", "\u{85}", "\0", "[", ".", "-", "\\0", "\\n",
        ];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let input: String = (0..len).map(|_| tokens[rng.below(tokens.len())]).collect();
            check_invariants(&input);
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5_000 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            check_invariants(&String::from_utf8_lossy(&bytes));
            let ascii: String = bytes.iter().map(|b| char::from(b % 128)).collect();
            check_invariants(&ascii);
        }
    }

    #[test]
    fn values_that_grow_by_interpolation_are_bounded() {
        // Each value holds the one before: 1.4 GB from a 1 MB file without the bound.
        let mut text = String::from("V0=seed-value-that-is-long-enough\n");
        for i in 1..20_000 {
            text.push_str(&format!("V{i}=\"x ${{V{}}}\"\n", i - 1));
        }
        let started = std::time::Instant::now();
        let err = parse(&text, &|_| None).unwrap_err();
        assert!(err.message.contains("more than 32 MiB"), "{}", err.message);
        assert!(err.line > 1_000 && err.line < 20_000, "line {}", err.line);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // Ordinary files are far from it.
        assert!(parse("A=1\nB=\"${A} ${A}\"\n", &|_| None).is_ok());
    }
}
