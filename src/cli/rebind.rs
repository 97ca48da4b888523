//! `vigil rebind NAME`: recreate a container with its published ports on 127.0.0.1, keeping
//! the original as NAME-prev until `vigil commit`.

use super::act::act;
use super::args::RebindArgs;
use super::output::Outcome;
use crate::config::Settings;

pub fn run(settings: &Settings, args: &RebindArgs) -> Outcome {
    let guard = !args.no_loopback_guard;
    let target = &args.action.target;
    act(settings, args.action.mode(), |client, _| async move {
        crate::ops::rebind::plan_rebind(&client, target, guard).await
    })
}
