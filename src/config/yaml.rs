//! Compose files read the way Compose reads them (go-yaml v3), into serde_norway values:
//!
//! - `<<` merge keys are resolved at every depth, while the document is read: a mapping's own
//!   keys win, then the merged mappings in order (`<<: [*a, *b]`: `a` wins over `b`), each
//!   with its own `<<` already resolved. A quoted `"<<"` is an ordinary key.
//! - A plain (unquoted) scalar that go-yaml reads as a number is a number here too, where
//!   serde_norway (YAML 1.2) would read text: `0755` is 493, `20_000_000` is 20000000,
//!   `0X1F` is 31, `08` is 8.0, `1_000.5` is 1000.5, integers past 64 bits are floats.
//!
//! - A mapping key must be a string, as compose-go requires (`1: x`, `true: x` are refused).
//! - An unquoted date or time (`2024-01-01`), which go-yaml reads as a timestamp and Compose
//!   then refuses (`invalid jsonType time.Time`), is refused too, except under an `x-` key.
//!
//! Quoting is seen through serde_norway's borrowed strings: a plain scalar is handed over as
//! a slice of the source text, a quoted one as a slice that starts right after its quote; a
//! tagged one (`!!str 0755`) follows its tag.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

/// Every document of `text` (a file may hold several, separated by `---`), as go-yaml reads
/// them; an empty document is `Value::Null`.
pub fn documents(text: &str) -> Result<Vec<Value>, serde_norway::Error> {
    serde_norway::Deserializer::from_str(text)
        .map(|document| Seed::new(text).deserialize(document))
        .collect()
}

/// One document (the first), as [`documents`] reads it.
pub fn parse(text: &str) -> Result<Value, serde_norway::Error> {
    Seed::new(text).deserialize(serde_norway::Deserializer::from_str(text))
}

#[derive(Clone, Copy)]
struct Seed<'s> {
    source: &'s str,
    /// Inside an `x-` extension, which compose-go does not validate (a date is let be).
    extension: bool,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s> Seed<'s> {
    fn new(source: &'s str) -> Self {
        Seed {
            source,
            extension: false,
        }
    }

    /// Whether `text` is a plain scalar: a slice of the source not opened by a quote.
    fn is_plain(&self, text: &str) -> bool {
        matches!(self.written_as(text), Some(Written::Plain))
    }

    /// How the scalar `text` (a slice of the source) was written: plain, quoted, or after a
    /// tag (`!!str 0755`, `!!merge <<`); `None` when it is not a slice of the source.
    fn written_as(&self, text: &str) -> Option<Written<'_>> {
        let start = self.source.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        if at < start || at + text.len() > start + self.source.len() {
            return None;
        }
        let before = &self.source[..at - start];
        if before.ends_with(['"', '\'']) {
            return Some(Written::Quoted);
        }
        // A tagged scalar (`!!str 0755`, `!override 1`) is not resolved by go-yaml either.
        let token = before
            .trim_end_matches([' ', '\t'])
            .rsplit([' ', '\t', '\n', '\r', '[', '{', ','])
            .next()
            .unwrap_or("");
        Some(match token.starts_with('!') {
            true => Written::Tagged(token),
            false => Written::Plain,
        })
    }
}

