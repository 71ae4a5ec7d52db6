//! Service `volumes` in the long form (the short `SRC:DST[:OPTS]` parsed as compose-go's
//! `format.ParseVolume`), bind sources made absolute, targets cleaned; and `devices`.

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::service::unique_by;
use super::{ConfigError, Cx, entries, generic, scalar};

impl Cx<'_> {
    pub(super) fn volumes(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        let Value::Sequence(items) = value else {
            return Err(self.invalid(at, "must be a list"));
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let mut volume = match item {
                Value::Mapping(_) => self.long_volume(item, &at)?,
                v => {
                    let spec =
                        scalar::text(v).ok_or_else(|| self.invalid(&at, "must be a volume"))?;
                    short_volume(&spec)
                        .map_err(|m| self.invalid(&at, format!("invalid spec: {spec}: {m}")))?
                }
            };
            let is_bind = volume.get("type").and_then(Json::as_str) == Some("bind");
            if is_bind {
                match volume.get("source").and_then(Json::as_str) {
                    Some(source) => {
                        let source = self.absolute_unix(source);
                        volume.insert("source".into(), Json::String(source));
                    }
                    None => {
                        return Err(self.invalid(
                            &at,
                            "invalid mount config for type \"bind\": field Source must not be empty",
                        ));
                    }
                }
            }
            if let Some(target) = volume.get("target").and_then(Json::as_str) {
                let target = scalar::clean_target(target);
                volume.insert("target".into(), Json::String(target));
            }
            out.push(volume);
        }
        let out = unique_by(out, |v| {
            v.get("target")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        });
        Ok(out.into_iter().map(Json::Object).collect())
    }

    /// compose-go's `maybeUnixPath`: `~` expanded, a relative path joined to the project
    /// directory and cleaned, an absolute (Unix or Windows) one kept as written.
    pub(super) fn absolute_unix(&self, path: &str) -> String {
        if path.is_empty() {
            return scalar::clean(&self.project.directory);
        }
        self.absolute(path)
    }

    fn long_volume(&self, value: &Value, at: &str) -> Result<Map<String, Json>, ConfigError> {
        let mut out = Map::new();
        for (k, v) in entries(value).unwrap_or_default() {
            if k.starts_with("x-") || v.is_null() {
                continue;
            }
            let json = match k.as_str() {
                "read_only" => match scalar::boolean(v) {
                    Some(true) => Json::Bool(true),
                    Some(false) => continue,
                    None => return Err(self.invalid(at, "read_only must be a boolean")),
                },
                "bind" => self.volume_options(v, at, &["create_host_path"], &[])?,
                "volume" => self.volume_options(v, at, &["nocopy"], &[])?,
                "tmpfs" => self.volume_options(v, at, &[], &["size"])?,
                "image" => self.volume_options(v, at, &[], &[])?,
                "type" | "source" | "target" | "consistency" => match scalar::text(v) {
                    Some(t) if t.is_empty() => continue,
                    Some(t) => Json::String(t),
                    None => return Err(self.invalid(at, format!("{k} must be a string"))),
                },
                _ => generic(v),
            };
            out.insert(k, json);
        }
        Ok(out)
    }

    /// `bind`, `volume`, `tmpfs` or `image` options: `flags` are booleans printed when true,
    /// `sizes` byte counts, `mode` an integer, `labels` a map, the rest strings.
    fn volume_options(
        &self,
        value: &Value,
        at: &str,
        flags: &[&str],
        sizes: &[&str],
    ) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        for (k, v) in entries(value).unwrap_or_default() {
            if k.starts_with("x-") || v.is_null() {
                continue;
            }
            let json = if flags.contains(&k.as_str()) {
                match scalar::boolean(v) {
                    Some(true) => Json::Bool(true),
                    Some(false) => continue,
                    None => return Err(self.invalid(at, format!("{k} must be a boolean"))),
                }
            } else if sizes.contains(&k.as_str()) {
                let text = scalar::bytes(v).map_err(|m| self.invalid(at, m))?;
                if text == "0" {
                    continue;
                }
                Json::String(text)
            } else if k == "mode" {
                match scalar::int(v) {
                    Some(0) => continue,
                    Some(n) => Json::from(n),
                    None => return Err(self.invalid(at, "mode must be a number")),
                }
            } else if k == "labels" {
                Json::Object(self.mapping(v, at, "=")?)
            } else {
                match scalar::text(v) {
                    Some(t) if t.is_empty() => continue,
                    Some(t) => Json::String(t),
                    None => generic(v),
                }
            };
            out.insert(k, json);
        }
        Ok(Json::Object(out))
    }

    /// `devices`: `SRC[:DST[:PERMISSIONS]]` (permissions `rwm` by default) or the long form.
    pub(super) fn devices(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        let Value::Sequence(items) = value else {
            return Err(self.invalid(at, "must be a list"));
        };
        let mut out: Vec<Map<String, Json>> = Vec::new();
        for item in items {
            let device = match item {
                Value::Mapping(_) => entries(item)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, v)| !k.starts_with("x-") && !v.is_null())
                    .map(|(k, v)| (k, Json::String(scalar::text_or_null(v).unwrap_or_default())))
                    .collect(),
                v => {
                    let text =
                        scalar::text(v).ok_or_else(|| self.invalid(at, "must be a device"))?;
                    let parts: Vec<&str> = text.split(':').collect();
                    if parts.len() > 3 {
                        return Err(self.invalid(
                            at,
                            format!("confusing device mapping, please use long syntax: {text}"),
                        ));
                    }
                    let source = parts[0];
                    let target = parts
                        .get(1)
                        .copied()
                        .filter(|t| !t.is_empty())
                        .unwrap_or(source);
                    let permissions = parts.get(2).copied().unwrap_or("rwm");
                    let mut m = Map::new();
                    m.insert("source".into(), Json::String(source.into()));
                    m.insert("target".into(), Json::String(target.into()));
                    m.insert("permissions".into(), Json::String(permissions.into()));
                    m
                }
            };
            out.push(device);
        }
        let out = unique_by(out, |d| {
            d.get("target")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        });
        Ok(out.into_iter().map(Json::Object).collect())
    }
}

