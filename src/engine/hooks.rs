//! Running Compose's lifecycle hooks: a command exec'd in a service's container
//! (`post_start`, `pre_stop`), and a one-shot container that shares a service container's
//! volumes (`pre_start`), as docker/compose runs them (pkg/compose/hook.go, pre_start.go).

use std::collections::HashMap;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::models::ExecConfig;
use bollard::query_parameters::{
    ListContainersOptions, LogsOptions, RemoveContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;

use super::containers::short_id;
use super::create::create_body;
use super::{Engine, EngineError};
use crate::spec::{ContainerSpec, HookSpec, LABEL_HOOK, LABEL_PROJECT, LABEL_SERVICE};

/// How a pre_start container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookContainer {
    pub id: String,
    pub exit_code: i64,
}

impl Engine {
    /// Run `hook` inside the running container `id` (its user, privileges, working directory
    /// and environment) within `limit`, handing its output to `output`; its exit code.
    pub async fn exec_hook(
        &self,
        id: &str,
        hook: &HookSpec,
        limit: Duration,
        mut output: impl FnMut(&[u8]),
    ) -> Result<i64, EngineError> {
        let config = ExecConfig {
            cmd: hook.command.clone(),
            user: hook.user.clone(),
            privileged: Some(hook.privileged),
            working_dir: hook.working_dir.clone(),
            env: (!hook.env.is_empty()).then(|| hook.env.clone()),
            ..Default::default()
        };
        self.exec_config(id, config, limit, &mut output).await
    }

    /// Create the one-shot container `spec` with the volumes of container `volumes_from`,
    /// start it, hand its output to `output` and wait until it exits, all within `limit`.
    /// It is removed when it exits 0 and kept for inspection otherwise (as Compose does);
    /// when `limit` runs out it is removed, still running, and the error says so.
    pub async fn run_hook_container(
        &self,
        spec: &ContainerSpec,
        volumes_from: &str,
        limit: Duration,
        mut output: impl FnMut(&[u8]),
    ) -> Result<HookContainer, EngineError> {
        let what = format!("pre_start container of {}", short_id(volumes_from));
        let mut body = create_body(spec).map_err(|message| EngineError::Api {
            what: what.clone(),
            message,
        })?;
        if let Some(host) = body.host_config.as_mut() {
            host.volumes_from = Some(vec![volumes_from.to_string()]);
        }
        let id = self.create_from_body(spec, body).await?;
        let run = async {
            self.docker.start_container(&id, None).await?;
            let options = LogsOptions {
                follow: true,
                stdout: true,
                stderr: true,
                ..Default::default()
            };
            let mut logs = self.docker.logs(&id, Some(options));
            while let Some(chunk) = logs.next().await {
                let chunk: LogOutput = chunk?;
                output(&chunk.into_bytes());
            }
            let options = WaitContainerOptions {
                condition: "not-running".into(),
            };
            let mut wait = self.docker.wait_container(&id, Some(options));
            let code = match wait.next().await {
                Some(Ok(response)) => response.status_code,
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
                Some(Err(e)) => return Err(e),
                None => -1,
            };
            Ok(code)
        };
        match self.call_within(&what, limit, run).await {
            Ok(0) => {
                self.remove_hook_container(&id).await?;
                Ok(HookContainer { id, exit_code: 0 })
            }
            Ok(exit_code) => Ok(HookContainer { id, exit_code }),
            Err(e) => {
                // Timed out or failed to start: nothing is left running or behind.
                let _ = self.remove_hook_container(&id).await;
                Err(e)
            }
        }
    }

    /// Force-remove a hook container and its anonymous volumes.
    pub async fn remove_hook_container(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions {
            v: true,
            force: true,
            link: false,
        };
        let what = format!("removal of hook container {}", short_id(id));
        self.call(&what, self.docker.remove_container(id, Some(options)))
            .await
    }

    /// IDs of the containers `kind` hooks of `service` (every service: None) left behind.
    pub async fn hook_containers(
        &self,
        project: &str,
        service: Option<&str>,
        kind: &str,
    ) -> Result<Vec<String>, EngineError> {
        let mut labels = vec![
            format!("{LABEL_PROJECT}={project}"),
            format!("{LABEL_HOOK}={kind}"),
        ];
        if let Some(service) = service {
            labels.push(format!("{LABEL_SERVICE}={service}"));
        }
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("label".to_string(), labels)])),
            ..Default::default()
        };
        let list = self
            .call(
                "the hook container list",
                self.docker.list_containers(Some(options)),
            )
            .await?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }
}
