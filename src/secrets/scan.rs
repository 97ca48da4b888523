//! One secret scan: the working tree, the whole history and the containers, combined into one
//! finding per secret, marked compromised or suppressed, most urgent first.

use super::detect::{Detection, Detector, TextKind};
use super::finding::{Finding, FindingSet, Location, Source};
use super::ignore::IgnoreList;
use super::ioc::CompromisedList;
use super::rules::{self, Rule, Severity};
use super::sources::history::{self, Appearance, HistoryProgress};
use super::sources::{Limits, Tally, containers, worktree};
use crate::model::ContainerDetails;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanOptions {
    /// The repositories (or plain directories) to scan; none: no files at all.
    pub repos: Vec<PathBuf>,
    pub history: bool,
    /// Container details to scan; `None` when containers are not scanned.
    pub containers: Option<Vec<ContainerDetails>>,
    pub ioc_file: Option<PathBuf>,
    pub ignore_file: Option<PathBuf>,
    pub rules_file: Option<PathBuf>,
    pub limits: Limits,
}

/// What the scan is doing, for a progress line or gauge.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanProgress {
    Stage(String),
    History(HistoryProgress),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub compromised: usize,
    pub suppressed: usize,
    pub repository: Option<String>,
    pub worktree_files: u64,
    pub worktree_bytes: u64,
    pub history_objects: u64,
    pub history_blobs: u64,
    pub history_bytes: u64,
    pub refs: u64,
    pub containers: usize,
    pub skipped_binary: u64,
    pub skipped_oversized: u64,
    pub missing_objects: u64,
    pub known_compromised: usize,
    pub seconds: f64,
    /// What was not scanned and why, and other things the reader must know.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// Runs the scan. Errors are what makes the whole scan meaningless (bad rules, unreadable IOC
/// file); a missing or broken repository is a note and the rest is still scanned.
pub fn run(
    options: &ScanOptions,
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ScanReport, String> {
    let started = std::time::Instant::now();
    let detector = Detector::new(rules::load(options.rules_file.as_deref())?)?;
    let compromised = match &options.ioc_file {
        Some(path) => CompromisedList::load(path)?,
        None => CompromisedList::default(),
    };
    let mut ignored = IgnoreList::default();
    if let Some(path) = &options.ignore_file {
        ignored.extend(IgnoreList::load(path).map_err(|err| format!("ignore file {err}"))?);
    }
    let tally = Tally::default();
    let mut set = FindingSet::default();
    let mut notes = Vec::new();
    let repository = (!options.repos.is_empty()).then(|| {
        options
            .repos
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    });

    for path in &options.repos {
        // With several repositories each file location says which one it is in.
        set.repo = (options.repos.len() > 1).then(|| path.display().to_string());
        scan_files(
            path,
            options,
            &detector,
            &tally,
            &mut set,
            &mut ignored,
            &mut notes,
            progress,
            cancel,
        );
    }
    let mut container_count = 0;
    if let Some(list) = &options.containers {
        progress(ScanProgress::Stage("containers".into()));
        container_count = list.len();
        for hit in containers::scan(list, &detector) {
            for detection in &hit.detections {
                let mut location = Location::new(Source::Container, "");
                location.container = Some(hit.container.clone());
                location.running = Some(hit.running);
                location.detail = Some(hit.detail.clone());
                set.add(detector.rules(), detection, location);
            }
        }
        let files = containers::compose_files(list);
        let (hits, skipped) =
            containers::scan_compose(&files, &detector, options.limits.max_file_bytes);
        notes.extend(skipped);
        for hit in hits {
            let kind = TextKind::of_path(&hit.path);
            for detection in keep_for(&hit.detections, kind, detector.rules()) {
                let mut location = Location::new(Source::Compose, "");
                location.path = Some(hit.path.clone());
                set.add(detector.rules(), detection, location);
            }
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err("cancelled".into());
    }
    notes.extend(ignored.problems.iter().cloned());
    let findings = set.finish(&compromised, &ignored);
    let count = |severity: Severity| {
        findings
            .iter()
            .filter(|f| f.suppressed.is_none() && f.severity == severity)
            .count()
    };
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let summary = Summary {
        findings: findings.iter().filter(|f| f.suppressed.is_none()).count(),
        critical: count(Severity::Critical),
        high: count(Severity::High),
        medium: count(Severity::Medium),
        low: count(Severity::Low),
        compromised: findings.iter().filter(|f| f.compromised).count(),
        suppressed: findings.iter().filter(|f| f.suppressed.is_some()).count(),
        repository,
        worktree_files: load(&tally.files),
        worktree_bytes: load(&tally.bytes),
        history_objects: load(&tally.objects),
        history_blobs: load(&tally.blobs),
        history_bytes: load(&tally.history_bytes),
        refs: load(&tally.refs),
        containers: container_count,
        skipped_binary: load(&tally.binary),
        skipped_oversized: load(&tally.oversized),
        missing_objects: load(&tally.missing),
        known_compromised: compromised.len(),
        seconds: started.elapsed().as_secs_f64(),
        notes,
    };
    Ok(ScanReport { findings, summary })
}

/// Detections that stand in a file of this kind: an unquoted value in source code is usually a
/// variable, reported only by rules that say otherwise.
fn keep_for<'d>(
    detections: &'d [Detection],
    kind: TextKind,
    rules: &'d [Rule],
) -> impl Iterator<Item = &'d Detection> {
    detections
        .iter()
        .filter(move |d| !(d.bare && kind == TextKind::Code && !rules[d.rule].bare_in_code))
}

