//! Renderers of one inventory for the headless commands.

pub mod containers;
pub mod gpu;
pub mod incident;
pub mod secrets;
pub mod timeline;
