//! Fixtures shared by unit tests.

use std::path::{Path, PathBuf};

use crate::config::Project;
use crate::config::compose::{self, ComposeModel, Condition, Dependency, Service};
use crate::config::env::Env;
use crate::engine::{ContainerInfo, RunState};
use crate::redact::Redactor;

/// Project `name` from `file`, loaded by the real loader with `env`, in `directory`.
pub fn load_project(name: &str, directory: &Path, file: PathBuf, env: Env) -> Project {
    let (model, diagnostics) = compose::load(std::slice::from_ref(&file), &env).unwrap();
    Project {
        diagnostics,
        files: vec![file],
        ..project(name, directory, model, env)
    }
}

/// Project `name` around an already built `model`.
pub fn project(name: &str, directory: &Path, model: ComposeModel, env: Env) -> Project {
    Project {
        name: name.into(),
        name_origin: "test".into(),
        directory: directory.to_path_buf(),
        files: vec![],
        env_files: vec![],
        profiles: vec![],
        model,
        env,
        diagnostics: Default::default(),
    }
}

/// An empty variable overlay.
pub fn no_env() -> Env {
    Env::load(Vec::new(), &[], Path::new("/"), Redactor::new()).unwrap()
}

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
                restart: false,
                implicit: false,
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
        config_hash: None,
        health_test: None,
        health_log: Vec::new(),
        health_policy: Default::default(),
        health_signal: None,
        oom_killed: false,
        stop_signal: None,
        inspected: true,
        settled: false,
    }
}
