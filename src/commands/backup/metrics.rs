//! Backup metrics and freshness: a Prometheus textfile written after every `phi backup` run
//! (for node_exporter's textfile collector), and `phi backup check --max-age`.
//!
//! The figures come from the backup folder itself (the newest complete backup), plus what the
//! run just did, so a failed run still reports when the last good backup was made. Each
//! place backups live is one `target` label: `local` for the backup folder, the target's name
//! for an offsite target (a URL given with `--to`: the URL without its query; URLs with a
//! password are refused before this). A target the run copied to gets its attempt series
//! ([`Attempt`]) and, read back from the target after the copy, its success series ([`Place`]).
//! A target the copy failed on, or that the run did not copy to, keeps the series the previous
//! textfile had for it ([`carry_over`]): a failed upload moves its attempt, never its success.

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
    /// The copies to offsite targets (none for `local`: the run's own series are its).
    pub attempts: Vec<Attempt>,
}

/// One target's copy in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub target: String,
    pub started: SystemTime,
    pub duration: Duration,
    pub success: bool,
}

/// What the copies of one run found out, for the textfile: each target's attempt, and the
/// place of each target that could be read after its copy.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub attempts: Vec<Attempt>,
    pub places: Vec<Place>,
}

/// How a target is named in the textfile: its name, or the URL it was given as without the
/// query (`?key=...`), so that the series stays the same from run to run.
pub fn target_label(label: &str) -> String {
    label.split('?').next().unwrap_or(label).to_string()
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
    let tried = |f: &dyn Fn(&Attempt) -> f64| -> Vec<(String, f64)> {
        run.attempts
            .iter()
            .map(|a| (format!("{project},target=\"{}\"", label(&a.target)), f(a)))
            .collect()
    };
    gauge(
        "phi_backup_target_last_attempt_timestamp_seconds",
        "When the last copy to an offsite target started (Unix time).",
        tried(&|a| unix(a.started)),
    );
    gauge(
        "phi_backup_target_last_attempt_success",
        "1 when the last copy to an offsite target succeeded, else 0.",
        tried(&|a| f64::from(u8::from(a.success))),
    );
    gauge(
        "phi_backup_target_last_attempt_duration_seconds",
        "How long the last copy to an offsite target took.",
        tried(&|a| (a.duration.as_secs_f64() * 1000.0).round() / 1000.0),
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

/// Keep what the previous textfile said about the targets this run did not refresh: the
/// attempt series of a target it did not copy to, the success series of a target it could not
/// read after its copy (a failed upload). Only targets `keep` accepts are carried (the
/// declared ones and this run's), so a target removed from the configuration drops out. Lines
/// of another project, or that do not parse, are ignored.
pub fn carry_over(previous: &str, run: &mut Run, keep: impl Fn(&str) -> bool) {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for line in previous.lines() {
        let Some((name, labels, value)) = sample(line) else {
            continue;
        };
        let get = |key: &str| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let (Some(project), Some(target)) = (get("project"), get("target")) else {
            continue;
        };
        if *project != run.project || target == "local" || !keep(target) {
            continue;
        }
        seen.entry(target.clone())
            .or_default()
            .insert(name.to_string(), value);
    }
    let at = |secs: f64| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0));
    for (target, values) in seen {
        let value = |name: &str| values.get(name).copied();
        if !run.attempts.iter().any(|a| a.target == target)
            && let Some(started) = value("phi_backup_target_last_attempt_timestamp_seconds")
        {
            run.attempts.push(Attempt {
                target: target.clone(),
                started: at(started),
                duration: Duration::from_secs_f64(
                    value("phi_backup_target_last_attempt_duration_seconds")
                        .unwrap_or(0.0)
                        .max(0.0),
                ),
                success: value("phi_backup_target_last_attempt_success") == Some(1.0),
            });
        }
        if !run.places.iter().any(|p| p.target == target)
            && let Some(complete) = value("phi_backup_complete_backups")
        {
            let newest = value("phi_backup_last_success_timestamp_seconds").map(|finished| {
                Newest {
                    // Not in the textfile, and not rendered.
                    id: String::new(),
                    finished: at(finished),
                    duration_seconds: value("phi_backup_last_success_duration_seconds")
                        .unwrap_or(0.0),
                    size_bytes: value("phi_backup_last_success_size_bytes").unwrap_or(0.0) as u64,
                    items: value("phi_backup_last_success_items").unwrap_or(0.0) as usize,
                }
            });
            run.places.push(Place {
                target,
                complete: complete as usize,
                newest,
            });
        }
    }
}

