//! Planning `vigil undo`, `vigil resume` and `vigil commit` of a recorded action: from the
//! audit log, what the action was about (its subject); from the host, what is there now; the
//! plan is what takes the one to the goal. Read-only, like every planner.
//!
//! An action is a family: the action itself (the base) and the undos, resumes and commit that
//! acted on it later. Undo and resume work on any member that was cut short, and always plan
//! for the base's subject.

use super::audit::{self, ActionResult, AuditRecord, Phase};
use super::engine::{self, Goal, Scene, Subject, Work};
use super::error::OpsError;
use super::plan::{ActionKind, Confirmation, Plan, new_action_id};
use bollard::Docker;
use std::path::Path;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Undo,
    Resume,
    Commit,
}

/// Plans `intent` for the recorded action `action_id`.
pub async fn plan(
    docker: &Docker,
    audit_path: &Path,
    action_id: &str,
    intent: Intent,
) -> Result<Plan, OpsError> {
    let records = audit::read_all(audit_path)?;
    let unknown = || OpsError::UnknownAction {
        id: action_id.to_string(),
        path: audit_path.to_path_buf(),
    };
    let record = planned(&records, action_id).ok_or_else(unknown)?;
    let base_id = base_of(record);
    let base = planned(&records, base_id).ok_or_else(unknown)?;
    let goal = goal_for(&records, record, base, intent)?;
    let subject = subject_of(&records, base)?;
    if let Some(later) = later_action(&records, base, &subject) {
        return Ok(refused_plan(base, &subject, goal, later));
    }
    let scene = engine::observe(docker, &subject).await?;
    Ok(recovery_plan(&records, base, subject, goal, &scene))
}

fn planned<'r>(records: &'r [AuditRecord], action_id: &str) -> Option<&'r AuditRecord> {
    records
        .iter()
        .find(|r| r.action_id == action_id && r.phase == Phase::Planned)
}

/// The action a record acts on: itself, or the one it undoes, resumes or commits.
fn base_of(record: &AuditRecord) -> &str {
    record
        .undoes
        .as_deref()
        .or(record.resumes.as_deref())
        .unwrap_or(&record.action_id)
}

/// Where `intent` on `record` takes the family, or why it cannot.
fn goal_for(
    records: &[AuditRecord],
    record: &AuditRecord,
    base: &AuditRecord,
    intent: Intent,
) -> Result<Goal, OpsError> {
    let id = record.action_id.clone();
    let own = audit::latest_result(records, &record.action_id);
    let base_state = audit::latest_result(records, &base.action_id);
    let unfinished = |result: Option<ActionResult>| {
        result.is_none_or(|r| matches!(r, ActionResult::Unfinished | ActionResult::Failed))
    };
    if intent == Intent::Commit {
        return match (base.action, base_state) {
            (ActionKind::Rebind, Some(ActionResult::Applied)) => Ok(Goal::Committed),
            (ActionKind::Rebind, result) => Err(OpsError::NothingToCommit {
                id: base.action_id.clone(),
                result: result.map_or("interrupted".into(), |r| r.to_string()),
            }),
            _ => Err(OpsError::NotARebind(id)),
        };
    }
    // The goal the record itself aimed at.
    let aim = if record.action_id == base.action_id || record.resumes.is_some() {
        Goal::Complete
    } else if record.action == ActionKind::Commit {
        Goal::Committed
    } else {
        Goal::Before
    };
    match (intent, record.action_id == base.action_id) {
        (Intent::Undo, true) => match base_state {
            None
            | Some(ActionResult::Applied | ActionResult::Unfinished | ActionResult::Failed) => {
                Ok(Goal::Before)
            }
            Some(ActionResult::Undone) => Err(OpsError::AlreadyUndone(id)),
            Some(ActionResult::Committed) => Err(OpsError::Committed(id)),
            Some(result) => Err(OpsError::NothingToUndo { id, result }),
        },
        (Intent::Resume, true) => match base_state {
            None | Some(ActionResult::Unfinished | ActionResult::Failed) => Ok(Goal::Complete),
            Some(result) => Err(OpsError::NothingToResume { id, result }),
        },
        // A member that ran to its end is not undone or resumed in turn: act on the base.
        (_, false) if !unfinished(own) => Err(OpsError::NothingToUndo {
            id,
            result: own.unwrap_or(ActionResult::Applied),
        }),
        (Intent::Resume, false) => Ok(aim),
        (Intent::Undo, false) => match aim {
            Goal::Committed => Err(OpsError::Committed(id)),
            aim => Ok(aim.opposite().unwrap_or(Goal::Before)),
        },
        (Intent::Commit, _) => unreachable!("handled above"),
    }
}

/// The subject of the base action: recorded with it, or (older versions) rebuilt from its
/// `before` and its applied outcome's `after`.
fn subject_of(records: &[AuditRecord], base: &AuditRecord) -> Result<Subject, OpsError> {
    if let Some(work) = &base.work {
        return Ok(work.subject.clone());
    }
    let after = records
        .iter()
        .filter(|r| r.action_id == base.action_id && r.phase == Phase::Outcome)
        .filter(|r| r.result == Some(ActionResult::Applied))
        .map(|r| r.after.clone())
        .next_back()
        .unwrap_or_default();
    match base.action {
        ActionKind::Stop | ActionKind::Rebind | ActionKind::Block | ActionKind::Unblock => {
            Subject::from_legacy(base, &after).ok_or_else(|| OpsError::IncompleteRecord {
                id: base.action_id.clone(),
                what: "what the action was about",
            })
        }
        _ => Err(OpsError::IncompleteRecord {
            id: base.action_id.clone(),
            what: "the action it acted on",
        }),
    }
}

