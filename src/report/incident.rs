//! The incident report: one document from one snapshot, for the hand-over. The same value is
//! written as JSON (stable schema, `schema` names its version) or as Markdown that renders on
//! GitHub. Every string that came from the host or a repository is attacker-controlled: in the
//! Markdown it is escaped (control and bidi characters visible, table pipes and backticks
//! neutralised). Secrets appear only masked, with their fingerprints.

use crate::incident::Snapshot;
use crate::incident::checklist::Checklist;
use crate::incident::marks::{MarkKind, Marks};
use crate::model::{GpuSnapshot, short_bytes};
use crate::ops::audit::ActionSummary;
use crate::report::containers::ContainersReport;
use crate::secrets::finding::Source;
use crate::timeline::Timeline;
use crate::util::text::escape;
use serde::Serialize;

pub const SCHEMA: &str = "vigil-incident-report/1";

/// One secret with every place it still lives.
#[derive(Debug, Clone, Serialize)]
pub struct SecretEntry {
    pub rule: String,
    pub masked: String,
    pub fingerprint: String,
    pub severity: String,
    pub compromised: bool,
    pub worktree: Vec<String>,
    pub history: Vec<String>,
    pub containers: Vec<String>,
    pub rotate: String,
    /// The checklist note when it was marked rotated.
    pub rotated: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitEntry {
    pub id: String,
    pub time: String,
    pub author: String,
    pub score: f64,
    pub signals: Vec<String>,
    pub subject: String,
    /// The checklist note when it was marked reviewed.
    pub reviewed: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BurstEntry {
    pub identity: String,
    pub commits: usize,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepositoryEntry {
    pub repo: String,
    pub commits: usize,
    pub suspicious: Vec<CommitEntry>,
    pub bursts: Vec<BurstEntry>,
    pub first_suspicious: Option<String>,
    pub safe_state: Option<String>,
    pub safe_state_commands: Vec<String>,
}

#[derive(Serialize)]
pub struct IncidentReport {
    pub schema: &'static str,
    pub header: crate::incident::Header,
    pub checklist: Checklist,
    pub exposure: ContainersReport,
    pub gpu: GpuSnapshot,
    pub secrets: Vec<SecretEntry>,
    pub repositories: Vec<RepositoryEntry>,
    pub actions: Vec<ActionSummary>,
    /// What vigil left that no journaled action accounts for.
    pub strays: Vec<crate::ops::strays::Stray>,
    /// The open items, most urgent first: actions cut short and strays, then the checklist's.
    pub remaining: Vec<String>,
}

/// The report of one snapshot.
pub fn build(snapshot: &Snapshot<'_>) -> IncidentReport {
    let marks = snapshot.marks;
    let exposure = ContainersReport::build(snapshot.inventory);
    let note = |kind: MarkKind, key: &str| marks.get(kind, key).map(|m| m.note.clone());
    let secrets: Vec<SecretEntry> = snapshot
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            let places = |source: Source| -> Vec<String> {
                f.locations
                    .iter()
                    .filter(|l| l.source == source)
                    .map(|l| l.short())
                    .collect()
            };
            let mut containers = places(Source::Container);
            containers.extend(places(Source::Compose));
            SecretEntry {
                rule: f.rule.clone(),
                masked: f.masked.clone(),
                fingerprint: f.fingerprint.clone(),
                severity: f.severity.as_str().to_string(),
                compromised: f.compromised,
                worktree: places(Source::Worktree),
                history: places(Source::History),
                containers,
                rotate: f.rotate.clone(),
                rotated: note(MarkKind::Secret, &f.fingerprint),
            }
        })
        .collect();
    let repositories: Vec<RepositoryEntry> = snapshot
        .timelines
        .iter()
        .map(|t| repository_entry(t, snapshot.threshold, marks))
        .collect();
    let mut remaining = unsettled(&snapshot.actions, &snapshot.strays);
    remaining.extend(self::remaining(&exposure, &secrets, &repositories, marks));
    IncidentReport {
        schema: SCHEMA,
        header: snapshot.header.clone(),
        checklist: snapshot.checklist,
        exposure,
        gpu: snapshot.gpu.clone(),
        secrets,
        repositories,
        actions: snapshot.actions.clone(),
        strays: snapshot.strays.clone(),
        remaining,
    }
}

/// Actions cut short and what vigil left stray: the host may be half-changed until these are
/// settled, so they come first.
fn unsettled(actions: &[ActionSummary], strays: &[crate::ops::strays::Stray]) -> Vec<String> {
    let mut open: Vec<String> = actions
        .iter()
        .filter(|a| a.needs_attention())
        .map(|a| {
            format!(
                "settle {} {} of {} ({}{}): {}",
                a.action,
                a.action_id,
                a.target,
                a.state,
                a.stopped_at
                    .as_deref()
                    .map(|s| format!("; its journal ends at {s}"))
                    .unwrap_or_default(),
                a.undo
            )
        })
        .collect();
    open.extend(strays.iter().map(crate::ops::strays::Stray::describe));
    open
}

fn repository_entry(timeline: &Timeline, threshold: f64, marks: &Marks) -> RepositoryEntry {
    let time = |seconds: i64| {
        jiff::Timestamp::from_second(seconds)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| seconds.to_string())
    };
    RepositoryEntry {
        repo: timeline.repo.clone(),
        commits: timeline.commits.len(),
        suspicious: timeline
            .commits
            .iter()
            .filter(|c| c.score >= threshold)
            .map(|c| CommitEntry {
                id: c.id.to_string(),
                time: time(c.author_time),
                author: format!("{} <{}>", c.author, c.author_email),
                score: c.score,
                signals: c.signals.iter().map(|s| s.kind.tag().to_string()).collect(),
                subject: c.subject.to_string(),
                reviewed: marks
                    .get(MarkKind::Commit, &c.id.to_string())
                    .map(|m| m.note.clone()),
            })
            .collect(),
        bursts: timeline
            .bursts
            .iter()
            .map(|b| BurstEntry {
                identity: b.identity.clone(),
                commits: b.commits.len(),
                start: time(b.start),
                end: time(b.end),
            })
            .collect(),
        first_suspicious: timeline.first_suspicious.map(|id| id.to_string()),
        safe_state: timeline.safe_state.map(|id| id.to_string()),
        safe_state_commands: timeline.safe_state_commands(),
    }
}

