//! `phi backup drill [ID]`: restore every item of a backup into a throwaway container started
//! from the image the manifest recorded, and check what came back.
//!
//! - PostgreSQL: a fresh server, the dump restored into a new database (pg_restore
//!   --exit-on-error, or psql ON_ERROR_STOP for plain SQL), the rows of every table counted,
//!   and the service's `x-phi.backup.drill.check` queries run (each must answer true).
//! - Redis: a fresh redis-server loads the RDB; DBSIZE against the keys recorded at backup.
//! - Volumes and paths: the tar is unpacked into a throwaway volume, read back, and its
//!   regular files and bytes compared with the manifest.
//!
//! Every container it creates carries the label `org.phi.backup-drill=<project>` and is
//! removed (with its anonymous volumes) after its item, also on failure or Ctrl-C; leftovers
//! of a drill that was killed are removed when the next one starts. The backup can be named
//! by ID in the backup folder or by the path of a backup folder anywhere (an offsite copy
//! fetched first, for example).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::codec;
use super::crypt::{self, Identities, Opening};
use super::store::{self, Item, Manifest, State};
use super::tally::Tally;
use super::verify::compare;
use super::{Settings, seconds, transfer};
use crate::commands::Ctx;
use crate::engine::Engine;
use crate::engine::archive::StreamExec;
use crate::exit::{Coded, Exit};
use crate::output::Envelope;
use crate::spec::{ContainerSpec, MountKind, MountSpec};

/// The label on every container a drill creates; its value is the project.
pub const LABEL_DRILL: &str = "org.phi.backup-drill";
/// How long a throwaway server may take to accept connections (unless --timeout says).
const READY_TIMEOUT: Duration = Duration::from_secs(120);
const DRILL_DB: &str = "phi_drill";
/// Where a tar is unpacked in the throwaway volume.
const UNPACK_AT: &str = "/phi-drill";

#[derive(Debug, Clone, Serialize)]
pub struct DrillItem {
    pub service: String,
    pub recipe: String,
    pub source: String,
    pub file: String,
    pub image: String,
    pub ok: bool,
    pub seconds: f64,
    /// What was found: tables and rows, keys, files and bytes, check results.
    pub findings: Vec<String>,
    /// Row counts per table (PostgreSQL).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, u64>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub id: String,
    pub path: String,
    pub ok: bool,
    pub items: Vec<DrillItem>,
    /// Throwaway containers that could not be removed (find them by the label).
    pub leftovers: Vec<String>,
}

pub fn render(report: &Report) -> String {
    let mut text = String::new();
    for i in &report.items {
        text.push_str(&format!(
            "{:<6} {:<12} {:<8} {:<7} {}\n",
            if i.ok { "ok" } else { "FAILED" },
            i.service,
            i.recipe,
            format!("{:.1}s", i.seconds),
            i.findings.join("; ")
        ));
        if let Some(p) = &i.problem {
            text.push_str(&format!("       {}: {p}\n", i.file));
        }
    }
    for id in &report.leftovers {
        text.push_str(&format!(
            "problem: throwaway container {id} could not be removed (label {LABEL_DRILL})\n"
        ));
    }
    let bad = report.items.iter().filter(|i| !i.ok).count();
    text.push_str(&format!(
        "{}: drill of {}: {} item(s), {} ok, {bad} failed\n",
        report.envelope.project,
        report.id,
        report.items.len(),
        report.items.len() - bad
    ));
    text
}

/// The backup to drill: a folder path holding a manifest, or an ID in `dir`.
fn resolve(dir: &Path, project: &str, id: Option<&str>) -> anyhow::Result<(PathBuf, Manifest)> {
    if let Some(path) = id
        .map(Path::new)
        .filter(|p| p.join(store::MANIFEST).is_file())
    {
        let manifest = store::read_manifest(&path.join(store::MANIFEST)).map_err(|e| {
            Coded::new(
                Exit::CheckFailed,
                format!("{}: {e}", path.join(store::MANIFEST).display()),
            )
        })?;
        return Ok((std::path::absolute(path)?, manifest));
    }
    let listing =
        store::scan(dir, project).with_context(|| format!("cannot read {}", dir.display()))?;
    let entry =
        store::resolve(&listing, id.unwrap_or("latest")).map_err(|m| Coded::new(Exit::Usage, m))?;
    match (&entry.manifest, entry.state) {
        (Some(m), State::Complete) => Ok((entry.path.clone(), m.clone())),
        (_, state) => Err(Coded::new(
            Exit::CheckFailed,
            format!(
                "backup {} is {}: nothing to drill",
                entry.id,
                state.as_str()
            ),
        )
        .into()),
    }
}

