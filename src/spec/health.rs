//! `healthcheck`.

use serde_norway::Value;

use crate::config::{ConfigError, scalar_text};

use super::HealthSpec;
use super::service::{Cx, boolean};
use crate::config::xphi;

impl Cx<'_> {
    pub(super) fn healthcheck(&mut self) -> Result<Option<HealthSpec>, ConfigError> {
        let Some(value) = self.get("healthcheck") else {
            return Ok(None);
        };
        let m = value
            .as_mapping()
            .ok_or_else(|| self.invalid("healthcheck", "must be a mapping"))?;
        let mut spec = HealthSpec {
            test: Vec::new(),
            interval: None,
            timeout: None,
            start_period: None,
            start_interval: None,
            retries: None,
        };
        let mut disable = false;
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let key = format!("healthcheck.{k}");
            if v.is_null() {
                continue;
            }
            let duration = || {
                xphi::duration(v)
                    .map(Some)
                    .map_err(|_| self.invalid(&key, "must be a duration such as 10s or 1m30s"))
            };
            match k {
                "test" => spec.test = self.health_test(&key, v)?,
                "interval" => spec.interval = duration()?,
                "timeout" => spec.timeout = duration()?,
                "start_period" => spec.start_period = duration()?,
                "start_interval" => spec.start_interval = duration()?,
                "retries" => {
                    spec.retries = Some(
                        scalar_text(v)
                            .and_then(|r| r.parse().ok())
                            .ok_or_else(|| self.invalid(&key, "must be a whole number"))?,
                    );
                }
                "disable" => {
                    disable =
                        boolean(v).ok_or_else(|| self.invalid(&key, "must be true or false"))?;
                }
                _ => return Err(self.invalid(&key, "is not a healthcheck setting")),
            }
        }
        if disable {
            spec.test = vec!["NONE".to_string()];
        }
        Ok(Some(spec))
    }

    pub(super) fn health_test(&self, key: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
        match v {
            Value::Sequence(items) => {
                let test = items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        scalar_text(t)
                            .ok_or_else(|| self.invalid(&format!("{key}[{i}]"), "must be a string"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                match test.first().map(String::as_str) {
                    Some("CMD" | "CMD-SHELL" | "NONE") => Ok(test),
                    _ => Err(self.invalid(key, "a list must start with CMD, CMD-SHELL or NONE")),
                }
            }
            v => scalar_text(v)
                .map(|line| vec!["CMD-SHELL".to_string(), line])
                .ok_or_else(|| self.invalid(key, "must be a command string or a list")),
        }
    }
}
