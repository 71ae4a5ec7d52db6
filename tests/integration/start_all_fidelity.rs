//! `phi start-all` runs what Docker Compose runs (issue #11), checked on the real engine with
//! `docker inspect` and `docker exec`: secrets and configs from every source with their owner
//! and mode, host port ranges shared by replicas, `type: image` volumes on an engine too old
//! for them, and a representative set of service, network and volume keys.

use crate::start_all::{plain, start_all};
use crate::support::{BUSYBOX, Phi, Stack, docker, project_dir};

const TOKEN: &str = "tok-9c4e2b7a51d0";

fn inspect(container: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, container])
}

/// Whether the engine speaks API 1.`minor` or later.
fn engine_api_at_least(minor: u32) -> bool {
    let api = docker(&["version", "-f", "{{.Server.APIVersion}}"]);
    let (major, have) = api.split_once('.').unwrap_or(("0", "0"));
    (
        major.parse::<u32>().unwrap_or(0),
        have.parse::<u32>().unwrap_or(0),
    ) >= (1, minor)
}

fn exec(container: &str, command: &[&str]) -> String {
    let mut args = vec!["exec", container];
    args.extend(command);
    docker(&args)
}

#[test]
fn secrets_and_configs_reach_the_container_with_their_owner_and_mode() {
    let stack = Stack::new("start-files");
    let compose = format!(
        "services:\n  app:\n{app}    secrets:\n      - token\n      - {{source: token, target: \
         owned, uid: \"1000\", gid: \"1001\", mode: 0400}}\n      - filed\n    configs:\n      \
         - site\n      - {{source: site, target: /etc/site.conf, mode: 0640}}\n      - {{source: \
         filed_conf, target: conf/app.ini}}\nsecrets:\n  token:\n    environment: APP_TOKEN\n  \
         filed:\n    file: ./filed.txt\nconfigs:\n  site:\n    content: \"listen 80\"\n  \
         filed_conf:\n    file: ./app.ini\n",
        app = plain(""),
    );
    let dir = project_dir(&compose);
    std::fs::write(dir.path().join("filed.txt"), "from a file\n").unwrap();
    std::fs::write(dir.path().join("app.ini"), "[app]\n").unwrap();
    std::fs::write(dir.path().join(".env"), format!("APP_TOKEN={TOKEN}\n")).unwrap();
    let out = start_all(dir.path(), &stack, &["-v"]);
    out.code(0);
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "the value is never printed: {}{}",
        out.stdout,
        out.stderr
    );
    let app = format!("{}-app-1", stack.name);
    let stat = |path: &str| exec(&app, &["stat", "-c", "%u:%g %a", path]);
    // environment: written before the start, 0444 root-owned unless told otherwise.
    assert_eq!(exec(&app, &["cat", "/run/secrets/token"]), TOKEN);
    assert_eq!(stat("/run/secrets/token"), "0:0 444");
    assert_eq!(exec(&app, &["cat", "/run/secrets/owned"]), TOKEN);
    assert_eq!(stat("/run/secrets/owned"), "1000:1001 400");
    // content: a config, at /<name> by default.
    assert_eq!(exec(&app, &["cat", "/site"]), "listen 80");
    assert_eq!(stat("/etc/site.conf"), "0:0 640");
    // file: read-only binds; a relative config target goes under /.
    assert_eq!(
        exec(&app, &["cat", "/run/secrets/filed", "/conf/app.ini"]),
        "from a file\n[app]"
    );
    let binds = inspect(&app, "{{range .Mounts}}{{.Destination}}={{.RW}} {{end}}");
    assert!(
        binds.contains("/run/secrets/filed=false") && binds.contains("/conf/app.ini=false"),
        "{binds}"
    );
    // Nothing the engine shows about the container holds the value.
    let everything = docker(&["inspect", &app]);
    assert!(
        !everything.contains(TOKEN),
        "docker inspect shows the secret"
    );

    // A new value recreates the container (the config hash changes), still unprinted.
    let before = inspect(&app, "{{.Id}}");
    std::fs::write(dir.path().join(".env"), "APP_TOKEN=tok-rotated-5512\n").unwrap();
    let again = start_all(dir.path(), &stack, &[]);
    again.code(0);
    assert!(
        !again.stdout.contains("tok-rotated-5512") && !again.stderr.contains("tok-rotated-5512")
    );
    assert_ne!(inspect(&app, "{{.Id}}"), before);
    assert_eq!(
        exec(&app, &["cat", "/run/secrets/token"]),
        "tok-rotated-5512"
    );
}

