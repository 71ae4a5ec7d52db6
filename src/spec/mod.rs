//! A Compose service as plain container data: what one container is to be created with
//! ([`ContainerSpec`]), the project's networks and volumes, what to build, the labels that
//! tie them to the project, and the config hash. Translated from `config`'s model here, one
//! file per key group; turned into API requests by `engine`. No bollard type appears here, so
//! the translation and its hash are tested without an engine.

mod build;
mod environment;
mod files;
mod health;
mod hooks;
mod host;
mod networks;
mod ports;
mod resources;
mod runtime;
mod service;
mod tuning;
mod volumes;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use build::{BuildSpec, INLINE_DOCKERFILE, PullPolicy, build_spec, pull_policy};
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
    /// Secrets and configs from `environment:` or `content:`, written into the container
    /// after it is created and before it starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,
    /// How the container sits on its host: namespaces, devices, kernel settings, a terminal.
    /// Left out of the hash when it is all defaults, so specs without them keep their hash.
    #[serde(skip_serializing_if = "HostSettings::is_default")]
    pub host: HostSettings,
    /// cgroup limits, device requests, links and the other settings of [`Tuning`]; left
    /// out of the hash when all are defaults, and each one when it is unset.
    #[serde(skip_serializing_if = "Tuning::is_default")]
    pub tuning: Tuning,
    /// Compose's lifecycle hooks (`pre_start`, `post_start`, `pre_stop`). Part of the hash, as
    /// in Compose: a changed hook recreates the container; left out when there are none.
    #[serde(skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
}

/// `cpu_count`, `cpu_percent`, `cpu_period`, `cpu_quota`, `cpu_rt_period`, `cpu_rt_runtime`,
/// `cpuset`, `oom_kill_disable`, `mem_swappiness`, `storage_opt`, `device_cgroup_rules`,
/// `annotations`, `uts`, `cgroup`, `isolation`, `blkio_config`, `gpus` and
/// `deploy.resources.reservations.devices` (device requests), CDI `devices`, `links`,
/// `external_links` and `volumes_from`, as the engine takes them. (`mac_address` goes to the
/// first network's [`NetworkAttachment`].)
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tuning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<i64>,
    /// Microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset_cpus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_kill_disable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_swappiness: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts_mode: Option<String>,
    /// cgroup namespace: `host` or `private`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroupns_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(skip_serializing_if = "Blkio::is_default")]
    pub blkio: Blkio,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_requests: Vec<DeviceRequestSpec>,
    /// `container:alias`, as the engine links them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `container[:ro|rw]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// `security_opt: [systempaths=unconfined]`: no masked or read-only /proc paths.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unconfined_paths: bool,
}

impl Tuning {
    pub fn is_default(&self) -> bool {
        *self == Tuning::default()
    }
}

/// `blkio_config`: an I/O weight and per-device weights and throttles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Blkio {
    pub weight: Option<u16>,
    /// (device path, weight)
    pub weight_device: Vec<(String, u16)>,
    /// (device path, bytes or operations per second)
    pub read_bps: Vec<(String, i64)>,
    pub write_bps: Vec<(String, i64)>,
    pub read_iops: Vec<(String, i64)>,
    pub write_iops: Vec<(String, i64)>,
}

impl Blkio {
    pub fn is_default(&self) -> bool {
        *self == Blkio::default()
    }
}

/// A request for devices from a device driver (`gpus`, reserved `devices`, CDI names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceRequestSpec {
    pub driver: Option<String>,
    /// -1: all.
    pub count: Option<i64>,
    pub device_ids: Vec<String>,
    pub capabilities: Vec<String>,
    pub options: BTreeMap<String, String>,
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
    /// The last port of a host range (`8000-8010:80`): the engine picks a free port from
    /// `host_port` to this one for each container, so replicas can share the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port_end: Option<u16>,
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
    /// An image's file system (`type: image`; the engine needs API 1.48, Docker 28).
    Image,
}

/// One mount. `source` is the engine's volume name for volumes (`None`: an anonymous volume),
/// an absolute host path for binds, the image reference for images, and `None` for tmpfs.
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
    /// A path inside the volume or image to mount instead of its root (`volume.subpath`,
    /// `image.subpath`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    /// A new volume is not filled with the image's files (`nocopy`, `volume.nocopy`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nocopy: bool,
    /// tmpfs size in bytes and permission bits (`tmpfs.size`, `tmpfs.mode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
    /// The options of a `tmpfs:` entry (`/run:size=64m,uid=1000`), handed to the engine as
    /// they are, as Compose does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<String>,
}

/// A file written into the container before it starts: a secret or config whose value
/// comes from `environment:` or `content:` (a `file:` source is a read-only bind instead),
/// sent through the archive API as Compose does. The value is kept out of the spec's
/// serialization (and so of any output); its digest stands for it in the config hash, so a
/// new value recreates the container.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileSpec {
    /// An absolute path in the container.
    pub target: String,
    /// Owner; when either is set the engine applies both (the other is 0), as in Compose.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Permission bits (Compose's default: 0444).
    pub mode: u32,
    /// sha256 (hex) of the value.
    pub digest: String,
    #[serde(skip)]
    pub content: Vec<u8>,
}

impl std::fmt::Debug for FileSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSpec")
            .field("target", &self.target)
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("content", &format_args!("({} bytes)", self.content.len()))
            .finish()
    }
}

/// sha256 of `bytes`, as hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A network the container joins, by its full engine name (e.g. `myproject_default`), with
/// the endpoint settings of `services.<s>.networks.<n>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NetworkAttachment {
    pub name: String,
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    /// The network's own `mac_address`, or for the first network the service's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// `gw_priority`: which network gives the default gateway (API 1.48).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gw_priority: Option<i64>,
    /// `interface_name` (API 1.49): sent as the endpoint driver option Compose uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
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
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv4: Option<bool>,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<IpamSpec>,
    pub external: bool,
}

/// A network's `ipam`: its driver, address pools and driver options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpamSpec {
    pub driver: Option<String>,
    pub pools: Vec<IpamPool>,
    pub options: BTreeMap<String, String>,
}

/// One `ipam.config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpamPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub aux_addresses: BTreeMap<String, String>,
}

/// A project volume: created with these settings unless `external`, which must exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolumeSpec {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
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
    canonical.files.sort();
    // Serializing plain data with string keys cannot fail; struct fields keep declaration
    // order and maps are BTreeMaps, so the bytes are the same on every run.
    let json = serde_json::to_vec(&canonical).unwrap_or_default();
    sha256_hex(&json)
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
                host_port_end: None,
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