/// The open items: what is still exposed, not rotated, not reviewed.
fn remaining(
    exposure: &ContainersReport,
    secrets: &[SecretEntry],
    repositories: &[RepositoryEntry],
    marks: &Marks,
) -> Vec<String> {
    let mut open = Vec::new();
    for c in &exposure.containers {
        let wide_open =
            c.exposure == crate::model::Exposure::Public && c.auth == crate::model::AuthKind::None;
        if wide_open && !marks.is_marked(MarkKind::Container, &c.name) {
            open.push(format!(
                "isolate {} (public, no authentication): {}",
                c.name,
                c.reasons.first().cloned().unwrap_or_default()
            ));
        }
    }
    for s in secrets.iter().filter(|s| s.rotated.is_none()) {
        open.push(format!(
            "rotate {} {}{}: {}",
            s.rule,
            s.masked,
            if s.compromised { " (compromised)" } else { "" },
            s.rotate
        ));
    }
    for repo in repositories {
        for c in repo.suspicious.iter().filter(|c| c.reviewed.is_none()) {
            open.push(format!(
                "review commit {} in {} (score {:.1}: {})",
                &c.id[..c.id.len().min(10)],
                repo.repo,
                c.score,
                c.signals.join(", ")
            ));
        }
    }
    open
}

