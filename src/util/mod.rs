//! The bottom layer: small helpers every other layer may use, importing nothing of vigil.

#[cfg(test)]
pub mod fixtures;
pub mod fs;
pub mod host;
pub mod json;
pub mod logging;
pub mod mask;
pub mod memory;
pub mod paths;
pub mod read;
pub mod text;
pub mod time;
