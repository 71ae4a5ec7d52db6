//! Merging several Compose files into one model, the way Docker Compose v2 does.
//!
//! The rules come from the Compose specification (`13-merge.md`) and from its
//! reference implementation, compose-go (`override/merge.go` for how two
//! values combine, `override/uncity.go` for which lists hold unique entries,
//! `loader/reset.go` for the `!reset` and `!override` tags). In short:
//!
//! * mappings merge key by key, recursively; a scalar in the later file
//!   replaces the earlier one; a list in the later file is appended;
//! * `null` in the later file keeps what the earlier file set (use `!reset`
//!   to remove a value);
//! * some service attributes have their own rule (see `Rule::child`):
//!   `command`, `entrypoint` and `healthcheck.test` are replaced; `KEY=VAL`
//!   attributes (`environment`, `labels`, ...) merge by key; `ports`,
//!   `volumes`, `secrets`, `configs`, `devices`, ... hold one entry per key
//!   (a later entry takes the place of an earlier one with the same key);
//! * `!reset` on a value in the later file removes the attribute, and
//!   `!override` replaces it wholesale instead of merging.
//!
//! Scalars are opaque: the documents may be merged before or after
//! interpolation. A scalar is only ever read to work out the identity of a
//! list entry (a port, a mount target, ...). Short and long syntaxes are only
//! converted when both files have the attribute and merging needs it; an
//! attribute that only one file has is copied as written.
//!
//! Errors name the attribute path (`services.web.environment`) and the kinds
//! of values involved, never a value: values may hold secrets.

use serde_norway::{Mapping, Sequence, Value};

/// A document, or a pair of documents, that cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A value that Compose requires to be a mapping (the document itself,
    /// `services`, one service, top-level `volumes`/`networks`/...) is not one.
    #[error("`{path}` must be a mapping, found {found}")]
    NotAMapping { path: String, found: &'static str },

    /// A value (or one entry of a list) has a type the attribute does not allow.
    #[error("`{path}` must be {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },

    /// The two files disagree on the shape of an attribute that has no rule
    /// for converting one shape into the other (e.g. a list then a mapping).
    #[error("cannot merge `{path}`: it is {base} in one file and {overlay} in the next")]
    Incompatible {
        path: String,
        base: &'static str,
        overlay: &'static str,
    },
}

impl MergeError {
    /// The attribute path the error is about, e.g. `services.web.environment`.
    pub fn path(&self) -> &str {
        match self {
            MergeError::NotAMapping { path, .. }
            | MergeError::WrongType { path, .. }
            | MergeError::Incompatible { path, .. } => path,
        }
    }
}

/// Merge `overlay` on top of `base` (both whole compose documents, already
/// parsed, before or after interpolation: scalars are treated opaquely).
/// Returns the merged document, which never holds a `!reset` or `!override`
/// tag. An empty document (`null`) counts as an empty mapping.
///
/// YAML merge keys (`<<: *anchor`) are not resolved here: [`super::yaml::parse`] reads
/// each document with them resolved, as Compose does while parsing.
pub fn merge_documents(base: Value, overlay: Value) -> Result<Value, MergeError> {
    // Tags only mean something in the later file; in the base they are
    // resolved like in a lone file (which is what compose-go does when it
    // merges the first file into an empty model).
    let base = match strip_tags(base) {
        Value::Null => Value::Mapping(Mapping::new()),
        other => other,
    };
    check_shape(ROOT, Rule::Root, &base)?;
    match merge_slot(ROOT, Rule::Root, Some(base), overlay)? {
        None | Some(Value::Null) => Ok(Value::Mapping(Mapping::new())),
        Some(merged) => Ok(merged),
    }
}

/// Remove any `!reset`/`!override` tags from a single document: in a lone
/// file `!reset` removes the key (or the list entry) it is on, and `!override`
/// just unwraps its value. Other tags are kept. A `!reset` on the document
/// itself gives `null`.
pub fn strip_tags(doc: Value) -> Value {
    strip(doc).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------
// Tags

/// The path of the document root; shown as "(top level)" in errors.
const ROOT: &str = "";

/// A value from the later file, with its merge tag (if any) taken off.
enum Tagged {
    /// `!reset`: drop the attribute.
    Reset,
    /// `!override`: take this value as is, without merging.
    Override(Value),
    /// No merge tag (other tags are left on the value).
    Plain(Value),
}

fn classify(value: Value) -> Tagged {
    match value {
        // `Tag` compares without the leading `!`.
        Value::Tagged(t) if t.tag == "reset" => Tagged::Reset,
        Value::Tagged(t) if t.tag == "override" => Tagged::Override(t.value),
        other => Tagged::Plain(other),
    }
}

/// `strip_tags`, with `None` standing for "removed by `!reset`".
fn strip(value: Value) -> Option<Value> {
    match classify(value) {
        Tagged::Reset => None,
        Tagged::Override(inner) | Tagged::Plain(inner) => Some(match inner {
            Value::Mapping(m) => Value::Mapping(
                m.into_iter()
                    .filter_map(|(k, v)| strip(v).map(|v| (k, v)))
                    .collect(),
            ),
            Value::Sequence(s) => Value::Sequence(strip_items(s)),
            Value::Tagged(mut t) => {
                t.value = strip_tags(t.value);
                Value::Tagged(t)
            }
            scalar => scalar,
        }),
    }
}

/// The entries of a list from the later file: `!reset` entries are dropped
/// (compose-go cannot remove an earlier file's list entry either).
fn strip_items(items: Sequence) -> Sequence {
    items.into_iter().filter_map(strip).collect()
}

// ---------------------------------------------------------------------------
// Rules

/// How the value at some path merges. Context variants (`Root`, `Service`,
/// `Build`, ...) exist so that [`Rule::child`] can pick the rule of the keys
/// under them; compose-go does the same with path patterns such as
/// `services.*.build.args`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Mapping: merge by key; list: append; scalar: replace.
    Generic,
    /// The document.
    Root,
    /// Top-level `services`: one service per name.
    Services,
    /// One service.
    Service,
    /// Top-level `volumes`, `networks`, `secrets`, `configs`.
    Resources,
    /// One entry of `Resources`.
    Resource,
    /// `networks.<name>.ipam`.
    Ipam,
    /// The later value replaces the earlier one, even `null`.
    Replace,
    /// `KEY=VAL` list or mapping, merged by key. `hosts` also accepts `host:ip`.
    KeyValue { hosts: bool },
    /// A list (a scalar counts as a one-entry list), appended.
    List(ListKind),
    /// `services.<name>.build`: a string (the context) or a mapping.
    Build,
    /// `services.<name>.healthcheck`.
    Healthcheck,
    /// `services.<name>.deploy`.
    Deploy,
    /// `services.<name>.logging`.
    Logging,
    /// `services.<name>.ulimits`.
    Ulimits,
    /// `services.<name>.networks`: a list of names or a mapping.
    ServiceNetworks,
    /// `services.<name>.networks.<network>`.
    ServiceNetwork,
    /// `services.<name>.models`: a list of names or a mapping.
    Models,
    /// `services.<name>.depends_on`: a list of names or a mapping.
    DependsOn,
}

