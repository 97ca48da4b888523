//! The one parser of raw git tree objects, for the readers that walk millions of trees and
//! cannot afford libgit2's per-entry allocations (the history secret scan, the line counts).
//!
//! A tree object is a sequence of `<octal mode> <name>\0<20-byte id>` entries.

use git2::Oid;
use std::ops::Range;

/// `040000`: a subtree.
pub const MODE_TREE: u32 = 0o040000;
/// `160000`: a submodule's commit, which is not in this repository.
pub const MODE_GITLINK: u32 = 0o160000;

/// True when `mode` names a subtree.
pub fn is_tree(mode: u32) -> bool {
    mode & 0o170000 == MODE_TREE
}

/// One entry of a raw tree, as positions in the tree's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySpan {
    pub mode: u32,
    pub name: Range<usize>,
    /// Where the 20-byte id starts.
    pub id_start: usize,
}

/// The entries of a raw tree object, in stored order. A truncated or malformed tail ends the
/// iteration (a damaged object yields what can be read of it).
pub fn entry_spans(bytes: &[u8]) -> impl Iterator<Item = EntrySpan> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let space = memchr::memchr(b' ', bytes.get(at..)?)?;
        let mode = bytes[at..at + space]
            .iter()
            .fold(0u32, |m, d| (m << 3) | u32::from(d.wrapping_sub(b'0') & 7));
        let name_start = at + space + 1;
        let nul = memchr::memchr(0, bytes.get(name_start..)?)?;
        let id_start = name_start + nul + 1;
        if id_start + 20 > bytes.len() {
            return None;
        }
        at = id_start + 20;
        Some(EntrySpan {
            mode,
            name: name_start..name_start + nul,
            id_start,
        })
    })
}

/// The entries of a raw tree object as (mode, name, id).
pub fn entries(bytes: &[u8]) -> impl Iterator<Item = (u32, &[u8], Oid)> + '_ {
    entry_spans(bytes).filter_map(move |span| {
        let id = Oid::from_bytes(&bytes[span.id_start..span.id_start + 20]).ok()?;
        Some((span.mode, &bytes[span.name], id))
    })
}

/// A tree object parsed once: its bytes and the position of each entry, for readers that
/// look at the same tree many times.
pub struct RawTree {
    bytes: Vec<u8>,
    entries: Vec<EntrySpan>,
}

impl RawTree {
    pub fn parse(bytes: Vec<u8>) -> RawTree {
        let entries = entry_spans(&bytes).collect();
        RawTree { bytes, entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn name(&self, entry: usize) -> &[u8] {
        &self.bytes[self.entries[entry].name.clone()]
    }

    pub fn id(&self, entry: usize) -> &[u8] {
        let start = self.entries[entry].id_start;
        &self.bytes[start..start + 20]
    }

    pub fn mode(&self, entry: usize) -> u32 {
        self.entries[entry].mode
    }
}

/// Git's tree order: names compared as bytes, a directory as if its name ended in `/`.
pub fn tree_order(a: &[u8], a_mode: u32, b: &[u8], b_mode: u32) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let next = |name: &[u8], mode: u32| -> u8 {
        match name.get(common) {
            Some(byte) => *byte,
            None if is_tree(mode) => b'/',
            None => 0,
        }
    };
    next(a, a_mode).cmp(&next(b, b_mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, [u8; 20]) {
        let id = [7u8; 20];
        let mut data = b"100644 .env\0".to_vec();
        data.extend_from_slice(&id);
        data.extend_from_slice(b"40000 src\0");
        data.extend_from_slice(&id);
        (data, id)
    }

    #[test]
    fn raw_tree_entries_parse() {
        let (data, id) = sample();
        let found: Vec<_> = entries(&data).collect();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 0o100644);
        assert_eq!(found[0].1, b".env");
        assert!(is_tree(found[1].0));
        assert_eq!(found[1].2, Oid::from_bytes(&id).expect("oid"));
        let tree = RawTree::parse(data);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree.name(1), b"src");
        assert_eq!(tree.id(0), &id);
    }

    #[test]
    fn a_truncated_tree_yields_what_is_whole() {
        let (mut data, _) = sample();
        data.truncate(data.len() - 5);
        assert_eq!(entries(&data).count(), 1);
        assert_eq!(entries(b"100644 x").count(), 0);
    }

    #[test]
    fn directories_sort_as_if_ending_in_a_slash() {
        use std::cmp::Ordering;
        // `a-b` (file) sorts before `a/` (directory `a`), but `a` (file) sorts before `a-b`.
        assert_eq!(
            tree_order(b"a", MODE_TREE, b"a-b", 0o100644),
            Ordering::Greater
        );
        assert_eq!(tree_order(b"a", 0o100644, b"a-b", 0o100644), Ordering::Less);
    }
}
