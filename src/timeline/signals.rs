//! The metadata signals, each a pure function of the commits, and the score (weighted sum).

use super::paths::PathRules;
use super::{Burst, CommitEntry};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub kind: SignalKind,
    /// A sentence explaining it for this commit.
    pub detail: String,
}

/// Every signal the timeline knows. Written in JSON and the config as its kebab-case name
/// (`committer-before-author`); the pane shows its short tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    Burst,
    CommitterBeforeAuthor,
    ChildBeforeParent,
    DateGap,
    NewIdentity,
    NewTimezone,
    OffHours,
    VagueMessage,
    VagueLargeChange,
    LargeChange,
    SensitivePath,
    GitignoreWeakened,
    BinaryAdded,
    SecretIntroduced,
    Unsigned,
    Rewritten,
    Dangling,
}

impl SignalKind {
    pub const ALL: [SignalKind; 17] = [
        SignalKind::Burst,
        SignalKind::CommitterBeforeAuthor,
        SignalKind::ChildBeforeParent,
        SignalKind::DateGap,
        SignalKind::NewIdentity,
        SignalKind::NewTimezone,
        SignalKind::OffHours,
        SignalKind::VagueMessage,
        SignalKind::VagueLargeChange,
        SignalKind::LargeChange,
        SignalKind::SensitivePath,
        SignalKind::GitignoreWeakened,
        SignalKind::BinaryAdded,
        SignalKind::SecretIntroduced,
        SignalKind::Unsigned,
        SignalKind::Rewritten,
        SignalKind::Dangling,
    ];

    /// The name in JSON and the documentation.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Burst => "burst",
            SignalKind::CommitterBeforeAuthor => "committer-before-author",
            SignalKind::ChildBeforeParent => "child-before-parent",
            SignalKind::DateGap => "date-gap",
            SignalKind::NewIdentity => "new-identity",
            SignalKind::NewTimezone => "new-timezone",
            SignalKind::OffHours => "off-hours",
            SignalKind::VagueMessage => "vague-message",
            SignalKind::VagueLargeChange => "vague-large-change",
            SignalKind::LargeChange => "large-change",
            SignalKind::SensitivePath => "sensitive-path",
            SignalKind::GitignoreWeakened => "gitignore-weakened",
            SignalKind::BinaryAdded => "binary-added",
            SignalKind::SecretIntroduced => "secret-introduced",
            SignalKind::Unsigned => "unsigned",
            SignalKind::Rewritten => "rewritten",
            SignalKind::Dangling => "dangling",
        }
    }

    /// The short tag the pane shows.
    pub fn tag(self) -> &'static str {
        match self {
            SignalKind::Burst => "burst",
            SignalKind::CommitterBeforeAuthor => "c<a",
            SignalKind::ChildBeforeParent => "child<parent",
            SignalKind::DateGap => "date-gap",
            SignalKind::NewIdentity => "new-id",
            SignalKind::NewTimezone => "new-tz",
            SignalKind::OffHours => "hours",
            SignalKind::VagueMessage => "vague",
            SignalKind::VagueLargeChange => "vague+big",
            SignalKind::LargeChange => "big",
            SignalKind::SensitivePath => "sensitive",
            SignalKind::GitignoreWeakened => "ignore-",
            SignalKind::BinaryAdded => "binary",
            SignalKind::SecretIntroduced => "SECRET",
            SignalKind::Unsigned => "unsigned",
            SignalKind::Rewritten => "rewritten",
            SignalKind::Dangling => "dangling",
        }
    }

    /// What it means, for the help and the documentation.
    pub fn meaning(self) -> &'static str {
        match self {
            SignalKind::Burst => "one of 3+ commits by one identity at most 60 s apart",
            SignalKind::CommitterBeforeAuthor => {
                "committed before it was authored: dates set by hand"
            }
            SignalKind::ChildBeforeParent => {
                "dated before a parent: the chronology was manipulated"
            }
            SignalKind::DateGap => {
                "author and committer dates far apart (rebase, cherry-pick, rewrite)"
            }
            SignalKind::NewIdentity => "an identity first seen late in the history",
            SignalKind::NewTimezone => "a UTC offset this identity never used before",
            SignalKind::OffHours => "far outside this identity's usual hours",
            SignalKind::VagueMessage => "a one-word or conventional-prefix-only message",
            SignalKind::VagueLargeChange => "a vague message over a large change: camouflage",
            SignalKind::LargeChange => "a very large change (vendored and lock files not counted)",
            SignalKind::SensitivePath => {
                "touches tool parsers, Dockerfiles, compose, .env, deploy scripts, CI"
            }
            SignalKind::GitignoreWeakened => "removes lines from .gitignore or .dockerignore",
            SignalKind::BinaryAdded => "adds a binary that is not an image, font or document",
            SignalKind::SecretIntroduced => "a leaked secret first appears in this commit",
            SignalKind::Unsigned => "unsigned in a mostly signed history",
            SignalKind::Rewritten => "target of a replace ref, refs/original or a forced update",
            SignalKind::Dangling => "reachable from no branch or tag",
        }
    }
}