/// What makes two entries of a list "the same" (compose-go's indexers). A
/// later entry with the key of an earlier one takes its place (and position);
/// other entries are appended. An entry whose key cannot be worked out (wrong
/// type, missing `target`, ...) is only the same as an identical entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListKind {
    /// Plain append, duplicates kept.
    Plain,
    /// The string up to the first `=` (compose-go's `keyValueIndexer`): in
    /// practice the whole string for `dns`, `cap_add`, `profiles`, ...
    Name,
    /// `expose`: the port as a string, so `80` and `"80"` are the same.
    Expose,
    /// `ports`: (host_ip, published, target, protocol).
    Port,
    /// Service `volumes`: the mount target.
    Volume,
    /// `devices`: the path in the container.
    Device,
    /// Service `secrets`: the target, by default `/run/secrets/<name>`.
    Secret,
    /// Service `configs`: the target, by default `/<name>`.
    Config,
    /// `env_file`: the path (a string or `{path: ...}`).
    EnvFile,
    /// `tmpfs`: the mount path (before any `:options`).
    Tmpfs,
    /// `networks.<name>.ipam.config`: entries with the same `subnet` merge.
    Subnet,
}

impl Rule {
    /// The rule for the value under `key` in a mapping merged with `self`.
    fn child(self, key: &str) -> Rule {
        match self {
            Rule::Root => match key {
                "services" => Rule::Services,
                "volumes" | "networks" | "secrets" | "configs" => Rule::Resources,
                // `name`, `include`, `models`, `x-*` extensions, ...
                _ => Rule::Generic,
            },
            Rule::Services => Rule::Service,
            Rule::Resources => Rule::Resource,
            Rule::Resource => match key {
                "labels" => Rule::KeyValue { hosts: false },
                "ipam" => Rule::Ipam,
                _ => Rule::Generic,
            },
            Rule::Ipam => match key {
                "config" => Rule::List(ListKind::Subnet),
                _ => Rule::Generic,
            },
            Rule::Service => match key {
                // The spec's "shell commands" exception.
                "command" | "entrypoint" => Rule::Replace,
                "healthcheck" => Rule::Healthcheck,
                "environment" | "labels" | "sysctls" | "annotations" => {
                    Rule::KeyValue { hosts: false }
                }
                "extra_hosts" => Rule::KeyValue { hosts: true },
                "build" => Rule::Build,
                "deploy" => Rule::Deploy,
                "logging" => Rule::Logging,
                "ulimits" => Rule::Ulimits,
                "depends_on" => Rule::DependsOn,
                "networks" => Rule::ServiceNetworks,
                "models" => Rule::Models,
                // The spec's "unique resources".
                "ports" => Rule::List(ListKind::Port),
                "volumes" => Rule::List(ListKind::Volume),
                "secrets" => Rule::List(ListKind::Secret),
                "configs" => Rule::List(ListKind::Config),
                // Further unique lists from compose-go's uncity.go.
                "devices" => Rule::List(ListKind::Device),
                "env_file" => Rule::List(ListKind::EnvFile),
                "tmpfs" => Rule::List(ListKind::Tmpfs),
                "expose" => Rule::List(ListKind::Expose),
                "dns" | "dns_opt" | "dns_search" | "cap_add" | "cap_drop" | "profiles"
                | "links" => Rule::List(ListKind::Name),
                // compose-go appends these without removing duplicates.
                "label_file" | "security_opt" | "external_links" | "volumes_from" | "group_add" => {
                    Rule::List(ListKind::Plain)
                }
                _ => Rule::Generic,
            },
            Rule::Healthcheck => match key {
                "test" => Rule::Replace,
                _ => Rule::Generic,
            },
            Rule::Build => match key {
                "args" | "labels" | "additional_contexts" | "ssh" => {
                    Rule::KeyValue { hosts: false }
                }
                "extra_hosts" => Rule::KeyValue { hosts: true },
                "tags" | "platforms" => Rule::List(ListKind::Name),
                _ => Rule::Generic,
            },
            Rule::Deploy => match key {
                "labels" => Rule::KeyValue { hosts: false },
                _ => Rule::Generic,
            },
            // compose-go's mergeUlimit: a later `nofile` (number or
            // {soft, hard}) replaces the earlier one wholesale.
            Rule::Ulimits => Rule::Replace,
            Rule::ServiceNetworks => Rule::ServiceNetwork,
            Rule::ServiceNetwork => match key {
                "aliases" | "link_local_ips" => Rule::List(ListKind::Name),
                _ => Rule::Generic,
            },
            Rule::Generic
            | Rule::Replace
            | Rule::KeyValue { .. }
            | Rule::List(_)
            | Rule::Logging
            | Rule::Models
            | Rule::DependsOn => Rule::Generic,
        }
    }
}

// ---------------------------------------------------------------------------
// Merging

/// Merge one attribute. `base` is `None` when the earlier file does not have
/// it. Returns `None` when the attribute must be absent from the result.
fn merge_slot(
    path: &str,
    rule: Rule,
    base: Option<Value>,
    overlay: Value,
) -> Result<Option<Value>, MergeError> {
    match classify(overlay) {
        // compose-go removes the path from the earlier model, and the key
        // (with its value) from the later file: nothing is left.
        Tagged::Reset => Ok(None),
        // compose-go removes the path from the earlier model, then merges:
        // the later value lands unmerged.
        Tagged::Override(value) => take_as_is(path, rule, value).map(Some),
        Tagged::Plain(value) => match base {
            None => take_as_is(path, rule, value).map(Some),
            Some(base) => merge_value(path, rule, base, value).map(Some),
        },
    }
}

/// The later file's value when there is nothing to merge it with.
fn take_as_is(path: &str, rule: Rule, value: Value) -> Result<Value, MergeError> {
    let value = strip_tags(value);
    check_shape(path, rule, &value)?;
    Ok(value)
}

/// Merge two present values; `overlay` carries no `!reset`/`!override` tag of
/// its own (but may hold some deeper down).
fn merge_value(path: &str, rule: Rule, base: Value, overlay: Value) -> Result<Value, MergeError> {
    if matches!(overlay, Value::Null) {
        // compose-go's MergeYaml: a later `null` keeps the earlier value,
        // except where the later value always wins.
        return Ok(if rule == Rule::Replace {
            Value::Null
        } else {
            base
        });
    }
    if matches!(base, Value::Null) {
        return take_as_is(path, rule, overlay);
    }
    match rule {
        Rule::Replace => Ok(strip_tags(overlay)),
        Rule::KeyValue { hosts } => merge_key_value(path, hosts, base, overlay),
        Rule::List(kind) => merge_list(path, kind, base, overlay),
        Rule::ServiceNetworks | Rule::Models => merge_named(path, rule, base, overlay, None),
        Rule::DependsOn => {
            let started = Value::Mapping(Mapping::from_iter([(
                Value::from("condition"),
                Value::from("service_started"),
            )]));
            merge_named(path, rule, base, overlay, Some(started))
        }
        Rule::Build => {
            let base = build_mapping(path, base)?;
            let overlay = build_mapping(path, overlay)?;
            merge_mappings(path, rule, base, overlay).map(Value::Mapping)
        }
        Rule::Logging => merge_logging(path, base, overlay),
        Rule::Root | Rule::Services | Rule::Service | Rule::Resources => {
            let base = expect_mapping(path, base)?;
            let overlay = expect_mapping(path, overlay)?;
            merge_mappings(path, rule, base, overlay).map(Value::Mapping)
        }
        Rule::Generic
        | Rule::Resource
        | Rule::Ipam
        | Rule::Healthcheck
        | Rule::Deploy
        | Rule::Ulimits
        | Rule::ServiceNetwork => merge_generic(path, rule, base, overlay),
    }
}

