//! Docker: is the engine reachable, and does the docker CLI configuration hold credentials
//! for every registry the stack's images come from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use crate::commands::checks::{Area, Check};
use crate::engine::{self, CALL_TIMEOUT, Engine};

/// Docker Hub, where images without a registry host come from.
pub const DOCKER_HUB: &str = "docker.io";

/// The registry an image reference names: its first path component when that looks like a
/// host (has a `.` or `:`, or is `localhost`), else Docker Hub.
pub fn registry_of(image: &str) -> String {
    let name = image.trim().split('@').next().unwrap_or_default();
    match name.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            normalize_host(first)
        }
        _ => DOCKER_HUB.to_string(),
    }
}

/// A registry as written in config.json (`https://index.docker.io/v1/`, `ghcr.io`,
/// `http://reg:5000`) reduced to the host form images use.
pub fn normalize_registry_key(key: &str) -> String {
    let key = key.trim();
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    normalize_host(key.split('/').next().unwrap_or_default())
}

fn normalize_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// Registries a missing login is normal for: Docker Hub (public images) and local registries.
fn login_optional(registry: &str) -> bool {
    let host = registry.split(':').next().unwrap_or(registry);
    registry == DOCKER_HUB || host == "localhost" || host == "127.0.0.1"
}

/// The credential sources in the docker CLI's config.json. Only names are kept, never the
/// `auth` values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub auths: BTreeSet<String>,
    pub helpers: BTreeMap<String, String>,
    pub store: Option<String>,
}

impl Credentials {
    /// Parse config.json. The error names the position only, never the content.
    pub fn parse(text: &str) -> Result<Credentials, String> {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("not valid JSON (line {}, column {})", e.line(), e.column()))?;
        let mut out = Credentials::default();
        if let Some(auths) = json.get("auths").and_then(|a| a.as_object()) {
            out.auths = auths.keys().map(|k| normalize_registry_key(k)).collect();
        }
        if let Some(helpers) = json.get("credHelpers").and_then(|h| h.as_object()) {
            out.helpers = helpers
                .iter()
                .filter_map(|(k, v)| Some((normalize_registry_key(k), v.as_str()?.to_string())))
                .collect();
        }
        out.store = json
            .get("credsStore")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(String::from);
        Ok(out)
    }

    /// Where credentials for `registry` would come from, if anywhere.
    pub fn source(&self, registry: &str) -> Option<String> {
        if let Some(helper) = self.helpers.get(registry) {
            return Some(format!("credHelpers (docker-credential-{helper})"));
        }
        if self.auths.contains(registry) {
            return Some(match &self.store {
                Some(store) => format!("auths, stored by docker-credential-{store}"),
                None => "auths".into(),
            });
        }
        self.store
            .as_ref()
            .map(|store| format!("credsStore (docker-credential-{store}; entries not inspected)"))
    }
}

/// One check per registry the images come from. Pure.
/// A registry without credentials is `info` for Docker Hub and local registries (public or
/// unauthenticated images are the norm there) and a `warning` elsewhere.
pub fn registry_checks(
    images: &BTreeMap<String, BTreeSet<String>>,
    credentials: &Credentials,
    config: &str,
) -> Vec<Check> {
    let mut by_registry: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (image, services) in images {
        by_registry
            .entry(registry_of(image))
            .or_default()
            .extend(services.iter().map(String::as_str));
    }
    by_registry
        .into_iter()
        .map(|(registry, services)| {
            let services: Vec<&str> = services.into_iter().collect();
            let used_by = format!("used by {}", services.join(", "));
            let name = format!("registry {registry}");
            match credentials.source(&registry) {
                Some(source) => Check::ok(
                    Area::Docker,
                    name,
                    format!("credentials in {config} ({source}); {used_by}"),
                ),
                None if login_optional(&registry) => Check::info(
                    Area::Docker,
                    name,
                    format!("no credentials in {config}: fine for public images; {used_by}"),
                )
                .fix(format!(
                    "`docker login {registry}` if the images are private"
                )),
                None => Check::warning(
                    Area::Docker,
                    name,
                    format!(
                        "no credentials in {config}: private images cannot be pulled; {used_by}"
                    ),
                )
                .fix(format!("docker login {registry}")),
            }
        })
        .collect()
}

