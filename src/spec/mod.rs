//! A Compose service as plain container data: what one container is to be created with
//! ([`ContainerSpec`]), the project's networks and volumes, what to build, the labels that
//! tie them to the project, and the config hash. Translated from `config`'s model here, one
//! file per key group; turned into API requests by `engine`. No bollard type appears here, so
//! the translation and its hash are tested without an engine.

mod build;
mod environment;
mod health;
mod hooks;
mod host;
mod networks;
mod ports;
mod resources;
mod runtime;
mod service;
mod volumes;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use build::{BuildSpec, build_spec};
pub use hooks::{HookSpec, Hooks, LABEL_HOOK, pre_start_container, service_hooks};
pub use resources::{LABEL_NETWORK, LABEL_VOLUME, Resources, project_resources};
pub use service::{LABEL_CONFIG_FILES, LABEL_WORKING_DIR, container_spec};

/// Labels Docker Compose puts on what it creates; phi finds a project's containers by them.
pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";

/// How long a container gets to stop before it is killed, when the service does not say
/// (`stop_grace_period`): Compose's and Docker's default.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

/// The label phi puts the [`config_hash`] of a container's spec in; a container whose label
/// differs from the hash of the current spec runs with an outdated configuration.
pub const LABEL_CONFIG_HASH: &str = "org.phi.config-hash";
/// Compose's config-hash label. Compose lists only containers that carry it, so phi sets it
/// too (to its own hash; Compose will see a different configuration and recreate on `up`).
pub const LABEL_COMPOSE_CONFIG_HASH: &str = "com.docker.compose.config-hash";

/// Everything needed to create one container.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// `None`: the image's own command.
    pub command: Option<Vec<String>>,
    /// `None`: the image's own entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=VALUE`, sorted by key, one entry per key.
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<PortSpec>,
    pub mounts: Vec<MountSpec>,
    pub networks: Vec<NetworkAttachment>,
    pub healthcheck: Option<HealthSpec>,
    /// A restart policy as the docker CLI writes it: `always`, `unless-stopped`, `on-failure:3`.
    pub restart: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub read_only: bool,
    pub init: Option<bool>,
    pub security_opt: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `host:ip` entries for /etc/hosts.
    pub extra_hosts: Vec<String>,
    pub memory_bytes: Option<i64>,
    /// CPU limit in units of 10^-9 CPUs.
    pub nano_cpus: Option<i64>,
    pub log_driver: Option<String>,
    pub log_options: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    pub stop_grace_seconds: Option<i64>,
    /// How the container sits on its host: namespaces, devices, kernel settings, a terminal.
    /// Left out of the hash when it is all defaults, so specs without them keep their hash.
    #[serde(skip_serializing_if = "HostSettings::is_default")]
    pub host: HostSettings,
    /// Compose's lifecycle hooks (`pre_start`, `post_start`, `pre_stop`). Part of the hash, as
    /// in Compose: a changed hook recreates the container; left out when there are none.
    #[serde(skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
}

/// `network_mode`, `ipc`, `pid`, `privileged`, `devices`, `sysctls`, `ulimits`, `dns*`,
/// `group_add`, `runtime`, `shm_size`, `tty`, `stdin_open`, `expose`, `platform`,
/// `domainname`, `userns_mode`, `cgroup_parent`, `pids_limit`, `oom_score_adj`, `cpu_shares`,
/// `mem_reservation`, `memswap_limit`, as the engine takes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostSettings {
    /// `host`, `none`, `bridge`, or `container:NAME` (`service:NAME` resolved to the name of
    /// that service's first container). When set, the container joins no project network.
    pub network_mode: Option<String>,
    pub ipc_mode: Option<String>,
    pub pid_mode: Option<String>,
    pub privileged: bool,
    pub devices: Vec<DeviceSpec>,
    pub sysctls: BTreeMap<String, String>,
    pub ulimits: Vec<UlimitSpec>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    pub group_add: Vec<String>,
    pub runtime: Option<String>,
    pub shm_size: Option<i64>,
    pub tty: bool,
    pub stdin_open: bool,
    /// Ports exposed without publishing: `80/tcp`.
    pub expose: Vec<String>,
    pub platform: Option<String>,
    pub domainname: Option<String>,
    pub userns_mode: Option<String>,
    pub cgroup_parent: Option<String>,
    pub pids_limit: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub memory_swap: Option<i64>,
}

impl HostSettings {
    pub fn is_default(&self) -> bool {
        *self == HostSettings::default()
    }
}

/// A host device mapped into the container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DeviceSpec {
    pub host: String,
    pub container: String,
    /// `rwm` unless the service says otherwise.
    pub permissions: String,
}