/// The default rule: mappings merge, lists append, scalars replace. A
/// mapping or a list cannot be merged with a value of another kind.
fn merge_generic(path: &str, rule: Rule, base: Value, overlay: Value) -> Result<Value, MergeError> {
    match (base, overlay) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            merge_mappings(path, rule, b, o).map(Value::Mapping)
        }
        (Value::Sequence(mut b), Value::Sequence(o)) => {
            b.extend(strip_items(o));
            Ok(Value::Sequence(b))
        }
        (b @ (Value::Mapping(_) | Value::Sequence(_)), o) => Err(MergeError::Incompatible {
            path: shown(path),
            base: kind_of(&b),
            overlay: kind_of(&o),
        }),
        // A scalar (or null, or a custom-tagged value) is replaced by
        // whatever comes later, mapping and list included.
        (_, o) => Ok(strip_tags(o)),
    }
}

/// Merge two mappings key by key, keeping the earlier file's key order and
/// appending new keys; each key's value merges under `rule.child(key)`.
fn merge_mappings(
    path: &str,
    rule: Rule,
    mut base: Mapping,
    overlay: Mapping,
) -> Result<Mapping, MergeError> {
    for (key, value) in overlay {
        let name = key_text(&key);
        let child_path = child_path(path, &name);
        let child_rule = rule.child(&name);
        let merged = match base.get_mut(&key) {
            Some(slot) => {
                let old = std::mem::take(slot);
                let merged = merge_slot(&child_path, child_rule, Some(old), value)?;
                if let Some(new) = merged {
                    *slot = new;
                    continue;
                }
                None
            }
            None => merge_slot(&child_path, child_rule, None, value)?,
        };
        match merged {
            Some(new) => {
                base.insert(key, new);
            }
            None => {
                base.shift_remove(&key);
            }
        }
    }
    Ok(base)
}

/// `environment`, `labels`, `extra_hosts`, `build.args`, ...: both sides are
/// turned into mappings and merged key by key, the later file winning (even
/// with `null`: `KEY` alone means "take KEY from the shell" and overrides an
/// earlier `KEY=VAL`). A `!reset` value removes the key.
fn merge_key_value(
    path: &str,
    hosts: bool,
    base: Value,
    overlay: Value,
) -> Result<Value, MergeError> {
    let mut merged = key_value_mapping(path, hosts, base)?;
    for (key, value) in key_value_mapping(path, hosts, overlay)? {
        match classify(value) {
            Tagged::Reset => {
                merged.shift_remove(&key);
            }
            Tagged::Override(value) | Tagged::Plain(value) => {
                // `insert` keeps the position of a key that already exists.
                merged.insert(key, strip_tags(value));
            }
        }
    }
    Ok(Value::Mapping(merged))
}

/// A `KEY=VAL` list or a mapping, as a mapping with string keys. `KEY` alone
/// gives `KEY: null`; a value keeps whatever follows the first `=` (for
/// `extra_hosts`, the first `:` when there is no `=`; IPv6 addresses are
/// fine either way since the host name comes first).
fn key_value_mapping(path: &str, hosts: bool, value: Value) -> Result<Mapping, MergeError> {
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Mapping(m) => Ok(m
            .into_iter()
            .map(|(k, v)| match super::scalar_text(&k) {
                Some(text) => (Value::String(text), v),
                None => (k, v),
            })
            .collect()),
        Value::Sequence(items) => {
            let mut mapping = Mapping::new();
            for (i, item) in items.into_iter().enumerate() {
                let item = match classify(item) {
                    Tagged::Reset => continue,
                    Tagged::Override(v) | Tagged::Plain(v) => v,
                };
                let Some(text) = super::scalar_text(&item) else {
                    return Err(MergeError::WrongType {
                        path: item_path(path, i),
                        expected: if hosts {
                            "a `host=ip` string"
                        } else {
                            "a `KEY=VALUE` string"
                        },
                        found: kind_of(&item),
                    });
                };
                let split = match text.split_once('=') {
                    None if hosts => text.split_once(':'),
                    found => found,
                };
                let (key, value) = match split {
                    Some((k, v)) => (k.to_string(), Value::String(v.to_string())),
                    None => (text, Value::Null),
                };
                mapping.insert(Value::String(key), value);
            }
            Ok(mapping)
        }
        other => Err(MergeError::WrongType {
            path: shown(path),
            expected: "a mapping or a list",
            found: kind_of(&other),
        }),
    }
}

/// Append the later list to the earlier one (a scalar counts as a
/// one-entry list), then keep one entry per key as `kind` defines it.
fn merge_list(
    path: &str,
    kind: ListKind,
    base: Value,
    overlay: Value,
) -> Result<Value, MergeError> {
    let mut items = to_list(path, base)?;
    items.extend(strip_items(to_list(path, overlay)?));
    let items = match kind {
        ListKind::Plain => items,
        ListKind::Subnet => merge_subnets(path, items)?,
        _ => unique_by_key(kind, items),
    };
    Ok(Value::Sequence(items))
}

fn to_list(path: &str, value: Value) -> Result<Sequence, MergeError> {
    match value {
        Value::Sequence(items) => Ok(items),
        Value::Null => Ok(Sequence::new()),
        // `dns: 8.8.8.8`, `env_file: .env`, `tmpfs: /run`, ...
        scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Ok(vec![scalar]),
        other => Err(MergeError::WrongType {
            path: shown(path),
            expected: "a list",
            found: kind_of(&other),
        }),
    }
}

/// compose-go's `enforceUnicity`: walk the entries in order; an entry whose
/// key was already seen replaces the earlier entry in place.
fn unique_by_key(kind: ListKind, items: Sequence) -> Sequence {
    #[derive(PartialEq)]
    enum Key {
        Text(String),
        Opaque(Value),
    }
    let mut keys: Vec<Key> = Vec::with_capacity(items.len());
    let mut out = Sequence::with_capacity(items.len());
    for item in items {
        let key = match entry_key(kind, &item) {
            Some(text) => Key::Text(text),
            None => Key::Opaque(item.clone()),
        };
        match keys.iter().position(|k| *k == key) {
            Some(j) => out[j] = item,
            None => {
                keys.push(key);
                out.push(item);
            }
        }
    }
    out
}

/// The identity of a list entry, or `None` to compare the entry as a whole.
fn entry_key(kind: ListKind, item: &Value) -> Option<String> {
    match kind {
        ListKind::Plain | ListKind::Subnet => None,
        ListKind::Name => super::scalar_text(item).map(|s| before(&s, '=').to_string()),
        ListKind::Expose => super::scalar_text(item),
        ListKind::Tmpfs => super::scalar_text(item).map(|s| before(&s, ':').to_string()),
        ListKind::Port => port_key(item),
        ListKind::Volume => match item {
            Value::String(spec) => volume_target(spec),
            Value::Mapping(m) => field(m, "target"),
            _ => None,
        },
        ListKind::Device => match item {
            // `host:container[:permissions]` or just `path`.
            Value::String(spec) => Some(spec.split(':').nth(1).unwrap_or(spec).to_string()),
            Value::Mapping(m) => field(m, "target"),
            _ => None,
        },
        ListKind::Secret => mount_key(item, "/run/secrets"),
        ListKind::Config => mount_key(item, ""),
        ListKind::EnvFile => match item {
            Value::String(path) => Some(path.clone()),
            Value::Mapping(m) => field(m, "path"),
            _ => None,
        },
    }
}

/// Where a secret or config lands in the container: short syntax `name`
/// means `<dir>/name`; long syntax uses `target`, else `<dir>/<source>`.
fn mount_key(item: &Value, dir: &str) -> Option<String> {
    match item {
        Value::String(name) => Some(format!("{dir}/{name}")),
        Value::Mapping(m) => match field(m, "target") {
            // A relative secret target is a file name under /run/secrets
            // (compose-go compares it as written).
            Some(target) if !dir.is_empty() && !target.starts_with('/') => {
                Some(format!("{dir}/{target}"))
            }
            Some(target) => Some(target),
            None => field(m, "source").map(|source| format!("{dir}/{source}")),
        },
        _ => None,
    }
}

