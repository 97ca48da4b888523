//! Secret handling. The full scanner arrives with the secret-findings pane; what is here is the
//! part every pane needs already: masking, so no raw secret ever reaches the screen or a report.

pub mod mask;
