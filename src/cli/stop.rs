//! `vigil stop NAME`: stop a container gracefully (its own stop timeout); undo starts it again.

use super::act::{Mode, act};
use super::args::ActionArgs;
use super::output::Outcome;
use crate::config::Settings;

pub fn run(settings: &Settings, args: &ActionArgs) -> Outcome {
    act(settings, args.mode(), |client, _| async move {
        crate::ops::planner::plan_stop(&client, &args.target).await
    })
}

impl ActionArgs {
    pub fn mode(&self) -> Mode {
        Mode {
            dry_run: self.dry_run,
            yes: self.yes,
        }
    }
}
