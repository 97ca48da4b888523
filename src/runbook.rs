//! The remediation actions without the TUI, for runbooks: `vigil stop`, `vigil undo`,
//! `vigil actions`. Same plans, same confirmation, same audit trail as the TUI.

use crate::cli::{
    ActionArgs, ActionsArgs, FirewallArgs, OutputFormat, ProtoArg, RebindArgs, UndoArgs,
};
use crate::collect::docker;
use crate::config::Settings;
use crate::ops::{Operator, Plan, audit};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Where the audit log is: `--audit-log`, else the XDG state directory.
pub fn audit_path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(audit::default_path)
}

fn refuse_in_observer_mode(settings: &Settings) -> Result<(), String> {
    if settings.read_only {
        Err("read-only mode: observer mode cannot change anything (drop --read-only / VIGIL_READ_ONLY)".into())
    } else {
        Ok(())
    }
}

/// Asks on the terminal; without one, refuses unless `--yes` was given.
fn confirm(plan: &Plan, yes: bool) -> Result<bool, String> {
    if plan.refused.is_some() {
        return Ok(false);
    }
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "no terminal to confirm on: review the plan with --dry-run, then pass --yes".into(),
        );
    }
    print!("> ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|err| err.to_string())?;
    Ok(plan.is_confirmed_by(&answer))
}

async fn client(settings: &Settings) -> Result<bollard::Docker, String> {
    let docker_settings = docker::DockerSettings {
        host: settings.docker_host.clone(),
        ..Default::default()
    };
    docker::connect(&docker_settings)
        .await
        .map(|(client, _, _)| client)
}

fn audit_location(audit_log: Option<&Path>) -> Result<PathBuf, String> {
    audit_path(audit_log)
        .ok_or_else(|| "neither XDG_STATE_HOME nor HOME is set: pass --audit-log PATH".into())
}

/// Prints the plan; stops there for a refusal or a dry run. Returns the exit status if done.
fn show(plan: &Plan, dry_run: bool) -> Option<i32> {
    for line in plan.describe() {
        println!("{line}");
    }
    if let Some(reason) = &plan.refused {
        eprintln!("vigil: refused: {reason}");
        return Some(1);
    }
    if dry_run {
        println!("(dry run: nothing was changed)");
        return Some(0);
    }
    None
}

/// Confirms, then executes through an `Operator` (which opens the audit log first: an unwritable
/// log stops the action before it starts), and reports. Returns the exit status.
async fn carry_out(
    client: bollard::Docker,
    audit: &Path,
    plan: Plan,
    yes: bool,
) -> Result<i32, String> {
    let mut operator = Operator::new(client, audit)?;
    Ok(execute_confirmed(&mut operator, plan, yes).await)
}

async fn execute_confirmed(operator: &mut Operator, plan: Plan, yes: bool) -> i32 {
    match confirm(&plan, yes) {
        Ok(true) => {}
        Ok(false) => {
            eprintln!("vigil: cancelled; nothing was changed");
            return 1;
        }
        Err(message) => {
            eprintln!("vigil: {message}");
            return 1;
        }
    }
    match operator.execute(&plan, &printed_progress(&plan)).await {
        Ok(outcome) if outcome.error.is_none() => {
            println!(
                "{}: {} ({})",
                outcome.result,
                plan.id,
                operator.audit_path().display()
            );
            println!("undo: {}", plan.undo);
            0
        }
        Ok(outcome) => {
            eprintln!(
                "vigil: {} failed: {}",
                plan.kind.as_str(),
                outcome.error.unwrap_or_default()
            );
            1
        }
        Err(message) => {
            eprintln!("vigil: {message}");
            1
        }
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
                eprintln!("  -> [{}/{total}] {what}", step + 1);
            }
            StepUpdate::Finished(step) => {
                eprintln!("  ok [{}/{total}]{}", step + 1, took(step, &mut started));
            }
            StepUpdate::Failed(step, error) => {
                let took = took(step, &mut started);
                eprintln!("  FAILED [{}/{total}]{took}: {error}", step + 1);
            }
            StepUpdate::Note(text) => eprintln!("  !! {text}"),
        }
    })
}