pub async fn run(
    ctx: &Ctx,
    engine: &Engine,
    dir: &Path,
    id: Option<&str>,
    opts: &Settings,
) -> anyhow::Result<Report> {
    let (project, printer, interrupt) = (&ctx.project, &ctx.printer, &ctx.interrupt);
    let _read = if dir.is_dir() {
        super::read_lock(interrupt, printer, dir, opts).await?
    } else {
        None
    };
    let (folder, manifest) = resolve(dir, &project.name, id)?;
    crypt::require_identity(project, opts.identity.as_deref(), manifest.items.iter())?;
    let identities = crypt::identities(project, opts.identity.as_deref())?;
    let label = format!("{LABEL_DRILL}={}", project.name);
    // What a drill that was killed left behind.
    for old in interrupt
        .run(async { Ok(engine.labelled_containers(&label).await?) })
        .await?
    {
        printer.progress("Removing", &format!("container {old} of an earlier drill"));
        let _ = engine.remove_throwaway(&old).await;
    }
    printer.progress(
        "Drilling",
        &format!("{} ({} item(s))", manifest.id, manifest.items.len()),
    );
    let drill = Drill {
        ctx,
        engine,
        folder: &folder,
        identities: identities.as_ref(),
        stall: opts.stall(),
        ready: opts.timeout.unwrap_or(READY_TIMEOUT),
        created: RefCell::new(Vec::new()),
    };
    let mut items = Vec::new();
    let mut leftovers = Vec::new();
    for (n, item) in manifest.items.iter().enumerate() {
        let start = Instant::now();
        let mut result = DrillItem {
            service: item.service.clone(),
            recipe: item.recipe.clone(),
            source: item.source.clone(),
            file: item.file.clone(),
            image: item.image.clone(),
            ok: false,
            seconds: 0.0,
            findings: Vec::new(),
            tables: BTreeMap::new(),
            problem: None,
        };
        let outcome = interrupt.run(drill.item(n, item, &mut result)).await;
        // Always, also after a failure or Ctrl-C.
        leftovers.extend(drill.clean_up().await);
        result.seconds = seconds(start);
        match outcome {
            Ok(()) => result.ok = true,
            Err(e) if crate::commands::classify(&e) == Exit::Interrupted => {
                printer.warn("interrupted: the drill's throwaway containers were removed");
                return Err(e);
            }
            Err(e) => {
                printer.warn(&format!("{} {}: {e:#}", item.service, item.recipe));
                result.problem = Some(format!("{e:#}"));
            }
        }
        printer.progress(
            if result.ok { "Drilled" } else { "FAILED" },
            &format!(
                "{} {} in {:.1}s: {}",
                item.service,
                item.recipe,
                result.seconds,
                result.findings.join("; ")
            ),
        );
        items.push(result);
    }
    Ok(Report {
        envelope: Envelope::new(&project.name),
        id: manifest.id.clone(),
        path: folder.display().to_string(),
        ok: items.iter().all(|i| i.ok) && leftovers.is_empty(),
        items,
        leftovers,
    })
}

struct Drill<'a> {
    ctx: &'a Ctx,
    engine: &'a Engine,
    folder: &'a Path,
    identities: Option<&'a std::sync::Arc<Identities>>,
    stall: Duration,
    ready: Duration,
    /// Containers created and not yet removed.
    created: RefCell<Vec<String>>,
}

