//! Block and unblock ports in the firewall (nft table or the iptables fallback): plans and
//! execution.

use super::engine::{self, Goal, Scene, Subject, Work};
use super::error::OpsError;
use super::firewall::{self, Backend, PortRange, Proto};
use super::plan::{ActionKind, Confirmation, FirewallSpec, Plan, Step, Target, new_action_id};

fn target(spec: &FirewallSpec) -> Target {
    Target {
        id: format!("port:{}/{}", spec.proto.as_str(), spec.range.element()),
        name: format!("{}/{}", spec.range.element(), spec.proto.as_str()),
        image: String::new(),
    }
}

pub(super) fn snapshot(backend: Backend) -> serde_json::Value {
    match backend.blocked() {
        Ok(list) => serde_json::json!({
            "backend": backend.as_str(),
            "owner": firewall::table_name(),
            "blocked": list.iter().map(|(p, e)| format!("{e}/{}", p.as_str())).collect::<Vec<_>>(),
        }),
        Err(error) => {
            serde_json::json!({ "backend": backend.as_str(), "error": error.to_string() })
        }
    }
}

fn host() -> String {
    crate::util::host::host_name()
}

/// Plans blocking. `published_by` names the containers that publish these ports (for the plan).
pub fn plan_block(spec: FirewallSpec, published_by: Vec<String>) -> Plan {
    let target = target(&spec);
    let id = new_action_id(ActionKind::Block, &target);
    let backend = spec.backend;
    let mut warnings = firewall::misleading_firewalls();
    warnings.extend(backend.coverage_warnings());
    if published_by.is_empty() {
        warnings.push(
            "no container publishes this port now; a host service may still listen on it".into(),
        );
    } else {
        warnings.push(format!("published by: {}", published_by.join(", ")));
    }
    let lockout = lockout(&spec, &ssh_ports());
    warnings.extend(lockout.iter().cloned());
    let blocked = is_blocked(&spec);
    let (work, steps) = work(&spec, &id, ActionKind::Block, blocked);
    Plan {
        undo: format!(
            "vigil undo {id}  ({})",
            backend.unblock_command(spec.proto, spec.range)
        ),
        id,
        kind: ActionKind::Block,
        host: host(),
        steps,
        warnings,
        // Cutting off SSH is asked for in words, not with the port: no reflex types it.
        confirmation: if lockout.is_empty() {
            Confirmation::Type(spec.range.element())
        } else {
            Confirmation::Type(LOCKOUT_CONFIRMATION.into())
        },
        refused: firewall::cannot_change_firewall(backend)
            .or_else(|| blocked.then(|| already_blocked(&spec))),
        undoes: None,
        before: snapshot(backend),
        firewall: Some(spec),
        resumes: None,
        work: Some(work),
        target,
    }
}

/// What must be typed to block a port SSH uses.
pub const LOCKOUT_CONFIRMATION: &str = "cut off ssh";

/// A port SSH uses on this host, and how vigil knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPort {
    pub port: u16,
    pub why: String,
}

/// The ports SSH uses: the one this session came in on (`SSH_CONNECTION`'s fourth field) and
/// every port an `sshd` listens on.
fn ssh_ports() -> Vec<SshPort> {
    let listeners = crate::collect::listeners::ListenerScanner::new()
        .scan()
        .unwrap_or_default();
    ssh_ports_from(std::env::var("SSH_CONNECTION").ok().as_deref(), &listeners)
}

pub fn ssh_ports_from(
    ssh_connection: Option<&str>,
    listeners: &[crate::model::Listener],
) -> Vec<SshPort> {
    let mut ports: Vec<SshPort> = ssh_connection
        .and_then(|c| c.split_whitespace().nth(3)?.parse().ok())
        .map(|port| SshPort {
            port,
            why: "the port this SSH session came in on".into(),
        })
        .into_iter()
        .collect();
    for listener in listeners {
        if listener.process.as_deref() == Some("sshd")
            && !ports.iter().any(|p| p.port == listener.port)
        {
            ports.push(SshPort {
                port: listener.port,
                why: "sshd listens on it".into(),
            });
        }
    }
    ports
}

/// Warnings for a block that would cut SSH off; empty when it would not.
pub fn lockout(spec: &FirewallSpec, ssh: &[SshPort]) -> Vec<String> {
    if spec.proto != Proto::Tcp {
        return Vec::new();
    }
    ssh.iter()
        .filter(|p| (spec.range.first..=spec.range.last).contains(&p.port))
        .map(|p| {
            format!(
                "THIS BLOCKS SSH: port {} ({}); new SSH connections to this host will be dropped, \
                 and yours may be cut; type `{LOCKOUT_CONFIRMATION}` to go ahead",
                p.port, p.why
            )
        })
        .collect()
}

