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

/// Opens NVML from `library` (or the default soname), or says why it cannot be used.
pub fn open(library: Option<&Path>) -> Result<Nvml, String> {
    let path: &OsStr = library.map_or(OsStr::new(DEFAULT_LIBRARY), Path::as_os_str);
    let nvml = Nvml::builder()
        .lib_path(path)
        .init()
        .map_err(|err| explain_init_error(&err, library))?;
    // Dropping `Nvml` calls nvmlShutdown without checking that it exists; a library without it
    // is not NVML, and must never be dropped through that path.
    if nvml.lib().nvmlShutdown.is_err() {
        std::mem::forget(nvml);
        return Err(format!(
            "{} is not a complete NVML library (no nvmlShutdown)",
            shown_path(library)
        ));
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
        Err(reason) => GpuSnapshot::unavailable(reason),
    }
}

fn shown_path(library: Option<&Path>) -> String {
    library.map_or(DEFAULT_LIBRARY.to_string(), |p| p.display().to_string())
}

/// The one line the GPU pane shows instead of cards.
pub fn explain_init_error(err: &NvmlError, library: Option<&Path>) -> String {
    let path = shown_path(library);
    match err {
        NvmlError::LibloadingError(load) => {
            if library.is_some_and(Path::exists) {
                format!("cannot load the NVML library {path}: {load}")
            } else if library.is_some() {
                format!("NVML library not found: {path} does not exist")
            } else {
                format!(
                    "NVML library not found ({path}): no NVIDIA driver installed here \
                     (or point --nvml-lib at libnvidia-ml.so.1)"
                )
            }
        }
        NvmlError::FailedToLoadSymbol(symbol) => {
            format!("{path} is not an NVML library (missing {symbol})")
        }
        NvmlError::DriverNotLoaded => {
            "NVIDIA driver not loaded: the NVML library is there but the kernel module is not running"
                .to_string()
        }
        NvmlError::LibRmVersionMismatch => {
            "NVIDIA driver/library version mismatch: the running kernel module and libnvidia-ml \
             differ (driver updated without a reboot?)"
                .to_string()
        }
        NvmlError::NoPermission => {
            "no permission to talk to the NVIDIA driver (check access to /dev/nvidiactl and /dev/nvidia*)"
                .to_string()
        }
        other => format!("NVML could not start: {other}"),
    }
}
