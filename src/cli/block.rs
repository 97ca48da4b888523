//! `vigil block PORTS` and `vigil unblock PORTS`: drop outside traffic to a port or range in
//! vigil's own firewall rules, and remove exactly that again.

use super::act::{Mode, act};
use super::args::{FirewallArgs, ProtoArg};
use super::output::{Failure, Outcome};
use crate::config::Settings;
use crate::ops::firewall::Proto;

/// `blocking`: `vigil block`; otherwise `vigil unblock`.
pub fn run(settings: &Settings, args: &FirewallArgs, blocking: bool) -> Outcome {
    let proto = match args.proto {
        ProtoArg::Tcp => Proto::Tcp,
        ProtoArg::Udp => Proto::Udp,
    };
    let spec = crate::ops::block::spec(&args.ports, proto)?;
    // Said up front, before connecting anywhere, rather than failing halfway.
    if !args.dry_run
        && !settings.read_only
        && let Some(reason) = crate::ops::firewall::cannot_change_firewall(spec.backend)
    {
        return Err(Failure(format!("refused: {reason}")));
    }
    let mode = Mode {
        dry_run: args.dry_run,
        yes: args.yes,
    };
    act(settings, mode, |client, _| async move {
        if blocking {
            crate::ops::planner::plan_block(&client, spec).await
        } else {
            Ok(crate::ops::block::plan_unblock(spec))
        }
    })
}
