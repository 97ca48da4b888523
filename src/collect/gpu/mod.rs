//! GPUs through NVML: opening the library, saying in one line why it cannot be used, and
//! sampling every card with its processes.
//!
//! nvml-wrapper dlopens the library and looks every symbol up at start; a symbol an old driver
//! lacks only fails the call that needs it, so the reader degrades field by field.

mod legacy;
mod processes;
mod read;

pub use read::{CardReader, register_xids};

use crate::model::GpuSnapshot;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;
use std::ffi::OsStr;
use std::path::Path;

/// The soname the driver installs; the loader finds it in its usual paths.
pub const DEFAULT_LIBRARY: &str = "libnvidia-ml.so.1";

/// Why NVML cannot be used here: one line for the GPU pane. A normal state on a host without
/// NVIDIA hardware, not a failure of vigil.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NvmlUnavailable {
    #[error("cannot load the NVML library {path}: {reason}")]
    CannotLoad { path: String, reason: String },
    #[error("NVML library not found: {path} does not exist")]
    NoSuchFile { path: String },
    #[error(
        "NVML library not found ({path}): no NVIDIA driver installed here \
         (or point --nvml-lib at libnvidia-ml.so.1)"
    )]
    NoDriver { path: String },
    #[error("{path} is not an NVML library (missing {symbol})")]
    NotNvml { path: String, symbol: String },
    #[error("{path} is not a complete NVML library (no nvmlShutdown)")]
    Incomplete { path: String },
    #[error(
        "NVIDIA driver not loaded: the NVML library is there but the kernel module is not running"
    )]
    DriverNotLoaded,
    #[error(
        "NVIDIA driver/library version mismatch: the running kernel module and libnvidia-ml \
         differ (driver updated without a reboot?)"
    )]
    VersionMismatch,
    #[error(
        "no permission to talk to the NVIDIA driver (check access to /dev/nvidiactl and /dev/nvidia*)"
    )]
    NoPermission,
    #[error("NVML could not start: {0}")]
    Other(String),
}

/// Opens NVML from `library` (or the default soname), or says why it cannot be used.
pub fn open(library: Option<&Path>) -> Result<Nvml, NvmlUnavailable> {
    let path: &OsStr = library.map_or(OsStr::new(DEFAULT_LIBRARY), Path::as_os_str);
    let nvml = Nvml::builder()
        .lib_path(path)
        .init()
        .map_err(|err| explain_init_error(&err, library))?;
    // Dropping `Nvml` calls nvmlShutdown without checking that it exists; a library without it
    // is not NVML, and must never be dropped through that path.
    if nvml.lib().nvmlShutdown.is_err() {
        std::mem::forget(nvml);
        return Err(NvmlUnavailable::Incomplete {
            path: shown_path(library),
        });
    }
    Ok(nvml)
}

/// One sample now, for `vigil scan gpu`.
pub fn sample_once(library: Option<&Path>) -> GpuSnapshot {
    match open(library) {
        Ok(nvml) => {
            let events = register_xids(&nvml);
            CardReader::default().sample(&nvml, events.as_ref())
        }
        Err(reason) => GpuSnapshot::unavailable(reason.to_string()),
    }
}

fn shown_path(library: Option<&Path>) -> String {
    library.map_or(DEFAULT_LIBRARY.to_string(), |p| p.display().to_string())
}

/// Why `init` failed, in the terms of this host.
pub fn explain_init_error(err: &NvmlError, library: Option<&Path>) -> NvmlUnavailable {
    let path = shown_path(library);
    match err {
        NvmlError::LibloadingError(load) => {
            if library.is_some_and(Path::exists) {
                NvmlUnavailable::CannotLoad {
                    path,
                    reason: load.to_string(),
                }
            } else if library.is_some() {
                NvmlUnavailable::NoSuchFile { path }
            } else {
                NvmlUnavailable::NoDriver { path }
            }
        }
        NvmlError::FailedToLoadSymbol(symbol) => NvmlUnavailable::NotNvml {
            path,
            symbol: symbol.to_string(),
        },
        NvmlError::DriverNotLoaded => NvmlUnavailable::DriverNotLoaded,
        NvmlError::LibRmVersionMismatch => NvmlUnavailable::VersionMismatch,
        NvmlError::NoPermission => NvmlUnavailable::NoPermission,
        other => NvmlUnavailable::Other(other.to_string()),
    }
}
