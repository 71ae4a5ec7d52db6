//! What start-all will do, decided from the compose model and the containers that exist. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::ConfigError;
use crate::config::compose::{ComposeModel, Condition, Dependency};
use crate::config::graph::Graph;
use crate::engine::{ContainerInfo, RunState};
use crate::spec::{ContainerSpec, LABEL_CONFIG_HASH};

/// The services to bring up: the active ones (profiles), or those named with everything they
/// depend on, transitively. Dependencies that are not declared or not enabled (a profile that
/// is not active) are dropped when not `required`; required ones are a configuration error
/// naming both services.
pub fn select(
    model: &ComposeModel,
    profiles: &[String],
    named: Option<&BTreeSet<&str>>,
) -> Result<BTreeSet<String>, ConfigError> {
    let mut wanted: Vec<String> = match named {
        Some(names) => names.iter().map(|s| s.to_string()).collect(),
        None => model
            .services
            .iter()
            .filter(|(_, s)| model.is_active(s, profiles))
            .map(|(name, _)| name.clone())
            .collect(),
    };
    let mut selected = BTreeSet::new();
    while let Some(name) = wanted.pop() {
        if !selected.insert(name.clone()) {
            continue;
        }
        let Some(service) = model.services.get(&name) else {
            continue;
        };
        if service.provider.is_some() {
            // Warned about when the files were read; nothing for phi to run.
            selected.remove(&name);
            continue;
        }
        for (dep, d) in &service.depends_on {
            // A dependency counts when it is declared and enabled: by the active profiles,
            // or by being named. One that is not is skipped when it is not `required`, and an
            // error otherwise (as in Compose: "depends on undefined service").
            let enabled = model.services.get(dep).is_some_and(|s| {
                model.is_active(s, profiles) || named.is_some_and(|n| n.contains(dep.as_str()))
            });
            let provider = model
                .services
                .get(dep)
                .is_some_and(|s| s.provider.is_some());
            if enabled {
                wanted.push(dep.clone());
            } else if d.required && !provider {
                let why = if model.services.contains_key(dep) {
                    format!(
                        "`{dep}` is in a profile that is not enabled (--profile or COMPOSE_PROFILES)"
                    )
                } else {
                    format!("`{dep}` is not a declared service")
                };
                return Err(ConfigError::Invalid {
                    path: "the compose files".into(),
                    key: format!("services.{name}.depends_on.{dep}"),
                    message: why,
                });
            }
        }
    }
    Ok(selected)
}

/// What happens to one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    Create,
    /// Its configuration changed (or --force-recreate): stop, remove, create anew.
    Recreate {
        id: String,
    },
    /// Stopped with an unchanged configuration: start it again.
    Start {
        id: String,
    },
    /// Running with an unchanged configuration: leave it alone.
    UpToDate {
        id: String,
    },
}

/// What start-all does (or, with --dry-run, would do) to a service as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Verb {
    /// Nothing: it was not started (a dependency failed, an image could not be had).
    #[serde(rename = "none")]
    Nothing,
    #[serde(rename = "up to date")]
    UpToDate,
    #[serde(rename = "start")]
    Start,
    #[serde(rename = "create")]
    Create,
    #[serde(rename = "recreate")]
    Recreate,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Nothing => "none",
            Verb::UpToDate => "up to date",
            Verb::Start => "start",
            Verb::Create => "create",
            Verb::Recreate => "recreate",
        }
    }
}

