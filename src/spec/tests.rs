//! The translation, tested through the real loader on small compose files.

use std::path::Path;

use serde_norway::Value;

use super::build::{build_spec, pull_policy};
use super::resources::project_resources;
use super::runtime::bytes;
use super::service::container_spec;
use super::*;
use crate::config::Project;
use crate::config::env::Env;
use crate::redact::Redactor;
use std::time::Duration;

/// A project named `demo` from `yaml`, loaded by the real loader in a temp dir.
fn project(yaml: &str, vars: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
    project_with(yaml, vars, Redactor::new())
}

fn project_with(
    yaml: &str,
    vars: &[(&str, &str)],
    redactor: Redactor,
) -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, yaml).unwrap();
    let process = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let env = Env::load(process, &[], dir.path(), redactor).unwrap();
    let project = crate::testing::load_project("demo", dir.path(), file, env);
    (dir, project)
}

fn spec_of(yaml: &str, vars: &[(&str, &str)]) -> (ContainerSpec, Vec<String>) {
    let (_dir, project) = project(yaml, vars);
    container_spec(&project, "web", 1).unwrap()
}

fn build(yaml: &str) -> ContainerSpec {
    spec_of(yaml, &[]).0
}

fn error(yaml: &str, vars: &[(&str, &str)]) -> String {
    let (_dir, project) = project(yaml, vars);
    container_spec(&project, "web", 1).unwrap_err().to_string()
}

fn web(body: &str) -> String {
    format!("services:\n  web:\n    image: nginx:1\n{body}")
}

fn port(ip: Option<&str>, host: Option<u16>, container: u16, protocol: &str) -> PortSpec {
    PortSpec {
        host_ip: ip.map(str::to_string),
        host_port: host,
        host_port_end: None,
        container_port: container,
        protocol: protocol.into(),
    }
}

fn mount(kind: MountKind, source: Option<&str>, target: &str, read_only: bool) -> MountSpec {
    MountSpec {
        kind,
        source: source.map(str::to_string),
        target: target.into(),
        read_only,
        ..MountSpec::default()
    }
}

/// A bind the engine creates when missing (short syntax, or `create_host_path: true`).
fn created_bind(source: &str, target: &str, read_only: bool) -> MountSpec {
    MountSpec {
        create_host_path: true,
        ..mount(MountKind::Bind, Some(source), target, read_only)
    }
}

#[test]
fn a_minimal_service_gets_name_labels_and_the_default_network() {
    let (_dir, project) = project(&web(""), &[]);
    let (spec, warnings) = container_spec(&project, "web", 2).unwrap();
    assert_eq!(spec.name, "demo-web-2");
    assert_eq!(spec.image, "nginx:1");
    assert_eq!(spec.command, None);
    assert_eq!(spec.entrypoint, None);
    assert_eq!(
        spec.networks,
        [NetworkAttachment {
            name: "demo_default".into(),
            aliases: vec!["web".into()],
            ..NetworkAttachment::default()
        }]
    );
    let dir = project.directory.display().to_string();
    let file = project.files[0].display().to_string();
    let labels = &spec.labels;
    assert_eq!(labels[LABEL_PROJECT], "demo");
    assert_eq!(labels[LABEL_SERVICE], "web");
    assert_eq!(labels[LABEL_NUMBER], "2");
    assert_eq!(labels[LABEL_ONEOFF], "False");
    assert_eq!(labels[LABEL_WORKING_DIR], dir);
    assert_eq!(labels[LABEL_CONFIG_FILES], file);
    let mut unhashed = spec.clone();
    unhashed.labels.remove(LABEL_CONFIG_HASH);
    assert_eq!(labels[LABEL_CONFIG_HASH], config_hash(&unhashed));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(spec.restart, None);
    assert!(!spec.read_only);
}

#[test]
fn container_name_wins_and_unknown_services_are_errors() {
    let spec = build(&web("    container_name: the-web\n"));
    assert_eq!(spec.name, "the-web");
    let err = error(&web("    container_name: the-web\n    scale: 2\n"), &[]);
    assert!(err.contains("services.web.container_name"), "{err}");
    let (_dir, project) = project(&web(""), &[]);
    let err = container_spec(&project, "ghost", 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ghost") && err.contains("web"), "{err}");
}

#[test]
fn the_demo_stack_translates_without_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    let file = dir.join("compose.yaml");
    let env = Env::load(Vec::new(), &[], &dir, Redactor::new()).unwrap();
    let project = crate::testing::load_project("phi-demo", &dir, file, env);
    for service in ["postgres", "redis", "dashboard"] {
        let (spec, warnings) = container_spec(&project, service, 1).unwrap();
        assert!(warnings.is_empty(), "{service}: {warnings:?}");
        assert_eq!(spec.name, format!("phi-demo-{service}-1"));
        assert_eq!(spec.restart.as_deref(), Some("unless-stopped"));
        assert_eq!(spec.networks[0].name, "phi-demo_default");
    }
    let postgres = container_spec(&project, "postgres", 1).unwrap().0;
    assert_eq!(
        postgres.mounts,
        [mount(
            MountKind::Volume,
            Some("phi-demo_pgdata"),
            "/var/lib/postgresql/data",
            false
        )]
    );
    assert_eq!(
        postgres.ports,
        [port(Some("127.0.0.1"), Some(15432), 5432, "tcp")]
    );
    assert!(postgres.env.contains(&"POSTGRES_USER=phi".to_string()));
    let health = postgres.healthcheck.unwrap();
    assert_eq!(health.test[..2], ["CMD", "pg_isready"]);
    assert_eq!(health.retries, Some(30));
    let dashboard = container_spec(&project, "dashboard", 1).unwrap().0;
    assert_eq!(dashboard.working_dir.as_deref(), Some("/app"));
    assert_eq!(dashboard.command.unwrap()[0], "gunicorn");
    let app = dir.join("dashboard").display().to_string();
    assert_eq!(dashboard.mounts, [created_bind(&app, "/app", true)]);
}

#[test]
fn replicas_share_the_config_hash() {
    let (_dir, project) = project(&web("    environment: [A=1]\n"), &[]);
    let one = container_spec(&project, "web", 1).unwrap().0;
    let two = container_spec(&project, "web", 2).unwrap().0;
    assert_eq!(one.labels[LABEL_CONFIG_HASH], two.labels[LABEL_CONFIG_HASH]);
    let other = build(&web("    environment: [A=2]\n"));
    assert_ne!(
        one.labels[LABEL_CONFIG_HASH],
        other.labels[LABEL_CONFIG_HASH]
    );
    let ported = build(&web("    environment: [A=1]\n    ports: ['80']\n"));
    assert_ne!(
        one.labels[LABEL_CONFIG_HASH],
        ported.labels[LABEL_CONFIG_HASH]
    );
}

#[test]
fn an_image_is_required_unless_the_service_builds() {
    let err = error("services:\n  web:\n    command: x\n", &[]);
    assert!(err.contains("services.web.image"), "{err}");
    let (spec, warnings) = spec_of("services:\n  web:\n    build: .\n", &[]);
    assert_eq!(spec.image, "demo-web");
    assert!(warnings.is_empty(), "{warnings:?}");
    // `image: ""` beside `build:` is the same as no image, as in Compose.
    let (spec, _) = spec_of("services:\n  web:\n    image: \"\"\n    build: .\n", &[]);
    assert_eq!(spec.image, "demo-web");
}

