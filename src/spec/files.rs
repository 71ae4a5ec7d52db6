//! `secrets` and `configs`: what Compose puts in the container from the top-level
//! definitions. A `file:` source is bind-mounted read-only; an `environment:` or `content:`
//! source is written into the container before it starts ([`FileSpec`]), with the reference's
//! `uid`, `gid` and `mode`. Swarm-only forms (`external`, `driver`, `template_driver`) are
//! refused, as Compose refuses them. Values never appear in errors or warnings.

use serde_norway::{Mapping, Value};

use crate::config::{ConfigError, scalar_text};

use super::service::{Cx, SECRETS_DIR, boolean};
use super::{FileSpec, MountKind, MountSpec, sha256_hex};

/// Compose's mode for a written secret or config.
const DEFAULT_MODE: u32 = 0o444;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Secrets,
    Configs,
}

impl Section {
    fn key(self) -> &'static str {
        match self {
            Section::Secrets => "secrets",
            Section::Configs => "configs",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Section::Secrets => "secret",
            Section::Configs => "config",
        }
    }

    /// Where a target without a leading `/` goes: under /run/secrets for secrets, under /
    /// for configs.
    fn target(self, source: &str, target: Option<String>) -> String {
        let relative = match target {
            Some(t) if t.starts_with('/') => return t,
            Some(t) => t,
            None => source.to_string(),
        };
        match self {
            Section::Secrets => format!("{SECRETS_DIR}/{relative}"),
            Section::Configs => format!("/{relative}"),
        }
    }
}

/// One service-level reference: `- name` or `{source, target, uid, gid, mode}`.
struct Reference {
    source: String,
    target: Option<String>,
    uid: Option<u32>,
    gid: Option<u32>,
    mode: Option<u32>,
}

/// Where a top-level secret or config takes its value from.
enum Origin {
    File(String),
    Value(String),
}

