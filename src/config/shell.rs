//! `command:` and `entrypoint:` strings split into words as compose-go splits them: with
//! go-shellwords v1.0.12 (`shellwords.Parse`, no variable expansion, no backticks run).
//! The one splitter: `phi config` prints these words and `phi start-all` runs them.
//!
//! Its quirks are kept, because they are what Compose prints and runs:
//! - the first unquoted `;`, `&`, `|`, `<` or `>` ends the command, and the rest is
//!   thrown away without an error (`echo a && echo b` is `["echo", "a"]`); before `>`,
//!   a word that starts with a digit is dropped too (`2>&1`);
//! - a backslash escapes the next character everywhere but inside single quotes, also
//!   inside double quotes (`"a\nb"` is `anb`); a trailing one is an error;
//! - `$(...)` and backticks are kept as text; a `(` not after `$` is an error, and a `)`
//!   outside `$(` opens a region that must be closed again;
//! - only space, tab, CR and LF separate words.

/// Split `line` into words; an error for unbalanced quotes and the other refusals above.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut double, mut single, mut back, mut dollar) =
        (false, false, false, false, false);
    // Whether `buf` holds a word (a quoted empty word counts).
    let mut got = false;
    for r in line.chars() {
        if escaped {
            buf.push(r);
            escaped = false;
            got = true;
            continue;
        }
        if r == '\\' {
            if single {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if single || double || back || dollar {
                buf.push(r);
            } else if got {
                args.push(std::mem::take(&mut buf));
                got = false;
            }
            continue;
        }
        match r {
            '`' if !single && !double && !dollar => back = !back,
            ')' if !single && !double && !back => dollar = !dollar,
            '(' if !single && !double && !back => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err("invalid command line string".into());
            }
            '"' if !single && !dollar => {
                if double {
                    got = true;
                }
                double = !double;
                continue;
            }
            '\'' if !double && !dollar => {
                if single {
                    got = true;
                }
                single = !single;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(single || double || back || dollar) => {
                if r == '>' && buf.starts_with(|c: char| c.is_ascii_digit()) {
                    got = false;
                }
                break;
            }
            _ => {}
        }
        got = true;
        buf.push(r);
    }
    if got {
        args.push(buf);
    }
    if escaped || single || double || back || dollar {
        return Err("invalid command line string".into());
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::split;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap()
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            words(r#"echo "hello world" $HOME 'single q'"#),
            ["echo", "hello world", "$HOME", "single q"]
        );
        assert_eq!(
            words(r#"sh -c "echo $FOO && ls""#),
            ["sh", "-c", "echo $FOO && ls"]
        );
        assert_eq!(words("echo ''"), ["echo", ""]);
        assert_eq!(words("   spaced    out   "), ["spaced", "out"]);
        assert_eq!(words(r#"a\ b "c\"d" 'e\f'"#), ["a b", "c\"d", "e\\f"]);
        assert_eq!(words("first\nsecond"), ["first", "second"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn the_rest_after_an_operator_is_dropped() {
        assert_eq!(words("echo a && echo b"), ["echo", "a"]);
        assert_eq!(words("echo a | wc -c"), ["echo", "a"]);
        assert_eq!(words("echo a > /tmp/x"), ["echo", "a"]);
        assert_eq!(words("sleep 1 & echo b"), ["sleep", "1"]);
        assert_eq!(words("run 2>&1"), ["run"]);
        assert_eq!(
            words("echo `date` $(pwd) a;b a|b"),
            ["echo", "`date`", "$(pwd)", "a"]
        );
        assert_eq!(words(r#"echo "a | b""#), ["echo", "a | b"]);
    }

    #[test]
    fn unbalanced_input_is_refused() {
        for line in [r#"echo "open"#, "echo 'open", "echo \\", "echo (a)", "a) b"] {
            assert!(split(line).is_err(), "{line}");
        }
    }
}
