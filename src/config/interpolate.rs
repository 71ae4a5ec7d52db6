//! Docker Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` for a literal `$`.
//!
//! Follows the Compose specification (12-interpolation.md) and mirrors compose-go's `template`
//! package, the implementation behind `docker compose`, including its corner cases:
//! - names are `[A-Za-z_][A-Za-z0-9_]*`; `$VARabc` names `VARabc`;
//! - a `$` that does not start `$$`, `$NAME` or `${` (e.g. at the end, or in `$1`, `$-`, `$}`)
//!   is kept literally, while a malformed `${...}` is an error;
//! - the argument of an operator runs to the `}` that balances the opening `${` (braces inside
//!   it are counted, there is no escape for `}`), must end on the same line, and is itself a
//!   template; it is only evaluated when it is used;
//! - unset variables without an operator become the empty string (the caller decides about
//!   warnings).
//!
//! Deliberate differences: the message of `${VAR:?msg}` is reported exactly as written and not
//! interpolated, so that an error can never carry a variable's value (it is still evaluated, so
//! an error inside it is reported just as compose would); names are ASCII only (compose-go's
//! case-insensitive regex also takes `ſ` and the Kelvin sign); operator arguments may nest at
//! most 64 levels deep.

/// Deepest nesting of operator arguments (`${A:-${B:-...}}`) accepted, to bound recursion.
const MAX_DEPTH: usize = 64;

/// Where a variable's value comes from; None = unset. (Set-but-empty is Some(""), and matters for `:-` vs `-`.)
pub trait Lookup {
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Why a template could not be interpolated. Never contains a variable's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR unset (or empty for `:?`). `message` is `msg` as written.
    #[error("required variable {name} is missing a value{}", colon_prefixed(.message))]
    Required { name: String, message: String },
    /// Malformed: unterminated `${`, empty name, invalid name or operator, e.g. `${}`, `${VAR`,
    /// `${1abc}`, `${VAR/x}`. `template` is the full input string.
    #[error("invalid interpolation format for {template:?}: {reason}")]
    Invalid { template: String, reason: String },
}

fn colon_prefixed(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// One variable reference found by [`references`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    /// Written as `${NAME:?msg}` or `${NAME?msg}`.
    pub required: bool,
    /// Written with a default or an alternative (`:-`, `-`, `:+`, `+`), so an unset value is
    /// expected and substitutes something deliberate.
    pub has_default: bool,
}

/// Substitute every variable in `input`.
pub fn interpolate(input: &str, vars: &dyn Lookup) -> Result<String, InterpolationError> {
    expand(input, vars, 0).map_err(|failure| failure.into_error(input))
}

/// Names of all variables that `input` refers to, one entry per occurrence in textual order
/// (an outer variable comes before those inside its argument). Looks nothing up. The arguments
/// of every operator (defaults, `:+` alternatives and `:?` messages) are scanned too, so `Ok`
/// here means [`interpolate`] can never return [`InterpolationError::Invalid`] for `input`.
pub fn references(input: &str) -> Result<Vec<VarRef>, InterpolationError> {
    let mut found = Vec::new();
    collect(input, 0, &mut found).map_err(|failure| failure.into_error(input))?;
    Ok(found)
}

/// An error before the full template is known.
enum Failure {
    Required { name: String, message: String },
    Invalid(String),
}

