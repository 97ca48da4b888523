//! `vigil actions`: what was done, by whom, in what state, and how to undo it. Reading the
//! audit log changes nothing, so observer mode may.

use super::act::audit_location;
use super::args::{ActionsArgs, OutputFormat};
use super::output::{Outcome, Status, print_json, print_out};
use crate::config::Settings;
use crate::ops::audit;

pub fn run(settings: &Settings, args: &ActionsArgs) -> Outcome {
    let path = audit_location(settings)?;
    let journal = audit::read(&path)?;
    if journal.unreadable > 0 {
        super::output::warn(&format!(
            "{}: {} unreadable line(s) skipped (a torn write after a crash, or damage)",
            path.display(),
            journal.unreadable
        ));
    }
    let summary = audit::summarize(&journal.records);
    match args.format {
        OutputFormat::Json => print_json(&serde_json::json!({ "actions": summary })),
        OutputFormat::Table => print_out(&table(&summary)),
    }
    Ok(Status::Success)
}

fn table(summary: &[audit::ActionSummary]) -> String {
    let mut lines = vec![format!(
        "{:<44} {:<6} {:<24} {:<12} UNDO",
        "ACTION", "KIND", "TARGET", "STATE"
    )];
    for action in summary {
        lines.push(format!(
            "{:<44} {:<6} {:<24} {:<12} {}",
            action.action_id,
            action.action,
            crate::util::text::escape(&action.target),
            action.state,
            action.undo
        ));
        // An action cut short: where its journal ends, so the engineer knows what to expect.
        if let Some(stood) = &action.stopped_at {
            lines.push(format!(
                "{:<44} cut short: its journal ends at {}",
                "",
                crate::util::text::escape(stood)
            ));
        }
    }
    lines.join("\n")
}
