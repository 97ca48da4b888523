//! A commit id in 20 bytes instead of a 40-character string (and another allocation): the
//! timeline holds one per commit and one per parent, 100,000 commits and more.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CommitId([u8; 20]);

impl CommitId {
    pub fn from_oid(oid: git2::Oid) -> CommitId {
        let mut bytes = [0; 20];
        let raw = oid.as_bytes();
        let length = raw.len().min(20);
        bytes[..length].copy_from_slice(&raw[..length]);
        CommitId(bytes)
    }

    pub fn parse(text: &str) -> Option<CommitId> {
        git2::Oid::from_str(text)
            .ok()
            .filter(|_| text.len() == 40)
            .map(CommitId::from_oid)
    }

    pub fn oid(self) -> git2::Oid {
        git2::Oid::from_bytes(&self.0).unwrap_or(git2::Oid::ZERO_SHA1)
    }

    /// The first `length` hex digits.
    pub fn short(self, length: usize) -> String {
        let mut text = self.to_string();
        text.truncate(length);
        text
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl serde::Serialize for CommitId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl PartialEq<str> for CommitId {
    fn eq(&self, other: &str) -> bool {
        CommitId::parse(other).is_some_and(|id| id == *self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "0123456789abcdef0123456789abcdef01234567";
        let id = CommitId::parse(text).expect("parses");
        assert_eq!(id.to_string(), text);
        assert_eq!(id.short(10), "0123456789");
        assert!(id == *text);
        assert_eq!(CommitId::parse("0123"), None);
        assert_eq!(
            serde_json::to_string(&id).expect("json"),
            format!("\"{text}\"")
        );
    }
}
