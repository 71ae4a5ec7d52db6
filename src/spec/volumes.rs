//! `volumes` and `tmpfs`: the container's mounts.

use std::path::PathBuf;

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::service::{Cx, boolean, normalize};
use super::{MountKind, MountSpec};

/// Bind propagation modes the engine knows.
const PROPAGATIONS: &[&str] = &[
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];

impl Cx<'_> {
    pub(super) fn volumes(&mut self) -> Result<Vec<MountSpec>, ConfigError> {
        let items = match self.get("volumes") {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => return Err(self.invalid("volumes", "must be a list")),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = format!("volumes[{i}]");
            let mount = match item {
                Value::Mapping(m) => self.long_volume(&key, m)?,
                v => {
                    let text = scalar_text(v).ok_or_else(|| {
                        self.invalid(&key, "must be SOURCE:TARGET[:MODE] or a mapping")
                    })?;
                    self.short_volume(&key, &text)?
                }
            };
            out.push(mount);
        }
        Ok(out)
    }

    pub(super) fn short_volume(&mut self, key: &str, text: &str) -> Result<MountSpec, ConfigError> {
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [target] => (None, *target, None),
            [source, target] => (Some(*source), *target, None),
            [source, target, mode] => (Some(*source), *target, Some(*mode)),
            _ => {
                return Err(self.invalid(key, "must be [SOURCE:]TARGET[:MODE]"));
            }
        };
        if !target.starts_with('/') {
            return Err(self.invalid(key, "the container path must be absolute"));
        }
        let (kind, source) = match source {
            None => (MountKind::Volume, None),
            Some("") => return Err(self.invalid(key, "the source is empty")),
            Some(s) if is_path(s) => (MountKind::Bind, Some(self.host_path(key, s)?)),
            Some(s) => (MountKind::Volume, Some(self.volume_name(key, s)?)),
        };
        let mut read_only = false;
        let mut nocopy = false;
        let mut bind_options = Vec::new();
        for option in mode.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
            match option {
                "ro" => read_only = true,
                "rw" => read_only = false,
                "z" | "Z" if kind == MountKind::Bind => bind_options.push(option.to_string()),
                p if kind == MountKind::Bind && PROPAGATIONS.contains(&p) => {
                    bind_options.push(p.to_string());
                }
                // Docker's own short-syntax flag for named volumes: do not copy the image's
                // files into a new volume. Compose passes it on; the Mounts API has it too.
                "nocopy" if kind == MountKind::Volume => nocopy = true,
                other => self.warnings.push(format!(
                    "{}.{key}: volume option `{other}` is not supported by phi start-all and is ignored",
                    self.prefix
                )),
            }
        }
        Ok(MountSpec {
            kind,
            source,
            target: target.to_string(),
            read_only,
            // The engine creates a missing host path for a short-syntax bind, as it does for
            // `docker run -v`; Compose relies on it.
            create_host_path: kind == MountKind::Bind,
            bind_options,
            nocopy,
            ..MountSpec::default()
        })
    }

    pub(super) fn long_volume(&mut self, key: &str, m: &Mapping) -> Result<MountSpec, ConfigError> {
        let field = |f: &str| m.get(f).filter(|v| !v.is_null());
        for k in m.keys() {
            let k = k.as_str().unwrap_or("?");
            match k {
                "type" | "source" | "target" | "read_only" | "bind" | "volume" | "tmpfs"
                | "image" => {}
                // macOS Docker Desktop only; the engine ignores it on Linux, as Compose does.
                "consistency" => {}
                _ => return Err(self.invalid(&format!("{key}.{k}"), "is not a volume setting")),
            }
        }
        let kind = match field("type").and_then(scalar_text).as_deref() {
            Some("volume") => MountKind::Volume,
            Some("bind") => MountKind::Bind,
            Some("tmpfs") => MountKind::Tmpfs,
            Some("image") => MountKind::Image,
            Some(other @ ("npipe" | "cluster")) => {
                return Err(self.invalid(
                    &format!("{key}.type"),
                    format!(
                        "`{other}` is not available on a Linux engine ({})",
                        if other == "npipe" {
                            "a Windows named pipe"
                        } else {
                            "a Swarm cluster volume"
                        }
                    ),
                ));
            }
            _ => {
                return Err(self.invalid(
                    &format!("{key}.type"),
                    "must be volume, bind, tmpfs or image",
                ));
            }
        };
        let target = field("target")
            .and_then(scalar_text)
            .filter(|t| t.starts_with('/'))
            .ok_or_else(|| {
                self.invalid(
                    &format!("{key}.target"),
                    "is required: an absolute container path",
                )
            })?;
        let read_only = match field("read_only") {
            None => false,
            Some(v) => boolean(v).ok_or_else(|| {
                self.invalid(&format!("{key}.read_only"), "must be true or false")
            })?,
        };
        let source = match field("source") {
            None => None,
            Some(v) => Some(
                scalar_text(v)
                    .ok_or_else(|| self.invalid(&format!("{key}.source"), "must be a string"))?,
            )
            .filter(|s| !s.is_empty()),
        };
        let source_key = format!("{key}.source");
        let source = match (kind, source) {
            (MountKind::Volume, None) => None,
            (MountKind::Volume, Some(s)) => Some(self.volume_name(&source_key, &s)?),
            (MountKind::Bind, None) => {
                return Err(self.invalid(&source_key, "is required for a bind mount"));
            }
            (MountKind::Bind, Some(s)) => Some(self.host_path(&source_key, &s)?),
            (MountKind::Image, None) => {
                return Err(self.invalid(&source_key, "is required: the image to mount"));
            }
            (MountKind::Image, Some(s)) => Some(s),
            (MountKind::Tmpfs, _) => None,
        };
        let mut mount = self.kind_options(key, kind, m)?;
        let (create_host_path, bind_options) = match (kind, field("bind")) {
            (MountKind::Bind, Some(bind)) => self.bind_settings(&format!("{key}.bind"), bind)?,
            (_, Some(_)) => {
                self.warnings.push(format!(
                    "{}.{key}.bind applies only to type: bind and is ignored",
                    self.prefix
                ));
                (false, Vec::new())
            }
            (_, None) => (false, Vec::new()),
        };
        mount.kind = kind;
        mount.source = source;
        mount.target = target;
        mount.read_only = read_only;
        mount.create_host_path = create_host_path;
        mount.bind_options = bind_options;
        Ok(mount)
    }

    /// The `volume:` (`nocopy`, `subpath`), `tmpfs:` (`size`, `mode`) and `image:`
    /// (`subpath`) blocks of a long-syntax entry; a block for another type is warned about
    /// and ignored, as Compose does.
    fn kind_options(
        &mut self,
        key: &str,
        kind: MountKind,
        m: &Mapping,
    ) -> Result<MountSpec, ConfigError> {
        let mut mount = MountSpec::default();
        for (block, own) in [
            ("volume", MountKind::Volume),
            ("tmpfs", MountKind::Tmpfs),
            ("image", MountKind::Image),
        ] {
            let Some(value) = m.get(block).filter(|v| !v.is_null()) else {
                continue;
            };
            let path = format!("{key}.{block}");
            if kind != own {
                self.warnings.push(format!(
                    "{}.{path} applies only to type: {block} and is ignored",
                    self.prefix
                ));
                continue;
            }
            let options = value
                .as_mapping()
                .ok_or_else(|| self.invalid(&path, "must be a mapping"))?;
            for (k, v) in options {
                let k = k.as_str().unwrap_or("?");
                let at = format!("{path}.{k}");
                match (block, k) {
                    ("volume", "nocopy") => {
                        mount.nocopy =
                            boolean(v).ok_or_else(|| self.invalid(&at, "must be true or false"))?;
                    }
                    ("volume" | "image", "subpath") => {
                        let sub = scalar_text(v)
                            .filter(|s| !s.starts_with('/') && !s.split('/').any(|p| p == ".."))
                            .ok_or_else(|| {
                                self.invalid(&at, "must be a relative path without `..`")
                            })?;
                        mount.subpath = Some(sub).filter(|s| !s.is_empty());
                    }
                    ("tmpfs", "size") => {
                        mount.tmpfs_size = Some(super::runtime::bytes(v).ok_or_else(|| {
                            self.invalid(&at, "must be a number of bytes or a size such as 64m")
                        })?);
                    }
                    ("tmpfs", "mode") => {
                        mount.tmpfs_mode = Some(super::files::file_mode(v).ok_or_else(|| {
                            self.invalid(&at, "must be a file mode such as 1777")
                        })?);
                    }
                    // Compose's model has no volume-options labels to send either.
                    ("volume", "labels") => self.warnings.push(format!(
                        "{}.{at} is not sent to the engine by Compose either and is ignored",
                        self.prefix
                    )),
                    _ if k.starts_with("x-") => {}
                    _ => return Err(self.invalid(&at, format!("is not a {block} setting"))),
                }
            }
        }
        Ok(mount)
    }

    /// A long-syntax `bind:` block: `create_host_path` (default false, as in Compose: a
    /// missing source is then the engine's error), `selinux` (`z` or `Z`) and `propagation`.
    fn bind_settings(
        &mut self,
        key: &str,
        bind: &Value,
    ) -> Result<(bool, Vec<String>), ConfigError> {
        let Some(m) = bind.as_mapping() else {
            return Err(self.invalid(key, "must be a mapping"));
        };
        let mut create = false;
        let mut options = Vec::new();
        for (k, v) in m {
            let k = k.as_str().unwrap_or("?");
            let path = format!("{key}.{k}");
            match k {
                "create_host_path" => {
                    create =
                        boolean(v).ok_or_else(|| self.invalid(&path, "must be true or false"))?;
                }
                "selinux" => match scalar_text(v).as_deref() {
                    Some(o @ ("z" | "Z")) => options.push(o.to_string()),
                    _ => return Err(self.invalid(&path, "must be z or Z")),
                },
                "propagation" => match scalar_text(v) {
                    Some(p) if PROPAGATIONS.contains(&p.as_str()) => options.push(p),
                    _ => {
                        return Err(self.invalid(
                            &path,
                            "must be one of private, rprivate, shared, rshared, slave, rslave",
                        ));
                    }
                },
                _ => self.warnings.push(format!(
                    "{}.{path} is not supported by phi start-all and is ignored",
                    self.prefix
                )),
            }
        }
        Ok((create, options))
    }

    /// A bind source as an absolute host path: `~` is the user's home, relative paths are
    /// taken from the project directory.
    pub(super) fn host_path(&self, key: &str, source: &str) -> Result<String, ConfigError> {
        let path = if source == "~" || source.starts_with("~/") {
            let home = self
                .project
                .env
                .raw("HOME")
                .map(|v| PathBuf::from(&v.value))
                .ok_or_else(|| self.invalid(key, "uses ~ but HOME is not set"))?;
            home.join(source.trim_start_matches('~').trim_start_matches('/'))
        } else {
            self.project.directory.join(source)
        };
        Ok(normalize(&path).display().to_string())
    }

    /// The engine name of named volume `name`, which must be declared at the top level.
    pub(super) fn volume_name(&self, key: &str, name: &str) -> Result<String, ConfigError> {
        let declared = self
            .project
            .model
            .raw
            .get("volumes")
            .and_then(Value::as_mapping)
            .is_some_and(|m| m.contains_key(name));
        if !declared {
            return Err(self.invalid(
                key,
                "refers to a named volume that is not declared under the top-level `volumes`",
            ));
        }
        self.engine_name("volumes", name)
    }

    pub(super) fn tmpfs(&self) -> Result<Vec<MountSpec>, ConfigError> {
        let paths = match self.get("tmpfs") {
            None => Vec::new(),
            Some(Value::Sequence(_)) => self.string_list("tmpfs")?,
            Some(v) => {
                vec![
                    scalar_text(v)
                        .ok_or_else(|| self.invalid("tmpfs", "must be a path or a list"))?,
                ]
            }
        };
        paths
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let (target, options) = match p.split_once(':') {
                    Some((target, options)) => (target.to_string(), Some(options.to_string())),
                    None => (p.clone(), None),
                };
                if !target.starts_with('/') {
                    let key = if self.get("tmpfs").is_some_and(Value::is_sequence) {
                        format!("tmpfs[{i}]")
                    } else {
                        "tmpfs".to_string()
                    };
                    return Err(self.invalid(&key, "must be an absolute container path"));
                }
                Ok(MountSpec {
                    kind: MountKind::Tmpfs,
                    target,
                    tmpfs_options: options.filter(|o| !o.is_empty()),
                    ..MountSpec::default()
                })
            })
            .collect()
    }
}

/// A short volume source that is a host path rather than a volume name.
pub(super) fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}
