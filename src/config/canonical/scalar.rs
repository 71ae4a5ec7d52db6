//! Scalars as compose-go reads and prints them: YAML values as Go's `fmt` writes them,
//! numbers, booleans, Go durations, byte counts, and paths made absolute.

use std::path::{Component, Path, PathBuf};

use serde_json::Value as Json;
use serde_norway::Value;

pub use crate::config::{go_float, scalar_text as text};

/// `text`, or for a mapping or sequence Go's `%v` of it (rare: a value Compose would refuse).
pub fn text_or_null(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        other => Some(text(other).unwrap_or_else(|| {
            serde_norway::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string()
        })),
    }
}

/// A whole number from a YAML number or a string holding one (interpolation gives strings).
pub fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Tagged(t) => int(&t.value),
        _ => None,
    }
}

/// A floating-point number from a YAML number or a string.
pub fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Tagged(t) => float(&t.value),
        _ => None,
    }
}

/// A JSON number for a float, written as Go writes a float32 (`0.5`, `2`).
pub fn json_float(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Json::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
}

/// A boolean from YAML, or from the strings compose-go's casts accept (`true`, `yes`, `on`...).
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "y" | "yes" | "on" => Some(true),
            "false" | "n" | "no" | "off" => Some(false),
            _ => None,
        },
        Value::Tagged(t) => boolean(&t.value),
        _ => None,
    }
}

/// A duration as str2duration reads it (Go's units plus `d` and `w`; a unit is required),
/// in nanoseconds.
pub fn parse_duration(text: &str) -> Result<i128, String> {
    let original = text;
    let mut s = text.trim();
    let negative = s.starts_with('-');
    s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(format!("time: invalid duration {original:?}"));
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        if num_end == 0 {
            return Err(format!("time: invalid duration {original:?}"));
        }
        let number: f64 = s[..num_end]
            .parse()
            .map_err(|_| format!("time: invalid duration {original:?}"))?;
        s = &s[num_end..];
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        s = &s[unit_end..];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            "w" => 7.0 * 86400e9,
            "" => return Err(format!("time: missing unit in duration {original:?}")),
            other => {
                return Err(format!(
                    "time: unknown unit {other:?} in duration {original:?}"
                ));
            }
        };
        total += number * scale;
    }
    let nanos = total.round() as i128;
    Ok(if negative { -nanos } else { nanos })
}

/// Go's `time.Duration.String()`: `1m0s`, `1h0m0s`, `1.5s`, `500ms`, `1.5µs`, `0s`.
pub fn go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let fraction = |value: u128, unit: u128| {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            return whole.to_string();
        }
        let width = unit.to_string().len() - 1;
        let frac = format!("{rest:0width$}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    };
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", fraction(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", fraction(n, 1_000_000));
    }
    let hours = n / 3_600_000_000_000;
    let rest = n % 3_600_000_000_000;
    let minutes = rest / 60_000_000_000;
    let seconds = rest % 60_000_000_000;
    let secs = fraction(seconds, 1_000_000_000);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{secs}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{secs}s")
    } else {
        format!("{sign}{secs}s")
    }
}

/// A duration value (YAML scalar) in Go's form, or the error compose-go gives.
pub fn duration(value: &Value) -> Result<String, String> {
    let text = text(value).ok_or("must be a duration")?;
    parse_duration(&text).map(go_duration)
}

/// A byte count as go-units `RAMInBytes` reads it (`512m`, `1.5g`, `100kb`; every unit a
/// power of 1024), or a plain number (which may be negative, `-1`), as a string.
pub fn bytes(value: &Value) -> Result<String, String> {
    if let Some(i) = int(value) {
        return Ok(i.to_string());
    }
    let text = text(value).ok_or("must be a byte size")?;
    let trimmed = text.trim();
    // RAMInBytes takes no sign: a negative size is refused, as there.
    crate::units::parse_size(trimmed)
        .map(|n| n.to_string())
        .map_err(|_| format!("invalid size: '{trimmed}'"))
}

/// `path` made absolute against `base` and cleaned, with `~` expanded to `home`, as
/// compose-go's `absPath` does; an absolute path is kept as written.
pub fn absolute(base: &Path, path: &str, home: Option<&str>) -> String {
    let expanded = expand_user(path, home);
    if expanded.starts_with('/') {
        // Written absolute: kept as it is. Made absolute by the loader (a path from an
        // `include`d or `extends`ed file): cleaned, as Compose joins it.
        if expanded.split('/').any(|part| part == "." || part == "..") {
            return clean(Path::new(&expanded));
        }
        return expanded;
    }
    if is_windows_abs(&expanded) {
        return expanded;
    }
    if expanded.is_empty() {
        return expanded;
    }
    clean(&base.join(&expanded))
}

