//! The timeline pane's state: one timeline per repository (`--repo`, repeatable), read in the
//! background in two steps (commits and their metadata first, then the line counts in batches),
//! scored again as counts and secret findings arrive; the selection, the order (time or score)
//! and which repository is shown. State only: the event loop does the reading.

use super::app::{App, Effect, Popup, Severity};
use super::keymap::Action;
use crate::timeline::changes::{ChangeFacts, ChangeSummary, CountProgress};
use crate::timeline::details::CommitDetails;
use crate::timeline::{CommitEntry, CommitId, Timeline};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the background reader sends.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineEvent {
    /// The commits and their metadata of repository `index`, or why not.
    Read(usize, Box<Result<Timeline, String>>),
    /// Dangling commits found after the first read.
    Dangling(usize, Vec<CommitEntry>),
    /// A batch of line counts, with the pass's progress.
    Counts(usize, Vec<(CommitId, ChangeSummary)>, CountProgress),
    /// The line-count pass ended (an error leaves the metadata signals standing).
    CountsDone(usize, Result<(), String>),
}

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
    waiting: HashMap<CommitId, ChangeFacts>,
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
            waiting: HashMap::new(),
            last_rescore: None,
            rescore_cost: Duration::ZERO,
            rows: Vec::new(),
        }
    }

    pub fn commit_at(&self, row: usize) -> Option<&CommitEntry> {
        let timeline = self.timeline.as_ref()?;
        self.rows.get(row).and_then(|i| timeline.commits.get(*i))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimelineView {
    pub repos: Vec<RepoTimeline>,
    pub current: usize,
    pub order: Order,
    pub selected: usize,
    pub generation: u64,
    pub started: bool,
    /// Raw message and identity lines of the commit whose details are open.
    pub details: Option<(CommitId, Result<CommitDetails, String>)>,
}

impl TimelineView {
    pub fn current(&self) -> Option<&RepoTimeline> {
        self.repos.get(self.current)
    }
}

/// Re-scoring while counts stream in happens at most this often (it is cheap, not free).
const RESCORE_EVERY: Duration = Duration::from_millis(400);

impl App {
    /// Reads every repository again (the first time at start-up, then on `r`).
    pub fn start_timelines(&mut self) {
        self.timeline.started = true;
        self.timeline.generation += 1;
        self.timeline.repos = self
            .settings
            .repos
            .iter()
            .cloned()
            .map(RepoTimeline::new)
            .collect();
        self.timeline.current = self
            .timeline
            .current
            .min(self.timeline.repos.len().saturating_sub(1));
        self.dirty = true;
        if !self.settings.repos.is_empty() {
            self.push_effect(Effect::LoadTimelines(
                self.timeline.generation,
                self.settings.repos.clone(),
            ));
        }
    }

    pub fn timeline_event(&mut self, generation: u64, event: TimelineEvent) {
        if generation != self.timeline.generation {
            return;
        }
        self.dirty = true;
        let rules = &self.timeline_rules;
        let scoring = self.settings.timeline.clone();
        let secrets = self.secrets.report.clone();
        let order = self.timeline.order;
        let index = match &event {
            TimelineEvent::Read(i, _)
            | TimelineEvent::Dangling(i, _)
            | TimelineEvent::Counts(i, _, _)
            | TimelineEvent::CountsDone(i, _) => *i,
        };
        let Some(repo) = self.timeline.repos.get_mut(index) else {
            return;
        };
        match event {
            TimelineEvent::Read(_, result) => match *result {
                Ok(mut timeline) => {
                    timeline.apply_facts(&mut repo.waiting);
                    if let Some(report) = &secrets {
                        timeline.apply_secrets(&crate::timeline::introduced_secrets(
                            &report.findings,
                            &timeline.repo,
                        ));
                    }
                    timeline.rescore(&scoring);
                    repo.timeline = Some(timeline);
                    repo.state = LoadState::Ready;
                    repo.last_rescore = Some(Instant::now());
                    sort_rows(repo, order);
                }
                Err(message) => repo.state = LoadState::Failed(message),
            },
            TimelineEvent::Dangling(_, found) => {
                if let Some(timeline) = &mut repo.timeline
                    && !found.is_empty()
                {
                    timeline.add_commits(found);
                    timeline.rescore(&scoring);
                    repo.last_rescore = Some(Instant::now());
                    sort_rows(repo, order);
                }
            }
            TimelineEvent::Counts(_, batch, progress) => {
                repo.counting = true;
                repo.counts = Some(progress);
                // Only the compact facts are kept; the file lists go with the batch.
                for (id, summary) in batch {
                    repo.waiting.insert(id, ChangeFacts::of(&summary, rules));
                }
                // At most a tenth of the time goes to re-scoring while counts arrive.
                let spacing = RESCORE_EVERY.max(repo.rescore_cost * 10);
                let due = repo.last_rescore.is_none_or(|at| at.elapsed() >= spacing);
                if due && let Some(timeline) = &mut repo.timeline {
                    let started = Instant::now();
                    timeline.apply_facts(&mut repo.waiting);
                    timeline.rescore(&scoring);
                    sort_rows(repo, order);
                    repo.rescore_cost = started.elapsed();
                    repo.last_rescore = Some(Instant::now());
                }
            }
            TimelineEvent::CountsDone(_, result) => {
                repo.counting = false;
                if let Err(message) = result {
                    repo.counts_error = Some(message);
                }
                if let Some(timeline) = &mut repo.timeline {
                    timeline.apply_facts(&mut repo.waiting);
                    timeline.rescore(&scoring);
                    repo.last_rescore = Some(Instant::now());
                    sort_rows(repo, order);
                }
            }
        }
        self.clamp_timeline_selection();
        self.refresh_checklist();
        let all_read = self
            .timeline
            .repos
            .iter()
            .all(|r| r.state != LoadState::Reading);
        if all_read && self.secrets.state == super::secrets::ScanState::NotStarted {
            self.start_secret_scan();
        }
    }

    /// The secret scan finished: attach the secrets each commit introduced and score again.
    pub fn timeline_secrets_changed(&mut self) {
        let Some(report) = self.secrets.report.clone() else {
            return;
        };
        let scoring = self.settings.timeline.clone();
        let order = self.timeline.order;
        for repo in &mut self.timeline.repos {
            if let Some(timeline) = &mut repo.timeline {
                timeline.apply_secrets(&crate::timeline::introduced_secrets(
                    &report.findings,
                    &timeline.repo,
                ));
                timeline.rescore(&scoring);
                sort_rows(repo, order);
            }
        }
        self.dirty = true;
    }

    fn clamp_timeline_selection(&mut self) {
        let rows = self.timeline.current().map_or(0, |r| r.rows.len());
        self.timeline.selected = self.timeline.selected.min(rows.saturating_sub(1));
    }

    pub fn commit_details_loaded(&mut self, id: CommitId, details: Result<CommitDetails, String>) {
        if matches!(&self.popup, Some(Popup::CommitDetails { id: open, .. }) if *open == id) {
            self.timeline.details = Some((id, details));
            self.dirty = true;
        }
    }

    /// Keys while the timeline pane has the focus.
    pub fn timeline_action(&mut self, action: Action) {
        let rows = self.timeline.current().map_or(0, |r| r.rows.len());
        let last = rows.saturating_sub(1);
        let page = 10;
        let selected = self.timeline.selected;
        match action {
            Action::Up => self.timeline.selected = selected.saturating_sub(1),
            Action::Down => self.timeline.selected = (selected + 1).min(last),
            Action::PageUp => self.timeline.selected = selected.saturating_sub(page),
            Action::PageDown => self.timeline.selected = (selected + page).min(last),
            Action::Home => self.timeline.selected = 0,
            Action::End => self.timeline.selected = last,
            Action::Order => {
                self.timeline.order = match self.timeline.order {
                    Order::Time => Order::Score,
                    Order::Score => Order::Time,
                };
                let order = self.timeline.order;
                // Keep the same commit selected across the re-sort.
                let keep = self
                    .timeline
                    .current()
                    .and_then(|r| r.commit_at(selected))
                    .map(|c| c.id);
                for repo in &mut self.timeline.repos {
                    sort_rows(repo, order);
                }
                if let Some(id) = keep {
                    self.select_commit(&id);
                }
            }
            Action::NextSource | Action::PrevSource => {
                let count = self.timeline.repos.len();
                if count > 1 {
                    self.timeline.current = if action == Action::NextSource {
                        (self.timeline.current + 1) % count
                    } else {
                        (self.timeline.current + count - 1) % count
                    };
                    self.timeline.selected = 0;
                }
            }
            Action::Open => {
                let target = self
                    .timeline
                    .current()
                    .and_then(|repo| repo.commit_at(selected).map(|c| (repo.path.clone(), c.id)));
                if let Some((path, id)) = target {
                    self.timeline.details = None;
                    self.popup = Some(Popup::CommitDetails { id, scroll: 0 });
                    self.push_effect(Effect::LoadCommitDetails(path, id));
                }
            }
            Action::Refresh => {
                self.start_timelines();
                self.say_status("reading the commit history again", Severity::Info);
            }
            Action::Remediate(_) => self.say_status(
                "actions work on containers: select one in pane 1",
                Severity::Info,
            ),
            _ => {}
        }
        self.dirty = true;
    }

    /// Moves the selection to a commit of the current repository, if listed.
    pub fn select_commit(&mut self, id: &CommitId) {
        if let Some(repo) = self.timeline.current()
            && let Some(timeline) = &repo.timeline
            && let Some(row) = repo
                .rows
                .iter()
                .position(|i| timeline.commits.get(*i).is_some_and(|c| c.id == *id))
        {
            self.timeline.selected = row;
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

/// The background reader: every repository's commits first (so the pane fills quickly), then
/// each one's line counts, cached ones at once and the rest in batches. Runs on its own thread;
/// `cancel` stops it when a newer read replaces it.
pub fn read_in_background(
    repos: &[PathBuf],
    threads: usize,
    use_cache: bool,
    cancel: &std::sync::atomic::AtomicBool,
    send: &dyn Fn(TimelineEvent),
) {
    use std::sync::atomic::Ordering;
    // Commits and metadata of every repository first, dangling commits next (every object's
    // type is looked at), then the line counts.
    let mut ids_per_repo: Vec<Option<Vec<CommitId>>> = Vec::new();
    for (index, path) in repos.iter().enumerate() {
        let result = crate::timeline::read_with(path, false);
        ids_per_repo.push(
            result
                .as_ref()
                .ok()
                .map(|t| t.commits.iter().map(|c| c.id).collect()),
        );
        send(TimelineEvent::Read(index, Box::new(result)));
    }
    for (index, (path, ids)) in repos.iter().zip(ids_per_repo.iter_mut()).enumerate() {
        let Some(ids) = ids else {
            continue;
        };
        if let Ok(found) = crate::timeline::read_dangling(path, ids)
            && !found.is_empty()
        {
            ids.extend(found.iter().map(|c| c.id));
            send(TimelineEvent::Dangling(index, found));
        }
    }
    for (index, (path, ids)) in repos.iter().zip(&ids_per_repo).enumerate() {
        let Some(ids) = ids else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let result = crate::timeline::changes::count_with_cache(
            path,
            ids,
            threads,
            use_cache,
            cancel,
            |batch, progress| send(TimelineEvent::Counts(index, batch, progress)),
        );
        send(TimelineEvent::CountsDone(index, result));
    }
}
