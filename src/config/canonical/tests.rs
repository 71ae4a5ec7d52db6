//! The canonical form on small projects, loaded by the real loader.

use serde_json::{Value as Json, json};

use super::{Options, project, to_json};
use crate::config::Project;
use crate::config::env::Env;
use crate::redact::Redactor;
use crate::testing::load_project;

fn load(yaml: &str, vars: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, yaml).unwrap();
    let env = Env::load(
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        &[],
        dir.path(),
        Redactor::new(),
    )
    .unwrap();
    let project = load_project("demo", dir.path(), file, env);
    (dir, project)
}

fn canonical(yaml: &str) -> Json {
    let (_dir, p) = load(yaml, &[]);
    project(&p, &Options::default()).unwrap()
}

fn service(yaml: &str) -> Json {
    canonical(yaml)["services"]["a"].clone()
}

#[test]
fn a_minimal_service_gets_compose_defaults() {
    let doc = canonical("services:\n  a:\n    image: nginx\n");
    assert_eq!(
        doc,
        json!({
            "name": "demo",
            "networks": {"default": {"name": "demo_default", "ipam": {}}},
            "services": {"a": {"command": null, "entrypoint": null, "image": "nginx",
                "networks": {"default": null}}},
        })
    );
    assert_eq!(
        to_json(&doc),
        "{\n  \"name\": \"demo\",\n  \"networks\": {\n    \"default\": {\n      \"name\": \"demo_default\",\n      \"ipam\": {}\n    }\n  },\n  \"services\": {\n    \"a\": {\n      \"command\": null,\n      \"entrypoint\": null,\n      \"image\": \"nginx\",\n      \"networks\": {\n        \"default\": null\n      }\n    }\n  }\n}"
    );
}

#[test]
fn commands_are_split_and_environment_is_a_sorted_map() {
    let s = service(
        "services:\n  a:\n    image: x\n    command: echo \"a b\" && rm -rf /\n    entrypoint: []\n    \
         environment:\n      - B=2\n      - A\n      - C=\n",
    );
    assert_eq!(s["command"], json!(["echo", "a b"]));
    assert_eq!(s["entrypoint"], json!([]));
    assert_eq!(s["environment"], json!({"A": null, "B": "2", "C": ""}));
}

#[test]
fn ports_volumes_and_dependencies_take_the_long_form() {
    let (dir, p) = load(
        "services:\n  a:\n    image: x\n    ports: [\"8080:80\", \"8080:80\"]\n    \
         volumes: [\"./src:/src\", \"data:/data:ro\"]\n    depends_on: [b]\n    links: [c:alias]\n  \
         b:\n    image: x\n  c:\n    image: x\nvolumes:\n  data:\n",
        &[],
    );
    let doc = project(&p, &Options::default()).unwrap();
    let a = &doc["services"]["a"];
    assert_eq!(
        a["ports"],
        json!([{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}])
    );
    let src = format!("{}/src", dir.path().display());
    assert_eq!(
        a["volumes"],
        json!([
            {"type": "bind", "source": src, "target": "/src", "bind": {"create_host_path": true}},
            {"type": "volume", "source": "data", "target": "/data", "read_only": true, "volume": {}},
        ])
    );
    assert_eq!(
        a["depends_on"],
        json!({"b": {"condition": "service_started", "required": true},
               "c": {"condition": "service_started", "restart": true, "required": true}})
    );
    assert_eq!(doc["volumes"], json!({"data": {"name": "demo_data"}}));
}

#[test]
fn durations_sizes_and_numbers_are_typed() {
    let s = service(
        "services:\n  a:\n    image: x\n    mem_limit: 512m\n    cpus: \"0.5\"\n    \
         stop_grace_period: 90s\n    healthcheck:\n      test: curl -f x\n      interval: 1m\n      \
         retries: 0\n    deploy:\n      replicas: 0\n",
    );
    assert_eq!(s["mem_limit"], "536870912");
    assert_eq!(s["cpus"], json!(0.5));
    assert_eq!(s["stop_grace_period"], "1m30s");
    assert_eq!(
        s["healthcheck"],
        json!({"test": ["CMD-SHELL", "curl -f x"], "interval": "1m0s", "retries": 0})
    );
    assert_eq!(
        s["deploy"],
        json!({"replicas": 0, "resources": {}, "placement": {}})
    );
}

