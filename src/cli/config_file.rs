//! `vigil config path` and `vigil config init`.

use super::output::{Failure, Outcome, Status, print_out};
use std::path::Path;

pub fn path(config_path: Option<&Path>) -> Outcome {
    let path =
        config_path.ok_or_else(|| Failure("neither XDG_CONFIG_HOME nor HOME is set".into()))?;
    print_out(&path.display().to_string());
    Ok(Status::Success)
}

/// Writes the commented sample config; refuses to overwrite unless `force`, and refuses in
/// observer mode: the config decides whether the next vigil may change the host.
pub fn init(config_path: Option<&Path>, force: bool, read_only: bool) -> Outcome {
    if read_only {
        return Err(Failure(
            "read-only mode: observer mode does not write the config file (it decides what the \
             next vigil may do); run config init outside observer mode"
                .into(),
        ));
    }
    let path = config_path.ok_or_else(|| {
        Failure("neither XDG_CONFIG_HOME nor HOME is set; use --config PATH".into())
    })?;
    // `symlink_metadata`: a link at the path (even a dangling one) counts as something there.
    if std::fs::symlink_metadata(path).is_ok() && !force {
        return Err(Failure(format!(
            "{} already exists (use --force to overwrite)",
            path.display()
        )));
    }
    crate::util::fs::write_atomic(path, crate::config::SAMPLE_CONFIG)
        .map_err(|err| Failure(format!("cannot write the config: {err}")))?;
    print_out(&format!("wrote {}", path.display()));
    Ok(Status::Success)
}