#[test]
fn a_secret_whose_variable_is_unset_stops_start_all_before_anything_is_made() {
    let stack = Stack::new("start-files-unset");
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}    secrets: [token]\nsecrets:\n  token:\n    environment: \
         PHI_UNSET_TOKEN_VAR\n",
        app = plain(""),
    ));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(2);
    out.stderr_has("secrets.token.environment")
        .stderr_has("PHI_UNSET_TOKEN_VAR");
    let made = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", stack.name),
    ]);
    assert!(made.is_empty(), "nothing is created");
}

#[test]
fn replicas_share_a_host_port_range_and_status_shows_each_port() {
    let stack = Stack::new("start-range");
    // A range of its own for this process, so parallel runs do not meet, and below Linux's
    // ephemeral ports (32768 and up), where an outgoing connection may hold one (seen: 35480).
    let first = 20000 + (std::process::id() % 1000) * 10;
    let last = first + 9;
    let dir = project_dir(&format!(
        "services:\n  web:\n{web}    deploy: {{replicas: 3}}\n    ports:\n      - \
         \"127.0.0.1:{first}-{last}:80\"\n      - \"127.0.0.1:{a}-{b}:90-91\"\n",
        web = plain(""),
        a = last + 1,
        b = last + 2,
    ));
    // Equal-length ranges map one to one, so only one container can have them: scale 1 first.
    let one = dir.path().join("compose.yaml");
    let text = std::fs::read_to_string(&one).unwrap();
    std::fs::write(&one, text.replace("replicas: 3", "replicas: 1")).unwrap();
    start_all(dir.path(), &stack, &[]).code(0);
    let web1 = format!("{}-web-1", stack.name);
    assert_eq!(
        inspect(
            &web1,
            "{{(index (index .NetworkSettings.Ports \"90/tcp\") 0).HostPort}} {{(index (index .NetworkSettings.Ports \"91/tcp\") 0).HostPort}}"
        ),
        format!("{} {}", last + 1, last + 2)
    );

    // Three replicas of a single-port range: each gets its own port from it.
    std::fs::write(
        &one,
        text.replace(
            &format!("      - \"127.0.0.1:{}-{}:90-91\"\n", last + 1, last + 2),
            "",
        ),
    )
    .unwrap();
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    let mut ports: Vec<u64> = (1..=3)
        .map(|n| {
            let c = format!("{}-web-{n}", stack.name);
            assert_eq!(
                inspect(
                    &c,
                    "{{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostPort}}"
                ),
                format!("{first}-{last}"),
                "the range goes to the engine whole"
            );
            inspect(
                &c,
                "{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostPort}}",
            )
            .parse()
            .unwrap()
        })
        .collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 3, "three distinct host ports: {ports:?}");
    assert!(
        ports
            .iter()
            .all(|p| (u64::from(first)..=u64::from(last)).contains(p))
    );

    let status = Phi::new(dir.path())
        .args(["-p", &stack.name, "status", "--json"])
        .run();
    status.code(0);
    let doc = status.json();
    let mut shown: Vec<u64> = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["ports"].as_array().cloned().unwrap_or_default())
        .map(|p| p["host_port"].as_u64().unwrap())
        .collect();
    shown.sort();
    assert_eq!(shown, ports, "{doc:#}");
    let table = Phi::new(dir.path())
        .args(["-p", &stack.name, "status"])
        .run();
    for port in &ports {
        table.stdout_has(&format!("127.0.0.1:{port}->80/tcp"));
    }

    // Preflight: a range too small for the replicas is a configuration error.
    std::fs::write(
        &one,
        std::fs::read_to_string(&one).unwrap().replace(
            &format!("{first}-{last}"),
            &format!("{first}-{}", first + 1),
        ),
    )
    .unwrap();
    let small = start_all(dir.path(), &stack, &["--force-recreate"]);
    small.code(2);
    small
        .stderr_has(&format!("{first}-{}", first + 1))
        .stderr_has("3 containers");
}

