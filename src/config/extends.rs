//! `extends`: a service built on another one, in the same file or in another file, the way
//! compose-go's `loader/extends.go` does it.
//!
//! - `extends: NAME` or `extends: {service: NAME, file: PATH}`; `PATH` is relative to the
//!   file that holds the `extends`.
//! - The base is resolved first (chains follow), then the service is merged on top of it with
//!   the rules of a later `-f` file (`merge.rs`). The base service itself is not added to
//!   the project when it comes from another file.
//! - A base from another file is read and interpolated as a compose file of its own (it need
//!   not be a valid project: a fragment with a `services:` section is enough); its relative
//!   paths (`build`, `env_file`, bind sources, `label_file`) are made absolute from that
//!   file's folder, so they still point where their author meant.
//! - Only services of the same file are bases: an `extends` never reaches into an earlier
//!   `-f` file (as in compose-go).
//! - A cycle is an error that names the chain (`a -> b -> a`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use super::ConfigError;
use super::{merge, normalize_path as normalize};

/// Chains longer than this are refused (a cycle is reported before, this bounds the work).
const MAX_DEPTH: usize = 64;

/// Reads another compose file for its services: parsed, merge keys resolved, interpolated.
pub type LoadFile<'a> = dyn FnMut(&Path) -> Result<Value, ConfigError> + 'a;

/// Resolve every `extends` in `doc`, the document of `file`; `load` reads the other files
/// bases come from.
pub fn apply(doc: &mut Value, file: &Path, load: &mut LoadFile<'_>) -> Result<(), ConfigError> {
    let Some(services) = doc.get("services").and_then(Value::as_mapping) else {
        return Ok(());
    };
    if !services
        .values()
        .any(|s| s.get("extends").is_some_and(|e| !e.is_null()))
    {
        return Ok(());
    }
    let names: Vec<String> = services
        .keys()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    let mut resolver = Resolver {
        load,
        files: BTreeMap::new(),
        done: BTreeMap::new(),
    };
    resolver.files.insert(file.to_path_buf(), services.clone());
    let mut resolved = Vec::new();
    for name in names {
        let service = resolver.resolve(file, &name, &mut Vec::new())?;
        resolved.push((name, service));
    }
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for (name, service) in resolved {
            services.insert(Value::String(name), service);
        }
    }
    Ok(())
}

struct Resolver<'a, 'b> {
    load: &'a mut LoadFile<'b>,
    /// The `services` of every file read so far.
    files: BTreeMap<PathBuf, Mapping>,
    /// Services already resolved, by file and name.
    done: BTreeMap<(PathBuf, String), Value>,
}

