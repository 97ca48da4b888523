//! Rebind: recreate a container with its published ports on 127.0.0.1, keeping the original as
//! `NAME-prev` for rollback until the user commits. `replacement` says what the new container
//! is, `plan` what will happen (read-only), `execute` does it (only through an `Operator`).

mod execute;
mod plan;
mod replacement;

pub(in crate::ops) use execute::{execute, execute_commit, execute_unrebind};
pub use plan::{
    GuardDecision, guard_step, guards_for, plan_commit, plan_rebind, plan_unrebind, rebind_plan,
};
pub use replacement::replacement_body;

use crate::ops::firewall::{Backend, Proto};
use std::collections::HashMap;

/// Suffix of the kept original.
pub const PREVIOUS_SUFFIX: &str = "-prev";
/// Suffix of the replacement while it is being prepared.
const NEW_SUFFIX: &str = "-vigil-new";

/// Published bindings: container port (`7860/tcp`) -> (host IP, host port) pairs.
pub type Bindings = HashMap<String, Vec<(String, String)>>;

/// The loopback guard to add with a rebind: one entry per rebound host port, with the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoopbackGuard {
    pub proto: Proto,
    pub port: u16,
    pub backend: Backend,
}

/// The guards recorded in a plan's `before` or an outcome's `after`.
fn guards_of(value: &serde_json::Value) -> Vec<LoopbackGuard> {
    serde_json::from_value(value["loopback_guard"].clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