impl Drill<'_> {
    /// Remove what the last item created; the IDs that could not be removed.
    async fn clean_up(&self) -> Vec<String> {
        let ids: Vec<String> = self.created.borrow_mut().drain(..).collect();
        let mut left = Vec::new();
        for id in ids {
            if let Err(e) = self.engine.remove_throwaway(&id).await {
                self.ctx.printer.warn(&format!("{e}"));
                left.push(id);
            }
        }
        left
    }

    /// Create (and record, for the clean-up) a throwaway container for item `n`.
    async fn container(
        &self,
        n: usize,
        item: &Item,
        env: Vec<String>,
        command: Option<Vec<String>>,
        mounts: Vec<MountSpec>,
    ) -> anyhow::Result<String> {
        let project = &self.ctx.project.name;
        if !self.engine.image_present(&item.image).await? {
            return Err(anyhow!(
                "image {} (recorded in the manifest) is not on this engine; pull or build it first",
                item.image
            ));
        }
        let spec = ContainerSpec {
            name: format!(
                "{project}-drill-{}-{}-{n}",
                item.service,
                std::process::id()
            ),
            image: item.image.clone(),
            command,
            env,
            labels: BTreeMap::from([
                (LABEL_DRILL.to_string(), project.clone()),
                (format!("{LABEL_DRILL}.item"), item.file.clone()),
            ]),
            mounts,
            ..ContainerSpec::default()
        };
        let id = self.engine.create_container(&spec).await?;
        self.created.borrow_mut().push(id.clone());
        Ok(id)
    }

    async fn item(&self, n: usize, item: &Item, out: &mut DrillItem) -> anyhow::Result<()> {
        match item.recipe.as_str() {
            "postgres" => self.postgres(n, item, out).await,
            "redis" => self.redis(n, item, out).await,
            "volume" | "path" => self.files(n, item, out).await,
            other => Err(anyhow!("no drill for recipe {other}")),
        }
    }

    fn opening(&self, item: &Item) -> Opening {
        Opening::of(item.encryption.as_ref(), self.identities)
    }

    /// Stream the item's file (decrypted, decompressed) into `command` in container `id`,
    /// then check that the file read to its end matches the manifest.
    async fn feed(&self, id: &str, item: &Item, command: &[String]) -> anyhow::Result<()> {
        let (bar, progress) = transfer(&self.ctx.printer, &format!("{}: drill", item.service));
        let (rx, read) = codec::read_file(
            self.folder.join(&item.file),
            item.compression,
            self.opening(item),
            Some(progress),
        );
        let exec = StreamExec {
            container: id,
            command,
            env: &[],
            stall: self.stall,
        };
        let (ran, back) = tokio::join!(self.engine.exec_piped(exec, Some(rx), None), read);
        drop(bar);
        let back = back
            .unwrap_or_else(|_| Err(std::io::Error::other("the reader thread ended")))
            .map_err(|e| anyhow!("reading {}: {e}", item.file))?;
        if let Some(problem) = compare(item, &back) {
            return Err(anyhow!("{problem}"));
        }
        let ran = ran?;
        if ran.exit_code != 0 {
            return Err(anyhow!(
                "{} exited with {}: {}",
                command[0],
                ran.exit_code,
                super::create::last_lines(&ran.stderr)
            ));
        }
        Ok(())
    }

    /// Run `command` in `id` until it exits 0 (and its output passes `done`), within the
    /// readiness limit.
    async fn wait_ready(
        &self,
        id: &str,
        command: &[String],
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + self.ready;
        loop {
            let out = self
                .engine
                .exec(id, command, crate::engine::CALL_TIMEOUT)
                .await?;
            if out.exit_code == 0 && done(&out.output) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Coded::new(
                    Exit::Timeout,
                    format!(
                        "the throwaway {what} was not ready within {}: {}",
                        humantime::format_duration(self.ready),
                        super::create::last_lines(&out.output)
                    ),
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn postgres(&self, n: usize, item: &Item, out: &mut DrillItem) -> anyhow::Result<()> {
        let env = vec![
            "POSTGRES_PASSWORD=phi-drill".to_string(),
            "POSTGRES_HOST_AUTH_METHOD=trust".to_string(),
        ];
        let id = self.container(n, item, env, None, Vec::new()).await?;
        self.engine.start_container(&id).await?;
        // Over TCP: the image's first-start server listens on its socket only.
        let psql = |db: &str| -> Vec<String> {
            [
                "psql",
                "-X",
                "-q",
                "-At",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                db,
            ]
            .map(String::from)
            .to_vec()
        };
        let ready: Vec<String> = ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"]
            .map(String::from)
            .to_vec();
        self.wait_ready(&id, &ready, "PostgreSQL server", |_| true)
            .await?;
        let create = [
            psql("postgres"),
            vec!["-c".into(), format!("CREATE DATABASE {DRILL_DB}")],
        ]
        .concat();
        let made = self
            .engine
            .exec(&id, &create, crate::engine::CALL_TIMEOUT)
            .await?;
        if made.exit_code != 0 {
            return Err(anyhow!(
                "cannot create the drill database: {}",
                super::create::last_lines(&made.output)
            ));
        }
        let command: Vec<String> = if item.format == "plain" {
            [
                psql(DRILL_DB),
                ["-v", "ON_ERROR_STOP=1", "-f", "-"]
                    .map(String::from)
                    .to_vec(),
            ]
            .concat()
        } else {
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                DRILL_DB,
            ]
            .map(String::from)
            .to_vec()
        };
        self.feed(&id, item, &command).await?;
        let counts = [psql(DRILL_DB), vec!["-c".into(), COUNT_ROWS.into()]].concat();
        let counted = self
            .engine
            .exec(&id, &counts, self.stall.max(crate::engine::CALL_TIMEOUT))
            .await?;
        if counted.exit_code != 0 {
            return Err(anyhow!(
                "counting rows failed: {}",
                super::create::last_lines(&counted.output)
            ));
        }
        out.tables = parse_counts(&counted.output);
        out.findings.push(format!(
            "{} table(s), {} row(s)",
            out.tables.len(),
            out.tables.values().sum::<u64>()
        ));
        let checks = self
            .ctx
            .project
            .model
            .services
            .get(&item.service)
            .and_then(|s| s.x_phi.backup.as_ref())
            .map(|b| b.drill_checks.clone())
            .unwrap_or_default();
        let mut failed = Vec::new();
        for query in &checks {
            let command = [
                psql(DRILL_DB),
                vec![
                    "-v".into(),
                    "ON_ERROR_STOP=1".into(),
                    "-c".into(),
                    query.clone(),
                ],
            ]
            .concat();
            let answer = self
                .engine
                .exec(&id, &command, self.stall.max(crate::engine::CALL_TIMEOUT))
                .await?;
            let value = answer
                .output
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if answer.exit_code == 0 && truthy(&value) {
                out.findings.push(format!("check `{query}`: {value}"));
            } else if answer.exit_code == 0 {
                failed.push(format!("check `{query}` answered {value:?}"));
            } else {
                failed.push(format!(
                    "check `{query}` failed: {}",
                    super::create::last_lines(&answer.output)
                ));
            }
        }
        if !failed.is_empty() {
            return Err(anyhow!(failed.join("; ")));
        }
        Ok(())
    }

    async fn redis(&self, n: usize, item: &Item, out: &mut DrillItem) -> anyhow::Result<()> {
        let rdb = item
            .source
            .strip_prefix("rdb ")
            .and_then(|p| p.rsplit('/').next())
            .filter(|f| !f.is_empty())
            .ok_or_else(|| anyhow!("the manifest does not name the RDB file ({})", item.source))?;
        let command: Vec<String> = [
            "redis-server",
            "--dir",
            "/tmp",
            "--dbfilename",
            rdb,
            "--appendonly",
            "no",
            "--save",
            "",
        ]
        .map(String::from)
        .to_vec();
        let id = self
            .container(n, item, Vec::new(), Some(command), Vec::new())
            .await?;
        // The RDB goes in before the server starts: it reads it once, at start.
        self.upload(&id, item, "/tmp").await?;
        self.engine.start_container(&id).await?;
        let ping: Vec<String> = ["redis-cli", "--raw", "PING"].map(String::from).to_vec();
        self.wait_ready(&id, &ping, "Redis server", |o| o.contains("PONG"))
            .await?;
        let size: Vec<String> = ["redis-cli", "--raw", "DBSIZE"].map(String::from).to_vec();
        let answer = self
            .engine
            .exec(&id, &size, crate::engine::CALL_TIMEOUT)
            .await?;
        let keys: u64 = answer
            .output
            .trim()
            .parse()
            .map_err(|_| anyhow!("DBSIZE answered {:?}", answer.output.trim()))?;
        out.findings.push(format!("{keys} key(s)"));
        match item.keys {
            Some(recorded) if recorded != keys => Err(anyhow!(
                "the loaded RDB has {keys} key(s), the backup recorded {recorded} \
                 (keys written during the BGSAVE also make them differ)"
            )),
            Some(_) => Ok(()),
            None => {
                out.findings
                    .push("no key count recorded at backup to compare".into());
                Ok(())
            }
        }
    }

    /// Stream the item's tar into `dir` of container `id`.
    async fn upload(&self, id: &str, item: &Item, dir: &str) -> anyhow::Result<()> {
        let (bar, progress) = transfer(&self.ctx.printer, &format!("{}: drill", item.service));
        let (rx, read) = codec::read_file(
            self.folder.join(&item.file),
            item.compression,
            self.opening(item),
            Some(progress),
        );
        let (sent, back) = tokio::join!(self.engine.upload_into(id, dir, rx, self.stall), read);
        drop(bar);
        let back = back
            .unwrap_or_else(|_| Err(std::io::Error::other("the reader thread ended")))
            .map_err(|e| anyhow!("reading {}: {e}", item.file))?;
        if let Some(problem) = compare(item, &back) {
            return Err(anyhow!("{problem}"));
        }
        sent.context("unpacking into the throwaway container")?;
        Ok(())
    }

    async fn files(&self, n: usize, item: &Item, out: &mut DrillItem) -> anyhow::Result<()> {
        let volume = MountSpec {
            kind: MountKind::Volume,
            source: None,
            target: UNPACK_AT.into(),
            ..MountSpec::default()
        };
        // Never started: the archive API reads and writes a created container's volumes.
        let id = self
            .container(n, item, Vec::new(), None, vec![volume])
            .await?;
        self.upload(&id, item, UNPACK_AT).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
        let count = async move {
            let mut tally = Tally::default();
            while let Some(chunk) = rx.recv().await {
                tally.push(&chunk);
            }
            tally.contents
        };
        let (read, found) = tokio::join!(
            self.engine.download_path(&id, UNPACK_AT, tx, self.stall),
            count
        );
        read.context("reading the unpacked copy back")?;
        out.findings
            .push(format!("{} file(s), {} byte(s)", found.files, found.bytes));
        match item.contents {
            Some(recorded) if recorded != found => Err(anyhow!(
                "the unpacked copy has {} file(s) and {} byte(s), the backup recorded {} and {}",
                found.files,
                found.bytes,
                recorded.files,
                recorded.bytes
            )),
            Some(_) => Ok(()),
            None => {
                out.findings
                    .push("no file count recorded at backup to compare".into());
                Ok(())
            }
        }
    }
}

/// Every user table with its exact row count, one `schema.table|count` line each.
const COUNT_ROWS: &str = "SELECT format('%I.%I', table_schema, table_name), \
(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, \
table_name), false, true, '')))[1]::text FROM information_schema.tables WHERE table_type = \
'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

fn parse_counts(output: &str) -> BTreeMap<String, u64> {
    output
        .lines()
        .filter_map(|line| {
            let (table, count) = line.rsplit_once('|')?;
            Some((table.to_string(), count.trim().parse().ok()?))
        })
        .collect()
}

/// A check's answer counts as true unless it is empty, zero, `f` or `false`.
fn truthy(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    !(v.is_empty() || v == "f" || v == "false" || v.parse::<f64>().is_ok_and(|x| x == 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_counts_and_check_answers_parse() {
        let counts = parse_counts("public.orders|42\npublic.\"odd|name\"|3\nnoise\n");
        assert_eq!(counts.get("public.orders"), Some(&42));
        assert_eq!(counts.get("public.\"odd|name\""), Some(&3));
        assert_eq!(counts.len(), 2);
        for yes in ["t", "1", "42", "ok"] {
            assert!(truthy(yes), "{yes}");
        }
        for no in ["", "f", "false", "0", "0.0"] {
            assert!(!truthy(no), "{no}");
        }
    }
}
