//! What vigil left on the host that no journaled action accounts for: a replacement or a
//! `-prev` container whose action was undone, rolled back, committed or is not in the audit log
//! at all; a blocked port or a loopback guard in vigil's firewall rules that no action in
//! effect added. Shown in pane 1, the actions view and the report, each with the command that
//! removes it. Read-only; `find` is pure.
//!
//! An action cut short (interrupted, unfinished) accounts for what it touched: those are
//! flagged as actions, and `vigil undo` / `vigil resume` settle them.

use super::audit::{self, ActionResult, AuditRecord, Phase};
use super::engine::{ACTION_LABEL, LoopbackGuard, REPLACES_LABEL};
use super::firewall::{Backend, Proto};
use super::plan::ActionKind;
use super::rebind::{NEW_SUFFIX, PREVIOUS_SUFFIX};
use crate::model::Container;
use crate::util::text::escape;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrayKind {
    Container,
    BlockedPort,
    LoopbackGuard,
}

/// One thing no journaled action accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stray {
    pub kind: StrayKind,
    /// The container's id, for a container.
    pub id: Option<String>,
    /// The container's name, or the port (`80/tcp`).
    pub name: String,
    pub why: String,
    /// The command that removes it (look first: the text says what it is).
    pub remove: String,
}

impl Stray {
    /// One line for the report and the actions view.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            StrayKind::Container => "container",
            StrayKind::BlockedPort => "blocked port",
            StrayKind::LoopbackGuard => "loopback guard",
        };
        format!(
            "stray {what} {}: {}; remove with `{}`",
            escape(&self.name),
            self.why,
            self.remove
        )
    }
}

/// vigil's firewall elements as they are now, per backend, and the backends that could not be
/// read (then strays there are unknown, and said so).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holdings {
    pub blocked: Vec<(Backend, Proto, String)>,
    pub guards: Vec<LoopbackGuard>,
    pub unreadable: Vec<String>,
}

/// Reads vigil's rules with each firewall tool installed here (blocking: runs nft/iptables).
pub fn read_holdings() -> Holdings {
    let mut holdings = Holdings::default();
    for backend in [Backend::Nftables, Backend::Iptables] {
        if !super::firewall::on_path(backend.tool()) {
            continue;
        }
        match (backend.blocked(), backend.guarded()) {
            (Ok(blocked), Ok(guards)) => {
                holdings
                    .blocked
                    .extend(blocked.into_iter().map(|(p, e)| (backend, p, e)));
                holdings
                    .guards
                    .extend(guards.into_iter().map(|(proto, port)| LoopbackGuard {
                        proto,
                        port,
                        backend,
                    }));
            }
            (Err(error), _) | (_, Err(error)) => holdings
                .unreadable
                .push(format!("{}: {error}", backend.as_str())),
        }
    }
    holdings
}

/// Whether an action's changes should be on the host, from its latest recorded result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Applied (or a rebind committed): its changes are expected.
    InEffect,
    /// Undone or rolled back: nothing of it is expected.
    Reversed,
    /// Cut short: it accounts for whatever it touched until undone or resumed.
    CutShort,
}

fn standing(records: &[AuditRecord], action_id: &str) -> Standing {
    match audit::latest_result(records, action_id) {
        Some(ActionResult::Applied | ActionResult::Committed) => Standing::InEffect,
        Some(ActionResult::Undone | ActionResult::RolledBack | ActionResult::Recovered) => {
            Standing::Reversed
        }
        None | Some(ActionResult::Unfinished | ActionResult::Failed) => Standing::CutShort,
    }
}

/// The base actions (not undos, resumes or commits), in order.
fn bases(records: &[AuditRecord]) -> impl Iterator<Item = &AuditRecord> {
    records.iter().filter(|r| {
        r.phase == Phase::Planned
            && r.undoes.is_none()
            && r.resumes.is_none()
            && matches!(
                r.action,
                ActionKind::Stop | ActionKind::Rebind | ActionKind::Block | ActionKind::Unblock
            )
    })
}

/// Everything no journaled action accounts for.
pub fn find(records: &[AuditRecord], containers: &[Container], holdings: &Holdings) -> Vec<Stray> {
    let mut strays: Vec<Stray> = containers
        .iter()
        .filter_map(|c| stray_container(records, containers, c))
        .collect();
    strays.extend(
        holdings
            .blocked
            .iter()
            .filter_map(|(backend, proto, element)| {
                stray_block(records, *backend, *proto, element)
            }),
    );
    strays.extend(
        holdings
            .guards
            .iter()
            .filter_map(|guard| stray_guard(records, guard)),
    );
    strays
}

fn container_stray(container: &Container, why: String, force: bool) -> Stray {
    Stray {
        kind: StrayKind::Container,
        id: Some(container.id.clone()),
        name: container.name.clone(),
        why,
        remove: format!(
            "docker rm {}{}",
            if force { "-f " } else { "" },
            container.short_id()
        ),
    }
}

