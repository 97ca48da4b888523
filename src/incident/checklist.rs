//! The recovery checklist: the three numbers the recovery plan measures success by (secrets
//! revoked, systems isolated, suspicious commits audited), each as done / found. One pure
//! function, so the header, the report and `vigil scan all` cannot disagree.

use crate::incident::inventory::Inventory;
use crate::incident::marks::{MarkKind, Marks};
use crate::model::{AuthKind, Exposure};
use crate::secrets::finding::Finding;
use crate::timeline::Timeline;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub secrets_rotated: usize,
    pub secrets_found: usize,
    pub exposures_isolated: usize,
    pub exposures_found: usize,
    pub commits_reviewed: usize,
    pub commits_flagged: usize,
}

impl Checklist {
    /// `rotated 1/3 · isolated 0/2 · reviewed 2/5`.
    pub fn line(&self) -> String {
        format!(
            "rotated {}/{} · isolated {}/{} · reviewed {}/{}",
            self.secrets_rotated,
            self.secrets_found,
            self.exposures_isolated,
            self.exposures_found,
            self.commits_reviewed,
            self.commits_flagged
        )
    }
}

/// Secrets: every finding that is not suppressed, rotated when marked. Exposures: containers
/// open to the world without authentication now, plus those marked (a container isolated by a
/// rebind or a block is no longer open; its mark is what remembers it). Commits: those at or
/// above the suspicion threshold, reviewed when marked.
pub fn compute(
    inventory: &Inventory,
    findings: &[Finding],
    timelines: &[&Timeline],
    marks: &Marks,
    threshold: f64,
) -> Checklist {
    let mut list = Checklist::default();
    for finding in findings.iter().filter(|f| f.suppressed.is_none()) {
        list.secrets_found += 1;
        if marks.is_marked(MarkKind::Secret, &finding.fingerprint) {
            list.secrets_rotated += 1;
        }
    }
    let mut exposures: Vec<String> = inventory
        .assess_all()
        .into_iter()
        .filter(|a| {
            a.assessment.exposure == Exposure::Public && a.assessment.auth == AuthKind::None
        })
        .map(|a| a.container.name.clone())
        .collect();
    let marked: Vec<String> = marks
        .all()
        .into_iter()
        .filter(|m| m.kind == MarkKind::Container)
        .map(|m| m.key.clone())
        .collect();
    for name in &marked {
        if !exposures.contains(name) {
            exposures.push(name.clone());
        }
    }
    list.exposures_found = exposures.len();
    list.exposures_isolated = marked.len();
    for commit in timelines
        .iter()
        .flat_map(|t| t.commits.iter())
        .filter(|c| c.score >= threshold)
    {
        list.commits_flagged += 1;
        if marks.is_marked(MarkKind::Commit, &commit.id.to_string()) {
            list.commits_reviewed += 1;
        }
    }
    list
}
