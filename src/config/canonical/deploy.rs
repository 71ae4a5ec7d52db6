//! The nested structs: `deploy` (resources, restart policy, placement, update config),
//! `gpus`, `healthcheck`, `logging`, `ulimits`, `blkio_config`, `develop`, the lifecycle
//! hooks, `provider` and the service's `models`. Each field in the type compose-go gives it:
//! durations as Go durations, sizes as byte counts, pointer fields printed even when zero.

use serde_json::{Map, Value as Json};
use serde_norway::Value;

use super::service::nonempty_map;
use super::{ConfigError, Cx, entries, generic, scalar};

/// How one field of a struct is read.
#[derive(Clone, Copy)]
enum F {
    /// A string, left out when empty.
    Str,
    /// A whole number, left out when 0.
    Int,
    /// A whole number printed whenever it is set (a Go pointer).
    IntSet,
    /// A float, left out when 0.
    Float,
    /// A boolean printed only when true.
    Flag,
    /// A duration printed whenever it is set.
    Dur,
    /// A duration left out when 0 (a Go non-pointer).
    DurOmit,
    /// A byte size, left out when 0.
    Bytes,
    /// A list of strings (or one string), left out when empty.
    List,
    /// A `Labels`/`Mapping` map of strings, left out when empty.
    Labels,
    /// `map[string]string` options, left out when empty.
    Opts,
}

/// How a struct reads the fields its spec does not list: `Some` for a nested struct,
/// `None` to pass the value through.
type Nested<'a> = dyn Fn(&str, &Value, &str) -> Result<Option<Json>, ConfigError> + 'a;