impl std::fmt::Display for SignalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Weights of the signals, their thresholds and the path globs (config `[timeline]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scoring {
    /// Commits by one identity this close together (seconds) form a burst.
    pub burst_gap_secs: i64,
    /// How many commits make a burst.
    pub burst_min_commits: usize,
    pub burst: f64,
    pub committer_before_author: f64,
    pub child_before_parent: f64,
    /// Author and committer dates further apart than this (seconds) are a signal.
    pub date_gap_secs: i64,
    pub date_gap: f64,
    pub new_identity: f64,
    pub new_timezone: f64,
    pub off_hours: f64,
    pub vague_message: f64,
    /// A vague message over at least this many changed lines is camouflage.
    pub vague_large_change_lines: u64,
    pub vague_large_change: f64,
    /// A change of at least this many lines is very large.
    pub large_change_lines: u64,
    pub large_change: f64,
    pub sensitive_path: f64,
    pub gitignore_weakened: f64,
    pub binary_added: f64,
    pub secret_introduced: f64,
    pub unsigned_in_signed_history: f64,
    pub rewritten: f64,
    pub dangling: f64,
    /// A commit scoring at least this is suspicious.
    pub threshold: f64,
    /// Globs of sensitive paths (replace the defaults when given).
    pub sensitive_paths: Vec<String>,
    /// Globs of vendored and generated files, left out of the change size.
    pub size_excluded_paths: Vec<String>,
    /// Globs of binaries that are ordinary in a repository.
    pub ordinary_binaries: Vec<String>,
}

impl Default for Scoring {
    fn default() -> Self {
        use super::paths::{
            DEFAULT_ORDINARY_BINARIES, DEFAULT_SENSITIVE, DEFAULT_SIZE_EXCLUDED, owned,
        };
        Scoring {
            burst_gap_secs: 60,
            burst_min_commits: 3,
            burst: 2.0,
            committer_before_author: 2.0,
            child_before_parent: 2.5,
            date_gap_secs: 7 * 24 * 3600,
            date_gap: 1.0,
            new_identity: 1.0,
            new_timezone: 1.0,
            off_hours: 0.5,
            vague_message: 1.0,
            vague_large_change_lines: 300,
            vague_large_change: 1.5,
            large_change_lines: 1000,
            large_change: 1.0,
            sensitive_path: 1.0,
            gitignore_weakened: 1.5,
            binary_added: 1.0,
            secret_introduced: 2.0,
            unsigned_in_signed_history: 1.5,
            rewritten: 2.0,
            dangling: 2.0,
            threshold: 3.0,
            sensitive_paths: owned(DEFAULT_SENSITIVE),
            size_excluded_paths: owned(DEFAULT_SIZE_EXCLUDED),
            ordinary_binaries: owned(DEFAULT_ORDINARY_BINARIES),
        }
    }
}

impl Scoring {
    /// Back to the built-in path globs (when the configured ones do not compile).
    pub fn reset_paths(&mut self) {
        let defaults = Scoring::default();
        self.sensitive_paths = defaults.sensitive_paths;
        self.size_excluded_paths = defaults.size_excluded_paths;
        self.ordinary_binaries = defaults.ordinary_binaries;
    }

    /// The weight of one signal.
    pub fn of(&self, kind: SignalKind) -> f64 {
        match kind {
            SignalKind::Burst => self.burst,
            SignalKind::CommitterBeforeAuthor => self.committer_before_author,
            SignalKind::ChildBeforeParent => self.child_before_parent,
            SignalKind::DateGap => self.date_gap,
            SignalKind::NewIdentity => self.new_identity,
            SignalKind::NewTimezone => self.new_timezone,
            SignalKind::OffHours => self.off_hours,
            SignalKind::VagueMessage => self.vague_message,
            SignalKind::VagueLargeChange => self.vague_large_change,
            SignalKind::LargeChange => self.large_change,
            SignalKind::SensitivePath => self.sensitive_path,
            SignalKind::GitignoreWeakened => self.gitignore_weakened,
            SignalKind::BinaryAdded => self.binary_added,
            SignalKind::SecretIntroduced => self.secret_introduced,
            SignalKind::Unsigned => self.unsigned_in_signed_history,
            SignalKind::Rewritten => self.rewritten,
            SignalKind::Dangling => self.dangling,
        }
    }

    pub fn path_rules(&self) -> Result<PathRules, String> {
        PathRules::new(
            &self.sensitive_paths,
            &self.size_excluded_paths,
            &self.ordinary_binaries,
        )
    }

    /// The scoring rules in a few lines: what the help shows.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "score = sum of the weights of a commit's signals; suspicious at >= {}",
            self.threshold
        )];
        for kind in SignalKind::ALL {
            lines.push(format!(
                "{:>4}  {:<12} {}",
                self.of(kind),
                kind.tag(),
                kind.meaning()
            ));
        }
        lines.push(format!(
            "bursts: {}+ commits at most {} s apart; large change: {}+ lines; vague over {}+ lines",
            self.burst_min_commits,
            self.burst_gap_secs,
            self.large_change_lines,
            self.vague_large_change_lines
        ));
        lines
    }
}

fn add(commit: &mut CommitEntry, kind: SignalKind, detail: String) {
    if !commit.signals.iter().any(|s| s.kind == kind) {
        commit.signals.push(Signal { kind, detail });
    }
}

/// One-word or conventional-prefix-only subjects that say nothing about the change.
pub fn is_vague(subject: &str) -> bool {
    let words: Vec<&str> = subject
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter(|w| !w.is_empty())
        .collect();
    const VAGUE: &[&str] = &[
        "feat", "fix", "refactor", "update", "updates", "wip", "chore", "changes", "change",
        "misc", "minor", "tmp", "test", "stuff", "cleanup", "sync", "merge", "edit", "improve",
        ".", "-", "commit", "save", "patch", "tweak",
    ];
    match words.as_slice() {
        [] => true,
        [one] => {
            let word = one.to_ascii_lowercase();
            let word = word.trim_end_matches('.');
            word.is_empty() || VAGUE.contains(&word)
        }
        [first, second] => {
            VAGUE.contains(&first.to_ascii_lowercase().as_str())
                && VAGUE.contains(&second.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

fn local_hour(time: i64, offset_minutes: i32) -> i64 {
    (time + offset_minutes as i64 * 60).rem_euclid(86_400) / 3600
}

/// Marks every signal on `commits` (any order), scores them, and returns the bursts.
pub fn apply(commits: &mut [CommitEntry], weights: &Scoring) -> Vec<Burst> {
    for commit in commits.iter_mut() {
        commit.signals.clear();
    }
    // Oldest first for the per-identity history.
    let mut order: Vec<usize> = (0..commits.len()).collect();
    order.sort_by_key(|i| (commits[*i].author_time, commits[*i].id));
    let times: HashMap<super::CommitId, (i64, i64)> = commits
        .iter()
        .map(|c| (c.id, (c.author_time, c.committer_time)))
        .collect();

    // Per-commit date facts.
    for commit in commits.iter_mut() {
        if commit.committer_time + 60 < commit.author_time {
            add(
                commit,
                SignalKind::CommitterBeforeAuthor,
                format!(
                    "committed {} before it was authored: dates were set by hand",
                    crate::util::text::human_duration(commit.author_time - commit.committer_time)
                ),
            );
        }
        let gap = (commit.committer_time - commit.author_time).abs();
        if gap > weights.date_gap_secs {
            add(
                commit,
                SignalKind::DateGap,
                format!(
                    "author and committer dates {} apart (rebased, cherry-picked or rewritten)",
                    crate::util::text::human_duration(gap)
                ),
            );
        }
        let older_than_parent = commit.parents.iter().find(|p| {
            times
                .get(p)
                .is_some_and(|(_, parent_committed)| commit.committer_time + 60 < *parent_committed)
        });
        if let Some(parent) = older_than_parent {
            add(
                commit,
                SignalKind::ChildBeforeParent,
                format!(
                    "dated before its parent {}: the chronology was manipulated",
                    parent.short(12)
                ),
            );
        }
        if commit.dangling {
            add(
                commit,
                SignalKind::Dangling,
                "reachable from no branch or tag: left behind by a deleted branch or a forced push"
                    .into(),
            );
        }
        if let Some(why) = &commit.rewritten {
            let detail = format!("history rewriting: {why}");
            add(commit, SignalKind::Rewritten, detail);
        }
        change_signals(commit, weights);
        if is_vague(&commit.subject) {
            add(
                commit,
                SignalKind::VagueMessage,
                "the message says nothing about the change".into(),
            );
        }
    }

    // Identity history: new identities, new time zones, unusual hours.
    let mut seen_offsets: HashMap<String, Vec<i32>> = HashMap::new();
    // Per identity: how many commits in each local hour of the day.
    let mut hours: HashMap<String, [usize; 24]> = HashMap::new();
    for commit in commits.iter() {
        hours.entry(commit.identity()).or_insert([0; 24])
            [local_hour(commit.author_time, commit.author_offset) as usize] += 1;
    }
    let total = commits.len();
    // Each identity's first commit: (its rank in time, its index).
    let mut first_commit: HashMap<String, (usize, usize)> = HashMap::new();
    for (rank, &index) in order.iter().enumerate() {
        let identity = commits[index].identity();
        first_commit
            .entry(identity.clone())
            .or_insert((rank, index));
        let offsets = seen_offsets.entry(identity.clone()).or_default();
        let offset = commits[index].author_offset;
        if !offsets.is_empty() && !offsets.contains(&offset) {
            let usual = offsets[0];
            add(
                &mut commits[index],
                SignalKind::NewTimezone,
                format!(
                    "UTC{} never used by this identity before (usually UTC{})",
                    offset_text(offset),
                    offset_text(usual)
                ),
            );
        }
        if !offsets.contains(&offset) {
            offsets.push(offset);
        }
    }
    for &index in &order {
        let identity = commits[index].identity();
        let histogram = &hours[&identity];
        let total_for_identity: usize = histogram.iter().sum();
        // Only against an established pattern: at least 10 commits.
        if total_for_identity >= 10 {
            let hour = local_hour(commits[index].author_time, commits[index].author_offset);
            // The identity's other commits within two hours of this one (around midnight too).
            let usual: usize = (-2..=2)
                .map(|delta| histogram[(hour + delta).rem_euclid(24) as usize])
                .sum::<usize>()
                - 1;
            if usual * 20 < total_for_identity - 1 {
                add(
                    &mut commits[index],
                    SignalKind::OffHours,
                    format!("{hour:02}:xx local is far outside this identity's usual hours"),
                );
            }
        }
    }
    // An identity whose first commit comes in the second half of an established history.
    for (rank, index) in first_commit.into_values() {
        if total >= 20 && rank * 2 >= total {
            add(
                &mut commits[index],
                SignalKind::NewIdentity,
                "first commit by this identity, late in the history".into(),
            );
        }
    }

    // Unsigned commits in a mostly signed history.
    let signed = commits.iter().filter(|c| c.signed).count();
    if total >= 10 && signed * 10 >= total * 8 {
        for commit in commits.iter_mut().filter(|c| !c.signed) {
            add(
                commit,
                SignalKind::Unsigned,
                format!("unsigned, where {signed} of {total} commits are signed"),
            );
        }
    }

    // Bursts: consecutive commits by one identity at most `burst_gap_secs` apart.
    let mut bursts = Vec::new();
    let mut by_identity: HashMap<String, Vec<usize>> = HashMap::new();
    for &index in &order {
        by_identity
            .entry(commits[index].identity())
            .or_default()
            .push(index);
    }
    let mut identities: Vec<&String> = by_identity.keys().collect();
    identities.sort();
    for identity in identities {
        let list = &by_identity[identity];
        let mut run: Vec<usize> = Vec::new();
        let mut flush = |run: &mut Vec<usize>, commits: &mut [CommitEntry]| {
            if run.len() >= weights.burst_min_commits {
                let start = commits[run[0]].author_time;
                let end = commits[*run.last().expect("non-empty")].author_time;
                for &i in run.iter() {
                    add(
                        &mut commits[i],
                        SignalKind::Burst,
                        format!(
                            "one of {} commits by this identity within {} (gaps of {} s at most)",
                            run.len(),
                            crate::util::text::human_duration(end - start),
                            weights.burst_gap_secs
                        ),
                    );
                }
                bursts.push(Burst {
                    identity: identity.clone(),
                    commits: run.iter().map(|i| commits[*i].id).collect(),
                    start,
                    end,
                });
            }
            run.clear();
        };
        for &index in list {
            if let Some(&last) = run.last()
                && commits[index].author_time - commits[last].author_time > weights.burst_gap_secs
            {
                flush(&mut run, commits);
            }
            run.push(index);
        }
        flush(&mut run, commits);
    }

    for commit in commits.iter_mut() {
        // `+ 0.0`: an empty sum of f64 is -0.0, which would print as "-0.0".
        commit.score = commit
            .signals
            .iter()
            .map(|s| weights.of(s.kind))
            .sum::<f64>()
            + 0.0;
    }
    bursts.sort_by_key(|b| b.start);
    bursts
}

/// The signals that need the files and line counts, and the secrets introduced.
fn change_signals(commit: &mut CommitEntry, weights: &Scoring) {
    if !commit.secrets.is_empty() {
        let mut rules_seen: Vec<&str> = commit.secrets.iter().map(|s| s.rule.as_str()).collect();
        rules_seen.dedup();
        let detail = format!(
            "introduces {} leaked secret(s): {}",
            commit.secrets.len(),
            rules_seen.join(", ")
        );
        add(commit, SignalKind::SecretIntroduced, detail);
    }
    let Some(facts) = commit.changes.as_deref() else {
        return;
    };
    let counted = facts.counted_lines;
    let mut found: Vec<(SignalKind, String)> = Vec::new();
    if counted >= weights.large_change_lines {
        found.push((
            SignalKind::LargeChange,
            format!(
                "{counted} lines changed in {} file(s) (vendored and lock files not counted)",
                facts.counted_files
            ),
        ));
    }
    if counted >= weights.vague_large_change_lines && is_vague(&commit.subject) {
        found.push((
            SignalKind::VagueLargeChange,
            format!("a message that says nothing over {counted} changed lines: camouflage"),
        ));
    }
    if !facts.sensitive_files().is_empty() {
        found.push((
            SignalKind::SensitivePath,
            format!("touches sensitive paths: {}", list(facts.sensitive_files())),
        ));
    }
    if !facts.ignore_files_weakened().is_empty() {
        let names: Vec<String> = facts
            .ignore_files_weakened()
            .iter()
            .map(|(path, removed)| format!("{path} (-{removed})"))
            .collect();
        found.push((
            SignalKind::GitignoreWeakened,
            format!(
                "removes lines from {}: files it kept out can now be committed",
                list(&names)
            ),
        ));
    }
    if !facts.binaries_added().is_empty() {
        found.push((
            SignalKind::BinaryAdded,
            format!("adds binary file(s): {}", list(facts.binaries_added())),
        ));
    }
    for (kind, detail) in found {
        add(commit, kind, detail);
    }
}

/// At most three items, then how many more.
fn list<T: AsRef<str>>(items: &[T]) -> String {
    let mut text = items
        .iter()
        .take(3)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 3 {
        text.push_str(&format!(" and {} more", items.len() - 3));
    }
    text
}

fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vague_subjects() {
        for subject in ["feat", "refactor", "Update.", "fix: wip", "", "."] {
            assert!(is_vague(subject), "{subject:?}");
        }
        for subject in ["fix: reject empty tokens in the parser", "Add GPU pane"] {
            assert!(!is_vague(subject), "{subject:?}");
        }
    }

    use crate::timeline::{CommitEntry, CommitId};
    use std::sync::Arc;

    #[test]
    fn signal_names_are_the_json_names_and_tags_are_distinct() {
        let mut tags = std::collections::HashSet::new();
        for kind in SignalKind::ALL {
            let json = serde_json::to_value(kind).expect("encode");
            assert_eq!(json, kind.as_str(), "{kind:?}");
            let back: SignalKind = serde_json::from_value(json).expect("decode");
            assert_eq!(back, kind);
            assert!(tags.insert(kind.tag()), "tag {} used twice", kind.tag());
            assert!(!kind.meaning().is_empty());
        }
    }

    const DAY: i64 = 86_400;
    /// 2026-03-02 00:00 UTC.
    const START: i64 = 1_772_409_600;

    fn entry(n: u8, email: &str, time: i64, offset: i32) -> CommitEntry {
        let text: Arc<str> = Arc::from(email);
        CommitEntry {
            id: CommitId::parse(&format!("{n:02x}").repeat(20)).expect("id"),
            parents: Box::new([]),
            author: text.clone(),
            author_email: text.clone(),
            author_time: time,
            author_offset: offset,
            committer: text.clone(),
            committer_email: text,
            committer_time: time,
            committer_offset: offset,
            subject: "Describe the change properly".into(),
            signed: true,
            dangling: false,
            rewritten: None,
            changes: None,
            secrets: Vec::new(),
            score: 0.0,
            signals: Vec::new(),
        }
    }

    fn kinds(commit: &CommitEntry) -> Vec<&str> {
        commit.signals.iter().map(|s| s.kind.as_str()).collect()
    }

    /// Twenty signed commits by one person at 10:00 in UTC+01:00, one a day.
    fn routine() -> Vec<CommitEntry> {
        (0..20)
            .map(|day| {
                entry(
                    day as u8,
                    "alice@team.example",
                    START + day * DAY + 9 * 3600,
                    60,
                )
            })
            .collect()
    }

    #[test]
    fn a_routine_history_has_no_signal() {
        let mut commits = routine();
        apply(&mut commits, &Scoring::default());
        assert!(
            commits
                .iter()
                .all(|c| c.signals.is_empty() && c.score == 0.0)
        );
    }

    #[test]
    fn date_gap_new_time_zone_off_hours_and_unsigned() {
        let mut commits = routine();
        // Authored 10 days before it was committed (a rebase or a rewrite).
        commits[5].author_time -= 10 * DAY;
        // The same person, suddenly at UTC+08:00, at 03:00 local, unsigned.
        let odd = &mut commits[19];
        odd.author_offset = 480;
        odd.author_time = START + 19 * DAY + 19 * 3600; // 03:00 at UTC+08:00
        odd.committer_time = odd.author_time;
        odd.signed = false;
        apply(&mut commits, &Scoring::default());
        assert!(
            kinds(&commits[5]).contains(&"date-gap"),
            "{:?}",
            kinds(&commits[5])
        );
        let odd = kinds(&commits[19]);
        for kind in ["new-timezone", "off-hours", "unsigned"] {
            assert!(odd.contains(&kind), "{kind} missing: {odd:?}");
        }
        let scoring = Scoring::default();
        assert_eq!(
            commits[19].score,
            scoring.new_timezone + scoring.off_hours + scoring.unsigned_in_signed_history
        );
        // Weights come from the configuration: switched off, a signal adds nothing.
        let quiet = Scoring {
            off_hours: 0.0,
            ..Scoring::default()
        };
        apply(&mut commits, &quiet);
        assert_eq!(
            commits[19].score,
            quiet.new_timezone + quiet.unsigned_in_signed_history
        );
    }
}
