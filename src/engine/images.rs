//! Getting images onto the engine: pull from a registry, build from a context directory.

use crate::spec::BuildSpec;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::{BuildImageOptions, CreateImageOptions, TagImageOptions};
use futures_util::StreamExt;
use globset::{GlobSet, GlobSetBuilder};

use super::{Engine, EngineError};

/// How far a pull has come: bytes downloaded of the layers whose size is known so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullProgress {
    pub current: u64,
    pub total: u64,
}

/// A pull or build must show progress at least this often, or it is taken as stalled.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(120);

/// `name[:tag]` split for the create-image call; a digest reference stays whole.
fn split_reference(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => {
            let name = &image[..image.len() - tag.len() - 1];
            (name.to_string(), tag.to_string())
        }
        None => (image.to_string(), "latest".to_string()),
    }
}

impl Engine {
    /// Pull `image`, calling `progress` as bytes arrive. Each message of the stream must come
    /// within [`STALL_TIMEOUT`]; the registry's error is returned as the engine's message.
    pub async fn pull_image(
        &self,
        image: &str,
        mut progress: impl FnMut(PullProgress),
    ) -> Result<(), EngineError> {
        let (from_image, tag) = split_reference(image);
        let options = CreateImageOptions {
            from_image: Some(from_image),
            tag: Some(tag).filter(|t| !t.is_empty()),
            ..Default::default()
        };
        let what = format!("pull of {image}");
        let mut stream = self.docker.create_image(Some(options), None, None);
        let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
        loop {
            let next = self.call_within(&what, STALL_TIMEOUT, async {
                stream.next().await.transpose()
            });
            let Some(info) = next.await? else {
                return Ok(());
            };
            if let (Some(id), Some(detail)) = (info.id, info.progress_detail) {
                let entry = layers.entry(id).or_default();
                let current = detail.current.unwrap_or(0).max(0) as u64;
                let total = detail.total.unwrap_or(0).max(0) as u64;
                match info.status.as_deref() {
                    Some("Downloading") => *entry = (current, total.max(entry.1)),
                    Some("Download complete" | "Pull complete") => entry.0 = entry.1,
                    _ => continue,
                }
                progress(PullProgress {
                    current: layers.values().map(|l| l.0).sum(),
                    total: layers.values().map(|l| l.1).sum(),
                });
            }
        }
    }

    /// Build `spec` through the engine's legacy builder, handing each line of build output
    /// to `output`. The context is sent as a tar honouring `.dockerignore`.
    pub async fn build_image(
        &self,
        spec: &BuildSpec,
        mut output: impl FnMut(&str),
    ) -> Result<(), EngineError> {
        let what = format!("build of {}", spec.tag);
        let context = context_tar(
            &spec.context,
            &spec.dockerfile,
            spec.dockerfile_inline.as_deref(),
        )
        .map_err(|message| EngineError::Api {
            what: what.clone(),
            message,
        })?;
        let options = BuildImageOptions {
            dockerfile: spec.dockerfile.clone(),
            t: Some(spec.tag.clone()),
            rm: true,
            forcerm: true,
            buildargs: Some(spec.args.clone().into_iter().collect()),
            target: spec.target.clone().unwrap_or_default(),
            labels: (!spec.labels.is_empty()).then(|| spec.labels.clone().into_iter().collect()),
            nocache: spec.no_cache,
            pull: spec.pull.then(|| "1".to_string()),
            cachefrom: (!spec.cache_from.is_empty()).then(|| spec.cache_from.clone()),
            extrahosts: (!spec.extra_hosts.is_empty()).then(|| spec.extra_hosts.join(",")),
            networkmode: spec.network.clone(),
            shmsize: spec.shm_size.map(|b| i32::try_from(b).unwrap_or(i32::MAX)),
            platform: spec.platform.clone().unwrap_or_default(),
            ..Default::default()
        };
        let body = bollard::body_full(context.into());
        let mut stream = self.docker.build_image(options, None, Some(body));
        let mut pending = String::new();
        loop {
            let next = self.call_within(&what, STALL_TIMEOUT, async {
                stream.next().await.transpose()
            });
            let info = match next.await {
                Ok(Some(info)) => info,
                Ok(None) => break,
                Err(EngineError::Api { message, .. }) => {
                    return Err(EngineError::Api {
                        what,
                        message: message.trim_end().to_string(),
                    });
                }
                Err(e) => return Err(e),
            };
            if let Some(text) = info.stream {
                pending.push_str(&text);
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    output(line.trim_end());
                }
            }
        }
        if !pending.trim().is_empty() {
            output(pending.trim_end());
        }
        for extra in &spec.extra_tags {
            let (repo, tag) = split_reference(extra);
            let options = TagImageOptions {
                repo: Some(repo),
                tag: Some(tag).filter(|t| !t.is_empty()),
            };
            let what = format!("tagging {} as {extra}", spec.tag);
            self.call(&what, self.docker.tag_image(&spec.tag, Some(options)))
                .await?;
        }
        Ok(())
    }
}

