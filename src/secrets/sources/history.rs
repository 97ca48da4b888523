//! The whole git history, read as the object database holds it.
//!
//! Pass 1 enumerates every object (packed and loose, reachable or not: deleted branches,
//! dangling commits and blobs are all there), reads each once on `threads` workers, each with
//! its own repository handle, and scans each blob once. Missing or corrupt objects are
//! counted, not fatal. Nothing is written into the repository.
//!
//! Pass 2 runs only for blobs with findings (and committed `.env` files): it walks every
//! commit's tree (each distinct tree read once, memoised) to learn at which paths those blobs
//! appear, in which commits, the earliest of them, which refs reach them and whether HEAD still
//! has them.

use super::super::detect::{Detection, Detector, TextKind, looks_binary};
use super::{Limits, Tally};
use git2::{ObjectType, Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Live progress of pass 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryProgress {
    pub objects_done: u64,
    pub objects_total: u64,
    pub bytes_done: u64,
}

/// Where a blob with findings appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appearance {
    pub path: String,
    /// Earliest commit (committer time) with this blob at this path.
    pub first_commit: String,
    pub commits: usize,
    pub refs: Vec<String>,
    pub in_head: bool,
}

/// A blob with detections and everywhere it appears (empty: a dangling blob).
pub struct BlobFindings {
    pub blob: Oid,
    pub detections: Vec<Detection>,
    pub appearances: Vec<Appearance>,
}

/// A committed `.env`-style file at some path in history.
pub struct EnvFile {
    pub appearance: Appearance,
}

pub struct HistoryResult {
    pub blobs: Vec<BlobFindings>,
    pub env_files: Vec<EnvFile>,
}

/// `.env`, `.env.production`, `prod.env`, `.envrc`; not `.env.example` and friends.
pub fn is_env_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if [
        ".example",
        ".sample",
        ".template",
        ".dist",
        ".defaults",
        ".tmpl",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix))
    {
        return false;
    }
    lower == ".env" || lower == ".envrc" || lower.starts_with(".env.") || lower.ends_with(".env")
}

/// The objects in the order they are stored in the packs (pack by pack, by offset), then the
/// rest (loose objects, alternates) in id order. In pack order a delta's base comes just before
/// it, so reading in this order hits libgit2's delta base cache instead of re-inflating chains.
/// The `.idx` files are only read.
fn pack_order(git_dir: &Path, all: &[Oid]) -> Vec<Oid> {
    let mut packed: Vec<(usize, u64, Oid)> = Vec::new();
    let pack_dir = git_dir.join("objects").join("pack");
    let mut indexes: Vec<std::path::PathBuf> = std::fs::read_dir(&pack_dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .collect()
        })
        .unwrap_or_default();
    indexes.sort();
    for (pack, path) in indexes.iter().enumerate() {
        // A pack index is about 30 bytes an object: 1 GiB covers 30 million objects.
        if let Ok(data) = crate::util::read::read_regular(path, 1024 * 1024 * 1024) {
            for (offset, oid) in parse_pack_index(&data) {
                packed.push((pack, offset, oid));
            }
        }
    }
    packed.sort_unstable_by_key(|(pack, offset, _)| (*pack, *offset));
    // `all` is sorted: membership by binary search and a bitmap, no hash sets (a big history
    // has millions of objects).
    let mut taken = vec![false; all.len()];
    let mut order: Vec<Oid> = Vec::with_capacity(all.len());
    for (_, _, oid) in packed {
        if let Ok(index) = all.binary_search(&oid)
            && !taken[index]
        {
            taken[index] = true;
            order.push(oid);
        }
    }
    order.extend(
        all.iter()
            .zip(&taken)
            .filter(|(_, taken)| !**taken)
            .map(|(oid, _)| *oid),
    );
    order
}

