//! The costly part of the timeline: which files each commit changed and by how many lines,
//! the same numbers `git log --numstat` gives (a commit against its first parent; merges are
//! left out, as git does). Trees are compared by their raw entries, descending only where ids
//! differ, and changed files are diffed line by line with Myers' algorithm (imara-diff), which
//! is what git does; libgit2's generic diff was 2.5 times slower here. Work is spread over threads, each with its own read-only handle on
//! the repository, and results stream back in batches so the pane can use them as they come.

use super::CommitId;
use crate::git::tree::{MODE_GITLINK, RawTree, is_tree, tree_order};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// One file a commit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// `A` added, `M` modified, `D` deleted, `T` type changed.
    pub status: char,
    pub added: u32,
    pub removed: u32,
    pub binary: bool,
}

/// What a commit changed. A merge has no files (like `git log --numstat`); a commit whose
/// parent is missing (a shallow clone) says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChangeSummary {
    pub files: Vec<FileChange>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merge: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// What the timeline keeps of a commit's change: the totals and only the paths that matter
/// (sensitive ones, binaries added, weakened ignore files). The full file list stays in the
/// cache and is read again for the details: 100,000 commits fit in little memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ChangeFacts {
    pub lines_added: u64,
    pub lines_removed: u64,
    pub files_changed: u32,
    /// Changed lines that count towards the size: vendored, lock and binary files left out.
    #[serde(skip)]
    pub counted_lines: u64,
    #[serde(skip)]
    pub counted_files: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub merge: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<Box<str>>,
    /// Only for the few commits that touch such paths (written by the report on its own).
    #[serde(skip)]
    pub paths: Option<Box<PathFacts>>,
}

/// The paths of a change that make signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PathFacts {
    pub sensitive_files: Vec<Box<str>>,
    pub binaries_added: Vec<Box<str>>,
    /// Ignore files that lost lines, with how many.
    pub ignore_files_weakened: Vec<(Box<str>, u32)>,
}

impl ChangeFacts {
    pub fn sensitive_files(&self) -> &[Box<str>] {
        self.paths.as_ref().map_or(&[], |p| &p.sensitive_files)
    }

    pub fn binaries_added(&self) -> &[Box<str>] {
        self.paths.as_ref().map_or(&[], |p| &p.binaries_added)
    }

    pub fn ignore_files_weakened(&self) -> &[(Box<str>, u32)] {
        self.paths
            .as_ref()
            .map_or(&[], |p| &p.ignore_files_weakened)
    }
}

impl ChangeFacts {
    pub fn of(summary: &ChangeSummary, rules: &super::paths::PathRules) -> ChangeFacts {
        use super::paths::PathRules;
        let mut facts = ChangeFacts {
            lines_added: summary.lines_added(),
            lines_removed: summary.lines_removed(),
            files_changed: summary.files.len() as u32,
            merge: summary.merge,
            unavailable: summary.unavailable.as_deref().map(Into::into),
            ..Default::default()
        };
        let mut paths = PathFacts::default();
        for file in &summary.files {
            if rules.sensitive_because(&file.path).is_some() {
                paths.sensitive_files.push(file.path.as_str().into());
            }
            if PathRules::is_ignore_file(&file.path) && file.removed > 0 {
                paths
                    .ignore_files_weakened
                    .push((file.path.as_str().into(), file.removed));
            }
            if file.binary && file.status == 'A' && !rules.is_ordinary_binary(&file.path) {
                paths.binaries_added.push(file.path.as_str().into());
            }
            if !file.binary && !rules.is_size_excluded(&file.path) {
                facts.counted_lines += file.added as u64 + file.removed as u64;
                facts.counted_files += 1;
            }
        }
        if paths != PathFacts::default() {
            facts.paths = Some(Box::new(paths));
        }
        facts
    }
}

impl ChangeSummary {
    pub fn lines_added(&self) -> u64 {
        self.files.iter().map(|f| f.added as u64).sum()
    }

    pub fn lines_removed(&self) -> u64 {
        self.files.iter().map(|f| f.removed as u64).sum()
    }
}

/// Progress of the line-count pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountProgress {
    pub done: usize,
    pub total: usize,
}

