//! `vigil config path` and `vigil config init`.

use super::output::{Failure, Outcome, Status, print_out};
use std::path::Path;

pub fn path(config_path: Option<&Path>) -> Outcome {
    let path =
        config_path.ok_or_else(|| Failure("neither XDG_CONFIG_HOME nor HOME is set".into()))?;
    print_out(&path.display().to_string());
    Ok(Status::Success)
}

/// Writes the commented sample config; refuses to overwrite unless `force`.
pub fn init(config_path: Option<&Path>, force: bool) -> Outcome {
    let path = config_path.ok_or_else(|| {
        Failure("neither XDG_CONFIG_HOME nor HOME is set; use --config PATH".into())
    })?;
    if path.exists() && !force {
        return Err(Failure(format!(
            "{} already exists (use --force to overwrite)",
            path.display()
        )));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|err| Failure(format!("cannot create {}: {err}", parent.display())))?;
    }
    std::fs::write(path, crate::config::SAMPLE_CONFIG)
        .map_err(|err| Failure(format!("cannot write {}: {err}", path.display())))?;
    print_out(&format!("wrote {}", path.display()));
    Ok(Status::Success)
}
