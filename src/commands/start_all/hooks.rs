//! The hook phases of a service's start, in Compose's order (docker/compose
//! pkg/compose/convergence.go `startService`): its containers are created first, then its
//! `pre_start` hooks run (once, in containers of their own that share the first container's
//! volumes, and only when none of its containers is running), then each container is started
//! and its `post_start` hooks run in it, and only then is the service started for its
//! dependants. phi's own `x-phi.post_start` runs later, once the service is ready.

use futures_util::future::join_all;

use super::{Action, Ended, ServicePlan, ServiceReport, ServiceRun, State};
use crate::commands::hooks::{self, HookReport, HookResult, Target};
use crate::engine::EngineError;
use crate::spec::{HookSpec, pre_start_container};

/// One of the service's containers after the create phase.
pub(super) struct Placed {
    pub id: String,
    pub name: String,
    /// Created, recreated or stopped: it is to be started.
    pub start: bool,
}

/// Whether the service's pre_start hooks run: some of its containers are to be started and
/// none is running already (as in Compose).
fn runs_pre_start(service: &ServicePlan, to_start: usize) -> bool {
    let first = service.containers.first();
    first.is_some_and(|c| !c.spec.hooks.pre_start.is_empty())
        && to_start > 0
        && to_start == service.containers.len()
}

/// The hooks start-all would run for `service` (--dry-run), in order.
pub(super) fn planned(service: &ServicePlan) -> Vec<HookReport> {
    let mut out = Vec::new();
    let to_start: Vec<&str> = service
        .containers
        .iter()
        .filter(|c| !matches!(c.action, Action::UpToDate { .. }))
        .map(|c| c.spec.name.as_str())
        .collect();
    let Some(first) = service.containers.first() else {
        return out;
    };
    let hooks = &first.spec.hooks;
    if runs_pre_start(service, to_start.len()) {
        for (i, hook) in hooks.pre_start.iter().enumerate() {
            out.push(HookReport::planned("pre_start", i, hook, "a new container"));
        }
    }
    for name in &to_start {
        for (i, hook) in hooks.post_start.iter().enumerate() {
            out.push(HookReport::planned("post_start", i, hook, name));
        }
    }
    for (i, command) in service.post_start.iter().enumerate() {
        let hook = x_phi_hook(command);
        out.push(HookReport::planned(
            "x-phi.post_start",
            i,
            &hook,
            &first.spec.name,
        ));
    }
    out
}

/// An `x-phi.post_start` command as a hook: run as the container's user, in its directory.
pub(super) fn x_phi_hook(command: &[String]) -> HookSpec {
    HookSpec {
        command: Some(command.to_vec()),
        ..HookSpec::default()
    }
}

impl ServiceRun<'_> {
    /// Run one hook, its output streamed under the service's name; a failure ends the
    /// service's run, failed (or timed out) with the hook named in its error.
    pub(super) async fn hook(
        &self,
        service: &str,
        kind: &str,
        index: usize,
        hook: &HookSpec,
        target: Target<'_>,
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        let done = self.run_hook(service, kind, index, hook, target).await;
        let failed = failure(&done);
        report.hooks.push(done);
        self.end_if(service, failed, report)
    }

    /// A failure, if any, ends the service's run: its state, the reason, the closing line.
    fn end_if(
        &self,
        service: &str,
        failed: Option<(State, String)>,
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        let Some((state, why)) = failed else {
            return Ok(());
        };
        report.state = state;
        self.ui.done(service, false, &why);
        report.error = Some(why);
        Err(Ended)
    }

    /// Run one hook, saying so and streaming its output under the service's name.
    async fn run_hook(
        &self,
        service: &str,
        kind: &str,
        index: usize,
        hook: &HookSpec,
        target: Target<'_>,
    ) -> HookReport {
        let what = format!("{kind}[{index}] `{}`", hook.shown());
        self.ui.step(service, "Running", &what);
        let each = |line: &str| self.ui.output(service, line);
        hooks::run(self.engine, kind, index, hook, target, self.deadline, &each).await
    }

    /// pre_start: each hook in a one-shot container sharing the first container's volumes,
    /// after the leftovers of an earlier failed run are removed.
    pub(super) async fn pre_start(
        &self,
        service: &ServicePlan,
        placed: &[Placed],
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        let to_start: Vec<&Placed> = placed.iter().filter(|p| p.start).collect();
        if !runs_pre_start(service, to_start.len()) {
            return Ok(());
        }
        let name = service.name.as_str();
        let first = &service.containers[0].spec;
        let Some(volumes_from) = to_start.first().map(|p| p.id.as_str()) else {
            return Ok(());
        };
        if let Err(e) = self.remove_leftovers(name).await {
            self.ui.note(
                "Warning",
                &format!("{name}: leftover pre_start containers not removed: {e}"),
            );
        }
        for (i, hook) in first.hooks.pre_start.iter().enumerate() {
            let spec = pre_start_container(first, hook, self.project, name);
            let target = Target::Container {
                spec: &spec,
                volumes_from,
            };
            self.hook(name, "pre_start", i, hook, target, report)
                .await?;
        }
        Ok(())
    }

    async fn remove_leftovers(&self, service: &str) -> Result<(), EngineError> {
        let ids = self
            .engine
            .hook_containers(self.project, Some(service), "pre_start")
            .await?;
        for id in ids {
            self.engine.remove_hook_container(&id).await?;
        }
        Ok(())
    }

    /// Start the containers that are to be started, at the same time, each followed by its
    /// post_start hooks (run in it, in order); the first failure ends the service's run.
    pub(super) async fn start(
        &self,
        service: &ServicePlan,
        placed: &[Placed],
        report: &mut ServiceReport,
    ) -> Result<(), Ended> {
        let name = service.name.as_str();
        let Some(first) = service.containers.first() else {
            return Ok(());
        };
        let post_start = &first.spec.hooks.post_start;
        let runs = placed
            .iter()
            .filter(|p| p.start)
            .map(|container| async move {
                let mut done = Vec::new();
                self.ui.step(name, "Starting", "");
                let started = tokio::time::timeout_at(
                    self.deadline,
                    self.engine.start_container(&container.id),
                )
                .await;
                match started {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return (done, Some((State::Failed, e.to_string()))),
                    Err(_) => {
                        let why = format!("{} was not started before the timeout", container.name);
                        return (done, Some((State::TimedOut, why)));
                    }
                }
                for (i, hook) in post_start.iter().enumerate() {
                    let target = Target::Exec {
                        id: &container.id,
                        name: &container.name,
                    };
                    let ran = self.run_hook(name, "post_start", i, hook, target).await;
                    let failed = failure(&ran);
                    done.push(ran);
                    if failed.is_some() {
                        return (done, failed);
                    }
                }
                (done, None)
            });
        let mut first_failure = None;
        for (done, failed) in join_all(runs).await {
            report.hooks.extend(done);
            first_failure = first_failure.or(failed);
        }
        self.end_if(name, first_failure, report)
    }
}

