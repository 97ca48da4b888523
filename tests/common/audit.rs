//! Reading vigil's audit log in tests: the records of actions (planned, outcome) apart from the
//! journal of their steps.
#![allow(dead_code)] // each binary reads what it needs

use serde_json::Value;
use std::path::Path;

/// Every line of the log, parsed.
pub fn all_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

/// The planned and outcome records, without the step journal.
pub fn action_records(path: &Path) -> Vec<Value> {
    all_records(path)
        .into_iter()
        .filter(|r| r["phase"] != "step")
        .collect()
}

/// The journal entries of one action's steps, in order.
pub fn steps_of(path: &Path, action_id: &str) -> Vec<Value> {
    all_records(path)
        .into_iter()
        .filter(|r| r["phase"] == "step" && r["action_id"] == action_id)
        .collect()
}

/// The latest result recorded for an action (`None`: no outcome, it was cut short).
pub fn latest_result(path: &Path, action_id: &str) -> Option<String> {
    all_records(path)
        .into_iter()
        .filter(|r| r["phase"] == "outcome" && r["action_id"] == action_id)
        .filter_map(|r| r["result"].as_str().map(str::to_string))
        .next_back()
}

/// The id of the latest planned action of `kind`.
pub fn last_action_of(path: &Path, kind: &str) -> Option<String> {
    all_records(path)
        .into_iter()
        .filter(|r| r["phase"] == "planned" && r["action"] == kind)
        .filter_map(|r| r["action_id"].as_str().map(str::to_string))
        .next_back()
}
