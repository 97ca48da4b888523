//! Carries out the app's effects off the event loop and answers with `Msg`s: probes, plans and
//! actions through the `Operator` (observer mode has none), the secret scan and the timeline
//! read as latest-wins jobs, and every file read or write (audit log, marks, report) on the
//! blocking pool. Tests drive it directly: `run(effect)`, then `next().await`.

use super::effect::Effect;
use super::jobs::{Envelope, JobContext, JobKind, LatestJob};
use super::msg::Msg;
use crate::collect::listeners::RescanHandle;
use crate::config::Settings;
use crate::ops::handle::OperatorHandle;
use crate::ops::{Access, Progress};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// At most this many probes run at once, so a host with hundreds of ports is not hammered.
const PROBE_CONCURRENCY: usize = 8;

pub struct Runner {
    settings: Settings,
    inbox: UnboundedSender<Envelope>,
    results: UnboundedReceiver<Envelope>,
    /// `None` in observer mode: nothing here can change the host then.
    operator: Option<OperatorHandle>,
    probe_slots: Arc<Semaphore>,
    listener_rescan: Option<RescanHandle>,
    secret_scan: LatestJob,
    timeline: LatestJob,
    actions_running: Arc<AtomicUsize>,
    /// SIGTERM or Ctrl-C asked the running actions to stop at their next safe point.
    interrupt: crate::ops::Interrupt,
    /// The action under way, for the record of a stop at once.
    current: Arc<std::sync::Mutex<Option<crate::ops::Plan>>>,
    /// Who marks checklist items: the login user behind sudo when there is one, looked up at
    /// the first mark (it reads the user database).
    marking_user: Arc<OnceLock<String>>,
}

impl Runner {
    /// Must be called inside the runtime (it spawns tasks).
    pub fn new(settings: &Settings, listener_rescan: Option<RescanHandle>) -> Runner {
        let (inbox, results) = unbounded_channel();
        let access = Access::from_read_only(settings.read_only);
        let operator = settings
            .audit_path()
            .and_then(|path| OperatorHandle::new(access, settings.docker(), path));
        Runner {
            settings: settings.clone(),
            inbox,
            results,
            operator,
            probe_slots: Arc::new(Semaphore::new(PROBE_CONCURRENCY)),
            listener_rescan,
            secret_scan: LatestJob::new(JobKind::SecretScan),
            timeline: LatestJob::new(JobKind::Timeline),
            actions_running: Arc::new(AtomicUsize::new(0)),
            interrupt: crate::ops::Interrupt::default(),
            current: Arc::new(std::sync::Mutex::new(None)),
            marking_user: Arc::new(OnceLock::new()),
        }
    }

    /// Host-changing actions under way (a signal lets them finish first).
    pub fn actions_running(&self) -> usize {
        self.actions_running.load(Ordering::Relaxed)
    }

    /// Asks every running action to stop at its next safe point (a recreate rolls back).
    pub fn interrupt(&self, signal: u8) {
        self.interrupt.request(signal);
    }

    /// Records in the audit log where the running action stood, before vigil stops at once.
    pub fn record_stop_at_once(&self, signal: u8) {
        let current = self.current.lock().map(|c| c.clone()).unwrap_or(None);
        let (Some(plan), Some(audit)) = (current, self.settings.audit_path()) else {
            return;
        };
        match crate::ops::audit::record_stopped_at_once(&audit, &plan, signal) {
            Ok(place) => tracing::warn!(%place, action = %plan.id, "stopped at once"),
            Err(err) => tracing::error!(%err, "cannot record where the action stopped"),
        }
    }

