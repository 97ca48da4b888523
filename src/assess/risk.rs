//! Container risk: exposure x authentication x what the launch configuration gives away.

use super::credentials::{LaunchFacts, analyze_launch};
use crate::model::{
    AuthKind, Container, ContainerDetails, Exposure, PortBinding, ProbeReport, Risk, RiskLevel,
};

/// The verdict for one published port.
#[derive(Debug, Clone, PartialEq)]
pub struct PortVerdict {
    pub binding: PortBinding,
    pub exposure: Exposure,
    pub auth: AuthKind,
    /// True while a probe for this port has been asked for but has not answered.
    pub probe_pending: bool,
    /// Whether the host's firewall drops a new connection from outside (`None`: not judged,
    /// for a loopback port or when the rule set could not be read).
    pub firewall: Option<super::firewall::FirewallVerdict>,
}

/// Everything the containers pane and the reports show about one container's risk.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerAssessment {
    pub exposure: Exposure,
    /// Authentication of the most exposed port (`Unknown` when nothing is published).
    pub auth: AuthKind,
    pub ports: Vec<PortVerdict>,
    pub risk: Risk,
    /// The GPU memory its processes hold, per card, when it has any.
    pub gpu: Option<crate::model::ContainerGpuUse>,
}

/// What the assessment needs to know beyond the container itself: probe results by binding
/// and the Docker engine's version.
pub trait HostContext {
    fn report_for(&self, container_id: &str, binding: &PortBinding) -> Option<&ProbeReport>;
    fn is_pending(&self, container_id: &str, binding: &PortBinding) -> bool;
    /// The engine's major version (`20` for 20.10.24), when known.
    fn docker_major_version(&self) -> Option<u32> {
        None
    }
    /// What the container's processes use on the GPUs, from the latest NVML sample.
    fn gpu_use(&self, _container_id: &str) -> Option<&crate::model::ContainerGpuUse> {
        None
    }
    /// The firewall's verdict on a published port, when the rule set was read.
    fn firewall_for(
        &self,
        _container_id: &str,
        _binding: &PortBinding,
    ) -> Option<&super::firewall::FirewallVerdict> {
        None
    }
}

/// Before Docker 28, a port published on 127.0.0.1 is still reachable from hosts on the same L2
/// segment (they can route 127.0.0.1 to this host and the DNAT rule accepts it).
const LOOPBACK_SAFE_FROM_DOCKER: u32 = 28;

fn port_auth(report: Option<&ProbeReport>, facts: &LaunchFacts, protocol_is_tcp: bool) -> AuthKind {
    match report.map(|r| r.auth) {
        Some(measured) if measured != AuthKind::Unknown => measured,
        // No conclusive probe: fall back on what the launch configuration says.
        _ if protocol_is_tcp => facts.implied_auth().unwrap_or(AuthKind::Unknown),
        _ => AuthKind::Unknown,
    }
}

fn auth_evidence(report: Option<&ProbeReport>, binding: &PortBinding) -> String {
    let Some(report) = report else {
        return if binding.protocol == crate::model::Protocol::Tcp {
            "not probed yet".to_string()
        } else {
            format!("{} is not probed", binding.protocol.as_str().to_uppercase())
        };
    };
    let decisive = report
        .hits
        .iter()
        .find(|hit| hit.status.is_some_and(|s| s < 300 || s == 401 || s == 403))
        .or_else(|| report.hits.first());
    let product = report
        .product
        .as_deref()
        .map(|p| format!(", {p}"))
        .unwrap_or_default();
    match decisive {
        Some(hit) => match hit.status {
            Some(status) => format!("GET {} -> {status}{product}", hit.path),
            None => format!("GET {}: {}", hit.path, hit.note),
        },
        None => "no probe answer".to_string(),
    }
}

