//! The incident's known-compromised list: one entry per line, `sha256:<hex>` or a raw value.
//! Raw values are hashed as they are read and dropped; only fingerprints are kept.

use std::collections::HashSet;

#[derive(Debug, Default, Clone)]
pub struct CompromisedList {
    fingerprints: HashSet<String>,
}

impl CompromisedList {
    /// Reads the list. Blank lines and `#` comments are skipped.
    pub fn load(path: &std::path::Path) -> Result<CompromisedList, String> {
        use crate::util::read::{limits, read_regular_text};
        let text =
            read_regular_text(path, limits::SETTINGS).map_err(|err| format!("IOC file {err}"))?;
        Ok(CompromisedList::parse(&text))
    }

    pub fn parse(text: &str) -> CompromisedList {
        let fingerprints = text
            .lines()
            .map(|line| line.trim_end_matches('\r'))
            .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
            .map(|line| {
                let trimmed = line.trim();
                match trimmed.strip_prefix("sha256:") {
                    Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                        hex.to_ascii_lowercase()
                    }
                    // A raw value: exactly as written (surrounding spaces are not part of it).
                    _ => super::detect::fingerprint(trimmed.as_bytes()),
                }
            })
            .collect();
        CompromisedList { fingerprints }
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::detect::fingerprint;
    use crate::util::fixtures::random_token;

    #[test]
    fn raw_values_and_fingerprints_both_match() {
        let raw = random_token("", 32);
        let other = random_token("hf_", 34);
        let text = format!(
            "# revoked 2026-11\n{raw}\n\nsha256:{}\n",
            fingerprint(other.as_bytes()).to_uppercase()
        );
        let list = CompromisedList::parse(&text);
        assert_eq!(list.len(), 2);
        assert!(list.contains(&fingerprint(raw.as_bytes())));
        assert!(list.contains(&fingerprint(other.as_bytes())));
        assert!(
            !format!("{list:?}").contains(&raw),
            "raw values are not kept"
        );
    }
}