impl Action {
    pub fn verb(&self) -> Verb {
        match self {
            Action::Create => Verb::Create,
            Action::Recreate { .. } => Verb::Recreate,
            Action::Start { .. } => Verb::Start,
            Action::UpToDate { .. } => Verb::UpToDate,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainerStep {
    pub spec: ContainerSpec,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub containers: Vec<ContainerStep>,
    /// Containers beyond the service's scale: (id, name), stopped and removed.
    pub surplus: Vec<(String, String)>,
    pub depends_on: BTreeMap<String, Dependency>,
    /// Something waits for it with service_completed_successfully: exiting 0 is its success.
    pub one_shot: bool,
    /// A dependant waits for it to be healthy or completed, so it must be waited for even
    /// with --no-wait.
    pub awaited: bool,
    pub post_start: Vec<Vec<String>>,
    pub grace: Option<std::time::Duration>,
}

impl ServicePlan {
    /// The action that describes the service as a whole: the strongest of its containers'.
    pub fn action(&self) -> Verb {
        self.containers
            .iter()
            .map(|c| c.action.verb())
            .max()
            .unwrap_or(Verb::UpToDate)
    }

    /// Its containers are all new: they are created while its dependencies get ready, as
    /// Compose does, and only started once they are (a container that then is not started
    /// is removed again). Nothing that exists is touched before its dependencies are ready.
    pub fn created_early(&self) -> bool {
        self.surplus.is_empty()
            && !self.containers.is_empty()
            // `network_mode: service:x` and the like name x's container at creation.
            && self.depends_on.values().all(|d| !d.implicit)
            && self
                .containers
                .iter()
                .all(|c| matches!(c.action, Action::Create))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    pub id: String,
    pub name: String,
    pub service: String,
    pub running: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub services: BTreeMap<String, ServicePlan>,
    /// Services in an order where each comes after its dependencies.
    pub order: Vec<String>,
    /// Containers of the project whose service is not declared.
    pub orphans: Vec<Orphan>,
}

/// Decide each container's action. `specs` holds, per selected service, the spec of each of
/// its containers (numbers 1..=scale).
pub fn plan(
    model: &ComposeModel,
    graph: &Graph,
    specs: &BTreeMap<String, Vec<ContainerSpec>>,
    existing: &[ContainerInfo],
    force_recreate: bool,
) -> Plan {
    // What the selected services' dependants wait for makes a service one-shot or awaited.
    // Gathered in one pass over the edges, as each service's containers are: planning stays
    // linear in the services, edges and containers.
    let mut waiting_for: BTreeMap<&str, Vec<Condition>> = BTreeMap::new();
    for other in specs.keys() {
        for (dep, d) in &model.services[other].depends_on {
            waiting_for
                .entry(dep.as_str())
                .or_default()
                .push(d.condition);
        }
    }
    let mut by_service: BTreeMap<&str, Vec<&ContainerInfo>> = BTreeMap::new();
    for c in existing.iter().filter(|c| !c.oneoff) {
        if let Some(service) = c.service.as_deref() {
            by_service.entry(service).or_default().push(c);
        }
    }
    let mut services = BTreeMap::new();
    for (name, specs) in specs {
        let service = &model.services[name];
        let waiters = waiting_for.remove(name.as_str()).unwrap_or_default();
        let mine = by_service.remove(name.as_str()).unwrap_or_default();
        let mut claimed = BTreeSet::new();
        // The first container with each number and each name (a service may have thousands).
        let (mut numbered, mut named) = (BTreeMap::new(), BTreeMap::new());
        for c in mine.iter().rev() {
            if let Some(number) = c.number {
                numbered.insert(number, *c);
            }
            named.insert(c.name.as_str(), *c);
        }
        let containers = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
                // The container with this number, else one with this name.
                let found = numbered
                    .get(&number)
                    .or_else(|| named.get(spec.name.as_str()));
                let action = match found {
                    None => Action::Create,
                    Some(c) => {
                        claimed.insert(c.id.clone());
                        let same = c.config_hash.as_deref()
                            == spec.labels.get(LABEL_CONFIG_HASH).map(String::as_str);
                        let id = c.id.clone();
                        if force_recreate || !same {
                            Action::Recreate { id }
                        } else if matches!(c.state, RunState::Running | RunState::Restarting) {
                            Action::UpToDate { id }
                        } else {
                            Action::Start { id }
                        }
                    }
                };
                ContainerStep {
                    spec: spec.clone(),
                    action,
                }
            })
            .collect();
        let surplus = mine
            .iter()
            .filter(|c| !claimed.contains(&c.id))
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        services.insert(
            name.clone(),
            ServicePlan {
                name: name.clone(),
                containers,
                surplus,
                depends_on: service
                    .depends_on
                    .iter()
                    .filter(|(d, _)| model.services.contains_key(*d))
                    .map(|(d, c)| (d.clone(), c.clone()))
                    .collect(),
                one_shot: waiters.contains(&Condition::ServiceCompletedSuccessfully),
                awaited: waiters.iter().any(|c| *c != Condition::ServiceStarted),
                post_start: service.x_phi.post_start.clone(),
                grace: service.stop_grace_period,
            },
        );
    }
    let order = graph
        .start_order()
        .into_iter()
        .filter(|s| services.contains_key(*s))
        .map(String::from)
        .collect();
    let orphans = existing
        .iter()
        .filter(|c| !c.oneoff)
        .filter(|c| {
            c.service
                .as_deref()
                .is_none_or(|s| !model.services.contains_key(s))
        })
        .map(|c| Orphan {
            id: c.id.clone(),
            name: c.name.clone(),
            service: c.service.clone().unwrap_or_default(),
            running: c.state == RunState::Running,
        })
        .collect();
    Plan {
        services,
        order,
        orphans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{container, model};

    fn spec(service: &str, hash: &str) -> ContainerSpec {
        ContainerSpec {
            name: format!("p-{service}-1"),
            labels: [(LABEL_CONFIG_HASH.to_string(), hash.to_string())].into(),
            ..ContainerSpec::default()
        }
    }

    fn existing(service: &str, state: RunState, hash: &str) -> ContainerInfo {
        ContainerInfo {
            config_hash: Some(hash.into()),
            ..container(service, state)
        }
    }

    #[test]
    fn selection_follows_dependencies_and_profiles() {
        let mut m = model(
            &[
                ("web", &["api"]),
                ("api", &["db"]),
                ("db", &[]),
                ("tool", &[]),
            ],
            Condition::ServiceHealthy,
        );
        m.services.get_mut("tool").unwrap().profiles = vec!["debug".into()];
        let all = select(&m, &[], None).unwrap();
        assert_eq!(all, ["api", "db", "web"].map(String::from).into());
        let with = select(&m, &["debug".into()], None).unwrap();
        assert!(with.contains("tool"));
        let named: BTreeSet<&str> = ["api"].into();
        let some = select(&m, &[], Some(&named)).unwrap();
        assert_eq!(some, ["api", "db"].map(String::from).into());
    }

    #[test]
    fn an_undeclared_required_dependency_is_named() {
        let m = model(&[("web", &["ghost"])], Condition::ServiceStarted);
        let err = select(&m, &[], None).unwrap_err().to_string();
        assert!(err.contains("services.web.depends_on.ghost"), "{err}");
        let mut m = m;
        m.services
            .get_mut("web")
            .unwrap()
            .depends_on
            .get_mut("ghost")
            .unwrap()
            .required = false;
        assert!(select(&m, &[], None).is_ok());
    }

    #[test]
    fn a_dependency_in_an_inactive_profile_is_skipped_unless_required() {
        let mut m = model(
            &[("web", &["dbg"]), ("dbg", &[])],
            Condition::ServiceStarted,
        );
        m.services.get_mut("dbg").unwrap().profiles = vec!["debug".into()];
        let err = select(&m, &[], None).unwrap_err().to_string();
        assert!(
            err.contains("services.web.depends_on.dbg") && err.contains("profile"),
            "{err}"
        );
        // Enabled by its profile, or by being named, it is started.
        assert!(select(&m, &["debug".into()], None).unwrap().contains("dbg"));
        let named: BTreeSet<&str> = ["web", "dbg"].into();
        assert!(select(&m, &[], Some(&named)).unwrap().contains("dbg"));
        // Not required: left out.
        m.services
            .get_mut("web")
            .unwrap()
            .depends_on
            .get_mut("dbg")
            .unwrap()
            .required = false;
        assert_eq!(select(&m, &[], None).unwrap(), ["web".to_string()].into());
    }

    #[test]
    fn provider_services_are_skipped_and_their_dependants_run() {
        let mut m = model(
            &[("web", &["model"]), ("model", &[])],
            Condition::ServiceStarted,
        );
        m.services.get_mut("model").unwrap().provider = Some("model".into());
        assert_eq!(select(&m, &[], None).unwrap(), ["web".to_string()].into());
        let named: BTreeSet<&str> = ["model"].into();
        assert!(select(&m, &[], Some(&named)).unwrap().is_empty());
    }

    #[test]
    fn each_container_gets_the_right_action() {
        let m = model(
            &[("a", &[]), ("b", &[]), ("c", &[]), ("d", &[])],
            Condition::ServiceStarted,
        );
        let graph = Graph::new(&m).unwrap();
        let specs: BTreeMap<String, Vec<ContainerSpec>> = ["a", "b", "c", "d"]
            .iter()
            .map(|s| (s.to_string(), vec![spec(s, "new")]))
            .collect();
        let now = vec![
            existing("a", RunState::Running, "new"),
            existing("b", RunState::Exited, "new"),
            existing("c", RunState::Running, "old"),
        ];
        let p = plan(&m, &graph, &specs, &now, false);
        let action = |s: &str| p.services[s].containers[0].action.clone();
        assert_eq!(action("a"), Action::UpToDate { id: "id-a".into() });
        assert_eq!(action("b"), Action::Start { id: "id-b".into() });
        assert_eq!(action("c"), Action::Recreate { id: "id-c".into() });
        assert_eq!(action("d"), Action::Create);
        let forced = plan(&m, &graph, &specs, &now, true);
        assert_eq!(
            forced.services["a"].containers[0].action,
            Action::Recreate { id: "id-a".into() }
        );
    }

    #[test]
    fn surplus_replicas_and_orphans_are_found() {
        let m = model(&[("web", &[])], Condition::ServiceStarted);
        let graph = Graph::new(&m).unwrap();
        let specs = BTreeMap::from([("web".to_string(), vec![spec("web", "h")])]);
        let mut second = existing("web", RunState::Running, "h");
        second.id = "id-web-2".into();
        second.name = "p-web-2".into();
        second.number = Some(2);
        let mut oneoff = existing("web", RunState::Running, "h");
        oneoff.id = "id-run".into();
        oneoff.oneoff = true;
        let now = vec![
            existing("web", RunState::Running, "h"),
            second,
            oneoff,
            existing("old", RunState::Running, "h"),
        ];
        let p = plan(&m, &graph, &specs, &now, false);
        assert_eq!(
            p.services["web"].surplus,
            [("id-web-2".to_string(), "p-web-2".to_string())]
        );
        assert_eq!(p.orphans.len(), 1);
        assert_eq!(p.orphans[0].service, "old");
    }

    #[test]
    fn dependants_decide_what_is_awaited() {
        let mut m = model(
            &[
                ("web", &["db", "init"]),
                ("db", &[]),
                ("init", &[]),
                ("cache", &[]),
            ],
            Condition::ServiceHealthy,
        );
        m.services
            .get_mut("web")
            .unwrap()
            .depends_on
            .get_mut("init")
            .unwrap()
            .condition = Condition::ServiceCompletedSuccessfully;
        let graph = Graph::new(&m).unwrap();
        let specs: BTreeMap<String, Vec<ContainerSpec>> = ["web", "db", "init", "cache"]
            .iter()
            .map(|s| (s.to_string(), vec![spec(s, "h")]))
            .collect();
        let p = plan(&m, &graph, &specs, &[], false);
        assert!(p.services["init"].one_shot && p.services["init"].awaited);
        assert!(!p.services["db"].one_shot && p.services["db"].awaited);
        assert!(!p.services["cache"].awaited && !p.services["web"].awaited);
        let pos = |s: &str| p.order.iter().position(|o| o == s).unwrap();
        assert!(pos("db") < pos("web") && pos("init") < pos("web"));
    }

    #[test]
    fn only_services_with_nothing_but_new_containers_are_created_early() {
        let mut m = model(
            &[
                ("a", &[]),
                ("b", &["a"]),
                ("c", &["a"]),
                ("d", &["a"]),
                ("e", &["a"]),
            ],
            Condition::ServiceStarted,
        );
        // e joins a's network namespace: its creation names a's container.
        let e = m.services.get_mut("e").unwrap();
        e.depends_on.get_mut("a").unwrap().implicit = true;
        let graph = Graph::new(&m).unwrap();
        let specs: BTreeMap<String, Vec<ContainerSpec>> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| (s.to_string(), vec![spec(s, "new")]))
            .collect();
        let existing = [
            existing("b", RunState::Running, "old"),
            existing("c", RunState::Exited, "new"),
            existing("d", RunState::Running, "new"),
        ];
        let p = plan(&m, &graph, &specs, &existing, false);
        assert!(p.services["a"].created_early(), "all new");
        assert!(!p.services["b"].created_early(), "a recreate waits");
        assert!(!p.services["c"].created_early(), "a start waits");
        assert!(!p.services["d"].created_early(), "up to date");
        assert!(!p.services["e"].created_early(), "network_mode: service:a");
    }

    #[test]
    fn planning_a_long_chain_is_linear() {
        // 10,000 services (the most phi plans), each depending on the one before, each with a running container.
        // The quadratic planner (every service asked every other what it waits for, every
        // round of the order rescanning all services) took minutes here; this takes well
        // under a second in a debug build, and the bound leaves room for a slow machine.
        let names: Vec<String> = (0..10_000).map(|i| format!("s{i:05}")).collect();
        let deps: Vec<Vec<&str>> = (0..names.len())
            .map(|i| {
                if i == 0 {
                    vec![]
                } else {
                    vec![names[i - 1].as_str()]
                }
            })
            .collect();
        let edges: Vec<(&str, &[&str])> = names
            .iter()
            .zip(&deps)
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let m = model(&edges, Condition::ServiceHealthy);
        let specs: BTreeMap<String, Vec<ContainerSpec>> = names
            .iter()
            .map(|s| (s.clone(), vec![spec(s, "h")]))
            .collect();
        let existing: Vec<ContainerInfo> = names
            .iter()
            .map(|s| crate::testing::container(s, RunState::Running))
            .collect();
        let started = std::time::Instant::now();
        let graph = Graph::new(&m).unwrap();
        let p = plan(&m, &graph, &specs, &existing, false);
        let took = started.elapsed();
        assert_eq!(p.order.first().map(String::as_str), Some("s00000"));
        assert_eq!(p.order.last().map(String::as_str), Some("s09999"));
        assert!(p.services["s00000"].awaited && !p.services["s09999"].awaited);
        assert!(
            took < std::time::Duration::from_secs(5),
            "planning took {took:?}"
        );
    }
}
