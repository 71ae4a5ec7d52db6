//! `networks`: the attachments of one container.

use serde_norway::Value;

use crate::config::{ConfigError, scalar_text};

use super::NetworkAttachment;
use super::service::Cx;

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
        let mut out = Vec::new();
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
            let mut aliases = vec![self.service.to_string()];
            match settings {
                None | Some(Value::Null) => {}
                Some(Value::Mapping(m)) => {
                    for (k, v) in m {
                        let k = k.as_str().unwrap_or("?");
                        if k == "aliases" {
                            let items = v.as_sequence().ok_or_else(|| {
                                self.invalid(&format!("{key}.aliases"), "must be a list")
                            })?;
                            for (j, alias) in items.iter().enumerate() {
                                let alias = scalar_text(alias).ok_or_else(|| {
                                    self.invalid(&format!("{key}.aliases[{j}]"), "must be a string")
                                })?;
                                if !aliases.contains(&alias) {
                                    aliases.push(alias);
                                }
                            }
                        } else {
                            self.unsupported(&format!("{key}.{k}"));
                        }
                    }
                }
                Some(_) => return Err(self.invalid(&key, "must be a mapping or empty")),
            }
            out.push(NetworkAttachment {
                name: self.engine_name("networks", &network)?,
                aliases,
            });
        }
        Ok(out)
    }
}