#[test]
fn build_settings_are_read() {
    let yaml = "services:\n  web:\n    build:\n      context: ./app\n      \
                dockerfile: Dockerfile.expenditure\n      target: prod\n      \
                args: {VERSION: '1.2', FROM_ENV: }\n      cache_from: [x]\n      tags: [\"demo/web:1\"]\n      \
                labels: [a=b]\n      no_cache: true\n      pull: true\n      network: host\n      \
                shm_size: 64m\n      extra_hosts: [\"db=10.0.0.2\", \"cache:10.0.0.3\"]\n      \
                platforms: [linux/amd64, linux/arm64]\n      secrets: [token]\n";
    let (_dir, p) = project(yaml, &[("FROM_ENV", "e")]);
    let (build, warnings) = build_spec(&p, "web", "demo-web").unwrap().unwrap();
    assert_eq!(build.context, p.directory.join("app"));
    assert_eq!(build.dockerfile, "Dockerfile.expenditure");
    assert_eq!(build.target.as_deref(), Some("prod"));
    assert_eq!(build.args["VERSION"], "1.2");
    assert_eq!(build.args["FROM_ENV"], "e");
    assert_eq!(build.tag, "demo-web");
    assert_eq!(build.cache_from, ["x"]);
    assert_eq!(build.extra_tags, ["demo/web:1"]);
    assert_eq!(build.labels["a"], "b");
    assert!(build.no_cache && build.pull);
    assert_eq!(build.network.as_deref(), Some("host"));
    assert_eq!(build.shm_size, Some(64 << 20));
    assert_eq!(build.extra_hosts, ["db:10.0.0.2", "cache:10.0.0.3"]);
    assert_eq!(build.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("services.web.build.platforms: the engine's builder builds one")
    );
    assert!(warnings[1].starts_with("services.web.build.secrets is ignored: it needs BuildKit"));
    let inline = "services:\n  web:\n    platform: linux/arm64\n    build:\n      dockerfile_inline: |\n        FROM busybox\n      platforms: [linux/amd64, linux/arm64]\n";
    let (_dir, p) = project(inline, &[]);
    let (build, _) = build_spec(&p, "web", "demo-web").unwrap().unwrap();
    assert_eq!(build.dockerfile, INLINE_DOCKERFILE);
    assert_eq!(build.dockerfile_inline.as_deref(), Some("FROM busybox\n"));
    assert_eq!(
        build.platform.as_deref(),
        Some("linux/arm64"),
        "the service's platform"
    );
    let (_dir, p) = project(
        "services:\n  web:\n    build: {dockerfile: D, dockerfile_inline: \"FROM x\"}\n",
        &[],
    );
    let err = build_spec(&p, "web", "a").unwrap_err().to_string();
    assert!(
        err.contains("services.web.build.dockerfile_inline"),
        "{err}"
    );
    let (_dir, p) = project("services:\n  web:\n    image: a\n", &[]);
    assert!(build_spec(&p, "web", "a").unwrap().is_none());
    let (_dir, p) = project(
        "services:\n  web:\n    build: https://github.com/x/y.git\n",
        &[],
    );
    let err = build_spec(&p, "web", "a").unwrap_err().to_string();
    assert!(err.contains("services.web.build.context"), "{err}");
}

#[test]
fn project_resources_carry_compose_labels_and_external_names() {
    let yaml = "services:\n  web:\n    image: a\nnetworks:\n  back:\n    internal: true\n    \
                attachable: true\n    enable_ipv6: true\n    driver_opts: {com.docker.network.bridge.name: br-back}\n    \
                ipam: {driver: default, config: [{subnet: 10.9.0.0/24, ip_range: 10.9.0.0/25, gateway: 10.9.0.1, \
                aux_addresses: {host1: 10.9.0.5}}], options: {o: \"1\"}}\n  shared:\n    external: true\n    \
                name: corp\nvolumes:\n  data:\n    driver_opts: {type: tmpfs, device: tmpfs}\n    \
                labels: {team: ops}\n  old:\n    external: true\n";
    let (_dir, p) = project(yaml, &[]);
    let r = project_resources(&p).unwrap();
    let net = |n: &str| r.networks.iter().find(|x| x.name == n).unwrap();
    assert!(net("demo_back").internal);
    assert_eq!(net("demo_back").labels[LABEL_NETWORK], "back");
    assert_eq!(net("demo_default").labels[LABEL_PROJECT], "demo");
    assert!(net("corp").external);
    let vol = |n: &str| r.volumes.iter().find(|x| x.name == n).unwrap();
    assert_eq!(vol("demo_data").labels["team"], "ops");
    assert_eq!(vol("demo_data").labels[LABEL_VOLUME], "data");
    assert!(vol("old").external);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let back = net("demo_back");
    assert!(back.attachable);
    assert_eq!(back.enable_ipv6, Some(true));
    assert_eq!(
        back.driver_opts["com.docker.network.bridge.name"],
        "br-back"
    );
    assert_eq!(
        back.ipam,
        Some(IpamSpec {
            driver: Some("default".into()),
            pools: vec![IpamPool {
                subnet: Some("10.9.0.0/24".into()),
                ip_range: Some("10.9.0.0/25".into()),
                gateway: Some("10.9.0.1".into()),
                aux_addresses: [("host1".to_string(), "10.9.0.5".to_string())].into(),
            }],
            options: [("o".to_string(), "1".to_string())].into(),
        })
    );
    assert_eq!(vol("demo_data").driver_opts["type"], "tmpfs");
    let (_dir, bad) = project(
        "services:\n  web:\n    image: a\nnetworks:\n  n:\n    ipam: {config: [{subnet: 1, bogus: 2}]}\n",
        &[],
    );
    let err = project_resources(&bad).unwrap_err().to_string();
    assert!(err.contains("networks.n.ipam.config[0].bogus"), "{err}");
}

#[test]
fn command_and_entrypoint_split_strings_and_keep_lists() {
    let spec = build(&web(
        "    command: sh -c 'echo \"$$HOME\" done' \"a b\"\n    entrypoint: [\"/bin/tini\", \"--\", 5]\n",
    ));
    assert_eq!(
        spec.command.unwrap(),
        ["sh", "-c", "echo \"$HOME\" done", "a b"]
    );
    assert_eq!(spec.entrypoint.unwrap(), ["/bin/tini", "--", "5"]);
    let err = error(&web("    command: \"echo 'oops\"\n"), &[]);
    assert!(
        err.contains("services.web.command") && err.contains("invalid command line string"),
        "{err}"
    );
    let err = error(&web("    entrypoint: {a: b}\n"), &[]);
    assert!(err.contains("services.web.entrypoint"), "{err}");
}

