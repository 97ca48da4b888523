//! Blocking ports in the firewall, the way that actually stops Docker-published ports.
//!
//! INPUT rules and ufw do not stop a published port: Docker's DNAT happens in prerouting and the
//! traffic then goes through FORWARD. Two backends:
//! - `nft` (preferred): vigil's own table with a prerouting chain before Docker's DNAT and a set
//!   of blocked ports; one rule covers IPv4 and IPv6, the docker-proxy path and host-network
//!   services, whatever backend Docker uses.
//! - `iptables` (where nft is not installed): rules in DOCKER-USER matching the connection's
//!   ORIGINAL destination port, plus INPUT rules for host-network services and the IPv6
//!   docker-proxy path, for IPv4 and IPv6.
//!
//! Either way only vigil's own rules are touched, tagged with its name, added and removed by
//! exact specification; nothing is flushed, no firewall service is reloaded, no file written.

pub mod iptables;
pub mod nft;

use super::error::{FirewallError, OpsError};
use super::plan::Step;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// vigil's name for its rules: the nft table name and the iptables comment prefix. Tests use
/// their own so they never touch a real operator's rules.
pub fn table_name() -> String {
    std::env::var("VIGIL_NFT_TABLE")
        .ok()
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .unwrap_or_else(|| "vigil".to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    pub const ALL: [Proto; 2] = [Proto::Tcp, Proto::Udp];
}

/// A port or an inclusive range, as typed: `36325` or `5000-5003`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn single(port: u16) -> PortRange {
        PortRange {
            first: port,
            last: port,
        }
    }

    pub fn parse(text: &str) -> Result<PortRange, OpsError> {
        let parse_port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| OpsError::NotAPort(crate::util::text::escape(p.trim()).into_owned()))
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (parse_port(a)?, parse_port(b)?),
            None => {
                let port = parse_port(text)?;
                (port, port)
            }
        };
        if first > last {
            return Err(OpsError::BackwardRange { first, last });
        }
        Ok(PortRange { first, last })
    }

    /// As typed and as nft writes it: `36325` or `5000-5003`.
    pub fn element(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}-{}", self.first, self.last)
        }
    }

    /// As iptables writes it: `36325` or `5000:5003`.
    pub fn iptables(&self) -> String {
        self.element().replace('-', ":")
    }
}

/// Which firewall tool carries vigil's rules. Recorded in each plan, so an undo uses the tool
/// the action used. Records written before the iptables fallback existed are nft.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Nftables,
    Iptables,
}

/// The configured preference (`[firewall] backend` or `VIGIL_FIREWALL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    #[default]
    Auto,
    Nftables,
    Iptables,
}

/// A backend name vigil does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown firewall backend `{0}` (auto, nftables, iptables)")]
pub struct UnknownBackend(String);

impl BackendChoice {
    pub fn parse(text: &str) -> Result<BackendChoice, UnknownBackend> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(BackendChoice::Auto),
            "nft" | "nftables" => Ok(BackendChoice::Nftables),
            "iptables" => Ok(BackendChoice::Iptables),
            other => Err(UnknownBackend(
                crate::util::text::escape(other).into_owned(),
            )),
        }
    }
}

/// Why no firewall tool can carry vigil's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoBackend {
    #[error("the configured firewall backend {0} is not installed")]
    ConfiguredMissing(&'static str),
    #[error("neither nft nor iptables is installed: vigil cannot change the firewall")]
    NoneInstalled,
}

static PREFERENCE: OnceLock<BackendChoice> = OnceLock::new();

/// Set once at start-up from the settings.
pub fn prefer(choice: BackendChoice) {
    let _ = PREFERENCE.set(choice);
}

