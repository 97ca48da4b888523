//! Pure functions from collected facts to a verdict with reasons. No I/O.

pub mod credentials;
pub mod firewall;
pub mod risk;

pub use risk::{ContainerAssessment, PortVerdict, assess_container};