/// Commits per unit of work handed to a thread.
const CHUNK: usize = 32;
/// Results are sent back in batches of about this many commits.
const BATCH: usize = 256;

/// Counts the changes of `ids` in the repository at `path`, on `threads` threads. `batch` is
/// called on the caller's thread with each batch of results as they arrive; cancelling stops
/// the workers after their current commit.
pub fn count(
    path: &Path,
    ids: &[CommitId],
    threads: usize,
    cancel: &AtomicBool,
    mut batch: impl FnMut(Vec<(CommitId, ChangeSummary)>),
) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    let threads = threads.clamp(1, 64).min(ids.len().div_ceil(CHUNK));
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<Vec<(CommitId, ChangeSummary)>>();
    let mut first_error: Option<String> = None;
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..threads {
            let sender = sender.clone();
            let next = &next;
            handles.push(scope.spawn(move || -> Result<(), String> {
                let repo = crate::git::open(path).map_err(|e| e.to_string())?;
                let mut reader = Reader {
                    odb: repo.odb().map_err(|e| e.message().to_string())?,
                    trees: HashMap::new(),
                    order: Default::default(),
                };
                let mut out = Vec::with_capacity(BATCH);
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= ids.len() || cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    for id in &ids[start..(start + CHUNK).min(ids.len())] {
                        out.push((*id, count_one(&repo, &mut reader, *id)));
                    }
                    if out.len() >= BATCH {
                        let _ = sender.send(std::mem::take(&mut out));
                    }
                }
                if !out.is_empty() {
                    let _ = sender.send(out);
                }
                Ok(())
            }));
        }
        drop(sender);
        for results in receiver {
            batch(results);
        }
        for handle in handles {
            if let Ok(Err(message)) = handle.join() {
                first_error.get_or_insert(message);
            }
        }
    });
    match first_error {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

/// Reads objects for one worker. Trees are kept for a while: a commit's tree is its child's
/// parent tree, and neighbours in the list are often parent and child.
struct Reader<'r> {
    odb: git2::Odb<'r>,
    trees: HashMap<Oid, std::rc::Rc<RawTree>>,
    order: std::collections::VecDeque<Oid>,
}

/// Blobs larger than this count as binary, as git counts those over `core.bigFileThreshold`: a
/// repository can hold a blob that compresses to kilobytes and inflates to gigabytes.
const BIG_BLOB: u64 = 32 * 1024 * 1024;

/// How many parsed trees a worker keeps.
const TREE_CACHE: usize = 64;

impl<'r> Reader<'r> {
    fn tree(&mut self, oid: Oid) -> Result<std::rc::Rc<RawTree>, git2::Error> {
        if let Some(tree) = self.trees.get(&oid) {
            return Ok(tree.clone());
        }
        let object = self.odb.read(oid)?;
        let tree = std::rc::Rc::new(RawTree::parse(object.data().to_vec()));
        if self.order.len() >= TREE_CACHE
            && let Some(old) = self.order.pop_front()
        {
            self.trees.remove(&old);
        }
        self.order.push_back(oid);
        self.trees.insert(oid, tree.clone());
        Ok(tree)
    }

    /// A blob's bytes, or `None` when it is larger than [`BIG_BLOB`]: its size is read from the
    /// object header first, so a small packed object that inflates to gigabytes is never inflated.
    fn blob(&self, oid: Oid) -> Result<Option<git2::OdbObject<'_>>, git2::Error> {
        let (size, _) = self.odb.read_header(oid)?;
        if size as u64 > BIG_BLOB {
            return Ok(None);
        }
        self.odb.read(oid).map(Some)
    }
}

/// A blob that changed: (mode, id) before and after.
type BlobSide = Option<(u32, Oid)>;