/// A port's identity: host IP, published port(s), target port(s) and
/// protocol, from `[[ip:]published:]target[/protocol]`, a bare number, or the
/// long syntax. Defaults: no IP, no published port, `tcp`. Ranges are
/// compared as written (`8000-8001:80-81`).
fn port_key(item: &Value) -> Option<String> {
    let (ip, published, target, protocol) = match item {
        Value::Number(n) => (
            String::new(),
            String::new(),
            n.to_string(),
            "tcp".to_string(),
        ),
        Value::String(spec) => {
            let (spec, protocol) = spec.rsplit_once('/').unwrap_or((spec, "tcp"));
            let parts: Vec<&str> = spec.split(':').collect();
            // As in Docker's nat.ParsePortSpec: the last part is the target,
            // the one before the published port, everything before that the
            // IP (which may be IPv6 and hold colons itself).
            let (ip, published, target) = match parts.as_slice() {
                [target] => (String::new(), "", *target),
                [published, target] => (String::new(), *published, *target),
                [ip @ .., published, target] => (ip.join(":"), *published, *target),
                [] => return None,
            };
            let ip = ip
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .map_or_else(|| ip.clone(), str::to_string);
            (
                ip,
                published.to_string(),
                target.to_string(),
                protocol.to_string(),
            )
        }
        Value::Mapping(m) => (
            field(m, "host_ip").unwrap_or_default(),
            field(m, "published").unwrap_or_default(),
            field(m, "target")?,
            field(m, "protocol").unwrap_or_else(|| "tcp".to_string()),
        ),
        _ => return None,
    };
    Some(format!(
        "{ip}|{published}|{target}|{}",
        protocol.to_ascii_lowercase()
    ))
}

/// The mount target of a short-syntax volume (`source:target[:mode]` or
/// `target`), following compose-go's `format.ParseVolume`: a single letter
/// followed by `:` is a Windows drive, and colons inside `${...}` do not
/// split. `None` when the spec is malformed.
fn volume_target(spec: &str) -> Option<String> {
    match spec.len() {
        0 => return None,
        1 | 2 => return Some(spec.to_string()),
        _ => {}
    }
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut buffer = String::new();
    let mut depth = 0usize; // nesting of `${...}`
    let mut chars = spec.chars().peekable();
    loop {
        let c = chars.next();
        match c {
            Some('$') if chars.peek() == Some(&'{') => {
                depth += 1;
                buffer.push('$');
            }
            Some('}') if depth > 0 => {
                depth -= 1;
                buffer.push('}');
            }
            Some(':') if is_windows_drive(&buffer) => buffer.push(':'),
            Some(':') | None if depth == 0 => {
                if buffer.is_empty() {
                    return None; // empty section between colons
                }
                let section = std::mem::take(&mut buffer);
                if source.is_none() && c.is_none() {
                    target = Some(section); // anonymous volume: just a target
                } else if source.is_none() {
                    source = Some(section);
                } else if target.is_none() {
                    target = Some(section);
                } else if c.is_some() {
                    return None; // too many colons
                } // else: the mode (`ro`, `z`, ...), irrelevant here
                if c.is_none() {
                    return target;
                }
            }
            None => return None, // unterminated `${`
            Some(ch) => buffer.push(ch),
        }
    }
}

fn is_windows_drive(buffer: &str) -> bool {
    let mut chars = buffer.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
}

/// `networks.<name>.ipam.config`: entries with the same `subnet` are merged
/// (the later one over the earlier one, like compose-go's mergeIPAMConfig);
/// other entries are appended.
fn merge_subnets(path: &str, items: Sequence) -> Result<Sequence, MergeError> {
    fn subnet(item: &Value) -> Option<String> {
        match item {
            Value::Mapping(m) => field(m, "subnet"),
            _ => None,
        }
    }
    let mut out = Sequence::with_capacity(items.len());
    for item in items {
        let existing = subnet(&item).and_then(|s| {
            out.iter()
                .position(|e| subnet(e).as_deref() == Some(s.as_str()))
        });
        match existing {
            Some(j) => {
                let earlier = std::mem::take(&mut out[j]);
                out[j] = merge_generic(&item_path(path, j), Rule::Generic, earlier, item)?;
            }
            None => out.push(item),
        }
    }
    Ok(out)
}

/// `networks`, `models`, `depends_on` on a service: a list of names or a
/// mapping keyed by name. Two lists stay a list (without repeated names);
/// otherwise a list is turned into a mapping (each name getting `default`,
/// or `null`) and the mappings merge by name.
fn merge_named(
    path: &str,
    rule: Rule,
    base: Value,
    overlay: Value,
    default: Option<Value>,
) -> Result<Value, MergeError> {
    match (base, overlay) {
        (Value::Sequence(mut base), Value::Sequence(overlay)) => {
            base.extend(strip_items(overlay));
            let mut out = Sequence::with_capacity(base.len());
            for item in base {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            Ok(Value::Sequence(out))
        }
        (base, overlay) => {
            let base = names_mapping(path, base, default.as_ref())?;
            let overlay = names_mapping(path, overlay, default.as_ref())?;
            merge_mappings(path, rule, base, overlay).map(Value::Mapping)
        }
    }
}

fn names_mapping(path: &str, value: Value, default: Option<&Value>) -> Result<Mapping, MergeError> {
    match value {
        Value::Null => Ok(Mapping::new()),
        Value::Mapping(m) => Ok(m),
        Value::Sequence(items) => {
            let mut mapping = Mapping::new();
            for (i, item) in items.into_iter().enumerate() {
                let item = match classify(item) {
                    Tagged::Reset => continue,
                    Tagged::Override(v) | Tagged::Plain(v) => v,
                };
                let Some(name) = super::scalar_text(&item) else {
                    return Err(MergeError::WrongType {
                        path: item_path(path, i),
                        expected: "a name",
                        found: kind_of(&item),
                    });
                };
                mapping.insert(Value::String(name), default.cloned().unwrap_or(Value::Null));
            }
            Ok(mapping)
        }
        other => Err(MergeError::WrongType {
            path: shown(path),
            expected: "a list or a mapping",
            found: kind_of(&other),
        }),
    }
}

/// `build: ./dir` is short for `build: {context: ./dir}`.
fn build_mapping(path: &str, value: Value) -> Result<Mapping, MergeError> {
    match value {
        Value::Mapping(m) => Ok(m),
        Value::String(context) => Ok(Mapping::from_iter([(
            Value::from("context"),
            Value::String(context),
        )])),
        other => Err(MergeError::WrongType {
            path: shown(path),
            expected: "a string or a mapping",
            found: kind_of(&other),
        }),
    }
}

/// `logging` merges (options included) when both files name the same driver
/// or either names none; with two different drivers the later block replaces
/// the earlier one, since options of one driver mean nothing to another.
fn merge_logging(path: &str, base: Value, overlay: Value) -> Result<Value, MergeError> {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            let different = match (base.get("driver"), overlay.get("driver")) {
                (Some(b), Some(o)) => match o {
                    Value::Tagged(t) if t.tag == "reset" => false,
                    Value::Tagged(t) if t.tag == "override" => *b != t.value,
                    o => b != o,
                },
                _ => false,
            };
            if different {
                Ok(strip_tags(Value::Mapping(overlay)))
            } else {
                merge_mappings(path, Rule::Logging, base, overlay).map(Value::Mapping)
            }
        }
        (base, overlay) => merge_generic(path, Rule::Logging, base, overlay),
    }
}