/// The build context as an uncompressed tar, without what `.dockerignore` excludes
/// (the Dockerfile and `.dockerignore` itself are always sent, as the docker CLI does).
/// An `inline` Dockerfile is added as `dockerfile`, in place of any file of that name.
pub fn context_tar(
    context: &Path,
    dockerfile: &str,
    inline: Option<&str>,
) -> Result<Vec<u8>, String> {
    let shown = context.display();
    if !context.is_dir() {
        return Err(format!("the build context {shown} is not a directory"));
    }
    let ignore = match std::fs::read_to_string(context.join(".dockerignore")) {
        Ok(text) => Ignore::parse(&text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
        Err(e) => return Err(format!("cannot read {shown}/.dockerignore: {e}")),
    };
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let dir = context.join(&relative);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let rel = relative.join(entry.file_name());
            let rel_text = rel.to_string_lossy().replace('\\', "/");
            let is_dockerfile = rel_text == dockerfile.trim_start_matches("./");
            if is_dockerfile && inline.is_some() {
                continue;
            }
            let always = is_dockerfile || rel_text == ".dockerignore";
            if !always && ignore.excludes(&rel_text) {
                continue;
            }
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            builder
                .append_path_with_name(&path, &rel)
                .map_err(|e| format!("cannot add {} to the build context: {e}", path.display()))?;
            if kind.is_dir() {
                stack.push(rel);
            }
        }
    }
    if let Some(text) = inline {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, dockerfile, text.as_bytes())
            .map_err(|e| format!("cannot add the inline Dockerfile to the build context: {e}"))?;
    }
    builder
        .into_inner()
        .map_err(|e| format!("cannot write the build context of {shown}: {e}"))
}

/// `.dockerignore` patterns: Go filepath.Match globs plus `**`, `!` re-includes, last match wins.
#[derive(Debug, Default)]
struct Ignore {
    patterns: Vec<(GlobSet, bool)>,
}

impl Ignore {
    fn parse(text: &str) -> Result<Ignore, String> {
        let mut patterns = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (include, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
            let mut set = GlobSetBuilder::new();
            for p in [pattern.to_string(), format!("{pattern}/**")] {
                let glob = globset::GlobBuilder::new(&p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!(".dockerignore line {}: {e}", i + 1))?;
                set.add(glob);
            }
            let set = set
                .build()
                .map_err(|e| format!(".dockerignore line {}: {e}", i + 1))?;
            patterns.push((set, include));
        }
        Ok(Ignore { patterns })
    }

    fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (set, include) in &self.patterns {
            if set.is_match(path) {
                excluded = !include;
            }
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_name_and_tag() {
        assert_eq!(split_reference("redis"), ("redis".into(), "latest".into()));
        assert_eq!(split_reference("redis:7"), ("redis".into(), "7".into()));
        assert_eq!(
            split_reference("localhost:5000/team/app"),
            ("localhost:5000/team/app".into(), "latest".into())
        );
        assert_eq!(
            split_reference("localhost:5000/app:1.2"),
            ("localhost:5000/app".into(), "1.2".into())
        );
        assert_eq!(
            split_reference("app@sha256:abc"),
            ("app@sha256:abc".into(), String::new())
        );
    }

    #[test]
    fn dockerignore_excludes_and_reincludes() {
        let ignore =
            Ignore::parse("# comment\nnode_modules\n*.log\n!keep.log\n/build/\n**/*.tmp\n")
                .unwrap();
        assert!(ignore.excludes("node_modules"));
        assert!(ignore.excludes("node_modules/a/b.js"));
        assert!(ignore.excludes("debug.log"));
        assert!(!ignore.excludes("keep.log"));
        assert!(!ignore.excludes("logs/debug.log"), "* does not cross /");
        assert!(ignore.excludes("build/out.bin"));
        assert!(ignore.excludes("a/b/c.tmp"));
        assert!(!ignore.excludes("src/main.rs"));
    }

    #[test]
    fn the_context_tar_honours_dockerignore_but_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(dir.path().join(".dockerignore"), "Dockerfile\nsecret.txt\n").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "x").unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(dir.path().join("app/main.py"), "print(1)\n").unwrap();
        let bytes = context_tar(dir.path(), "Dockerfile", None).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(names, [".dockerignore", "Dockerfile", "app", "app/main.py"]);
        let missing = context_tar(&dir.path().join("nope"), "Dockerfile", None).unwrap_err();
        let inline = context_tar(dir.path(), "x.Dockerfile", Some("FROM scratch\n")).unwrap();
        let mut archive = tar::Archive::new(inline.as_slice());
        let mut found = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().unwrap().display().to_string() == "x.Dockerfile");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut found.next().unwrap(), &mut text).unwrap();
        assert_eq!(text, "FROM scratch\n");
        assert!(missing.contains("is not a directory"), "{missing}");
    }
}
