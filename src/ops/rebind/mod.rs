//! Rebind: recreate a container with its published ports on 127.0.0.1, keeping the original as
//! `NAME-prev` for rollback until the user commits. `replacement` says what the new container
//! is, `plan` what will happen (read-only); the engine carries it out (only through an
//! `Operator`), and plans its undo, resume and commit.

mod plan;
pub(in crate::ops) mod replacement;

pub use plan::{GuardDecision, guard_step, guards_for, plan_rebind, rebind_plan};
pub use replacement::replacement_body;

pub use crate::ops::engine::subject::{Bindings, LoopbackGuard, NEW_SUFFIX, PREVIOUS_SUFFIX};

#[cfg(test)]
mod tests;
