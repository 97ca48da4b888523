//! Suppression by fingerprint: `.vigil-ignore` at the top of the repository (or a file given
//! on the command line), one `FINGERPRINT reason...` per line. Suppressed findings are still
//! listed and counted, marked with the reason; nothing disappears silently.

use crate::util::read::{self, ReadError};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Default, Clone)]
pub struct IgnoreList {
    reasons: HashMap<String, String>,
    /// Lines that are not `FINGERPRINT reason`, reported rather than skipped quietly.
    pub problems: Vec<String>,
}

impl IgnoreList {
    pub fn parse(text: &str, origin: &str) -> IgnoreList {
        let mut list = IgnoreList::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (first, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let fingerprint = first.strip_prefix("sha256:").unwrap_or(first);
            if fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                let reason = rest.trim().trim_start_matches('#').trim();
                list.reasons.insert(
                    fingerprint.to_ascii_lowercase(),
                    if reason.is_empty() {
                        format!("listed in {origin}")
                    } else {
                        format!("{origin}: {reason}")
                    },
                );
            } else {
                list.problems.push(format!(
                    "{origin}:{}: expected a SHA-256 fingerprint and a reason",
                    index + 1
                ));
            }
        }
        list
    }

    /// Reads the list at `path` (a regular file of bounded size).
    pub fn load(path: &Path) -> Result<IgnoreList, ReadError> {
        let text = read::read_regular_text(path, read::limits::SETTINGS)?;
        Ok(IgnoreList::parse(&text, &path.display().to_string()))
    }

    /// Reads the repository's own `.vigil-ignore`. The repository is the suspect's: a link out
    /// of it or to a device is refused (and said), a missing file is an empty list.
    pub fn load_in_repository(root: &Path) -> Result<IgnoreList, ReadError> {
        let path = root.join(".vigil-ignore");
        match read::read_within(root, &path, read::limits::SETTINGS) {
            Ok(bytes) => Ok(IgnoreList::parse(
                &String::from_utf8_lossy(&bytes),
                &path.display().to_string(),
            )),
            Err(err) if err.is_not_found() => Ok(IgnoreList::default()),
            Err(err) => Err(err),
        }
    }

    pub fn reason(&self, fingerprint: &str) -> Option<String> {
        self.reasons.get(fingerprint).cloned()
    }

    pub fn extend(&mut self, other: IgnoreList) {
        self.reasons.extend(other.reasons);
        self.problems.extend(other.problems);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_with_reasons() {
        let fp = "a".repeat(64);
        let list = IgnoreList::parse(
            &format!("# accepted\n{fp} test fixture, not a real key\nnot-a-fingerprint\n"),
            ".vigil-ignore",
        );
        assert_eq!(
            list.reason(&fp).as_deref(),
            Some(".vigil-ignore: test fixture, not a real key")
        );
        assert_eq!(list.problems.len(), 1);
        assert!(list.problems[0].contains(":3:"));
    }
}
