//! Backup metrics and freshness: a Prometheus textfile written after every `phi backup` run
//! (for node_exporter's textfile collector), and `phi backup check --max-age`.
//!
//! The figures come from the backup folder itself (the newest complete backup), plus what the
//! run just did, so a failed run still reports when the last good backup was made. Each
//! place backups live is one `target` label: `local` for the backup folder. Offsite targets
//! add one [`Place`] each (see [`Run::places`]).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::store::{self, Listing};
use crate::exit::{Coded, Exit};

/// The newest complete backup in one place, and how many there are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    /// `local`, or a target's name.
    pub target: String,
    pub complete: usize,
    pub newest: Option<Newest>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Newest {
    pub id: String,
    /// When it finished (its manifest's finished_at, else its folder's time); RFC 3339 in JSON.
    #[serde(serialize_with = "rfc3339")]
    pub finished: SystemTime,
    pub duration_seconds: f64,
    pub size_bytes: u64,
    pub items: usize,
}

fn rfc3339<S: serde::Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&store::rfc3339(*time))
}

/// The newest complete backup of a listing.
pub fn place(target: &str, listing: &Listing) -> Place {
    let newest = listing.complete().next().map(|e| {
        let manifest = e.manifest.as_ref();
        Newest {
            id: e.id.clone(),
            finished: manifest
                .and_then(|m| humantime::parse_rfc3339(&m.finished_at).ok())
                .unwrap_or(e.time),
            duration_seconds: manifest.map_or(0.0, |m| m.duration_seconds),
            size_bytes: manifest.map_or(e.size, |m| m.items.iter().map(|i| i.size).sum()),
            items: manifest.map_or(0, |m| m.items.len()),
        }
    });
    Place {
        target: target.to_string(),
        complete: listing.complete().count(),
        newest,
    }
}

/// One run of `phi backup`, as the textfile reports it.
#[derive(Debug, Clone)]
pub struct Run {
    pub project: String,
    pub started: SystemTime,
    pub duration: Duration,
    pub success: bool,
    pub exit_code: i32,
    /// Where backups live: the local folder first; offsite targets append theirs.
    pub places: Vec<Place>,
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn unix(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor())
}

/// The textfile's contents.
pub fn render(run: &Run) -> String {
    let p = label(&run.project);
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, rows: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in rows {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    };
    let project = format!("project=\"{p}\"");
    gauge(
        "phi_backup_last_attempt_timestamp_seconds",
        "When the last phi backup run started (Unix time).",
        vec![(project.clone(), unix(run.started))],
    );
    gauge(
        "phi_backup_last_attempt_success",
        "1 when the last phi backup run succeeded, else 0.",
        vec![(project.clone(), f64::from(u8::from(run.success)))],
    );
    gauge(
        "phi_backup_last_attempt_exit_code",
        "The exit status of the last phi backup run.",
        vec![(project.clone(), f64::from(run.exit_code))],
    );
    gauge(
        "phi_backup_last_attempt_duration_seconds",
        "How long the last phi backup run took.",
        vec![(
            project.clone(),
            (run.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        )],
    );
    let per = |f: &dyn Fn(&Place) -> Option<f64>| -> Vec<(String, f64)> {
        run.places
            .iter()
            .filter_map(|pl| {
                f(pl).map(|v| (format!("{project},target=\"{}\"", label(&pl.target)), v))
            })
            .collect()
    };
    gauge(
        "phi_backup_last_success_timestamp_seconds",
        "When the newest complete backup finished (Unix time).",
        per(&|pl| pl.newest.as_ref().map(|n| unix(n.finished))),
    );
    gauge(
        "phi_backup_last_success_duration_seconds",
        "How long the newest complete backup took.",
        per(&|pl| pl.newest.as_ref().map(|n| n.duration_seconds)),
    );
    gauge(
        "phi_backup_last_success_size_bytes",
        "Bytes on disk of the newest complete backup's files.",
        per(&|pl| pl.newest.as_ref().map(|n| n.size_bytes as f64)),
    );
    gauge(
        "phi_backup_last_success_items",
        "Items (databases, volumes, paths) in the newest complete backup.",
        per(&|pl| pl.newest.as_ref().map(|n| n.items as f64)),
    );
    gauge(
        "phi_backup_complete_backups",
        "Complete backups kept.",
        per(&|pl| Some(pl.complete as f64)),
    );
    out
}

/// Write the textfile atomically: a temporary file beside it, then a rename, so that a
/// collector never reads half of it.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    // node_exporter reads *.prom only: the temporary name does not end so.
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        std::fs::write(&temp, text)?;
        std::fs::File::open(&temp)?.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// What `phi backup check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub ok: bool,
    pub max_age_seconds: u64,
    pub places: Vec<Place>,
    pub message: String,
}