// ---------------------------------------------------------------------------
// Shape checks and helpers

/// The document, `services`, each service and the top-level resource
/// sections must be mappings (or empty).
fn check_shape(path: &str, rule: Rule, value: &Value) -> Result<(), MergeError> {
    if !matches!(
        rule,
        Rule::Root | Rule::Services | Rule::Service | Rule::Resources
    ) {
        return Ok(());
    }
    let mapping = match value {
        Value::Null => return Ok(()),
        Value::Mapping(m) => m,
        other => {
            return Err(MergeError::NotAMapping {
                path: shown(path),
                found: kind_of(other),
            });
        }
    };
    if matches!(rule, Rule::Root | Rule::Services) {
        for (key, child) in mapping {
            let name = key_text(key);
            let child_rule = rule.child(&name);
            check_shape(&child_path(path, &name), child_rule, child)?;
        }
    }
    Ok(())
}

fn expect_mapping(path: &str, value: Value) -> Result<Mapping, MergeError> {
    match value {
        Value::Mapping(m) => Ok(m),
        other => Err(MergeError::NotAMapping {
            path: shown(path),
            found: kind_of(&other),
        }),
    }
}

fn field(mapping: &Mapping, name: &str) -> Option<String> {
    mapping.get(name).and_then(super::scalar_text)
}

fn before(text: &str, separator: char) -> &str {
    text.split_once(separator).map_or(text, |(head, _)| head)
}

/// A mapping key as text, for paths and rule lookup.
fn key_text(key: &Value) -> String {
    super::scalar_text(key).unwrap_or_else(|| "?".to_string())
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn item_path(parent: &str, index: usize) -> String {
    format!("{}[{index}]", shown(parent))
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "(top level)".to_string()
    } else {
        path.to_string()
    }
}