/// Walks two trees in step, descending only into subtrees whose ids differ (as git does).
fn diff_trees(
    reader: &mut Reader,
    old: Option<Oid>,
    new: Option<Oid>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<(Vec<u8>, BlobSide, BlobSide)>,
) -> Result<(), git2::Error> {
    let old_tree = old.map(|id| reader.tree(id)).transpose()?;
    let new_tree = new.map(|id| reader.tree(id)).transpose()?;
    let (old_count, new_count) = (
        old_tree.as_ref().map_or(0, |t| t.len()),
        new_tree.as_ref().map_or(0, |t| t.len()),
    );
    let (mut i, mut j) = (0, 0);
    while i < old_count || j < new_count {
        let ordering = match (&old_tree, &new_tree) {
            (Some(o), Some(n)) if i < old_count && j < new_count => {
                tree_order(o.name(i), o.mode(i), n.name(j), n.mode(j))
            }
            _ if i < old_count => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (old_entry, new_entry) = match ordering {
            std::cmp::Ordering::Less => ((Some(i)), None),
            std::cmp::Ordering::Greater => (None, Some(j)),
            std::cmp::Ordering::Equal => (Some(i), Some(j)),
        };
        let side = |tree: &Option<std::rc::Rc<RawTree>>, entry: Option<usize>| {
            entry.and_then(|e| {
                let tree = tree.as_ref()?;
                Some((tree.mode(e), Oid::from_bytes(tree.id(e)).ok()?))
            })
        };
        let before = side(&old_tree, old_entry);
        let after = side(&new_tree, new_entry);
        let name = match (old_entry, new_entry) {
            (_, Some(e)) => new_tree.as_ref().map(|t| t.name(e).to_vec()),
            (Some(e), None) => old_tree.as_ref().map(|t| t.name(e).to_vec()),
            (None, None) => None,
        }
        .unwrap_or_default();
        i += usize::from(old_entry.is_some());
        j += usize::from(new_entry.is_some());
        if before == after {
            continue;
        }
        let length = prefix.len();
        prefix.extend_from_slice(&name);
        let old_is_tree = before.is_some_and(|(mode, _)| is_tree(mode));
        let new_is_tree = after.is_some_and(|(mode, _)| is_tree(mode));
        if old_is_tree || new_is_tree {
            prefix.push(b'/');
            diff_trees(
                reader,
                before.filter(|_| old_is_tree).map(|(_, id)| id),
                after.filter(|_| new_is_tree).map(|(_, id)| id),
                prefix,
                out,
            )?;
            prefix.pop();
        }
        let blob_before = before.filter(|_| !old_is_tree);
        let blob_after = after.filter(|_| !new_is_tree);
        if blob_before.is_some() || blob_after.is_some() {
            out.push((prefix.clone(), blob_before, blob_after));
        }
        prefix.truncate(length);
    }
    Ok(())
}

/// Git's rule: a NUL byte in the first 8,000 bytes makes content binary.
fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}

fn count_lines(data: &[u8]) -> u32 {
    let newlines = memchr::memchr_iter(b'\n', data).count();
    (newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))) as u32
}

/// One changed path: lines added and removed (Myers, lines with their terminators, as git),
/// or binary.
fn count_file(reader: &Reader, before: BlobSide, after: BlobSide) -> (u32, u32, bool) {
    let mut too_big = false;
    let mut read = |side: BlobSide| -> Option<git2::OdbObject> {
        match side {
            Some((mode, id)) if mode != MODE_GITLINK => match reader.blob(id) {
                Ok(Some(object)) => Some(object),
                Ok(None) => {
                    too_big = true;
                    None
                }
                Err(_) => None,
            },
            _ => None,
        }
    };
    let (old, new) = (read(before), read(after));
    if too_big {
        return (0, 0, true);
    }
    let old_data = old.as_ref().map_or(&[][..], |o| o.data());
    let new_data = new.as_ref().map_or(&[][..], |o| o.data());
    if looks_binary(old_data) || looks_binary(new_data) {
        return (0, 0, true);
    }
    if old_data.is_empty() {
        return (count_lines(new_data), 0, false);
    }
    if new_data.is_empty() {
        return (0, count_lines(old_data), false);
    }
    use imara_diff::intern::InternedInput;
    use imara_diff::sources::byte_lines_with_terminator;
    let input = InternedInput::new(
        byte_lines_with_terminator(old_data),
        byte_lines_with_terminator(new_data),
    );
    let counter = imara_diff::diff(
        imara_diff::Algorithm::Myers,
        &input,
        imara_diff::sink::Counter::default(),
    );
    (counter.insertions, counter.removals, false)
}