/// One resource limit (`nofile`, `nproc`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UlimitSpec {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortSpec {
    pub host_ip: Option<String>,
    /// `None`: the engine picks a free port.
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    #[default]
    Volume,
    Bind,
    Tmpfs,
}

/// One mount. `source` is the engine's volume name for volumes (`None`: an anonymous volume),
/// an absolute host path for binds, and `None` for tmpfs.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MountSpec {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// A bind whose missing host path the engine creates (Compose's short syntax, or the long
    /// syntax with `bind.create_host_path: true`): sent as a `Binds` entry, as Compose does.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_host_path: bool,
    /// Bind options the engine applies as they are: `z` or `Z` (SELinux relabelling) and a
    /// propagation mode (`rprivate`, `shared`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bind_options: Vec<String>,
}

/// A network the container joins, by its full engine name (e.g. `myproject_default`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NetworkAttachment {
    pub name: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthSpec {
    /// The engine's form: `["CMD", arg...]`, `["CMD-SHELL", line]` or `["NONE"]`; empty keeps
    /// the image's test.
    pub test: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

/// A project network: created with these settings unless `external`, which must exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetworkSpec {
    /// The engine's name (`myproject_default`).
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub driver: Option<String>,
    pub internal: bool,
    pub external: bool,
}

/// A project volume: created with these settings unless `external`, which must exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolumeSpec {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub driver: Option<String>,
    pub external: bool,
}

/// A stable digest of what a container runs with: the sha256 (hex) of a canonical JSON
/// serialization of `spec`, without the hash label itself, the container-number label and the
/// name (which carries the number), so that all replicas of a service share one hash.
/// Lists whose order does not matter to the engine are sorted first.
pub fn config_hash(spec: &ContainerSpec) -> String {
    let mut canonical = spec.clone();
    canonical.name.clear();
    canonical.labels.remove(LABEL_CONFIG_HASH);
    canonical.labels.remove(LABEL_COMPOSE_CONFIG_HASH);
    canonical.labels.remove(LABEL_NUMBER);
    canonical.env.sort();
    canonical.ports.sort();
    canonical.mounts.sort();
    for network in &mut canonical.networks {
        network.aliases.sort();
    }
    canonical.networks.sort();
    canonical.security_opt.sort();
    canonical.cap_add.sort();
    canonical.cap_drop.sort();
    canonical.extra_hosts.sort();
    // Serializing plain data with string keys cannot fail; struct fields keep declaration
    // order and maps are BTreeMaps, so the bytes are the same on every run.
    let json = serde_json::to_vec(&canonical).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            name: "p-web-1".into(),
            image: "nginx:1".into(),
            env: vec!["A=1".into(), "B=2".into()],
            labels: [
                (LABEL_NUMBER.to_string(), "1".to_string()),
                ("team".to_string(), "ops".to_string()),
            ]
            .into(),
            ports: vec![PortSpec {
                host_ip: None,
                host_port: Some(8080),
                container_port: 80,
                protocol: "tcp".into(),
            }],
            cap_add: vec!["NET_ADMIN".into(), "SYS_TIME".into()],
            ..ContainerSpec::default()
        }
    }

    #[test]
    fn the_hash_is_stable_and_hex() {
        let a = config_hash(&spec());
        assert_eq!(a, config_hash(&spec()));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn the_hash_ignores_the_number_the_name_and_itself() {
        let base = config_hash(&spec());
        let mut other = spec();
        other.name = "p-web-2".into();
        other.labels.insert(LABEL_NUMBER.into(), "2".into());
        other.labels.insert(LABEL_CONFIG_HASH.into(), base.clone());
        assert_eq!(config_hash(&other), base);
    }

    #[test]
    fn the_hash_ignores_the_order_of_unordered_lists() {
        let base = config_hash(&spec());
        let mut other = spec();
        other.env.reverse();
        other.cap_add.reverse();
        assert_eq!(config_hash(&other), base);
    }

    #[test]
    fn the_hash_changes_with_the_configuration() {
        let base = config_hash(&spec());
        let mut env = spec();
        env.env[0] = "A=2".into();
        assert_ne!(config_hash(&env), base);
        let mut port = spec();
        port.ports[0].host_port = Some(8081);
        assert_ne!(config_hash(&port), base);
        let mut label = spec();
        label.labels.insert("team".into(), "dev".into());
        assert_ne!(config_hash(&label), base);
        let mut command = spec();
        command.command = Some(vec!["a".into(), "b".into()]);
        let mut reordered = spec();
        reordered.command = Some(vec!["b".into(), "a".into()]);
        assert_ne!(config_hash(&command), config_hash(&reordered));
    }
}
