//! `networks`: the attachments of one container, with their endpoint settings, in the order
//! Compose joins them (highest `priority` first, then by name): the first is joined at
//! creation and gets the service's `mac_address`.

use std::collections::BTreeMap;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::NetworkAttachment;
use super::service::{Cx, key_values};

impl Cx<'_> {
    pub(super) fn networks(&mut self) -> Result<Vec<NetworkAttachment>, ConfigError> {
        let declared: Vec<(String, Option<&Value>)> = match self.get("networks") {
            None => vec![("default".to_string(), None)],
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    scalar_text(v).map(|n| (n, None)).ok_or_else(|| {
                        self.invalid(&format!("networks[{i}]"), "must be a network name")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Mapping(map)) => map
                .iter()
                .map(|(k, v)| {
                    scalar_text(k)
                        .map(|n| (n, Some(v)))
                        .ok_or_else(|| self.invalid("networks", "keys must be network names"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(self.invalid("networks", "must be a list or a mapping")),
        };
        let top = self
            .project
            .model
            .raw
            .get("networks")
            .and_then(Value::as_mapping);
        let mut out: Vec<(i64, String, NetworkAttachment)> = Vec::new();
        for (i, (network, settings)) in declared.into_iter().enumerate() {
            let key = if settings.is_some() {
                format!("networks.{network}")
            } else {
                format!("networks[{i}]")
            };
            if network != "default" && !top.is_some_and(|m| m.contains_key(network.as_str())) {
                return Err(self.invalid(
                    &key,
                    "refers to a network that is not declared under the top-level `networks`",
                ));
            }
            let mut attachment = NetworkAttachment {
                name: self.engine_name("networks", &network)?,
                aliases: vec![self.service.to_string()],
                ..NetworkAttachment::default()
            };
            let priority = match settings {
                None | Some(Value::Null) => 0,
                Some(Value::Mapping(m)) => self.endpoint(&key, m, &mut attachment)?,
                Some(_) => return Err(self.invalid(&key, "must be a mapping or empty")),
            };
            out.push((priority, network, attachment));
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut attachments: Vec<NetworkAttachment> = out.into_iter().map(|(_, _, a)| a).collect();
        // The service's mac_address is the first network's, and must agree with its own.
        let mac = self.string("mac_address")?;
        if let (Some(mac), Some(first)) = (
            self.mac_address("mac_address", mac)?,
            attachments.first_mut(),
        ) {
            match &first.mac_address {
                Some(own) if !own.eq_ignore_ascii_case(&mac) => {
                    return Err(self.invalid(
                        "mac_address",
                        format!(
                            "differs from the mac_address of network {}, the first one the \
                             container joins (Compose requires them to agree)",
                            first.name
                        ),
                    ));
                }
                Some(_) => {}
                None => first.mac_address = Some(mac),
            }
        }
        Ok(attachments)
    }

    /// One `networks.<n>` mapping into `attachment`; returns its `priority`.
    fn endpoint(
        &mut self,
        key: &str,
        m: &Mapping,
        attachment: &mut NetworkAttachment,
    ) -> Result<i64, ConfigError> {
        let mut priority = 0;
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let at = format!("{key}.{k}");
            let text = || scalar_text(v).ok_or_else(|| self.invalid(&at, "must be a string"));
            let number = || {
                super::host::integer(v).ok_or_else(|| self.invalid(&at, "must be a whole number"))
            };
            match k {
                _ if v.is_null() || k.starts_with("x-") => {}
                "aliases" => {
                    let items = v
                        .as_sequence()
                        .ok_or_else(|| self.invalid(&at, "must be a list"))?;
                    for (j, alias) in items.iter().enumerate() {
                        let alias = scalar_text(alias).ok_or_else(|| {
                            self.invalid(&format!("{at}[{j}]"), "must be a string")
                        })?;
                        if !attachment.aliases.contains(&alias) {
                            attachment.aliases.push(alias);
                        }
                    }
                }
                "ipv4_address" => attachment.ipv4_address = Some(self.ip(&at, text()?, false)?),
                "ipv6_address" => attachment.ipv6_address = Some(self.ip(&at, text()?, true)?),
                "link_local_ips" => {
                    let items = v
                        .as_sequence()
                        .ok_or_else(|| self.invalid(&at, "must be a list of addresses"))?;
                    for (j, ip) in items.iter().enumerate() {
                        let ip_at = format!("{at}[{j}]");
                        let ip = scalar_text(ip)
                            .ok_or_else(|| self.invalid(&ip_at, "must be an IP address"))?;
                        let v6 = ip.contains(':');
                        attachment.link_local_ips.push(self.ip(&ip_at, ip, v6)?);
                    }
                }
                "mac_address" => attachment.mac_address = self.mac_address(&at, Some(text()?))?,
                "driver_opts" => {
                    let invalid = |path: &str, message: &str| self.invalid(path, message);
                    let opts: BTreeMap<String, String> = key_values(v, &at, invalid)?
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect();
                    attachment.driver_opts.extend(opts);
                }
                "priority" => priority = number()?,
                "gw_priority" => attachment.gw_priority = Some(number()?),
                "interface_name" => attachment.interface_name = Some(text()?),
                _ => return Err(self.invalid(&at, "is not a network attachment setting")),
            }
        }
        Ok(priority)
    }

    fn ip(&self, key: &str, text: String, v6: bool) -> Result<String, ConfigError> {
        match text.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_ipv6() == v6 => Ok(text),
            _ => Err(self.invalid(
                key,
                if v6 {
                    "must be an IPv6 address"
                } else {
                    "must be an IPv4 address"
                },
            )),
        }
    }
}
