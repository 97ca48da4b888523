//! `vigil undo ID`: undo a recorded action (start a stopped container, roll a rebind back,
//! remove a block or put it back).

use super::act::act;
use super::args::UndoArgs;
use super::output::Outcome;
use crate::config::Settings;

pub fn run(settings: &Settings, args: &UndoArgs) -> Outcome {
    act(settings, args.mode(), |client, audit| async move {
        crate::ops::planner::plan_undo(&client, &audit, &args.action_id).await
    })
}