/// The state a failed hook leaves its service in, and why; None when it succeeded.
fn failure(done: &HookReport) -> Option<(State, String)> {
    let state = match done.result {
        HookResult::TimedOut => State::TimedOut,
        _ => State::Failed,
    };
    done.error.clone().map(|why| (state, why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::start_all::plan::ContainerStep;
    use crate::spec::{ContainerSpec, Hooks};

    fn hook(word: &str) -> HookSpec {
        HookSpec {
            command: Some(vec![word.to_string()]),
            ..HookSpec::default()
        }
    }

    fn service(actions: &[Action]) -> ServicePlan {
        let hooks = Hooks {
            pre_start: vec![hook("migrate")],
            post_start: vec![hook("warm")],
            pre_stop: vec![hook("flush")],
        };
        let containers = actions
            .iter()
            .enumerate()
            .map(|(i, action)| ContainerStep {
                spec: ContainerSpec {
                    name: format!("p-web-{}", i + 1),
                    image: "app:1".into(),
                    hooks: hooks.clone(),
                    ..ContainerSpec::default()
                },
                action: action.clone(),
            })
            .collect();
        ServicePlan {
            name: "web".into(),
            containers,
            surplus: Vec::new(),
            depends_on: Default::default(),
            one_shot: false,
            awaited: false,
            post_start: vec![vec!["seed".into()]],
            grace: None,
        }
    }

    fn shown(hooks: &[HookReport]) -> Vec<String> {
        hooks
            .iter()
            .map(|h| format!("{} in {}", h.name(), h.container))
            .collect()
    }

    #[test]
    fn pre_start_runs_only_when_no_container_is_running() {
        let fresh = service(&[Action::Create, Action::Start { id: "b".into() }]);
        assert_eq!(
            shown(&planned(&fresh)),
            [
                "pre_start[0] `migrate` in a new container",
                "post_start[0] `warm` in p-web-1",
                "post_start[0] `warm` in p-web-2",
                "x-phi.post_start[0] `seed` in p-web-1",
            ]
        );
        // One replica still runs: Compose runs no pre_start, and post_start only where a
        // container is started.
        let partly = service(&[Action::UpToDate { id: "a".into() }, Action::Create]);
        assert_eq!(
            shown(&planned(&partly)),
            [
                "post_start[0] `warm` in p-web-2",
                "x-phi.post_start[0] `seed` in p-web-1",
            ]
        );
        // Up to date: only phi's own x-phi.post_start, which runs on every start-all.
        let up = service(&[Action::UpToDate { id: "a".into() }]);
        assert_eq!(
            shown(&planned(&up)),
            ["x-phi.post_start[0] `seed` in p-web-1"]
        );
    }
}