#[test]
fn command_strings_are_split_as_compose_splits_them() {
    // What Compose v2.40.3 runs (go-shellwords), not what a POSIX shell would: a backslash
    // escapes inside double quotes too, and the first unquoted `&&`, `|`, `;` or `>` ends
    // the command (`2>&1` goes with it).
    let spec = build(&web(
        "    command: a\\ b \"\\n\" 'c\\d' '' x && y\n    entrypoint: run --flag 2>&1\n",
    ));
    assert_eq!(spec.command.unwrap(), ["a b", "n", "c\\d", "", "x"]);
    assert_eq!(spec.entrypoint.unwrap(), ["run", "--flag"]);
}

#[test]
fn environment_lists_maps_and_env_files_merge() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = web(
        "    env_file: [a.env, {path: missing.env, required: false}]\n    environment:\n      - B=from-environment\n      - FROM_HOST\n      - UNSET_HERE\n      - EMPTY=\n",
    );
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, &yaml).unwrap();
    std::fs::write(
        dir.path().join("a.env"),
        "A=from-file\nB=from-file\nUNSET_HERE=file\n",
    )
    .unwrap();
    let process = [("FROM_HOST".to_string(), "host".to_string())];
    let env = Env::load(process, &[], dir.path(), Redactor::new()).unwrap();
    let project = crate::testing::load_project("demo", dir.path(), file, env);
    let spec = container_spec(&project, "web", 1).unwrap().0;
    assert_eq!(
        spec.env,
        [
            "A=from-file",
            "B=from-environment",
            "EMPTY=",
            "FROM_HOST=host"
        ]
    );

    let map = spec_of(
        &web("    environment:\n      Z: 1\n      DEBUG: true\n      HOSTVAR:\n      GONE:\n"),
        &[("HOSTVAR", "h")],
    )
    .0;
    assert_eq!(map.env, ["DEBUG=true", "HOSTVAR=h", "Z=1"]);
}

#[test]
fn a_required_env_file_must_exist() {
    let err = error(&web("    env_file: nope.env\n"), &[]);
    assert!(
        err.contains("services.web.env_file") && err.contains("nope.env"),
        "{err}"
    );
    let err = error(&web("    env_file: [a.env, {path: b.env}]\n"), &[]);
    assert!(err.contains("services.web.env_file[0]"), "{err}");
    let err = error(&web("    environment: [A=1, =x]\n"), &[]);
    assert!(err.contains("services.web.environment[1]"), "{err}");
}

#[test]
fn short_ports_cover_every_form() {
    let spec = build(&web(
        "    ports:\n      - \"80\"\n      - 8080:80\n      - 127.0.0.1:8081:81\n      - 127.0.0.1::82\n      - 8000-8002:9000-9002\n      - 53:53/udp\n      - \"[::1]:8443:443\"\n      - 7000-7001\n      - 9090\n",
    ));
    assert_eq!(
        spec.ports,
        [
            port(None, None, 80, "tcp"),
            port(None, Some(8080), 80, "tcp"),
            port(Some("127.0.0.1"), Some(8081), 81, "tcp"),
            port(Some("127.0.0.1"), None, 82, "tcp"),
            port(None, Some(8000), 9000, "tcp"),
            port(None, Some(8001), 9001, "tcp"),
            port(None, Some(8002), 9002, "tcp"),
            port(None, Some(53), 53, "udp"),
            port(Some("::1"), Some(8443), 443, "tcp"),
            port(None, None, 7000, "tcp"),
            port(None, None, 7001, "tcp"),
            port(None, None, 9090, "tcp"),
        ]
    );
}

