//! Findings: one per secret (its SHA-256), with every place it still lives.

use super::detect::Detection;
use super::rules::{Rule, Severity};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Worktree,
    History,
    Container,
    Compose,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Worktree => "worktree",
            Source::History => "history",
            Source::Container => "container",
            Source::Compose => "compose",
        }
    }
}

/// One place a secret lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub source: Source,
    /// File path (relative to the repository for worktree and history, absolute for compose).
    pub path: Option<String>,
    pub line: Option<u32>,
    /// History: the earliest commit that has this content at this path.
    pub commit: Option<String>,
    /// History: the refs from which that content is reachable (none: only dangling objects).
    pub refs: Vec<String>,
    /// History and worktree: whether HEAD's tree has it at this path.
    pub in_head: Option<bool>,
    /// Container name.
    pub container: Option<String>,
    /// The rule that matched here.
    pub rule: String,
    /// Worktree: tracked, untracked or ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// History: how many commits have this content at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<usize>,
    /// Container: running now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running: Option<bool>,
    /// Container: `env VLLM_API_KEY` or `args`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Worktree and history, when several repositories were scanned: which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The line carries an allow pragma (`gitleaks:allow`, ...).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pragma: bool,
}

impl Location {
    pub fn new(source: Source, rule: &str) -> Location {
        Location {
            source,
            path: None,
            line: None,
            commit: None,
            refs: Vec::new(),
            in_head: None,
            container: None,
            rule: rule.to_string(),
            status: None,
            commits: None,
            running: None,
            detail: None,
            repo: None,
            pragma: false,
        }
    }

    /// A short "where" for a table cell: `HEAD .env:2`, `history a1b2c3d .env:2`,
    /// `container ve-whisper args`.
    pub fn short(&self) -> String {
        let mut place = match (&self.path, self.line) {
            (Some(path), Some(line)) => format!("{path}:{line}"),
            (Some(path), None) => path.clone(),
            _ => String::new(),
        };
        if let Some(repo) = &self.repo {
            place = format!("{place} in {repo}");
        }
        let text = match self.source {
            Source::Worktree => format!(
                "{} {place}",
                if self.in_head == Some(true) {
                    "HEAD"
                } else {
                    self.status.as_deref().unwrap_or("worktree")
                }
            ),
            Source::History => format!(
                "history {} {place}",
                self.commit
                    .as_deref()
                    .map_or("?", |c| c.get(..7).unwrap_or(c))
            ),
            Source::Container => format!(
                "container {} {}",
                self.container.as_deref().unwrap_or("?"),
                self.detail.as_deref().unwrap_or("")
            ),
            Source::Compose => format!("compose {place}"),
        };
        crate::util::text::escape(text.trim()).into_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The most specific rule that matched it anywhere.
    pub rule: String,
    pub description: String,
    pub severity: Severity,
    /// Lowercase hex SHA-256 of the exact secret bytes.
    pub fingerprint: String,
    /// At most four leading characters and the length.
    pub masked: String,
    /// On the incident's known-compromised list: rotate now.
    pub compromised: bool,
    /// Why it is suppressed (`.vigil-ignore` reason or an inline pragma), if it is.
    pub suppressed: Option<String>,
    pub rotate: String,
    pub locations: Vec<Location>,
    #[serde(skip)]
    rule_rank: usize,
}

impl Finding {
    /// A finding about a file rather than a value: an `.env` file committed to the repository.
    /// Keyed by the path, so each such file is one finding.
    pub fn committed_env_file(path: &str, locations: Vec<Location>) -> Finding {
        Finding {
            rule: "committed-env-file".into(),
            description: "An .env file committed to the repository (every value in it leaked \
                          with it)"
                .into(),
            severity: Severity::High,
            fingerprint: super::detect::fingerprint(
                format!("committed-env-file:{path}").as_bytes(),
            ),
            masked: crate::util::text::escape(path).into_owned(),
            compromised: false,
            suppressed: None,
            rotate:
                "Rotate every value it holds, remove it from the tree, add it to .gitignore, and \
                     purge it from history (git filter-repo) once the evidence is preserved."
                    .into(),
            locations,
            rule_rank: usize::MAX,
        }
    }

    pub fn in_running_container(&self) -> bool {
        self.locations
            .iter()
            .any(|l| l.source == Source::Container && l.running == Some(true))
    }

    pub fn in_head(&self) -> bool {
        self.locations.iter().any(|l| l.in_head == Some(true))
    }

