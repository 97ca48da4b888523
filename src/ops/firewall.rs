//! Blocking ports in the firewall, the way that actually stops Docker-published ports.
//!
//! INPUT rules and ufw do not stop a published port: Docker's DNAT happens in prerouting and the
//! traffic then goes through FORWARD. vigil therefore uses its own nftables table with a
//! prerouting chain at priority `dstnat - 10` (before Docker's DNAT), matching `fib daddr type
//! local` and a set of blocked ports, for packets that did not come in on `lo`. One rule covers IPv4 and IPv6 (`inet`), the docker-proxy
//! path and host-network services, whatever backend Docker uses. The host's own connections
//! (to 127.0.0.1 or to its own addresses) come back in on `lo`, so the host itself still reaches
//! the port. Packets of established
//! connections are dropped too, so open sessions are cut.
//!
//! Only vigil's own table is ever touched: ports are added and removed as set elements by exact
//! value; the table is deleted when its sets are empty. Nothing is flushed, no firewall service is
//! reloaded, no system file is written.

use serde::{Deserialize, Serialize};
use std::process::Command;

/// The table name; tests use their own so they never touch a real operator's rules.
pub fn table_name() -> String {
    std::env::var("VIGIL_NFT_TABLE")
        .ok()
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .unwrap_or_else(|| "vigil".to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    fn set(self) -> &'static str {
        match self {
            Proto::Tcp => "blocked_tcp",
            Proto::Udp => "blocked_udp",
        }
    }
}

/// A port or an inclusive range, as typed: `36325` or `5000-5003`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let parse_port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a port (1-65535)",
                        crate::sanitize::escape(p.trim())
                    )
                })
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (parse_port(a)?, parse_port(b)?),
            None => {
                let port = parse_port(text)?;
                (port, port)
            }
        };
        if first > last {
            return Err(format!("range {first}-{last} runs backwards"));
        }
        Ok(PortRange { first, last })
    }

    /// The nft element: `36325` or `5000-5003`.
    pub fn element(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}-{}", self.first, self.last)
        }
    }
}

/// The nft script that creates vigil's table if it is missing. `add` is idempotent: an existing
/// table, set or chain is left as it is.
pub fn ensure_table_script(table: &str) -> String {
    format!(
        "add table inet {table}\n\
         add set inet {table} blocked_tcp {{ type inet_service; flags interval; }}\n\
         add set inet {table} blocked_udp {{ type inet_service; flags interval; }}\n\
         add chain inet {table} prerouting {{ type filter hook prerouting priority dstnat - 10; policy accept; }}\n"
    )
}

/// The rules, added only when the chain is new (checked by the caller) so they are never doubled.
pub fn rules_script(table: &str) -> String {
    format!(
        "add rule inet {table} prerouting iifname != \"lo\" fib daddr type local tcp dport @blocked_tcp counter drop comment \"vigil: blocked published port\"\n\
         add rule inet {table} prerouting iifname != \"lo\" fib daddr type local udp dport @blocked_udp counter drop comment \"vigil: blocked published port\"\n"
    )
}

pub fn add_element_command(table: &str, proto: Proto, range: PortRange) -> String {
    format!(
        "nft add element inet {table} {} {{ {} }}",
        proto.set(),
        range.element()
    )
}

pub fn delete_element_command(table: &str, proto: Proto, range: PortRange) -> String {
    format!(
        "nft delete element inet {table} {} {{ {} }}",
        proto.set(),
        range.element()
    )
}