#[test]
fn secrets_are_masked_as_values_unless_shown() {
    let yaml = "services:\n  a:\n    image: x\n    environment:\n      POSTGRES_PASSWORD: hunter2-long\n      \
                USER_NAME: bob\n      DB_PASS:\n    build:\n      context: .\n      args: [API_TOKEN=tok-12345]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pass.txt"), "from-a-file\n").unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, yaml).unwrap();
    let env = Env::load(
        [("DB_PASS_FILE".to_string(), "pass.txt".to_string())],
        &[],
        dir.path(),
        Redactor::new(),
    )
    .unwrap();
    let p = load_project("demo", dir.path(), file, env);
    let masked = project(&p, &Options::default()).unwrap();
    let a = &masked["services"]["a"];
    assert_eq!(a["environment"]["POSTGRES_PASSWORD"], "[redacted]");
    assert_eq!(a["environment"]["DB_PASS"], "[redacted]");
    assert_eq!(a["environment"]["USER_NAME"], "bob");
    assert_eq!(a["build"]["args"]["API_TOKEN"], "[redacted]");
    let shown = project(
        &p,
        &Options {
            show_secrets: true,
            ..Options::default()
        },
    )
    .unwrap();
    let a = &shown["services"]["a"];
    assert_eq!(a["environment"]["POSTGRES_PASSWORD"], "hunter2-long");
    assert_eq!(a["environment"]["DB_PASS"], "from-a-file");
    assert_eq!(a["build"]["args"]["API_TOKEN"], "tok-12345");
}

#[test]
fn env_files_are_folded_under_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.env"),
        "A=from-file\nB=from-file\nREF=${B}\n",
    )
    .unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  a:\n    image: x\n    env_file: a.env\n    environment: [A, B=mine]\n",
    )
    .unwrap();
    let env = Env::load(Vec::new(), &[], dir.path(), Redactor::new()).unwrap();
    let p = load_project("demo", dir.path(), file, env);
    let doc = project(&p, &Options::default()).unwrap();
    assert_eq!(
        doc["services"]["a"]["environment"],
        json!({"A": null, "B": "mine", "REF": "mine"})
    );
}

#[test]
fn profiles_and_unused_resources_are_left_out() {
    let doc = canonical(
        "services:\n  a:\n    image: x\n    networks: [front]\n  dbg:\n    image: x\n    profiles: [debug]\n\
         networks:\n  front:\n  unused:\nvolumes:\n  nobody:\n",
    );
    assert_eq!(doc["services"].as_object().unwrap().len(), 1);
    assert_eq!(
        doc["networks"],
        json!({"front": {"name": "demo_front", "ipam": {}}})
    );
    assert!(doc.get("volumes").is_none());
}

#[test]
fn consistency_errors_are_configuration_errors() {
    for (yaml, want) in [
        (
            "services:\n  a:\n    image: x\n    networks: [nope]\n",
            "undefined network nope",
        ),
        (
            "services:\n  a:\n    image: x\n    volumes: [\"nope:/x\"]\n",
            "undefined volume nope",
        ),
        (
            "services:\n  a:\n    image: x\n    ports: [\"8000:80-81\"]\n",
            "invalid ranges",
        ),
        (
            "services:\n  a:\n    image: x\n    stop_grace_period: 10\n",
            "missing unit",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    profiles: [p]\n",
            "undefined service",
        ),
    ] {
        let (_dir, p) = load(yaml, &[]);
        let err = project(&p, &Options::default()).unwrap_err().to_string();
        assert!(err.contains(want), "{yaml}: {err}");
    }
}

