//! Durations and sizes: one parser and one formatter each, used by flags and compose keys alike.
//!
//! - Durations: a bare number is seconds (`30`, `1.5`); otherwise humantime's units (`250ms`,
//!   `2m`, `1m30s`).
//! - Sizes: a number of bytes, or a number with a unit `k`, `m`, `g`, `t`, `p`, optionally
//!   followed by `b` or `ib`, in any case. Every unit is a power of 1024, as Docker reads
//!   `mem_limit: 512m` or `--memory 1.5GB`: `10m`, `10MB` and `10MiB` are all 10,485,760 bytes.
//! - Bytes print in binary units, like the docker CLI: `512B`, `1.5KiB`, `200MiB`, `1.2GiB`.

use std::time::Duration;

/// Parse "30", "30s", "1m30s", "250ms" into a duration. A bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. 30s, 2m, 1m30s"))
}

/// Parse a size in bytes (see the module's documentation for the units). Errors say what
/// was wrong; the caller adds the file and key or the flag.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write e.g. 512m, 10MB or 1GiB"))?;
    let unit = unit.trim_start();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b').filter(|u| !u.is_empty()))
        .unwrap_or(unit);
    let multiplier: f64 = match unit {
        "" | "b" => 1.0,
        "k" => 1024.0,
        "m" => 1024f64.powi(2),
        "g" => 1024f64.powi(3),
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => {
            return Err(format!(
                "`{text}`: unknown unit; use b, k, m, g, t or p (each a power of 1024)"
            ));
        }
    };
    let value = number * multiplier;
    if !value.is_finite() || value >= i64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(value as u64)
}

/// Bytes in binary units, like the docker CLI: `512B`, `1.5KiB`, `200MiB`, `1.2GiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n}B")
    } else if v >= 100.0 {
        format!("{v:.0}{}", UNITS[unit])
    } else {
        format!("{v:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_bare_seconds_and_units() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn sizes_are_powers_of_1024_in_every_spelling() {
        assert_eq!(parse_size("2048"), Ok(2048));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("1.5 GB"), Ok(3 << 29));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("7b"), Ok(7));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("9999999p").is_err());
    }

    #[test]
    fn bytes_print_like_the_docker_cli() {
        assert_eq!(format_bytes(512), "512B");
        assert_eq!(format_bytes(1536), "1.5KiB");
        assert_eq!(format_bytes(200 << 20), "200MiB");
        assert_eq!(format_bytes(5 << 30), "5.0GiB");
    }
}