/// Assesses one container. `extra_ports` are host-network listeners attributed to it.
pub fn assess_container(
    container: &Container,
    details: Option<&ContainerDetails>,
    extra_ports: &[PortBinding],
    probes: &dyn HostContext,
) -> ContainerAssessment {
    let facts = details
        .map(|d| analyze_launch(&d.command_line(), &d.env))
        .unwrap_or_default();

    let bindings: Vec<PortBinding> = container
        .ports
        .iter()
        .chain(extra_ports.iter())
        .cloned()
        .collect();
    let ports: Vec<PortVerdict> = bindings
        .into_iter()
        .map(|binding| {
            let report = probes.report_for(&container.id, &binding);
            PortVerdict {
                exposure: binding.exposure(),
                auth: port_auth(
                    report,
                    &facts,
                    binding.protocol == crate::model::Protocol::Tcp,
                ),
                probe_pending: probes.is_pending(&container.id, &binding),
                firewall: probes.firewall_for(&container.id, &binding).cloned(),
                binding,
            }
        })
        .collect();

    let exposure = ports
        .iter()
        .map(|p| p.exposure)
        .max()
        .unwrap_or(Exposure::None);
    let auth = worst_auth(&ports, exposure);
    let mut risk = Risk::new(RiskLevel::Info);

    if ports.is_empty() {
        if let Some(configured) = details
            .map(|d| &d.configured_ports)
            .filter(|ports| !ports.is_empty())
        {
            let shown: Vec<String> = configured.iter().map(PortBinding::display).collect();
            risk.raise(
                RiskLevel::Info,
                format!(
                    "{}; publishes {} when started",
                    container.state.as_str(),
                    shown.join(", ")
                ),
            );
        } else {
            risk.raise(RiskLevel::Info, "nothing published");
        }
    }

    for port in &ports {
        let report = probes.report_for(&container.id, &port.binding);
        let shown = port.binding.display();
        // A public port: its level and reason from the authentication, then what the firewall
        // does to it.
        let public = match port.auth {
            AuthKind::None => (
                RiskLevel::Critical,
                format!(
                    "{shown} reachable from outside with no authentication ({})",
                    auth_evidence(report, &port.binding)
                ),
            ),
            AuthKind::Unknown => (
                RiskLevel::High,
                format!(
                    "{shown} reachable from outside; authentication unknown ({})",
                    auth_evidence(report, &port.binding)
                ),
            ),
            kind => (
                RiskLevel::Medium,
                format!(
                    "{shown} reachable from outside behind {} authentication",
                    kind.as_str()
                ),
            ),
        };
        match port.exposure {
            Exposure::Public => {
                let (level, reason) =
                    through_firewall(public.0, public.1, &shown, port.firewall.as_ref());
                risk.raise(level, reason);
            }
            _ => match probes.docker_major_version() {
                Some(major) if major < LOOPBACK_SAFE_FROM_DOCKER => risk.raise(
                    RiskLevel::Low,
                    format!(
                        "{shown} published on loopback only, but Docker {major} (< 28) still \
                         forwards it to hosts on the same L2 segment"
                    ),
                ),
                _ => risk.raise(
                    RiskLevel::Low,
                    format!("{shown} published on loopback only"),
                ),
            },
        }
        if let Some(report) = report {
            for leak in &report.leaks {
                let level = if port.exposure == Exposure::Public {
                    RiskLevel::High
                } else {
                    RiskLevel::Low
                };
                risk.raise(level, format!("{shown}: {leak}"));
            }
        }
    }

    let outside = exposure == Exposure::Public;
    let credential_level = if outside {
        RiskLevel::High
    } else {
        RiskLevel::Low
    };
    for signal in &facts.credentials {
        match &signal.weakness {
            Some(why) => risk.raise(
                credential_level,
                format!(
                    "weak credential in {}: {} ({why})",
                    signal.source, signal.masked
                ),
            ),
            None => risk.raise(
                credential_level,
                format!(
                    "credential visible to anyone who can inspect the container: {} {}",
                    signal.source, signal.masked
                ),
            ),
        }
    }
    if let Some(source) = &facts.share_tunnel {
        // A share tunnel reaches the internet whatever the bind address: no firewall stops it.
        if container.state == crate::model::ContainerState::Running {
            risk.raise(
                RiskLevel::High,
                format!("public share tunnel requested ({source}): reachable from the internet through the tunnel whatever the bind address"),
            );
        } else {
            risk.raise(
                RiskLevel::Info,
                format!("public share tunnel requested ({source}) when running"),
            );
        }
    }
    if let Some(source) = &facts.listen_all
        && outside
    {
        risk.raise(
            RiskLevel::Info,
            format!("application told to listen on all interfaces ({source})"),
        );
    }
    if container.health == crate::model::Health::Unhealthy {
        risk.raise(RiskLevel::Info, "healthcheck failing (unhealthy)");
    }
    let gpu = probes.gpu_use(&container.id).cloned();
    if let Some(gpu) = &gpu {
        assess_gpu_use(&mut risk, gpu, exposure, auth, &facts);
    }
    ContainerAssessment {
        exposure,
        auth,
        ports,
        risk,
        gpu,
    }
}