/// The open items at or above `level`: containers by their risk (unless marked), secrets by
/// their severity (compromised ones count as critical; unless marked rotated), suspicious
/// commits as high (unless marked reviewed).
pub fn open_at_or_above(
    report: &IncidentReport,
    marks: &Marks,
    level: crate::model::RiskLevel,
) -> Vec<String> {
    use crate::model::RiskLevel;
    let mut open = Vec::new();
    for c in &report.exposure.containers {
        if c.risk >= level && !marks.is_marked(MarkKind::Container, &c.name) {
            open.push(format!("container {} ({})", c.name, c.risk));
        }
    }
    for s in report.secrets.iter().filter(|s| s.rotated.is_none()) {
        let severity = if s.compromised {
            RiskLevel::Critical
        } else {
            RiskLevel::parse(&s.severity).unwrap_or(RiskLevel::High)
        };
        if severity >= level {
            open.push(format!("secret {} {} ({severity})", s.rule, s.masked));
        }
    }
    if RiskLevel::High >= level {
        for repo in &report.repositories {
            for c in repo.suspicious.iter().filter(|c| c.reviewed.is_none()) {
                open.push(format!("commit {} in {}", c.id, repo.repo));
            }
        }
    }
    open
}

pub fn to_json(report: &IncidentReport) -> String {
    crate::util::json::to_string_pretty(report)
        .unwrap_or_else(|err| serde_json::json!({ "error": err.to_string() }).to_string())
}

