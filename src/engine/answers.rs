//! The engine's answers as phi reads them, instead of bollard's models: every field is
//! optional, a `null` counts as absent, unknown fields are ignored and states are plain
//! words. Docker 20.10 to 29 and Podman's Docker-compatible API all fit; nothing here
//! depends on the fields API 1.44 to 1.52 removed (top-level `NetworkSettings.IPAddress`,
//! `Gateway`, `MacAddress`, `Config.MacAddress`).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

/// `null` and absent both become the default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One entry of `GET /containers/json`: the engine answers it from its in-memory view,
/// without taking any container's lock (an inspection waits for it).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Summary {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// `/name` (one entry; more only for legacy links).
    #[serde(deserialize_with = "nullable")]
    pub names: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    /// The state word, as in an inspection.
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    /// Docker's human status: `Up 5 minutes (healthy)`, `Exited (1) 2 hours ago`.
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    #[serde(deserialize_with = "nullable")]
    pub labels: HashMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub ports: Vec<ListedPort>,
    /// Unix seconds.
    pub created: Option<i64>,
}

/// A port in the list: published when `PublicPort` is there.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListedPort {
    #[serde(rename = "IP", deserialize_with = "nullable")]
    pub ip: String,
    #[serde(rename = "PrivatePort")]
    pub private_port: Option<u16>,
    #[serde(rename = "PublicPort")]
    pub public_port: Option<u16>,
    #[serde(rename = "Type", deserialize_with = "nullable")]
    pub protocol: String,
}

/// `GET /containers/{id}/json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Inspection {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub restart_count: i64,
    #[serde(deserialize_with = "nullable")]
    pub state: State,
    #[serde(deserialize_with = "nullable")]
    pub config: Config,
    #[serde(deserialize_with = "nullable")]
    pub network_settings: NetworkSettings,
    #[serde(deserialize_with = "nullable")]
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct State {
    /// Docker: created, running, paused, restarting, removing, exited, dead; Podman adds
    /// stopped, configured, initialized and others.
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    pub exit_code: Option<i64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub pid: Option<i64>,
    pub health: Option<Health>,
    /// The kernel killed the main process for want of memory.
    #[serde(rename = "OOMKilled", deserialize_with = "nullable")]
    pub oom_killed: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Health {
    /// starting, healthy, unhealthy (or empty, or none)
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    #[serde(deserialize_with = "nullable")]
    pub log: Vec<HealthResult>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct HealthResult {
    pub exit_code: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub output: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Config {
    #[serde(deserialize_with = "nullable")]
    pub labels: HashMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    pub healthcheck: Option<Healthcheck>,
    /// The signal a stop sends first (`SIGTERM` when absent).
    pub stop_signal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(deserialize_with = "nullable")]
    pub test: Vec<String>,
    /// Nanoseconds; 0 or absent means Docker's default.
    pub interval: Option<i64>,
    pub start_period: Option<i64>,
    pub retries: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NetworkSettings {
    /// `"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]`; null for an exposed port
    /// that is not published.
    #[serde(deserialize_with = "nullable")]
    pub ports: HashMap<String, Option<Vec<PortBinding>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PortBinding {
    #[serde(deserialize_with = "nullable")]
    pub host_ip: String,
    #[serde(deserialize_with = "nullable")]
    pub host_port: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Mount {
    pub name: Option<String>,
    pub destination: Option<String>,
}

/// `GET /version`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Version {
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable")]
    pub api_version: String,
    #[serde(rename = "MinAPIVersion", deserialize_with = "nullable")]
    pub min_api_version: String,
    #[serde(deserialize_with = "nullable")]
    pub components: Vec<Component>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Component {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
}

impl Version {
    /// The engine's name and version as a user knows them: `Docker 28.5.2+dfsg4`,
    /// `Podman 4.3.1` (Podman names itself in its components).
    pub fn product(&self) -> String {
        let podman = self
            .components
            .iter()
            .find(|c| c.name.to_ascii_lowercase().contains("podman"));
        match podman {
            Some(c) if !c.version.is_empty() => format!("Podman {}", c.version),
            Some(_) => format!("Podman {}", self.version),
            None if self.version.is_empty() => "an engine of unknown version".to_string(),
            None => format!("Docker {}", self.version),
        }
    }
}

/// Percent-encode a query value (RFC 3986 unreserved characters stay).
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An answer captured from a real engine (tests/fixtures/engine-answers/), read as `T`.
#[cfg(test)]
pub fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/engine-answers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_named_from_their_version_answer() {
        let docker = fixture::<Version>("docker-28.5.2-version.json");
        assert_eq!(docker.product(), "Docker 28.5.2+dfsg4");
        assert_eq!(
            (docker.api_version.as_str(), docker.min_api_version.as_str()),
            ("1.51", "1.24")
        );
        let podman = fixture::<Version>("podman-4.3.1-version.json");
        assert_eq!(podman.product(), "Podman 4.3.1");
        assert_eq!(podman.api_version, "1.41");
        let unknown: Version = serde_json::from_str(r#"{"Components": null}"#).unwrap();
        assert_eq!(unknown.product(), "an engine of unknown version");
    }
}
