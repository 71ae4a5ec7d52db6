//! Realising a [`ContainerSpec`] on the engine: networks and volumes, create, start, and the
//! probes start-up needs (run a command inside, read the last log lines, is the image here).

use std::collections::HashMap;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig, EndpointSettings,
    ExecConfig, HealthConfig, HostConfig, HostConfigCgroupnsModeEnum, HostConfigIsolationEnum,
    HostConfigLogConfig, Ipam, IpamConfig, Mount, MountBindOptions,
    MountBindOptionsPropagationEnum, MountImageOptions, MountTmpfsOptions, MountType,
    MountVolumeOptions, NetworkConnectRequest, NetworkCreateRequest, NetworkingConfig, PortBinding,
    ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
    ThrottleDevice, VolumeCreateRequest,
};
use bollard::query_parameters::{CreateContainerOptions, LogsOptions, UploadToContainerOptions};
use futures_util::StreamExt;

use super::{Engine, EngineError};
use crate::spec::{
    ContainerSpec, FileSpec, MountKind, MountSpec, NetworkAttachment, NetworkSpec, Tuning,
    VolumeSpec,
};

/// What a command run inside a container ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutcome {
    pub exit_code: i64,
    /// stdout and stderr as they arrived, at most [`MAX_EXEC_OUTPUT`] bytes.
    pub output: String,
}

/// The most of a command's output that is kept.
pub const MAX_EXEC_OUTPUT: usize = 64 * 1024;

fn nanos(d: Option<Duration>) -> Option<i64> {
    d.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The engine's restart policy for Compose's `restart:` value.
pub fn restart_policy(value: &str) -> Result<RestartPolicy, String> {
    let (name, retries) = match value.split_once(':') {
        Some(("on-failure", n)) => {
            let n: i64 = n
                .parse()
                .map_err(|_| format!("`{value}`: the retry count must be a whole number"))?;
            (RestartPolicyNameEnum::ON_FAILURE, Some(n))
        }
        Some(_) => return Err(format!("`{value}` is not a restart policy")),
        None => match value {
            "no" | "" => (RestartPolicyNameEnum::NO, None),
            "always" => (RestartPolicyNameEnum::ALWAYS, None),
            "unless-stopped" => (RestartPolicyNameEnum::UNLESS_STOPPED, None),
            "on-failure" => (RestartPolicyNameEnum::ON_FAILURE, None),
            _ => {
                return Err(format!(
                    "`{value}` is not a restart policy (no, always, unless-stopped, on-failure[:N])"
                ));
            }
        },
    };
    Ok(RestartPolicy {
        name: Some(name),
        maximum_retry_count: retries,
    })
}

/// The create request for `spec`. The first network is joined at creation; the others are
/// connected before the container starts (the API takes one network at create time).
pub fn create_body(spec: &ContainerSpec) -> Result<ContainerCreateBody, String> {
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = format!("{}/{}", p.container_port, p.protocol);
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: p.host_port.map(|first| match p.host_port_end {
                    Some(last) => format!("{first}-{last}"),
                    None => first.to_string(),
                }),
            });
    }
    let host = &spec.host;
    let mut exposed: Vec<String> = port_bindings.keys().cloned().collect();
    exposed.extend(host.expose.iter().cloned());
    exposed.sort();
    exposed.dedup();
    let (binds, tmpfs, mounts) = mounts(&spec.mounts);
    // With a network_mode the container joins no project network.
    let first_network = spec
        .networks
        .first()
        .filter(|_| host.network_mode.is_none());
    let some_vec = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let host_config = HostConfig {
        port_bindings: Some(port_bindings),
        binds: (!binds.is_empty()).then_some(binds),
        mounts: Some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        restart_policy: spec.restart.as_deref().map(restart_policy).transpose()?,
        network_mode: host
            .network_mode
            .clone()
            .or_else(|| first_network.map(|n| n.name.clone())),
        ipc_mode: host.ipc_mode.clone(),
        pid_mode: host.pid_mode.clone(),
        privileged: host.privileged.then_some(true),
        devices: (!host.devices.is_empty()).then(|| {
            host.devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: Some(d.host.clone()),
                    path_in_container: Some(d.container.clone()),
                    cgroup_permissions: Some(d.permissions.clone()),
                })
                .collect()
        }),
        sysctls: (!host.sysctls.is_empty()).then(|| host.sysctls.clone().into_iter().collect()),
        ulimits: (!host.ulimits.is_empty()).then(|| {
            host.ulimits
                .iter()
                .map(|u| ResourcesUlimits {
                    name: Some(u.name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
        dns: some_vec(&host.dns),
        dns_search: some_vec(&host.dns_search),
        dns_options: some_vec(&host.dns_options),
        group_add: some_vec(&host.group_add),
        runtime: host.runtime.clone(),
        shm_size: host.shm_size,
        userns_mode: host.userns_mode.clone(),
        cgroup_parent: host.cgroup_parent.clone(),
        pids_limit: host.pids_limit,
        oom_score_adj: host.oom_score_adj,
        cpu_shares: host.cpu_shares,
        memory_reservation: host.memory_reservation,
        memory_swap: host.memory_swap,
        cap_add: Some(spec.cap_add.clone()),
        cap_drop: Some(spec.cap_drop.clone()),
        security_opt: Some(spec.security_opt.clone()),
        extra_hosts: Some(spec.extra_hosts.clone()),
        readonly_rootfs: Some(spec.read_only),
        init: spec.init,
        memory: spec.memory_bytes,
        nano_cpus: spec.nano_cpus,
        log_config: spec.log_driver.as_ref().map(|driver| HostConfigLogConfig {
            typ: Some(driver.clone()),
            config: Some(spec.log_options.clone().into_iter().collect()),
        }),
        ..tuning(&spec.tuning)?
    };
    let networking_config = first_network.map(|n| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(n.name.clone(), endpoint(spec, n))])),
    });
    Ok(ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: Some(spec.env.clone()),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: Some(exposed),
        healthcheck: spec.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: nanos(h.interval),
            timeout: nanos(h.timeout),
            retries: h.retries.map(i64::from),
            start_period: nanos(h.start_period),
            start_interval: nanos(h.start_interval),
        }),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        hostname: spec.hostname.clone(),
        domainname: host.domainname.clone(),
        tty: host.tty.then_some(true),
        open_stdin: host.stdin_open.then_some(true),
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec.stop_grace_seconds,
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    })
}

