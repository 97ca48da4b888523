//! Pane 3's state: one timeline per repository (`--repo`, repeatable), read in the background
//! stage by stage (commits and their metadata first, then dangling commits, then the line
//! counts in batches), scored again as counts and secret findings arrive; the selection, the
//! order (time or score) and which repository is shown. `view` and `chart` draw it, `details`
//! draws one commit.

pub mod chart;
pub mod details;
pub mod view;

use super::app::{Effect, Popup, Shell};
use super::keymap::Action;
use crate::secrets::finding::Finding;
use crate::timeline::changes::CountProgress;
use crate::timeline::details::CommitDetails;
use crate::timeline::paths::PathRules;
use crate::timeline::signals::Scoring;
use crate::timeline::stages::{Stage, Waiting};
use crate::timeline::{CommitEntry, CommitId, Timeline};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest first.
    #[default]
    Time,
    /// Highest score first.
    Score,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Reading,
    Ready,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepoTimeline {
    pub path: PathBuf,
    pub state: LoadState,
    pub timeline: Option<Timeline>,
    /// The line-count pass: progress while it runs, `None` before it starts.
    pub counts: Option<CountProgress>,
    pub counting: bool,
    pub counts_error: Option<String>,
    /// Change facts not yet moved into the timeline (they are applied in rounds).
    waiting: Waiting,
    last_rescore: Option<Instant>,
    /// How long the last re-score took: on a huge history re-scoring is spaced out so the
    /// screen keeps answering keys while counts stream in.
    rescore_cost: Duration,
    /// Row order: indices into `timeline.commits`.
    pub rows: Vec<usize>,
}

impl RepoTimeline {
    fn new(path: PathBuf) -> RepoTimeline {
        RepoTimeline {
            path,
            state: LoadState::Reading,
            timeline: None,
            counts: None,
            counting: false,
            counts_error: None,
            waiting: Waiting::default(),
            last_rescore: None,
            rescore_cost: Duration::ZERO,
            rows: Vec::new(),
        }
    }

    pub fn commit_at(&self, row: usize) -> Option<&CommitEntry> {
        let timeline = self.timeline.as_ref()?;
        self.rows.get(row).and_then(|i| timeline.commits.get(*i))
    }