/// A short volume as compose-go's `ParseVolume` reads it.
fn short_volume(spec: &str) -> Result<Map<String, Json>, String> {
    let mut volume = Map::new();
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut read_only = false;
    let mut nocopy = false;
    let mut bind = Map::new();
    if spec.chars().count() <= 2 {
        target = Some(spec.to_string());
    } else {
        let chars: Vec<char> = spec.chars().collect();
        let mut buffer = String::new();
        let mut depth = 0usize;
        for i in 0..=chars.len() {
            let c = chars.get(i).copied();
            match c {
                Some('$') if chars.get(i + 1) == Some(&'{') => {
                    depth += 1;
                    buffer.push('$');
                }
                Some('}') if depth > 0 => {
                    depth -= 1;
                    buffer.push('}');
                }
                Some(':')
                    if buffer.chars().count() == 1 && buffer.chars().all(char::is_alphabetic) =>
                {
                    buffer.push(':');
                }
                Some(':') | None if depth == 0 => {
                    let end = c.is_none();
                    if buffer.is_empty() {
                        return Err("empty section between colons".into());
                    }
                    if source.is_none() && end {
                        target = Some(std::mem::take(&mut buffer));
                    } else if source.is_none() {
                        source = Some(std::mem::take(&mut buffer));
                    } else if target.is_none() {
                        target = Some(std::mem::take(&mut buffer));
                    } else if !end {
                        return Err("too many colons".into());
                    } else {
                        for option in std::mem::take(&mut buffer).split(',') {
                            match option {
                                "ro" => read_only = true,
                                "rw" => read_only = false,
                                "nocopy" => nocopy = true,
                                "rprivate" | "private" | "rshared" | "shared" | "rslave"
                                | "slave" => {
                                    bind.insert("propagation".into(), Json::String(option.into()));
                                }
                                "z" | "Z" => {
                                    bind.insert("selinux".into(), Json::String(option.into()));
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Some(c) => buffer.push(c),
                None => buffer.clear(),
            }
        }
    }
    let source = source.unwrap_or_default();
    let is_path = source.starts_with(['.', '/', '~'])
        || source.starts_with("\\\\")
        || (source.chars().count() >= 2
            && source.chars().next().is_some_and(char::is_alphabetic)
            && source.chars().nth(1) == Some(':'));
    let kind = if is_path { "bind" } else { "volume" };
    volume.insert("type".into(), Json::String(kind.into()));
    if !source.is_empty() {
        volume.insert("source".into(), Json::String(source));
    }
    volume.insert("target".into(), Json::String(target.unwrap_or_default()));
    if read_only {
        volume.insert("read_only".into(), Json::Bool(true));
    }
    if is_path {
        bind.insert("create_host_path".into(), Json::Bool(true));
    }
    if !bind.is_empty() {
        volume.insert("bind".into(), Json::Object(bind));
    }
    if !is_path || nocopy {
        let mut options = Map::new();
        if nocopy {
            options.insert("nocopy".into(), Json::Bool(true));
        }
        volume.insert("volume".into(), Json::Object(options));
    }
    Ok(volume)
}

#[cfg(test)]
mod tests {
    use super::short_volume;

    fn short(spec: &str) -> String {
        serde_json::Value::Object(short_volume(spec).unwrap()).to_string()
    }

    #[test]
    fn short_volumes_become_long() {
        assert_eq!(
            short("data:/data"),
            r#"{"source":"data","target":"/data","type":"volume","volume":{}}"#
        );
        assert_eq!(
            short("./z:/z:z"),
            r#"{"bind":{"create_host_path":true,"selinux":"z"},"source":"./z","target":"/z","type":"bind"}"#
        );
        assert_eq!(
            short("/anon"),
            r#"{"target":"/anon","type":"volume","volume":{}}"#
        );
        assert_eq!(
            short("data:/nocopy:nocopy,ro"),
            r#"{"read_only":true,"source":"data","target":"/nocopy","type":"volume","volume":{"nocopy":true}}"#
        );
        assert_eq!(
            short("C:\\x:/x"),
            r#"{"bind":{"create_host_path":true},"source":"C:\\x","target":"/x","type":"bind"}"#
        );
        assert!(short_volume("aa::b").is_err());
        assert!(short_volume("aa:/b:ro:x").is_err());
    }
}