/// `~` at the start of a path, replaced by `home` and cleaned (Go's `filepath.Join`).
pub fn expand_user(path: &str, home: Option<&str>) -> String {
    match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) => clean(&Path::new(home).join(rest.trim_start_matches('/'))),
        _ => path.to_string(),
    }
}

/// `C:\x`, `C:/x` or `\\server`: kept as written.
pub fn is_windows_abs(path: &str) -> bool {
    let b = path.as_bytes();
    path.starts_with("\\\\")
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'))
}

/// Go's `filepath.Clean`: `.` and `..` resolved lexically, repeated and trailing `/` removed.
pub fn clean(path: &Path) -> String {
    let mut out = PathBuf::new();
    let absolute = path.has_root();
    let mut depth = 0usize;
    for part in path.components() {
        match part {
            Component::RootDir | Component::Prefix(_) => out.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth > 0 {
                    out.pop();
                    depth -= 1;
                } else if !absolute {
                    out.push("..");
                }
            }
            Component::Normal(p) => {
                out.push(p);
                depth += 1;
            }
        }
    }
    let text = out.to_string_lossy().into_owned();
    if text.is_empty() { ".".into() } else { text }
}

/// Go's `path.Clean` for a container path (a mount target): like [`clean`], on text.
pub fn clean_target(path: &str) -> String {
    if path.is_empty() {
        return path.to_string();
    }
    clean(Path::new(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn scalars_are_written_as_go_writes_them() {
        for (input, want) in [
            ("1.0", "1"),
            ("0.1", "0.1"),
            ("1e3", "1000"),
            ("1.5e-7", "1.5e-07"),
            ("1e6", "1e+06"),
            ("1234567.0", "1.234567e+06"),
            ("123456789.5", "1.234567895e+08"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("12345678901234567890", "12345678901234567890"),
            ("0x1F", "31"),
            ("True", "true"),
            (".inf", "+Inf"),
            ("-5", "-5"),
            ("yes", "yes"),
        ] {
            assert_eq!(text(&yaml(input)).as_deref(), Some(want), "{input}");
        }
        assert_eq!(text(&Value::Null), None);
    }

    #[test]
    fn durations_are_read_with_units_and_written_as_go() {
        for (input, want) in [
            ("1m", "1m0s"),
            ("90s", "1m30s"),
            ("1h", "1h0m0s"),
            ("2d", "48h0m0s"),
            ("1w", "168h0m0s"),
            ("1500ms", "1.5s"),
            ("0.5s", "500ms"),
            ("1500us", "1.5ms"),
            ("100ns", "100ns"),
            ("0s", "0s"),
            ("1d2h3m4s5ms", "26h3m4.005s"),
            ("2h30m", "2h30m0s"),
            ("61m", "1h1m0s"),
        ] {
            assert_eq!(
                parse_duration(input).map(go_duration).as_deref(),
                Ok(want),
                "{input}"
            );
        }
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
        assert!(parse_duration("10x").is_err());
    }

    #[test]
    fn sizes_are_byte_counts() {
        for (input, want) in [
            ("512m", "536870912"),
            ("1.5g", "1610612736"),
            ("100kb", "102400"),
            ("1b", "1"),
            ("1073741824", "1073741824"),
            ("-1", "-1"),
            ("2gb", "2147483648"),
        ] {
            assert_eq!(bytes(&yaml(input)).as_deref(), Ok(want), "{input}");
        }
        assert!(bytes(&yaml("lots")).is_err());
    }

    #[test]
    fn paths_are_made_absolute_and_cleaned() {
        let base = Path::new("/p/proj");
        assert_eq!(absolute(base, "./src", None), "/p/proj/src");
        assert_eq!(absolute(base, "../up", None), "/p/up");
        assert_eq!(absolute(base, "/trailing/", None), "/trailing/");
        assert_eq!(absolute(base, "~/x", Some("/root")), "/root/x");
        assert_eq!(absolute(base, ".", None), "/p/proj");
        assert_eq!(clean_target("/trailing/"), "/trailing");
        assert_eq!(clean_target("/a/./b/../c"), "/a/c");
    }
}