/// The endpoint settings for joining `network`. Links go here too: on a user-defined network
/// a link is a name the network resolves. `interface_name` is the endpoint driver option
/// Compose sends it as.
fn endpoint(spec: &ContainerSpec, network: &NetworkAttachment) -> EndpointSettings {
    let mut driver_opts = network.driver_opts.clone();
    if let Some(name) = &network.interface_name {
        driver_opts.insert("com.docker.network.endpoint.ifname".into(), name.clone());
    }
    let ipam = network.ipv4_address.is_some()
        || network.ipv6_address.is_some()
        || !network.link_local_ips.is_empty();
    EndpointSettings {
        aliases: Some(network.aliases.clone()),
        links: (!spec.tuning.links.is_empty()).then(|| spec.tuning.links.clone()),
        ipam_config: ipam.then(|| EndpointIpamConfig {
            ipv4_address: network.ipv4_address.clone(),
            ipv6_address: network.ipv6_address.clone(),
            link_local_ips: (!network.link_local_ips.is_empty())
                .then(|| network.link_local_ips.clone()),
        }),
        mac_address: network.mac_address.clone(),
        driver_opts: (!driver_opts.is_empty()).then(|| driver_opts.into_iter().collect()),
        gw_priority: network.gw_priority,
        ..Default::default()
    }
}

