//! The objects of the Compose schema that take no keys but their own
//! (`additionalProperties: false`), below the top level and the service itself (those two
//! are checked where they are read): a long volume with `content:`, a port with `bogus:`,
//! a network with a misspelt `ipam` key are refused as Compose refuses them. Measured on
//! Compose v2.40.3's schema; `x-*` keys are allowed where it allows them.

use serde_norway::Value;

use super::{ConfigError, Cx, order, scalar};

/// One closed object: where it is (dotted; `*` any name, `[]` any list item, `a|b` either
/// name), its keys, and whether `x-*` extensions are allowed in it.
struct Closed {
    at: &'static str,
    keys: &'static [&'static str],
    extensions: bool,
}

const fn closed(at: &'static str, keys: &'static [&'static str]) -> Closed {
    Closed {
        at,
        keys,
        extensions: true,
    }
}

const fn strict(at: &'static str, keys: &'static [&'static str]) -> Closed {
    Closed {
        at,
        keys,
        extensions: false,
    }
}

const FILE_REFERENCE: &[&str] = &["gid", "mode", "source", "target", "uid"];
const ULIMIT: &[&str] = &["hard", "soft"];
const HOOK: &[&str] = &[
    "command",
    "environment",
    "privileged",
    "user",
    "working_dir",
];
const EXTERNAL: &[&str] = &["name"];

const CLOSED: &[Closed] = &[
    strict(
        "services.*.blkio_config",
        &[
            "device_read_bps",
            "device_read_iops",
            "device_write_bps",
            "device_write_iops",
            "weight",
            "weight_device",
        ],
    ),
    strict(
        "services.*.blkio_config.device_read_bps|device_read_iops|device_write_bps|device_write_iops.[]",
        &["path", "rate"],
    ),
    strict(
        "services.*.blkio_config.weight_device.[]",
        &["path", "weight"],
    ),
    closed(
        "services.*.build",
        &[
            "additional_contexts",
            "args",
            "cache_from",
            "cache_to",
            "context",
            "dockerfile",
            "dockerfile_inline",
            "entitlements",
            "extra_hosts",
            "isolation",
            "labels",
            "network",
            "no_cache",
            "platforms",
            "privileged",
            "provenance",
            "pull",
            "sbom",
            "secrets",
            "shm_size",
            "ssh",
            "tags",
            "target",
            "ulimits",
        ],
    ),
    closed("services.*.build.secrets.[]", FILE_REFERENCE),
    closed("services.*.build.ulimits.*", ULIMIT),
    closed("services.*.secrets|configs.[]", FILE_REFERENCE),
    closed("services.*.ulimits.*", ULIMIT),
    closed(
        "services.*.credential_spec",
        &["config", "file", "registry"],
    ),
    closed(
        "services.*.depends_on.*",
        &["condition", "required", "restart"],
    ),
    closed(
        "services.*.deploy",
        &[
            "endpoint_mode",
            "labels",
            "mode",
            "placement",
            "replicas",
            "resources",
            "restart_policy",
            "rollback_config",
            "update_config",
        ],
    ),
    closed(
        "services.*.deploy.rollback_config|update_config",
        &[
            "delay",
            "failure_action",
            "max_failure_ratio",
            "monitor",
            "order",
            "parallelism",
        ],
    ),
    closed("services.*.deploy.resources", &["limits", "reservations"]),
    closed(
        "services.*.deploy.resources.limits",
        &["cpus", "memory", "pids"],
    ),
    closed(
        "services.*.deploy.resources.reservations",
        &["cpus", "devices", "generic_resources", "memory"],
    ),
    closed(
        "services.*.deploy.resources.reservations.devices.[]",
        &["capabilities", "count", "device_ids", "driver", "options"],
    ),
    closed(
        "services.*.deploy.resources.reservations.generic_resources.[]",
        &["discrete_resource_spec"],
    ),
    closed(
        "services.*.deploy.resources.reservations.generic_resources.[].discrete_resource_spec",
        &["kind", "value"],
    ),
    closed(
        "services.*.deploy.restart_policy",
        &["condition", "delay", "max_attempts", "window"],
    ),
    closed(
        "services.*.deploy.placement",
        &["constraints", "max_replicas_per_node", "preferences"],
    ),
    closed("services.*.deploy.placement.preferences.[]", &["spread"]),
    closed("services.*.develop", &["watch"]),
    closed(
        "services.*.develop.watch.[]",
        &[
            "action",
            "exec",
            "ignore",
            "include",
            "initial_sync",
            "path",
            "target",
        ],
    ),
    closed("services.*.develop.watch.[].exec", HOOK),
    closed("services.*.post_start|pre_stop.[]", HOOK),
    closed(
        "services.*.devices.[]",
        &["permissions", "source", "target"],
    ),
    strict("services.*.env_file.[]", &["format", "path", "required"]),
    closed("services.*.provider", &["options", "type"]),
    closed(
        "services.*.healthcheck",
        &[
            "disable",
            "interval",
            "retries",
            "start_interval",
            "start_period",
            "test",
            "timeout",
        ],
    ),
    closed("services.*.logging", &["driver", "options"]),
    closed("services.*.models.*", &["endpoint_var", "model_var"]),
    closed("services.*.networks.*", order::SERVICE_NETWORK),
    closed(
        "services.*.ports.[]",
        &[
            "app_protocol",
            "host_ip",
            "mode",
            "name",
            "protocol",
            "published",
            "target",
        ],
    ),
    closed(
        "services.*.volumes.[]",
        &[
            "bind",
            "consistency",
            "image",
            "read_only",
            "source",
            "target",
            "tmpfs",
            "type",
            "volume",
        ],
    ),
    closed(
        "services.*.volumes.[].bind",
        &["create_host_path", "propagation", "recursive", "selinux"],
    ),
    closed(
        "services.*.volumes.[].volume",
        &["labels", "nocopy", "subpath"],
    ),
    closed("services.*.volumes.[].tmpfs", &["mode", "size"]),
    closed("services.*.volumes.[].image", &["subpath"]),
    closed(
        "networks.*",
        &[
            "attachable",
            "driver",
            "driver_opts",
            "enable_ipv4",
            "enable_ipv6",
            "external",
            "internal",
            "ipam",
            "labels",
            "name",
        ],
    ),
    closed("networks.*.ipam", &["config", "driver", "options"]),
    closed(
        "networks.*.ipam.config.[]",
        &["aux_addresses", "gateway", "ip_range", "subnet"],
    ),
    closed("networks.*.external", EXTERNAL),
    closed(
        "volumes.*",
        &["driver", "driver_opts", "external", "labels", "name"],
    ),
    closed("volumes.*.external", EXTERNAL),
    closed(
        "secrets.*",
        &[
            "driver",
            "driver_opts",
            "environment",
            "external",
            "file",
            "labels",
            "name",
            "template_driver",
        ],
    ),
    closed(
        "configs.*",
        &[
            "content",
            "environment",
            "external",
            "file",
            "labels",
            "name",
            "template_driver",
        ],
    ),
    closed(
        "models.*",
        &["context_size", "model", "name", "runtime_flags"],
    ),
];

/// The deepest path in [`CLOSED`]: nothing below it needs a look.
const DEEPEST: usize = 8;

impl Cx<'_> {
    /// Refuse a key that a closed object of the schema does not take, anywhere in the
    /// document (every service, printed or not, as Compose validates the whole file).
    pub(super) fn check_closed_objects(&self) -> Result<(), ConfigError> {
        walk(self.raw(), &mut Vec::new()).map_err(|(at, keys)| {
            self.invalid(&at, format!("additional properties {keys} not allowed"))
        })
    }
}

/// Where a key is not allowed: the dotted path, and the keys quoted (`'a', 'b'`).
type Refusal = (String, String);

fn walk(value: &Value, path: &mut Vec<String>) -> Result<(), Refusal> {
    match value {
        Value::Mapping(map) => {
            if let Some(rule) = CLOSED.iter().find(|r| matches(r.at, path)) {
                let unknown: Vec<String> = map
                    .keys()
                    .filter_map(scalar::text_or_null)
                    .filter(|k| {
                        !(rule.keys.contains(&k.as_str()) || rule.extensions && k.starts_with("x-"))
                    })
                    .map(|k| format!("'{k}'"))
                    .collect();
                if !unknown.is_empty() {
                    return Err((dotted(path), unknown.join(", ")));
                }
            }
            if path.len() >= DEEPEST {
                return Ok(());
            }
            for (key, child) in map {
                let Some(key) = scalar::text_or_null(key) else {
                    continue;
                };
                if key.starts_with("x-") {
                    continue;
                }
                path.push(key);
                walk(child, path)?;
                path.pop();
            }
        }
        Value::Sequence(items) if path.len() < DEEPEST => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk(item, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether `path` (names, and list indexes as `[i]`) is the place `pattern` names.
fn matches(pattern: &str, path: &[String]) -> bool {
    pattern.split('.').count() == path.len()
        && pattern.split('.').zip(path).all(|(p, k)| match p {
            "*" => !k.starts_with('['),
            "[]" => k.starts_with('['),
            names => names.split('|').any(|name| name == k),
        })
}

/// `services.a.volumes[0]` for the path `services`, `a`, `volumes`, `[0]`.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for part in path {
        if !out.is_empty() && !part.starts_with('[') {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<(), Refusal> {
        let value: Value = serde_norway::from_str(yaml).unwrap();
        walk(&value, &mut Vec::new())
    }

    #[test]
    fn keys_a_closed_object_does_not_take_are_refused_with_their_place() {
        let err = check(
            "services:\n  a:\n    volumes:\n      - {type: bind, source: ., target: /x, content: hi, isDirectory: true}\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            (
                "services.a.volumes[0]".to_string(),
                "'content', 'isDirectory'".to_string()
            )
        );
        let err = check("networks:\n  n:\n    ipam:\n      config: [{subnett: x}]\n").unwrap_err();
        assert_eq!(err.0, "networks.n.ipam.config[0]");
        let err = check("services:\n  a:\n    secrets: [{source: s, type: env}]\n").unwrap_err();
        assert_eq!(err, ("services.a.secrets[0]".into(), "'type'".into()));
    }

    #[test]
    fn extensions_open_maps_and_short_forms_pass() {
        assert!(
            check(
                "services:\n  a:\n    volumes: ['./a:/a', {type: volume, source: v, target: /v, x-note: 1}]\n    \
                 labels: {anything: goes}\n    networks: [n]\n    deploy: {labels: {free: form}}\n    \
                 build: .\nnetworks:\n  n: {external: true, x-n: 1}\nx-top: {volumes: [{bogus: 1}]}\n"
            )
            .is_ok()
        );
        // Where the schema allows no extensions, an `x-` key is refused too.
        let err = check("services:\n  a:\n    env_file: [{path: a.env, x-note: 1}]\n").unwrap_err();
        assert_eq!(err, ("services.a.env_file[0]".into(), "'x-note'".into()));
    }

    #[test]
    fn patterns_tell_names_from_list_items() {
        let path = |p: &str| p.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(matches(
            "services.*.ports.[]",
            &path("services web ports [2]")
        ));
        assert!(!matches(
            "services.*.ports.[]",
            &path("services web ports p")
        ));
        assert!(matches(
            "services.*.secrets|configs.[]",
            &path("services web configs [0]")
        ));
        assert!(!matches("networks.*", &path("networks [0]")));
        assert!(!matches("networks.*", &path("networks n ipam")));
    }
}
