//! The dependency graph of a project's services, from `depends_on`. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::ConfigError;
use super::compose::ComposeModel;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// service -> the services it depends on.
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Build the graph; a cycle is a configuration error that names it.
    pub fn new(model: &ComposeModel) -> Result<Graph, ConfigError> {
        let deps = model
            .services
            .iter()
            .map(|(name, s)| (name.clone(), s.depends_on.keys().cloned().collect()))
            .collect();
        let graph = Graph { deps };
        if let Some(cycle) = graph.cycle() {
            return Err(ConfigError::Invalid {
                path: "the compose files".into(),
                key: "depends_on".into(),
                message: format!("dependency cycle: {}", cycle.join(" -> ")),
            });
        }
        Ok(graph)
    }

    /// The services that depend on `service` directly.
    pub fn dependents(&self, service: &str) -> BTreeSet<&str> {
        self.deps
            .iter()
            .filter(|(_, d)| d.contains(service))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// The services `service` depends on directly.
    pub fn dependencies(&self, service: &str) -> BTreeSet<&str> {
        self.deps
            .get(service)
            .map(|d| d.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// A cycle, as the path that closes it (`a -> b -> a`), if there is one.
    pub fn cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        fn visit<'a>(
            graph: &'a Graph,
            node: &'a str,
            marks: &mut BTreeMap<&'a str, Mark>,
            path: &mut Vec<&'a str>,
        ) -> Option<Vec<String>> {
            match marks.get(node) {
                Some(Mark::Done) => return None,
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|n| *n == node).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        path[start..].iter().map(|s| s.to_string()).collect();
                    cycle.push(node.to_string());
                    return Some(cycle);
                }
                None => {}
            }
            marks.insert(node, Mark::Visiting);
            path.push(node);
            for dep in graph.deps.get(node).into_iter().flatten() {
                if let Some(cycle) = visit(graph, dep, marks, path) {
                    return Some(cycle);
                }
            }
            path.pop();
            marks.insert(node, Mark::Done);
            None
        }
        let mut marks = BTreeMap::new();
        for node in self.deps.keys() {
            if let Some(cycle) = visit(self, node, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
        None
    }

    /// Services in an order where every service comes after its dependencies.
    pub fn start_order(&self) -> Vec<&str> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut order = Vec::new();
        while order.len() < self.deps.len() {
            let before = order.len();
            for (name, deps) in &self.deps {
                if !done.contains(name.as_str())
                    && deps
                        .iter()
                        .all(|d| done.contains(d.as_str()) || !self.deps.contains_key(d))
                {
                    order.push(name.as_str());
                }
            }
            done.extend(order[before..].iter().copied());
            if order.len() == before {
                break; // only possible with a cycle, which `new` refuses
            }
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compose::Condition;

    fn model(edges: &[(&str, &[&str])]) -> ComposeModel {
        crate::testing::model(edges, Condition::ServiceStarted)
    }

    #[test]
    fn order_dependents_and_dependencies() {
        let m = model(&[
            ("web", &["api"]),
            ("api", &["db", "cache"]),
            ("db", &[]),
            ("cache", &[]),
            ("worker", &["db"]),
        ]);
        let g = Graph::new(&m).unwrap();
        assert_eq!(g.start_order(), ["cache", "db", "api", "worker", "web"]);
        assert_eq!(
            g.dependents("db").into_iter().collect::<Vec<_>>(),
            ["api", "worker"]
        );
        assert_eq!(
            g.dependencies("api").into_iter().collect::<Vec<_>>(),
            ["cache", "db"]
        );
        assert!(g.dependents("web").is_empty());
    }

    #[test]
    fn a_cycle_is_an_error_naming_it() {
        let m = model(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        let err = Graph::new(&m).unwrap_err().to_string();
        assert!(err.contains("dependency cycle: a -> b -> c -> a"), "{err}");
        let m = model(&[("self", &["self"])]);
        assert!(
            Graph::new(&m)
                .unwrap_err()
                .to_string()
                .contains("self -> self")
        );
    }
}