/// The [`Tuning`] part of the host config.
fn tuning(t: &Tuning) -> Result<HostConfig, String> {
    let some_vec = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let map = |m: &std::collections::BTreeMap<String, String>| {
        (!m.is_empty()).then(|| m.clone().into_iter().collect())
    };
    let throttle = |list: &Vec<(String, i64)>| {
        (!list.is_empty()).then(|| {
            list.iter()
                .map(|(path, rate)| ThrottleDevice {
                    path: Some(path.clone()),
                    rate: Some(*rate),
                })
                .collect()
        })
    };
    let b = &t.blkio;
    Ok(HostConfig {
        cpu_count: t.cpu_count,
        cpu_percent: t.cpu_percent,
        cpu_period: t.cpu_period,
        cpu_quota: t.cpu_quota,
        cpu_realtime_period: t.cpu_rt_period,
        cpu_realtime_runtime: t.cpu_rt_runtime,
        cpuset_cpus: t.cpuset_cpus.clone(),
        oom_kill_disable: t.oom_kill_disable,
        memory_swappiness: t.memory_swappiness,
        storage_opt: map(&t.storage_opt),
        device_cgroup_rules: some_vec(&t.device_cgroup_rules),
        annotations: map(&t.annotations),
        uts_mode: t.uts_mode.clone(),
        cgroupns_mode: match t.cgroupns_mode.as_deref() {
            None => None,
            Some("host") => Some(HostConfigCgroupnsModeEnum::HOST),
            Some("private") => Some(HostConfigCgroupnsModeEnum::PRIVATE),
            Some(other) => return Err(format!("`{other}` is not a cgroup namespace mode")),
        },
        isolation: match t.isolation.as_deref() {
            None => None,
            Some("default") => Some(HostConfigIsolationEnum::DEFAULT),
            Some("process") => Some(HostConfigIsolationEnum::PROCESS),
            Some("hyperv") => Some(HostConfigIsolationEnum::HYPERV),
            Some(other) => return Err(format!("`{other}` is not an isolation mode")),
        },
        blkio_weight: b.weight,
        blkio_weight_device: (!b.weight_device.is_empty()).then(|| {
            b.weight_device
                .iter()
                .map(|(path, weight)| ResourcesBlkioWeightDevice {
                    path: Some(path.clone()),
                    weight: Some(usize::from(*weight)),
                })
                .collect()
        }),
        blkio_device_read_bps: throttle(&b.read_bps),
        blkio_device_write_bps: throttle(&b.write_bps),
        blkio_device_read_iops: throttle(&b.read_iops),
        blkio_device_write_iops: throttle(&b.write_iops),
        device_requests: (!t.device_requests.is_empty()).then(|| {
            t.device_requests
                .iter()
                .map(|r| DeviceRequest {
                    driver: r.driver.clone(),
                    count: r.count,
                    device_ids: some_vec(&r.device_ids),
                    capabilities: (!r.capabilities.is_empty())
                        .then(|| vec![r.capabilities.clone()]),
                    options: map(&r.options),
                })
                .collect()
        }),
        links: some_vec(&t.links),
        volumes_from: some_vec(&t.volumes_from),
        masked_paths: t.unconfined_paths.then(Vec::new),
        readonly_paths: t.unconfined_paths.then(Vec::new),
        ..Default::default()
    })
}

impl Engine {
    /// Create `network` unless a network of that name exists; true when it was created.
    pub async fn ensure_network(&self, network: &NetworkSpec) -> Result<bool, EngineError> {
        let name = &network.name;
        if self.network_exists(name).await? {
            return Ok(false);
        }
        let map = |m: &std::collections::BTreeMap<String, String>| {
            (!m.is_empty()).then(|| m.clone().into_iter().collect())
        };
        let request = NetworkCreateRequest {
            name: name.clone(),
            driver: Some(network.driver.clone().unwrap_or_else(|| "bridge".into())),
            internal: Some(network.internal),
            attachable: network.attachable.then_some(true),
            enable_ipv4: network.enable_ipv4,
            enable_ipv6: network.enable_ipv6,
            options: map(&network.driver_opts),
            ipam: network.ipam.as_ref().map(|ipam| Ipam {
                driver: ipam.driver.clone(),
                config: Some(
                    ipam.pools
                        .iter()
                        .map(|p| IpamConfig {
                            subnet: p.subnet.clone(),
                            ip_range: p.ip_range.clone(),
                            gateway: p.gateway.clone(),
                            auxiliary_addresses: map(&p.aux_addresses),
                        })
                        .collect(),
                ),
                options: map(&ipam.options),
            }),
            labels: Some(network.labels.clone().into_iter().collect()),
            ..Default::default()
        };
        let what = format!("creation of network {name}");
        self.call(&what, self.docker.create_network(request))
            .await?;
        Ok(true)
    }

