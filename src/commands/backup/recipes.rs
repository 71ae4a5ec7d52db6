//! What a run backs up (the plan, from x-phi; pure) and the small shell programs that run
//! inside the containers. Credentials are resolved inside the container from its own
//! environment (`NAME` or `NAME_FILE`), so they never pass through phi.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value;

use crate::config::compose::ComposeModel;
use crate::config::xphi::PostgresBackup;

/// One thing to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Postgres(PostgresBackup),
    Redis,
    /// A Compose volume, by its key in the top-level `volumes:`.
    Volume(String),
    /// An absolute path in the container.
    Path(String),
}

impl Kind {
    pub fn recipe(&self) -> &'static str {
        match self {
            Kind::Postgres(_) => "postgres",
            Kind::Redis => "redis",
            Kind::Volume(_) => "volume",
            Kind::Path(_) => "path",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub service: String,
    pub kind: Kind,
}

/// Per service: its items, whether it is stopped for its volumes and paths, its commands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub items: Vec<Planned>,
    /// Services stopped while their volumes and paths are copied.
    pub stop: BTreeSet<String>,
    pub pre: BTreeMap<String, Vec<String>>,
    pub post: BTreeMap<String, Vec<String>>,
}

impl Plan {
    /// Whether an item is copied while its service is stopped.
    pub fn copied_stopped(&self, item: &Planned) -> bool {
        self.stop.contains(&item.service) && matches!(item.kind, Kind::Volume(_) | Kind::Path(_))
    }
}

/// The plan for the selected services (all when `selected` is None). Pure.
pub fn plan(model: &ComposeModel, selected: Option<&BTreeSet<&str>>) -> Plan {
    let mut plan = Plan::default();
    for (name, service) in &model.services {
        if selected.is_some_and(|s| !s.contains(name.as_str())) {
            continue;
        }
        let Some(spec) = &service.x_phi.backup else {
            continue;
        };
        let mut push = |kind: Kind| {
            plan.items.push(Planned {
                service: name.clone(),
                kind,
            })
        };
        if let Some(pg) = &spec.postgres {
            push(Kind::Postgres(pg.clone()));
        }
        if spec.redis {
            push(Kind::Redis);
        }
        for volume in &spec.volumes {
            push(Kind::Volume(volume.clone()));
        }
        for path in &spec.paths {
            push(Kind::Path(path.clone()));
        }
        if spec.stop {
            plan.stop.insert(name.clone());
        }
        if let Some(pre) = &spec.pre {
            plan.pre.insert(name.clone(), pre.clone());
        }
        if let Some(post) = &spec.post {
            plan.post.insert(name.clone(), post.clone());
        }
    }
    plan
}

/// The named volumes a service mounts, from its raw definition (short and long syntax).
fn named_volumes(raw: &Value) -> Vec<String> {
    let Some(Value::Sequence(entries)) = raw.get("volumes") else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry {
            Value::String(short) => {
                let source = short.split(':').next()?;
                let named = !source.is_empty()
                    && short.contains(':')
                    && !source.starts_with(['/', '.', '~', '$']);
                named.then(|| source.to_string())
            }
            Value::Mapping(_) => {
                let kind = entry
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("volume");
                (kind == "volume")
                    .then(|| {
                        entry
                            .get("source")
                            .and_then(Value::as_str)
                            .map(String::from)
                    })
                    .flatten()
            }
            _ => None,
        })
        .collect()
}

/// The message for a project that declares nothing to back up: what could be, and how.
pub fn nothing_declared(model: &ComposeModel, origin: &str) -> String {
    let mut lines = Vec::new();
    for (name, service) in &model.services {
        let image = service.image.as_deref().unwrap_or("").to_ascii_lowercase();
        let mut parts = Vec::new();
        if image.contains("postgres") {
            parts.push("postgres: true".to_string());
        }
        if image.contains("redis") {
            parts.push("redis: true".to_string());
        }
        let volumes = named_volumes(&service.raw);
        if !volumes.is_empty() && parts.is_empty() {
            parts.push(format!("volumes: [{}]", volumes.join(", ")));
        }
        if !parts.is_empty() {
            lines.push(format!(
                "  services.{name}.x-phi: {{ backup: {{ {} }} }}",
                parts.join(", ")
            ));
        }
    }
    let mut text = format!("nothing to back up: no service in {origin} declares `x-phi.backup`");
    if lines.is_empty() {
        text.push_str(
            "\nDeclare what to back up per service, e.g. `x-phi: { backup: { postgres: true } }`, \
             `{ redis: true }`, `{ volumes: [data] }` or `{ paths: [/srv/files] }` (see the README, \"x-phi settings\")",
        );
    } else {
        text.push_str("\nThese could be backed up; add to the compose file:\n");
        text.push_str(&lines.join("\n"));
    }
    text
}