impl Cx<'_> {
    /// A struct whose fields are read by `spec`; other keys pass through, `x-*` are dropped.
    fn fields(
        &self,
        value: &Value,
        at: &str,
        spec: &[(&str, F)],
        nested: &Nested<'_>,
    ) -> Result<Map<String, Json>, ConfigError> {
        let Some(map) = entries(value) else {
            return Err(self.invalid(at, "must be a mapping"));
        };
        let mut out = Map::new();
        for (key, v) in map {
            if key.starts_with("x-") || v.is_null() {
                continue;
            }
            let at = format!("{at}.{key}");
            let json = match spec.iter().find(|(k, _)| *k == key) {
                Some((_, f)) => self.field(*f, v, &at)?,
                None => match nested(&key, v, &at)? {
                    Some(json) => Some(json),
                    None => Some(generic(v)),
                },
            };
            if let Some(json) = json {
                out.insert(key, json);
            }
        }
        Ok(out)
    }

    fn field(&self, f: F, v: &Value, at: &str) -> Result<Option<Json>, ConfigError> {
        let bad = |m: &str| self.invalid(at, m);
        Ok(match f {
            F::Str => scalar::text(v).filter(|t| !t.is_empty()).map(Json::String),
            F::Int => {
                let n = scalar::int(v).ok_or_else(|| bad("must be a whole number"))?;
                (n != 0).then(|| Json::from(n))
            }
            F::IntSet => Some(Json::from(
                scalar::int(v).ok_or_else(|| bad("must be a whole number"))?,
            )),
            F::Float => {
                let n = scalar::float(v).ok_or_else(|| bad("must be a number"))?;
                (n != 0.0).then(|| scalar::json_float(n))
            }
            F::Flag => scalar::boolean(v)
                .ok_or_else(|| bad("must be a boolean"))?
                .then_some(Json::Bool(true)),
            F::Dur => Some(Json::String(scalar::duration(v).map_err(|m| bad(&m))?)),
            F::DurOmit => {
                let d = scalar::duration(v).map_err(|m| bad(&m))?;
                (d != "0s").then_some(Json::String(d))
            }
            F::Bytes => {
                let b = scalar::bytes(v).map_err(|m| bad(&m))?;
                (b != "0").then_some(Json::String(b))
            }
            F::List => {
                let items = self.strings(v, at)?;
                (!items.is_empty())
                    .then(|| Json::Array(items.into_iter().map(Json::String).collect()))
            }
            F::Labels => nonempty_map(self.mapping(v, at, "=")?),
            F::Opts => nonempty_map(self.options(v, at)?),
        })
    }

    pub(super) fn deploy(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        use F::*;
        let update = [
            ("parallelism", IntSet),
            ("delay", DurOmit),
            ("failure_action", Str),
            ("monitor", DurOmit),
            ("max_failure_ratio", Float),
            ("order", Str),
        ];
        let nested = |key: &str, v: &Value, at: &str| -> Result<Option<Json>, ConfigError> {
            Ok(Some(match key {
                "update_config" | "rollback_config" => {
                    Json::Object(self.fields(v, at, &update, &|_, _, _| Ok(None))?)
                }
                "resources" => self.resources(v, at)?,
                "restart_policy" => Json::Object(self.fields(
                    v,
                    at,
                    &[
                        ("condition", Str),
                        ("delay", Dur),
                        ("max_attempts", IntSet),
                        ("window", Dur),
                    ],
                    &|_, _, _| Ok(None),
                )?),
                "placement" => Json::Object(self.fields(
                    v,
                    at,
                    &[("constraints", List), ("max_replicas_per_node", Int)],
                    &|key, v, at| match key {
                        "preferences" => Ok(Some(self.list_of(v, at, &|v, at| {
                            Ok(Json::Object(self.fields(
                                v,
                                at,
                                &[("spread", Str)],
                                &|_, _, _| Ok(None),
                            )?))
                        })?)),
                        _ => Ok(None),
                    },
                )?),
                _ => return Ok(None),
            }))
        };
        let mut out = self.fields(
            value,
            at,
            &[
                ("mode", Str),
                ("replicas", IntSet),
                ("labels", Labels),
                ("endpoint_mode", Str),
            ],
            &nested,
        )?;
        for key in ["resources", "placement"] {
            out.entry(key).or_insert_with(|| Json::Object(Map::new()));
        }
        Ok(Json::Object(out))
    }

    fn resources(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        use F::*;
        let resource = |v: &Value, at: &str| -> Result<Json, ConfigError> {
            Ok(Json::Object(self.fields(
                v,
                at,
                &[("cpus", Float), ("memory", Bytes), ("pids", Int)],
                &|key, v, at| match key {
                    "devices" => Ok(Some(Json::Array(self.device_requests(v, at)?))),
                    "generic_resources" => Ok(Some(generic(v))),
                    _ => Ok(None),
                },
            )?))
        };
        Ok(Json::Object(self.fields(
            value,
            at,
            &[],
            &|key, v, at| match key {
                "limits" | "reservations" => Ok(Some(resource(v, at)?)),
                _ => Ok(None),
            },
        )?))
    }

    /// Each entry of a list through `one`.
    fn list_of(
        &self,
        value: &Value,
        at: &str,
        one: &dyn Fn(&Value, &str) -> Result<Json, ConfigError>,
    ) -> Result<Json, ConfigError> {
        let Value::Sequence(items) = value else {
            return Err(self.invalid(at, "must be a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| one(item, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array)
    }

    /// Device requests (`gpus`, `deploy.resources.reservations.devices`): `count: all` is
    /// -1, and a request with neither `count` nor `device_ids` asks for all.
    fn device_requests(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        use F::*;
        let Json::Array(items) = self.list_of(value, at, &|v, at| {
            let mut out = self.fields(
                v,
                at,
                &[
                    ("capabilities", List),
                    ("driver", Str),
                    ("device_ids", List),
                    ("options", Labels),
                ],
                &|key, v, at| match key {
                    "count" => Ok(Some(self.device_count(v, at)?)),
                    _ => Ok(None),
                },
            )?;
            if !out.contains_key("count") && !out.contains_key("device_ids") {
                out.insert("count".into(), Json::from(-1));
            }
            if out.get("count") == Some(&Json::from(0)) {
                out.remove("count");
            }
            Ok(Json::Object(out))
        })?
        else {
            return Ok(Vec::new());
        };
        Ok(items)
    }

    fn device_count(&self, v: &Value, at: &str) -> Result<Json, ConfigError> {
        if scalar::text(v).is_some_and(|t| t.eq_ignore_ascii_case("all")) {
            return Ok(Json::from(-1));
        }
        scalar::int(v).map(Json::from).ok_or_else(|| {
            self.invalid(
                at,
                "invalid value, the only value allowed is 'all' or a number",
            )
        })
    }

    /// `gpus`: `all`, or a list of device requests.
    pub(super) fn gpus(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        match value {
            Value::Sequence(_) => self.device_requests(value, at),
            _ => Ok(vec![Json::Object(Map::from_iter([(
                "count".to_string(),
                Json::from(-1),
            )]))]),
        }
    }

    pub(super) fn healthcheck(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        use F::*;
        let out = self.fields(
            value,
            at,
            &[
                ("timeout", Dur),
                ("interval", Dur),
                ("retries", IntSet),
                ("start_period", Dur),
                ("start_interval", Dur),
                ("disable", Flag),
            ],
            &|key, v, at| match key {
                "test" => Ok(Some(match v {
                    Value::Sequence(_) => {
                        Json::Array(self.strings(v, at)?.into_iter().map(Json::String).collect())
                    }
                    v => {
                        let text = scalar::text(v)
                            .ok_or_else(|| self.invalid(at, "must be a string or a list"))?;
                        Json::Array(vec![Json::String("CMD-SHELL".into()), Json::String(text)])
                    }
                })),
                _ => Ok(None),
            },
        )?;
        if let Some(Json::Array(test)) = out.get("test") {
            if let Some(first) = test.first().and_then(Json::as_str) {
                if !matches!(first, "CMD" | "CMD-SHELL" | "NONE") {
                    return Err(self.invalid(
                        at,
                        "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"",
                    ));
                }
            }
        }
        Ok(Json::Object(out))
    }

    pub(super) fn logging(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        Ok(Json::Object(self.fields(
            value,
            at,
            &[("driver", F::Str), ("options", F::Opts)],
            &|_, _, _| Ok(None),
        )?))
    }

    /// `ulimits`: a number for both limits, or `{soft, hard}`.
    pub(super) fn ulimits(&self, value: &Value, at: &str) -> Result<Option<Json>, ConfigError> {
        let map = entries(value).ok_or_else(|| self.invalid(at, "must be a mapping"))?;
        let mut out = Map::new();
        for (name, v) in map {
            let at = format!("{at}.{name}");
            let json = match v {
                Value::Mapping(_) => Json::Object(self.fields(
                    v,
                    &at,
                    &[("soft", F::Int), ("hard", F::Int)],
                    &|_, _, _| Ok(None),
                )?),
                v => {
                    Json::from(scalar::int(v).ok_or_else(|| self.invalid(&at, "must be a number"))?)
                }
            };
            out.insert(name, json);
        }
        Ok(nonempty_map(out))
    }

    pub(super) fn blkio(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        let device = |v: &Value, at: &str, rate: bool| -> Result<Json, ConfigError> {
            let map = entries(v).ok_or_else(|| self.invalid(at, "must be a mapping"))?;
            let path = map
                .get("path")
                .and_then(|p| scalar::text(p))
                .unwrap_or_default();
            let mut out = Map::from_iter([("Path".to_string(), Json::String(path))]);
            if rate {
                let r = map
                    .get("rate")
                    .map_or(Ok("0".to_string()), |r| scalar::bytes(r));
                out.insert(
                    "Rate".into(),
                    Json::String(r.map_err(|m| self.invalid(at, m))?),
                );
            } else {
                let w = map.get("weight").and_then(|w| scalar::int(w)).unwrap_or(0);
                out.insert("Weight".into(), Json::from(w));
            }
            Ok(Json::Object(out))
        };
        Ok(Json::Object(self.fields(
            value,
            at,
            &[("weight", F::Int)],
            &|key, v, at| {
                Ok(match key {
                    "weight_device" => Some(self.list_of(v, at, &|v, at| device(v, at, false))?),
                    k if k.starts_with("device_") => {
                        Some(self.list_of(v, at, &|v, at| device(v, at, true))?)
                    }
                    _ => None,
                })
            },
        )?))
    }

    /// `develop.watch`: paths absolute, `exec` always printed.
    pub(super) fn develop(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        use F::*;
        let trigger = |v: &Value, at: &str| -> Result<Json, ConfigError> {
            let mut out = self.fields(
                v,
                at,
                &[
                    ("action", Str),
                    ("target", Str),
                    ("include", List),
                    ("ignore", List),
                    ("initial_sync", Flag),
                ],
                &|key, v, at| match key {
                    "path" => Ok(Some(Json::String(
                        self.absolute(&scalar::text(v).unwrap_or_default()),
                    ))),
                    "exec" => Ok(Some(self.hook(v, at)?)),
                    _ => Ok(None),
                },
            )?;
            for key in ["path", "action"] {
                out.entry(key)
                    .or_insert_with(|| Json::String(String::new()));
            }
            out.entry("exec").or_insert_with(|| {
                Json::Object(Map::from_iter([("command".to_string(), Json::Null)]))
            });
            Ok(Json::Object(out))
        };
        Ok(Json::Object(self.fields(
            value,
            at,
            &[],
            &|key, v, at| match key {
                "watch" => Ok(Some(self.list_of(v, at, &trigger)?)),
                _ => Ok(None),
            },
        )?))
    }

    /// `post_start` / `pre_stop` entries.
    pub(super) fn hooks(&self, value: &Value, at: &str) -> Result<Vec<Json>, ConfigError> {
        match self.list_of(value, at, &|v, at| self.hook(v, at))? {
            Json::Array(items) => Ok(items),
            _ => Ok(Vec::new()),
        }
    }

    /// `pre_start` entries: a hook without an `image` takes the service's, as compose-go's
    /// normalisation gives it (when the service has one).
    pub(super) fn pre_start_hooks(
        &self,
        value: &Value,
        at: &str,
        image: Option<&str>,
    ) -> Result<Vec<Json>, ConfigError> {
        let entry = |v: &Value, at: &str| -> Result<Json, ConfigError> {
            let mut hook =
                self.hook_fields(v, at, &[("image", F::Str), ("per_replica", F::Flag)])?;
            if let Some(image) = image.filter(|i| !i.is_empty()) {
                hook.entry("image")
                    .or_insert_with(|| Json::String(image.to_string()));
            }
            Ok(Json::Object(hook))
        };
        match self.list_of(value, at, &entry)? {
            Json::Array(items) => Ok(items),
            _ => Ok(Vec::new()),
        }
    }

    fn hook(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        self.hook_fields(value, at, &[]).map(Json::Object)
    }

    /// A hook's fields (and `extra` ones). Its `environment` is printed as written: compose-go
    /// looks up a bare key for the service's `environment` only, so here it stays null.
    fn hook_fields(
        &self,
        value: &Value,
        at: &str,
        extra: &[(&str, F)],
    ) -> Result<Map<String, Json>, ConfigError> {
        let mut spec = vec![
            ("user", F::Str),
            ("privileged", F::Flag),
            ("working_dir", F::Str),
        ];
        spec.extend_from_slice(extra);
        let mut out = self.fields(value, at, &spec, &|key, v, at| match key {
            "command" => Ok(Some(self.shell_command(v, at)?)),
            "environment" => {
                let mut env = Map::new();
                for (k, value) in self.with_equals(v, at)? {
                    let json = match value {
                        Some(value) => self.mask(&k, value, false),
                        None => Json::Null,
                    };
                    env.insert(k, json);
                }
                Ok(Some(Json::Object(env)))
            }
            _ => Ok(None),
        })?;
        out.entry("command").or_insert(Json::Null);
        if matches!(out.get("environment"), Some(Json::Object(m)) if m.is_empty()) {
            out.remove("environment");
        }
        Ok(out)
    }

    /// `provider`: its options' values become lists of strings.
    pub(super) fn provider(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        Ok(Json::Object(self.fields(
            value,
            at,
            &[("type", F::Str)],
            &|key, v, _| {
                Ok(match key {
                    "options" => {
                        let mut out = Map::new();
                        for (k, o) in entries(v).unwrap_or_default() {
                            let list: Vec<Json> = match o {
                                Value::Sequence(items) => items
                                    .iter()
                                    .map(|i| {
                                        Json::String(scalar::text_or_null(i).unwrap_or_default())
                                    })
                                    .collect(),
                                o => {
                                    vec![Json::String(scalar::text_or_null(o).unwrap_or_default())]
                                }
                            };
                            out.insert(k, Json::Array(list));
                        }
                        Some(Json::Object(out))
                    }
                    _ => None,
                })
            },
        )?))
    }

    /// The service's `models`: a list of names, or a map to `{endpoint_var, model_var}`.
    pub(super) fn service_models(&self, value: &Value, at: &str) -> Result<Json, ConfigError> {
        let mut out = Map::new();
        match value {
            Value::Sequence(_) => {
                for name in self.strings(value, at)? {
                    out.insert(name, Json::Null);
                }
            }
            _ => {
                for (name, v) in
                    entries(value).ok_or_else(|| self.invalid(at, "must be a list or a mapping"))?
                {
                    let json = match v {
                        Value::Null => Json::Null,
                        v => Json::Object(self.fields(
                            v,
                            at,
                            &[("endpoint_var", F::Str), ("model_var", F::Str)],
                            &|_, _, _| Ok(None),
                        )?),
                    };
                    out.insert(name, json);
                }
            }
        }
        Ok(Json::Object(out))
    }
}