/// A dry run only reads, so it is allowed in observer mode too.
/// What every runbook action shares: refuse in observer mode (a dry run only reads, so it is
/// allowed there), connect, plan, print the plan, confirm, execute through an `Operator`.
fn act<F, Fut>(
    settings: &Settings,
    audit_log: Option<&Path>,
    dry_run: bool,
    yes: bool,
    plan: F,
) -> i32
where
    F: FnOnce(bollard::Docker, PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<Plan, String>>,
{
    run(async {
        if !dry_run {
            refuse_in_observer_mode(settings)?;
        }
        let audit = audit_location(audit_log)?;
        let client = client(settings).await?;
        let plan = plan(client.clone(), audit.clone()).await?;
        if let Some(code) = show(&plan, dry_run) {
            return Ok(code);
        }
        carry_out(client, &audit, plan, yes).await
    })
}

pub fn stop(settings: &Settings, audit_log: Option<&Path>, args: &ActionArgs) -> i32 {
    act(
        settings,
        audit_log,
        args.dry_run,
        args.yes,
        |client, _| async move { crate::ops::planner::plan_stop(&client, &args.target).await },
    )
}

pub fn rebind(settings: &Settings, audit_log: Option<&Path>, args: &RebindArgs) -> i32 {
    let guard = !args.no_loopback_guard;
    let action = &args.action;
    act(
        settings,
        audit_log,
        action.dry_run,
        action.yes,
        |client, _| async move { crate::ops::rebind::plan_rebind(&client, &action.target, guard).await },
    )
}

pub fn commit(settings: &Settings, audit_log: Option<&Path>, args: &UndoArgs) -> i32 {
    act(
        settings,
        audit_log,
        args.dry_run,
        args.yes,
        |_, audit| async move { crate::ops::planner::plan_commit(&audit, &args.action_id) },
    )
}

pub fn undo(settings: &Settings, audit_log: Option<&Path>, args: &UndoArgs) -> i32 {
    act(
        settings,
        audit_log,
        args.dry_run,
        args.yes,
        |client, audit| async move {
            crate::ops::planner::plan_undo(&client, &audit, &args.action_id).await
        },
    )
}

/// `vigil block` (`blocking` true) and `vigil unblock`.
pub fn block(
    settings: &Settings,
    audit_log: Option<&Path>,
    args: &FirewallArgs,
    blocking: bool,
) -> i32 {
    let proto = match args.proto {
        ProtoArg::Tcp => crate::ops::firewall::Proto::Tcp,
        ProtoArg::Udp => crate::ops::firewall::Proto::Udp,
    };
    let spec = match crate::ops::block::spec(&args.ports, proto) {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("vigil: {message}");
            return 1;
        }
    };
    // Said up front, before connecting anywhere, rather than failing halfway.
    if !args.dry_run
        && !settings.read_only
        && let Some(reason) = crate::ops::firewall::cannot_change_firewall(spec.backend)
    {
        eprintln!("vigil: refused: {reason}");
        return 1;
    }
    act(
        settings,
        audit_log,
        args.dry_run,
        args.yes,
        |client, _| async move {
            if blocking {
                crate::ops::planner::plan_block(&client, spec).await
            } else {
                Ok(crate::ops::block::plan_unblock(spec, None))
            }
        },
    )
}

/// Reading the audit log is allowed in observer mode: it changes nothing.
pub fn actions(audit_log: Option<&Path>, args: &ActionsArgs) -> i32 {
    let Some(path) = audit_path(audit_log) else {
        eprintln!("vigil: neither XDG_STATE_HOME nor HOME is set: pass --audit-log PATH");
        return 1;
    };
    let records = match audit::read_all(&path) {
        Ok(records) => records,
        Err(message) => {
            eprintln!("vigil: {message}");
            return 1;
        }
    };
    let summary = audit::summarize(&records);
    match args.format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "actions": summary }))
                .unwrap_or_default()
        ),
        OutputFormat::Table => {
            println!(
                "{:<44} {:<6} {:<24} {:<12} UNDO",
                "ACTION", "KIND", "TARGET", "STATE"
            );
            for action in summary {
                println!(
                    "{:<44} {:<6} {:<24} {:<12} {}",
                    action.action_id,
                    action.action,
                    crate::sanitize::escape(&action.target),
                    action.state,
                    action.undo
                );
            }
        }
    }
    0
}

fn run(work: impl std::future::Future<Output = Result<i32, String>>) -> i32 {
    let runtime = match crate::commands::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(work) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("vigil: {message}");
            1
        }
    }
}