/// The backend new rules go to: the configured one, else nft when installed, else iptables.
pub fn selected_backend() -> Result<Backend, NoBackend> {
    let choice = PREFERENCE.get().copied().unwrap_or_default();
    let found = |tool: &str| on_path(tool);
    match choice {
        BackendChoice::Nftables if found("nft") => Ok(Backend::Nftables),
        BackendChoice::Nftables => Err(NoBackend::ConfiguredMissing("nft")),
        BackendChoice::Iptables if found("iptables") => Ok(Backend::Iptables),
        BackendChoice::Iptables => Err(NoBackend::ConfiguredMissing("iptables")),
        BackendChoice::Auto if found("nft") => Ok(Backend::Nftables),
        BackendChoice::Auto if found("iptables") => Ok(Backend::Iptables),
        BackendChoice::Auto => Err(NoBackend::NoneInstalled),
    }
}

/// True when `tool` is on the PATH (checked without running it: planning must stay fast).
pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Nftables => "nftables",
            Backend::Iptables => "iptables",
        }
    }

    /// The program that changes this backend's rules.
    pub fn tool(self) -> &'static str {
        match self {
            Backend::Nftables => "nft",
            Backend::Iptables => "iptables",
        }
    }

    /// Drops outside traffic to these local ports, IPv4 and IPv6, before Docker's DNAT.
    pub(in crate::ops) fn block(self, proto: Proto, range: PortRange) -> Result<(), FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::block(&tag, proto, range),
            Backend::Iptables => iptables::block(&tag, proto, range),
        }
    }

    /// Removes exactly the rules `block` added, leaving nothing of vigil's behind.
    pub(in crate::ops) fn unblock(
        self,
        proto: Proto,
        range: PortRange,
    ) -> Result<(), FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::unblock(&tag, proto, range),
            Backend::Iptables => iptables::unblock(&tag, proto, range),
        }
    }

    /// The ports blocked now, as `(proto, "80")` or `(proto, "5000-5003")`.
    pub fn blocked(self) -> Result<Vec<(Proto, String)>, FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::blocked(&tag),
            Backend::Iptables => iptables::blocked(&tag),
        }
    }

    /// The loopback guards present now, as `(proto, port)`.
    pub fn guarded(self) -> Result<Vec<(Proto, u16)>, FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::guarded(&tag),
            Backend::Iptables => iptables::guarded(&tag),
        }
    }

    /// Docker < 28: drops packets for 127.0.0.0/8 on this port that arrive from a network
    /// interface (a neighbour on the L2 segment), which Docker would otherwise DNAT.
    pub(in crate::ops) fn guard_loopback(
        self,
        proto: Proto,
        port: u16,
    ) -> Result<(), FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::guard_loopback(&tag, proto, port),
            Backend::Iptables => iptables::guard_loopback(&tag, proto, port),
        }
    }

    pub(in crate::ops) fn unguard_loopback(
        self,
        proto: Proto,
        port: u16,
    ) -> Result<(), FirewallError> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::unguard_loopback(&tag, proto, port),
            Backend::Iptables => iptables::unguard_loopback(&tag, proto, port),
        }
    }

    /// The plan's steps for a block, with the exact commands a human could run instead.
    pub fn block_steps(self, proto: Proto, range: PortRange) -> Vec<Step> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::block_steps(&tag, proto, range),
            Backend::Iptables => iptables::block_steps(&tag, proto, range),
        }
    }

    pub fn unblock_steps(self, proto: Proto, range: PortRange) -> Vec<Step> {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::unblock_steps(&tag, proto, range),
            Backend::Iptables => iptables::unblock_steps(&tag, proto, range),
        }
    }

    /// The one-line shell form of undoing a block (shown in the plan's undo line).
    pub fn unblock_command(self, proto: Proto, range: PortRange) -> String {
        self.unblock_steps(proto, range)
            .first()
            .map(|step| step.command.clone())
            .unwrap_or_default()
    }

    pub fn guard_loopback_step(self, proto: Proto, port: u16) -> Step {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::guard_step(&tag, proto, port),
            Backend::Iptables => iptables::guard_step(&tag, proto, port),
        }
    }

    pub fn unguard_loopback_step(self, proto: Proto, port: u16) -> Step {
        let tag = table_name();
        match self {
            Backend::Nftables => nft::unguard_step(&tag, proto, port),
            Backend::Iptables => iptables::unguard_step(&tag, proto, port),
        }
    }

    /// What this backend does not cover on this host, said in the plan.
    pub fn coverage_warnings(self) -> Vec<String> {
        match self {
            Backend::Nftables => Vec::new(),
            Backend::Iptables => iptables::coverage_warnings(),
        }
    }
}