/// (offset, id) of every object in a pack index, version 1 or 2. A damaged index gives what
/// could be read; the objects are still found through the object database.
fn parse_pack_index(data: &[u8]) -> Vec<(u64, Oid)> {
    let be32 = |at: usize| -> Option<u32> {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut out = Vec::new();
    if data.starts_with(b"\xfftOc") && be32(4) == Some(2) {
        let Some(count) = be32(8 + 255 * 4).map(|n| n as usize) else {
            return out;
        };
        let ids = 8 + 256 * 4;
        let offsets = ids + count * 20 + count * 4;
        let large = offsets + count * 4;
        for i in 0..count {
            let (Some(id), Some(small)) = (
                data.get(ids + i * 20..ids + i * 20 + 20),
                be32(offsets + i * 4),
            ) else {
                break;
            };
            let offset = if small & 0x8000_0000 != 0 {
                let at = large + (small & 0x7fff_ffff) as usize * 8;
                match data.get(at..at + 8) {
                    Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                    None => continue,
                }
            } else {
                small as u64
            };
            if let Ok(oid) = Oid::from_bytes(id) {
                out.push((offset, oid));
            }
        }
    } else if let Some(count) = be32(255 * 4).map(|n| n as usize) {
        // Version 1: the fan-out table, then (4-byte offset, 20-byte id) entries.
        let entries = 256 * 4;
        for i in 0..count {
            let at = entries + i * 24;
            let (Some(offset), Some(id)) = (be32(at), data.get(at + 4..at + 24)) else {
                break;
            };
            if let Ok(oid) = Oid::from_bytes(id) {
                out.push((offset as u64, oid));
            }
        }
    }
    out
}

struct PassOne {
    hits: Vec<(Oid, Vec<Detection>)>,
    commits: Vec<Oid>,
    env_blobs: HashSet<Oid>,
}

/// Scans every blob of the repository at `git_dir`.
pub fn scan(
    git_dir: &Path,
    detector: &Detector,
    limits: &Limits,
    tally: &Tally,
    progress: &(dyn Fn(HistoryProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<HistoryResult, String> {
    let repo = crate::git::open(git_dir).map_err(|e| e.to_string())?;
    let odb = repo.odb().map_err(|e| e.message().to_string())?;
    let mut oids: Vec<Oid> = Vec::new();
    odb.foreach(|oid| {
        oids.push(*oid);
        true
    })
    .map_err(|e| format!("cannot list the objects: {}", e.message()))?;
    oids.sort_unstable();
    oids.dedup();
    let oids = pack_order(git_dir, &oids);
    let pass = pass_one(git_dir, &oids, detector, limits, tally, progress, cancel);
    if cancel.load(Ordering::Relaxed) {
        return Err("cancelled".into());
    }
    let targets: HashSet<Oid> = pass
        .hits
        .iter()
        .map(|(oid, _)| *oid)
        .chain(pass.env_blobs.iter().copied())
        .collect();
    if targets.is_empty() {
        return Ok(HistoryResult {
            blobs: Vec::new(),
            env_files: Vec::new(),
        });
    }
    let mut appearances = provenance(&repo, &pass.commits, &targets, tally);
    let blobs = pass
        .hits
        .into_iter()
        .map(|(blob, detections)| BlobFindings {
            appearances: appearances.get(&blob).cloned().unwrap_or_default(),
            blob,
            detections,
        })
        .collect();
    let env_files = pass
        .env_blobs
        .iter()
        .flat_map(|blob| appearances.remove(blob).unwrap_or_default())
        .filter(|a| is_env_file_name(a.path.rsplit('/').next().unwrap_or(&a.path)))
        .map(|appearance| EnvFile { appearance })
        .collect();
    Ok(HistoryResult { blobs, env_files })
}

fn pass_one(
    git_dir: &Path,
    oids: &[Oid],
    detector: &Detector,
    limits: &Limits,
    tally: &Tally,
    progress: &(dyn Fn(HistoryProgress) + Sync),
    cancel: &AtomicBool,
) -> PassOne {
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let result = Mutex::new(PassOne {
        hits: Vec::new(),
        commits: Vec::new(),
        env_blobs: HashSet::new(),
    });
    // Large chunks of pack order per worker: a delta's base was read just before it, by the
    // same worker, and is still in that worker's delta base cache.
    const CHUNK: usize = 512;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..limits.threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    // One repository handle per worker: libgit2 handles are not shared.
                    let Ok(repo) = crate::git::open(git_dir) else {
                        return;
                    };
                    let Ok(odb) = repo.odb() else {
                        return;
                    };
                    let mut local = PassOne {
                        hits: Vec::new(),
                        commits: Vec::new(),
                        env_blobs: HashSet::new(),
                    };
                    loop {
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= oids.len() {
                            break;
                        }
                        for oid in &oids[start..(start + CHUNK).min(oids.len())] {
                            read_one(&odb, *oid, detector, limits, tally, &bytes, &mut local);
                        }
                        done.fetch_add((oids.len() - start).min(CHUNK) as u64, Ordering::Relaxed);
                    }
                    let mut shared = result.lock().unwrap_or_else(|p| p.into_inner());
                    shared.hits.extend(local.hits);
                    shared.commits.extend(local.commits);
                    shared.env_blobs.extend(local.env_blobs);
                })
            })
            .collect();
        // Progress every 100 ms while the workers run.
        scope.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                progress(HistoryProgress {
                    objects_done: done.load(Ordering::Relaxed),
                    objects_total: oids.len() as u64,
                    bytes_done: bytes.load(Ordering::Relaxed),
                });
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        for worker in workers {
            let _ = worker.join();
        }
        finished.store(true, Ordering::Relaxed);
    });
    progress(HistoryProgress {
        objects_done: done.load(Ordering::Relaxed),
        objects_total: oids.len() as u64,
        bytes_done: bytes.load(Ordering::Relaxed),
    });
    let mut result = result.into_inner().unwrap_or_else(|p| p.into_inner());
    result.hits.sort_by_key(|(oid, _)| *oid);
    result
}

