//! Renderers of one inventory for the headless commands.

pub mod containers;