#[test]
fn an_image_volume_on_an_engine_older_than_api_1_48_fails_at_start_naming_the_key() {
    let stack = Stack::new("start-imagevol");
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}    volumes:\n      - {{type: image, source: \"{BUSYBOX}\", \
         target: /img, image: {{subpath: bin}}}}\n",
        app = plain(""),
    ));
    // Reading the file is fine: the engine decides, at start.
    Phi::new(dir.path())
        .args(["-p", &stack.name, "-q", "config"])
        .run()
        .code(0);
    let new_enough = engine_api_at_least(48);
    let out = start_all(dir.path(), &stack, &[]);
    if new_enough {
        out.code(0);
        let app = format!("{}-app-1", stack.name);
        assert!(
            exec(&app, &["ls", "/img"]).contains("ash"),
            "the image's /bin"
        );
    } else {
        out.code(4);
        out.stderr_has("services.app.volumes (type: image, target /img)")
            .stderr_has("API 1.48");
    }
}

#[test]
fn cgroup_namespace_link_and_deploy_keys_reach_the_engine() {
    let stack = Stack::new("start-keys");
    let p = &stack.name;
    let dir = project_dir(&format!(
        "services:\n  data:\n{data}    volumes: [\"/shared\"]\n  app:\n{app}    cpu_period: 100000\n    \
         cpu_quota: 50ms\n    cpuset: \"0\"\n    oom_kill_disable: true\n    device_cgroup_rules: \
         [\"c 1:3 mr\"]\n    uts: host\n    cgroup: private\n    links: [\"data:store\"]\n    \
         volumes_from: [\"data:ro\"]\n    label_file: app.labels\n    labels: {{tier: api}}\n    \
         tmpfs: [\"/scratch:size=1m,mode=1777\"]\n    attach: false\n    security_opt: \
         [\"seccomp=./sec.json\", systempaths=unconfined]\n    deploy:\n      \
         restart_policy: {{condition: on-failure, max_attempts: 2}}\n      resources:\n        \
         limits: {{pids: 64}}\n        reservations: {{memory: 8m}}\n",
        data = plain(""),
        app = plain(""),
    ));
    std::fs::write(dir.path().join("app.labels"), "team=ops\ntier=web\n").unwrap();
    std::fs::write(
        dir.path().join("sec.json"),
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}",
    )
    .unwrap();
    let out = start_all(dir.path(), &stack, &[]);
    out.code(0);
    assert!(
        !out.stderr.contains("not supported"),
        "every key here is translated: {}",
        out.stderr
    );
    let app = format!("{p}-app-1");
    let data = format!("{p}-data-1");
    let host = |field: &str| inspect(&app, &format!("{{{{.HostConfig.{field}}}}}"));
    assert_eq!(host("CpuPeriod"), "100000");
    assert_eq!(host("CpuQuota"), "50000");
    assert_eq!(host("CpusetCpus"), "0");
    assert_eq!(host("OomKillDisable"), "true");
    assert_eq!(host("DeviceCgroupRules"), "[c 1:3 mr]");
    assert_eq!(host("UTSMode"), "host");
    assert_eq!(host("CgroupnsMode"), "private");
    assert_eq!(host("PidsLimit"), "64");
    assert_eq!(host("MemoryReservation"), (8 << 20).to_string());
    assert_eq!(host("RestartPolicy.Name"), "on-failure");
    assert_eq!(host("RestartPolicy.MaximumRetryCount"), "2");
    assert_eq!(host("VolumesFrom"), format!("[{data}:ro]"));
    let links = inspect(&app, "{{range .NetworkSettings.Networks}}{{.Links}}{{end}}");
    assert!(links.contains(&format!("{data}:store")), "{links}");
    assert_eq!(host("Tmpfs"), "map[/scratch:size=1m,mode=1777]");
    assert_eq!(
        host("SecurityOpt"),
        "[seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}]"
    );
    assert_eq!(host("MaskedPaths"), "[]");
    assert_eq!(inspect(&app, "{{index .Config.Labels \"team\"}}"), "ops");
    assert_eq!(inspect(&app, "{{index .Config.Labels \"tier\"}}"), "api");
    // The link resolves by its alias; the volume of `data` is there, read-only.
    let lookup = exec(&app, &["nslookup", "store", "127.0.0.11"]);
    assert!(
        lookup.contains(&inspect(
            &data,
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
        )),
        "{lookup}"
    );
    let shared = inspect(
        &app,
        "{{range .Mounts}}{{if eq .Destination \"/shared\"}}{{.RW}}{{end}}{{end}}",
    );
    assert_eq!(shared, "false");
}

