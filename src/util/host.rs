//! Facts about this host that many records carry.

/// The host's name as the kernel reports it, `?` when it cannot be read. Raw: escape it before
/// showing it (a hostile name is possible on a compromised host).
pub fn host_name() -> String {
    sysinfo::System::host_name().unwrap_or_else(|_| "?".into())
}

/// The host name reduced to characters safe in a file name (`gpu-01.example`), for per-host
/// state files.
pub fn host_file_name() -> String {
    sysinfo::System::host_name()
        .unwrap_or_else(|_| "localhost".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// This process's effective user id, from `/proc/self/status` (vigil forbids `unsafe`, so not
/// `geteuid`). `None` only when `/proc` is not mounted.
pub fn effective_uid() -> Option<u32> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|line| line.starts_with("Uid:"))?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}
