//! `ports`: short and long syntax. Container port ranges are expanded one to one; a host
//! range for one container port stays a range for the engine to pick from.

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::PortSpec;
use super::service::Cx;

const PORT_FORM: &str = "must be [[HOST_IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL] or a mapping";
const PROTOCOLS: &[&str] = &["tcp", "udp", "sctp"];

impl Cx<'_> {
    pub(super) fn ports(&mut self) -> Result<Vec<PortSpec>, ConfigError> {
        let items = match self.get("ports") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => return Err(self.invalid("ports", "must be a list")),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("ports[{i}]");
            match item {
                Value::Mapping(m) => out.extend(self.long_port(&key, m)?),
                v => {
                    let text = scalar_text(v).ok_or_else(|| self.invalid(&key, PORT_FORM))?;
                    out.extend(short_port(&text).map_err(|message| self.invalid(&key, message))?);
                }
            }
        }
        Ok(out)
    }

    pub(super) fn long_port(
        &mut self,
        key: &str,
        m: &Mapping,
    ) -> Result<Vec<PortSpec>, ConfigError> {
        for k in m.keys() {
            let k = k.as_str().unwrap_or("?");
            if ![
                "target",
                "published",
                "host_ip",
                "protocol",
                "mode",
                "name",
                "app_protocol",
            ]
            .contains(&k)
            {
                return Err(self.invalid(&format!("{key}.{k}"), "is not a port setting"));
            }
        }
        let field = |f: &str| m.get(f).filter(|v| !v.is_null());
        let target = field("target")
            .and_then(scalar_text)
            .ok_or_else(|| self.invalid(&format!("{key}.target"), "is required: a port number"))?;
        let target = parse_port(&target)
            .ok_or_else(|| self.invalid(&format!("{key}.target"), "must be a port number"))?;
        let protocol = match field("protocol") {
            None => "tcp".to_string(),
            Some(v) => scalar_text(v)
                .map(|p| p.to_ascii_lowercase())
                .filter(|p| PROTOCOLS.contains(&p.as_str()))
                .ok_or_else(|| {
                    self.invalid(&format!("{key}.protocol"), "must be tcp, udp or sctp")
                })?,
        };
        let host_ip = match field("host_ip") {
            None => None,
            Some(v) => Some(
                scalar_text(v)
                    .ok_or_else(|| self.invalid(&format!("{key}.host_ip"), "must be a string"))?,
            ),
        };
        let (host_port, host_port_end) = match field("published") {
            None => (None, None),
            Some(v) => match scalar_text(v).filter(|t| !t.is_empty()) {
                None => (None, None),
                Some(text) => {
                    let (first, last) = parse_range(&text).ok_or_else(|| {
                        self.invalid(
                            &format!("{key}.published"),
                            "must be a port number or a range such as 8000-8002",
                        )
                    })?;
                    (Some(first), (first != last).then_some(last))
                }
            },
        };
        Ok(vec![PortSpec {
            host_ip,
            host_port,
            host_port_end,
            container_port: target,
            protocol,
        }])
    }
}

pub(super) fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// `8000` or `8000-8002`, as (first, last).
pub(super) fn parse_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        None => parse_port(text).map(|p| (p, p)),
        Some((a, b)) => {
            let (a, b) = (parse_port(a)?, parse_port(b)?);
            (a <= b).then_some((a, b))
        }
    }
}

/// One short-syntax port entry, container port ranges expanded.
pub(super) fn short_port(text: &str) -> Result<Vec<PortSpec>, String> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((spec, protocol)) => (spec, protocol.to_ascii_lowercase()),
        None => (text, "tcp".to_string()),
    };
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err("the protocol must be tcp, udp or sctp".into());
    }
    // An IPv6 host address is written in brackets: [::1]:8080:80.
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, rest) = bracketed
                .split_once("]:")
                .ok_or_else(|| PORT_FORM.to_string())?;
            (Some(ip.to_string()), Some(rest))
        }
        None => (None, None),
    };
    let parts: Vec<&str> = match rest {
        Some(rest) => {
            let parts: Vec<&str> = rest.split(':').collect();
            if parts.len() != 2 {
                return Err(PORT_FORM.into());
            }
            parts
        }
        None => spec.split(':').collect(),
    };
    let (host_ip, host, container) = match (host_ip, parts.as_slice()) {
        (ip @ Some(_), [host, container]) => (ip, *host, *container),
        (None, [container]) => (None, "", *container),
        (None, [host, container]) => (None, *host, *container),
        (None, [ip, host, container]) => (Some(ip.to_string()), *host, *container),
        _ => return Err(PORT_FORM.into()),
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let (c_first, c_last) = parse_range(container).ok_or_else(|| PORT_FORM.to_string())?;
    let count = c_last - c_first;
    // (first, last) host port per container port; a host range for one container port is
    // handed to the engine whole, which picks a free port in it (as Compose does).
    let host_ports: Vec<(Option<u16>, Option<u16>)> = if host.is_empty() {
        vec![(None, None); usize::from(count) + 1]
    } else {
        let (h_first, h_last) = parse_range(host).ok_or_else(|| PORT_FORM.to_string())?;
        if count == 0 {
            vec![(Some(h_first), (h_first != h_last).then_some(h_last))]
        } else if h_last - h_first == count {
            (h_first..=h_last).map(|p| (Some(p), None)).collect()
        } else {
            return Err("the host and container port ranges differ in length".into());
        }
    };
    let ports = (c_first..=c_last)
        .zip(host_ports)
        .map(|(container_port, (host_port, host_port_end))| PortSpec {
            host_ip: host_ip.clone(),
            host_port,
            host_port_end,
            container_port,
            protocol: protocol.clone(),
        })
        .collect();
    Ok(ports)
}
