//! vigil: live incident triage for GPU hosts running GenAI containers.
//!
//! The library holds everything; `main.rs` only parses the command line and dispatches, so the
//! TUI, the headless commands and the tests drive the same core.

pub mod assess;
pub mod checklist;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod incident;
pub mod inventory;
pub mod logging;
pub mod marks;
pub mod memory;
pub mod model;
pub mod ops;
pub mod report;
pub mod runbook;
pub mod sanitize;
pub mod scan_gpu;
pub mod scan_secrets;
pub mod secrets;
pub mod theme;
pub mod timeline;
pub mod tui;
