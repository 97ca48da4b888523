//! The rule set watched for the TUI: read on a thread of its own, sent only when it changed.
//! Changed means the model changed: counters move with every packet, and are not in it.

use super::{outside_interfaces, read_host};
use crate::model::firewall::Ruleset;

/// What the TUI judges ports against.
#[derive(Debug, Clone, PartialEq)]
pub enum RulesetUpdate {
    Read {
        ruleset: Ruleset,
        interfaces: Vec<String>,
    },
    /// Neither nft nor iptables could be listed (not root, tools missing): verdicts unjudged.
    Unavailable(String),
}

/// How often the rule set is read: three tool runs each time, and rule sets change rarely.
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// When the first read happens, after start.
const FIRST_READ_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts the watcher; it ends when the receiver is dropped.
pub fn spawn(
    interval: std::time::Duration,
    updates: tokio::sync::mpsc::Sender<RulesetUpdate>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("vigil-ruleset".into())
        .spawn(move || {
            // Off the start-up path: the first frame and the container list come first.
            std::thread::sleep(FIRST_READ_AFTER);
            let mut last: Option<RulesetUpdate> = None;
            loop {
                let update = match read_host() {
                    Ok(ruleset) => RulesetUpdate::Read {
                        ruleset,
                        interfaces: outside_interfaces(),
                    },
                    Err(err) => RulesetUpdate::Unavailable(err.to_string()),
                };
                if last.as_ref() != Some(&update) {
                    last = Some(update.clone());
                    if updates.blocking_send(update).is_err() {
                        return;
                    }
                }
                std::thread::sleep(interval);
                if updates.is_closed() {
                    return;
                }
            }
        })
        .map(|_| ())
}
