//! vigil: live incident triage for GPU hosts running GenAI containers.
//!
//! The library holds everything; `main.rs` only parses the command line and hands over to one
//! of the two front ends, so the TUI, the headless commands and the tests drive the same core.
//! The modules are layers, lowest first; a module uses only those above it in this list (a
//! test, `tests/layers.rs`, checks it). `docs/ARCHITECTURE.md` describes them.

pub mod assess;
pub mod cli;
pub mod collect;
pub mod config;
pub mod git;
pub mod incident;
pub mod model;
pub mod ops;
pub mod report;
pub mod secrets;
pub mod timeline;
pub mod tui;
pub mod util;