impl Cx<'_> {
    /// The binds and the written files of the service's `secrets` and `configs`.
    pub(super) fn file_refs(&mut self) -> Result<(Vec<MountSpec>, Vec<FileSpec>), ConfigError> {
        let mut mounts = Vec::new();
        let mut files = Vec::new();
        for section in [Section::Secrets, Section::Configs] {
            let items = match self.get(section.key()) {
                None => continue,
                Some(Value::Sequence(items)) => items,
                Some(_) => return Err(self.invalid(section.key(), "must be a list")),
            };
            for (i, item) in items.iter().enumerate() {
                let key = format!("{}[{i}]", section.key());
                let reference = self.reference(section, &key, item)?;
                let target = section.target(&reference.source, reference.target.clone());
                match self.origin_of(section, &key, &reference.source)? {
                    Origin::File(path) => {
                        if reference.uid.is_some()
                            || reference.gid.is_some()
                            || reference.mode.is_some()
                        {
                            self.warnings.push(format!(
                                "{}.{key}: uid, gid and mode do not apply to a {} from a file \
                                 (it is bind-mounted as it is, as Compose does) and are ignored",
                                self.prefix,
                                section.noun()
                            ));
                        }
                        let file_key = format!("{}.{}.file", section.key(), reference.source);
                        mounts.push(MountSpec {
                            kind: MountKind::Bind,
                            source: Some(self.host_path(&file_key, &path)?),
                            target,
                            read_only: true,
                            ..MountSpec::default()
                        });
                    }
                    // Compose writes nothing for an empty value.
                    Origin::Value(value) if value.is_empty() => {}
                    Origin::Value(value) => {
                        if self.bool("read_only")? == Some(true) {
                            return Err(self.invalid(
                                &key,
                                format!(
                                    "cannot be written into a read-only container (read_only: \
                                     true): give {} `{}` a `file:` source",
                                    section.noun(),
                                    reference.source
                                ),
                            ));
                        }
                        let content = value.into_bytes();
                        // Compose writes owner 0 for the one not given when the other is.
                        let owned = reference.uid.is_some() || reference.gid.is_some();
                        files.push(FileSpec {
                            target,
                            uid: owned.then(|| reference.uid.unwrap_or(0)),
                            gid: owned.then(|| reference.gid.unwrap_or(0)),
                            mode: reference.mode.unwrap_or(DEFAULT_MODE),
                            digest: sha256_hex(&content),
                            content,
                        });
                    }
                }
            }
        }
        Ok((mounts, files))
    }

    fn reference(
        &self,
        section: Section,
        key: &str,
        item: &Value,
    ) -> Result<Reference, ConfigError> {
        let m = match item {
            Value::Mapping(m) => m,
            v => {
                let source = scalar_text(v).filter(|s| !s.is_empty()).ok_or_else(|| {
                    self.invalid(key, format!("must be a {} name", section.noun()))
                })?;
                return Ok(Reference {
                    source,
                    target: None,
                    uid: None,
                    gid: None,
                    mode: None,
                });
            }
        };
        for k in m.keys() {
            let k = k.as_str().unwrap_or("?");
            if !(["source", "target", "uid", "gid", "mode"].contains(&k) || k.starts_with("x-")) {
                return Err(self.invalid(
                    &format!("{key}.{k}"),
                    format!(
                        "is not a {} setting (source, target, uid, gid, mode)",
                        section.noun()
                    ),
                ));
            }
        }
        let text = |f: &str| -> Result<Option<String>, ConfigError> {
            m.get(f)
                .filter(|v| !v.is_null())
                .map(|v| {
                    scalar_text(v)
                        .ok_or_else(|| self.invalid(&format!("{key}.{f}"), "must be a string"))
                })
                .transpose()
        };
        let source = text("source")?.filter(|s| !s.is_empty()).ok_or_else(|| {
            self.invalid(
                &format!("{key}.source"),
                format!("is required: a {} name", section.noun()),
            )
        })?;
        let id = |f: &str| -> Result<Option<u32>, ConfigError> {
            text(f)?
                .map(|t| {
                    t.trim().parse::<u32>().map_err(|_| {
                        self.invalid(&format!("{key}.{f}"), "must be a numeric id such as 1000")
                    })
                })
                .transpose()
        };
        let mode = m
            .get("mode")
            .filter(|v| !v.is_null())
            .map(|v| {
                file_mode(v).ok_or_else(|| {
                    self.invalid(
                        &format!("{key}.mode"),
                        "must be a file mode: octal as a string or with a leading 0 (0440), or a number",
                    )
                })
            })
            .transpose()?;
        Ok(Reference {
            source,
            target: text("target")?.filter(|t| !t.is_empty()),
            uid: id("uid")?,
            gid: id("gid")?,
            mode,
        })
    }

    /// Where top-level `secrets.<name>` or `configs.<name>` takes its value from.
    fn origin_of(&self, section: Section, key: &str, name: &str) -> Result<Origin, ConfigError> {
        let Some(definition) = self.top_level(section.key(), name) else {
            return Err(self.invalid(
                key,
                format!(
                    "refers to a {} that is not declared under the top-level `{}`",
                    section.noun(),
                    section.key()
                ),
            ));
        };
        let top = |f: &str, message: String| ConfigError::Invalid {
            path: self.origin.clone(),
            key: format!("{}.{name}.{f}", section.key()),
            message,
        };
        let empty = Mapping::new();
        let m = definition.as_mapping().unwrap_or(&empty);
        let field = |f: &str| m.get(f).filter(|v| !v.is_null());
        if let Some(external) = field("external") {
            if boolean(external) != Some(false) {
                return Err(top(
                    "external",
                    format!(
                        "an external {} lives in a Swarm; Docker Compose refuses it too \
                         (\"unsupported external {}\"): use file, environment{}",
                        section.noun(),
                        section.noun(),
                        if section == Section::Configs {
                            " or content"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        for swarm in ["driver", "template_driver"] {
            if field(swarm).is_some() {
                return Err(top(
                    swarm,
                    format!(
                        "is a Swarm setting; Docker Compose does not support {}.*.{swarm} either",
                        section.key()
                    ),
                ));
            }
        }
        let text = |f: &str| -> Result<Option<String>, ConfigError> {
            field(f)
                .map(|v| scalar_text(v).ok_or_else(|| top(f, "must be a string".into())))
                .transpose()
        };
        if let Some(path) = text("file")? {
            return Ok(Origin::File(path));
        }
        if let Some(variable) = text("environment")? {
            return match self.project.env.secret(&variable) {
                Some(value) => Ok(Origin::Value(value)),
                None => Err(top(
                    "environment",
                    format!("names variable {variable}, which is not set"),
                )),
            };
        }
        // `content:` is a config's; the specification has none for secrets.
        if let Some(content) = text("content")?.filter(|_| section == Section::Configs) {
            return Ok(Origin::Value(content));
        }
        Err(top(
            "file",
            format!(
                "is required: a {} needs file, environment{} (used by services.{}.{key})",
                section.noun(),
                if section == Section::Configs {
                    " or content"
                } else {
                    ""
                },
                self.service
            ),
        ))
    }
}

/// A file mode as compose-go reads it: text is octal (`"0440"`, and an unquoted `0440`,
/// which YAML 1.2 leaves a string), a number is taken as it is (`0o440`, `288`).
pub(super) fn file_mode(value: &Value) -> Option<u32> {
    let mode = match value {
        Value::String(s) => u32::from_str_radix(s.trim(), 8).ok()?,
        Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    (mode <= 0o7777).then_some(mode)
}