#[test]
fn listings_follow_compose() {
    let (_dir, p) = load(
        "services:\n  web:\n    build: .\n    depends_on: [db]\n    volumes: [\"data:/d\"]\n  db:\n    image: pg\n  \
         x:\n    image: x\n    profiles: [b, a]\nvolumes:\n  data:\n",
        &[],
    );
    let o = Options::default();
    assert_eq!(super::services(&p, &o).unwrap(), ["db", "web"]);
    assert_eq!(super::images(&p, &o).unwrap(), ["pg", "demo-web"]);
    assert_eq!(super::volumes(&p, &o).unwrap(), ["data"]);
    assert_eq!(super::networks(&p, &o).unwrap(), ["default"]);
    assert_eq!(super::profiles(&p, &o).unwrap(), ["a", "b"]);
}

#[test]
fn pre_start_hooks_take_the_service_image_unless_they_name_one() {
    let s = service(
        "services:\n  a:\n    image: app:1\n    pre_start:\n      - command: migrate --yes\n        \
         environment: [BARE, A=1]\n        per_replica: false\n      - image: tools:2\n        \
         privileged: true\n",
    );
    assert_eq!(
        s["pre_start"],
        json!([
            {"command": ["migrate", "--yes"], "image": "app:1",
             "environment": {"A": "1", "BARE": null}},
            {"command": null, "image": "tools:2", "privileged": true},
        ])
    );
    let built = service("services:\n  a:\n    build: .\n    pre_start:\n      - command: [x]\n");
    assert_eq!(built["pre_start"], json!([{"command": ["x"]}]));
}

#[test]
fn string_keys_refuse_plain_numbers_as_the_schema_does() {
    for text in ["user: 1000", "working_dir: 0755", "stop_signal: true"] {
        let (_dir, p) = load(&format!("services:\n  a:\n    image: x\n    {text}\n"), &[]);
        let err = project(&p, &Options::default()).unwrap_err().to_string();
        assert!(err.contains("must be a string"), "{text}: {err}");
    }
    // Quoted, or from interpolation, it is a string.
    let a = service("services:\n  a:\n    image: x\n    user: \"1000\"\n");
    assert_eq!(a["user"], "1000");
    let (_dir, p) = load(
        "services:\n  a:\n    image: x\n    user: ${UID}\n",
        &[("UID", "1000")],
    );
    assert_eq!(
        project(&p, &Options::default()).unwrap()["services"]["a"]["user"],
        "1000"
    );
}

#[test]
fn an_extends_whose_base_is_empty_is_printed_with_its_absolute_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("common.yaml"), "services:\n  empty:\n").unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  a:\n    image: x\n    extends: {file: ./common.yaml, service: empty}\n",
    )
    .unwrap();
    let env = Env::load(std::iter::empty(), &[], dir.path(), Redactor::new()).unwrap();
    let p = load_project("demo", dir.path(), file, env);
    let doc = project(&p, &Options::default()).unwrap();
    let common = dir.path().join("common.yaml").display().to_string();
    assert_eq!(
        doc["services"]["a"]["extends"],
        json!({"file": common, "service": "empty"})
    );
    assert!(to_json(&doc).contains("\"extends\": {\n        \"file\""));
}

#[test]
fn a_long_port_keeps_its_protocol_as_written_a_short_one_is_lowercased() {
    let s = service(
        "services:\n  a:\n    image: x\n    ports:\n      - \"81:81/UDP\"\n      - {target: 82, protocol: UDP}\n",
    );
    assert_eq!(s["ports"][0]["protocol"], "udp");
    assert_eq!(s["ports"][1]["protocol"], "UDP");
}

#[test]
fn a_service_that_is_not_printed_must_still_parse() {
    let (_dir, p) = load(
        "services:\n  a:\n    image: x\n  b:\n    image: x\n    profiles: [extra]\n    volumes: [\"${UNSET}:/data\"]\n",
        &[],
    );
    let err = project(&p, &Options::default()).unwrap_err().to_string();
    assert!(
        err.contains("services.b.volumes[0]") && err.contains("empty section between colons"),
        "{err}"
    );
    let only_a = Options {
        services: vec!["a".into()],
        ..Options::default()
    };
    assert!(project(&p, &only_a).is_err());
    // Env files are read for enabled services only.
    let (_dir, p) = load(
        "services:\n  a:\n    image: x\n  b:\n    image: x\n    profiles: [extra]\n    env_file: gone.env\n",
        &[],
    );
    assert!(project(&p, &Options::default()).is_ok());
}