/// The operations of a block or unblock, and the steps that show them.
fn work(spec: &FirewallSpec, id: &str, kind: ActionKind, blocked: bool) -> (Work, Vec<Step>) {
    let subject = Subject {
        action_id: id.to_string(),
        kind,
        name: target(spec).name,
        original: None,
        was_running: false,
        restart: None,
        bindings: Default::default(),
        guards: Vec::new(),
        firewall: Some(*spec),
        legacy_replacement: None,
        auto_remove: false,
    };
    let scene = Scene {
        blocked: Some(blocked),
        ..Scene::default()
    };
    let ops = engine::converge(&subject, &scene, Goal::Complete).unwrap_or_default();
    Work::new(subject, Goal::Complete, ops, &scene)
}

/// True when vigil's rules already block exactly these ports.
fn is_blocked(spec: &FirewallSpec) -> bool {
    spec.backend
        .blocked()
        .unwrap_or_default()
        .iter()
        .any(|(proto, element)| *proto == spec.proto && *element == spec.range.element())
}

fn already_blocked(spec: &FirewallSpec) -> String {
    format!(
        "{}/{} is already blocked by vigil: nothing to add (`vigil actions` names the action)",
        spec.range.element(),
        spec.proto.as_str()
    )
}

/// Plans removing exactly these ports (and nft's table once it is empty).
pub fn plan_unblock(spec: FirewallSpec) -> Plan {
    let target = target(&spec);
    let id = new_action_id(ActionKind::Unblock, &target);
    let backend = spec.backend;
    let present = is_blocked(&spec);
    let reblock = backend
        .block_steps(spec.proto, spec.range)
        .last()
        .map(|step| step.command.clone())
        .unwrap_or_default();
    let (work, steps) = work(&spec, &id, ActionKind::Unblock, present);
    Plan {
        undo: format!("vigil undo {id}  ({reblock})"),
        id,
        kind: ActionKind::Unblock,
        host: host(),
        steps,
        warnings: Vec::new(),
        confirmation: Confirmation::Type(spec.range.element()),
        refused: firewall::cannot_change_firewall(backend).or_else(|| {
            (!present).then(|| {
                format!(
                    "{}/{} is not blocked by vigil (exactly this port or range must be given)",
                    spec.range.element(),
                    spec.proto.as_str()
                )
            })
        }),
        undoes: None,
        before: snapshot(backend),
        firewall: Some(spec),
        resumes: None,
        work: Some(work),
        target,
    }
}

/// Parses what the user typed into a firewall spec for the backend in use. Without a usable
/// backend the spec still parses; its plan is then refused with the reason.
pub fn spec(ports: &str, proto: Proto) -> Result<FirewallSpec, OpsError> {
    Ok(FirewallSpec {
        proto,
        range: PortRange::parse(ports)?,
        backend: firewall::selected_backend().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Listener, ListenerOwner};

    fn sshd(port: u16) -> Listener {
        Listener {
            address: "0.0.0.0".parse().expect("ip"),
            port,
            protocol: "tcp",
            inode: 1,
            pid: Some(1),
            process: Some("sshd".into()),
            user: Some("root".into()),
            owner: ListenerOwner::Host,
        }
    }

    fn spec(range: &str, proto: Proto) -> FirewallSpec {
        FirewallSpec {
            proto,
            range: PortRange::parse(range).expect("range"),
            backend: Backend::default(),
        }
    }

    #[test]
    fn a_block_covering_ssh_says_so_and_a_plain_one_does_not() {
        let ssh = ssh_ports_from(
            Some("198.18.0.2 51000 198.18.0.1 2222"),
            &[sshd(22), sshd(2222)],
        );
        assert_eq!(
            ssh.iter().map(|p| p.port).collect::<Vec<_>>(),
            vec![2222, 22]
        );
        assert_eq!(lockout(&spec("22", Proto::Tcp), &ssh).len(), 1);
        assert_eq!(lockout(&spec("1-65535", Proto::Tcp), &ssh).len(), 2);
        assert!(lockout(&spec("2222", Proto::Tcp), &ssh)[0].contains("this SSH session"));
        assert!(
            lockout(&spec("22", Proto::Udp), &ssh).is_empty(),
            "SSH is TCP"
        );
        assert!(lockout(&spec("38191", Proto::Tcp), &ssh).is_empty());
        assert!(ssh_ports_from(None, &[]).is_empty());
    }
}
