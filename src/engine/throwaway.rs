//! Throwaway containers (`phi backup drill`): found by a label, removed with their anonymous
//! volumes whatever their state.

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};

use super::containers::short_id;
use super::{Engine, EngineError};

impl Engine {
    /// IDs of every container (running or not) carrying the label `key=value`.
    pub async fn labelled_containers(&self, label: &str) -> Result<Vec<String>, EngineError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![label.to_string()],
            )])),
            ..Default::default()
        };
        let list = self
            .call(
                "the list of throwaway containers",
                self.docker.list_containers(Some(options)),
            )
            .await?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }

    /// Force-remove a throwaway container and its anonymous volumes.
    pub async fn remove_throwaway(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions {
            v: true,
            force: true,
            link: false,
        };
        let what = format!("removal of throwaway container {}", short_id(id));
        self.call(&what, self.docker.remove_container(id, Some(options)))
            .await
    }
}