/// The kind of a value, for error messages (never the value itself).
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).expect("test YAML parses")
    }

    fn merge(base: &str, overlay: &str) -> Value {
        merge_documents(yaml(base), yaml(overlay)).expect("documents merge")
    }

    /// Compare serialised YAML, so that key order counts too.
    #[track_caller]
    fn assert_merge(base: &str, overlay: &str, expected: &str) {
        let got = serde_norway::to_string(&merge(base, overlay)).unwrap();
        let want = serde_norway::to_string(&yaml(expected)).unwrap();
        assert_eq!(got, want, "\n--- got ---\n{got}\n--- want ---\n{want}");
    }

    #[track_caller]
    fn merge_error(base: &str, overlay: &str) -> MergeError {
        merge_documents(yaml(base), yaml(overlay)).expect_err("merge should fail")
    }

    #[test]
    fn mappings_merge_recursively_and_scalars_replace() {
        // The spec's "Mapping" example, plus nesting.
        assert_merge(
            "services:\n  foo:\n    key1: value1\n    key2: value2\n    deep: {a: 1, b: {c: 2}}\n",
            "services:\n  foo:\n    key2: VALUE\n    key3: value3\n    deep: {b: {d: 3}}\n",
            "services:\n  foo:\n    key1: value1\n    key2: VALUE\n    deep: {a: 1, b: {c: 2, d: 3}}\n    key3: value3\n",
        );
    }

    #[test]
    fn top_level_sections_merge_by_name() {
        assert_merge(
            r#"
name: one
services: {a: {image: a}}
volumes: {data: {driver: local}, logs: null}
networks: {front: {driver: bridge}}
secrets: {token: {file: ./token}}
configs: {conf: {file: ./a.conf}}
x-common: {restart: always, env: {A: "1"}}
"#,
            r#"
name: two
services: {b: {image: b}}
volumes: {data: {driver_opts: {type: tmpfs}}, cache: {}}
networks: {back: {internal: true}}
secrets: {token: {environment: TOKEN}}
configs: {other: {file: ./b.conf}}
x-common: {env: {B: "2"}}
x-new: 1
"#,
            r#"
name: two
services: {a: {image: a}, b: {image: b}}
volumes: {data: {driver: local, driver_opts: {type: tmpfs}}, logs: null, cache: {}}
networks: {front: {driver: bridge}, back: {internal: true}}
secrets: {token: {file: ./token, environment: TOKEN}}
configs: {conf: {file: ./a.conf}, other: {file: ./b.conf}}
x-common: {restart: always, env: {A: "1", B: "2"}}
x-new: 1
"#,
        );
    }

    #[test]
    fn resource_labels_merge_by_key() {
        assert_merge(
            "networks: {n: {labels: [a=1, b=2]}}\nvolumes: {v: {labels: {x: y}}}\n",
            "networks: {n: {labels: {b: '3'}}}\nvolumes: {v: {labels: [z=w]}}\n",
            "networks: {n: {labels: {a: '1', b: '3'}}}\nvolumes: {v: {labels: {x: y, z: w}}}\n",
        );
    }

    #[test]
    fn command_entrypoint_and_healthcheck_test_are_replaced() {
        assert_merge(
            r#"
services:
  foo:
    command: ["echo", "foo"]
    entrypoint: [/bin/sh, -c]
    healthcheck: {test: [CMD, curl, -f, http://a], interval: 10s}
"#,
            r#"
services:
  foo:
    command: ["echo", "bar"]
    entrypoint: /entry.sh
    healthcheck: {test: [CMD-SHELL, "true"], retries: 3}
"#,
            r#"
services:
  foo:
    command: ["echo", "bar"]
    entrypoint: /entry.sh
    healthcheck: {test: [CMD-SHELL, "true"], interval: 10s, retries: 3}
"#,
        );
    }

    #[test]
    fn environment_list_and_mapping_merge_by_key() {
        assert_merge(
            "services:\n  s:\n    environment: [FOO=bar, KEEP=1, SHELL_ONLY, EQ=a=b]\n",
            "services:\n  s:\n    environment: {FOO: baz, SHELL_ONLY: set, NEW: null, NUM: 3}\n",
            "services:\n  s:\n    environment: {FOO: baz, KEEP: '1', SHELL_ONLY: set, EQ: a=b, NEW: null, NUM: 3}\n",
        );
        // Mapping then list; `KEY` alone overrides with null, `KEY=` is empty.
        assert_merge(
            "services:\n  s:\n    environment: {FOO: bar, EMPTY: x}\n",
            "services:\n  s:\n    environment: [FOO, EMPTY=, QIX=ZOT]\n",
            "services:\n  s:\n    environment: {FOO: null, EMPTY: '', QIX: ZOT}\n",
        );
    }

    #[test]
    fn labels_sysctls_annotations_and_build_args_merge_by_key() {
        assert_merge(
            r#"
services:
  s:
    labels: [com.example.a=1, com.example.b=2]
    sysctls: {net.core.somaxconn: 1024}
    annotations: [a=1]
    build: {context: ., args: [FOO=BAR, GIT], labels: {l: "1"}}
    deploy: {labels: [d=1]}
"#,
            r#"
services:
  s:
    labels: {com.example.b: "3"}
    sysctls: [net.ipv4.tcp_syncookies=0, net.core.somaxconn=2048]
    annotations: {b: "2"}
    build: {args: {GIT: abc, NEW: x}, labels: [m=2]}
    deploy: {labels: {d: "2"}}
"#,
            r#"
services:
  s:
    labels: {com.example.a: "1", com.example.b: "3"}
    sysctls: {net.core.somaxconn: "2048", net.ipv4.tcp_syncookies: "0"}
    annotations: {a: "1", b: "2"}
    build: {context: ., args: {FOO: BAR, GIT: abc, NEW: x}, labels: {l: "1", m: "2"}}
    deploy: {labels: {d: "2"}}
"#,
        );
    }

    #[test]
    fn extra_hosts_accept_colon_and_equals() {
        assert_merge(
            "services:\n  s:\n    extra_hosts: ['somehost:162.242.195.82', 'v6host=::1', 'other=1.1.1.1']\n",
            "services:\n  s:\n    extra_hosts: ['other:2.2.2.2', 'v6host:::2', 'new=3.3.3.3']\n",
            "services:\n  s:\n    extra_hosts: {somehost: 162.242.195.82, v6host: '::2', other: 2.2.2.2, new: 3.3.3.3}\n",
        );
        assert_merge(
            "services:\n  s:\n    extra_hosts: {a: 1.1.1.1}\n",
            "services:\n  s:\n    extra_hosts: ['b=2.2.2.2']\n",
            "services:\n  s:\n    extra_hosts: {a: 1.1.1.1, b: 2.2.2.2}\n",
        );
    }

    #[test]
    fn ports_are_unique_by_what_they_bind() {
        assert_merge(
            r#"
services:
  s:
    ports:
      - "8080:80"
      - "127.0.0.1:9090:90/udp"
      - "80"
      - 443
      - "[::1]:5000:5000"
"#,
            r#"
services:
  s:
    ports:
      - {target: 80, published: "8080"}
      - "127.0.0.1:9090:90/UDP"
      - "9090:90/udp"
      - 80
      - "443"
      - {target: 5000, published: 5000, host_ip: "::1", protocol: tcp}
      - {target: 81, published: 8081, name: web}
"#,
            r#"
services:
  s:
    ports:
      - {target: 80, published: "8080"}
      - "127.0.0.1:9090:90/UDP"
      - 80
      - "443"
      - {target: 5000, published: 5000, host_ip: "::1", protocol: tcp}
      - "9090:90/udp"
      - {target: 81, published: 8081, name: web}
"#,
        );
    }

    #[test]
    fn volumes_are_unique_by_target() {
        // The spec's example, plus long syntax, anonymous volumes, modes,
        // Windows paths and interpolation.
        assert_merge(
            r#"
services:
  s:
    volumes:
      - foo:/work
      - ./conf:/etc/app:ro
      - /anon
      - type: bind
        source: ./b
        target: /b
      - 'C:\data:/data'
"#,
            r#"
services:
  s:
    volumes:
      - bar:/work
      - type: volume
        source: conf
        target: /etc/app
      - ${SRC:-./x}:/anon:rw
      - /b
      - c:/c
      - 'D:\other:/data'
"#,
            r#"
services:
  s:
    volumes:
      - bar:/work
      - type: volume
        source: conf
        target: /etc/app
      - ${SRC:-./x}:/anon:rw
      - /b
      - 'D:\other:/data'
      - c:/c
"#,
        );
    }

    #[test]
    fn volume_targets_follow_compose_go() {
        assert_eq!(volume_target("/a").as_deref(), Some("/a"));
        assert_eq!(volume_target("v:/a").as_deref(), Some("v:/a")); // one letter = drive
        assert_eq!(volume_target("vol:/a:ro,z").as_deref(), Some("/a"));
        assert_eq!(volume_target(r"C:\x:C:\y").as_deref(), Some(r"C:\y"));
        assert_eq!(volume_target("${A:-b}:/t").as_deref(), Some("/t"));
        assert_eq!(volume_target("ab::/t"), None);
        assert_eq!(volume_target("ab:/b:ro:x"), None);
        assert_eq!(volume_target("${A:/b"), None);
        assert_eq!(volume_target("ab").as_deref(), Some("ab"));
        assert_eq!(volume_target(""), None);
    }

    #[test]
    fn secrets_and_configs_are_unique_by_target() {
        // compose-go's merge_mounts_test, plus configs and relative targets.
        assert_merge(
            r#"
services:
  s:
    secrets: [foo, bar, zot]
    configs: [a, {source: b, target: /etc/b.conf}]
"#,
            r#"
services:
  s:
    secrets:
      - source: zot
        target: /run/secrets/foo
      - {source: other, target: bar}
      - {source: zot}
    configs: [{source: a, mode: 0440}, b, {source: c, target: /etc/b.conf}]
"#,
            r#"
services:
  s:
    secrets:
      - source: zot
        target: /run/secrets/foo
      - {source: other, target: bar}
      - {source: zot}
    configs: [{source: a, mode: 0440}, {source: c, target: /etc/b.conf}, b]
"#,
        );
    }

    #[test]
    fn depends_on_merges_by_service_name() {
        // Two lists stay a list.
        assert_merge(
            "services:\n  s:\n    depends_on: [db, cache]\n",
            "services:\n  s:\n    depends_on: [cache, queue]\n",
            "services:\n  s:\n    depends_on: [db, cache, queue]\n",
        );
        // A list meets a mapping: the list becomes {name: {condition: service_started}}.
        assert_merge(
            "services:\n  s:\n    depends_on: [db, cache]\n",
            "services:\n  s:\n    depends_on: {db: {condition: service_healthy}, queue: {condition: service_started, restart: true}}\n",
            r#"
services:
  s:
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
      queue: {condition: service_started, restart: true}
"#,
        );
        // A later short-syntax entry restates the default condition (compose-go).
        assert_merge(
            "services:\n  s:\n    depends_on: {db: {condition: service_healthy, restart: true}}\n",
            "services:\n  s:\n    depends_on: [db, web]\n",
            r#"
services:
  s:
    depends_on:
      db: {condition: service_started, restart: true}
      web: {condition: service_started}
"#,
        );
    }

    #[test]
    fn service_networks_merge_by_name() {
        assert_merge(
            "services:\n  s:\n    networks: [front, back]\n",
            "services:\n  s:\n    networks: [front, admin]\n",
            "services:\n  s:\n    networks: [front, back, admin]\n",
        );
        assert_merge(
            r#"
services:
  s:
    networks:
      - front
      - back
"#,
            r#"
services:
  s:
    networks:
      back: {aliases: [b1]}
      admin: null
"#,
            "services:\n  s:\n    networks: {front: null, back: {aliases: [b1]}, admin: null}\n",
        );
        // compose-go's Test_mergeYamlServiceNetworksMapping: aliases and
        // link_local_ips are unique lists.
        assert_merge(
            r#"
services:
  s:
    networks:
      n1: {aliases: [alias1, alias2], link_local_ips: [57.123.22.11, 57.123.22.13], priority: 1}
      n2: {aliases: [alias1]}
"#,
            r#"
services:
  s:
    networks:
      n1: {aliases: [alias3, alias1], link_local_ips: [57.123.22.12, 57.123.22.13], priority: 2}
      n2:
"#,
            r#"
services:
  s:
    networks:
      n1: {aliases: [alias1, alias2, alias3], link_local_ips: [57.123.22.11, 57.123.22.13, 57.123.22.12], priority: 2}
      n2: {aliases: [alias1]}
"#,
        );
    }

    #[test]
    fn string_or_list_attributes_append_without_duplicates() {
        // compose-go's merge_dns_test, merge_env_file_test, merge_tmpfs_test.
        assert_merge(
            r#"
services:
  s:
    dns: [8.8.8.8, 10.10.10.10, 9.9.9.9]
    dns_search: dc1.example.com
    dns_opt: [use-vc]
    env_file: .env
    tmpfs: /run
"#,
            r#"
services:
  s:
    dns: 9.9.9.9
    dns_search: [dc2.example.com, dc1.example.com]
    dns_opt: [use-vc, no-tld-query]
    env_file: [extra.env, {path: .env, required: false}]
    tmpfs: [/tmp, "/run:size=64m"]
"#,
            r#"
services:
  s:
    dns: [8.8.8.8, 10.10.10.10, 9.9.9.9]
    dns_search: [dc1.example.com, dc2.example.com]
    dns_opt: [use-vc, no-tld-query]
    env_file: [{path: .env, required: false}, extra.env]
    tmpfs: ["/run:size=64m", /tmp]
"#,
        );
    }

    #[test]
    fn unique_lists_follow_compose_go() {
        assert_merge(
            r#"
services:
  s:
    cap_add: [CAP_BPF, CAP_CHOWN]
    cap_drop: [NET_ADMIN]
    profiles: [dev]
    links: [service1, service2]
    expose: [80, "443"]
    devices: ['/dev/sda:/dev/sda', '/dev/sdb:/dev/sdb:rwm']
    security_opt: [no-new-privileges:true]
    group_add: [mail]
    volumes_from: [a]
    external_links: [redis]
"#,
            r#"
services:
  s:
    cap_add: [CAP_KILL, CAP_CHOWN]
    cap_drop: [NET_ADMIN, CAP_FOWNER]
    profiles: [debug, dev]
    links: [service2=alias1]
    expose: ["80", 443, 8080]
    devices: ['/dev/nvme0n1:/dev/sda', {source: /dev/sdc, target: /dev/sdc}]
    security_opt: [no-new-privileges:true]
    group_add: [mail]
    volumes_from: [a]
    external_links: [redis]
"#,
            r#"
services:
  s:
    cap_add: [CAP_BPF, CAP_CHOWN, CAP_KILL]
    cap_drop: [NET_ADMIN, CAP_FOWNER]
    profiles: [dev, debug]
    links: [service1, service2=alias1]
    expose: ["80", 443, 8080]
    devices: ['/dev/nvme0n1:/dev/sda', '/dev/sdb:/dev/sdb:rwm', {source: /dev/sdc, target: /dev/sdc}]
    security_opt: [no-new-privileges:true, no-new-privileges:true]
    group_add: [mail, mail]
    volumes_from: [a, a]
    external_links: [redis, redis]
"#,
        );
    }

    #[test]
    fn reset_removes_the_attribute() {
        // The spec's example, plus a whole service, a top-level key, a key
        // only the later file has, and a reset list entry.
        assert_merge(
            r#"
services:
  app:
    image: myapp
    ports: ["8080:80"]
    environment: {FOO: BAR, KEEP: "1"}
    build: {context: ., dockerfile: foo.Dockerfile}
    dns: [1.1.1.1]
  old: {image: old}
volumes: {data: {}}
"#,
            r#"
services:
  app:
    ports: !reset []
    environment:
      FOO: !reset null
    build: !reset
    command: !reset [never, set]
    dns: [!reset 8.8.8.8, 9.9.9.9]
  old: !reset
volumes: !reset {}
"#,
            r#"
services:
  app:
    image: myapp
    environment: {KEEP: "1"}
    dns: [1.1.1.1, 9.9.9.9]
"#,
        );
        // Resetting a key also works when the earlier file used list syntax.
        assert_merge(
            "services:\n  s:\n    environment: [A=1, B=2]\n    networks: [front, back]\n",
            "services:\n  s:\n    environment: {A: !reset null}\n    networks: {back: !reset null}\n",
            "services:\n  s:\n    environment: {B: '2'}\n    networks: {front: null}\n",
        );
    }

    #[test]
    fn override_replaces_without_merging() {
        // The spec's example, plus a mapping and a service.
        assert_merge(
            r#"
services:
  app:
    image: myapp
    ports: ["8080:80"]
    environment: {A: "1", B: "2"}
    labels: [x=1]
  db: {image: postgres, volumes: [data:/var/lib/postgresql/data]}
"#,
            r#"
services:
  app:
    ports: !override
      - "8443:443"
    environment: !override {C: "3", D: !reset gone}
    labels: {y: !override "2"}
  db: !override {image: mariadb}
"#,
            r#"
services:
  app:
    image: myapp
    ports: ["8443:443"]
    environment: {C: "3"}
    labels: {x: "1", y: "2"}
  db: {image: mariadb}
"#,
        );
    }

    #[test]
    fn unknown_keys_use_the_default_rule() {
        // The spec's "Sequence" example (`DNS` is not `dns`): plain append.
        assert_merge(
            r#"
services:
  foo:
    DNS: [1.1.1.1]
    x-meta: {a: 1, list: [1]}
    stop_grace_period: 10s
    scale: 1
"#,
            r#"
services:
  foo:
    DNS: [8.8.8.8, 1.1.1.1]
    x-meta: {b: 2, list: [2]}
    stop_grace_period: 1m
    scale: 2
"#,
            r#"
services:
  foo:
    DNS: [1.1.1.1, 8.8.8.8, 1.1.1.1]
    x-meta: {a: 1, list: [1, 2], b: 2}
    stop_grace_period: 1m
    scale: 2
"#,
        );
    }

    #[test]
    fn later_null_keeps_the_earlier_value_except_for_replaced_keys() {
        assert_merge(
            r#"
services:
  s:
    image: a
    environment: {A: "1"}
    ports: ["80:80"]
    command: run
    healthcheck: {test: [CMD, x]}
"#,
            r#"
services:
  s:
    image: null
    environment:
    ports: ~
    command: null
    healthcheck: {test: null}
"#,
            r#"
services:
  s:
    image: a
    environment: {A: "1"}
    ports: ["80:80"]
    command: null
    healthcheck: {test: null}
"#,
        );
        // An empty later document, or `services: null`, changes nothing.
        assert_merge(
            "services: {s: {image: a}}\n",
            "",
            "services: {s: {image: a}}\n",
        );
        assert_merge(
            "services: {s: {image: a}}\n",
            "services:\n",
            "services: {s: {image: a}}\n",
        );
        assert_merge(
            "services:\n",
            "services: {s: {image: a}}\n",
            "services: {s: {image: a}}\n",
        );
        assert_merge("", "services: {s: null}\n", "services: {s: null}\n");
        assert_merge(
            "services: {s: null}\n",
            "services: {s: {image: b}}\n",
            "services: {s: {image: b}}\n",
        );
    }

    #[test]
    fn build_string_and_mapping_merge() {
        assert_merge(
            "services:\n  s:\n    build: ./app\n",
            "services:\n  s:\n    build: {dockerfile: Dev.Dockerfile, tags: [a:1]}\n",
            "services:\n  s:\n    build: {context: ./app, dockerfile: Dev.Dockerfile, tags: [a:1]}\n",
        );
        assert_merge(
            "services:\n  s:\n    build: {context: ., target: prod, tags: [a:1]}\n",
            "services:\n  s:\n    build: ./other\n",
            "services:\n  s:\n    build: {context: ./other, target: prod, tags: [a:1]}\n",
        );
    }

    #[test]
    fn logging_merges_only_for_the_same_driver() {
        assert_merge(
            "services:\n  s:\n    logging: {driver: json-file, options: {max-size: 10m}}\n",
            "services:\n  s:\n    logging: {options: {max-file: '3'}}\n",
            "services:\n  s:\n    logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}\n",
        );
        assert_merge(
            "services:\n  s:\n    logging: {driver: json-file, options: {max-size: 10m}}\n",
            "services:\n  s:\n    logging: {driver: syslog, options: {syslog-address: 'udp://x:514'}}\n",
            "services:\n  s:\n    logging: {driver: syslog, options: {syslog-address: 'udp://x:514'}}\n",
        );
    }

    #[test]
    fn ulimit_entries_are_replaced_whole() {
        // compose-go's Test_mergeYamlUlimits.
        assert_merge(
            "services:\n  s:\n    ulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535, locks: {soft: 1, hard: 2}}\n",
            "services:\n  s:\n    ulimits: {nofile: {soft: 10000, hard: 40000}, nproc: {soft: 65535}, locks: {hard: 65535}}\n",
            "services:\n  s:\n    ulimits: {nofile: {soft: 10000, hard: 40000}, nproc: {soft: 65535}, locks: {hard: 65535}}\n",
        );
    }

    #[test]
    fn ipam_configs_merge_by_subnet() {
        assert_merge(
            r#"
networks:
  n:
    ipam:
      config:
        - {subnet: 172.28.0.0/16, gateway: 172.28.5.254, aux_addresses: {host1: 172.28.1.5}}
"#,
            r#"
networks:
  n:
    ipam:
      config:
        - {subnet: 172.28.0.0/16, ip_range: 172.28.5.0/24, aux_addresses: {host2: 172.28.1.6}}
        - {subnet: 172.29.0.0/16}
"#,
            r#"
networks:
  n:
    ipam:
      config:
        - {subnet: 172.28.0.0/16, gateway: 172.28.5.254, aux_addresses: {host1: 172.28.1.5, host2: 172.28.1.6}, ip_range: 172.28.5.0/24}
        - {subnet: 172.29.0.0/16}
"#,
        );
    }

    #[test]
    fn strip_tags_resolves_a_lone_file() {
        let doc = yaml(
            r#"
services:
  s:
    image: a
    ports: !reset ["80:80"]
    environment: !override {A: "1", B: !reset x}
    dns: [!reset 1.1.1.1, 8.8.8.8]
    x-custom: !custom {c: !reset 1, d: 2}
"#,
        );
        let want = yaml(
            r#"
services:
  s:
    image: a
    environment: {A: "1"}
    dns: [8.8.8.8]
    x-custom: !custom {d: 2}
"#,
        );
        assert_eq!(strip_tags(doc), want);
        assert_eq!(strip_tags(yaml("!reset {a: 1}")), Value::Null);
    }

    #[test]
    fn tags_in_the_earlier_file_are_resolved_like_a_lone_file() {
        assert_merge(
            "services:\n  s:\n    image: a\n    ports: !reset ['80:80']\n    command: !override [x]\n",
            "services:\n  s:\n    ports: ['81:81']\n",
            "services:\n  s:\n    image: a\n    command: [x]\n    ports: ['81:81']\n",
        );
    }

    #[test]
    fn merges_chain_over_several_files() {
        let first = yaml("services: {s: {image: a, environment: [A=1]}}");
        let second = yaml("services: {s: {environment: {B: '2'}, ports: ['80:80']}}");
        let third =
            yaml("services: {s: {environment: {A: !reset null}, ports: ['80:80', '81:81']}}");
        let merged = merge_documents(merge_documents(first, second).unwrap(), third).unwrap();
        assert_eq!(
            merged,
            yaml("services: {s: {image: a, environment: {B: '2'}, ports: ['80:80', '81:81']}}")
        );
    }

    #[test]
    fn malformed_shapes_are_errors_naming_the_path() {
        let err = merge_error("services: {web: {image: a}}", "services: {web: oops}");
        assert!(matches!(err, MergeError::NotAMapping { .. }), "{err:?}");
        assert_eq!(err.path(), "services.web");
        assert_eq!(
            err.to_string(),
            "`services.web` must be a mapping, found a string"
        );

        // The earlier file, or a service only one file has, is checked too.
        assert_eq!(
            merge_error("services: {web: [a]}", "").path(),
            "services.web"
        );
        assert_eq!(merge_error("", "services: {web: 3}").path(), "services.web");
        assert_eq!(merge_error("services: [a]", "").path(), "services");
        assert_eq!(
            merge_error("volumes: x", "volumes: {a: {}}").path(),
            "volumes"
        );
        assert_eq!(merge_error("[1, 2]", "").path(), "(top level)");
        assert_eq!(merge_error("a: 1", "just a string").path(), "(top level)");

        let err = merge_error(
            "services: {web: {environment: {A: '1'}}}",
            "services: {web: {environment: A=1}}",
        );
        assert_eq!(err.path(), "services.web.environment");
        assert!(matches!(err, MergeError::WrongType { .. }), "{err:?}");

        let err = merge_error(
            "services: {web: {environment: [A=1]}}",
            "services: {web: {environment: [{A: 1}]}}",
        );
        assert_eq!(err.path(), "services.web.environment[0]");

        let err = merge_error(
            "services: {web: {x-list: [1]}}",
            "services: {web: {x-list: {a: 1}}}",
        );
        assert_eq!(err.path(), "services.web.x-list");
        assert_eq!(
            err.to_string(),
            "cannot merge `services.web.x-list`: it is a list in one file and a mapping in the next"
        );

        let err = merge_error(
            "services: {web: {ports: ['80']}}",
            "services: {web: {ports: {a: 1}}}",
        );
        assert_eq!(err.path(), "services.web.ports");
    }

    #[test]
    fn errors_never_show_values() {
        let err = merge_error(
            "services: {web: {environment: {PASSWORD: hunter2}}}",
            "services: {web: {environment: hunter2}}",
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// Every special attribute, with every shape on either side: the merge
    /// may fail, but must not panic.
    #[test]
    fn no_panic_on_any_shape() {
        let shapes = [
            "null",
            "7",
            "true",
            "text",
            "'a:b:c'",
            "''",
            "[]",
            "{}",
            "[a, 1, null, [x], {target: 1}, {}, '::', '[::1]:1:2/tcp', 'a=b', 'h:1.2.3.4']",
            "{a: null, b: [1], c: {d: e}, 1: 2}",
            "!reset x",
            "!override [1]",
            "!custom {a: 1}",
            "[!reset a, !override b, !custom c]",
        ];
        let keys = [
            "command",
            "entrypoint",
            "healthcheck",
            "environment",
            "labels",
            "extra_hosts",
            "sysctls",
            "annotations",
            "build",
            "ports",
            "volumes",
            "secrets",
            "configs",
            "devices",
            "depends_on",
            "networks",
            "models",
            "dns",
            "env_file",
            "tmpfs",
            "expose",
            "cap_add",
            "security_opt",
            "logging",
            "ulimits",
            "deploy",
            "x-ext",
        ];
        for key in keys {
            for a in shapes {
                for b in shapes {
                    let base = format!("services: {{s: {{{key}: {a}}}}}");
                    let overlay = format!("services: {{s: {{{key}: {b}}}}}");
                    let _ = merge_documents(yaml(&base), yaml(&overlay));
                    let nested = format!(
                        "services: {{s: {{{key}: {{inner: {b}, test: {b}, args: {b}, nofile: {b}, options: {b}}}}}}}"
                    );
                    let _ = merge_documents(yaml(&base), yaml(&nested));
                    let _ = merge_documents(yaml(&nested), yaml(&base));
                }
            }
        }
        for a in shapes {
            for b in shapes {
                let _ = merge_documents(yaml(a), yaml(b));
                let _ = merge_documents(
                    yaml(&format!("services: {a}")),
                    yaml(&format!("services: {b}")),
                );
                let _ = merge_documents(
                    yaml(&format!("networks: {{n: {{ipam: {{config: {a}}}}}}}")),
                    yaml(&format!("networks: {{n: {{ipam: {{config: {b}}}}}}}")),
                );
                let _ = strip_tags(yaml(a));
            }
        }
    }
}