    /// The next result for the app; a replaced job's late messages never come out.
    pub async fn next(&mut self) -> Msg {
        loop {
            let Some(envelope) = self.results.recv().await else {
                return std::future::pending().await;
            };
            let current = match envelope.job {
                Some((JobKind::SecretScan, id)) => self.secret_scan.is_current(id),
                Some((JobKind::Timeline, id)) => self.timeline.is_current(id),
                None => true,
            };
            if current {
                return envelope.msg;
            }
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Probe(targets) => self.probe(targets),
            Effect::RescanListeners => {
                if let Some(rescan) = &self.listener_rescan {
                    rescan.request();
                }
            }
            Effect::PlanStop(target) => {
                self.plan(move |op| async move { op.plan_stop(&target).await })
            }
            Effect::PlanUndo(id) => self.plan(move |op| async move { op.plan_undo(&id).await }),
            Effect::PlanRebind(target) => {
                self.plan(move |op| async move { op.plan_rebind(&target).await })
            }
            Effect::PlanCommit(id) => self.plan(move |op| async move { op.plan_commit(&id).await }),
            Effect::PlanResume(id) => self.plan(move |op| async move { op.plan_resume(&id).await }),
            Effect::PlanBlock(spec) => {
                self.plan(move |op| async move { op.plan_block(spec).await })
            }
            Effect::Execute(plan) => self.execute(*plan),
            Effect::LoadActions(containers) => {
                let settings = self.settings.clone();
                self.blocking(move || {
                    Msg::ActionsLoaded(crate::incident::snapshot::read_journal(
                        &settings,
                        &containers,
                    ))
                })
            }
            Effect::ScanSecrets(options) => self.secret_scan(*options),
            Effect::LoadTimelines(repos) => self.read_timelines(repos),
            Effect::LoadCommitDetails(path, id) => self.blocking(move || {
                Msg::CommitDetails(id, crate::timeline::details::read(&path, id))
            }),
            Effect::LoadReportActions(containers) => {
                let settings = self.settings.clone();
                self.blocking(move || {
                    Msg::ReportActions(crate::incident::snapshot::read_journal(
                        &settings,
                        &containers,
                    ))
                })
            }
            Effect::SaveReport(text) => {
                self.blocking(move || Msg::ReportWritten(save_report(&text)))
            }
            Effect::SaveMark {
                path,
                kind,
                key,
                note,
                cleared,
            } => {
                let user = self.marking_user.clone();
                self.blocking(move || {
                    let user = user.get_or_init(marking_user);
                    let mark = crate::incident::marks::Mark::new(kind, &key, &note, user, cleared);
                    let saved = crate::incident::marks::append(path.as_deref(), &mark);
                    Msg::MarkSaved(saved.map(|()| mark))
                })
            }
        }
    }

    fn send(&self, msg: Msg) {
        let _ = self.inbox.send(Envelope { job: None, msg });
    }

    /// File work on the blocking pool; its answer goes to the app.
    fn blocking(&self, work: impl FnOnce() -> Msg + Send + 'static) {
        let inbox = self.inbox.clone();
        tokio::task::spawn_blocking(move || {
            let _ = inbox.send(Envelope {
                job: None,
                msg: work(),
            });
        });
    }