/// A GPU is free compute: a public service that lets anyone in and runs on a GPU is the
/// cryptominer's and the free-image-generator's first target.
fn assess_gpu_use(
    risk: &mut Risk,
    gpu: &crate::model::ContainerGpuUse,
    exposure: Exposure,
    auth: AuthKind,
    facts: &LaunchFacts,
) {
    let cards = gpu.display();
    let weak_credential = facts.credentials.iter().any(|c| c.weakness.is_some());
    match (exposure, auth) {
        (Exposure::Public, AuthKind::None) => risk.raise_ahead(
            RiskLevel::Critical,
            format!("GPU in use by an unauthenticated public service (GPU {cards})"),
        ),
        (Exposure::Public, _) if weak_credential => risk.raise_ahead(
            RiskLevel::Critical,
            format!("GPU in use by a public service with a weak credential (GPU {cards})"),
        ),
        (Exposure::Public, AuthKind::Unknown) => risk.raise_ahead(
            RiskLevel::High,
            format!("GPU in use by a public service whose authentication is unknown (GPU {cards})"),
        ),
        _ => risk.raise(RiskLevel::Info, format!("uses GPU {cards}")),
    }
}

/// The container-level auth: that of the weakest port among the most exposed ones.
/// A public port's risk once the firewall's verdict is known: dropped for every outsider, it
/// is published but closed (low); accepted only for some sources before a drop, one level
/// lower and said; open or unknown, as it was, with what the firewall does said.
fn through_firewall(
    level: RiskLevel,
    reason: String,
    shown: &str,
    firewall: Option<&super::firewall::FirewallVerdict>,
) -> (RiskLevel, String) {
    use super::firewall::FirewallVerdict as F;
    let said = |exceptions: &[super::firewall::Exception], dropped: bool| {
        exceptions
            .iter()
            .filter(|e| e.dropped == dropped)
            .map(|e| format!("{} ({})", e.when, e.rule))
            .collect::<Vec<_>>()
    };
    match firewall {
        None => (level, reason),
        Some(F::Open { exceptions }) => match said(exceptions, true) {
            dropped if dropped.is_empty() => (level, reason),
            dropped => (
                level,
                format!(
                    "{reason}; the firewall drops it only {}",
                    dropped.join(", ")
                ),
            ),
        },
        Some(F::Filtered { rule, exceptions }) => match said(exceptions, false) {
            accepted if accepted.is_empty() => (
                RiskLevel::Low,
                format!("{shown} published but dropped by the firewall ({rule})"),
            ),
            accepted => (
                one_lower(level),
                format!(
                    "{reason}; but only {}: dropped for others by {rule}",
                    accepted.join(", ")
                ),
            ),
        },
        Some(F::Unknown { why }) => (level, format!("{reason}; firewall: unknown ({why})")),
    }
}

fn one_lower(level: RiskLevel) -> RiskLevel {
    match level {
        RiskLevel::Critical => RiskLevel::High,
        RiskLevel::High => RiskLevel::Medium,
        RiskLevel::Medium => RiskLevel::Low,
        _ => RiskLevel::Info,
    }
}

