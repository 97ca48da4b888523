//! The incident's state, shared by both front ends: what is known about the host's containers
//! and listeners (`inventory`), the recovery checklist and its marks, and the one snapshot
//! gatherer behind `vigil report`, `vigil scan all` and the TUI's `R`.

pub mod checklist;
pub mod inventory;
pub mod marks;
pub mod snapshot;

pub use snapshot::{Gathered, Header, Held, Snapshot};