#[allow(clippy::too_many_arguments)]
fn scan_files(
    path: &std::path::Path,
    options: &ScanOptions,
    detector: &Detector,
    tally: &Tally,
    set: &mut FindingSet,
    ignored: &mut IgnoreList,
    notes: &mut Vec<String>,
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
) {
    let repo = match crate::git::open(path) {
        Ok(repo) => Some(repo),
        Err(err) => {
            if path.is_dir() {
                notes.push(format!("{err}; files scanned, history not"));
            } else {
                notes.push(format!("{}: no such directory", path.display()));
                return;
            }
            None
        }
    };
    let workdir = repo.as_ref().map_or(Some(path.to_path_buf()), |r| {
        r.workdir().map(|w| w.to_path_buf())
    });
    if let Some(root) = &workdir {
        match IgnoreList::load_in_repository(root) {
            Ok(list) => ignored.extend(list),
            Err(err) => notes.push(format!("ignore list {err}")),
        }
        progress(ScanProgress::Stage("working tree".into()));
        // Git-ignored build and dependency directories are left out (and said so).
        let skip_dir = |dir: &std::path::Path| {
            let heavy = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| worktree::HEAVY_DIRS.contains(&n));
            heavy
                && repo.as_ref().is_some_and(|r| {
                    dir.strip_prefix(root)
                        .ok()
                        .is_some_and(|relative| r.is_path_ignored(relative).unwrap_or(false))
                })
        };
        let (results, skipped) =
            worktree::scan(root, &skip_dir, detector, &options.limits, tally, cancel);
        if !skipped.is_empty() {
            let names: Vec<String> = skipped
                .iter()
                .take(5)
                .map(|d| d.strip_prefix(root).unwrap_or(d).display().to_string())
                .collect();
            notes.push(format!(
                "git-ignored build/dependency directories not scanned: {}{}",
                names.join(", "),
                if skipped.len() > 5 {
                    format!(" and {} more", skipped.len() - 5)
                } else {
                    String::new()
                }
            ));
        }
        let index = repo.as_ref().and_then(|r| r.index().ok());
        let head_tree = repo
            .as_ref()
            .and_then(|r| r.head().ok())
            .and_then(|h| h.peel_to_tree().ok());
        for result in results {
            let status = repo
                .as_ref()
                .map(|r| worktree::status(r, index.as_ref(), &result.path));
            let in_head = head_tree.as_ref().map(|tree| {
                let on_disk = crate::util::read::read_regular(
                    &root.join(&result.path),
                    options.limits.max_file_bytes,
                )
                .ok();
                tree.get_path(std::path::Path::new(&result.path))
                    .ok()
                    .zip(on_disk)
                    .is_some_and(|(entry, data)| {
                        git2::Oid::hash_object(git2::ObjectType::Blob, &data)
                            .is_ok_and(|id| id == entry.id())
                    })
            });
            for detection in &result.detections {
                let mut location = Location::new(Source::Worktree, "");
                location.path = Some(result.path.clone());
                location.status = status.map(str::to_string);
                location.in_head = in_head;
                set.add(detector.rules(), detection, location);
            }
        }
        // A committed .env is a finding in itself.
        if let Some(index) = &index {
            for entry in index.iter() {
                let path = String::from_utf8_lossy(&entry.path).into_owned();
                let name = path.rsplit('/').next().unwrap_or(&path);
                if history::is_env_file_name(name) {
                    let mut location = Location::new(Source::Worktree, "committed-env-file");
                    location.path = Some(path.clone());
                    location.status = Some("tracked".into());
                    location.in_head = head_tree
                        .as_ref()
                        .map(|t| t.get_path(std::path::Path::new(&path)).is_ok());
                    set.add_fact(Finding::committed_env_file(&path, vec![location]));
                }
            }
        }
    }
    let Some(repo) = repo else {
        return;
    };
    if !options.history {
        notes.push("history not scanned (--no-history)".into());
        return;
    }
    if repo.is_shallow() {
        notes.push("shallow clone: history before the shallow boundary is not here to scan".into());
    }
    progress(ScanProgress::Stage("history".into()));
    let report = |p: HistoryProgress| progress(ScanProgress::History(p));
    match history::scan(
        repo.path(),
        detector,
        &options.limits,
        tally,
        &report,
        cancel,
    ) {
        Ok(result) => {
            for blob in &result.blobs {
                add_history(
                    set,
                    detector.rules(),
                    &blob.detections,
                    &blob.appearances,
                    blob.blob,
                );
            }
            for env in result.env_files {
                let path = env.appearance.path.clone();
                set.add_fact(Finding::committed_env_file(
                    &path,
                    vec![history_location(&env.appearance, "committed-env-file")],
                ));
            }
        }
        Err(message) => notes.push(format!("history: {message}")),
    }
    let missing = tally.missing.load(Ordering::Relaxed);
    if missing > 0 {
        notes.push(format!(
            "{missing} objects could not be read (missing or corrupt); everything else was scanned"
        ));
    }
}

fn history_location(appearance: &Appearance, rule: &str) -> Location {
    let mut location = Location::new(Source::History, rule);
    location.path = Some(appearance.path.clone());
    location.commit = Some(appearance.first_commit.clone());
    location.refs = appearance.refs.clone();
    location.in_head = Some(appearance.in_head);
    location.commits = Some(appearance.commits);
    location
}

fn add_history(
    set: &mut FindingSet,
    rules: &[Rule],
    detections: &[Detection],
    appearances: &[Appearance],
    blob: git2::Oid,
) {
    if appearances.is_empty() {
        // A dangling blob: in the object database, in no commit's tree.
        for detection in detections {
            let mut location = Location::new(Source::History, "");
            location.detail = Some(format!("dangling blob {}", &blob.to_string()[..12]));
            set.add(rules, detection, location);
        }
        return;
    }
    for appearance in appearances {
        let kind = TextKind::of_path(&appearance.path);
        for detection in keep_for(detections, kind, rules) {
            set.add(rules, detection, history_location(appearance, ""));
        }
    }
}