/// A later action on the same container or ports that is still in effect: the actions form a
/// stack, and this one is not on top.
fn later_action<'r>(
    records: &'r [AuditRecord],
    base: &AuditRecord,
    subject: &Subject,
) -> Option<&'r AuditRecord> {
    let position = records.iter().position(|r| std::ptr::eq(r, base))?;
    records[position + 1..].iter().find(|r| {
        r.phase == Phase::Planned
            && base_of(r) != base.action_id
            && r.undoes.is_none()
            && r.resumes.is_none()
            && same_subject(r, subject)
            && audit::latest_result(records, &r.action_id).is_none_or(|result| {
                matches!(
                    result,
                    ActionResult::Applied | ActionResult::Unfinished | ActionResult::Failed
                )
            })
    })
}

fn same_subject(record: &AuditRecord, subject: &Subject) -> bool {
    match (&record.firewall, &subject.firewall) {
        (Some(theirs), Some(ours)) => theirs.proto == ours.proto && theirs.range == ours.range,
        (None, None) => {
            record.target.name == subject.name
                || subject
                    .original
                    .as_ref()
                    .is_some_and(|o| o.id == record.target.id)
        }
        _ => false,
    }
}

/// The kind a plan towards `goal` has, for the base's kind.
fn recovery_kind(base: ActionKind, goal: Goal) -> ActionKind {
    match (base, goal) {
        (_, Goal::Complete) => ActionKind::Resume,
        (_, Goal::Committed) => ActionKind::Commit,
        (ActionKind::Stop, Goal::Before) => ActionKind::Start,
        (ActionKind::Rebind, Goal::Before) => ActionKind::Unrebind,
        (ActionKind::Block, Goal::Before) => ActionKind::Unblock,
        (_, Goal::Before) => ActionKind::Block,
    }
}

fn skeleton(base: &AuditRecord, subject: &Subject, goal: Goal) -> Plan {
    let kind = recovery_kind(base.action, goal);
    let target = base.target.clone();
    let base_id = base.action_id.clone();
    Plan {
        id: new_action_id(kind, &target),
        kind,
        host: crate::util::host::host_name(),
        steps: Vec::new(),
        undo: match goal {
            Goal::Before => format!("vigil resume {base_id}  (puts the action back)"),
            Goal::Complete => format!("vigil undo {base_id}"),
            Goal::Committed => {
                "none: after a commit the original container is gone (its volumes remain)".into()
            }
        },
        warnings: match goal {
            Goal::Committed => vec!["after this the rebind can no longer be undone".into()],
            Goal::Before if base.action == ActionKind::Rebind => {
                vec!["the original publishes its ports beyond loopback again".into()]
            }
            _ => Vec::new(),
        },
        // As the action itself asked: the port for a firewall change, the name for a rebind.
        confirmation: match (subject.firewall, base.action, goal) {
            (Some(spec), _, _) => Confirmation::Type(spec.range.element()),
            (None, ActionKind::Rebind, Goal::Before | Goal::Complete) => {
                Confirmation::Type(subject.name.clone())
            }
            _ => Confirmation::YesNo,
        },
        refused: None,
        undoes: (goal != Goal::Complete).then(|| base_id.clone()),
        resumes: (goal == Goal::Complete).then_some(base_id),
        before: serde_json::Value::Null,
        firewall: subject.firewall,
        work: None,
        target,
    }
}

fn refused_plan(base: &AuditRecord, subject: &Subject, goal: Goal, later: &AuditRecord) -> Plan {
    Plan {
        refused: Some(format!(
            "action {} ({} of {}, {}) changed the same {} after this one and is still in \
             effect: undo it first (`vigil undo {}`)",
            later.action_id,
            later.action,
            crate::util::text::escape(&later.target.name),
            later.time,
            if subject.firewall.is_some() {
                "ports"
            } else {
                "container"
            },
            later.action_id
        )),
        ..skeleton(base, subject, goal)
    }
}

/// The plan from what `scene` shows; refused when the goal cannot be reached from there.
fn recovery_plan(
    records: &[AuditRecord],
    base: &AuditRecord,
    subject: Subject,
    goal: Goal,
    scene: &Scene,
) -> Plan {
    let mut plan = skeleton(base, &subject, goal);
    plan.before = serde_json::json!({ "scene": scene });
    if let Some(stood) = audit::summarize(records)
        .into_iter()
        .find(|s| s.action_id == base.action_id)
        .and_then(|s| s.stopped_at)
    {
        plan.warnings.push(format!(
            "action {} was cut short; its journal ends at {stood}",
            base.action_id
        ));
    }
    match engine::converge(&subject, scene, goal) {
        Ok(ops) => {
            if ops.is_empty() {
                plan.warnings.push(format!(
                    "nothing to change on the host: it is already at {}; confirming records it",
                    goal.as_str()
                ));
            }
            let (work, steps) = Work::new(subject, goal, ops, scene);
            plan.steps = steps;
            plan.work = Some(work);
        }
        Err(why) => plan.refused = Some(why.0),
    }
    plan
}