    pub fn in_worktree(&self) -> bool {
        self.locations.iter().any(|l| l.source == Source::Worktree)
    }

    /// Most urgent first: compromised, then live in a running container, then in HEAD (or the
    /// working tree), then history only; severity breaks ties.
    pub fn urgency(&self) -> (bool, bool, bool, bool, Severity) {
        (
            self.suppressed.is_none(),
            self.compromised,
            self.in_running_container(),
            self.in_head() || self.in_worktree(),
            self.severity,
        )
    }

    /// `HEAD .env:2 +3 more`: the most telling location and how many others.
    pub fn where_summary(&self) -> String {
        let best = self
            .locations
            .iter()
            .max_by_key(|l| {
                (
                    l.source == Source::Container && l.running == Some(true),
                    l.in_head == Some(true),
                    l.source == Source::Worktree,
                )
            })
            .map(Location::short)
            .unwrap_or_default();
        let history = self
            .locations
            .iter()
            .filter(|l| l.source == Source::History)
            .count();
        let others = self.locations.len().saturating_sub(1);
        match (others, history) {
            (0, _) => best,
            (n, 0) => format!("{best} +{n} more"),
            (n, h) => format!("{best} +{n} more ({h} in history)"),
        }
    }
}

/// Collects detections into findings, keyed by the secret's fingerprint.
#[derive(Default)]
pub struct FindingSet {
    by_fingerprint: HashMap<String, Finding>,
    /// Stamped on file locations added while set (several repositories in one scan).
    pub repo: Option<String>,
}

impl FindingSet {
    pub fn add(&mut self, rules: &[Rule], detection: &Detection, mut location: Location) {
        let rule = &rules[detection.rule];
        location.pragma = detection.pragma;
        self.stamp_repo(&mut location);
        location.rule = rule.id.clone();
        if location.line.is_none() {
            location.line = Some(detection.line);
        }
        let finding = self
            .by_fingerprint
            .entry(detection.fingerprint.clone())
            .or_insert_with(|| Finding {
                rule: rule.id.clone(),
                description: rule.description.clone(),
                severity: rule.severity,
                fingerprint: detection.fingerprint.clone(),
                masked: detection.masked.clone(),
                compromised: false,
                suppressed: None,
                rotate: rule.rotate.clone(),
                locations: Vec::new(),
                rule_rank: detection.rule,
            });
        if detection.rule < finding.rule_rank {
            finding.rule_rank = detection.rule;
            finding.rule = rule.id.clone();
            finding.description = rule.description.clone();
            finding.rotate = rule.rotate.clone();
        }
        finding.severity = finding.severity.max(rule.severity);
        if !finding.locations.contains(&location) {
            finding.locations.push(location);
        }
    }

    fn stamp_repo(&self, location: &mut Location) {
        if matches!(location.source, Source::Worktree | Source::History) {
            location.repo = self.repo.clone();
        }
    }

    /// A finding that is not a secret value: a committed `.env` file, keyed by its path.
    pub fn add_fact(&mut self, mut finding: Finding) {
        for location in &mut finding.locations {
            self.stamp_repo(location);
        }
        let entry = self
            .by_fingerprint
            .entry(finding.fingerprint.clone())
            .or_insert_with(|| Finding {
                locations: Vec::new(),
                ..finding.clone()
            });
        for location in finding.locations {
            if !entry.locations.contains(&location) {
                entry.locations.push(location);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    /// Marks known-compromised secrets and suppressed ones, then sorts most urgent first.
    pub fn finish(
        self,
        compromised: &super::ioc::CompromisedList,
        ignored: &super::ignore::IgnoreList,
    ) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .by_fingerprint
            .into_values()
            .map(|mut finding| {
                finding.compromised = compromised.contains(&finding.fingerprint);
                finding.suppressed = ignored.reason(&finding.fingerprint).or_else(|| {
                    finding
                        .locations
                        .iter()
                        .all(|l| l.pragma)
                        .then(|| "inline pragma on every line it appears".to_string())
                });
                finding.locations.sort_by(|a, b| {
                    (a.source, &a.container, &a.path, a.line, &a.commit).cmp(&(
                        b.source,
                        &b.container,
                        &b.path,
                        b.line,
                        &b.commit,
                    ))
                });
                finding
            })
            .collect();
        findings.sort_by(|a, b| {
            b.urgency()
                .cmp(&a.urgency())
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        findings
    }
}