fn nft(args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new("nft")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run nft: {err}"))?;
    // Dropping stdin at the end of this block closes it, so nft sees end of input.
    if let Some(mut input) = child.stdin.take()
        && let Some(text) = stdin
    {
        input
            .write_all(text.as_bytes())
            .map_err(|err| err.to_string())?;
    }
    let output = child.wait_with_output().map_err(|err| err.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "nft {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The listing of vigil's table, or `None` when it does not exist.
fn list_table(table: &str) -> Option<String> {
    nft(&["list", "table", "inet", table], None).ok()
}

/// The elements of one set in a table listing (`elements = { 80, 5000-5003 }`).
fn elements_in(listing: &str, set: &str) -> Vec<String> {
    let Some(set_at) = listing.find(&format!("set {set} {{")) else {
        return Vec::new();
    };
    let body = &listing[set_at..];
    let body = &body[..body.find("\n\t}").unwrap_or(body.len())];
    let Some(start) = body.find("elements = {") else {
        return Vec::new();
    };
    let rest = &body[start + "elements = {".len()..];
    let end = rest.find('}').unwrap_or(rest.len());
    rest[..end]
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// The ports currently blocked, per protocol (one `nft` call).
pub fn blocked(table: &str) -> Result<Vec<(Proto, String)>, String> {
    let Some(listing) = list_table(table) else {
        return Ok(Vec::new());
    };
    Ok([Proto::Tcp, Proto::Udp]
        .into_iter()
        .flat_map(|proto| {
            elements_in(&listing, proto.set())
                .into_iter()
                .map(move |element| (proto, element))
        })
        .collect())
}

/// Adds the ports to vigil's blocked set in one atomic `nft -f` transaction, creating the table,
/// sets, chain and rules first when the table does not exist yet.
pub fn block(table: &str, proto: Proto, range: PortRange) -> Result<(), String> {
    let mut script = String::new();
    if list_table(table).is_none() {
        script.push_str(&ensure_table_script(table));
        script.push_str(&rules_script(table));
    }
    script.push_str(&format!(
        "add element inet {table} {} {{ {} }}\n",
        proto.set(),
        range.element()
    ));
    nft(&["-f", "-"], Some(&script)).map(|_| ())
}

/// Removes exactly these ports; deletes the table once nothing is blocked, leaving no rule behind.
pub fn unblock(table: &str, proto: Proto, range: PortRange) -> Result<(), String> {
    let Some(listing) = list_table(table) else {
        return Err(format!(
            "nothing is blocked: table inet {table} does not exist"
        ));
    };
    let remaining: usize = [Proto::Tcp, Proto::Udp]
        .into_iter()
        .map(|p| {
            elements_in(&listing, p.set())
                .iter()
                .filter(|e| !(p == proto && **e == range.element()))
                .count()
        })
        .sum();
    let mut script = format!(
        "delete element inet {table} {} {{ {} }}\n",
        proto.set(),
        range.element()
    );
    if remaining == 0 {
        script.push_str(&format!("delete table inet {table}\n"));
    }
    nft(&["-f", "-"], Some(&script)).map(|_| ())
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

/// Why this process cannot change the firewall, if it cannot.
pub fn cannot_change_firewall() -> Option<String> {
    if !nft_available() {
        Some("nft is not installed; the iptables DOCKER-USER fallback is not built yet".into())
    } else if !has_net_admin() {
        Some("changing the firewall needs root (CAP_NET_ADMIN); run vigil with sudo".into())
    } else {
        None
    }
}

/// True when `nft` is on the PATH (checked without running it).
pub fn nft_available() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nft").is_file()))
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
             sends that traffic through FORWARD); vigil's prerouting rule does"
                .to_string(),
        );
    }
    if process_running("firewalld") {
        found.push(
            "firewalld is active, but its zones do not cover Docker-published ports unless Docker \
             is integrated with it; vigil's prerouting rule applies either way"
                .to_string(),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_ranges_parse() {
        assert_eq!(PortRange::parse("36325").expect("port").element(), "36325");
        assert_eq!(
            PortRange::parse("5000-5003").expect("range").element(),
            "5000-5003"
        );
        assert!(PortRange::parse("0").is_err());
        assert!(PortRange::parse("70000").is_err());
        assert!(PortRange::parse("5003-5000").is_err());
        assert!(PortRange::parse("80;rm -rf /").is_err());
    }

    #[test]
    fn set_elements_are_read_from_a_table_listing() {
        let listing = "table inet vigil {\n\tset blocked_tcp {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { 80, 5000-5003 }\n\t}\n\n\tset blocked_udp {\n\t\ttype inet_service\n\t\tflags interval\n\t}\n}\n";
        assert_eq!(elements_in(listing, "blocked_tcp"), vec!["80", "5000-5003"]);
        assert!(elements_in(listing, "blocked_udp").is_empty());
    }

    #[test]
    fn scripts_use_the_design_hook_and_priority() {
        let script = ensure_table_script("vigil");
        assert!(script.contains("hook prerouting priority dstnat - 10"));
        assert!(script.contains("add table inet vigil"));
        assert!(
            rules_script("vigil")
                .contains("iifname != \"lo\" fib daddr type local tcp dport @blocked_tcp")
        );
        assert_eq!(
            add_element_command(
                "vigil",
                Proto::Tcp,
                PortRange {
                    first: 80,
                    last: 80
                }
            ),
            "nft add element inet vigil blocked_tcp { 80 }"
        );
    }
}