fn read_one(
    odb: &git2::Odb<'_>,
    oid: Oid,
    detector: &Detector,
    limits: &Limits,
    tally: &Tally,
    bytes: &AtomicU64,
    local: &mut PassOne,
) {
    tally.objects.fetch_add(1, Ordering::Relaxed);
    // The size from the header first: a blob that inflates to gigabytes is never inflated.
    if let Ok((size, ObjectType::Blob)) = odb.read_header(oid)
        && size as u64 > limits.max_file_bytes
    {
        tally.blobs.fetch_add(1, Ordering::Relaxed);
        tally.oversized.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let object = match odb.read(oid) {
        Ok(object) => object,
        Err(_) => {
            // Missing or corrupt (a shallow clone, a damaged pack): noted, the scan goes on.
            tally.missing.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    match object.kind() {
        ObjectType::Blob => {
            let data = object.data();
            tally.blobs.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            tally
                .history_bytes
                .fetch_add(data.len() as u64, Ordering::Relaxed);
            if data.len() as u64 > limits.max_file_bytes {
                tally.oversized.fetch_add(1, Ordering::Relaxed);
            } else if looks_binary(data) {
                tally.binary.fetch_add(1, Ordering::Relaxed);
            } else {
                // The path is not known yet (a blob can have many); config rules apply, the
                // strict code rules are for the working tree where the file name is known.
                let detections = detector.detect(data, TextKind::Config);
                if !detections.is_empty() {
                    local.hits.push((oid, detections));
                }
            }
        }
        ObjectType::Commit => local.commits.push(oid),
        ObjectType::Tree => {
            for (mode, name, id) in crate::git::tree::entries(object.data()) {
                if !crate::git::tree::is_tree(mode)
                    && is_env_file_name(&String::from_utf8_lossy(name))
                {
                    local.env_blobs.insert(id);
                }
            }
        }
        _ => {}
    }
}

struct CommitInfo {
    id: Oid,
    tree: Oid,
    parents: Vec<Oid>,
    time: i64,
}

/// Paths of target blobs inside each tree, memoised by tree id (trees repeat across commits).
struct TreeIndex<'r> {
    repo: &'r Repository,
    targets: &'r HashSet<Oid>,
    memo: HashMap<Oid, Rc<Vec<(String, Oid)>>>,
}

impl TreeIndex<'_> {
    fn paths(&mut self, tree_id: Oid) -> Rc<Vec<(String, Oid)>> {
        if let Some(found) = self.memo.get(&tree_id) {
            return found.clone();
        }
        let mut found = Vec::new();
        if let Ok(tree) = self.repo.find_tree(tree_id) {
            let entries: Vec<(String, Oid, Option<ObjectType>)> = tree
                .iter()
                .map(|e| {
                    (
                        String::from_utf8_lossy(e.name_bytes()).into_owned(),
                        e.id(),
                        e.kind(),
                    )
                })
                .collect();
            for (name, id, kind) in entries {
                match kind {
                    Some(ObjectType::Tree) => {
                        for (path, blob) in self.paths(id).iter() {
                            found.push((format!("{name}/{path}"), *blob));
                        }
                    }
                    Some(ObjectType::Blob) if self.targets.contains(&id) => {
                        found.push((name, id));
                    }
                    _ => {}
                }
            }
        }
        let found = Rc::new(found);
        self.memo.insert(tree_id, found.clone());
        found
    }
}

/// Where each target blob appears: paths, commits, refs, HEAD.
fn provenance(
    repo: &Repository,
    commit_ids: &[Oid],
    targets: &HashSet<Oid>,
    tally: &Tally,
) -> HashMap<Oid, Vec<Appearance>> {
    let mut commits: Vec<CommitInfo> = commit_ids
        .iter()
        .filter_map(|id| {
            let commit = repo.find_commit(*id).ok()?;
            Some(CommitInfo {
                id: *id,
                tree: commit.tree_id(),
                parents: commit.parent_ids().collect(),
                time: commit.committer().when().seconds(),
            })
        })
        .collect();
    commits.sort_by_key(|c| c.id);
    let index_of: HashMap<Oid, usize> =
        commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect();

    let mut trees = TreeIndex {
        repo,
        targets,
        memo: HashMap::new(),
    };
    // (blob, path) -> commits having it there.
    let mut containing: HashMap<(Oid, String), Vec<usize>> = HashMap::new();
    for (index, commit) in commits.iter().enumerate() {
        for (path, blob) in trees.paths(commit.tree).iter() {
            containing
                .entry((*blob, path.clone()))
                .or_default()
                .push(index);
        }
    }
    let head: HashSet<(Oid, String)> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| {
            trees
                .paths(c.tree_id())
                .iter()
                .map(|(path, blob)| (*blob, path.clone()))
                .collect()
        })
        .unwrap_or_default();
    let (ref_names, reach) = reachability(repo, &commits, &index_of);
    tally.refs.store(ref_names.len() as u64, Ordering::Relaxed);

    let mut out: HashMap<Oid, Vec<Appearance>> = HashMap::new();
    for ((blob, path), indices) in containing {
        let first = indices
            .iter()
            .min_by_key(|i| (commits[**i].time, commits[**i].id))
            .map(|i| commits[*i].id.to_string())
            .unwrap_or_default();
        let mut refs: Vec<String> = Vec::new();
        for (bit, name) in ref_names.iter().enumerate() {
            if indices.iter().any(|i| reach.has(*i, bit)) {
                refs.push(name.clone());
            }
        }
        out.entry(blob).or_default().push(Appearance {
            in_head: head.contains(&(blob, path.clone())),
            path,
            first_commit: first,
            commits: indices.len(),
            refs,
        });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.path.cmp(&b.path));
    }
    out
}