    /// Moves the waiting facts in and scores again, then re-sorts.
    fn rescore(&mut self, scoring: &Scoring, order: Order) {
        let Some(timeline) = &mut self.timeline else {
            return;
        };
        let started = Instant::now();
        self.waiting.apply_to(timeline);
        timeline.rescore(scoring);
        sort_rows(self, order);
        self.rescore_cost = started.elapsed();
        self.last_rescore = Some(Instant::now());
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimelinePane {
    pub repos: Vec<RepoTimeline>,
    pub current: usize,
    pub order: Order,
    pub selected: usize,
    pub started: bool,
    /// Raw message and identity lines of the commit whose details are open.
    pub details: Option<(CommitId, Result<CommitDetails, String>)>,
}

/// Re-scoring while counts stream in happens at most this often (it is cheap, not free).
const RESCORE_EVERY: Duration = Duration::from_millis(400);

impl TimelinePane {
    pub fn current(&self) -> Option<&RepoTimeline> {
        self.repos.get(self.current)
    }

    /// Every timeline read so far.
    pub fn timelines(&self) -> Vec<&Timeline> {
        self.repos
            .iter()
            .filter_map(|r| r.timeline.as_ref())
            .collect()
    }

    pub fn selected_commit(&self) -> Option<&CommitEntry> {
        self.current().and_then(|r| r.commit_at(self.selected))
    }

    /// True once every repository was read or failed (the line counts may still run).
    pub fn all_read(&self) -> bool {
        self.repos.iter().all(|r| r.state != LoadState::Reading)
    }

    /// Reads every repository again (the first time at start-up, then on `r`).
    pub fn start(&mut self, repos: &[PathBuf], shell: &mut Shell) {
        self.started = true;
        self.repos = repos.iter().cloned().map(RepoTimeline::new).collect();
        self.current = self.current.min(self.repos.len().saturating_sub(1));
        if !repos.is_empty() {
            shell.push(Effect::LoadTimelines(repos.to_vec()));
        }
    }

    /// Folds in one stage of the read; `findings` are the secret scan's, if it ended.
    pub fn apply(
        &mut self,
        stage: Stage,
        rules: &PathRules,
        scoring: &Scoring,
        findings: &[Finding],
    ) {
        let order = self.order;
        let Some(repo) = self.repos.get_mut(stage.repository()) else {
            return;
        };
        match stage {
            Stage::Read(_, result) => match *result {
                Ok(mut timeline) => {
                    timeline.apply_secrets(&crate::timeline::introduced_secrets(
                        findings,
                        &timeline.repo,
                    ));
                    repo.timeline = Some(timeline);
                    repo.state = LoadState::Ready;
                    repo.rescore(scoring, order);
                }
                Err(message) => repo.state = LoadState::Failed(message),
            },
            Stage::Dangling(_, found) => {
                if let Some(timeline) = &mut repo.timeline
                    && !found.is_empty()
                {
                    timeline.add_commits(found);
                    repo.rescore(scoring, order);
                }
            }
            Stage::Counts(_, batch, progress) => {
                repo.counting = true;
                repo.counts = Some(progress);
                // Only the compact facts are kept; the file lists go with the batch.
                repo.waiting.add(batch, rules);
                // At most a tenth of the time goes to re-scoring while counts arrive.
                let spacing = RESCORE_EVERY.max(repo.rescore_cost * 10);
                if repo.last_rescore.is_none_or(|at| at.elapsed() >= spacing) {
                    repo.rescore(scoring, order);
                }
            }
            Stage::CountsDone(_, result) => {
                repo.counting = false;
                repo.counts_error = result.err();
                repo.rescore(scoring, order);
            }
        }
        self.clamp_selection();
    }

    /// The secret scan ended: attach the secrets each commit introduced and score again.
    pub fn secrets_changed(&mut self, findings: &[Finding], scoring: &Scoring) {
        let order = self.order;
        for repo in &mut self.repos {
            if let Some(timeline) = &mut repo.timeline {
                let introduced = crate::timeline::introduced_secrets(findings, &timeline.repo);
                timeline.apply_secrets(&introduced);
                repo.rescore(scoring, order);
            }
        }
    }

    fn clamp_selection(&mut self) {
        let rows = self.current().map_or(0, |r| r.rows.len());
        self.selected = self.selected.min(rows.saturating_sub(1));
    }

    /// The commit's full details arrived; kept only while its popup is open.
    pub fn details_loaded(
        &mut self,
        id: CommitId,
        details: Result<CommitDetails, String>,
        popup: &Option<Popup>,
    ) {
        if matches!(popup, Some(Popup::CommitDetails { id: open, .. }) if *open == id) {
            self.details = Some((id, details));
        }
    }

    /// Keys while the pane has the focus. True when the user asked to read everything again.
    pub fn handle(&mut self, action: Action, shell: &mut Shell) -> bool {
        let rows = self.current().map_or(0, |r| r.rows.len());
        if let Some(moved) = action.moved(self.selected, rows, 10) {
            self.selected = moved;
            return false;
        }
        match action {
            Action::Order => self.toggle_order(),
            Action::NextSource | Action::PrevSource => {
                self.switch_repository(action == Action::NextSource)
            }
            Action::Open => self.open_selected(shell),
            Action::Refresh => {
                shell.say_info("reading the commit history again");
                return true;
            }
            Action::Remediate(_) => {
                shell.say_info("actions work on containers: select one in pane 1")
            }
            _ => {}
        }
        false
    }

    /// Time or score order, keeping the same commit selected across the re-sort.
    fn toggle_order(&mut self) {
        self.order = match self.order {
            Order::Time => Order::Score,
            Order::Score => Order::Time,
        };
        let keep = self.selected_commit().map(|c| c.id);
        for repo in &mut self.repos {
            sort_rows(repo, self.order);
        }
        if let Some(id) = keep {
            self.select_commit(&id);
        }
    }

    fn switch_repository(&mut self, next: bool) {
        let count = self.repos.len();
        if count > 1 {
            self.current = if next {
                (self.current + 1) % count
            } else {
                (self.current + count - 1) % count
            };
            self.selected = 0;
        }
    }

    fn open_selected(&mut self, shell: &mut Shell) {
        let target = self.current().and_then(|repo| {
            repo.commit_at(self.selected)
                .map(|c| (repo.path.clone(), c.id))
        });
        if let Some((path, id)) = target {
            self.details = None;
            shell.popup = Some(Popup::CommitDetails { id, scroll: 0 });
            shell.push(Effect::LoadCommitDetails(path, id));
        }
    }

    /// Moves the selection to a commit of the current repository, if listed.
    pub fn select_commit(&mut self, id: &CommitId) {
        if let Some(repo) = self.current()
            && let Some(timeline) = &repo.timeline
            && let Some(row) = repo
                .rows
                .iter()
                .position(|i| timeline.commits.get(*i).is_some_and(|c| c.id == *id))
        {
            self.selected = row;
        }
    }
}

/// Orders the rows: newest first, or highest score first (newest first among equals).
fn sort_rows(repo: &mut RepoTimeline, order: Order) {
    let Some(timeline) = &repo.timeline else {
        repo.rows.clear();
        return;
    };
    let mut rows: Vec<usize> = (0..timeline.commits.len()).collect();
    if order == Order::Score {
        rows.sort_by(|a, b| {
            timeline.commits[*b]
                .score
                .total_cmp(&timeline.commits[*a].score)
                .then(a.cmp(b))
        });
    }
    repo.rows = rows;
}

#[cfg(test)]
mod tests;