/// Read the docker CLI configuration and check the registries of `images`.
pub fn credentials_checks(
    config_dir: Option<&Path>,
    images: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Check> {
    if images.is_empty() {
        return vec![Check::info(
            Area::Docker,
            "registries",
            "no service names an image",
        )];
    }
    let Some(dir) = config_dir else {
        return registry_checks(
            images,
            &Credentials::default(),
            "the docker configuration (neither DOCKER_CONFIG nor HOME is set)",
        );
    };
    let path = dir.join("config.json");
    let shown = path.display().to_string();
    let credentials = match crate::files::read_text(&path, crate::files::MAX_DOCKER_CONFIG_BYTES) {
        Ok(text) => match Credentials::parse(&text) {
            Ok(c) => c,
            Err(e) => {
                let mut checks = vec![
                    Check::warning(Area::Docker, "docker config", format!("{shown} is {e}"))
                        .fix(format!("repair {shown}, e.g. with `docker login`")),
                ];
                checks.extend(registry_checks(images, &Credentials::default(), &shown));
                return checks;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Credentials::default(),
        Err(e) => {
            let mut checks = vec![Check::warning(
                Area::Docker,
                "docker config",
                format!("cannot read {shown}: {e}"),
            )];
            checks.extend(registry_checks(images, &Credentials::default(), &shown));
            return checks;
        }
    };
    registry_checks(images, &credentials, &shown)
}

/// Why an image needs no registry login: it never came from one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// A service builds it (`build:`).
    Built,
    /// The engine has it with no registry digest: built or loaded there, never pulled.
    NeverPulled,
}

/// Whether registry digests say an image never came from a registry: none at all (Docker),
/// or only `localhost/` ones (Podman gives loaded and built images those).
pub fn never_pulled(digests: &[String]) -> bool {
    digests.iter().all(|d| d.starts_with("localhost/"))
}

/// The images in use that exist only locally: the ones a service builds, and (when the
/// engine answers) the ones it holds without a registry digest. An image the engine does
/// not have, or cannot say about, is left to the registry checks.
pub async fn local_images(
    engine: Option<&Engine>,
    images: &BTreeMap<String, BTreeSet<String>>,
    built: &BTreeSet<String>,
) -> BTreeMap<String, Local> {
    let mut local: BTreeMap<String, Local> = images
        .keys()
        .filter(|i| built.contains(*i))
        .map(|i| (i.clone(), Local::Built))
        .collect();
    let Some(engine) = engine else {
        return local;
    };
    let asked: Vec<&String> = images.keys().filter(|i| !local.contains_key(*i)).collect();
    let answers =
        futures_util::future::join_all(asked.iter().map(|i| engine.image_repo_digests(i))).await;
    for (image, answer) in asked.into_iter().zip(answers) {
        if let Ok(Some(digests)) = answer {
            if never_pulled(&digests) {
                local.insert(image.clone(), Local::NeverPulled);
            }
        }
    }
    local
}

/// One info check naming the images that need no login (an empty list: none). Pure.
pub fn local_images_check(
    images: &BTreeMap<String, BTreeSet<String>>,
    local: &BTreeMap<String, Local>,
) -> Option<Check> {
    if local.is_empty() {
        return None;
    }
    let describe = |want: Local| {
        local
            .iter()
            .filter(|(_, l)| **l == want)
            .map(|(image, _)| {
                let users: Vec<&str> = images
                    .get(image)
                    .map(|s| s.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                format!("{image} (used by {})", users.join(", "))
            })
            .collect::<Vec<_>>()
    };
    let mut parts = Vec::new();
    let built = describe(Local::Built);
    if !built.is_empty() {
        parts.push(format!("built by the project: {}", built.join(", ")));
    }
    let loaded = describe(Local::NeverPulled);
    if !loaded.is_empty() {
        parts.push(format!(
            "on the engine and never pulled from a registry: {}",
            loaded.join(", ")
        ));
    }
    Some(Check::ok(
        Area::Docker,
        "local images",
        format!("no registry login needed; {}", parts.join("; ")),
    ))
}

/// Can the engine be reached? Never fails the command: an unreachable engine is one check.
/// The connected engine comes back too, for the image checks.
pub async fn engine_check(
    lookup: &dyn Fn(&str) -> Option<String>,
    timeout: Duration,
) -> (Check, Option<Engine>) {
    let target = match engine::host::resolve(lookup) {
        Ok(target) => target,
        Err(e) => {
            let check = Check::error(Area::Docker, "engine", e.to_string())
                .fix("fix DOCKER_HOST, DOCKER_CONTEXT or the docker configuration");
            return (check, None);
        }
    };
    match Engine::connect(&target, timeout.min(CALL_TIMEOUT)).await {
        Ok(engine) => {
            let from = match target.origin.as_str() {
                "default" => String::new(),
                origin => format!(" (from {origin})"),
            };
            let check = Check::ok(
                Area::Docker,
                "engine",
                format!(
                    "reachable at {}{from}: {}, API {}",
                    target.address,
                    engine.product(),
                    engine.api_version()
                ),
            );
            (check, Some(engine))
        }
        Err(e) => {
            let hint = e.hint();
            let check = Check::error(Area::Docker, "engine", e.to_string());
            let check = match hint {
                Some(hint) => check.fix(hint),
                None => check,
            };
            (check, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::checks::Level;

    #[test]
    fn images_that_never_came_from_a_registry_need_no_login() {
        assert!(never_pulled(&[]));
        assert!(never_pulled(&[
            "localhost/phi-test/busybox@sha256:ab".into()
        ]));
        assert!(!never_pulled(&["postgres@sha256:ab".into()]));
        let images: BTreeMap<String, BTreeSet<String>> = [
            ("app:dev", "web"),
            ("phi-test/redis:7", "redis"),
            ("postgres:15", "db"),
        ]
        .into_iter()
        .map(|(i, s)| (i.to_string(), [s.to_string()].into()))
        .collect();
        let local: BTreeMap<String, Local> = [
            ("app:dev".to_string(), Local::Built),
            ("phi-test/redis:7".to_string(), Local::NeverPulled),
        ]
        .into();
        let check = local_images_check(&images, &local).unwrap();
        assert_eq!(check.level, Level::Ok);
        assert_eq!(
            check.message,
            "no registry login needed; built by the project: app:dev (used by web); \
             on the engine and never pulled from a registry: phi-test/redis:7 (used by redis)"
        );
        assert!(local_images_check(&images, &BTreeMap::new()).is_none());
    }

    #[test]
    fn registries_from_image_references() {
        for (image, registry) in [
            ("postgres", "docker.io"),
            ("postgres:15", "docker.io"),
            ("library/postgres:15", "docker.io"),
            ("bitnami/redis@sha256:abc", "docker.io"),
            ("phi-test/busybox:latest", "docker.io"),
            ("docker.io/library/nginx", "docker.io"),
            ("index.docker.io/x/y", "docker.io"),
            ("ghcr.io/owner/app:1", "ghcr.io"),
            ("GHCR.io/owner/app", "ghcr.io"),
            (
                "registry.example.com:5000/team/app",
                "registry.example.com:5000",
            ),
            ("localhost/app", "localhost"),
            ("localhost:5000/app", "localhost:5000"),
            (
                "europe-docker.pkg.dev/proj/repo/img",
                "europe-docker.pkg.dev",
            ),
            ("", "docker.io"),
        ] {
            assert_eq!(registry_of(image), registry, "{image}");
        }
    }

    #[test]
    fn config_keys_are_normalised() {
        assert_eq!(
            normalize_registry_key("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(
            normalize_registry_key("http://reg.local:5000"),
            "reg.local:5000"
        );
        assert_eq!(normalize_registry_key("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn credentials_come_from_auths_helpers_or_a_store() {
        let c = Credentials::parse(
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"c2VjcmV0"},"ghcr.io":{}},
                "credHelpers":{"europe-docker.pkg.dev":"gcloud"}}"#,
        )
        .unwrap();
        assert_eq!(c.source("docker.io").as_deref(), Some("auths"));
        assert_eq!(c.source("ghcr.io").as_deref(), Some("auths"));
        assert_eq!(
            c.source("europe-docker.pkg.dev").as_deref(),
            Some("credHelpers (docker-credential-gcloud)")
        );
        assert_eq!(c.source("quay.io"), None);
        let store = Credentials::parse(r#"{"credsStore":"pass"}"#).unwrap();
        assert!(store.source("quay.io").unwrap().contains("credsStore"));
        let err = Credentials::parse("{\"auths\": {\"x\": \"c2VjcmV0\"").unwrap_err();
        assert!(err.contains("line 1") && !err.contains("c2VjcmV0"), "{err}");
    }

    #[test]
    fn missing_credentials_are_info_on_docker_hub_and_a_warning_elsewhere() {
        let images: BTreeMap<String, BTreeSet<String>> = [
            ("postgres:15", "db"),
            ("ghcr.io/o/app", "web"),
            ("localhost:5000/x", "job"),
            ("quay.io/o/y", "cache"),
        ]
        .into_iter()
        .map(|(i, s)| (i.to_string(), BTreeSet::from([s.to_string()])))
        .collect();
        let creds = Credentials::parse(r#"{"auths":{"ghcr.io":{}}}"#).unwrap();
        let checks = registry_checks(&images, &creds, "config.json");
        let got: Vec<(&str, Level)> = checks.iter().map(|c| (c.name.as_str(), c.level)).collect();
        assert_eq!(
            got,
            vec![
                ("registry docker.io", Level::Info),
                ("registry ghcr.io", Level::Ok),
                ("registry localhost:5000", Level::Info),
                ("registry quay.io", Level::Warning),
            ]
        );
        assert!(checks[3].message.contains("used by cache"));
        assert_eq!(checks[3].fix.as_deref(), Some("docker login quay.io"));
    }

    #[test]
    fn a_missing_config_file_means_no_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let images = BTreeMap::from([(
            "ghcr.io/o/app".to_string(),
            BTreeSet::from(["web".to_string()]),
        )]);
        let checks = credentials_checks(Some(dir.path()), &images);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].level, Level::Warning);
        std::fs::write(dir.path().join("config.json"), "{not json").unwrap();
        let checks = credentials_checks(Some(dir.path()), &images);
        assert_eq!(checks[0].name, "docker config");
        assert_eq!(checks[0].level, Level::Warning);
        assert_eq!(
            credentials_checks(None, &BTreeMap::new())[0].level,
            Level::Info
        );
    }
}