/// The engine's name for a Compose volume: its `name:`, the key itself when `external`, else
/// `<project>_<key>`.
pub fn volume_name(model: &ComposeModel, project: &str, key: &str) -> String {
    let definition = model.raw.get("volumes").and_then(|v| v.get(key));
    if let Some(name) = definition
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
    {
        return name.to_string();
    }
    if definition
        .and_then(|d| d.get("external"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return key.to_string();
    }
    format!("{project}_{key}")
}

/// `/srv/data` -> (`/srv`, `data`); the tar of a path unpacks into its parent.
pub fn split_path(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".into(), name.into()),
        Some((parent, name)) => (parent.into(), name.into()),
        None => ("/".into(), trimmed.into()),
    }
}

/// A file name made of safe characters.
pub fn file_stem(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.trim_matches('/')
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Sets PGUSER, PGDATABASE and (when there is one) PGPASSWORD from the container's own
/// POSTGRES_USER / POSTGRES_DB / POSTGRES_PASSWORD or their `_FILE` variants; PHI_PG_USER and
/// PHI_PG_DB (from x-phi) win.
const PG_ENV: &str = r#"set -e
phi_var() { eval "v=\${$1:-}"; eval "f=\${$1_FILE:-}"; if [ -z "$v" ] && [ -n "$f" ]; then v="$(cat "$f")"; fi; printf '%s' "$v"; }
u="$(phi_var POSTGRES_USER)"; u="${PHI_PG_USER:-${u:-postgres}}"
d="$(phi_var POSTGRES_DB)"; d="${PHI_PG_DB:-${d:-$u}}"
p="$(phi_var POSTGRES_PASSWORD)"
if [ -n "$p" ]; then export PGPASSWORD="$p"; fi
unset p
export PGUSER="$u" PGDATABASE="$d"
"#;

/// A shell command that runs `tail` after [`PG_ENV`].
fn pg_command(tail: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), format!("{PG_ENV}{tail}")]
}

/// The first line a dump writes to stderr: who and what (never the password).
pub const PG_MARKER: &str = "phi-pg-dump";

/// The dump, to stdout; first a [`PG_MARKER`] line with the user and the database on stderr.
/// A custom dump keeps pg_dump's own compression: the Engine's attach stream, not the CPU, is
/// what limits a dump, so the fewer bytes cross it the better.
pub fn pg_dump(plain: bool) -> Vec<String> {
    let marker =
        format!(r#"printf '{PG_MARKER} user=%s database=%s\n' "$PGUSER" "$PGDATABASE" >&2"#);
    if plain {
        pg_command(&format!(
            "{marker}\nexec pg_dump --no-password --clean --if-exists"
        ))
    } else {
        pg_command(&format!("{marker}\nexec pg_dump --no-password -Fc"))
    }
}

/// The user and database from a [`PG_MARKER`] line.
pub fn parse_pg_marker(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix(PG_MARKER)?.trim();
    let rest = rest.strip_prefix("user=")?;
    let (user, database) = rest.split_once(" database=")?;
    Some((user.to_string(), database.to_string()))
}

/// The restore, reading the dump from stdin, in one transaction: pg_restore's own, or (plain
/// SQL) the BEGIN and COMMIT phi sends around the dump.
pub fn pg_restore(plain: bool) -> Vec<String> {
    if plain {
        pg_command(
            r#"exec psql --no-password --no-psqlrc -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" -f -"#,
        )
    } else {
        pg_command(
            r#"exec pg_restore --no-password --clean --if-exists --single-transaction -d "$PGDATABASE""#,
        )
    }
}

/// Lists a custom dump read from stdin (the check `verify` runs).
pub fn pg_restore_list() -> Vec<String> {
    vec!["pg_restore".into(), "--list".into()]
}

/// The variables that carry x-phi's user and database to [`PG_ENV`].
pub fn pg_env(pg: &PostgresBackup) -> Vec<String> {
    let mut env = Vec::new();
    if let Some(user) = &pg.user {
        env.push(format!("PHI_PG_USER={user}"));
    }
    if let Some(db) = &pg.database {
        env.push(format!("PHI_PG_DB={db}"));
    }
    env
}

/// redis-cli with REDISCLI_AUTH from the container's REDIS_PASSWORD (or REDIS_PASSWORD_FILE).
pub fn redis_cli(args: &[&str]) -> Vec<String> {
    let mut command = vec![
        "sh".to_string(),
        "-c".to_string(),
        r#"set -e
a="${REDIS_PASSWORD:-}"; if [ -z "$a" ] && [ -n "${REDIS_PASSWORD_FILE:-}" ]; then a="$(cat "$REDIS_PASSWORD_FILE")"; fi
if [ -n "$a" ]; then export REDISCLI_AUTH="$a"; fi
unset a
exec redis-cli --no-auth-warning --raw "$@""#
            .to_string(),
        "redis-cli".to_string(),
    ];
    command.extend(args.iter().map(|a| a.to_string()));
    command
}

/// The fields of `INFO persistence` that tell when a BGSAVE is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Persistence {
    pub in_progress: bool,
    pub last_save: u64,
    /// `rdb_saves` (Redis 7+); 0 when absent.
    pub saves: u64,
    pub last_ok: bool,
}