#[test]
fn network_ipam_static_addresses_and_volume_options_reach_the_engine() {
    let stack = Stack::new("start-net");
    let p = &stack.name;
    // A subnet of its own for this process.
    let octet = 100 + std::process::id() % 150;
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}    networks:\n      back:\n        ipv4_address: 10.{octet}.7.9\n        \
         aliases: [api]\n        link_local_ips: [169.254.7.9]\n      front:\n        priority: 10\n    \
         volumes: [\"data:/data\"]\nnetworks:\n  back:\n    attachable: true\n    labels: {{tier: back}}\n    \
         driver_opts: {{com.docker.network.bridge.name: phib{octet}}}\n    ipam:\n      config:\n        \
         - subnet: 10.{octet}.7.0/24\n          gateway: 10.{octet}.7.1\n  front: {{}}\nvolumes:\n  data:\n    \
         driver_opts: {{type: tmpfs, device: tmpfs, o: size=1m}}\n",
        app = plain(""),
    ));
    start_all(dir.path(), &stack, &[]).code(0);
    let app = format!("{p}-app-1");
    let back = format!("{p}_back");
    let net = |f: &str| docker(&["network", "inspect", "-f", f, &back]);
    assert_eq!(
        net("{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}"),
        format!("10.{octet}.7.0/24 10.{octet}.7.1")
    );
    assert_eq!(net("{{.Attachable}}"), "true");
    assert_eq!(
        net("{{index .Options \"com.docker.network.bridge.name\"}}"),
        format!("phib{octet}")
    );
    assert_eq!(net("{{index .Labels \"tier\"}}"), "back");
    let endpoint = |f: &str| {
        inspect(
            &app,
            &format!("{{{{with index .NetworkSettings.Networks \"{back}\"}}}}{f}{{{{end}}}}"),
        )
    };
    assert_eq!(endpoint("{{.IPAddress}}"), format!("10.{octet}.7.9"));
    assert!(endpoint("{{.Aliases}}").contains("api"));
    assert_eq!(endpoint("{{.IPAMConfig.LinkLocalIPs}}"), "[169.254.7.9]");
    // The higher priority network is joined first, at creation: it names the network mode.
    assert_eq!(
        inspect(&app, "{{.HostConfig.NetworkMode}}"),
        format!("{p}_front")
    );
    let volume = docker(&[
        "volume",
        "inspect",
        "-f",
        "{{.Options}}",
        &format!("{p}_data"),
    ]);
    assert_eq!(volume, "map[device:tmpfs o:size=1m type:tmpfs]");
    assert!(exec(&app, &["df", "/data"]).contains("tmpfs"));
}