    pub async fn network_exists(&self, name: &str) -> Result<bool, EngineError> {
        let what = format!("inspect of network {name}");
        match self
            .call(&what, self.docker.inspect_network(name, None))
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::Api { message, .. }) if is_not_found(&message) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create `volume` unless a volume of that name exists; true when it was created.
    pub async fn ensure_volume(&self, volume: &VolumeSpec) -> Result<bool, EngineError> {
        let name = &volume.name;
        if self.volume_exists(name).await? {
            return Ok(false);
        }
        let request = VolumeCreateRequest {
            name: Some(name.clone()),
            driver: volume.driver.clone(),
            driver_opts: (!volume.driver_opts.is_empty())
                .then(|| volume.driver_opts.clone().into_iter().collect()),
            labels: Some(volume.labels.clone().into_iter().collect()),
            ..Default::default()
        };
        let what = format!("creation of volume {name}");
        self.call(&what, self.docker.create_volume(request)).await?;
        Ok(true)
    }

    pub async fn volume_exists(&self, name: &str) -> Result<bool, EngineError> {
        let what = format!("inspect of volume {name}");
        match self.call(&what, self.docker.inspect_volume(name)).await {
            Ok(_) => Ok(true),
            Err(EngineError::Api { message, .. }) if is_not_found(&message) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `image` is present on the engine.
    pub async fn image_present(&self, image: &str) -> Result<bool, EngineError> {
        let what = format!("inspect of image {image}");
        match self.call(&what, self.docker.inspect_image(image)).await {
            Ok(_) => Ok(true),
            Err(EngineError::Api { message, .. }) if is_not_found(&message) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The registry digests (`RepoDigests`) of `image`: `None` when the image is not there,
    /// an empty list when it never came from a registry (built or loaded here).
    pub async fn image_repo_digests(
        &self,
        image: &str,
    ) -> Result<Option<Vec<String>>, EngineError> {
        let what = format!("inspect of image {image}");
        match self.call(&what, self.docker.inspect_image(image)).await {
            Ok(inspect) => Ok(Some(inspect.repo_digests.unwrap_or_default())),
            Err(EngineError::Api { message, .. }) if is_not_found(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// When `image` was last tagged on the engine (pulled, built or tagged): `None` when the
    /// image is not there, `Some(None)` when the engine does not say.
    pub async fn image_tagged_at(
        &self,
        image: &str,
    ) -> Result<Option<Option<std::time::SystemTime>>, EngineError> {
        let what = format!("inspect of image {image}");
        match self.call(&what, self.docker.inspect_image(image)).await {
            Ok(inspect) => Ok(Some(
                inspect
                    .metadata
                    .and_then(|m| m.last_tag_time)
                    .and_then(|t| humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).ok())
                    .filter(|t| *t > std::time::UNIX_EPOCH),
            )),
            Err(EngineError::Api { message, .. }) if is_not_found(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Create (not start) a container from `spec`, joined to all its networks; returns its ID.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let what = format!("creation of container {}", spec.name);
        let body = create_body(spec).map_err(|message| EngineError::Api {
            what: what.clone(),
            message,
        })?;
        self.create_from_body(spec, body).await
    }

    /// Create a container from `body` (made from `spec`), then join `spec`'s other networks.
    pub(super) async fn create_from_body(
        &self,
        spec: &ContainerSpec,
        mut body: ContainerCreateBody,
    ) -> Result<String, EngineError> {
        let what = format!("creation of container {}", spec.name);
        // Engines before API 1.44 (Docker 24, Podman 4) do not know start_interval.
        if !self.api_at_least(1, 44)
            && let Some(health) = body.healthcheck.as_mut()
        {
            health.start_interval = None;
        }
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            platform: spec.host.platform.clone().unwrap_or_default(),
        };
        let created = self
            .call(&what, self.docker.create_container(Some(options), body))
            .await?;
        for network in spec.networks.iter().skip(1) {
            let request = NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: Some(endpoint(spec, network)),
            };
            let what = format!("connection of {} to network {}", spec.name, network.name);
            self.call(&what, self.docker.connect_network(&network.name, request))
                .await?;
        }
        for file in &spec.files {
            self.write_file(&created.id, &spec.name, file).await?;
        }
        Ok(created.id)
    }

    /// Write a secret or config into a created container through the archive API, as
    /// Compose does before the container starts. Errors name the path, never the value.
    async fn write_file(&self, id: &str, name: &str, file: &FileSpec) -> Result<(), EngineError> {
        let what = format!("writing {} into container {name}", file.target);
        let tar = file_tar(file).map_err(|message| EngineError::Api {
            what: what.clone(),
            message,
        })?;
        let options = UploadToContainerOptions {
            path: "/".into(),
            // The tar's owner applies only when asked; otherwise the container's root owns it.
            copy_uidgid: (file.uid.is_some() || file.gid.is_some()).then(|| "true".into()),
            ..Default::default()
        };
        let body = bollard::body_full(tar.into());
        self.call(
            &what,
            self.docker.upload_to_container(id, Some(options), body),
        )
        .await
    }

    pub async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        let what = format!("start of container {}", super::containers::short_id(id));
        self.call(&what, self.docker.start_container(id, None))
            .await
    }

    /// Run `command` inside the running container and wait for it, within `limit`.
    pub async fn exec(
        &self,
        id: &str,
        command: &[String],
        limit: Duration,
    ) -> Result<ExecOutcome, EngineError> {
        let mut output = Vec::new();
        let exit_code = self
            .exec_streaming(id, command, limit, |bytes| {
                let room = MAX_EXEC_OUTPUT.saturating_sub(output.len());
                output.extend_from_slice(&bytes[..bytes.len().min(room)]);
            })
            .await?;
        Ok(ExecOutcome {
            exit_code,
            output: String::from_utf8_lossy(&output).into_owned(),
        })
    }

    /// Run `command` inside the running container within `limit`, handing its output
    /// (stdout and stderr as they arrive) to `output`; returns its exit code.
    pub async fn exec_streaming(
        &self,
        id: &str,
        command: &[String],
        limit: Duration,
        mut output: impl FnMut(&[u8]),
    ) -> Result<i64, EngineError> {
        let config = ExecConfig {
            cmd: Some(command.to_vec()),
            ..Default::default()
        };
        self.exec_config(id, config, limit, &mut output).await
    }

    /// Run the exec `config` (attached to stdout and stderr) within `limit`; its exit code.
    pub(super) async fn exec_config(
        &self,
        id: &str,
        config: ExecConfig,
        limit: Duration,
        output: &mut impl FnMut(&[u8]),
    ) -> Result<i64, EngineError> {
        let what = format!("command in container {}", super::containers::short_id(id));
        let run = async {
            let config = ExecConfig {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..config
            };
            let exec = self.docker.create_exec(id, config).await?;
            let options = StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            };
            if let StartExecResults::Attached {
                output: mut stream, ..
            } = self.docker.start_exec(&exec.id, Some(options)).await?
            {
                while let Some(chunk) = stream.next().await {
                    output(&chunk?.into_bytes());
                }
            }
            let inspect = self.docker.inspect_exec(&exec.id).await?;
            Ok(inspect.exit_code.unwrap_or(-1))
        };
        self.call_within(&what, limit, run).await
    }

    /// The last `lines` lines the container logged (stdout and stderr).
    pub async fn logs_tail(&self, id: &str, lines: usize) -> Result<Vec<String>, EngineError> {
        let what = format!("logs of container {}", super::containers::short_id(id));
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: lines.to_string(),
            ..Default::default()
        };
        let collect = async {
            let mut stream = self.docker.logs(id, Some(options));
            let mut text = String::new();
            while let Some(chunk) = stream.next().await {
                let chunk: LogOutput = chunk?;
                text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            }
            Ok(text)
        };
        let text = self.call(&what, collect).await?;
        Ok(text.lines().map(str::to_string).collect())
    }
}

/// A tar of one file at `file.target` (relative to /) with its owner and mode.
fn file_tar(file: &FileSpec) -> Result<Vec<u8>, String> {
    let mut header = tar::Header::new_gnu();
    header
        .set_path(file.target.trim_start_matches('/'))
        .map_err(|e| format!("the path {} cannot go in an archive: {e}", file.target))?;
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(file.content.len() as u64);
    header.set_mode(file.mode);
    header.set_uid(u64::from(file.uid.unwrap_or(0)));
    header.set_gid(u64::from(file.gid.unwrap_or(0)));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    header.set_mtime(now);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append(&header, file.content.as_slice())
        .and_then(|()| builder.into_inner())
        .map_err(|e| format!("cannot write the archive for {}: {e}", file.target))
}

fn is_not_found(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("no such") || m.contains("not found")
}

/// The spec's mounts as the engine takes them. A bind whose host path the engine must create
/// (Compose's short syntax) or that is relabelled for SELinux goes as a `Binds` entry
/// (`source:target:options`), as Compose sends it: only that form creates a missing path and
/// takes `z`/`Z`. A `tmpfs:` entry with options goes in `Tmpfs` with its options as written.
/// Everything else goes through the Mounts API.
fn mounts(specs: &[MountSpec]) -> (Vec<String>, HashMap<String, String>, Vec<Mount>) {
    let mut binds = Vec::new();
    let mut tmpfs = HashMap::new();
    let mut mounts = Vec::new();
    for m in specs {
        let relabel = m.bind_options.iter().any(|o| o == "z" || o == "Z");
        if m.kind == MountKind::Bind && (m.create_host_path || relabel) {
            if let Some(source) = &m.source {
                let mut options = vec![if m.read_only { "ro" } else { "rw" }.to_string()];
                options.extend(m.bind_options.iter().cloned());
                binds.push(format!("{source}:{}:{}", m.target, options.join(",")));
                continue;
            }
        }
        if let (MountKind::Tmpfs, Some(options)) = (m.kind, &m.tmpfs_options) {
            tmpfs.insert(m.target.clone(), options.clone());
            continue;
        }
        let propagation = m
            .bind_options
            .iter()
            .find(|o| !(o.as_str() == "z" || o.as_str() == "Z"))
            .and_then(|p| propagation(p));
        mounts.push(Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            typ: Some(match m.kind {
                MountKind::Volume => MountType::VOLUME,
                MountKind::Bind => MountType::BIND,
                MountKind::Tmpfs => MountType::TMPFS,
                MountKind::Image => MountType::IMAGE,
            }),
            read_only: Some(m.read_only),
            bind_options: propagation.map(|p| MountBindOptions {
                propagation: Some(p),
                ..Default::default()
            }),
            volume_options: (m.kind == MountKind::Volume && (m.nocopy || m.subpath.is_some()))
                .then(|| MountVolumeOptions {
                    no_copy: m.nocopy.then_some(true),
                    subpath: m.subpath.clone(),
                    ..Default::default()
                }),
            tmpfs_options: (m.kind == MountKind::Tmpfs
                && (m.tmpfs_size.is_some() || m.tmpfs_mode.is_some()))
            .then(|| MountTmpfsOptions {
                size_bytes: m.tmpfs_size,
                mode: m.tmpfs_mode.map(i64::from),
                ..Default::default()
            }),
            image_options: (m.kind == MountKind::Image && m.subpath.is_some()).then(|| {
                MountImageOptions {
                    subpath: m.subpath.clone(),
                }
            }),
            ..Default::default()
        });
    }
    (binds, tmpfs, mounts)
}

fn propagation(mode: &str) -> Option<MountBindOptionsPropagationEnum> {
    use MountBindOptionsPropagationEnum as P;
    Some(match mode {
        "private" => P::PRIVATE,
        "rprivate" => P::RPRIVATE,
        "shared" => P::SHARED,
        "rshared" => P::RSHARED,
        "slave" => P::SLAVE,
        "rslave" => P::RSLAVE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{HealthSpec, MountSpec, NetworkAttachment, PortSpec};

    #[test]
    fn restart_policies() {
        let p = restart_policy("on-failure:3").unwrap();
        assert_eq!(p.name, Some(RestartPolicyNameEnum::ON_FAILURE));
        assert_eq!(p.maximum_retry_count, Some(3));
        assert_eq!(
            restart_policy("unless-stopped").unwrap().name,
            Some(RestartPolicyNameEnum::UNLESS_STOPPED)
        );
        assert!(restart_policy("sometimes").is_err());
        assert!(restart_policy("on-failure:x").is_err());
    }

    #[test]
    fn the_create_request_carries_the_spec() {
        let spec = ContainerSpec {
            name: "p-web-1".into(),
            image: "busybox".into(),
            command: Some(vec!["sleep".into(), "9".into()]),
            env: vec!["A=1".into()],
            ports: vec![
                PortSpec {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(8080),
                    host_port_end: None,
                    container_port: 80,
                    protocol: "tcp".into(),
                },
                PortSpec {
                    host_ip: None,
                    host_port: Some(8000),
                    host_port_end: Some(8010),
                    container_port: 80,
                    protocol: "tcp".into(),
                },
            ],
            mounts: vec![MountSpec {
                kind: MountKind::Volume,
                source: Some("p_data".into()),
                target: "/data".into(),
                read_only: true,
                ..MountSpec::default()
            }],
            networks: vec![
                NetworkAttachment {
                    name: "p_default".into(),
                    aliases: vec!["web".into()],
                    ..NetworkAttachment::default()
                },
                NetworkAttachment {
                    name: "p_back".into(),
                    aliases: vec!["web".into()],
                    ..NetworkAttachment::default()
                },
            ],
            healthcheck: Some(HealthSpec {
                test: vec!["CMD".into(), "true".into()],
                interval: Some(Duration::from_secs(2)),
                timeout: None,
                start_period: None,
                start_interval: None,
                retries: Some(3),
            }),
            restart: Some("always".into()),
            ..ContainerSpec::default()
        };
        let body = create_body(&spec).unwrap();
        let host = body.host_config.as_ref().unwrap();
        let bindings = host.port_bindings.as_ref().unwrap()["80/tcp"]
            .as_ref()
            .unwrap();
        assert_eq!(bindings.len(), 2);
        assert_eq!(bindings[0].host_port.as_deref(), Some("8080"));
        assert_eq!(bindings[1].host_port.as_deref(), Some("8000-8010"));
        assert_eq!(body.exposed_ports, Some(vec!["80/tcp".to_string()]));
        assert_eq!(host.network_mode.as_deref(), Some("p_default"));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(endpoints.len(), 1, "one network at create time");
        assert_eq!(
            endpoints["p_default"].aliases,
            Some(vec!["web".to_string()])
        );
        let health = body.healthcheck.unwrap();
        assert_eq!(health.interval, Some(2_000_000_000));
        assert_eq!(health.retries, Some(3));
        let mount = &host.mounts.as_ref().unwrap()[0];
        assert_eq!(mount.typ, Some(MountType::VOLUME));
        assert_eq!(mount.read_only, Some(true));
    }

    #[test]
    fn image_volume_and_tmpfs_options_reach_the_mounts_api() {
        let specs = [
            MountSpec {
                kind: MountKind::Image,
                source: Some("models:1".into()),
                target: "/models".into(),
                subpath: Some("v2".into()),
                ..MountSpec::default()
            },
            MountSpec {
                kind: MountKind::Volume,
                source: Some("p_data".into()),
                target: "/data".into(),
                nocopy: true,
                ..MountSpec::default()
            },
            MountSpec {
                kind: MountKind::Tmpfs,
                target: "/cache".into(),
                tmpfs_size: Some(1024),
                tmpfs_mode: Some(0o1770),
                ..MountSpec::default()
            },
            MountSpec {
                kind: MountKind::Tmpfs,
                target: "/run".into(),
                tmpfs_options: Some("size=64m,uid=1000".into()),
                ..MountSpec::default()
            },
        ];
        let (binds, tmpfs, mounts) = mounts(&specs);
        assert!(binds.is_empty());
        assert_eq!(tmpfs["/run"], "size=64m,uid=1000");
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].typ, Some(MountType::IMAGE));
        assert_eq!(
            mounts[0].image_options.as_ref().unwrap().subpath.as_deref(),
            Some("v2")
        );
        assert_eq!(
            mounts[1].volume_options.as_ref().unwrap().no_copy,
            Some(true)
        );
        let t = mounts[2].tmpfs_options.as_ref().unwrap();
        assert_eq!((t.size_bytes, t.mode), (Some(1024), Some(0o1770)));
    }
}
