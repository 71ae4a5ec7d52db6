//! The engine calls start-up is built on, through phi's library against the real engine:
//! networks and volumes, create with several networks, start, exec, logs, image presence.

use std::collections::BTreeMap;
use std::time::Duration;

use phi::engine::{CALL_TIMEOUT, Engine, host};
use phi::spec::{
    ContainerSpec, HealthSpec, MountKind, MountSpec, NetworkAttachment, NetworkSpec, PortSpec,
    VolumeSpec,
};

use crate::support::{BUSYBOX, Stack, docker, engine_socket};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_spec_becomes_a_running_container_that_can_be_probed() {
    let stack = Stack::new("engine");
    let project = stack.name.clone();
    let labels: BTreeMap<String, String> =
        [("com.docker.compose.project".to_string(), project.clone())].into();
    let (front, back, volume) = (
        format!("{project}_default"),
        format!("{project}_back"),
        format!("{project}_data"),
    );
    runtime().block_on(async {
        let address = format!("unix://{}", engine_socket().display());
        let target = host::parse_host(&address, None, "test").unwrap();
        let engine = Engine::connect(&target, CALL_TIMEOUT).await.unwrap();

        let network = |name: &str| NetworkSpec {
            name: name.to_string(),
            labels: labels.clone(),
            ..NetworkSpec::default()
        };
        let data = VolumeSpec {
            name: volume.clone(),
            labels: labels.clone(),
            ..VolumeSpec::default()
        };
        assert!(engine.ensure_network(&network(&front)).await.unwrap());
        assert!(
            !engine.ensure_network(&network(&front)).await.unwrap(),
            "exists now"
        );
        assert!(engine.ensure_network(&network(&back)).await.unwrap());
        assert!(engine.ensure_volume(&data).await.unwrap());
        assert!(!engine.ensure_volume(&data).await.unwrap());
        assert!(engine.image_present(BUSYBOX).await.unwrap());
        assert!(!engine.image_present("phi-test/absent:0").await.unwrap());

        let spec = ContainerSpec {
            name: format!("{project}-web-1"),
            image: BUSYBOX.into(),
            command: Some(vec![
                "sh".into(),
                "-c".into(),
                "echo one; echo two; exec sleep 300".into(),
            ]),
            env: vec!["GREETING=hello".into()],
            labels: BTreeMap::from([
                ("com.docker.compose.project".to_string(), project.clone()),
                ("com.docker.compose.service".to_string(), "web".to_string()),
            ]),
            ports: vec![PortSpec {
                host_ip: Some("127.0.0.1".into()),
                host_port: None,
                host_port_end: None,
                container_port: 8080,
                protocol: "tcp".into(),
            }],
            mounts: vec![MountSpec {
                kind: MountKind::Volume,
                source: Some(volume.clone()),
                target: "/data".into(),
                read_only: false,
                ..MountSpec::default()
            }],
            networks: vec![
                NetworkAttachment {
                    name: front.clone(),
                    aliases: vec!["web".into()],
                    ..NetworkAttachment::default()
                },
                NetworkAttachment {
                    name: back.clone(),
                    aliases: vec!["web".into(), "www".into()],
                    ..NetworkAttachment::default()
                },
            ],
            healthcheck: Some(HealthSpec {
                test: vec!["CMD-SHELL".into(), "test -d /data".into()],
                interval: Some(Duration::from_secs(1)),
                timeout: Some(Duration::from_secs(2)),
                start_period: None,
                start_interval: None,
                retries: Some(3),
            }),
            restart: Some("unless-stopped".into()),
            stop_signal: Some("SIGINT".into()),
            ..ContainerSpec::default()
        };
        let id = engine.create_container(&spec).await.unwrap();
        engine.start_container(&id).await.unwrap();

        let out = engine
            .exec(
                &id,
                &[
                    "sh".into(),
                    "-c".into(),
                    "echo $GREETING; echo oops >&2; exit 3".into(),
                ],
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(out.exit_code, 3);
        assert!(
            out.output.contains("hello") && out.output.contains("oops"),
            "{out:?}"
        );
        let ok = engine
            .exec(
                &id,
                &["test".into(), "-d".into(), "/data".into()],
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(ok.exit_code, 0);

        // The log tail (the container echoes two lines, then sleeps).
        let mut tail = Vec::new();
        for _ in 0..50 {
            tail = engine.logs_tail(&id, 1).await.unwrap();
            if tail == ["two"] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(tail, ["two"]);
    });

    let name = format!("{project}-web-1");
    let networks = docker(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{join $v.Aliases \",\"}} {{end}}",
        &name,
    ]);
    assert!(networks.contains(&format!("{front}=")), "{networks}");
    assert!(
        networks.contains(&format!("{back}=")) && networks.contains("www"),
        "{networks}"
    );
    assert_eq!(
        docker(&[
            "inspect",
            "-f",
            "{{.Config.StopSignal}} {{.HostConfig.RestartPolicy.Name}}",
            &name
        ]),
        "SIGINT unless-stopped"
    );
    let port = docker(&["port", &name, "8080/tcp"]);
    assert!(port.starts_with("127.0.0.1:"), "{port}");
}
