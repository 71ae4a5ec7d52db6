//! `ports` in the long form: the short syntax `[[ip:]host:]container[/proto]` parsed as
//! docker/go-connections' `nat.ParsePortSpec` parses it (ranges expanded one object per
//! port, ordered by `"<port>/<proto>"` as text), `mode` and `protocol` defaulted, duplicates
//! removed as compose-go removes them.

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::service::unique_by;
use super::{ConfigError, Cx, entries, generic, scalar};

impl Cx<'_> {
    pub(super) fn ports(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        let Value::Sequence(items) = value else {
            return Err(self.invalid(at, "must be a list"));
        };
        let mut ports: Vec<Map<String, Json>> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{at}[{i}]");
            match item {
                Value::Mapping(_) => ports.push(self.long_port(item, &at)?),
                v => {
                    let spec =
                        scalar::text(v).ok_or_else(|| self.invalid(&at, "must be a port"))?;
                    ports.extend(parse_spec(&spec).map_err(|m| self.invalid(&at, m))?);
                }
            }
        }
        let ports = unique_by(ports, |p| {
            let text = |k: &str| match p.get(k) {
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "<nil>".into(),
            };
            let host = p
                .get("host_ip")
                .map_or("0.0.0.0".to_string(), |_| text("host_ip"));
            format!(
                "{host}:{}:{}/{}",
                text("published"),
                text("target"),
                text("protocol")
            )
        });
        Ok(ports.into_iter().map(Json::Object).collect())
    }

    fn long_port(&self, value: &Value, at: &str) -> Result<Map<String, Json>, ConfigError> {
        let mut out = Map::new();
        for (k, v) in entries(value).unwrap_or_default() {
            if k.starts_with("x-") || v.is_null() {
                continue;
            }
            let json = match k.as_str() {
                "target" => Json::from(
                    scalar::int(v)
                        .ok_or_else(|| self.invalid(at, "target must be a port number"))?,
                ),
                "published" | "host_ip" | "name" | "mode" | "app_protocol" => {
                    let text = scalar::text(v)
                        .ok_or_else(|| self.invalid(at, format!("{k} must be a string")))?;
                    if text.is_empty() {
                        continue;
                    }
                    Json::String(text)
                }
                // As written: Compose lowercases the protocol of the short syntax only.
                "protocol" => Json::String(scalar::text(v).unwrap_or_default()),
                _ => generic(v),
            };
            out.insert(k, json);
        }
        out.entry("mode")
            .or_insert_with(|| Json::String("ingress".into()));
        out.entry("protocol")
            .or_insert_with(|| Json::String("tcp".into()));
        Ok(out)
    }
}

/// One short port entry as `nat.ParsePortSpec` reads it, expanded.
fn parse_spec(raw: &str) -> Result<Vec<Map<String, Json>>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (ip, host, container) = match parts.len() {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        n => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (container, proto) = match container.split_once('/') {
        Some((port, proto)) => (port, if proto.is_empty() { "tcp" } else { proto }),
        None => (container, "tcp"),
    };
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut ip = ip;
    if ip.starts_with('[') {
        ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .ok_or_else(|| format!("invalid IP address {ip}"))?
            .to_string();
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (start, end) =
        range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let (host_start, host_end) = if host.is_empty() {
        (0, 0)
    } else {
        range(host).map_err(|_| format!("invalid hostPort: {host}"))?
    };
    if !host.is_empty() && end - start != host_end - host_start && end != start {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        ));
    }
    let count = end - start + 1;
    let mut keyed: Vec<(String, Map<String, Json>)> = (0..count)
        .map(|i| {
            let mut port = Map::new();
            port.insert("mode".into(), Json::String("ingress".into()));
            if !ip.is_empty() {
                port.insert("host_ip".into(), Json::String(ip.clone()));
            }
            port.insert("target".into(), Json::from(start + i));
            if !host.is_empty() {
                let mut published = (host_start + i).to_string();
                if count == 1 && host_start != host_end {
                    published = format!("{published}-{host_end}");
                }
                port.insert("published".into(), Json::String(published));
            }
            port.insert("protocol".into(), Json::String(proto.clone()));
            (format!("{}/{proto}", start + i), port)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, p)| p).collect())
}

/// `80` or `8000-8010` as Go's `ParseUint(_, 10, 16)` reads them.
fn range(text: &str) -> Result<(u32, u32), ()> {
    let port = |s: &str| s.parse::<u16>().map(u32::from).map_err(|_| ());
    match text.split_once('-') {
        None => port(text).map(|p| (p, p)),
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b.split('-').next().unwrap_or(b))?);
            if b < a { Err(()) } else { Ok((a, b)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(spec: &str) -> Vec<String> {
        parse_spec(spec)
            .unwrap()
            .into_iter()
            .map(|p| Json::Object(p).to_string())
            .collect()
    }

    #[test]
    fn short_ports_are_expanded() {
        assert_eq!(
            short("8080:80"),
            [r#"{"mode":"ingress","protocol":"tcp","published":"8080","target":80}"#]
        );
        assert_eq!(short("3000-3002:4000-4002").len(), 3);
        assert_eq!(
            short("9000-9001:9000"),
            [r#"{"mode":"ingress","protocol":"tcp","published":"9000-9001","target":9000}"#]
        );
        assert_eq!(
            short("[::1]:7000:7000/TCP"),
            [
                r#"{"host_ip":"::1","mode":"ingress","protocol":"tcp","published":"7000","target":7000}"#
            ]
        );
        assert_eq!(
            short("127.0.0.1::5001"),
            [r#"{"host_ip":"127.0.0.1","mode":"ingress","protocol":"tcp","target":5001}"#]
        );
        let sorted = short("9998-10001:9998-10001");
        assert!(sorted[0].contains("\"target\":10000"), "{sorted:?}");
    }

    #[test]
    fn bad_ports_are_refused() {
        assert!(
            parse_spec("8000:80-81")
                .unwrap_err()
                .contains("invalid ranges")
        );
        assert!(
            parse_spec("8000-8002:80-81")
                .unwrap_err()
                .contains("invalid ranges")
        );
        assert_eq!(parse_spec("abc:80").unwrap_err(), "invalid hostPort: abc");
        assert!(parse_spec("80/xyz").is_err());
    }
}