fn worst_auth(ports: &[PortVerdict], exposure: Exposure) -> AuthKind {
    let rank = |kind: AuthKind| match kind {
        AuthKind::None => 0,
        AuthKind::Unknown => 1,
        AuthKind::Login => 2,
        AuthKind::Basic => 3,
        AuthKind::ApiKey => 4,
    };
    ports
        .iter()
        .filter(|p| p.exposure == exposure)
        .map(|p| p.auth)
        .min_by_key(|kind| rank(*kind))
        .unwrap_or(AuthKind::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerState, Health, ProbeHit, Protocol};
    use std::collections::HashMap;

    struct Probes(HashMap<u16, ProbeReport>);

    impl HostContext for Probes {
        fn report_for(&self, _: &str, binding: &PortBinding) -> Option<&ProbeReport> {
            self.0.get(&binding.host_port)
        }
        fn is_pending(&self, _: &str, _: &PortBinding) -> bool {
            false
        }
    }

    fn container(ports: &[(&str, u16, u16)]) -> Container {
        Container {
            id: "a".repeat(64),
            name: "sdnext".into(),
            image: "sdnext:latest".into(),
            state: ContainerState::Running,
            health: Health::None,
            status_text: "Up 5 minutes".into(),
            created_unix: 0,
            ports: ports
                .iter()
                .map(|(ip, host, inner)| PortBinding {
                    host_ip: ip.to_string(),
                    host_port: *host,
                    container_port: *inner,
                    protocol: Protocol::Tcp,
                })
                .collect(),
            labels: vec![],
            network_mode: "bridge".into(),
        }
    }

    fn report(auth: AuthKind, path: &str, status: u16) -> ProbeReport {
        ProbeReport {
            target: "127.0.0.1:1".into(),
            auth,
            product: Some("Gradio".into()),
            leaks: vec![],
            hits: vec![ProbeHit {
                path: path.into(),
                status: Some(status),
                note: String::new(),
            }],
        }
    }

    fn details(args: &[&str], env: &[&str]) -> ContainerDetails {
        ContainerDetails {
            id: "a".repeat(64),
            path: "python".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: env.iter().map(|s| s.to_string()).collect(),
            ..ContainerDetails::default()
        }
    }

    #[test]
    fn public_without_auth_is_critical_with_evidence() {
        let c = container(&[("0.0.0.0", 36325, 7860)]);
        let probes = Probes(HashMap::from([(
            36325,
            report(AuthKind::None, "/config", 200),
        )]));
        let a = assess_container(&c, None, &[], &probes);
        assert_eq!(a.exposure, Exposure::Public);
        assert_eq!(a.auth, AuthKind::None);
        assert_eq!(a.risk.level, RiskLevel::Critical);
        assert!(a.risk.reasons[0].contains("0.0.0.0:36325->7860/tcp"));
        assert!(a.risk.reasons[0].contains("GET /config -> 200, Gradio"));
    }

    #[test]
    fn public_behind_auth_is_medium_and_loopback_is_low() {
        let c = container(&[("0.0.0.0", 8080, 80)]);
        let probes = Probes(HashMap::from([(8080, report(AuthKind::Basic, "/", 401))]));
        assert_eq!(
            assess_container(&c, None, &[], &probes).risk.level,
            RiskLevel::Medium
        );

        let c = container(&[("127.0.0.1", 5000, 8000)]);
        let probes = Probes(HashMap::from([(5000, report(AuthKind::None, "/", 200))]));
        let a = assess_container(&c, None, &[], &probes);
        assert_eq!(a.exposure, Exposure::Local);
        assert_eq!(a.risk.level, RiskLevel::Low);
    }

    #[test]
    fn weak_credential_makes_protected_public_service_high() {
        let c = container(&[("0.0.0.0", 7860, 7860)]);
        let d = details(
            &["--listen", "--username", "admin", "--password", "goldman"],
            &[],
        );
        let probes = Probes(HashMap::from([(
            7860,
            report(AuthKind::Login, "/config", 401),
        )]));
        let a = assess_container(&c, Some(&d), &[], &probes);
        assert_eq!(a.risk.level, RiskLevel::High);
        let all = a.risk.reasons.join("\n");
        assert!(
            all.contains("weak credential in arg --password: g…(7 chars)"),
            "{all}"
        );
        assert!(!all.contains("goldman"));
    }

    struct OldDocker(Probes);

    impl HostContext for OldDocker {
        fn report_for(&self, id: &str, binding: &PortBinding) -> Option<&ProbeReport> {
            self.0.report_for(id, binding)
        }
        fn is_pending(&self, _: &str, _: &PortBinding) -> bool {
            false
        }
        fn docker_major_version(&self) -> Option<u32> {
            Some(20)
        }
    }

    #[test]
    fn loopback_on_docker_before_28_says_it_leaks_to_the_segment() {
        let c = container(&[("127.0.0.1", 5000, 8000)]);
        let a = assess_container(&c, None, &[], &OldDocker(Probes(HashMap::new())));
        assert_eq!(a.risk.level, RiskLevel::Low);
        assert!(
            a.risk.reasons[0].contains("same L2 segment"),
            "{:?}",
            a.risk.reasons
        );
        let a = assess_container(&c, None, &[], &Probes(HashMap::new()));
        assert!(!a.risk.reasons[0].contains("L2"));
    }

    #[test]
    fn nothing_published_is_info_and_share_tunnel_is_high() {
        let c = container(&[]);
        let a = assess_container(&c, None, &[], &Probes(HashMap::new()));
        assert_eq!(a.exposure, Exposure::None);
        assert_eq!(a.risk.level, RiskLevel::Info);

        let d = details(&["app.py"], &["GRADIO_SHARE=true"]);
        let a = assess_container(&c, Some(&d), &[], &Probes(HashMap::new()));
        assert_eq!(a.risk.level, RiskLevel::High);
    }

    #[test]
    fn unprobed_public_port_falls_back_on_launch_args() {
        let c = container(&[("0.0.0.0", 8000, 8000)]);
        let d = details(&["--api-key-file", "/run/secrets/key"], &[]);
        let a = assess_container(&c, Some(&d), &[], &Probes(HashMap::new()));
        assert_eq!(a.auth, AuthKind::ApiKey);
        assert_eq!(a.risk.level, RiskLevel::Medium);

        let a = assess_container(&c, None, &[], &Probes(HashMap::new()));
        assert_eq!(a.auth, AuthKind::Unknown);
        assert_eq!(a.risk.level, RiskLevel::High);
    }

    #[test]
    fn the_firewall_verdict_moves_a_public_port_risk() {
        use crate::assess::firewall::{Exception, FirewallVerdict as F};
        let reason =
            || "0.0.0.0:8080->80/tcp reachable from outside with no authentication".to_string();
        let rule = "inet guard forward handle 4".to_string();
        let dropped = F::Filtered {
            rule: rule.clone(),
            exceptions: vec![],
        };
        let (level, said) = through_firewall(
            RiskLevel::Critical,
            reason(),
            "0.0.0.0:8080",
            Some(&dropped),
        );
        assert_eq!(level, RiskLevel::Low);
        assert!(
            said.contains("dropped by the firewall") && said.contains(&rule),
            "{said}"
        );
        let lan = Exception {
            when: "from 10.0.0.0/8".into(),
            dropped: false,
            rule: "inet guard forward handle 3".into(),
        };
        let partly = F::Filtered {
            rule,
            exceptions: vec![lan],
        };
        let (level, said) =
            through_firewall(RiskLevel::Critical, reason(), "0.0.0.0:8080", Some(&partly));
        assert_eq!(level, RiskLevel::High);
        assert!(said.contains("but only from 10.0.0.0/8"), "{said}");
        let unknown = F::Unknown {
            why: "ip filter INPUT handle 9: cannot evaluate xt".into(),
        };
        let (level, said) = through_firewall(
            RiskLevel::Critical,
            reason(),
            "0.0.0.0:8080",
            Some(&unknown),
        );
        assert_eq!(
            level,
            RiskLevel::Critical,
            "unknown is never the optimistic answer"
        );
        assert!(said.contains("firewall: unknown"), "{said}");
        let (level, _) = through_firewall(
            RiskLevel::Critical,
            reason(),
            "0.0.0.0:8080",
            Some(&F::Open { exceptions: vec![] }),
        );
        assert_eq!(level, RiskLevel::Critical);
    }
}