/// How a scalar was written in the source.
enum Written<'s> {
    Plain,
    Quoted,
    /// After this tag, as written (`!!str`).
    Tagged(&'s str),
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    /// Past 64 bits go-yaml falls back to a float.
    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Value, E> {
        Ok(Value::Number((i as f64).into()))
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Value, E> {
        Ok(Value::Number((u as f64).into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Number(f.into()))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Value, E> {
        // The cheap checks first: most scalars are words, and `is_plain` looks back.
        if let Some(number) = plain_number(s)
            && self.is_plain(s)
        {
            return Ok(number);
        }
        if !self.extension && is_timestamp(s) && self.is_plain(s) {
            return Err(de::Error::custom(format!(
                "`{s}` is a date for YAML, which Compose refuses here (invalid jsonType \
                 time.Time); quote it"
            )));
        }
        Ok(Value::String(s.to_owned()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut own = Mapping::new();
        let mut merged = None;
        while let Some(key) = map.next_key_seed(MergeKey(self))? {
            match key {
                Key::Merge if merged.is_some() => {
                    return Err(de::Error::custom("mapping key `<<` is defined twice"));
                }
                Key::Merge => merged = Some(map.next_value_seed(self)?),
                Key::Plain(key) if !key.is_string() => {
                    // compose-go refuses any key that is not a string (`1:`, `true:`, `~:`).
                    return Err(de::Error::custom(format!(
                        "non-string key {}",
                        shown_key(&key)
                    )));
                }
                Key::Plain(key) => {
                    let extension =
                        self.extension || key.as_str().is_some_and(|k| k.starts_with("x-"));
                    let value = map.next_value_seed(Seed { extension, ..self })?;
                    if own.contains_key(&key) {
                        return Err(de::Error::custom(format!(
                            "mapping key {} is defined twice",
                            shown_key(&key)
                        )));
                    }
                    own.insert(key, value);
                }
            }
        }
        if let Some(merged) = merged {
            merge_into(&mut own, merged).map_err(de::Error::custom)?;
        }
        Ok(Value::Mapping(own))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess;
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            return Err(de::Error::custom("empty YAML tag is not allowed"));
        }
        let value = contents.newtype_variant_seed(self)?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

/// A mapping key: `<<` (plain) or any other value.
enum Key {
    Merge,
    Plain(Value),
}

struct MergeKey<'s>(Seed<'s>);

impl<'de> DeserializeSeed<'de> for MergeKey<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        let seed = self.0;
        let value = deserializer.deserialize_any(KeyVisitor(seed))?;
        Ok(value)
    }
}

struct KeyVisitor<'s>(Seed<'s>);

/// Keys are values like any other, except a plain `<<`.
macro_rules! forward_to_seed {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, v: $ty) -> Result<Key, E> {
            self.0.$method(v).map(Key::Plain)
        })*
    };
}