impl Resolver<'_, '_> {
    /// Service `name` of `file` with its `extends` applied; `chain` is the path that led here.
    fn resolve(
        &mut self,
        file: &Path,
        name: &str,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Value, ConfigError> {
        let key = (file.to_path_buf(), name.to_string());
        if let Some(done) = self.done.get(&key) {
            return Ok(done.clone());
        }
        if chain.contains(&key) || chain.len() > MAX_DEPTH {
            chain.push(key);
            return Err(invalid(
                file,
                name,
                format!("extends forms a cycle: {}", shown_chain(chain)),
            ));
        }
        let service = self.files[file]
            .get(name)
            .cloned()
            .unwrap_or(Value::Mapping(Mapping::new()));
        let Some(extends) = service.get("extends").filter(|e| !e.is_null()).cloned() else {
            self.done.insert(key, service.clone());
            return Ok(service);
        };
        let (base_name, base_file) = target(&extends, file, name)?;
        chain.push(key.clone());
        let base = match base_file {
            None => {
                if !self.files[file].contains_key(base_name.as_str()) {
                    return Err(invalid(
                        file,
                        name,
                        format!("extends service `{base_name}`, which is not in this file"),
                    ));
                }
                self.resolve(file, &base_name, chain)?
            }
            Some(path) => {
                self.read(&path, file, name)?;
                if !self.files[&path].contains_key(base_name.as_str()) {
                    return Err(invalid(
                        file,
                        name,
                        format!(
                            "extends service `{base_name}`, which is not in {}",
                            path.display()
                        ),
                    ));
                }
                let base = self.resolve(&path, &base_name, chain)?;
                let dir = path.parent().unwrap_or(Path::new("/"));
                if Some(dir) == file.parent() {
                    base
                } else {
                    absolute_paths(base, dir)
                }
            }
        };
        chain.pop();
        if base.is_null() {
            // An empty base leaves the service as it is, `extends` and all (as in compose-go),
            // with its file made absolute as Compose prints it.
            let kept = with_absolute_file(service, file);
            self.done.insert(key, kept.clone());
            return Ok(kept);
        }
        let mut own = service;
        if let Value::Mapping(m) = &mut own {
            m.remove("extends");
        }
        let mut merged =
            merge_service(base, own).map_err(|e| invalid(file, name, e.to_string()))?;
        if let Value::Mapping(m) = &mut merged {
            m.remove("extends"); // a base kept with its own `extends` (its base was empty)
        }
        self.done.insert(key, merged.clone());
        Ok(merged)
    }

    /// Read `path` (a base file named by service `name` of `from`) once.
    fn read(&mut self, path: &Path, from: &Path, name: &str) -> Result<(), ConfigError> {
        if self.files.contains_key(path) {
            return Ok(());
        }
        let doc = (self.load)(path)?;
        let services = match doc.get("services") {
            Some(Value::Mapping(m)) => m.clone(),
            _ => {
                return Err(invalid(
                    from,
                    name,
                    format!(
                        "extends a service of {}, which has no services",
                        path.display()
                    ),
                ));
            }
        };
        self.files.insert(path.to_path_buf(), services);
        Ok(())
    }
}

/// `service` with the `file` of its `extends` joined to the folder of `file`, the file that
/// holds it.
fn with_absolute_file(mut service: Value, file: &Path) -> Value {
    let dir = file.parent().unwrap_or(Path::new("/"));
    if let Some(Value::Mapping(extends)) = service.get_mut("extends")
        && let Some(Value::String(path)) = extends.get_mut("file")
    {
        *path = normalize(&dir.join(&*path)).display().to_string();
    }
    service
}

/// What `extends` names: the service, and the file when it is another one.
fn target(
    extends: &Value,
    file: &Path,
    name: &str,
) -> Result<(String, Option<PathBuf>), ConfigError> {
    match extends {
        Value::String(s) if !s.is_empty() => Ok((s.clone(), None)),
        Value::Mapping(m) => {
            let service = m
                .get("service")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(file, name, "extends.service is required".into()))?;
            let other = match m.get("file") {
                None | Some(Value::Null) => None,
                Some(Value::String(f)) => {
                    let dir = file.parent().unwrap_or(Path::new("."));
                    let path = normalize(&dir.join(f));
                    (path != normalize(file)).then_some(path)
                }
                Some(_) => {
                    return Err(invalid(file, name, "extends.file must be a path".into()));
                }
            };
            // Other keys are ignored: Compose resolves `extends` (and drops it) before the
            // schema sees the file.
            Ok((service.to_string(), other))
        }
        _ => Err(invalid(
            file,
            name,
            "extends must be a service name or {service, file}".into(),
        )),
    }
}

/// The service `overlay` on top of `base`, with the rules of a later `-f` file.
fn merge_service(base: Value, overlay: Value) -> Result<Value, merge::MergeError> {
    let wrap = |service: Value| {
        let mut services = Mapping::new();
        services.insert(Value::String("x".into()), service);
        let mut doc = Mapping::new();
        doc.insert(Value::String("services".into()), Value::Mapping(services));
        Value::Mapping(doc)
    };
    let merged = merge::merge_documents(wrap(base), wrap(overlay))?;
    Ok(merged
        .get("services")
        .and_then(|s| s.get("x"))
        .cloned()
        .unwrap_or(Value::Mapping(Mapping::new())))
}

