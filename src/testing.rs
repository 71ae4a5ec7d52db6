//! Fixtures shared by unit tests.

use crate::config::compose::{ComposeModel, Condition, Dependency, Service};
use crate::engine::{ContainerInfo, RunState};

/// A model whose services depend on each other as `edges` say, all with `condition`.
pub fn model(edges: &[(&str, &[&str])], condition: Condition) -> ComposeModel {
    let mut model = ComposeModel::default();
    for (name, deps) in edges {
        let mut service = Service {
            replicas: 1,
            ..Service::default()
        };
        for dep in *deps {
            let dependency = Dependency {
                condition,
                required: true,
            };
            service.depends_on.insert(dep.to_string(), dependency);
        }
        model.services.insert(name.to_string(), service);
    }
    model
}

/// Container 1 of `service` in project `p`, in `state`, with no healthcheck.
pub fn container(service: &str, state: RunState) -> ContainerInfo {
    ContainerInfo {
        id: format!("id-{service}"),
        name: format!("p-{service}-1"),
        service: Some(service.into()),
        number: Some(1),
        oneoff: false,
        image: "img".into(),
        state,
        health: None,
        health_output: None,
        exit_code: (state == RunState::Exited).then_some(1),
        started_at: None,
        finished_at: None,
        restart_count: 0,
        ports: Vec::new(),
        pid: None,
    }
}