/// A sample's labels: (name, value) pairs, escapes undone.
type Labels = Vec<(String, String)>;

/// One sample line, `name{k="v",...} value`, as [`render`] writes them.
fn sample(line: &str) -> Option<(&str, Labels, f64)> {
    if line.starts_with('#') {
        return None;
    }
    let (name, mut rest) = line.split_once('{')?;
    let mut labels = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some((name, labels, after.trim().parse().ok()?));
        }
        let (key, after) = rest.trim_start_matches(',').split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break i + 1,
                c => value.push(c),
            }
        };
        labels.push((key.to_string(), value));
        rest = &after[end..];
    }
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
            attempts: Vec::new(),
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

    fn run_at(t: SystemTime, attempts: Vec<Attempt>, places: Vec<Place>) -> Run {
        Run {
            project: "shop".into(),
            started: t,
            duration: Duration::from_secs(30),
            success: attempts.iter().all(|a| a.success),
            exit_code: if attempts.iter().all(|a| a.success) {
                0
            } else {
                1
            },
            places,
            attempts,
        }
    }

    fn at(target: &str, finished: SystemTime, size: u64) -> Place {
        Place {
            target: target.into(),
            complete: 4,
            newest: Some(Newest {
                id: "shop-1".into(),
                finished,
                duration_seconds: 12.5,
                size_bytes: size,
                items: 3,
            }),
        }
    }

    fn tried(target: &str, started: SystemTime, success: bool) -> Attempt {
        Attempt {
            target: target.into(),
            started,
            duration: Duration::from_millis(4250),
            success,
        }
    }

    #[test]
    fn each_target_has_its_own_attempt_and_success_series() {
        let t = humantime::parse_rfc3339("2024-05-01T03:00:00Z").unwrap();
        let run = run_at(
            t,
            vec![tried("offsite", t, true), tried("s3", t, false)],
            vec![at("local", t, 100), at("offsite", t, 200)],
        );
        let text = render(&run);
        for line in [
            "phi_backup_target_last_attempt_timestamp_seconds{project=\"shop\",target=\"offsite\"} 1714532400\n",
            "phi_backup_target_last_attempt_success{project=\"shop\",target=\"offsite\"} 1\n",
            "phi_backup_target_last_attempt_success{project=\"shop\",target=\"s3\"} 0\n",
            "phi_backup_target_last_attempt_duration_seconds{project=\"shop\",target=\"s3\"} 4.25\n",
            "phi_backup_last_success_size_bytes{project=\"shop\",target=\"local\"} 100\n",
            "phi_backup_last_success_size_bytes{project=\"shop\",target=\"offsite\"} 200\n",
            "phi_backup_last_success_duration_seconds{project=\"shop\",target=\"offsite\"} 12.5\n",
            "phi_backup_last_success_items{project=\"shop\",target=\"offsite\"} 3\n",
            "phi_backup_complete_backups{project=\"shop\",target=\"offsite\"} 4\n",
            "# TYPE phi_backup_target_last_attempt_success gauge\n",
        ] {
            assert!(text.contains(line), "{line}in\n{text}");
        }
        // No success series for a target that could not be read, and no attempt for local.
        assert!(
            !text.contains(
                "phi_backup_last_success_timestamp_seconds{project=\"shop\",target=\"s3\"}"
            )
        );
        assert!(
            !text.contains(
                "phi_backup_target_last_attempt_success{project=\"shop\",target=\"local\"}"
            )
        );
    }

    #[test]
    fn a_failed_copy_moves_its_attempt_and_keeps_its_last_success() {
        let day = Duration::from_secs(86_400);
        let monday = humantime::parse_rfc3339("2024-05-06T03:00:00Z").unwrap();
        let tuesday = monday + day;
        let first = render(&run_at(
            monday,
            vec![
                tried("offsite", monday, true),
                tried("s3", monday, true),
                tried("retired", monday, true),
            ],
            vec![
                at("local", monday, 100),
                at("offsite", monday, 200),
                at("s3", monday, 300),
                at("retired", monday, 400),
            ],
        ));
        // Another project's textfile lines (one file shared by mistake) are not taken.
        let previous = format!(
            "{first}phi_backup_complete_backups{{project=\"other\",target=\"nas\"}} 9\nnot a sample\n"
        );
        // Tuesday: offsite works, s3 fails, `retired` is no longer declared, `nas` is another
        // project's.
        let mut run = run_at(
            tuesday,
            vec![tried("offsite", tuesday, true), tried("s3", tuesday, false)],
            vec![at("local", tuesday, 110), at("offsite", tuesday, 210)],
        );
        carry_over(&previous, &mut run, |t| t != "retired");
        let s3 = run
            .places
            .iter()
            .find(|p| p.target == "s3")
            .expect("s3 carried");
        let newest = s3.newest.as_ref().unwrap();
        assert_eq!(newest.finished, monday);
        assert_eq!((newest.size_bytes, newest.items, s3.complete), (300, 3, 4));
        assert_eq!(newest.duration_seconds, 12.5);
        assert!(
            !run.places
                .iter()
                .any(|p| p.target == "retired" || p.target == "nas")
        );
        let text = render(&run);
        let mon = unix(monday);
        let tue = unix(tuesday);
        for line in [
            format!(
                "phi_backup_target_last_attempt_timestamp_seconds{{project=\"shop\",target=\"s3\"}} {tue}\n"
            ),
            "phi_backup_target_last_attempt_success{project=\"shop\",target=\"s3\"} 0\n".into(),
            format!(
                "phi_backup_last_success_timestamp_seconds{{project=\"shop\",target=\"s3\"}} {mon}\n"
            ),
            format!(
                "phi_backup_last_success_timestamp_seconds{{project=\"shop\",target=\"offsite\"}} {tue}\n"
            ),
            "phi_backup_last_success_size_bytes{project=\"shop\",target=\"offsite\"} 210\n".into(),
        ] {
            assert!(text.contains(&line), "{line}in\n{text}");
        }
        assert_eq!(text.matches("target=\"s3\"").count(), 8, "{text}");
        assert!(!text.contains("retired") && !text.contains("nas"), "{text}");

        // Wednesday's run copies to offsite only: s3 keeps Tuesday's attempt as it was.
        let wednesday = tuesday + day;
        let mut run = run_at(
            wednesday,
            vec![tried("offsite", wednesday, true)],
            vec![at("local", wednesday, 120), at("offsite", wednesday, 220)],
        );
        carry_over(&text, &mut run, |_| true);
        let s3 = run.attempts.iter().find(|a| a.target == "s3").unwrap();
        assert_eq!((s3.started, s3.success), (tuesday, false));
        assert_eq!(s3.duration, Duration::from_millis(4250));
    }

    #[test]
    fn label_values_are_escaped_and_read_back() {
        let t = humantime::parse_rfc3339("2024-05-01T03:00:00Z").unwrap();
        let odd = "C:\\nas \"two\"\nthree";
        let text = render(&run_at(t, vec![tried(odd, t, true)], vec![at(odd, t, 5)]));
        assert!(
            text.contains("target=\"C:\\\\nas \\\"two\\\"\\nthree\"} 1\n"),
            "{text}"
        );
        assert_eq!(
            text.lines().filter(|l| !l.starts_with('#')).count(),
            12,
            "{text}"
        );
        let mut run = run_at(t, vec![], vec![]);
        carry_over(&text, &mut run, |_| true);
        assert_eq!(run.attempts, vec![tried(odd, t, true)]);
        assert_eq!(run.places[0].target, odd);
        assert_eq!(
            target_label("sftp://bk@nas:22/srv?key=/k&known_hosts=/h"),
            "sftp://bk@nas:22/srv"
        );
        assert_eq!(target_label("offsite"), "offsite");
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