/// One commit against its first parent (or the empty tree for a root commit).
fn count_one(repo: &Repository, reader: &mut Reader, id: CommitId) -> ChangeSummary {
    let unavailable = |why: String| ChangeSummary {
        unavailable: Some(why),
        ..Default::default()
    };
    let oid = id.oid();
    let commit = match repo.find_commit(oid) {
        Ok(commit) => commit,
        Err(err) => return unavailable(format!("unreadable: {}", err.message())),
    };
    if commit.parent_count() > 1 {
        return ChangeSummary {
            merge: true,
            ..Default::default()
        };
    }
    let parent_tree = if commit.parent_count() == 1 {
        match commit.parent(0) {
            Ok(parent) => Some(parent.tree_id()),
            Err(_) => {
                return unavailable(
                    "parent not in the repository (shallow clone or damaged object)".into(),
                );
            }
        }
    } else {
        None
    };
    let mut changed = Vec::new();
    if let Err(err) = diff_trees(
        reader,
        parent_tree,
        Some(commit.tree_id()),
        &mut Vec::new(),
        &mut changed,
    ) {
        return unavailable(format!("tree unreadable: {}", err.message()));
    }
    let files = changed
        .into_iter()
        .map(|(path, before, after)| {
            let (added, removed, binary) = count_file(reader, before, after);
            let status = match (before, after) {
                (None, _) => 'A',
                (_, None) => 'D',
                (Some((old_mode, _)), Some((new_mode, _)))
                    if old_mode & 0o170000 != new_mode & 0o170000 =>
                {
                    'T'
                }
                _ => 'M',
            };
            FileChange {
                path: String::from_utf8_lossy(&path).into_owned(),
                status,
                added,
                removed,
                binary,
            }
        })
        .collect();
    ChangeSummary {
        files,
        ..Default::default()
    }
}

/// One commit's files and line counts (for its details), from an open repository.
pub fn count_commit(repo: &Repository, id: CommitId) -> Result<ChangeSummary, String> {
    let mut reader = Reader {
        odb: repo.odb().map_err(|e| e.message().to_string())?,
        trees: HashMap::new(),
        order: Default::default(),
    };
    Ok(count_one(repo, &mut reader, id))
}

/// The line-count pass of one repository: cached counts first, then the missing ones counted
/// on `threads` threads. `each` gets every batch as it comes, with the progress so far. The
/// cache is written again (as a stream) when anything had to be counted.
pub fn count_with_cache(
    path: &Path,
    ids: &[CommitId],
    threads: usize,
    use_cache: bool,
    cancel: &AtomicBool,
    mut each: impl FnMut(Vec<(CommitId, ChangeSummary)>, CountProgress),
) -> Result<(), String> {
    let mut remaining: std::collections::HashSet<CommitId> = ids.iter().copied().collect();
    let mut progress = CountProgress {
        total: ids.len(),
        ..Default::default()
    };
    if use_cache {
        let mut batch = Vec::with_capacity(BATCH);
        super::cache::load_each(path, |id, summary| {
            if !remaining.remove(&id) {
                return; // another history's commit, or listed twice
            }
            batch.push((id, summary));
            if batch.len() >= BATCH {
                progress.done += batch.len();
                each(std::mem::take(&mut batch), progress);
            }
        });
        progress.done += batch.len();
        each(batch, progress);
    }
    let missing: Vec<CommitId> = ids
        .iter()
        .filter(|id| remaining.contains(id))
        .copied()
        .collect();
    drop(remaining);
    // Something to count: a new cache file, the old entries first (copied as they are).
    let mut writer = if use_cache && !missing.is_empty() {
        match super::cache::CacheWriter::create(path) {
            Ok(mut writer) => {
                writer.copy_old(path);
                Some(writer)
            }
            Err(message) => {
                tracing::warn!(%message, "line counts will not be cached");
                None
            }
        }
    } else {
        None
    };
    let result = count(path, &missing, threads, cancel, |batch| {
        if let Some(writer) = &mut writer {
            for (id, summary) in &batch {
                writer.add(id, summary);
            }
        }
        progress.done += batch.len();
        each(batch, progress);
    });
    if let Some(writer) = writer {
        if !missing.is_empty() && result.is_ok() && !cancel.load(Ordering::Relaxed) {
            if let Err(message) = writer.finish() {
                tracing::warn!(%message, "line counts not cached");
            }
        } else {
            writer.abandon();
        }
    }
    result
}
