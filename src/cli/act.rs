//! What every action command shares (`vigil stop`, `rebind`, `commit`, `block`, `unblock`,
//! `undo`): refuse in observer mode (a dry run only reads, so it is allowed there), connect,
//! plan, print the plan, confirm, execute through an `Operator`, print each step as it goes.
//! Same plans, same confirmation, same audit trail as the TUI.

use super::output::{Failure, Outcome, Status, print_out, runtime};
use crate::config::Settings;
use crate::ops::{Operator, Plan};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// How the user asked for it to go.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// `--dry-run`: print the plan, change nothing.
    pub dry_run: bool,
    /// `--yes`: do not ask.
    pub yes: bool,
}

/// Plans with `plan` (given a Docker client and the audit log's path), shows the plan, asks,
/// and carries it out.
pub fn act<F, Fut>(settings: &Settings, mode: Mode, plan: F) -> Outcome
where
    F: FnOnce(bollard::Docker, PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<Plan, crate::ops::OpsError>>,
{
    runtime()?.block_on(async {
        let access = crate::ops::Access::from_read_only(settings.read_only);
        if !mode.dry_run && access == crate::ops::Access::ReadOnly {
            return Err(crate::ops::OpsError::ReadOnly.into());
        }
        let audit = audit_location(settings)?;
        let connection = crate::collect::docker::connect(&settings.docker()).await?;
        let plan = plan(connection.client.clone(), audit.clone()).await?;
        if let Some(outcome) = show(&plan, mode.dry_run) {
            return outcome;
        }
        let mut operator = Operator::new(access, connection.client, &audit)?;
        execute_confirmed(&mut operator, plan, mode.yes, audit).await
    })
}

pub fn audit_location(settings: &Settings) -> Result<PathBuf, Failure> {
    settings.audit_path().ok_or_else(|| {
        Failure("neither XDG_STATE_HOME nor HOME is set: pass --audit-log PATH".into())
    })
}

/// Prints the plan; stops there for a refusal or a dry run.
fn show(plan: &Plan, dry_run: bool) -> Option<Outcome> {
    print_out(&plan.describe().join("\n"));
    if let Some(reason) = &plan.refused {
        return Some(Err(Failure(format!("refused: {reason}"))));
    }
    if dry_run {
        print_out("(dry run: nothing was changed)");
        return Some(Ok(Status::Success));
    }
    None
}

/// Asks on the terminal; without one, refuses unless `--yes` was given.
fn confirm(plan: &Plan, yes: bool) -> Result<bool, Failure> {
    if plan.refused.is_some() {
        return Ok(false);
    }
    // Cutting off SSH is never done on a script's `--yes`: someone types it.
    let cuts_ssh = matches!(&plan.confirmation, crate::ops::plan::Confirmation::Type(text)
        if text == crate::ops::block::LOCKOUT_CONFIRMATION);
    if yes && !cuts_ssh {
        return Ok(true);
    }
    if cuts_ssh && !std::io::stdin().is_terminal() {
        return Err(Failure(format!(
            "this block cuts off SSH: run it on a terminal and type `{}` (--yes is not enough)",
            crate::ops::block::LOCKOUT_CONFIRMATION
        )));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure(
            "no terminal to confirm on: review the plan with --dry-run, then pass --yes".into(),
        ));
    }
    super::output::write_stdout(|out| out.write_all(b"> "));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(plan.is_confirmed_by(&answer))
}

async fn execute_confirmed(
    operator: &mut Operator,
    plan: Plan,
    yes: bool,
    audit: PathBuf,
) -> Outcome {
    if !confirm(&plan, yes)? {
        return Err(Failure("cancelled; nothing was changed".into()));
    }
    let interrupt = crate::ops::Interrupt::default();
    let _watch = super::signals::watch(interrupt.clone(), plan.clone(), audit)?;
    let progress = printed_progress(&plan).with_interrupt(interrupt);
    let outcome = operator.execute(&plan, &progress).await?;
    match &outcome.error {
        None => {
            print_out(&format!(
                "{}: {} ({})\nundo: {}",
                outcome.result,
                plan.id,
                operator.audit_path().display(),
                plan.undo
            ));
            Ok(Status::Success)
        }
        Some(error) => Err(Failure(format!("{} failed: {error}", plan.kind.as_str()))),
    }
}

/// Prints each step to stderr as it starts and ends, with its duration, so a runbook's log shows
/// where a slow or failed action stood.
fn printed_progress(plan: &Plan) -> crate::ops::Progress {
    use crate::ops::StepUpdate;
    use std::time::Instant;
    let descriptions: Vec<String> = plan.steps.iter().map(|s| s.description.clone()).collect();
    let started: std::sync::Mutex<Vec<Option<Instant>>> =
        std::sync::Mutex::new(vec![None; descriptions.len()]);
    crate::ops::Progress::new(move |update| {
        let total = descriptions.len();
        let mut started = started.lock().unwrap_or_else(|p| p.into_inner());
        let took = |step: usize, started: &mut Vec<Option<Instant>>| {
            started
                .get_mut(step)
                .and_then(Option::take)
                .map_or(String::new(), |at| {
                    format!(" ({:.2} s)", at.elapsed().as_secs_f64())
                })
        };
        match update {
            StepUpdate::Started(step) => {
                if let Some(slot) = started.get_mut(step) {
                    *slot = Some(Instant::now());
                }
                let what = descriptions.get(step).map_or("", String::as_str);
                line(&format!("  -> [{}/{total}] {what}", step + 1));
            }
            StepUpdate::Finished(step) => {
                line(&format!(
                    "  ok [{}/{total}]{}",
                    step + 1,
                    took(step, &mut started)
                ));
            }
            StepUpdate::Failed(step, error) => {
                let took = took(step, &mut started);
                line(&format!("  FAILED [{}/{total}]{took}: {error}", step + 1));
            }
            StepUpdate::Note(text) => line(&format!("  !! {text}")),
        }
    })
}

/// One progress line on stderr; a terminal that hung up must not stop the action.
fn line(text: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "{}",
        crate::util::text::escape_keeping_lines(text)
    );
}