#[test]
fn a_mac_address_on_an_engine_older_than_api_1_44_fails_at_start_naming_the_key() {
    let stack = Stack::new("start-mac");
    let dir = project_dir(&format!(
        "services:\n  app:\n{app}    mac_address: 02:42:ac:11:00:42\n",
        app = plain(""),
    ));
    let new_enough = engine_api_at_least(44);
    let out = start_all(dir.path(), &stack, &[]);
    if new_enough {
        out.code(0);
        let app = format!("{}-app-1", stack.name);
        assert!(
            inspect(
                &app,
                "{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}"
            )
            .contains("02:42:ac:11:00:42")
        );
    } else {
        out.code(4);
        out.stderr_has("services.app.mac_address")
            .stderr_has("API 1.44");
    }
}

#[test]
fn pull_policy_is_honoured_and_the_pull_flag_overrides_it() {
    let stack = Stack::new("start-pull");
    let compose = |policy: &str, image: &str| {
        format!(
            "services:\n  app:\n{app}    pull_policy: {policy}\n",
            app = plain("").replace(BUSYBOX, image),
        )
    };
    // never: an image that is not here is a preflight problem naming the policy.
    let dir = project_dir(&compose("never", "phi-test/not-here:1"));
    let out = start_all(dir.path(), &stack, &[]);
    out.code(4);
    out.stderr_has("phi-test/not-here:1")
        .stderr_has("pull_policy: never");
    // always: the present image is pulled anyway (no registry here, so that fails)...
    std::fs::write(dir.path().join("compose.yaml"), compose("always", BUSYBOX)).unwrap();
    let out = start_all(dir.path(), &stack, &[]);
    out.code(1);
    assert!(
        out.stdout.contains(&format!("cannot pull {BUSYBOX}")),
        "{}",
        out.stdout
    );
    // ...unless --pull says otherwise for every service.
    start_all(dir.path(), &stack, &["--pull", "missing"]).code(0);
    // A refresh window that has not run out leaves the present image alone.
    std::fs::write(
        dir.path().join("compose.yaml"),
        compose("every_10000w", BUSYBOX),
    )
    .unwrap();
    start_all(dir.path(), &stack, &[]).code(0);
}

#[test]
fn an_inline_dockerfile_is_built_tagged_and_labelled() {
    let stack = Stack::new("start-inline");
    let image = format!("{}-app", stack.name);
    let extra = format!("{}-extra:v1", stack.name);
    let dir = project_dir(&format!(
        "services:\n  app:\n    stop_grace_period: 1s\n    build:\n      dockerfile_inline: |\n        \
         FROM {BUSYBOX}\n        RUN echo inline > /built\n        CMD [\"sh\", \"-c\", \"trap 'exit 0' TERM; \
         while :; do sleep 0.1; done\"]\n      tags: [\"{extra}\"]\n      labels: {{built.by: phi}}\n"
    ));
    struct Images(Vec<String>);
    impl Drop for Images {
        fn drop(&mut self) {
            for image in &self.0 {
                let _ = std::process::Command::new("docker")
                    .args(["rmi", "-f", image])
                    .output();
            }
        }
    }
    let _images = Images(vec![image.clone(), extra.clone()]);
    start_all(dir.path(), &stack, &[]).code(0);
    let app = format!("{}-app-1", stack.name);
    assert_eq!(exec(&app, &["cat", "/built"]), "inline");
    let id = |i: &str| docker(&["image", "inspect", "-f", "{{.Id}}", i]);
    assert_eq!(id(&extra), id(&image), "the extra tag names the same image");
    assert_eq!(
        docker(&[
            "image",
            "inspect",
            "-f",
            "{{index .Config.Labels \"built.by\"}}",
            &image
        ]),
        "phi"
    );
}