fn stray_container(
    records: &[AuditRecord],
    all: &[Container],
    container: &Container,
) -> Option<Stray> {
    if let Some(action) = container.label(ACTION_LABEL) {
        return labelled(records, container, action);
    }
    if let Some(base) = container.name.strip_suffix(NEW_SUFFIX) {
        let cut_short = bases(records).any(|r| {
            r.action == ActionKind::Rebind
                && r.target.name == base
                && standing(records, &r.action_id) == Standing::CutShort
        });
        return (!cut_short).then(|| {
            container_stray(
                container,
                "a replacement being prepared, which no rebind cut short accounts for".into(),
                true,
            )
        });
    }
    if container.name.ends_with(PREVIOUS_SUFFIX) {
        return kept_original(records, all, container);
    }
    None
}

/// A container carrying vigil's label: accounted while its rebind is in effect or cut short.
fn labelled(records: &[AuditRecord], container: &Container, action: &str) -> Option<Stray> {
    let known = records
        .iter()
        .any(|r| r.action_id == action && r.phase == Phase::Planned);
    let why = if !known {
        format!(
            "created by vigil action {action}, which the audit log does not hold{}",
            serving(container)
        )
    } else {
        match standing(records, action) {
            Standing::Reversed => format!(
                "created by vigil action {action}, which is {}{}",
                latest_word(records, action),
                serving(container)
            ),
            Standing::InEffect | Standing::CutShort => return None,
        }
    };
    Some(container_stray(container, why, true))
}

fn serving(container: &Container) -> String {
    if container.name.ends_with(NEW_SUFFIX) || container.name.ends_with(PREVIOUS_SUFFIX) {
        String::new()
    } else {
        " (it holds a service's name: it may be serving now; look before removing)".into()
    }
}

fn latest_word(records: &[AuditRecord], action: &str) -> String {
    audit::latest_result(records, action).map_or("interrupted".into(), |r| r.to_string())
}

/// `NAME-prev`: vigil's if a replacement's label or a rebind record names it; then accounted
/// while that rebind is applied (not committed) or cut short.
fn kept_original(
    records: &[AuditRecord],
    all: &[Container],
    container: &Container,
) -> Option<Stray> {
    let by_label = all
        .iter()
        .filter(|c| c.label(REPLACES_LABEL) == Some(container.id.as_str()))
        .filter_map(|c| c.label(ACTION_LABEL).map(str::to_string));
    let by_record = bases(records)
        .filter(|r| r.action == ActionKind::Rebind && r.target.id == container.id)
        .map(|r| r.action_id.clone());
    let actions: Vec<String> = by_label.chain(by_record).collect();
    let latest = actions.last()?;
    let known = records
        .iter()
        .any(|r| &r.action_id == latest && r.phase == Phase::Planned);
    let accounted = known
        && match standing(records, latest) {
            Standing::CutShort => true,
            Standing::InEffect => {
                audit::latest_result(records, latest) == Some(ActionResult::Applied)
            }
            Standing::Reversed => false,
        };
    (!accounted).then(|| {
        let state = if known {
            latest_word(records, latest)
        } else {
            "not in the audit log".into()
        };
        container_stray(
            container,
            format!(
                "the original kept by rebind {latest}, which is {state}: nothing needs it kept"
            ),
            false,
        )
    })
}

fn stray_block(
    records: &[AuditRecord],
    backend: Backend,
    proto: Proto,
    element: &str,
) -> Option<Stray> {
    let latest = bases(records)
        .filter(|r| {
            r.firewall.is_some_and(|spec| {
                spec.backend == backend && spec.proto == proto && spec.range.element() == element
            })
        })
        .last();
    let accounted = latest.is_some_and(|r| {
        match (r.action, standing(records, &r.action_id)) {
            (_, Standing::CutShort) => true,
            (ActionKind::Block, Standing::InEffect) => true,
            // An unblock undone or rolled back leaves the block in place.
            (ActionKind::Unblock, Standing::Reversed) => true,
            _ => false,
        }
    });
    if accounted {
        return None;
    }
    let range = super::firewall::PortRange::parse(element).ok()?;
    Some(Stray {
        kind: StrayKind::BlockedPort,
        id: None,
        name: format!("{element}/{}", proto.as_str()),
        why: match latest {
            Some(r) => format!(
                "blocked in vigil's {} rules, though action {} ({}) is {}",
                backend.as_str(),
                r.action_id,
                r.action,
                latest_word(records, &r.action_id)
            ),
            None => format!(
                "blocked in vigil's {} rules by no action in the audit log",
                backend.as_str()
            ),
        },
        remove: backend.unblock_command(proto, range),
    })
}

fn stray_guard(records: &[AuditRecord], guard: &LoopbackGuard) -> Option<Stray> {
    let accounted = bases(records)
        .filter(|r| r.action == ActionKind::Rebind && guards_of(r).contains(guard))
        .any(|r| standing(records, &r.action_id) != Standing::Reversed);
    (!accounted).then(|| Stray {
        kind: StrayKind::LoopbackGuard,
        id: None,
        name: format!("{}/{}", guard.port, guard.proto.as_str()),
        why: format!(
            "a loopback guard in vigil's {} rules that no rebind in effect added",
            guard.backend.as_str()
        ),
        remove: guard
            .backend
            .unguard_loopback_step(guard.proto, guard.port)
            .command,
    })
}

/// The guards a rebind record adds: from its subject, or (older records) its `before`.
fn guards_of(record: &AuditRecord) -> Vec<LoopbackGuard> {
    match &record.work {
        Some(work) => work.subject.guards.clone(),
        None => serde_json::from_value(record.before["loopback_guard"].clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests;
