//! The bottom layer: small helpers every other layer may use, importing nothing of vigil.

#[cfg(test)]
pub mod fixtures;
pub mod fs;
pub mod host;
pub mod logging;
pub mod mask;
pub mod memory;
pub mod paths;
pub mod text;
pub mod time;
