//! `vigil resume ID`: complete an action that was cut short, planned from what the host shows.

use super::act::act;
use super::args::UndoArgs;
use super::output::Outcome;
use crate::config::Settings;

pub fn run(settings: &Settings, args: &UndoArgs) -> Outcome {
    act(settings, args.mode(), |client, audit| async move {
        crate::ops::planner::plan_resume(&client, &audit, &args.action_id).await
    })
}