    fn probe(
        &self,
        targets: Vec<(
            crate::incident::inventory::ProbeKey,
            crate::model::PortBinding,
        )>,
    ) {
        let settings = self.settings.probe();
        for (key, binding) in targets {
            let inbox = self.inbox.clone();
            let slots = self.probe_slots.clone();
            tokio::spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let report = crate::collect::probe::probe_port(
                    &binding.host_ip,
                    binding.host_port,
                    settings,
                )
                .await;
                let _ = inbox.send(Envelope {
                    job: None,
                    msg: Msg::Probe(key, report),
                });
            });
        }
    }

    /// Plans with the operator; observer mode answers at once that it cannot.
    fn plan<F, Fut>(&self, work: F)
    where
        F: FnOnce(OperatorHandle) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<crate::ops::Plan, crate::ops::OpsError>> + Send,
    {
        let Some(operator) = self.operator.clone() else {
            self.send(Msg::PlanReady(Err(
                crate::ops::OpsError::ReadOnly.to_string()
            )));
            return;
        };
        let inbox = self.inbox.clone();
        tokio::spawn(async move {
            let plan = work(operator).await.map_err(|e| e.to_string());
            let _ = inbox.send(Envelope {
                job: None,
                msg: Msg::PlanReady(plan.map(Box::new)),
            });
        });
    }

    /// Runs a confirmed plan; each step's progress goes to the app as it happens.
    fn execute(&self, plan: crate::ops::Plan) {
        let Some(operator) = self.operator.clone() else {
            let refused = crate::ops::OpsError::ReadOnly.to_string();
            self.send(Msg::ActionFinished(plan.id, Err(refused)));
            return;
        };
        let inbox = self.inbox.clone();
        let running = self.actions_running.clone();
        running.fetch_add(1, Ordering::Relaxed);
        let current = self.current.clone();
        if let Ok(mut slot) = current.lock() {
            *slot = Some(plan.clone());
        }
        let progress = self.progress_of(&plan);
        tokio::spawn(async move {
            let result = operator.execute(&plan, &progress).await;
            if let Err(err) = &result {
                tracing::warn!(action = %plan.id, %err, "action not carried out");
            }
            let _ = inbox.send(Envelope {
                job: None,
                msg: Msg::ActionFinished(plan.id.clone(), result.map_err(|e| e.to_string())),
            });
            if let Ok(mut slot) = current.lock() {
                *slot = None;
            }
            running.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// Each step's progress goes to the app and to the log (with no terminal left, the log and
    /// the audit record are where it can be read); the action checks the interrupt between
    /// its steps.
    fn progress_of(&self, plan: &crate::ops::Plan) -> Progress {
        let inbox = self.inbox.clone();
        let plan_id = plan.id.clone();
        Progress::new(move |update| {
            tracing::info!(action = %plan_id, ?update, "action progress");
            let _ = inbox.send(Envelope {
                job: None,
                msg: Msg::StepProgress(plan_id.clone(), update),
            });
        })
        .with_interrupt(self.interrupt.clone())
    }

    fn secret_scan(&mut self, options: crate::secrets::scan::ScanOptions) {
        self.secret_scan.start(&self.inbox, move |job: JobContext| {
            let progress = |update| job.send(Msg::SecretsProgress(update));
            let result = crate::secrets::scan::run(&options, &progress, &job.cancel);
            job.send(Msg::SecretsDone(Box::new(result)));
            // A whole history was read: give the freed memory back so an idle screen is small.
            crate::util::memory::give_back();
        });
    }

    fn read_timelines(&mut self, repos: Vec<std::path::PathBuf>) {
        let options = crate::timeline::AnalyzeOptions {
            // One core stays free for the screen.
            threads: crate::secrets::sources::Limits::default()
                .threads
                .saturating_sub(1)
                .max(1),
            ..crate::timeline::AnalyzeOptions::complete()
        };
        self.timeline.start(&self.inbox, move |job: JobContext| {
            let mut send = |stage| job.send(Msg::Timeline(stage));
            crate::timeline::stages::read_in_stages(&repos, &options, &job.cancel, &mut send);
            crate::util::memory::give_back();
        });
    }
}

fn save_report(text: &str) -> Result<std::path::PathBuf, String> {
    let path = super::report::path()?;
    crate::util::fs::write_atomic(&path, text)
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}

/// The login user behind sudo, else the effective user.
fn marking_user() -> String {
    let identity = crate::ops::identity::Identity::current();
    identity.login_user.unwrap_or(identity.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(read_only: bool) -> Settings {
        Settings {
            read_only,
            audit_log: Some(std::env::temp_dir().join("vigil-runner-test-audit.jsonl")),
            ..Settings::default()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_replaced_scan_never_reaches_the_app() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut runner = Runner::new(&settings(true), None);
        let options = crate::secrets::scan::ScanOptions {
            repos: vec![dir.path().to_path_buf()],
            ..Default::default()
        };
        runner.run(Effect::ScanSecrets(Box::new(options.clone())));
        // Let the first scan finish and queue its answer before it is replaced.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        runner.run(Effect::ScanSecrets(Box::new(options)));
        // Every answer that comes within a few seconds (both scans end well before).
        let mut done = 0;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(4);
        while let Ok(msg) = tokio::time::timeout_at(deadline, runner.next()).await {
            if matches!(msg, Msg::SecretsDone(_)) {
                done += 1;
            }
        }
        assert_eq!(done, 1, "only the newest scan answers");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn observer_mode_has_nothing_to_plan_or_act_with() {
        let mut runner = Runner::new(&settings(true), None);
        runner.run(Effect::PlanStop("sdnext".into()));
        match runner.next().await {
            Msg::PlanReady(Err(message)) => assert!(message.starts_with("read-only"), "{message}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(runner.actions_running(), 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn marks_are_written_off_the_loop_and_answered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("marks/host.jsonl");
        let mut runner = Runner::new(&settings(false), None);
        runner.run(Effect::SaveMark {
            path: Some(path.clone()),
            kind: crate::incident::marks::MarkKind::Container,
            key: "sdnext".into(),
            note: "isolated".into(),
            cleared: false,
        });
        match runner.next().await {
            Msg::MarkSaved(Ok(mark)) => assert_eq!(mark.note, "isolated"),
            other => panic!("expected the saved mark, got {other:?}"),
        }
        let written = std::fs::read_to_string(&path).expect("marks file");
        assert!(written.contains("\"key\":\"sdnext\""), "{written}");
    }
}