#[test]
fn a_host_range_for_one_port_is_left_to_the_engine_to_pick_from() {
    let (spec, warnings) = spec_of(
        &web("    ports:\n      - \"8000-8010:80\"\n      - {target: 81, published: 9000-9002}\n"),
        &[],
    );
    let ranged = |first, last, container| PortSpec {
        host_port_end: Some(last),
        ..port(None, Some(first), container, "tcp")
    };
    assert_eq!(spec.ports, [ranged(8000, 8010, 80), ranged(9000, 9002, 81)]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let err = error(&web("    ports: [\"8000-8002:80-81\"]\n"), &[]);
    assert!(
        err.contains("services.web.ports[0]") && err.contains("differ"),
        "{err}"
    );
}

#[test]
fn long_ports_read_target_published_host_ip_and_protocol() {
    let spec = build(&web(
        "    ports:\n      - target: 80\n        published: \"8080\"\n        host_ip: 0.0.0.0\n        protocol: UDP\n        mode: host\n      - target: \"443\"\n",
    ));
    assert_eq!(
        spec.ports,
        [
            port(Some("0.0.0.0"), Some(8080), 80, "udp"),
            port(None, None, 443, "tcp"),
        ]
    );
    let err = error(&web("    ports:\n      - published: 80\n"), &[]);
    assert!(err.contains("services.web.ports[0].target"), "{err}");
    let err = error(
        &web("    ports:\n      - {target: 80, protocol: icmp}\n"),
        &[],
    );
    assert!(err.contains("services.web.ports[0].protocol"), "{err}");
}

#[test]
fn bad_ports_name_the_key_and_not_the_value() {
    for bad in [
        "\"99999\"",
        "\"80/icmp\"",
        "\"1:2:3:4\"",
        "\"8000-8002:80-81\"",
        "{}",
    ] {
        let err = error(&web(&format!("    ports: [\"1\", {bad}]\n")), &[]);
        assert!(err.contains("services.web.ports[1]"), "{bad}: {err}");
    }
    let err = error(
        &web("    ports: [\"${SECRET_PORT}\"]\n"),
        &[("SECRET_PORT", "hunter2:80")],
    );
    assert!(err.contains("services.web.ports[0]"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn short_volumes_cover_named_bind_and_anonymous() {
    let (dir, project) = project(
        "services:\n  web:\n    image: nginx\n    volumes:\n      - data:/data\n      - logs:/logs:ro\n      - ext:/ext:rw\n      - ./site:/usr/share/nginx/html:ro\n      - ../up/./x:/x\n      - /etc/hosts:/etc/hosts\n      - /cache\n      - ~/cfg:/cfg\nvolumes:\n  data:\n  logs:\n    name: shared-logs\n  ext:\n    external: true\n",
        &[("HOME", "/home/me")],
    );
    let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
    let root = dir.path().display().to_string();
    let parent = dir.path().parent().unwrap().display().to_string();
    assert_eq!(
        spec.mounts,
        [
            mount(MountKind::Volume, Some("demo_data"), "/data", false),
            mount(MountKind::Volume, Some("shared-logs"), "/logs", true),
            mount(MountKind::Volume, Some("ext"), "/ext", false),
            created_bind(&format!("{root}/site"), "/usr/share/nginx/html", true),
            created_bind(&format!("{parent}/up/x"), "/x", false),
            created_bind("/etc/hosts", "/etc/hosts", false),
            mount(MountKind::Volume, None, "/cache", false),
            created_bind("/home/me/cfg", "/cfg", false),
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn bind_options_are_kept_and_unknown_volume_modes_are_warned() {
    let (spec, warnings) = spec_of(&web("    volumes: [\"/a:/b:ro,z,rshared\"]\n"), &[]);
    assert!(spec.mounts[0].read_only && spec.mounts[0].create_host_path);
    assert_eq!(spec.mounts[0].bind_options, ["z", "rshared"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (spec, warnings) = spec_of(
        &web(
            "    volumes: [\"/a:/b:ro,delegated\", \"data:/d:nocopy\", \"/c:/e:Z\"]\nvolumes:\n  data:\n",
        ),
        &[],
    );
    assert_eq!(spec.mounts[2].bind_options, ["Z"]);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("services.web.volumes[0]") && warnings[0].contains("`delegated`"),
        "{warnings:?}"
    );
}

#[test]
fn long_syntax_bind_settings_are_read() {
    let (spec, warnings) = spec_of(
        &web(
            "    volumes:\n      - {type: bind, source: /a, target: /b, bind: {selinux: z, propagation: rslave}}\n      - {type: bind, source: /c, target: /d}\n",
        ),
        &[],
    );
    assert!(!spec.mounts[0].create_host_path && !spec.mounts[1].create_host_path);
    assert_eq!(spec.mounts[0].bind_options, ["z", "rslave"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let err = error(
        &web("    volumes:\n      - {type: bind, source: /a, target: /b, bind: {selinux: q}}\n"),
        &[],
    );
    assert!(
        err.contains("services.web.volumes[0].bind.selinux"),
        "{err}"
    );
}

#[test]
fn long_volumes_and_tmpfs() {
    let (dir, project) = project(
        "services:\n  web:\n    image: nginx\n    volumes:\n      - type: volume\n        source: data\n        target: /data\n        read_only: true\n      - type: bind\n        source: ./conf\n        target: /conf\n        bind: {create_host_path: true}\n      - type: tmpfs\n        target: /scratch\n      - type: volume\n        target: /anon\n    tmpfs: [/run, \"/tmp:size=64m\"]\nvolumes:\n  data: {}\n",
        &[],
    );
    let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
    let root = dir.path().display().to_string();
    assert_eq!(
        spec.mounts,
        [
            mount(MountKind::Volume, Some("demo_data"), "/data", true),
            created_bind(&format!("{root}/conf"), "/conf", false),
            mount(MountKind::Tmpfs, None, "/scratch", false),
            mount(MountKind::Volume, None, "/anon", false),
            mount(MountKind::Tmpfs, None, "/run", false),
            MountSpec {
                tmpfs_options: Some("size=64m".into()),
                ..mount(MountKind::Tmpfs, None, "/tmp", false)
            },
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let one = spec_of(&web("    tmpfs: /run\n"), &[]).0;
    assert_eq!(one.mounts, [mount(MountKind::Tmpfs, None, "/run", false)]);
}

#[test]
fn image_mounts_and_the_volume_and_tmpfs_blocks_are_read() {
    let (spec, warnings) = spec_of(
        "services:\n  web:\n    image: nginx\n    volumes:\n      - {type: image, source: \"models:1\", target: /models, image: {subpath: weights/v2}}\n      - {type: volume, source: data, target: /data, volume: {nocopy: true, subpath: app}}\n      - {type: tmpfs, target: /cache, tmpfs: {size: 64m, mode: \"1770\"}}\n      - {type: bind, source: /a, target: /b, tmpfs: {size: 1m}}\n      - \"data:/old:nocopy\"\nvolumes:\n  data: {}\n",
        &[],
    );
    assert_eq!(
        spec.mounts,
        [
            MountSpec {
                subpath: Some("weights/v2".into()),
                ..mount(MountKind::Image, Some("models:1"), "/models", false)
            },
            MountSpec {
                subpath: Some("app".into()),
                nocopy: true,
                ..mount(MountKind::Volume, Some("demo_data"), "/data", false)
            },
            MountSpec {
                tmpfs_size: Some(64 << 20),
                tmpfs_mode: Some(0o1770),
                ..mount(MountKind::Tmpfs, None, "/cache", false)
            },
            mount(MountKind::Bind, Some("/a"), "/b", false),
            MountSpec {
                nocopy: true,
                ..mount(MountKind::Volume, Some("demo_data"), "/old", false)
            },
        ]
    );
    assert_eq!(
        warnings,
        ["services.web.volumes[3].tmpfs applies only to type: tmpfs and is ignored"]
    );
    let err = error(
        &web("    volumes:\n      - {type: image, target: /m}\n"),
        &[],
    );
    assert!(err.contains("services.web.volumes[0].source"), "{err}");
    let err = error(
        &web(
            "    volumes:\n      - {type: image, source: m, target: /m, image: {subpath: ../etc}}\n",
        ),
        &[],
    );
    assert!(
        err.contains("services.web.volumes[0].image.subpath"),
        "{err}"
    );
}

#[test]
fn bad_volumes_name_the_key() {
    let err = error(&web("    volumes: [\"data:/data\"]\n"), &[]);
    assert!(
        err.contains("services.web.volumes[0]") && err.contains("top-level `volumes`"),
        "{err}"
    );
    let err = error(&web("    volumes: [\"./a:relative\"]\n"), &[]);
    assert!(err.contains("services.web.volumes[0]"), "{err}");
    let err = error(
        &web("    volumes:\n      - {type: npipe, target: /x}\n"),
        &[],
    );
    assert!(err.contains("services.web.volumes[0].type"), "{err}");
    let err = error(
        &web("    volumes:\n      - {type: bind, target: /x}\n"),
        &[],
    );
    assert!(err.contains("services.web.volumes[0].source"), "{err}");
    let err = error(&web("    tmpfs: [/ok, relative]\n"), &[]);
    assert!(err.contains("services.web.tmpfs[1]"), "{err}");
}

#[test]
fn networks_in_list_and_map_form_use_engine_names_and_aliases() {
    let yaml = "services:\n  web:\n    image: nginx\n    mac_address: 02:42:ac:11:00:09\n    networks:\n      front:\n        aliases: [www, web, site, www]\n      back:\n      outside:\n        ipv4_address: 10.0.0.5\n        ipv6_address: \"fd00::5\"\n        link_local_ips: [169.254.0.9]\n        mac_address: 02:42:ac:11:00:05\n        driver_opts: {com.example.opt: \"1\"}\n        priority: 100\n        gw_priority: 1\n        interface_name: eth7\nnetworks:\n  front:\n  back:\n    name: the-back\n  outside:\n    external: true\n";
    let err = error(yaml, &[]);
    assert!(
        err.contains("services.web.mac_address") && err.contains("outside"),
        "the highest priority network is first and its mac must agree: {err}"
    );
    let (spec, warnings) = spec_of(&yaml.replace("02:42:ac:11:00:09", "02:42:AC:11:00:05"), &[]);
    assert_eq!(
        spec.networks,
        [
            NetworkAttachment {
                name: "outside".into(),
                aliases: vec!["web".into()],
                ipv4_address: Some("10.0.0.5".into()),
                ipv6_address: Some("fd00::5".into()),
                link_local_ips: vec!["169.254.0.9".into()],
                mac_address: Some("02:42:ac:11:00:05".into()),
                driver_opts: [("com.example.opt".to_string(), "1".to_string())].into(),
                gw_priority: Some(1),
                interface_name: Some("eth7".into()),
            },
            NetworkAttachment {
                name: "the-back".into(),
                aliases: vec!["web".into()],
                ..NetworkAttachment::default()
            },
            NetworkAttachment {
                name: "demo_front".into(),
                aliases: vec!["web".into(), "www".into(), "site".into()],
                ..NetworkAttachment::default()
            },
        ],
        "priority first, then by name, as Compose joins them"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let err = error(
        &web("    networks:\n      default: {ipv4_address: \"fd00::1\"}\n"),
        &[],
    );
    assert!(
        err.contains("services.web.networks.default.ipv4_address"),
        "{err}"
    );
    let list = build(
        "services:\n  web:\n    image: nginx\n    networks: [default, front]\nnetworks:\n  default:\n    name: shared\n  front: {}\n",
    );
    let names: Vec<_> = list.networks.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["shared", "demo_front"]);
    let err = error(&web("    networks: [ghost]\n"), &[]);
    assert!(
        err.contains("services.web.networks[0]") && err.contains("top-level `networks`"),
        "{err}"
    );
}

#[test]
fn healthchecks_take_the_engine_form() {
    let spec = build(&web(
        "    healthcheck:\n      test: curl -f http://localhost/health\n      interval: 10s\n      timeout: 1m30s\n      start_period: 5\n      start_interval: 500ms\n      retries: \"3\"\n",
    ));
    assert_eq!(
        spec.healthcheck,
        Some(HealthSpec {
            test: vec!["CMD-SHELL".into(), "curl -f http://localhost/health".into()],
            interval: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_secs(90)),
            start_period: Some(Duration::from_secs(5)),
            start_interval: Some(Duration::from_millis(500)),
            retries: Some(3),
        })
    );
    let list = build(&web(
        "    healthcheck:\n      test: [CMD, pg_isready, -U, app]\n",
    ));
    assert_eq!(
        list.healthcheck.unwrap().test,
        ["CMD", "pg_isready", "-U", "app"]
    );
    let off = build(&web(
        "    healthcheck:\n      test: [CMD, x]\n      disable: true\n",
    ));
    assert_eq!(off.healthcheck.unwrap().test, ["NONE"]);
    let err = error(&web("    healthcheck:\n      test: [pg_isready]\n"), &[]);
    assert!(err.contains("services.web.healthcheck.test"), "{err}");
    let err = error(&web("    healthcheck:\n      interval: soon\n"), &[]);
    assert!(err.contains("services.web.healthcheck.interval"), "{err}");
    let err = error(&web("    healthcheck:\n      retries: many\n"), &[]);
    assert!(err.contains("services.web.healthcheck.retries"), "{err}");
}

#[test]
fn plain_settings_are_translated() {
    let (spec, warnings) = spec_of(
        &web(
            "    restart: on-failure:3\n    user: 1000\n    working_dir: /app\n    hostname: web1\n    read_only: \"true\"\n    init: true\n    security_opt: [no-new-privileges:true]\n    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    extra_hosts: [\"db=10.0.0.2\", \"cache:10.0.0.3\", \"v6=[::1]\"]\n    mem_limit: 512m\n    cpus: 1.5\n    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: 3}\n    stop_signal: SIGINT\n    stop_grace_period: 1m30s\n",
        ),
        &[],
    );
    assert_eq!(spec.restart.as_deref(), Some("on-failure:3"));
    assert_eq!(spec.user.as_deref(), Some("1000"));
    assert_eq!(spec.working_dir.as_deref(), Some("/app"));
    assert_eq!(spec.hostname.as_deref(), Some("web1"));
    assert!(spec.read_only);
    assert_eq!(spec.init, Some(true));
    assert_eq!(spec.security_opt, ["no-new-privileges:true"]);
    assert_eq!(spec.cap_add, ["NET_ADMIN"]);
    assert_eq!(spec.cap_drop, ["ALL"]);
    assert_eq!(
        spec.extra_hosts,
        ["db:10.0.0.2", "cache:10.0.0.3", "v6:::1"]
    );
    assert_eq!(spec.memory_bytes, Some(512 * 1024 * 1024));
    assert_eq!(spec.nano_cpus, Some(1_500_000_000));
    assert_eq!(spec.log_driver.as_deref(), Some("json-file"));
    assert_eq!(spec.log_options["max-size"], "10m");
    assert_eq!(spec.log_options["max-file"], "3");
    assert_eq!(spec.stop_signal.as_deref(), Some("SIGINT"));
    assert_eq!(spec.stop_grace_seconds, Some(90));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn restart_policies_are_checked() {
    for (text, policy) in [
        ("no", "no"),
        ("\"no\"", "no"),
        ("always", "always"),
        ("unless-stopped", "unless-stopped"),
        ("on-failure", "on-failure"),
        ("on-failure:5", "on-failure:5"),
    ] {
        let spec = build(&web(&format!("    restart: {text}\n")));
        assert_eq!(spec.restart.as_deref(), Some(policy), "{text}");
    }
    for bad in ["sometimes", "on-failure:x", "always:3"] {
        let err = error(&web(&format!("    restart: {bad}\n")), &[]);
        assert!(err.contains("services.web.restart"), "{err}");
    }
}

#[test]
fn extra_hosts_in_map_form() {
    let spec = build(&web(
        "    extra_hosts:\n      db: 10.0.0.2\n      multi: [\"::1\", 127.0.0.1]\n      v6: \"[fe80::1]\"\n",
    ));
    assert_eq!(
        spec.extra_hosts,
        ["db:10.0.0.2", "multi:::1", "multi:127.0.0.1", "v6:fe80::1"]
    );
    let err = error(&web("    extra_hosts: [justahost]\n"), &[]);
    assert!(err.contains("services.web.extra_hosts[0]"), "{err}");
}

#[test]
fn deploy_limits_apply_only_without_the_plain_keys() {
    let (spec, warnings) = spec_of(
        &web(
            "    deploy:\n      replicas: 2\n      resources:\n        limits: {memory: 1g, cpus: \"0.5\", pids: 10}\n        reservations: {memory: 1m}\n      placement: {constraints: []}\n",
        ),
        &[],
    );
    assert_eq!(spec.memory_bytes, Some(1 << 30));
    assert_eq!(spec.nano_cpus, Some(500_000_000));
    assert_eq!(spec.host.pids_limit, Some(10));
    assert_eq!(spec.host.memory_reservation, Some(1 << 20));
    assert_eq!(
        warnings,
        [
            "services.web.deploy.placement is a Swarm setting and is ignored: Docker Compose ignores it too",
        ]
    );
    let plain = build(&web(
        "    mem_limit: 1000\n    cpus: 2\n    deploy:\n      resources:\n        limits: {memory: 1g, cpus: 0.5}\n",
    ));
    assert_eq!(plain.memory_bytes, Some(1000));
    assert_eq!(plain.nano_cpus, Some(2_000_000_000));
}

#[test]
fn sizes_read_docker_units() {
    let size = |s: &str| bytes(&Value::String(s.into()));
    assert_eq!(size("100"), Some(100));
    assert_eq!(size("1k"), Some(1024));
    assert_eq!(size("1KB"), Some(1024));
    assert_eq!(size("512m"), Some(512 << 20));
    assert_eq!(size("1.5g"), Some(3 << 29));
    assert_eq!(size("2GiB"), Some(2 << 30));
    assert_eq!(size("10b"), Some(10));
    assert_eq!(size("1 t"), Some(1 << 40));
    assert_eq!(size("lots"), None);
    assert_eq!(size("5x"), None);
    assert_eq!(size(""), None);
    assert_eq!(bytes(&Value::Number((-1).into())), None);
}

#[test]
fn bad_settings_name_the_key_and_not_the_value() {
    let vars = [("MEM", "s3cr3t-value")];
    for (body, key) in [
        ("    mem_limit: ${MEM}\n", "services.web.mem_limit"),
        ("    cpus: ${MEM}\n", "services.web.cpus"),
        ("    restart: ${MEM}\n", "services.web.restart"),
        ("    read_only: ${MEM}\n", "services.web.read_only"),
        ("    user: [a]\n", "services.web.user"),
        ("    cap_add: NET_ADMIN\n", "services.web.cap_add"),
        ("    environment: [1, [x]]\n", "services.web.environment[1]"),
        (
            "    logging: {driver: x, level: y}\n",
            "services.web.logging.level",
        ),
        (
            "    deploy: {resources: {limits: {memory: \"${MEM}\"}}}\n",
            "services.web.deploy.resources.limits.memory",
        ),
    ] {
        let err = error(&web(body), &vars);
        assert!(err.contains(key), "{body}: {err}");
        assert!(err.contains("compose.yaml"), "{body}: {err}");
        assert!(!err.contains("s3cr3t"), "{body}: {err}");
    }
}

#[test]
fn secrets_are_read_only_binds_of_their_files() {
    let (dir, project) = project(
        "services:\n  web:\n    image: nginx\n    secrets:\n      - db_pass\n      - source: api_key\n        target: key.txt\n        mode: 0400\n      - source: api_key\n        target: /etc/key\nsecrets:\n  db_pass:\n    file: ./secrets/db.txt\n  api_key:\n    file: /srv/key\n",
        &[],
    );
    let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("services.web.secrets[1]: uid, gid and mode do not apply"),
        "{warnings:?}"
    );
    let root = dir.path().display().to_string();
    assert_eq!(
        spec.mounts,
        [
            mount(
                MountKind::Bind,
                Some(&format!("{root}/secrets/db.txt")),
                "/run/secrets/db_pass",
                true
            ),
            mount(
                MountKind::Bind,
                Some("/srv/key"),
                "/run/secrets/key.txt",
                true
            ),
            mount(MountKind::Bind, Some("/srv/key"), "/etc/key", true),
        ]
    );
    let err = error(&web("    secrets: [ghost]\n"), &[]);
    assert!(
        err.contains("services.web.secrets[0]") && err.contains("top-level `secrets`"),
        "{err}"
    );
    let err = error(
        "services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets:\n  token:\n    environment: TOKEN\n",
        &[],
    );
    assert!(
        err.contains("secrets.token.environment")
            && err.contains("TOKEN")
            && err.contains("not set"),
        "{err}"
    );
}

const FILE_REFS: &str = "services:\n  web:\n    image: nginx\n    secrets:\n      - token\n      - {source: token, target: app/token, uid: \"103\", mode: 0440}\n    configs:\n      - site\n      - {source: site, target: etc/site.conf, gid: 7, mode: 0o600}\n      - {source: conf, target: /etc/app.conf}\n      - empty\nsecrets:\n  token:\n    environment: TOKEN\nconfigs:\n  site:\n    content: |\n      listen 80\n  conf:\n    file: ./app.conf\n  empty:\n    content: \"\"\n";

#[test]
fn secrets_and_configs_from_environment_and_content_are_written_files() {
    let redactor = Redactor::new();
    let (dir, project) = project_with(FILE_REFS, &[("TOKEN", "tok-3e9f1a")], redactor.clone());
    let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let file = |target: &str, uid, gid, mode, content: &str| FileSpec {
        target: target.into(),
        uid,
        gid,
        mode,
        digest: sha256_hex(content.as_bytes()),
        content: content.as_bytes().to_vec(),
    };
    assert_eq!(
        spec.files,
        [
            file("/run/secrets/token", None, None, 0o444, "tok-3e9f1a"),
            file(
                "/run/secrets/app/token",
                Some(103),
                Some(0),
                0o440,
                "tok-3e9f1a"
            ),
            file("/site", None, None, 0o444, "listen 80\n"),
            file("/etc/site.conf", Some(0), Some(7), 0o600, "listen 80\n"),
        ],
        "an empty value writes nothing, as in Compose"
    );
    let root = dir.path().display().to_string();
    assert_eq!(
        spec.mounts,
        [mount(
            MountKind::Bind,
            Some(&format!("{root}/app.conf")),
            "/etc/app.conf",
            true
        )]
    );
    // The value is not in what the spec prints or serializes, but it is in the hash.
    assert!(!format!("{spec:?}").contains("tok-3e9f1a"));
    assert!(!serde_json::to_string(&spec).unwrap().contains("tok-3e9f1a"));
    assert_eq!(redactor.redact("is tok-3e9f1a"), "is [redacted]");
    let (other, _) = spec_of(FILE_REFS, &[("TOKEN", "tok-changed")]);
    assert_ne!(
        other.labels[LABEL_CONFIG_HASH],
        spec.labels[LABEL_CONFIG_HASH]
    );
}

#[test]
fn swarm_only_secrets_and_configs_are_refused_as_compose_refuses_them() {
    for (yaml, key) in [
        ("secrets:\n  s:\n    external: true\n", "secrets.s.external"),
        (
            "secrets:\n  s:\n    file: ./s\n    driver: vault\n",
            "secrets.s.driver",
        ),
        ("configs:\n  s:\n    external: true\n", "configs.s.external"),
        (
            "configs:\n  s:\n    file: ./s\n    template_driver: golang\n",
            "configs.s.template_driver",
        ),
        ("secrets:\n  s:\n    content: x\n", "secrets.s.file"),
    ] {
        let section = key.split('.').next().unwrap();
        let err = error(
            &format!("services:\n  web:\n    image: nginx\n    {section}: [s]\n{yaml}"),
            &[],
        );
        assert!(err.contains(key), "{yaml}: {err}");
    }
    let read_only = error(
        "services:\n  web:\n    image: nginx\n    read_only: true\n    configs: [c]\nconfigs:\n  c:\n    content: x\n",
        &[],
    );
    assert!(
        read_only.contains("services.web.configs[0]") && read_only.contains("read-only"),
        "{read_only}"
    );
    let bad_mode = error(
        "services:\n  web:\n    image: nginx\n    configs: [{source: c, mode: \"rw\"}]\nconfigs:\n  c:\n    content: x\n",
        &[],
    );
    assert!(
        bad_mode.contains("services.web.configs[0].mode"),
        "{bad_mode}"
    );
}

#[test]
fn service_labels_come_in_both_forms_and_compose_labels_win() {
    let list = build(&web(
        "    labels: [\"team=ops\", \"flag\", \"com.docker.compose.project=evil\"]\n",
    ));
    assert_eq!(list.labels["team"], "ops");
    assert_eq!(list.labels["flag"], "");
    assert_eq!(list.labels[LABEL_PROJECT], "demo");
    let map = build(&web(
        "    labels:\n      team: ops\n      tier: 2\n      empty:\n",
    ));
    assert_eq!(map.labels["team"], "ops");
    assert_eq!(map.labels["tier"], "2");
    assert_eq!(map.labels["empty"], "");
}

#[test]
fn untranslated_keys_are_warned_once_each_and_known_ones_are_not() {
    let yaml = "services:\n  db:\n    image: postgres\n  web:\n    image: nginx\n    devices: [/dev/fuse]\n    ulimits: {nofile: 1024}\n    privileged: true\n    network_mode: host\n    depends_on: [db]\n    profiles: [web]\n    scale: 1\n    x-phi: {health_url: \"http://localhost/\"}\n    x-team: ops\n    container_name: w\n    develop: {watch: []}\n    blkio_config: {weight: 300}\n    credential_spec: {file: x.json}\n";
    let (_, warnings) = spec_of(yaml, &[]);
    let mut warnings = warnings;
    warnings.sort();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("services.web.credential_spec is ignored: it applies to Windows"),
        "{warnings:?}"
    );
    assert!(
        warnings[1]
            .starts_with("services.web.develop is ignored: it configures `docker compose watch`"),
        "{warnings:?}"
    );
}

#[test]
fn label_files_attach_and_the_api_socket() {
    let (dir, project) = project(
        "services:\n  web:\n    image: nginx\n    label_file: [a.labels, b.labels]\n    labels: {team: ops}\n    attach: false\n    use_api_socket: true\n",
        &[],
    );
    std::fs::write(
        dir.path().join("a.labels"),
        "team=dev\ntier=web\n# comment\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.labels"), "tier=front\n").unwrap();
    let (spec, warnings) = container_spec(&project, "web", 1).unwrap();
    assert_eq!(spec.labels["team"], "ops", "labels win over label files");
    assert_eq!(spec.labels["tier"], "front", "later files win");
    assert_eq!(
        spec.mounts,
        [mount(
            MountKind::Bind,
            Some("/var/run/docker.sock"),
            "/var/run/docker.sock",
            false
        )]
    );
    assert_eq!(warnings.len(), 1, "attach needs nothing: {warnings:?}");
    assert!(warnings[0].contains("use_api_socket") && warnings[0].contains("credentials"));
    let err = error(&web("    label_file: missing.labels\n"), &[]);
    assert!(err.contains("missing.labels"), "{err}");
}

#[test]
fn host_settings_are_translated() {
    let yaml = "services:\n  vpn:\n    image: x\n  web:\n    image: nginx\n    network_mode: service:vpn\n    ipc: host\n    pid: container:other\n    privileged: true\n    devices: [/dev/fuse, '/dev/a:/dev/b:r', {source: /dev/c, target: /dev/d, permissions: rw}]\n    sysctls: [net.core.somaxconn=1024]\n    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}\n    dns: 1.1.1.1\n    dns_search: [example.org]\n    dns_opt: [use-vc]\n    group_add: [audio]\n    shm_size: 64m\n    tty: true\n    stdin_open: 'true'\n    expose: [80, '9000-9001/udp']\n    platform: linux/amd64\n    pids_limit: 100\n    cpu_shares: 512\n";
    let (spec, warnings) = spec_of(yaml, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let h = &spec.host;
    assert_eq!(h.network_mode.as_deref(), Some("container:demo-vpn-1"));
    assert!(
        spec.networks.is_empty(),
        "a network_mode joins no project network"
    );
    assert_eq!(h.ipc_mode.as_deref(), Some("host"));
    assert_eq!(h.pid_mode.as_deref(), Some("container:other"));
    assert!(h.privileged && h.tty && h.stdin_open);
    assert_eq!(
        h.devices
            .iter()
            .map(|d| format!("{}:{}:{}", d.host, d.container, d.permissions))
            .collect::<Vec<_>>(),
        [
            "/dev/fuse:/dev/fuse:rwm",
            "/dev/a:/dev/b:r",
            "/dev/c:/dev/d:rw"
        ]
    );
    assert_eq!(h.sysctls["net.core.somaxconn"], "1024");
    assert_eq!(
        (h.ulimits[0].soft, h.ulimits[0].hard, h.ulimits[1].soft),
        (1024, 2048, 512)
    );
    assert_eq!(h.dns, ["1.1.1.1"]);
    assert_eq!(h.shm_size, Some(64 << 20));
    assert_eq!(h.expose, ["80/tcp", "9000/udp", "9001/udp"]);
    assert_eq!(h.platform.as_deref(), Some("linux/amd64"));
    assert_eq!((h.pids_limit, h.cpu_shares), (Some(100), Some(512)));
    // Without any of them the hash does not change: they are left out of it.
    let plain = build("services:\n  web:\n    image: nginx\n");
    assert!(plain.host.is_default());

    let err = error(
        "services:\n  web:\n    image: x\n    network_mode: host\n    networks: [a]\n",
        &[],
    );
    assert!(err.contains("mutually exclusive"), "{err}");
    let err = error(
        "services:\n  web:\n    image: x\n    ulimits: {nofile: lots}\n",
        &[],
    );
    assert!(err.contains("services.web.ulimits.nofile"), "{err}");
}

#[test]
fn cgroup_device_and_link_settings_are_translated() {
    let yaml = "services:\n  db:\n    image: postgres\n    deploy: {replicas: 2}\n  web:\n    image: nginx\n    cpu_count: 2\n    cpu_percent: 50\n    cpu_period: 100000\n    cpu_quota: \"50ms\"\n    cpu_rt_period: 1s\n    cpu_rt_runtime: 950000\n    cpuset: 0-1\n    oom_kill_disable: true\n    mem_swappiness: 10\n    storage_opt: {size: 1G}\n    device_cgroup_rules: [\"c 1:3 mr\"]\n    annotations: [com.example.a=1]\n    uts: host\n    cgroup: private\n    blkio_config:\n      weight: 300\n      weight_device: [{path: /dev/sda, weight: 400}]\n      device_read_bps: [{path: /dev/sda, rate: 12mb}]\n      device_write_iops: [{path: /dev/sda, rate: 30}]\n    gpus: all\n    devices: [/dev/fuse, nvidia.com/gpu=0]\n    links: [\"db:database\"]\n    external_links: [legacy]\n    volumes_from: [\"db:ro\", \"container:other\"]\n    mac_address: 02:42:ac:11:00:02\n    deploy:\n      restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}\n      resources:\n        reservations:\n          devices: [{capabilities: [tpu], count: all, driver: acme}]\n";
    let (spec, warnings) = spec_of(yaml, &[]);
    let t = &spec.tuning;
    assert_eq!(
        (t.cpu_count, t.cpu_percent, t.cpu_period, t.cpu_quota),
        (Some(2), Some(50), Some(100_000), Some(50_000))
    );
    assert_eq!(
        (t.cpu_rt_period, t.cpu_rt_runtime),
        (Some(1_000_000), Some(950_000))
    );
    assert_eq!(t.cpuset_cpus.as_deref(), Some("0-1"));
    assert_eq!(
        (t.oom_kill_disable, t.memory_swappiness),
        (Some(true), Some(10))
    );
    assert_eq!(t.storage_opt["size"], "1G");
    assert_eq!(t.device_cgroup_rules, ["c 1:3 mr"]);
    assert_eq!(t.annotations["com.example.a"], "1");
    assert_eq!(
        (t.uts_mode.as_deref(), t.cgroupns_mode.as_deref()),
        (Some("host"), Some("private"))
    );
    assert_eq!(t.blkio.weight, Some(300));
    assert_eq!(t.blkio.weight_device, [("/dev/sda".to_string(), 400)]);
    assert_eq!(t.blkio.read_bps, [("/dev/sda".to_string(), 12 << 20)]);
    assert_eq!(t.blkio.write_iops, [("/dev/sda".to_string(), 30)]);
    let gpu = DeviceRequestSpec {
        count: Some(-1),
        capabilities: vec!["gpu".into()],
        ..DeviceRequestSpec::default()
    };
    let tpu = DeviceRequestSpec {
        driver: Some("acme".into()),
        count: Some(-1),
        capabilities: vec!["tpu".into()],
        ..DeviceRequestSpec::default()
    };
    let cdi = DeviceRequestSpec {
        driver: Some("cdi".into()),
        device_ids: vec!["nvidia.com/gpu=0".into()],
        ..DeviceRequestSpec::default()
    };
    assert_eq!(t.device_requests, [gpu, tpu, cdi]);
    assert_eq!(
        spec.host.devices.len(),
        1,
        "the CDI name is not a device mapping"
    );
    assert_eq!(
        t.links,
        [
            "demo-db-1:database",
            "demo-db-1:db-1",
            "demo-db-1:demo-db-1",
            "demo-db-2:database",
            "demo-db-2:db-2",
            "demo-db-2:demo-db-2",
            "legacy:legacy",
        ]
    );
    assert_eq!(t.volumes_from, ["demo-db-1:ro", "other"]);
    assert_eq!(
        spec.networks[0].mac_address.as_deref(),
        Some("02:42:ac:11:00:02"),
        "the service's mac_address is the first network's"
    );
    assert_eq!(spec.restart.as_deref(), Some("on-failure:3"));
    assert_eq!(
        warnings,
        [
            "services.web.deploy.restart_policy.delay is a Swarm setting and is ignored: the engine restarts at once"
        ]
    );
    for (body, key) in [
        ("    mem_swappiness: 101\n", "mem_swappiness"),
        ("    cgroup: shared\n", "cgroup"),
        ("    blkio_config: {weight: 5}\n", "blkio_config.weight"),
        ("    mac_address: nope\n", "mac_address"),
        ("    gpus: [{count: many}]\n", "gpus[0].count"),
        (
            "    deploy: {restart_policy: {condition: sometimes}}\n",
            "deploy.restart_policy.condition",
        ),
    ] {
        let err = error(&web(body), &[]);
        assert!(
            err.contains(&format!("services.web.{key}")),
            "{body}: {err}"
        );
    }
}

#[test]
fn pull_policies_are_read_as_compose_go_reads_them() {
    use std::time::Duration;
    let policy = |body: &str| {
        let (_dir, p) = project(&web(body), &[]);
        pull_policy(&p, "web")
    };
    let hours = |h: u64| Duration::from_secs(h * 3600);
    for (body, want) in [
        ("", None),
        ("    pull_policy: always\n", Some(PullPolicy::Always)),
        (
            "    pull_policy: if_not_present\n",
            Some(PullPolicy::Missing),
        ),
        ("    pull_policy: refresh\n", Some(PullPolicy::Missing)),
        ("    pull_policy: never\n", Some(PullPolicy::Never)),
        (
            "    pull_policy: daily\n",
            Some(PullPolicy::Refresh(hours(24))),
        ),
        (
            "    pull_policy: weekly\n",
            Some(PullPolicy::Refresh(hours(168))),
        ),
        (
            "    pull_policy: every_12h\n",
            Some(PullPolicy::Refresh(hours(12))),
        ),
        (
            "    pull_policy: refresh\n    pull_refresh_after: 2h\n",
            Some(PullPolicy::Refresh(hours(2))),
        ),
    ] {
        assert_eq!(policy(body).unwrap(), want, "{body}");
    }
    let err = policy("    pull_policy: sometimes\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("services.web.pull_policy"), "{err}");
    let err = policy("    pull_policy: build\n").unwrap_err().to_string();
    assert!(err.contains("no `build:`"), "{err}");
    let err = policy("    pull_policy: every_soon\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("services.web.pull_policy"), "{err}");
}

#[test]
fn a_seccomp_profile_file_is_sent_as_json_and_systempaths_unmasks() {
    let (dir, project) = project(
        &web(
            "    security_opt: [\"seccomp=./sec.json\", \"seccomp:unconfined\", systempaths=unconfined, no-new-privileges]\n",
        ),
        &[],
    );
    std::fs::write(
        dir.path().join("sec.json"),
        "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n",
    )
    .unwrap();
    let (spec, _) = container_spec(&project, "web", 1).unwrap();
    assert_eq!(
        spec.security_opt,
        [
            "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
            "seccomp:unconfined",
            "no-new-privileges"
        ]
    );
    assert!(spec.tuning.unconfined_paths);
    let err = error(&web("    security_opt: [\"seccomp=missing.json\"]\n"), &[]);
    assert!(
        err.contains("services.web.security_opt[0]") && err.contains("missing.json"),
        "{err}"
    );
}

#[test]
fn a_raw_env_file_keeps_values_as_written_as_compose_does() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = web(
        "    env_file:\n      - path: raw.env\n        format: raw\n      - plain.env\n    environment:\n      FROM_SERVICE: s\n",
    );
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, &yaml).unwrap();
    std::fs::write(
        dir.path().join("raw.env"),
        "Q=\"q u\"\nD=${HOST_VAR}x\nFROM_HOST\nFROM_SERVICE\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("plain.env"), "P=\"p q\"\n").unwrap();
    let process = [("HOST_VAR".to_string(), "h".to_string())];
    let env = Env::load(process, &[], dir.path(), Redactor::new()).unwrap();
    let project = crate::testing::load_project("demo", dir.path(), file.clone(), env);
    let spec = container_spec(&project, "web", 1).unwrap().0;
    // Quotes and `${}` stay; a bare key is looked up; the dotenv file is read as dotenv.
    assert_eq!(
        spec.env,
        ["D=${HOST_VAR}x", "FROM_SERVICE=s", "P=p q", "Q=\"q u\""]
    );

    std::fs::write(
        &file,
        web("    env_file:\n      - path: raw.env\n        format: weird\n"),
    )
    .unwrap();
    let env = Env::load([], &[], dir.path(), Redactor::new()).unwrap();
    let project = crate::testing::load_project("demo", dir.path(), file, env);
    let err = container_spec(&project, "web", 1).unwrap_err().to_string();
    assert!(err.contains("services.web.env_file[0].format"), "{err}");
}