impl<'de> Visitor<'de> for KeyVisitor<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }

    forward_to_seed!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_i128(i128),
        visit_u128(u128),
        visit_f64(f64),
        visit_str(&str),
        visit_string(String)
    );

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key, E> {
        // `<<`, or `!!merge <<` (the merge tag written out, as some generators do).
        if s == "<<"
            && match self.0.written_as(s) {
                Some(Written::Plain) => true,
                Some(Written::Tagged(tag)) => {
                    matches!(tag, "!!merge" | "!<tag:yaml.org,2002:merge>")
                }
                _ => false,
            }
        {
            return Ok(Key::Merge);
        }
        if is_timestamp(s) && self.0.is_plain(s) {
            return Err(de::Error::custom(format!("non-string key `{s}` (a date)")));
        }
        self.0.visit_borrowed_str(s).map(Key::Plain)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key::Plain(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key::Plain(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        self.0.deserialize(deserializer).map(Key::Plain)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Key, A::Error> {
        self.0.visit_seq(seq).map(Key::Plain)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Key, A::Error> {
        self.0.visit_map(map).map(Key::Plain)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Key, A::Error> {
        self.0.visit_enum(data).map(Key::Plain)
    }
}

/// Add what a `<<` key brings to `own` (whose keys win): a mapping, or a list of mappings
/// of which the first to bring a key wins. Each was read with its own `<<` resolved.
fn merge_into(own: &mut Mapping, merged: Value) -> Result<(), String> {
    const WANT: &str = "map merge requires map or sequence of maps as the value";
    let sources = match merged {
        Value::Mapping(m) => vec![m],
        Value::Sequence(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Mapping(m) => Ok(m),
                _ => Err(WANT.to_string()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(WANT.into()),
    };
    for source in sources {
        for (key, value) in source {
            own.entry(key).or_insert(value);
        }
    }
    Ok(())
}

fn shown_key(key: &Value) -> String {
    match key {
        Value::String(s) => format!("`{s}`"),
        other => format!(
            "`{}`",
            serde_norway::to_string(other).unwrap_or_default().trim()
        ),
    }
}

/// What go-yaml v3 makes of a plain scalar that YAML 1.2 (serde_norway) reads as text: a
/// number, or `None` when it is text for go-yaml too. Only scalars starting with a digit or
/// a sign can be numbers there (`true`, `null`, `.inf` and the like read the same in both).
fn plain_number(text: &str) -> Option<Value> {
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    let plain = text.replace('_', "");
    if let Some(int) = go_parse_int(&plain) {
        return Some(int);
    }
    if is_yaml_float(&plain) {
        let float: f64 = plain.parse().ok()?;
        return float.is_finite().then(|| Value::Number(float.into()));
    }
    // go-yaml's own `0b`/`0o` readings, which also take a sign after the prefix.
    for (prefix, radix) in [("0b", 2), ("0o", 8), ("-0b", 2), ("-0o", 8)] {
        if let Some(digits) = plain.strip_prefix(prefix) {
            let negative = prefix.starts_with('-');
            let digits = if negative {
                format!("-{digits}")
            } else {
                digits.to_string()
            };
            if let Ok(i) = i64::from_str_radix(&digits, radix) {
                return Some(Value::Number(i.into()));
            }
            if !negative && let Ok(u) = u64::from_str_radix(&digits, radix) {
                return Some(Value::Number(u.into()));
            }
        }
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: an optional sign (only for
/// the signed reading), a `0x`/`0o`/`0b` prefix (either case) or a leading `0` for octal.
fn go_parse_int(s: &str) -> Option<Value> {
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => (Some(false), &s[1..]),
        b'-' => (Some(true), &s[1..]),
        _ => (None, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    match sign {
        Some(true) => {
            let value = i128::try_from(magnitude).ok().map(|m| -m)?;
            i64::try_from(value).ok().map(|i| Value::Number(i.into()))
        }
        Some(false) => i64::try_from(magnitude)
            .ok()
            .map(|i| Value::Number(i.into())),
        None => i64::try_from(magnitude)
            .map(|i| Value::Number(i.into()))
            .ok()
            .or_else(|| {
                u64::try_from(magnitude)
                    .ok()
                    .map(|u| Value::Number(u.into()))
            }),
    }
}

/// Whether go-yaml reads a plain scalar as a timestamp (which Compose then refuses): one of
/// its layouts `2006-1-2`, `2006-1-2 15:4:5.999999999` or `2006-1-2T15:4:5.999999999Z07:00`
/// (`t` too), with a valid date and time.
fn is_timestamp(s: &str) -> bool {
    let number = |part: &str, min: usize, max: usize| {
        (min..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(at) => (&s[..at], Some((&s[at..at + 1], &s[at + 1..]))),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts[..] else {
        return false;
    };
    if !(number(year, 4, 4) && number(month, 1, 2) && number(day, 1, 2)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (
        year.parse().unwrap_or(0),
        month.parse().unwrap_or(0),
        day.parse().unwrap_or(0),
    );
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !(1..=days).contains(&d) {
        return false;
    }
    let Some((separator, rest)) = time else {
        return true;
    };
    // The time, then a zone (`Z` or `+hh:mm`) after `T`, none after a space.
    let (clock, zone) = match rest.find(['Z', '+', '-']) {
        Some(at) => (&rest[..at], Some(&rest[at..])),
        None => (rest, None),
    };
    let zone_ok = match (separator, zone) {
        (" ", None) => true,
        (" ", Some(_)) | (_, None) => false,
        (_, Some("Z")) => true,
        (_, Some(z)) => {
            let (h, m) = z[1..].split_once(':').unwrap_or(("", ""));
            number(h, 2, 2) && number(m, 2, 2)
        }
    };
    let (clock, fraction) = match clock.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let [h, mi, se] = fields[..] else {
        return false;
    };
    let in_range =
        |part: &str, limit: u32| number(part, 1, 2) && part.parse::<u32>().is_ok_and(|v| v < limit);
    zone_ok
        && in_range(h, 24)
        && in_range(mi, 60)
        && in_range(se, 60)
        && fraction.is_none_or(|f| number(f, 1, 9))
}

/// go-yaml's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let mantissa_ok = if let Some(frac) = mantissa.strip_prefix('.') {
        !frac.is_empty() && digits(frac) == frac.len()
    } else {
        let int = digits(mantissa);
        let rest = &mantissa[int..];
        int > 0 && (rest.is_empty() || rest.strip_prefix('.').is_some_and(|f| digits(f) == f.len()))
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e) == e.len()
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(text: &str) -> Value {
        parse(&format!("v: {text}\n")).unwrap()["v"].clone()
    }

    #[test]
    fn plain_scalars_read_as_go_yaml_reads_them() {
        // Measured on Compose v2.40.3 (an environment value prints the number go-yaml read).
        for (text, expected) in [
            ("0755", Value::from(493)),
            ("-0755", Value::from(-493)),
            ("+0755", Value::from(493)),
            ("08", Value::from(8.0)),
            ("0009", Value::from(9.0)),
            ("20_000_000", Value::from(20_000_000)),
            ("1_000.5", Value::from(1000.5)),
            ("1_", Value::from(1)),
            ("0x1F", Value::from(31)),
            ("0X1F", Value::from(31)),
            ("0x_1F", Value::from(31)),
            ("0o17", Value::from(15)),
            ("0O17", Value::from(15)),
            ("0b101", Value::from(5)),
            ("0B101", Value::from(5)),
            ("+12", Value::from(12)),
            (".5", Value::from(0.5)),
            ("1.", Value::from(1.0)),
            ("1e3", Value::from(1000.0)),
            ("18446744073709551615", Value::from(u64::MAX)),
            (
                "123456789012345678901234",
                Value::from(1.2345678901234569e23),
            ),
            ("-9223372036854775809", Value::from(-9.223372036854776e18)),
        ] {
            assert_eq!(env(text), expected, "{text}");
        }
        for text in [
            "yes", "on", "off", "no", "1e400", "0x", "++5x", "1.2.3", "_1", "0o8",
        ] {
            assert_eq!(env(text), Value::from(text), "{text}");
        }
        assert_eq!(env("~"), Value::Null);
        assert_eq!(env(".inf"), Value::from(f64::INFINITY));
        assert_eq!(env("True"), Value::Bool(true));
    }

    #[test]
    fn quoted_scalars_stay_text() {
        for text in ["\"0755\"", "'0755'", "\"20_000_000\"", "'0X1F'", "\"1e3\""] {
            let inner = &text[1..text.len() - 1];
            assert_eq!(env(text), Value::from(inner), "{text}");
        }
        let doc = parse("a: [0755, '0755', \"08\"]\nb: {x: 0_7}\n").unwrap();
        assert_eq!(doc["a"][0], Value::from(493));
        assert_eq!(doc["a"][1], Value::from("0755"));
        assert_eq!(doc["a"][2], Value::from("08"));
        assert_eq!(doc["b"]["x"], Value::from(7));
        let flow = parse("a: [0755,'0755',!!str 0755,{k: 08}]\n").unwrap();
        assert_eq!(flow["a"][0], Value::from(493));
        assert_eq!(flow["a"][1], Value::from("0755"));
        assert_eq!(flow["a"][2], Value::from("0755"));
        assert_eq!(flow["a"][3]["k"], Value::from(8.0));
    }

    #[test]
    fn merge_keys_resolve_at_every_depth() {
        let doc = parse(
            "x-a: &a {one: a1, two: a2, env: {A: 1}}\n\
             x-b: &b {two: b2, three: b3, four: b4}\n\
             x-c: &c\n  <<: *a\n  three: c3\n\
             s:\n  <<: [*c, *b]\n  four: own\n  nested:\n    <<: *b\n    two: n2\n",
        )
        .unwrap();
        let s = &doc["s"];
        assert_eq!(s["one"], Value::from("a1"));
        // The first merged map wins over the next, and a merged map's own `<<` is resolved.
        assert_eq!(s["two"], Value::from("a2"));
        assert_eq!(s["three"], Value::from("c3"));
        // Explicit keys win.
        assert_eq!(s["four"], Value::from("own"));
        assert_eq!(s["env"]["A"], Value::from(1));
        assert_eq!(s["nested"]["two"], Value::from("n2"));
        assert_eq!(s["nested"]["three"], Value::from("b3"));
        assert!(s.as_mapping().unwrap().get("<<").is_none());
        assert!(doc["x-c"].as_mapping().unwrap().get("<<").is_none());
    }

    #[test]
    fn a_quoted_merge_key_is_an_ordinary_key_and_bad_merges_are_refused() {
        let doc = parse("a: {\"<<\": {x: 1}}\n").unwrap();
        assert_eq!(doc["a"]["<<"]["x"], Value::from(1));
        for bad in ["a: {<<: 1}\n", "a: {<<: [1]}\n", "a: {b: 1, b: 2}\n"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_explicitly_tagged_merge_key_merges() {
        let doc = parse("x-a: &a\n  one: 1\n  two: 2\ns:\n  !!merge <<: *a\n  two: own\n").unwrap();
        let s = &doc["s"];
        assert_eq!(s["one"], Value::from(1));
        assert_eq!(s["two"], Value::from("own"));
        assert!(s.as_mapping().unwrap().get("<<").is_none());
    }

    #[test]
    fn tagged_scalars_stay_text_and_keys_must_be_strings() {
        let doc = parse("a: !!str 0755\nb: [!!str 0755, 0755]\nc: !override 08\n").unwrap();
        assert_eq!(doc["a"], Value::from("0755"));
        assert_eq!(doc["b"][0], Value::from("0755"));
        assert_eq!(doc["b"][1], Value::from(493));
        let Value::Tagged(t) = &doc["c"] else {
            panic!("{doc:?}");
        };
        assert_eq!(t.value, Value::from("08"));
        for bad in [
            "a: {1: x}\n",
            "a: {0755: x}\n",
            "a: {true: x}\n",
            "a: {~: x}\n",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("non-string key"), "{bad}: {err}");
        }
        assert!(parse("a: {\"1\": x, '2': y}\n").is_ok());
    }

    #[test]
    fn unquoted_dates_are_refused_outside_extensions() {
        for date in [
            "2001-12-14",
            "2001-1-2",
            "2001-12-14 21:59:43.10",
            "2001-12-14T21:59:43Z",
        ] {
            let err = parse(&format!("labels: {{a: {date}}}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("is a date"), "{date}: {err}");
            // An extension is not validated by Compose, nor an anchor kept there.
            let doc = parse(&format!("x-a: {date}\nx-b: {{c: [{date}]}}\n")).unwrap();
            assert_eq!(doc["x-a"], Value::from(date));
        }
        for text in [
            "2001-13-01",
            "2001-02-30",
            "2001-12-14T21:59:43",
            "20011-12-14",
            "2001-12",
        ] {
            assert_eq!(env(text), Value::from(text), "{text}");
        }
        assert!(env("'2001-12-14'").is_string());
        assert!(parse("a: {2001-12-14: x}\n").is_err());
    }

    #[test]
    fn tags_and_documents_are_kept() {
        let docs = documents("a: !reset []\n---\nb: !override {x: 0755}\n").unwrap();
        assert_eq!(docs.len(), 2);
        let Value::Tagged(t) = &docs[0]["a"] else {
            panic!("{:?}", docs[0]);
        };
        assert_eq!(t.tag, "reset");
        let Value::Tagged(t) = &docs[1]["b"] else {
            panic!("{:?}", docs[1]);
        };
        assert_eq!(t.value["x"], Value::from(493));
    }
}