/// True when this process may change the firewall (CAP_NET_ADMIN in its effective set). Checked
/// up front so a plan says so instead of failing halfway.
pub fn has_net_admin() -> bool {
    const CAP_NET_ADMIN: u32 = 12;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << CAP_NET_ADMIN) != 0)
}

/// Why this process cannot change the firewall with `backend`, if it cannot.
pub fn cannot_change_firewall(backend: Backend) -> Option<String> {
    let tool = backend.tool();
    if !on_path(tool) {
        Some(format!(
            "{tool} is not installed: vigil cannot change the firewall with it ({})",
            selected_backend().err().map_or_else(
                || "choose another backend with VIGIL_FIREWALL or [firewall] backend".to_string(),
                |reason| reason.to_string()
            )
        ))
    } else if !has_net_admin() {
        Some("changing the firewall needs root (CAP_NET_ADMIN); run vigil with sudo".into())
    } else {
        None
    }
}

fn process_running(name: &str) -> bool {
    std::fs::read_dir("/proc").is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            std::fs::read_to_string(entry.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
        })
    })
}

/// Firewalls that give a false sense of safety for Docker-published ports.
pub fn misleading_firewalls() -> Vec<String> {
    let mut found = Vec::new();
    // Read from files and /proc, not by running systemctl: planning must stay fast.
    let ufw_enabled = std::fs::read_to_string("/etc/ufw/ufw.conf")
        .is_ok_and(|text| text.lines().any(|l| l.trim() == "ENABLED=yes"));
    if ufw_enabled {
        found.push(
            "ufw is active, but its INPUT rules do NOT stop Docker-published ports (Docker's DNAT \
             sends that traffic through FORWARD); vigil's rule does"
                .to_string(),
        );
    }
    if process_running("firewalld") {
        found.push(
            "firewalld is active, but its zones do not cover Docker-published ports unless Docker \
             is integrated with it; vigil's rule applies either way"
                .to_string(),
        );
    }
    found
}

/// Runs a firewall tool; the error names the command and carries its stderr.
pub(super) fn run_tool(
    tool: &'static str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, FirewallError> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let spawn = |source| FirewallError::Spawn { tool, source };
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn)?;
    // Dropping stdin at the end of this block closes it, so the tool sees end of input.
    if let Some(mut input) = child.stdin.take()
        && let Some(text) = stdin
    {
        input.write_all(text.as_bytes()).map_err(spawn)?;
    }
    let output = child.wait_with_output().map_err(spawn)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(FirewallError::Refused {
            command: format!("{tool} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_ranges_parse() {
        assert_eq!(PortRange::parse("36325").expect("port").element(), "36325");
        let range = PortRange::parse("5000-5003").expect("range");
        assert_eq!(range.element(), "5000-5003");
        assert_eq!(range.iptables(), "5000:5003");
        assert!(PortRange::parse("0").is_err());
        assert!(PortRange::parse("70000").is_err());
        assert!(PortRange::parse("5003-5000").is_err());
        assert!(PortRange::parse("80;rm -rf /").is_err());
    }

    #[test]
    fn backend_choices_parse_and_old_records_mean_nft() {
        assert_eq!(BackendChoice::parse("nft"), Ok(BackendChoice::Nftables));
        assert_eq!(
            BackendChoice::parse("IPTABLES"),
            Ok(BackendChoice::Iptables)
        );
        assert_eq!(BackendChoice::parse("auto"), Ok(BackendChoice::Auto));
        assert!(BackendChoice::parse("pf").is_err());
        assert_eq!(Backend::default(), Backend::Nftables);
    }
}
