//! vigil's own nftables table, as a test finds it. (Each sandbox removes its table and its
//! iptables rules on drop: see `Sandbox` in `mod.rs`.)

use crate::common::{is_root, tool_available};
use crate::docker::docker_major;
use std::process::Command;

/// True when a rebind here adds the loopback guard: an old engine and the rights to add it.
pub fn rebind_adds_loopback_guard() -> bool {
    docker_major() < 28 && is_root() && tool_available("nft")
}

/// `nft list table inet TAG`, or `None` when the table does not exist.
pub fn nft_table(tag: &str) -> Option<String> {
    let output = Command::new("nft")
        .args(["list", "table", "inet", tag])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}
