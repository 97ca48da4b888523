//! Read-only collectors. Each one runs on its own task or thread and sends owned snapshots on a
//! channel; none of them knows about the UI.

pub mod cgroup;
pub mod docker;
pub mod docker_transport;
pub mod gpu;
pub mod host;
pub mod listeners;
pub mod probe;
pub mod ruleset;
pub mod sampler;
