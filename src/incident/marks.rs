//! The recovery checklist's marks: a finding, commit or container marked as reviewed, with a
//! one-line note ("rotated", "audited", "exposure accepted because …").
//!
//! Marks persist per host in vigil's state directory, never in the suspect repository: a JSON
//! lines file that is only appended to (fsynced), so a crash never loses earlier marks and the
//! file itself is a record of who marked what and when. The latest line for an item wins; a
//! line with `cleared` takes a mark back.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a mark is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkKind {
    /// A secret, by its SHA-256 fingerprint: marked when rotated.
    Secret,
    /// A commit, by its full id: marked when audited.
    Commit,
    /// A container, by its name (a rebind recreates it under the same name): marked when
    /// isolated or its exposure accepted.
    Container,
}

impl MarkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkKind::Secret => "secret",
            MarkKind::Commit => "commit",
            MarkKind::Container => "container",
        }
    }
}

/// One line of the marks file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub kind: MarkKind,
    pub key: String,
    /// One line; control characters are replaced before it is stored.
    pub note: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleared: bool,
}

/// The marks of this host, as the file says now.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    path: Option<PathBuf>,
    current: HashMap<(MarkKind, String), Mark>,
    /// Lines that could not be read (a torn last line after a crash); kept out, said once.
    pub unreadable_lines: usize,
}

/// Notes are one line of at most this many characters.
pub const NOTE_MAX: usize = 200;

impl Marks {
    /// `$XDG_STATE_HOME/vigil/marks/<host>.jsonl`.
    pub fn default_path() -> Option<PathBuf> {
        let host = crate::util::host::host_file_name();
        crate::util::paths::state_dir().map(|dir| dir.join("marks").join(format!("{host}.jsonl")))
    }

    /// Reads the file; a missing file is an empty checklist.
    pub fn load(path: &Path) -> Result<Marks, String> {
        let mut marks = Marks {
            path: Some(path.to_path_buf()),
            ..Marks::default()
        };
        use crate::util::read::{limits, read_regular_text};
        let text = match read_regular_text(path, limits::STATE) {
            Ok(text) => text,
            Err(err) if err.is_not_found() => return Ok(marks),
            Err(err) => return Err(format!("cannot read marks: {err}")),
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Mark>(line) {
                Ok(mark) => marks.remember(mark),
                Err(_) => marks.unreadable_lines += 1,
            }
        }
        Ok(marks)
    }

    /// Takes a mark written to the file into the current state.
    pub fn remember(&mut self, mark: Mark) {
        let key = (mark.kind, mark.key.clone());
        if mark.cleared {
            self.current.remove(&key);
        } else {
            self.current.insert(key, mark);
        }
    }

    /// The file these marks are kept in, if there is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn get(&self, kind: MarkKind, key: &str) -> Option<&Mark> {
        self.current.get(&(kind, key.to_string()))
    }

    pub fn is_marked(&self, kind: MarkKind, key: &str) -> bool {
        self.get(kind, key).is_some()
    }

    /// Every current mark, oldest first.
    pub fn all(&self) -> Vec<&Mark> {
        let mut all: Vec<&Mark> = self.current.values().collect();
        all.sort_by(|a, b| a.at.cmp(&b.at).then(a.key.cmp(&b.key)));
        all
    }

    /// Marks an item (or, with `cleared`, takes its mark back) and appends the line to the file,
    /// fsynced before this returns.
    pub fn record(
        &mut self,
        kind: MarkKind,
        key: &str,
        note: &str,
        user: &str,
        cleared: bool,
    ) -> Result<Mark, String> {
        let mark = Mark::new(kind, key, note, user, cleared);
        append(self.path.as_deref(), &mark)?;
        self.remember(mark.clone());
        Ok(mark)
    }
}

impl Mark {
    /// A mark made now by `user`; the note is cut to one printable line.
    pub fn new(kind: MarkKind, key: &str, note: &str, user: &str, cleared: bool) -> Mark {
        Mark {
            kind,
            key: key.to_string(),
            note: crate::util::text::one_line(note, NOTE_MAX),
            at: jiff::Timestamp::now().to_string(),
            user: user.to_string(),
            cleared,
        }
    }
}

/// Appends a mark to the marks file at `path`, fsynced before this returns.
pub fn append(path: Option<&Path>, mark: &Mark) -> Result<(), String> {
    let path = path.ok_or("no state directory for marks (set XDG_STATE_HOME or HOME)")?;
    append_line(path, mark)
}

fn append_line(path: &Path, mark: &Mark) -> Result<(), String> {
    let line = crate::util::json::to_string(mark).map_err(|err| err.to_string())?;
    crate::util::fs::append_line_synced(path, &line)
        .map_err(|err| format!("cannot write marks: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_persist_the_latest_wins_and_clearing_takes_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("marks/host.jsonl");
        let mut marks = Marks::load(&path).expect("empty");
        assert!(marks.all().is_empty());
        marks
            .record(
                MarkKind::Secret,
                "ab12",
                "rotated in HF settings",
                "alice",
                false,
            )
            .expect("record");
        marks
            .record(
                MarkKind::Commit,
                "c0ffee",
                "audited\nwith\u{1b}[2J",
                "alice",
                false,
            )
            .expect("record");
        marks
            .record(MarkKind::Secret, "ab12", "rotated again", "bob", false)
            .expect("record");
        marks
            .record(MarkKind::Commit, "c0ffee", "", "bob", true)
            .expect("clear");

        let again = Marks::load(&path).expect("reload");
        assert_eq!(again.all().len(), 1);
        let secret = again.get(MarkKind::Secret, "ab12").expect("secret mark");
        assert_eq!(secret.note, "rotated again");
        assert_eq!(secret.user, "bob");
        assert!(!again.is_marked(MarkKind::Commit, "c0ffee"));
        assert!(
            !again.is_marked(MarkKind::Container, "ab12"),
            "kinds are separate"
        );
        // Every line stays in the file: it is the record of who marked what.
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 4);
        assert!(
            text.contains("audited with [2J"),
            "one line, no control characters: {text}"
        );
    }

    #[test]
    fn a_torn_last_line_is_counted_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.jsonl");
        let mut marks = Marks::load(&path).expect("empty");
        marks
            .record(MarkKind::Container, "sdnext", "isolated", "alice", false)
            .expect("record");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut file, b"{\"kind\":\"secret\",\"ke").expect("torn");
        let again = Marks::load(&path).expect("reload");
        assert_eq!(again.unreadable_lines, 1);
        assert!(again.is_marked(MarkKind::Container, "sdnext"));
    }
}
