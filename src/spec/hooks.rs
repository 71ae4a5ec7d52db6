//! Compose's lifecycle hooks: `post_start` and `pre_stop` (Compose 2.30: a command exec'd in
//! the service's container) and `pre_start` (Compose 5.3: a one-shot container run before
//! the service's containers start). As docker/compose runs them (pkg/compose/hook.go,
//! pre_start.go), and as compose-go reads them (types/hooks.go, schema `service_hook` and
//! `pre_start_hook`):
//!
//! - `command`: a list, or a string split into words as `command:` is (no shell); required
//!   for post_start and pre_stop, optional for pre_start (the image's own command);
//! - `user`, `working_dir`: unset means the container's own (exec) or the image's
//!   (pre_start);
//! - `environment`: a list or a mapping; a key without a value is sent as it is, which
//!   unsets the variable (Compose does not look it up);
//! - `image` and `per_replica` (pre_start only): the image, else the service's; only
//!   `per_replica: false` is supported, as in Compose.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_norway::{Mapping, Value};

use super::service::{Cx, boolean, key_values};
use super::{ContainerSpec, HostSettings, LABEL_PROJECT, LABEL_SERVICE, NetworkAttachment};
use crate::config::compose::{HOOK_KEYS, PRE_START_HOOK_KEYS};
use crate::config::{ConfigError, Project, scalar_text};

/// The label Compose puts on a pre_start hook's container, with the hook's kind as value.
pub const LABEL_HOOK: &str = "com.docker.compose.hook";

/// One hook, translated.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HookSpec {
    /// The command and its arguments; `None` (pre_start only): the image's own.
    pub command: Option<Vec<String>>,
    /// pre_start: the image its container runs (its own `image`, else the service's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub user: Option<String>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    /// post_start and pre_stop: the hook's `environment`, `KEY=VALUE`, or `KEY` alone (the
    /// engine then unsets it), over the container's. pre_start: its container's whole
    /// environment, the service's with the hook's over it, sorted.
    pub env: Vec<String>,
}

impl HookSpec {
    /// The command as a person reads it: its words joined by spaces.
    pub fn shown(&self) -> String {
        match &self.command {
            Some(words) => words.join(" "),
            None => "(the image's command)".into(),
        }
    }
}

/// A service's hooks, in the order each list declares them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hooks {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_start: Vec<HookSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<HookSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<HookSpec>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.pre_start.is_empty() && self.post_start.is_empty() && self.pre_stop.is_empty()
    }
}

/// The hooks of `service` in `project` (stop-all reads its pre_stop hooks this way).
pub fn service_hooks(project: &Project, service: &str) -> Result<Hooks, ConfigError> {
    let empty = Mapping::new();
    let map = project
        .model
        .services
        .get(service)
        .and_then(|s| s.raw.as_mapping())
        .unwrap_or(&empty);
    let cx = Cx {
        project,
        origin: super::service::origin_of(project),
        prefix: format!("services.{service}"),
        service,
        map,
        warnings: Vec::new(),
    };
    let image = cx
        .string("image")?
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| format!("{}-{service}", project.name));
    // Only a pre_start container needs the service's environment (and its env files).
    let env = if map.contains_key("pre_start") {
        cx.environment()?
    } else {
        Vec::new()
    };
    cx.hooks(&image, &env)
}

