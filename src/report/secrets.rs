//! `vigil scan secrets` output: a table for people, JSON for tools, SARIF 2.1.0 for code
//! scanning. Only masked values and fingerprints ever appear.

use crate::secrets::finding::{Finding, Source};
use crate::secrets::rules::Severity;
use crate::secrets::scan::ScanReport;

pub fn json(report: &ScanReport) -> String {
    crate::util::json::to_string_pretty(report).unwrap_or_else(|_| "{}".into())
}

pub fn table(report: &ScanReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<9} {:<26} {:<20} {:<11} WHERE\n",
        "SEVERITY", "RULE", "SECRET", "COMPROMISED"
    ));
    for finding in &report.findings {
        let severity = match &finding.suppressed {
            Some(_) => "suppressed".to_string(),
            None => finding.severity.as_str().to_string(),
        };
        out.push_str(&format!(
            "{:<9} {:<26} {:<20} {:<11} {}\n",
            severity,
            finding.rule,
            finding.masked,
            if finding.compromised {
                "ROTATE NOW"
            } else {
                ""
            },
            finding.where_summary()
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} findings ({} critical, {} high, {} medium, {} low), {} compromised, {} suppressed\n",
        s.findings, s.critical, s.high, s.medium, s.low, s.compromised, s.suppressed
    ));
    out.push_str(&format!(
        "scanned: {} files ({:.1} MB) in the working tree, {} objects ({} blobs, {:.1} MB) in history, {} refs, {} containers in {:.2} s; skipped {} binary, {} oversized; {} objects unreadable\n",
        s.worktree_files,
        s.worktree_bytes as f64 / 1e6,
        s.history_objects,
        s.history_blobs,
        s.history_bytes as f64 / 1e6,
        s.refs,
        s.containers,
        s.seconds,
        s.skipped_binary,
        s.skipped_oversized,
        s.missing_objects,
    ));
    for note in &s.notes {
        out.push_str(&format!("note: {}\n", crate::util::text::escape(note)));
    }
    out
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` scale (0-10).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn sarif_locations(finding: &Finding) -> Vec<serde_json::Value> {
    let mut locations: Vec<serde_json::Value> = finding
        .locations
        .iter()
        .filter(|l| matches!(l.source, Source::Worktree | Source::History) && l.path.is_some())
        .map(|l| {
            let mut region = serde_json::json!({ "startLine": l.line.unwrap_or(1).max(1) });
            if l.source == Source::History {
                region["message"] = serde_json::json!({
                    "text": format!("in history since commit {}", l.commit.as_deref().unwrap_or("?"))
                });
            }
            serde_json::json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": l.path.clone().unwrap_or_default() },
                    "region": region,
                }
            })
        })
        .collect();
    locations.dedup();
    if locations.is_empty() {
        // Not in a repository file (a container, a dangling blob): a logical location, so the
        // result still says where.
        let place = finding
            .locations
            .first()
            .map(|l| l.short())
            .unwrap_or_default();
        locations.push(serde_json::json!({
            "logicalLocations": [{ "name": place, "kind": "resource" }]
        }));
    }
    locations
}

/// SARIF 2.1.0, as GitHub code scanning accepts it: one rule per rule id used, one result per
/// finding with its fingerprint as the partial fingerprint, suppressions said.
pub fn sarif(report: &ScanReport) -> String {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<serde_json::Value> = rule_ids
        .iter()
        .map(|id| {
            let example = report
                .findings
                .iter()
                .find(|f| f.rule == *id)
                .expect("the id came from a finding");
            serde_json::json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": example.description },
                "fullDescription": { "text": example.description },
                "help": { "text": example.rotate },
                "defaultConfiguration": { "level": sarif_level(example.severity) },
                "properties": {
                    "tags": ["security", "secret"],
                    "security-severity": security_severity(example.severity),
                }
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|finding| {
            let mut result = serde_json::json!({
                "ruleId": finding.rule,
                "ruleIndex": rule_ids.iter().position(|id| *id == finding.rule).unwrap_or(0),
                "level": sarif_level(finding.severity),
                "message": {
                    "text": format!(
                        "{}: {}{} — found in {} place(s): {}",
                        finding.description,
                        finding.masked,
                        if finding.compromised { " (on the compromised list: rotate now)" } else { "" },
                        finding.locations.len(),
                        finding.where_summary()
                    )
                },
                "locations": sarif_locations(finding),
                "partialFingerprints": { "secretSha256/v1": finding.fingerprint },
                "properties": { "compromised": finding.compromised },
            });
            if let Some(reason) = &finding.suppressed {
                result["suppressions"] = serde_json::json!([{
                    "kind": "external",
                    "justification": reason,
                }]);
            }
            result
        })
        .collect();
    let document = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vigil",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    crate::util::json::to_string_pretty(&document).unwrap_or_else(|_| "{}".into())
}
