//! Secret scanning: rules (data), the detector, the sources it reads (working tree, the whole
//! git history, containers) and the findings, one per secret with every place it still lives.
//!
//! No UI code here: the CLI and the TUI both drive it. The raw secret never leaves the
//! detector: a finding carries a masked form and the SHA-256 fingerprint only.

pub mod detect;
pub mod filters;
pub mod finding;
pub mod ignore;
pub mod ioc;
pub mod rules;
pub mod scan;
pub mod sources;

#[cfg(test)]
mod detect_tests;
