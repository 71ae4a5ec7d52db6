//! Stopping and removing what a project owns: containers, networks, volumes.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    ListNetworksOptions, ListVolumesOptions, RemoveContainerOptions, RemoveVolumeOptions,
    StopContainerOptions,
};

use super::{Engine, EngineError};
use crate::spec::LABEL_PROJECT;

/// A network by its ID, with its name for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRef {
    pub id: String,
    pub name: String,
}

impl Engine {
    /// Stop a container: its stop signal, then SIGKILL after `grace`. The call may take the
    /// grace period, so its own timeout is the grace period plus the usual call timeout.
    pub async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        let options = StopContainerOptions {
            t: Some(i32::try_from(grace.as_secs()).unwrap_or(i32::MAX)),
            signal: None,
        };
        let what = format!("stop of container {}", super::containers::short_id(id));
        let call = self.docker.stop_container(id, Some(options));
        self.call_within(&what, grace + self.call_timeout, call)
            .await
    }

    /// Remove a (stopped) container and its anonymous volumes.
    pub async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions {
            v: true,
            force: false,
            link: false,
        };
        let what = format!("removal of container {}", super::containers::short_id(id));
        self.call(&what, self.docker.remove_container(id, Some(options)))
            .await
    }

    fn project_filter(project: &str) -> Option<HashMap<String, Vec<String>>> {
        Some(HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_PROJECT}={project}")],
        )]))
    }

    /// Names of the networks labelled as the project's.
    /// The networks labelled as the project's, by name then ID. Duplicates (two networks of
    /// one name, left by a race in an older phi or in Compose) each appear.
    pub async fn project_networks(&self, project: &str) -> Result<Vec<NetworkRef>, EngineError> {
        let options = ListNetworksOptions {
            filters: Self::project_filter(project),
        };
        let networks = self
            .call("the network list", self.docker.list_networks(Some(options)))
            .await?;
        let mut refs: Vec<NetworkRef> = networks
            .into_iter()
            .filter_map(|n| {
                Some(NetworkRef {
                    id: n.id?,
                    name: n.name?,
                })
            })
            .collect();
        refs.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(refs)
    }

    /// Remove a network by ID (a name can be ambiguous when a network was made twice).
    pub async fn remove_network(&self, network: &NetworkRef) -> Result<(), EngineError> {
        self.call(
            &format!("removal of network {}", network.name),
            self.docker.remove_network(&network.id),
        )
        .await
    }

    /// Names of the volumes labelled as the project's.
    pub async fn project_volumes(&self, project: &str) -> Result<Vec<String>, EngineError> {
        let options = ListVolumesOptions {
            filters: Self::project_filter(project),
        };
        let response = self
            .call("the volume list", self.docker.list_volumes(Some(options)))
            .await?;
        let mut names: Vec<String> = response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect();
        names.sort();
        Ok(names)
    }

    pub async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveVolumeOptions { force: false };
        self.call(
            &format!("removal of volume {name}"),
            self.docker.remove_volume(name, Some(options)),
        )
        .await
    }
}
