//! `vigil commit ID`: make a rebind final by removing NAME-prev (never its volumes), checked
//! against the host first.

use super::act::{Mode, act};
use super::args::UndoArgs;
use super::output::Outcome;
use crate::config::Settings;

pub fn run(settings: &Settings, args: &UndoArgs) -> Outcome {
    act(settings, args.mode(), |client, audit| async move {
        crate::ops::planner::plan_commit(&client, &audit, &args.action_id).await
    })
}

impl UndoArgs {
    pub fn mode(&self) -> Mode {
        Mode {
            dry_run: self.dry_run,
            yes: self.yes,
        }
    }
}
