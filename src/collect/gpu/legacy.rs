//! Calls for old drivers that nvml-wrapper only offers in their newer form.
//!
//! `nvmlDeviceGetMemoryInfo_v2` came with driver 510; older drivers only have the first
//! version. nvml-wrapper calls only `_v2`, so the first version is called here directly, through
//! the symbol table nvml-wrapper already loaded.
#![allow(unsafe_code)]

use nvml_wrapper::error::{NvmlError, nvml_try};
use nvml_wrapper::{Device, Nvml};
use nvml_wrapper_sys::bindings::nvmlMemory_t;

/// (used, total) bytes from `nvmlDeviceGetMemoryInfo`.
pub fn memory_info_v1(nvml: &Nvml, device: &Device<'_>) -> Result<(u64, u64), NvmlError> {
    let symbol = nvml
        .lib()
        .nvmlDeviceGetMemoryInfo
        .as_ref()
        .map_err(|err| NvmlError::FailedToLoadSymbol(err.to_string()))?;
    let mut memory = nvmlMemory_t {
        total: 0,
        free: 0,
        used: 0,
    };
    // SAFETY: the handle belongs to a live `Device` of this same `Nvml` (so the library is still
    // initialized), the symbol has NVML's signature for this call, and `memory` is a valid,
    // writable nvmlMemory_t that NVML only fills in.
    let code = unsafe { symbol(device.handle(), &mut memory) };
    nvml_try(code)?;
    Ok((memory.used, memory.total))
}
