//! The one way a timeline is read, for the TUI and the command line alike: every repository's
//! commits and metadata first (fast, so a pane fills at once), then the dangling commits (every
//! object's type is looked at), then the line counts (cached ones at once, the rest in batches).
//! Each stage is handed to `send` as it completes; `Timeline::apply` folds it in.

use super::changes::{ChangeFacts, ChangeSummary, CountProgress};
use super::paths::PathRules;
use super::{CommitEntry, CommitId, Timeline};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// One completed stage of repository `index` (its position in the list given).
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// The commits and their metadata, or why the repository cannot be read.
    Read(usize, Box<Result<Timeline, String>>),
    /// Dangling commits found after the first read.
    Dangling(usize, Vec<CommitEntry>),
    /// A batch of line counts, with the pass's progress.
    Counts(usize, Vec<(CommitId, ChangeSummary)>, CountProgress),
    /// The line-count pass ended (an error leaves the metadata signals standing).
    CountsDone(usize, Result<(), String>),
}

impl Stage {
    /// Which repository the stage belongs to.
    pub fn repository(&self) -> usize {
        match self {
            Stage::Read(i, _) | Stage::Dangling(i, _) | Stage::Counts(i, _, _) => *i,
            Stage::CountsDone(i, _) => *i,
        }
    }
}

/// Reads `repos` stage by stage, calling `send` after each. `cancel` stops it between stages
/// and inside the line counts (a newer read replaces this one).
pub fn read_in_stages(
    repos: &[PathBuf],
    options: &super::AnalyzeOptions,
    cancel: &AtomicBool,
    send: &mut dyn FnMut(Stage),
) {
    let mut ids_per_repo: Vec<Option<Vec<CommitId>>> = Vec::new();
    for (index, path) in repos.iter().enumerate() {
        let result = super::read_with(path, false);
        ids_per_repo.push(
            result
                .as_ref()
                .ok()
                .map(|t| t.commits.iter().map(|c| c.id).collect()),
        );
        send(Stage::Read(index, Box::new(result)));
    }
    for (index, (path, ids)) in repos.iter().zip(ids_per_repo.iter_mut()).enumerate() {
        let Some(ids) = ids else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(found) = super::read_dangling(path, ids)
            && !found.is_empty()
        {
            ids.extend(found.iter().map(|c| c.id));
            send(Stage::Dangling(index, found));
        }
    }
    if !options.line_counts {
        return;
    }
    for (index, (path, ids)) in repos.iter().zip(&ids_per_repo).enumerate() {
        let Some(ids) = ids else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let result = super::changes::count_with_cache(
            path,
            ids,
            options.threads.max(1),
            options.use_cache,
            cancel,
            |batch, progress| send(Stage::Counts(index, batch, progress)),
        );
        send(Stage::CountsDone(index, result));
    }
}

/// Change facts that arrived and are not yet in a timeline (they are applied in rounds: moving
/// them in one by one would re-walk the history each time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Waiting(HashMap<CommitId, ChangeFacts>);

impl Waiting {
    pub fn add(&mut self, batch: Vec<(CommitId, ChangeSummary)>, rules: &PathRules) {
        for (id, summary) in batch {
            self.0.insert(id, ChangeFacts::of(&summary, rules));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves what belongs to `timeline` into it.
    pub fn apply_to(&mut self, timeline: &mut Timeline) {
        timeline.apply_facts(&mut self.0);
    }
}