pub fn parse_persistence(info: &str) -> Option<Persistence> {
    let mut fields = BTreeMap::new();
    for line in info.lines() {
        if let Some((k, v)) = line.trim().split_once(':') {
            fields.insert(k, v.trim());
        }
    }
    Some(Persistence {
        in_progress: *fields.get("rdb_bgsave_in_progress")? == "1",
        last_save: fields.get("rdb_last_save_time")?.parse().ok()?,
        saves: fields
            .get("rdb_saves")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        last_ok: fields
            .get("rdb_last_bgsave_status")
            .is_none_or(|v| *v == "ok"),
    })
}

/// Whether a BGSAVE started after `before` has finished.
pub fn save_finished(before: Persistence, now: Persistence) -> bool {
    !now.in_progress && (now.saves > before.saves || now.last_save > before.last_save)
}

/// The value of `CONFIG GET name` in `--raw` output (`name\nvalue\n`).
pub fn config_value(output: &str, name: &str) -> Option<String> {
    let mut lines = output.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == name {
            return lines.next().map(String::from);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compose::Service;
    use crate::config::xphi::BackupSpec;

    fn model() -> ComposeModel {
        let mut model = ComposeModel::default();
        let mut db = Service {
            image: Some("phi-test/postgres:15".into()),
            ..Service::default()
        };
        db.x_phi.backup = Some(BackupSpec {
            postgres: Some(PostgresBackup::default()),
            volumes: vec!["pgdata".into()],
            stop: true,
            pre: Some(vec!["sync".into()]),
            ..BackupSpec::default()
        });
        model.services.insert("db".into(), db);
        let cache = Service {
            image: Some("redis:7".into()),
            ..Service::default()
        };
        model.services.insert("cache".into(), cache);
        let files = Service {
            raw: serde_norway::from_str(
                "volumes: ['media:/srv/media', './x:/x', {type: volume, source: logs, target: /l}]",
            )
            .unwrap(),
            ..Service::default()
        };
        model.services.insert("files".into(), files);
        model.raw = serde_norway::from_str(
            "volumes: { pgdata: { name: shared-pg }, ext: { external: true }, media: {} }",
        )
        .unwrap();
        model
    }

    #[test]
    fn the_plan_follows_x_phi_and_the_selection() {
        let m = model();
        let p = plan(&m, None);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].kind.recipe(), "postgres");
        assert!(p.copied_stopped(&p.items[1]) && !p.copied_stopped(&p.items[0]));
        assert_eq!(p.pre["db"], ["sync"]);
        let only_cache = BTreeSet::from(["cache"]);
        assert!(plan(&m, Some(&only_cache)).items.is_empty());
    }

    #[test]
    fn nothing_declared_suggests_what_could_be_backed_up() {
        let mut m = model();
        m.services.get_mut("db").unwrap().x_phi.backup = None;
        let text = nothing_declared(&m, "compose.yaml");
        assert!(
            text.contains("services.db.x-phi: { backup: { postgres: true } }"),
            "{text}"
        );
        assert!(
            text.contains("services.cache.x-phi: { backup: { redis: true } }"),
            "{text}"
        );
        assert!(
            text.contains("services.files.x-phi: { backup: { volumes: [media, logs] } }"),
            "{text}"
        );
    }

    #[test]
    fn volume_names_follow_compose() {
        let m = model();
        assert_eq!(volume_name(&m, "shop", "pgdata"), "shared-pg");
        assert_eq!(volume_name(&m, "shop", "ext"), "ext");
        assert_eq!(volume_name(&m, "shop", "media"), "shop_media");
    }

    #[test]
    fn paths_split_into_parent_and_name_and_names_are_safe() {
        assert_eq!(split_path("/srv/data/"), ("/srv".into(), "data".into()));
        assert_eq!(split_path("/data"), ("/".into(), "data".into()));
        assert_eq!(
            file_stem(&["web", "path", "/srv/my files"]),
            "web-path-srv_my_files"
        );
    }

    #[test]
    fn redis_persistence_is_read_from_info() {
        let info = "# Persistence\r\nloading:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:1700000000\r\nrdb_last_bgsave_status:ok\r\nrdb_saves:4\r\n";
        let p = parse_persistence(info).unwrap();
        assert_eq!(
            p,
            Persistence {
                in_progress: false,
                last_save: 1_700_000_000,
                saves: 4,
                last_ok: true
            }
        );
        let running = Persistence {
            in_progress: true,
            saves: 5,
            ..p
        };
        assert!(!save_finished(p, running));
        assert!(save_finished(p, Persistence { saves: 5, ..p }));
        assert!(save_finished(
            p,
            Persistence {
                last_save: p.last_save + 1,
                ..p
            }
        ));
        assert!(!save_finished(p, p));
        assert!(parse_persistence("garbage").is_none());
        assert_eq!(
            config_value("dir\n/data\n", "dir").as_deref(),
            Some("/data")
        );
        assert_eq!(config_value("", "dir"), None);
    }

    #[test]
    fn the_dump_marker_names_user_and_database() {
        assert_eq!(
            parse_pg_marker("phi-pg-dump user=shop database=my db"),
            Some(("shop".into(), "my db".into()))
        );
        assert_eq!(parse_pg_marker("pg_dump: error: connection failed"), None);
    }
}