/// The one-shot container of pre_start `hook` of `service`, whose first container is
/// `service_spec`: the hook's image, command, user, working directory, environment and
/// privileges, the service's networks (without its aliases: it is not the service) or its
/// `network_mode`, and the labels Compose gives it (project, service, hook). Its volumes come
/// from the service's container when it is created (`volumes_from`); the engine names it.
pub fn pre_start_container(
    service_spec: &ContainerSpec,
    hook: &HookSpec,
    project: &str,
    service: &str,
) -> ContainerSpec {
    let labels = [
        (LABEL_PROJECT, project),
        (LABEL_SERVICE, service),
        (LABEL_HOOK, "pre_start"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    ContainerSpec {
        image: hook
            .image
            .clone()
            .unwrap_or_else(|| service_spec.image.clone()),
        command: hook.command.clone(),
        env: hook.env.clone(),
        labels,
        networks: service_spec
            .networks
            .iter()
            .map(|n| NetworkAttachment {
                name: n.name.clone(),
                // No aliases or fixed addresses: the service's own container holds them.
                ..NetworkAttachment::default()
            })
            .collect(),
        user: hook.user.clone(),
        working_dir: hook.working_dir.clone(),
        host: HostSettings {
            network_mode: service_spec.host.network_mode.clone(),
            privileged: hook.privileged,
            ..HostSettings::default()
        },
        ..ContainerSpec::default()
    }
}

impl Cx<'_> {
    /// The service's hooks; `image` and `env` are the service container's (pre_start
    /// containers start from them).
    pub(super) fn hooks(&self, image: &str, env: &[String]) -> Result<Hooks, ConfigError> {
        let mut hooks = Hooks::default();
        for (key, list) in [
            ("post_start", &mut hooks.post_start),
            ("pre_stop", &mut hooks.pre_stop),
        ] {
            for (at, entry) in self.hook_entries(key, HOOK_KEYS)? {
                let command = self.hook_command(entry, &at)?;
                if command.as_ref().is_none_or(Vec::is_empty) {
                    return Err(self.invalid(&format!("{at}.command"), "is required (a command)"));
                }
                list.push(HookSpec {
                    command,
                    env: self
                        .hook_environment(entry, &at)?
                        .into_iter()
                        .map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => k,
                        })
                        .collect(),
                    ..self.hook_common(entry, &at)?
                });
            }
        }
        for (at, entry) in self.hook_entries("pre_start", PRE_START_HOOK_KEYS)? {
            if let Some(v) = entry.get("per_replica").filter(|v| !v.is_null()) {
                match boolean(v) {
                    Some(false) => {}
                    Some(true) => {
                        return Err(self.invalid(
                            &format!("{at}.per_replica"),
                            "`true` is not supported (nor by Compose yet): a pre_start hook runs \
                             once for the service",
                        ));
                    }
                    None => {
                        return Err(
                            self.invalid(&format!("{at}.per_replica"), "must be true or false")
                        );
                    }
                }
            }
            let mut vars: BTreeMap<String, String> = env
                .iter()
                .filter_map(|e| e.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            for (k, v) in self.hook_environment(entry, &at)? {
                match v {
                    Some(v) => vars.insert(k, v),
                    None => vars.remove(&k),
                };
            }
            let own_image = match entry.get("image").filter(|v| !v.is_null()) {
                None => None,
                Some(v) => Some(
                    scalar_text(v)
                        .filter(|i| !i.is_empty())
                        .ok_or_else(|| self.invalid(&format!("{at}.image"), "must be an image"))?,
                ),
            };
            hooks.pre_start.push(HookSpec {
                command: self.hook_command(entry, &at)?.filter(|c| !c.is_empty()),
                image: Some(own_image.unwrap_or_else(|| image.to_string())),
                env: vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
                ..self.hook_common(entry, &at)?
            });
        }
        Ok(hooks)
    }

    /// The entries of the list under `key`, each with its key path; unknown keys refused.
    fn hook_entries(
        &self,
        key: &str,
        known: &[&str],
    ) -> Result<Vec<(String, &Mapping)>, ConfigError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(_) => {
                return Err(self.invalid(key, "must be a list of hooks ({command: ...})"));
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(entry) = item.as_mapping() else {
                return Err(self.invalid(
                    &at,
                    "must be a mapping with `command` (and user, privileged, working_dir, \
                     environment)",
                ));
            };
            for k in entry.keys() {
                let k = scalar_text(k).unwrap_or_default();
                if !(k.starts_with("x-") || known.contains(&k.as_str())) {
                    return Err(self.invalid(
                        &format!("{at}.{k}"),
                        format!("is not a key of a hook (known: {})", known.join(", ")),
                    ));
                }
            }
            out.push((at, entry));
        }
        Ok(out)
    }

    /// `command`: a list of words, or a string split into words like `command:`.
    fn hook_command(&self, entry: &Mapping, at: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let key = format!("{at}.command");
        match entry.get("command") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Sequence(words)) => words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    scalar_text(w)
                        .ok_or_else(|| self.invalid(&format!("{key}[{i}]"), "must be a string"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => {
                let line = scalar_text(v)
                    .ok_or_else(|| self.invalid(&key, "must be a string or a list of strings"))?;
                crate::config::shell::split(&line)
                    .map(Some)
                    .map_err(|message| self.invalid(&key, message))
            }
        }
    }

    /// `environment`: entries in the order written (a mapping's in its order).
    fn hook_environment(
        &self,
        entry: &Mapping,
        at: &str,
    ) -> Result<Vec<(String, Option<String>)>, ConfigError> {
        match entry.get("environment") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(v) => key_values(v, &format!("{at}.environment"), |p, m| self.invalid(p, m)),
        }
    }

    /// `user`, `privileged`, `working_dir`.
    fn hook_common(&self, entry: &Mapping, at: &str) -> Result<HookSpec, ConfigError> {
        let text = |key: &str| -> Result<Option<String>, ConfigError> {
            match entry.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => scalar_text(v)
                    .map(Some)
                    .ok_or_else(|| self.invalid(&format!("{at}.{key}"), "must be a string")),
            }
        };
        let privileged = match entry.get("privileged") {
            None | Some(Value::Null) => false,
            Some(v) => boolean(v).ok_or_else(|| {
                self.invalid(&format!("{at}.privileged"), "must be true or false")
            })?,
        };
        Ok(HookSpec {
            user: text("user")?.filter(|u| !u.is_empty()),
            working_dir: text("working_dir")?.filter(|w| !w.is_empty()),
            privileged,
            ..HookSpec::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::Env;
    use crate::exit::Exit;
    use crate::redact::Redactor;

    fn project(yaml: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, yaml).unwrap();
        let env = Env::load(Vec::new(), &[], dir.path(), Redactor::new()).unwrap();
        let project = crate::testing::load_project("demo", dir.path(), file, env);
        (dir, project)
    }

    fn hooks(body: &str) -> Result<Hooks, ConfigError> {
        let yaml = format!(
            "services:\n  web:\n    image: app:1\n    environment: {{A: '1', B: '2'}}\n{body}"
        );
        let (_dir, project) = project(&yaml);
        service_hooks(&project, "web")
    }

    #[test]
    fn exec_hooks_take_every_field() {
        let h = hooks(
            "    post_start:\n      - command: echo \"a b\" c\n        user: root\n        \
             privileged: true\n        working_dir: /srv\n        environment: [X=1, Y]\n    \
             pre_stop:\n      - command: [sh, -c, 'echo bye > /data/bye']\n        \
             environment: {Z: '3'}\n",
        )
        .unwrap();
        assert_eq!(h.post_start.len(), 1);
        let post = &h.post_start[0];
        assert_eq!(
            post.command,
            Some(vec!["echo".into(), "a b".into(), "c".into()])
        );
        assert_eq!(post.user.as_deref(), Some("root"));
        assert!(post.privileged);
        assert_eq!(post.working_dir.as_deref(), Some("/srv"));
        // A bare key is sent as it is: the engine unsets it, as with Compose.
        assert_eq!(post.env, ["X=1", "Y"]);
        assert_eq!(post.image, None);
        let stop = &h.pre_stop[0];
        assert_eq!(stop.command.as_ref().unwrap()[2], "echo bye > /data/bye");
        assert_eq!(stop.env, ["Z=3"]);
        assert!(!stop.privileged && stop.user.is_none());
        assert!(h.pre_start.is_empty());
    }

    #[test]
    fn pre_start_runs_the_service_image_and_environment_unless_told_otherwise() {
        let h = hooks(
            "    pre_start:\n      - command: [migrate]\n        environment: [B=9, A]\n      \
             - image: tools:2\n        per_replica: false\n",
        )
        .unwrap();
        let first = &h.pre_start[0];
        assert_eq!(first.image.as_deref(), Some("app:1"));
        assert_eq!(
            first.env,
            ["B=9"],
            "the hook's over the service's; a bare key unsets"
        );
        let second = &h.pre_start[1];
        assert_eq!(second.image.as_deref(), Some("tools:2"));
        assert_eq!(second.command, None, "the image's own command");
        assert_eq!(second.env, ["A=1", "B=2"]);
    }

    #[test]
    fn hooks_are_part_of_the_config_hash() {
        let yaml = |cmd: &str| {
            format!(
                "services:\n  web:\n    image: app:1\n    post_start:\n      - command: {cmd}\n"
            )
        };
        let hash = |yaml: &str| {
            let (_dir, project) = project(yaml);
            let (spec, _) = super::super::container_spec(&project, "web", 1).unwrap();
            spec.labels[super::super::LABEL_CONFIG_HASH].clone()
        };
        assert_ne!(hash(&yaml("echo a")), hash(&yaml("echo b")));
        let none = hash("services:\n  web:\n    image: app:1\n");
        assert_ne!(none, hash(&yaml("echo a")));
    }

    #[test]
    fn bad_hooks_name_the_file_and_the_key() {
        let cases = [
            ("    post_start: echo hi\n", "services.web.post_start"),
            ("    post_start: [echo hi]\n", "services.web.post_start[0]"),
            (
                "    pre_stop:\n      - user: root\n",
                "services.web.pre_stop[0].command",
            ),
            (
                "    post_start:\n      - command: []\n",
                "services.web.post_start[0].command",
            ),
            (
                "    post_start:\n      - command: echo\n        image: x\n",
                "services.web.post_start[0].image",
            ),
            (
                "    post_start:\n      - command: echo\n        privileged: maybe\n",
                "services.web.post_start[0].privileged",
            ),
            (
                "    post_start:\n      - command: \"echo 'open\"\n",
                "services.web.post_start[0].command",
            ),
            (
                "    post_start:\n      - command: [echo, {a: b}]\n",
                "services.web.post_start[0].command[1]",
            ),
            (
                "    pre_stop:\n      - command: x\n        environment: 3\n",
                "services.web.pre_stop[0].environment",
            ),
            (
                "    pre_start:\n      - per_replica: true\n",
                "services.web.pre_start[0].per_replica",
            ),
            (
                "    pre_start:\n      - image: ''\n",
                "services.web.pre_start[0].image",
            ),
        ];
        for (body, key) in cases {
            let err = hooks(body).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(key) && text.contains("compose.yaml"),
                "{body}: {text}"
            );
            assert_eq!(err.exit(), Exit::Usage, "{body}");
        }
    }
}
