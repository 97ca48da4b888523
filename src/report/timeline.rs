//! `vigil scan timeline`: the commit timeline as a table or JSON. Commit text is
//! attacker-controlled: escaped in the table; JSON strings carry it exactly, with control,
//! bidi and invisible characters written as `\u` escapes (`util::json`).

use crate::timeline::{CommitEntry, CommitId, Timeline};
use crate::util::time::local_time;
use serde::Serialize;

#[derive(Serialize)]
struct CommitJson<'a> {
    id: &'a CommitId,
    parents: &'a [CommitId],
    author: &'a str,
    author_email: &'a str,
    author_time: String,
    committer: &'a str,
    committer_email: &'a str,
    committer_time: String,
    signed: bool,
    dangling: bool,
    score: f64,
    signals: &'a [crate::timeline::signals::Signal],
    subject: &'a str,
    /// `lines_added`, `lines_removed`, `files_changed`: absent without line counts
    /// (`--no-line-counts`); merges have none, like `git log --numstat`.
    #[serde(flatten)]
    changes: Option<&'a crate::timeline::changes::ChangeFacts>,
    sensitive_files: &'a [Box<str>],
    binaries_added: &'a [Box<str>],
    ignore_files_weakened: &'a [(Box<str>, u32)],
    secrets_introduced: &'a [crate::timeline::IntroducedSecret],
}

#[derive(Serialize)]
struct BurstJson<'a> {
    identity: &'a str,
    commits: &'a [CommitId],
    start: String,
    end: String,
}

#[derive(Serialize)]
struct TimelineJson<'a> {
    repo: &'a str,
    commits: CommitsJson<'a>,
    bursts: Vec<BurstJson<'a>>,
    safe_state: &'a Option<CommitId>,
    first_suspicious: &'a Option<CommitId>,
    notes: &'a [String],
    shallow: bool,
}

/// The commits, turned into their JSON shape one at a time as they are written: 100,000
/// commits are never held twice.
struct CommitsJson<'a>(&'a [CommitEntry]);

impl Serialize for CommitsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut sequence = serializer.serialize_seq(Some(self.0.len()))?;
        for commit in self.0 {
            sequence.serialize_element(&commit_json(commit))?;
        }
        sequence.end()
    }
}

fn commit_json(c: &CommitEntry) -> CommitJson<'_> {
    CommitJson {
        id: &c.id,
        parents: &c.parents,
        author: &c.author,
        author_email: &c.author_email,
        author_time: local_time(c.author_time, c.author_offset),
        committer: &c.committer,
        committer_email: &c.committer_email,
        committer_time: local_time(c.committer_time, c.committer_offset),
        signed: c.signed,
        dangling: c.dangling,
        score: c.score,
        signals: &c.signals,
        subject: &c.subject,
        changes: c.changes.as_deref(),
        sensitive_files: c.changes.as_deref().map_or(&[], |f| f.sensitive_files()),
        binaries_added: c.changes.as_deref().map_or(&[], |f| f.binaries_added()),
        ignore_files_weakened: c
            .changes
            .as_deref()
            .map_or(&[], |f| f.ignore_files_weakened()),
        secrets_introduced: &c.secrets,
    }
}

fn document(timeline: &Timeline) -> TimelineJson<'_> {
    TimelineJson {
        repo: &timeline.repo,
        commits: CommitsJson(&timeline.commits),
        bursts: timeline
            .bursts
            .iter()
            .map(|b| BurstJson {
                identity: &b.identity,
                commits: &b.commits,
                start: local_time(b.start, 0),
                end: local_time(b.end, 0),
            })
            .collect(),
        safe_state: &timeline.safe_state,
        first_suspicious: &timeline.first_suspicious,
        notes: &timeline.notes,
        shallow: timeline.shallow,
    }
}

/// One repository: one object. Several: an array of them, in the order given. Streamed, so a
/// history of 100,000 commits is not held twice in memory.
pub fn write_json(timelines: &[Timeline], writer: impl std::io::Write) -> std::io::Result<()> {
    let mut writer = std::io::BufWriter::new(writer);
    match timelines {
        [one] => crate::util::json::to_writer_pretty(&mut writer, &document(one))?,
        many => {
            let documents: Vec<TimelineJson> = many.iter().map(document).collect();
            crate::util::json::to_writer_pretty(&mut writer, &documents)?
        }
    }
    use std::io::Write;
    writer.write_all(b"\n")?;
    writer.flush()
}

pub fn json(timeline: &Timeline) -> String {
    crate::util::json::to_string_pretty(&document(timeline)).unwrap_or_else(|_| "{}".into())
}

pub fn table(timeline: &Timeline, scoring: &crate::timeline::signals::Scoring) -> String {
    use crate::util::text::escape;
    let mut out = format!("repository: {}\n", escape(&timeline.repo));
    out.push_str(&format!(
        "{:<12} {:<25} {:<20} {:>5} {:>7}  {:<40} SUBJECT\n",
        "COMMIT", "AUTHOR DATE", "AUTHOR", "SCORE", "LINES", "SIGNALS"
    ));
    for commit in &timeline.commits {
        let signals: Vec<&str> = commit.signals.iter().map(|s| s.kind.as_str()).collect();
        let lines = match &commit.changes {
            Some(changes) if changes.merge => "merge".to_string(),
            Some(changes) => (changes.lines_added + changes.lines_removed).to_string(),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "{:<12} {:<25} {:<20} {:>5.1} {:>7}  {:<40} {}\n",
            commit.id.short(12),
            local_time(commit.author_time, commit.author_offset),
            crate::util::text::truncate(&escape(&commit.author), 20),
            commit.score,
            lines,
            crate::util::text::truncate(&signals.join(","), 40),
            escape(&commit.subject)
        ));
    }
    out.push('\n');
    for burst in &timeline.bursts {
        out.push_str(&format!(
            "burst: {} commits by {} within {} s from {}\n",
            burst.commits.len(),
            escape(&burst.identity),
            burst.end - burst.start,
            local_time(burst.start, 0)
        ));
    }
    match (&timeline.first_suspicious, &timeline.safe_state) {
        (Some(first), Some(safe)) => {
            out.push_str(&format!(
                "first suspicious commit: {first}\nsafe state: {safe} (look at it, vigil runs none of these):\n"
            ));
            for command in timeline.safe_state_commands() {
                out.push_str(&format!("  {command}\n"));
            }
        }
        (Some(first), None) => out.push_str(&format!(
            "first suspicious commit: {first}\nsafe state: {}\n",
            if timeline.head_chain.is_empty() {
                "none: no default branch"
            } else {
                "none: the default branch has no commit before it"
            }
        )),
        _ => out.push_str("no suspicious commit\n"),
    }
    for note in &timeline.notes {
        out.push_str(&format!("note: {}\n", escape(note)));
    }
    out.push_str(&format!(
        "{} suspicious of {} commits; {}\n",
        timeline.suspicious(scoring.threshold).count(),
        timeline.commits.len(),
        scoring.explain()[0]
    ));
    out
}