/// One bit per (commit, ref): set when the ref reaches the commit.
struct Reach {
    words: usize,
    bits: Vec<u64>,
}

impl Reach {
    fn has(&self, commit: usize, bit: usize) -> bool {
        self.bits[commit * self.words + bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// Which refs reach which commits: every ref (branches, tags, remotes, stash, notes, replace
/// and original refs, HEAD) marks its commit, and the marks flow to the parents in one pass in
/// topological order (children before parents).
fn reachability(
    repo: &Repository,
    commits: &[CommitInfo],
    index_of: &HashMap<Oid, usize>,
) -> (Vec<String>, Reach) {
    const MAX_REFS: usize = 4096;
    let mut names: Vec<String> = Vec::new();
    let mut tips: Vec<usize> = Vec::new();
    let mut add = |name: String, commit: Option<Oid>| {
        if let Some(index) = commit.and_then(|c| index_of.get(&c))
            && names.len() < MAX_REFS
        {
            names.push(name);
            tips.push(*index);
        }
    };
    if let Ok(head) = repo.head() {
        add("HEAD".into(), head.peel_to_commit().ok().map(|c| c.id()));
    }
    if let Ok(references) = repo.references() {
        for reference in references.flatten() {
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            add(name, reference.peel_to_commit().ok().map(|c| c.id()));
        }
    }
    let words = names.len().div_ceil(64).max(1);
    let mut reach = Reach {
        words,
        bits: vec![0; commits.len() * words],
    };
    for (bit, tip) in tips.iter().enumerate() {
        reach.bits[tip * words + bit / 64] |= 1 << (bit % 64);
    }
    let parents: Vec<Vec<usize>> = commits
        .iter()
        .map(|c| {
            c.parents
                .iter()
                .filter_map(|p| index_of.get(p).copied())
                .collect()
        })
        .collect();
    let mut children = vec![0usize; commits.len()];
    for list in &parents {
        for parent in list {
            children[*parent] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..commits.len()).filter(|i| children[*i] == 0).collect();
    while let Some(child) = ready.pop() {
        for &parent in &parents[child] {
            for word in 0..words {
                let value = reach.bits[child * words + word];
                reach.bits[parent * words + word] |= value;
            }
            children[parent] -= 1;
            if children[parent] == 0 {
                ready.push(parent);
            }
        }
    }
    (names, reach)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_names() {
        for name in [".env", ".env.production", "prod.env", ".envrc", ".ENV"] {
            assert!(is_env_file_name(name), "{name}");
        }
        for name in [
            ".env.example",
            ".env.sample",
            "environment.py",
            "env",
            ".env.template",
        ] {
            assert!(!is_env_file_name(name), "{name}");
        }
    }
}