/// Fresh when the newest complete backup of any place is younger than `max_age`.
pub fn freshness(places: Vec<Place>, max_age: Duration, now: SystemTime) -> Freshness {
    let newest = places
        .iter()
        .filter_map(|p| p.newest.as_ref().map(|n| (p, n)))
        .max_by_key(|(_, n)| n.finished);
    let limit = humantime::format_duration(max_age);
    let (ok, message) = match newest {
        None => (false, format!("no complete backup (limit {limit})")),
        Some((place, n)) => {
            let age = now.duration_since(n.finished).unwrap_or_default();
            let age_text = humantime::format_duration(Duration::from_secs(age.as_secs()));
            if age <= max_age {
                (
                    true,
                    format!(
                        "fresh: newest complete backup {} ({}) is {age_text} old (limit {limit})",
                        n.id, place.target
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "STALE: newest complete backup {} ({}) is {age_text} old, over the limit of {limit}",
                        n.id, place.target
                    ),
                )
            }
        }
    };
    Freshness {
        ok,
        max_age_seconds: max_age.as_secs(),
        places,
        message,
    }
}

/// The local place of `dir` (an absent folder has no backups).
pub fn local(dir: &Path, project: &str) -> anyhow::Result<Place> {
    if !dir.exists() {
        return Ok(place("local", &Listing::default()));
    }
    let listing = store::scan(dir, project)
        .map_err(|e| Coded::new(Exit::Failure, format!("cannot read {}: {e}", dir.display())))?;
    Ok(place("local", &listing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newest(finished: SystemTime) -> Place {
        Place {
            target: "local".into(),
            complete: 2,
            newest: Some(Newest {
                id: "p-1".into(),
                finished,
                duration_seconds: 1.5,
                size_bytes: 1024,
                items: 3,
            }),
        }
    }

    #[test]
    fn the_textfile_has_attempt_and_success_series_per_target() {
        let t = humantime::parse_rfc3339("2024-05-01T03:00:00Z").unwrap();
        let run = Run {
            project: "shop".into(),
            started: t,
            duration: Duration::from_millis(2500),
            success: false,
            exit_code: 1,
            places: vec![newest(t - Duration::from_secs(86_400))],
        };
        let text = render(&run);
        assert!(
            text.contains(
                "phi_backup_last_attempt_timestamp_seconds{project=\"shop\"} 1714532400\n"
            ),
            "{text}"
        );
        assert!(text.contains("phi_backup_last_attempt_success{project=\"shop\"} 0\n"));
        assert!(text.contains("phi_backup_last_attempt_duration_seconds{project=\"shop\"} 2.5\n"));
        assert!(text.contains(
            "phi_backup_last_success_timestamp_seconds{project=\"shop\",target=\"local\"} 1714446000\n"
        ));
        assert!(
            text.contains("phi_backup_last_success_items{project=\"shop\",target=\"local\"} 3\n")
        );
        assert!(text.contains("# TYPE phi_backup_complete_backups gauge\n"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("phi.prom");
        write(&file, &text).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn freshness_is_measured_from_the_newest_complete_backup() {
        let now = humantime::parse_rfc3339("2024-05-02T03:00:00Z").unwrap();
        let day = Duration::from_secs(86_400);
        let fresh = freshness(
            vec![newest(now - day)],
            day + Duration::from_secs(7200),
            now,
        );
        assert!(
            fresh.ok && fresh.message.starts_with("fresh"),
            "{}",
            fresh.message
        );
        let stale = freshness(vec![newest(now - 2 * day)], day, now);
        assert!(
            !stale.ok && stale.message.contains("STALE"),
            "{}",
            stale.message
        );
        let none = freshness(vec![place("local", &Listing::default())], day, now);
        assert!(!none.ok && none.message.contains("no complete backup"));
    }
}
