//! Plain domain types shared by collectors, assessment, reports and the TUI.
//! No I/O and no UI here: everything is an owned value that can cross a channel.

mod container;
pub mod credentials;
mod exposure;
pub mod firewall;
mod gpu;
mod listener;
mod probe;
mod risk;

pub use container::{
    Container, ContainerDetails, ContainerState, Health, MountInfo, NetworkInfo, PortBinding,
    Protocol, dedupe_bindings,
};
pub use exposure::{Exposure, exposure_of_ip};
pub use gpu::{
    ContainerGpuUse, Ecc, GpuCard, GpuProcess, GpuProcessKind, GpuSnapshot, XidEvent, short_bytes,
};
pub use listener::{Listener, ListenerOwner};
pub use probe::{AuthKind, ProbeHit, ProbeReport};
pub use risk::{Risk, RiskLevel};