impl Failure {
    fn into_error(self, template: &str) -> InterpolationError {
        match self {
            Failure::Required { name, message } => InterpolationError::Required { name, message },
            Failure::Invalid(reason) => InterpolationError::Invalid {
                template: template.to_owned(),
                reason,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `:-`
    DefaultIfUnsetOrEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:?`
    RequireNonEmpty,
    /// `?`
    RequireSet,
    /// `:+`
    AltIfNonEmpty,
    /// `+`
    AltIfSet,
}

enum Token<'a> {
    /// Copied as is (may be a lone `$`).
    Text(&'a str),
    /// `$$`
    Dollar,
    /// `$NAME`, `${NAME}` or `${NAME<op><arg>}`.
    Var {
        name: &'a str,
        op: Option<(Op, &'a str)>,
    },
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn too_deep() -> Failure {
    Failure::Invalid(format!(
        "variables nested more than {MAX_DEPTH} levels deep"
    ))
}

fn expand(src: &str, vars: &dyn Lookup, depth: usize) -> Result<String, Failure> {
    let mut out = String::with_capacity(src.len());
    for token in Scanner::new(src) {
        match token.map_err(Failure::Invalid)? {
            Token::Text(text) => out.push_str(text),
            Token::Dollar => out.push('$'),
            Token::Var { name, op: None } => {
                out.push_str(&vars.lookup(name).unwrap_or_default());
            }
            Token::Var {
                name,
                op: Some((op, arg)),
            } => {
                if depth >= MAX_DEPTH {
                    return Err(too_deep());
                }
                let value = vars.lookup(name);
                let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
                let use_value = match op {
                    Op::DefaultIfUnsetOrEmpty | Op::RequireNonEmpty => non_empty,
                    Op::DefaultIfUnset | Op::RequireSet => value.is_some(),
                    Op::AltIfNonEmpty => {
                        if non_empty {
                            out.push_str(&expand(arg, vars, depth + 1)?);
                        }
                        continue;
                    }
                    Op::AltIfSet => {
                        if value.is_some() {
                            out.push_str(&expand(arg, vars, depth + 1)?);
                        }
                        continue;
                    }
                };
                if use_value {
                    out.push_str(&value.unwrap_or_default());
                } else if matches!(op, Op::RequireNonEmpty | Op::RequireSet) {
                    // compose interpolates the message (and reports errors from doing so); the
                    // result is dropped so that no value can end up in the error.
                    expand(arg, vars, depth + 1)?;
                    return Err(Failure::Required {
                        name: name.to_owned(),
                        message: arg.to_owned(),
                    });
                } else {
                    out.push_str(&expand(arg, vars, depth + 1)?);
                }
            }
        }
    }
    Ok(out)
}

fn collect(src: &str, depth: usize, found: &mut Vec<VarRef>) -> Result<(), Failure> {
    for token in Scanner::new(src) {
        if let Token::Var { name, op } = token.map_err(Failure::Invalid)? {
            found.push(VarRef {
                name: name.to_owned(),
                required: matches!(op, Some((Op::RequireNonEmpty | Op::RequireSet, _))),
                has_default: matches!(
                    op,
                    Some((
                        Op::DefaultIfUnsetOrEmpty
                            | Op::DefaultIfUnset
                            | Op::AltIfNonEmpty
                            | Op::AltIfSet,
                        _
                    ))
                ),
            });
            if let Some((_, arg)) = op {
                if depth >= MAX_DEPTH {
                    return Err(too_deep());
                }
                collect(arg, depth + 1, found)?;
            }
        }
    }
    Ok(())
}

/// Splits a template into tokens, left to right; stops after the first error.
struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    failed: bool,
    /// `(end of line, last '}' on it)` for the line of the latest operator argument.
    line: Option<(usize, Option<usize>)>,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner {
            src,
            pos: 0,
            failed: false,
            line: None,
        }
    }

    /// The token starting at the `$` at `start`.
    fn dollar(&mut self, start: usize) -> Result<Token<'a>, String> {
        let bytes = self.src.as_bytes();
        match bytes.get(start + 1).copied() {
            Some(b'$') => {
                self.pos = start + 2;
                Ok(Token::Dollar)
            }
            Some(b'{') => self.braced(start),
            Some(c) if is_name_start(c) => {
                let end = name_end(bytes, start + 1);
                self.pos = end;
                Ok(Token::Var {
                    name: &self.src[start + 1..end],
                    op: None,
                })
            }
            // Not a substitution: compose leaves such a `$` alone.
            _ => {
                self.pos = start + 1;
                Ok(Token::Text(&self.src[start..start + 1]))
            }
        }
    }

    /// The token starting at the `${` at `start`.
    fn braced(&mut self, start: usize) -> Result<Token<'a>, String> {
        let bytes = self.src.as_bytes();
        let name_start = start + 2;
        match bytes.get(name_start).copied() {
            None => return Err("unterminated \"${\"".to_owned()),
            Some(b'}') => return Err("empty variable name in \"${}\"".to_owned()),
            Some(c) if !is_name_start(c) => {
                return Err("\"${\" must be followed by a variable name \
                            ([A-Za-z_][A-Za-z0-9_]*); write $$ for a literal $"
                    .to_owned());
            }
            Some(_) => {}
        }
        let name_end = name_end(bytes, name_start);
        let name = &self.src[name_start..name_end];
        let (op, arg_start) = match (bytes.get(name_end), bytes.get(name_end + 1)) {
            (Some(b'}'), _) => {
                self.pos = name_end + 1;
                return Ok(Token::Var { name, op: None });
            }
            (Some(b':'), Some(b'-')) => (Op::DefaultIfUnsetOrEmpty, name_end + 2),
            (Some(b':'), Some(b'?')) => (Op::RequireNonEmpty, name_end + 2),
            (Some(b':'), Some(b'+')) => (Op::AltIfNonEmpty, name_end + 2),
            (Some(b'-'), _) => (Op::DefaultIfUnset, name_end + 1),
            (Some(b'?'), _) => (Op::RequireSet, name_end + 1),
            (Some(b'+'), _) => (Op::AltIfSet, name_end + 1),
            (None, _) | (Some(b':'), None) => {
                return Err(format!("unterminated \"${{{name}\": missing \"}}\""));
            }
            (Some(_), _) => {
                return Err(format!(
                    "unsupported syntax after variable name {name} \
                     (only }}, :-, -, :?, ?, :+ and + may follow it)"
                ));
            }
        };
        // Like compose-go's pattern `[-+?](.*)}`: the argument ends at a `}` on the same line
        // (`.` does not match a newline) ...
        let Some(last_close) = self.last_close_on_line(arg_start) else {
            return Err(format!(
                "missing \"}}\" for variable {name} (it must close on the same line)"
            ));
        };
        // ... and within that, at the `}` balancing the `${`, counted compose-go's way.
        let close = balancing_close(bytes, start, last_close).unwrap_or(last_close);
        self.pos = close + 1;
        Ok(Token::Var {
            name,
            op: Some((op, &self.src[arg_start..close])),
        })
    }

    /// The position of the last `}` in `src[from..]` before the next newline.
    fn last_close_on_line(&mut self, from: usize) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let last = match self.line {
            // Positions only grow, so a cached line that reaches `from` is still this line.
            Some((line_end, last)) if from <= line_end => last,
            _ => {
                let rest = bytes.get(from..).unwrap_or_default();
                let line_end = rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |i| from + i);
                let last = bytes
                    .get(from..line_end)
                    .unwrap_or_default()
                    .iter()
                    .rposition(|&b| b == b'}')
                    .map(|i| from + i);
                self.line = Some((line_end, last));
                last
            }
        };
        last.filter(|&p| p >= from)
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Result<Token<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        if self.failed || start >= self.src.len() {
            return None;
        }
        if self.src.as_bytes()[start] != b'$' {
            let end = self.src[start..]
                .find('$')
                .map_or(self.src.len(), |i| start + i);
            self.pos = end;
            return Some(Ok(Token::Text(&self.src[start..end])));
        }
        let token = self.dollar(start);
        self.failed = token.is_err();
        Some(token)
    }
}

fn name_end(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .position(|&b| !is_name_char(b))
        .map_or(bytes.len(), |i| from + i)
}

/// compose-go's `getFirstBraceClosingIndex` over `bytes[start..=end]`, a match that starts with
/// `${`: the `}` where the count of `{` minus `}` returns to zero. As in compose-go, the byte right
/// after each `{` is skipped (so `{}` inside the argument does not count).
fn balancing_close(bytes: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut open: isize = 0;
    let mut i = start;
    while i <= end {
        match bytes.get(i) {
            Some(b'}') => {
                open -= 1;
                if open == 0 {
                    return Some(i);
                }
            }
            Some(b'{') => {
                open += 1;
                i += 1;
            }
            Some(_) => {}
            None => return None,
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Test lookup: `A=alpha`, `B=beta`, `E=` (set but empty), `S=s3cr3t`, `JSON={"json":2}`;
    /// everything else unset.
    fn env(name: &str) -> Option<String> {
        let value = match name {
            "A" => "alpha",
            "B" => "beta",
            "E" => "",
            "S" => "s3cr3t",
            "JSON" => r#"{"json":2}"#,
            "lower" => "low",
            "_x1" => "underscore",
            "VARabc" => "long",
            "VAR" => "short",
            _ => return None,
        };
        Some(value.to_owned())
    }

    fn unset(_: &str) -> Option<String> {
        None
    }

    fn ok(input: &str) -> String {
        match interpolate(input, &env) {
            Ok(out) => out,
            Err(e) => panic!("{input:?}: unexpected error {e}"),
        }
    }

    fn err(input: &str) -> InterpolationError {
        match interpolate(input, &env) {
            Ok(out) => panic!("{input:?}: expected an error, got {out:?}"),
            Err(e) => e,
        }
    }

    fn required(name: &str, message: &str) -> InterpolationError {
        InterpolationError::Required {
            name: name.to_owned(),
            message: message.to_owned(),
        }
    }

    fn assert_invalid(input: &str) -> String {
        match err(input) {
            InterpolationError::Invalid { template, reason } => {
                assert_eq!(template, input, "template must be the full input");
                assert!(!reason.is_empty());
                reason
            }
            other => panic!("{input:?}: expected Invalid, got {other:?}"),
        }
    }

    fn r(name: &str, required: bool, has_default: bool) -> VarRef {
        VarRef {
            name: name.to_owned(),
            required,
            has_default,
        }
    }

    /// Tiny deterministic PRNG (xorshift64) for property-style tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(ok("$A"), "alpha");
        assert_eq!(ok("${A}"), "alpha");
        assert_eq!(ok("x $A y ${B} z"), "x alpha y beta z");
        assert_eq!(ok("${lower}/$_x1"), "low/underscore");
    }

    #[test]
    fn name_extends_as_far_as_possible() {
        assert_eq!(ok("$VARabc"), "long");
        assert_eq!(ok("${VAR}abc"), "shortabc");
        assert_eq!(ok("$VAR.abc"), "short.abc");
        assert_eq!(ok("$A1"), "", "A1 is its own (unset) variable");
        // docker/compose#8601: `-` ends a plain name.
        assert_eq!(ok("$A-bar"), "alpha-bar");
        assert_eq!(ok("$A:-x"), "alpha:-x", "operators need braces");
    }

    #[test]
    fn unset_and_empty_plain_references_become_empty() {
        assert_eq!(ok("This ${missing} var"), "This  var");
        assert_eq!(ok("This $missing var"), "This  var");
        assert_eq!(ok("This ${E} var"), "This  var");
    }

    #[test]
    fn default_if_unset_or_empty() {
        assert_eq!(ok("${U:-def}"), "def");
        assert_eq!(ok("${E:-def}"), "def");
        assert_eq!(ok("${A:-def}"), "alpha");
        assert_eq!(ok("${U:-}"), "");
    }

    #[test]
    fn default_if_unset() {
        assert_eq!(ok("${U-def}"), "def");
        assert_eq!(ok("${E-def}"), "");
        assert_eq!(ok("${A-def}"), "alpha");
    }

    #[test]
    fn required_non_empty() {
        assert_eq!(err("${U:?need U}"), required("U", "need U"));
        assert_eq!(err("${E:?need E}"), required("E", "need E"));
        assert_eq!(ok("${A:?need A}"), "alpha");
        assert_eq!(
            err("not ok ${U:?Mandatory Variable Unset}").to_string(),
            "required variable U is missing a value: Mandatory Variable Unset"
        );
    }

    #[test]
    fn required_set() {
        assert_eq!(err("${U?need U}"), required("U", "need U"));
        assert_eq!(ok("${E?need E}"), "");
        assert_eq!(ok("${A?need A}"), "alpha");
    }

    #[test]
    fn required_without_message() {
        for input in ["${U:?}", "${U?}", "${E:?}"] {
            let e = err(input);
            assert!(
                matches!(&e, InterpolationError::Required { message, .. } if message.is_empty())
            );
        }
        assert_eq!(
            err("${U:?}").to_string(),
            "required variable U is missing a value"
        );
    }

    #[test]
    fn alternative_if_non_empty() {
        assert_eq!(ok("ok ${A:+alt}"), "ok alt");
        assert_eq!(ok("ok ${E:+alt}"), "ok ");
        assert_eq!(ok("ok ${U:+alt}"), "ok ");
    }

    #[test]
    fn alternative_if_set() {
        assert_eq!(ok("ok ${A+alt}"), "ok alt");
        assert_eq!(ok("ok ${E+alt}"), "ok alt");
        assert_eq!(ok("ok ${U+alt}"), "ok ");
    }

    #[test]
    fn first_operator_after_the_name_wins() {
        assert_eq!(ok("${U-myerror?msg}"), "myerror?msg");
        assert_eq!(err("${U?bar-baz}"), required("U", "bar-baz"));
        assert_eq!(ok("ok ${E:-/non:-alphanumeric}"), "ok /non:-alphanumeric");
        assert_eq!(ok("${U--x}"), "-x");
        assert_eq!(ok("${U-:-x}"), ":-x");
        assert_eq!(ok("${A+:+x}"), ":+x");
        assert_eq!(ok("${A:+-}"), "-");
    }

    #[test]
    fn outer_text_does_not_affect_operators() {
        assert_eq!(ok("-ok ${E:-d}"), "-ok d");
        assert_eq!(ok(":-ok ${E-d}"), ":-ok ");
        assert_eq!(ok(":?ok ${E:-d}"), ":?ok d");
        assert_eq!(ok("+ok ${U:-${E-d}}"), "+ok ");
        assert_eq!(ok("?ok ${E:-d} :+"), "?ok d :+");
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(ok("$$"), "$");
        assert_eq!(ok("$$A"), "$A");
        assert_eq!(ok("$${A}"), "${A}");
        assert_eq!(ok("$$$A"), "$alpha");
        assert_eq!(ok("$$$$"), "$$");
        assert_eq!(ok("$$$"), "$$");
        assert_eq!(ok("cost: 5$$"), "cost: 5$");
        assert_eq!(ok("${U:-$$A}"), "$A");
        assert_eq!(ok("$${"), "${", "escaped, so not an unterminated ${{");
    }

    #[test]
    fn lone_dollar_stays_literal() {
        for input in [
            "$",
            "a $ string",
            "^REGEX$",
            "$}",
            "$1",
            "$-x",
            "$:",
            "100$",
            "$é",
            "$ ",
            "$\n",
            "$.A",
        ] {
            assert_eq!(ok(input), input);
        }
        assert_eq!(ok("$1$A"), "$1alpha");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(ok("${U:-${V:-x}}"), "x");
        assert_eq!(ok("${U:-${A:-x}}"), "alpha");
        assert_eq!(ok("${U:-prefix-${B}-suffix}"), "prefix-beta-suffix");
        assert_eq!(ok("${U:-prefix-${V}-suffix}"), "prefix--suffix");
        assert_eq!(ok("ok ${U-$A}"), "ok alpha");
        assert_eq!(ok("ok ${U-${A} ${B}}"), "ok alpha beta");
        assert_eq!(ok("ok ${E+$A ${A:+second}}"), "ok alpha second");
        assert_eq!(ok("${U:-${V:-${W:-${X:-deep}}}}"), "deep");
        assert_eq!(ok("${A:+${A},}B"), "alpha,B");
        assert_eq!(ok("${U:+${U},}B"), "B");
    }

    #[test]
    fn arguments_are_evaluated_lazily() {
        let seen = RefCell::new(Vec::new());
        let recording = |name: &str| {
            seen.borrow_mut().push(name.to_owned());
            env(name)
        };
        assert_eq!(interpolate("${A:-${B}}", &recording), Ok("alpha".into()));
        assert_eq!(*seen.borrow(), ["A"]);
        // A malformed default only fails when it is used, as in compose.
        assert_eq!(ok("${A:-${}}"), "alpha");
        assert_eq!(ok("${A?${}}"), "alpha");
        assert_invalid("${U:-${}}");
        assert_invalid("${U:?${}}");
    }

    #[test]
    fn required_message_is_evaluated_but_never_expanded() {
        // compose would say "... : Mandatory first"; the value must not leak into the error.
        assert_eq!(err("${U:?Mandatory ${A}}"), required("U", "Mandatory ${A}"));
        assert_eq!(err("${U:?$S}"), required("U", "$S"));
        // An error raised while evaluating the message wins, as in compose.
        assert_eq!(err("${U:?${V:?inner}}"), required("V", "inner"));
        assert_eq!(err("${U:?${A:?inner}}"), required("U", "${A:?inner}"));
    }

    #[test]
    fn braces_in_arguments_are_balanced() {
        assert_eq!(ok(r#"ok ${U:-{"json":1}}"#), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${U-{"json":1}}"#), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${JSON:-{"json":1}}"#), r#"ok {"json":2}"#);
        // The first balancing `}` ends the argument; the rest is plain text.
        assert_eq!(ok("${U:-a}b}"), "ab}");
        assert_eq!(ok("${A:-a}b}"), "alphab}");
        // There is no escape for `}`: a backslash is ordinary text.
        assert_eq!(ok(r"${U:-\}}"), r"\}");
        // Unbalanced `{` in the argument: it runs to the last `}` on the line.
        assert_eq!(ok("${U:-{}"), "{");
        assert_eq!(ok("${U:-a{b}c"), "a{bc");
        // compose-go quirk: the byte after each `{` is skipped when counting, so `{}` does not
        // close anything.
        assert_eq!(ok("${U:-{}}x}"), "{}}x");
        assert_eq!(ok("${U:-{{}}x}"), "{{}x}");
        assert_eq!(ok("${U:-{x}}y}"), "{x}y}");
    }

    #[test]
    fn operator_arguments_end_on_their_line() {
        assert_eq!(ok("${U:-x}\n${B}"), "x\nbeta");
        assert_eq!(ok("${U:-x}\n}"), "x\n}");
        assert_eq!(ok("${U:-a}b}\nc}"), "ab}\nc}");
        assert!(assert_invalid("${U:-x\n}").contains("same line"));
        assert_eq!(ok("${A}\n"), "alpha\n");
        assert_eq!(ok("${U:-\r}"), "\r");
    }

    #[test]
    fn multiple_substitutions() {
        assert_eq!(ok("${A:-x} and ${B:-y}"), "alpha and beta");
        assert_eq!(ok("${U:-x} and ${V:-y}"), "x and y");
        assert_eq!(
            ok("ok ${SUBDOMAIN:-redis}.${A:?}"),
            "ok redis.alpha",
            "from compose-go's tests"
        );
        assert_eq!(ok("$A$B${A}${B}"), "alphabetaalphabeta");
        assert_eq!(ok("${A}}"), "alpha}");
    }

    #[test]
    fn unicode_around_variables() {
        assert_eq!(ok("héllo ${A} wörld 🚀 $B☃"), "héllo alpha wörld 🚀 beta☃");
        assert_eq!(ok("${U:-日本語}"), "日本語");
        assert_eq!(ok("${U:-{é}}"), "{é}");
        assert_eq!(ok("€$A€"), "€alpha€");
    }

    #[test]
    fn values_are_not_reinterpolated() {
        let vars = |name: &str| (name == "V").then(|| "$A ${U:?x} $$".to_owned());
        assert_eq!(interpolate("<$V>", &vars), Ok("<$A ${U:?x} $$>".into()));
    }

    #[test]
    fn invalid_templates() {
        let cases = [
            ("${", "unterminated"),
            ("${}", "empty variable name"),
            ("${ }", "variable name"),
            ("${ foo}", "variable name"),
            ("${1abc}", "variable name"),
            ("${:-x}", "variable name"),
            ("${é}", "variable name"),
            ("${VAR", "unterminated"),
            ("${VAR:", "unterminated"),
            ("${foo }", "unsupported syntax"),
            ("${foo!}", "unsupported syntax"),
            ("${VAR/x}", "unsupported syntax"),
            ("${VAR:x}", "unsupported syntax"),
            ("${VAR::-x}", "unsupported syntax"),
            ("${VAR#x}", "unsupported syntax"),
            ("${VAR-x", "missing \"}\""),
            ("${VAR:-", "missing \"}\""),
            ("a ${A} b ${", "unterminated"),
            ("$A${", "unterminated"),
        ];
        for (input, reason) in cases {
            let got = assert_invalid(input);
            assert!(got.contains(reason), "{input:?}: reason {got:?}");
        }
        assert_eq!(
            err("x ${}").to_string(),
            r#"invalid interpolation format for "x ${}": empty variable name in "${}""#
        );
    }

    #[test]
    fn invalid_nested_template_reports_the_full_input() {
        match err("key: ${U:-${V:-${1}}}") {
            InterpolationError::Invalid { template, .. } => {
                assert_eq!(template, "key: ${U:-${V:-${1}}}");
            }
            other => panic!("{other:?}"),
        }
        // `${U:-${B}` has an unbalanced argument `${B`, which is invalid once used.
        assert_invalid("${U:-${B}");
        assert_eq!(ok("${A:-${B}"), "alpha");
    }

    #[test]
    fn first_error_wins() {
        assert_eq!(err("${U:?first} ${}"), required("U", "first"));
        assert_invalid("${} ${U:?second}");
        assert_eq!(err("${U:?one}${V:?two}"), required("U", "one"));
    }

    #[test]
    fn errors_never_contain_values() {
        let secret = "s3cr3t";
        let templates = [
            "${S} ${U:?missing $S}",
            "${S:-x} ${U?${S}}",
            "${U:?${S:+${S}}}",
            "${S}${U:?}",
            "$S ${",
            "${S:-${S}} ${VAR/x}",
            "${S:+$S} ${U:-${S} ${}}",
            "${U:?${S:?${S}}} $S",
        ];
        for template in templates {
            let e = err(template);
            assert!(!e.to_string().contains(secret), "{template:?}: {e}");
            assert!(!format!("{e:?}").contains(secret), "{template:?}: {e:?}");
        }
    }

    #[test]
    fn text_without_dollar_is_unchanged() {
        let alphabet = [
            'a', 'Z', '0', '_', ' ', '{', '}', ':', '-', '?', '+', '\\', '\n', '\t', 'é', '日',
            '🚀', '"', '\'', '\0',
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let len = (rng.next() % 40) as usize;
            let input: String = (0..len).map(|_| rng.pick(&alphabet)).collect();
            assert_eq!(interpolate(&input, &env).as_deref(), Ok(input.as_str()));
            assert_eq!(interpolate(&input, &unset).as_deref(), Ok(input.as_str()));
            assert_eq!(references(&input), Ok(vec![]));
        }
    }

    #[test]
    fn awkward_inputs_do_not_panic() {
        let inputs = [
            "",
            "$",
            "$$",
            "$$$",
            "${",
            "${$",
            "${}",
            "${:-}",
            "${A:-${B",
            "${A:?}",
            "${A",
            "${A:",
            "${A:-",
            "${A-}",
            "${A-}}",
            "}",
            "{",
            "${{}}",
            "${A:-}}}}",
            "$}{$",
            "${A:-{",
            "${A:-{}",
            "${A:-${B:-${C:-",
            "${A:-}${",
            "$\u{0}",
            "${\u{0}}",
            "${A\u{0}}",
            "${A:-\u{0}}",
            "é$",
            "${A:-é",
            "${A:-é}",
            "$é}",
            "${A}\n${",
            "${A:-\n",
            "\n${A:-x}\n",
            "${_}",
            "$_",
        ];
        for input in inputs {
            for vars in [&env as &dyn Lookup, &unset] {
                let _ = interpolate(input, vars);
            }
            let _ = references(input);
        }
        assert_eq!(interpolate("${A:?}", &unset), Err(required("A", "")));
        assert_eq!(ok("${A:-}}}}"), "alpha}}}");
    }

    #[test]
    fn exhaustive_short_inputs_are_consistent() {
        // Every string of up to 5 symbols from a small alphabet: no panics, and `references`
        // agrees with what `interpolate` may do.
        let alphabet = ["$", "{", "}", "A", "U", ":", "-", "?", "+", "1", "\n", "é"];
        let set_all = |_: &str| Some("v".to_owned());
        let empty_all = |_: &str| Some(String::new());
        let lookups: [&dyn Lookup; 3] = [&unset, &set_all, &empty_all];
        let mut inputs = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for prefix in &frontier {
                for symbol in alphabet {
                    next.push(format!("{prefix}{symbol}"));
                }
            }
            inputs.extend(next.iter().cloned());
            frontier = next;
        }
        for input in &inputs {
            let refs = references(input);
            for vars in lookups {
                match interpolate(input, vars) {
                    Err(InterpolationError::Invalid { template, .. }) => {
                        assert_eq!(&template, input);
                        assert!(refs.is_err(), "{input:?}: references missed an error");
                    }
                    Err(InterpolationError::Required { name, .. }) => {
                        let refs = refs.as_ref().expect("required implies valid here");
                        assert!(
                            refs.iter().any(|v| v.name == name && v.required),
                            "{input:?}"
                        );
                    }
                    Ok(out) => {
                        if !input.contains('$') {
                            assert_eq!(&out, input);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let nest = |levels: usize| format!("{}x{}", "${U:-".repeat(levels), "}".repeat(levels));
        assert_eq!(interpolate(&nest(MAX_DEPTH), &unset), Ok("x".into()));
        assert!(references(&nest(MAX_DEPTH)).is_ok());
        let too_deep = nest(MAX_DEPTH + 1);
        assert!(matches!(
            interpolate(&too_deep, &unset),
            Err(InterpolationError::Invalid { .. })
        ));
        assert!(references(&too_deep).is_err());
        // Huge inputs neither overflow the stack nor take long.
        let huge = nest(200_000);
        assert!(interpolate(&huge, &unset).is_err());
        assert!(references(&huge).is_err());
        let wide = "${U:-x}".repeat(50_000);
        assert_eq!(interpolate(&wide, &unset), Ok("x".repeat(50_000)));
    }

    #[test]
    fn lookup_is_implemented_for_closures_and_functions() {
        let owned = String::from("captured");
        let closure = move |name: &str| (name == "C").then(|| owned.clone());
        assert_eq!(interpolate("$C", &closure), Ok("captured".into()));
        assert_eq!(interpolate("$C", &unset), Ok(String::new()));
        assert_eq!(Lookup::lookup(&env, "A").as_deref(), Some("alpha"));
    }

    #[test]
    fn references_lists_every_occurrence_in_order() {
        assert_eq!(references("no vars, $$A, $1 $"), Ok(vec![]));
        assert_eq!(
            references("$A ${B} ${C:-d} ${D-d} ${E:?m} ${F?m} ${G:+a} ${H+a} $A"),
            Ok(vec![
                r("A", false, false),
                r("B", false, false),
                r("C", false, true),
                r("D", false, true),
                r("E", true, false),
                r("F", true, false),
                r("G", false, true),
                r("H", false, true),
                r("A", false, false),
            ])
        );
    }

    #[test]
    fn references_scans_nested_arguments() {
        assert_eq!(
            references("${A:-${B:-x}} ${C:-prefix-${D}-suffix}"),
            Ok(vec![
                r("A", false, true),
                r("B", false, true),
                r("C", false, true),
                r("D", false, false),
            ])
        );
        assert_eq!(
            references("${A:+$B} ${C:?${D:?m}}"),
            Ok(vec![
                r("A", false, true),
                r("B", false, false),
                r("C", true, false),
                r("D", true, false),
            ])
        );
        assert_eq!(
            references(r#"${A:-{"k":"$B"}}x${C}"#),
            Ok(vec![
                r("A", false, true),
                r("B", false, false),
                r("C", false, false)
            ])
        );
    }

    #[test]
    fn references_does_not_look_anything_up() {
        // `references` takes no lookup at all; unset names are reported like any other.
        assert_eq!(
            references("${NOT_SET_ANYWHERE:?x}"),
            Ok(vec![r("NOT_SET_ANYWHERE", true, false)])
        );
    }

    #[test]
    fn references_reports_invalid_templates_even_in_unused_arguments() {
        for input in [
            "${",
            "${}",
            "${1abc}",
            "${VAR/x}",
            "${A:-${}}",
            "${A:+${B}",
            "ok $A ${",
        ] {
            match references(input) {
                Err(InterpolationError::Invalid { template, .. }) => assert_eq!(template, input),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }
}