/// A table cell: one line, escaped, pipes and backticks neutralised.
fn cell(text: &str) -> String {
    escape(text)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

pub fn to_markdown(report: &IncidentReport) -> String {
    let mut out = String::new();
    let h = &report.header;
    out.push_str(&format!("# Incident report: {}\n\n", cell(&h.host)));
    table(
        &mut out,
        &["field", "value"],
        &[
            vec!["host".into(), h.host.clone()],
            vec!["time (UTC)".into(), h.time_utc.clone()],
            vec!["time (local)".into(), h.time_local.clone()],
            vec!["vigil".into(), h.vigil_version.clone()],
            vec![
                "Docker".into(),
                h.docker_version
                    .clone()
                    .unwrap_or_else(|| "unavailable".into()),
            ],
            vec!["operator".into(), h.operator.clone()],
            vec![
                "mode".into(),
                if h.read_only {
                    "read-only (observer)"
                } else {
                    "read-write (operator)"
                }
                .into(),
            ],
        ],
    );
    for problem in &h.problems {
        out.push_str(&format!("> {}\n", cell(problem)));
    }
    if !h.problems.is_empty() {
        out.push('\n');
    }

    let c = &report.checklist;
    out.push_str("## Recovery checklist\n\n");
    table(
        &mut out,
        &["measure", "done", "found"],
        &[
            vec![
                "secrets rotated".into(),
                c.secrets_rotated.to_string(),
                c.secrets_found.to_string(),
            ],
            vec![
                "public unauthenticated services isolated".into(),
                c.exposures_isolated.to_string(),
                c.exposures_found.to_string(),
            ],
            vec![
                "suspicious commits reviewed".into(),
                c.commits_reviewed.to_string(),
                c.commits_flagged.to_string(),
            ],
        ],
    );

    out.push_str("## Exposure audit\n\n");
    let rows: Vec<Vec<String>> = report
        .exposure
        .containers
        .iter()
        .map(|c| {
            let ports: Vec<String> = c
                .ports
                .iter()
                .map(|p| {
                    let firewall = match (p.firewall, &p.firewall_rule) {
                        (Some("filtered"), Some(rule)) => {
                            format!(" (firewall: filtered by {rule})")
                        }
                        (Some("unknown"), _) => " (firewall: unknown)".to_string(),
                        _ => String::new(),
                    };
                    format!(
                        "{}:{}->{}/{}{firewall}",
                        p.host_ip, p.host_port, p.container_port, p.protocol
                    )
                })
                .collect();
            vec![
                c.name.clone(),
                c.state.to_string(),
                if ports.is_empty() {
                    "-".into()
                } else {
                    ports.join(", ")
                },
                c.auth.as_str().to_string(),
                c.risk.as_str().to_string(),
                c.reasons.join("; "),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("No containers.\n\n");
    } else {
        table(
            &mut out,
            &[
                "container",
                "state",
                "published ports",
                "auth",
                "risk",
                "reasons",
            ],
            &rows,
        );
    }
    if !report.exposure.listeners.is_empty() {
        out.push_str("Host listeners (not containers):\n\n");
        let rows: Vec<Vec<String>> = report
            .exposure
            .listeners
            .iter()
            .map(|l| {
                vec![
                    format!("{}:{}", l.address, l.port),
                    l.exposure.marker().to_string(),
                    match (l.firewall, &l.firewall_rule) {
                        (Some("filtered"), Some(rule)) => format!("filtered by {rule}"),
                        (Some(word), _) => word.to_string(),
                        (None, _) => "-".into(),
                    },
                    l.process.clone().unwrap_or_else(|| "?".into()),
                    l.user.clone().unwrap_or_else(|| "?".into()),
                ]
            })
            .collect();
        table(
            &mut out,
            &["address", "exposure", "firewall", "process", "user"],
            &rows,
        );
    }

    out.push_str("## GPUs\n\n");
    if !report.gpu.available {
        out.push_str(&format!(
            "No GPU data: {}\n\n",
            cell(report.gpu.reason.as_deref().unwrap_or("unknown reason"))
        ));
    } else {
        let rows: Vec<Vec<String>> = report
            .gpu
            .gpus
            .iter()
            .map(|g| {
                let processes: Vec<String> = g
                    .processes
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {} {}",
                            p.pid,
                            p.container_name
                                .clone()
                                .or_else(|| p
                                    .container_id
                                    .as_ref()
                                    .map(|id| id.chars().take(12).collect()))
                                .unwrap_or_else(|| "host".into()),
                            p.used_memory_bytes.map_or("n/a".into(), short_bytes)
                        )
                    })
                    .collect();
                vec![
                    g.index.to_string(),
                    g.name.clone().unwrap_or_else(|| "n/a".into()),
                    g.utilization_gpu.map_or("n/a".into(), |u| format!("{u}%")),
                    match (g.memory_used_bytes, g.memory_total_bytes) {
                        (Some(u), Some(t)) => format!("{}/{}", short_bytes(u), short_bytes(t)),
                        _ => "n/a".into(),
                    },
                    if processes.is_empty() {
                        "-".into()
                    } else {
                        processes.join("; ")
                    },
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "GPU",
                "name",
                "util",
                "memory",
                "processes (pid container memory)",
            ],
            &rows,
        );
    }

    out.push_str("## Secrets\n\n");
    if report.secrets.is_empty() {
        out.push_str("No secret found.\n\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .secrets
            .iter()
            .map(|s| {
                let mut places = Vec::new();
                if !s.worktree.is_empty() {
                    places.push(format!("working tree: {}", s.worktree.join(", ")));
                }
                if !s.history.is_empty() {
                    places.push(format!("history: {} place(s)", s.history.len()));
                }
                if !s.containers.is_empty() {
                    places.push(format!("containers: {}", s.containers.join(", ")));
                }
                vec![
                    s.masked.clone(),
                    s.rule.clone(),
                    if s.compromised {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    places.join("; "),
                    s.rotate.clone(),
                    s.rotated.clone().unwrap_or_else(|| "open".into()),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "secret (masked)",
                "rule",
                "compromised",
                "still lives in",
                "rotation",
                "rotated",
            ],
            &rows,
        );
    }

    out.push_str("## Suspicious commits\n\n");
    if report.repositories.is_empty() {
        out.push_str("No repository read.\n\n");
    }
    for repo in &report.repositories {
        out.push_str(&format!("### {}\n\n", cell(&repo.repo)));
        if repo.suspicious.is_empty() {
            out.push_str(&format!("{} commits, none suspicious.\n\n", repo.commits));
        } else {
            let rows: Vec<Vec<String>> = repo
                .suspicious
                .iter()
                .map(|c| {
                    vec![
                        c.id.chars().take(10).collect(),
                        c.time.clone(),
                        c.author.clone(),
                        format!("{:.1}", c.score),
                        c.signals.join(", "),
                        c.subject.clone(),
                        c.reviewed.clone().unwrap_or_else(|| "open".into()),
                    ]
                })
                .collect();
            table(
                &mut out,
                &[
                    "commit",
                    "time (UTC)",
                    "author",
                    "score",
                    "signals",
                    "subject",
                    "reviewed",
                ],
                &rows,
            );
        }
        for burst in &repo.bursts {
            out.push_str(&format!(
                "- burst: {} commits by {} from {} to {}\n",
                burst.commits,
                cell(&burst.identity),
                burst.start,
                burst.end
            ));
        }
        if let Some(safe) = &repo.safe_state {
            out.push_str(&format!("- safe state: `{safe}`\n"));
        }
        out.push('\n');
    }

    out.push_str("## Actions taken\n\n");
    if report.actions.is_empty() {
        out.push_str("None recorded in the audit log.\n\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .actions
            .iter()
            .map(|a| {
                vec![
                    a.time.clone(),
                    a.action.to_string(),
                    a.target.clone(),
                    a.user.clone(),
                    a.state.to_string(),
                    a.undo.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["time", "action", "target", "user", "result", "undo"],
            &rows,
        );
    }

    out.push_str("## What remains\n\n");
    if report.remaining.is_empty() {
        out.push_str("Nothing open on the checklist.\n");
    } else {
        for item in &report.remaining {
            out.push_str(&format!("- [ ] {}\n", cell(item)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::inventory::Inventory;
    use crate::model::RiskLevel;

    fn report(secret_severity: &str, compromised: bool) -> IncidentReport {
        IncidentReport {
            schema: SCHEMA,
            header: crate::incident::Header {
                host: "gpu-01".into(),
                time_utc: "2026-03-27T03:00:00Z".into(),
                time_local: "2026-03-27 03:00:00 +00:00 UTC".into(),
                vigil_version: "0".into(),
                docker_version: None,
                operator: "root".into(),
                read_only: true,
                problems: vec![],
            },
            checklist: Default::default(),
            exposure: ContainersReport::build(&Inventory::default()),
            gpu: crate::model::GpuSnapshot::unavailable("none"),
            secrets: vec![SecretEntry {
                rule: "hf-token".into(),
                masked: "hf_a…(37 chars)".into(),
                fingerprint: "ab".repeat(32),
                severity: secret_severity.into(),
                compromised,
                worktree: vec![],
                history: vec![],
                containers: vec![],
                rotate: "revoke it".into(),
                rotated: None,
            }],
            repositories: vec![RepositoryEntry {
                repo: "/srv/app".into(),
                commits: 2,
                suspicious: vec![CommitEntry {
                    id: "c0".repeat(20),
                    time: "2026-03-27T03:00:00Z".into(),
                    author: "ci-bot".into(),
                    score: 5.0,
                    signals: vec!["burst".into()],
                    subject: "update".into(),
                    reviewed: None,
                }],
                bursts: vec![],
                first_suspicious: None,
                safe_state: None,
                safe_state_commands: vec![],
            }],
            actions: vec![],
            strays: vec![],
            remaining: vec![],
        }
    }

    #[test]
    fn fail_on_levels_for_secrets_and_commits() {
        let marks = Marks::default();
        // A medium secret and a suspicious commit (counted as high).
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::Critical);
        assert!(open.is_empty(), "{open:?}");
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::High);
        assert_eq!(open.len(), 1, "only the commit: {open:?}");
        assert!(open[0].starts_with("commit "));
        let open = open_at_or_above(&report("medium", false), &marks, RiskLevel::Medium);
        assert_eq!(open.len(), 2);
        // A compromised secret is critical whatever its rule's severity.
        let open = open_at_or_above(&report("low", true), &marks, RiskLevel::Critical);
        assert_eq!(open.len(), 1);
        assert!(open[0].contains("(critical)"), "{open:?}");
        // Reviewed and rotated: nothing open.
        let mut done = report("low", true);
        done.secrets[0].rotated = Some("rotated".into());
        done.repositories[0].suspicious[0].reviewed = Some("audited".into());
        assert!(open_at_or_above(&done, &marks, RiskLevel::Info).is_empty());
    }
}