/// A base service from another folder, with its relative paths made absolute from `dir`.
pub(super) fn absolute_paths(mut service: Value, dir: &Path) -> Value {
    let join = |p: &str| -> Option<String> {
        let relative = !(p.starts_with('/') || p.starts_with('~') || is_remote(p));
        relative.then(|| dir.join(p).display().to_string())
    };
    let Value::Mapping(m) = &mut service else {
        return service;
    };
    // build: a context path, or {context, ...}.
    match m.get_mut("build") {
        Some(Value::String(context)) => {
            if let Some(abs) = join(context) {
                *context = abs;
            }
        }
        Some(Value::Mapping(build)) => {
            let context = build
                .get("context")
                .and_then(Value::as_str)
                .unwrap_or(".")
                .to_string();
            if let Some(abs) = join(&context) {
                build.insert(Value::String("context".into()), Value::String(abs));
            }
        }
        _ => {}
    }
    // env_file and label_file: a path, a list of paths, or {path, required}.
    for key in ["env_file", "label_file"] {
        match m.get_mut(key) {
            Some(Value::String(p)) => {
                if let Some(abs) = join(p) {
                    *p = abs;
                }
            }
            Some(Value::Sequence(items)) => {
                for item in items {
                    match item {
                        Value::String(p) => {
                            if let Some(abs) = join(p) {
                                *p = abs;
                            }
                        }
                        Value::Mapping(long) => {
                            if let Some(Value::String(p)) = long.get_mut("path") {
                                if let Some(abs) = join(p) {
                                    *p = abs;
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // volumes: `./src:/dst[:mode]` and {type: bind, source}.
    if let Some(Value::Sequence(items)) = m.get_mut("volumes") {
        for item in items {
            match item {
                Value::String(spec) if spec.starts_with('.') => {
                    if let Some((source, rest)) = spec.split_once(':') {
                        if let Some(abs) = join(source) {
                            *spec = format!("{abs}:{rest}");
                        }
                    }
                }
                Value::Mapping(long) => {
                    let bind = long.get("type").and_then(Value::as_str) == Some("bind");
                    if let (true, Some(Value::String(source))) = (bind, long.get_mut("source")) {
                        if let Some(abs) = join(source) {
                            *source = abs;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    service
}

/// A build context Compose fetches rather than reads from disk.
fn is_remote(path: &str) -> bool {
    path.contains("://") || path.starts_with("git@") || path.starts_with("github.com/")
}

fn shown_chain(chain: &[(PathBuf, String)]) -> String {
    let first_file = chain.first().map(|(f, _)| f.clone());
    chain
        .iter()
        .map(|(f, s)| {
            if Some(f) == first_file.as_ref() {
                s.clone()
            } else {
                format!("{s} ({})", f.display())
            }
        })
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn invalid(file: &Path, service: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: file.display().to_string(),
        key: format!("services.{service}.extends"),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        crate::config::yaml::parse(text).unwrap()
    }

    fn resolve(main: &str, others: &[(&str, &str)]) -> Result<Value, ConfigError> {
        let mut doc = yaml(main);
        let files: BTreeMap<PathBuf, Value> = others
            .iter()
            .map(|(p, t)| (PathBuf::from(p), yaml(t)))
            .collect();
        let mut load = |p: &Path| {
            files.get(p).cloned().ok_or_else(|| ConfigError::Read {
                path: p.to_path_buf(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
        };
        apply(&mut doc, Path::new("/p/compose.yaml"), &mut load)?;
        Ok(doc)
    }

    fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["services"][name]
    }

    #[test]
    fn a_service_extends_one_in_the_same_file_and_chains_follow() {
        let doc = resolve(
            "services:\n  base:\n    image: busybox\n    environment: {A: '1', B: '1'}\n    command: [sleep, '1']\n  mid:\n    extends: base\n    environment: {B: '2'}\n  web:\n    extends: {service: mid}\n    command: [sleep, '2']\n",
            &[],
        )
        .unwrap();
        let web = service(&doc, "web");
        assert_eq!(web["image"], "busybox");
        assert_eq!(web["environment"]["A"], "1");
        assert_eq!(web["environment"]["B"], "2");
        assert_eq!(web["command"], yaml("[sleep, '2']"));
        assert!(web.get("extends").is_none());
        // The base stays a service of its own file.
        assert_eq!(service(&doc, "base")["image"], "busybox");
    }

    #[test]
    fn a_base_from_another_folder_keeps_its_paths_pointing_there() {
        let doc = resolve(
            "services:\n  web:\n    extends: {file: ../common/services.yaml, service: app}\n    ports: ['80:80']\n",
            &[(
                "/common/services.yaml",
                "services:\n  app:\n    build: ./app\n    env_file: [app.env, {path: /etc/x.env}]\n    volumes: ['./data:/data', 'named:/n', {type: bind, source: ./conf, target: /c}]\n    ports: ['81:81']\n",
            )],
        )
        .unwrap();
        let web = service(&doc, "web");
        assert_eq!(web["build"], "/common/./app");
        assert_eq!(web["env_file"][0], "/common/app.env");
        assert_eq!(web["env_file"][1]["path"], "/etc/x.env");
        assert_eq!(web["volumes"][0], "/common/./data:/data");
        assert_eq!(web["volumes"][1], "named:/n");
        assert_eq!(web["volumes"][2]["source"], "/common/./conf");
        assert_eq!(web["ports"].as_sequence().unwrap().len(), 2);
        // Only the extending service is added.
        assert!(doc["services"].get("app").is_none());
    }

    #[test]
    fn an_empty_base_leaves_the_service_as_it_is_extends_and_all() {
        let doc = resolve(
            "services:\n  web:\n    image: x\n    extends: {file: ./common.yaml, service: empty}\n  api:\n    image: y\n    extends: {file: common.yaml, service: mid}\n",
            &[(
                "/p/common.yaml",
                "services:\n  empty:\n  mid:\n    extends: empty\n    command: [run]\n",
            )],
        )
        .unwrap();
        let web = service(&doc, "web");
        assert_eq!(web["image"], "x");
        assert_eq!(web["extends"]["file"], "/p/common.yaml");
        assert_eq!(web["extends"]["service"], "empty");
        // A base kept that way is merged as usual, and its own `extends` goes.
        let api = service(&doc, "api");
        assert_eq!(api["command"], yaml("[run]"));
        assert!(api.get("extends").is_none());
    }

    #[test]
    fn a_cycle_names_its_chain() {
        let err = resolve(
            "services:\n  a:\n    extends: b\n  b:\n    extends: c\n  c:\n    extends: a\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a -> b -> c -> a"), "{err}");
        assert!(err.contains("services.a.extends"), "{err}");
        let err = resolve(
            "services:\n  a:\n    extends: {file: other.yaml, service: b}\n",
            &[(
                "/p/other.yaml",
                "services:\n  b:\n    extends: {file: compose.yaml, service: a}\n",
            )],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("a -> b (/p/other.yaml) -> a"), "{err}");
    }

    #[test]
    fn a_missing_base_is_an_error_naming_the_key() {
        let err = resolve("services:\n  a:\n    extends: nope\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("services.a.extends") && err.contains("`nope`"),
            "{err}"
        );
        let err = resolve(
            "services:\n  a:\n    extends: {file: gone.yaml, service: b}\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("gone.yaml"), "{err}");
        let err = resolve("services:\n  a:\n    extends: {file: x.yaml}\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("extends.service is required"), "{err}");
    }

    #[test]
    fn other_keys_of_extends_are_ignored() {
        let doc = resolve(
            "services:\n  base:\n    image: x\n  a:\n    extends: {service: base, note: kept for humans}\n",
            &[],
        )
        .unwrap();
        assert_eq!(service(&doc, "a")["image"], "x");
        assert!(service(&doc, "a").get("extends").is_none());
    }
}
