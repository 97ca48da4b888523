//! The nftables backend: vigil's own `inet` table with one prerouting chain at priority
//! `dstnat - 10` (before Docker's DNAT) and sets of ports.
//!
//! - `blocked_tcp`/`blocked_udp`: `iifname != "lo" fib daddr type local` traffic to these ports
//!   is dropped. That covers IPv4 and IPv6, the docker-proxy path and host-network services. The
//!   host's own connections (to 127.0.0.1 or to its own addresses) come in on `lo`, so the host
//!   still reaches the port. Packets of established connections are dropped too: open sessions
//!   are cut.
//! - `loopback_tcp`/`loopback_udp`: before Docker 28, a neighbour on the L2 segment can send
//!   packets for 127.0.0.1 that Docker's DNAT forwards to a loopback-published port; those are
//!   dropped.
//!
//! Ports are added and removed as set elements by exact value; the table is deleted when every
//! set is empty. Changes are atomic `nft -f` transactions.

use super::{PortRange, Proto, run_tool};
use crate::ops::error::FirewallError;
use crate::ops::plan::Step;

fn blocked_set(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "blocked_tcp",
        Proto::Udp => "blocked_udp",
    }
}

fn loopback_set(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "loopback_tcp",
        Proto::Udp => "loopback_udp",
    }
}

const SETS: [&str; 4] = ["blocked_tcp", "blocked_udp", "loopback_tcp", "loopback_udp"];

/// The nft script that creates vigil's table, sets and chain if missing. `add` is idempotent:
/// an existing table, set or chain is left as it is.
pub fn ensure_table_script(table: &str) -> String {
    let mut script = format!("add table inet {table}\n");
    for set in SETS {
        script.push_str(&format!(
            "add set inet {table} {set} {{ type inet_service; flags interval; }}\n"
        ));
    }
    script.push_str(&format!(
        "add chain inet {table} prerouting {{ type filter hook prerouting priority dstnat - 10; policy accept; }}\n"
    ));
    script
}

/// The chain's rules, one per set, each identified by the set it uses.
fn rules(table: &str) -> Vec<(String, String)> {
    Proto::ALL
        .into_iter()
        .flat_map(|proto| {
            let p = proto.as_str();
            let blocked = blocked_set(proto);
            let loopback = loopback_set(proto);
            [
                (
                    format!("@{blocked}"),
                    format!(
                        "add rule inet {table} prerouting iifname != \"lo\" fib daddr type local {p} dport @{blocked} counter drop comment \"vigil: blocked port\"\n"
                    ),
                ),
                (
                    format!("@{loopback}"),
                    format!(
                        "add rule inet {table} prerouting iifname != \"lo\" ip daddr 127.0.0.0/8 {p} dport @{loopback} counter drop comment \"vigil: loopback-published port reached from the network\"\n"
                    ),
                ),
            ]
        })
        .collect()
}

/// The rules missing from the current listing (all of them for a new table), so none is doubled.
pub fn missing_rules_script(table: &str, listing: Option<&str>) -> String {
    rules(table)
        .into_iter()
        .filter(|(marker, _)| !listing.is_some_and(|text| text.contains(marker.as_str())))
        .map(|(_, rule)| rule)
        .collect()
}

fn element_command(verb: &str, table: &str, set: &str, range: PortRange) -> String {
    format!(
        "nft {verb} element inet {table} {set} {{ {} }}",
        range.element()
    )
}

/// The listing of vigil's table, or `None` when it does not exist.
fn list_table(table: &str) -> Option<String> {
    run_tool("nft", &["list", "table", "inet", table], None).ok()
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
pub(super) fn blocked(table: &str) -> Result<Vec<(Proto, String)>, FirewallError> {
    let Some(listing) = list_table(table) else {
        return Ok(Vec::new());
    };
    Ok(Proto::ALL
        .into_iter()
        .flat_map(|proto| {
            elements_in(&listing, blocked_set(proto))
                .into_iter()
                .map(move |element| (proto, element))
        })
        .collect())
}

/// The loopback guards present now, per protocol.
pub(super) fn guarded(table: &str) -> Result<Vec<(Proto, u16)>, FirewallError> {
    let Some(listing) = list_table(table) else {
        return Ok(Vec::new());
    };
    Ok(Proto::ALL
        .into_iter()
        .flat_map(|proto| {
            elements_in(&listing, loopback_set(proto))
                .into_iter()
                .filter_map(move |element| Some((proto, element.parse().ok()?)))
        })
        .collect())
}

/// Adds an element in one atomic transaction, creating the table, sets, chain and rules first
/// when they are missing.
fn add_element(table: &str, set: &str, range: PortRange) -> Result<(), FirewallError> {
    let listing = list_table(table);
    let mut script = String::new();
    if listing.is_none() {
        script.push_str(&ensure_table_script(table));
    }
    script.push_str(&missing_rules_script(table, listing.as_deref()));
    script.push_str(&format!(
        "add element inet {table} {set} {{ {} }}\n",
        range.element()
    ));
    run_tool("nft", &["-f", "-"], Some(&script)).map(|_| ())
}

/// Removes exactly this element; deletes the table once every set is empty, leaving no rule.
fn delete_element(table: &str, set: &str, range: PortRange) -> Result<(), FirewallError> {
    let Some(listing) = list_table(table) else {
        return Err(FirewallError::NothingToRemove {
            what: format!("table inet {table} does not exist"),
        });
    };
    let element = range.element();
    let remaining: usize = SETS
        .iter()
        .map(|s| {
            elements_in(&listing, s)
                .iter()
                .filter(|e| !(*s == set && **e == element))
                .count()
        })
        .sum();
    let mut script = format!("delete element inet {table} {set} {{ {element} }}\n");
    if remaining == 0 {
        script.push_str(&format!("delete table inet {table}\n"));
    }
    run_tool("nft", &["-f", "-"], Some(&script)).map(|_| ())
}

pub(super) fn block(table: &str, proto: Proto, range: PortRange) -> Result<(), FirewallError> {
    add_element(table, blocked_set(proto), range)
}

pub(super) fn unblock(table: &str, proto: Proto, range: PortRange) -> Result<(), FirewallError> {
    delete_element(table, blocked_set(proto), range)
}

pub(super) fn guard_loopback(table: &str, proto: Proto, port: u16) -> Result<(), FirewallError> {
    add_element(table, loopback_set(proto), PortRange::single(port))
}

pub(super) fn unguard_loopback(table: &str, proto: Proto, port: u16) -> Result<(), FirewallError> {
    delete_element(table, loopback_set(proto), PortRange::single(port))
}

pub fn block_steps(table: &str, proto: Proto, range: PortRange) -> Vec<Step> {
    vec![
        Step {
            description: format!(
                "create vigil's own table inet {table} if missing: sets of ports and a prerouting \
                 chain at priority dstnat - 10 (before Docker's DNAT) dropping traffic to them \
                 that does not arrive on lo"
            ),
            command: format!("nft -f - <<'EOF'\n{}EOF", ensure_table_script(table)),
        },
        Step {
            description: format!(
                "drop {} traffic to local port(s) {} arriving from any interface, IPv4 and IPv6, \
                 before Docker's DNAT; the host itself can still connect; open connections are cut",
                proto.as_str(),
                range.element()
            ),
            command: element_command("add", table, blocked_set(proto), range),
        },
    ]
}

pub fn unblock_steps(table: &str, proto: Proto, range: PortRange) -> Vec<Step> {
    vec![
        Step {
            description: format!(
                "let {} traffic to port(s) {} through again",
                proto.as_str(),
                range.element()
            ),
            command: element_command("delete", table, blocked_set(proto), range),
        },
        Step {
            description: "delete vigil's table when nothing else is in it (no rule left behind)"
                .into(),
            command: format!("nft delete table inet {table}"),
        },
    ]
}

pub fn guard_step(table: &str, proto: Proto, port: u16) -> Step {
    Step {
        description: format!(
            "Docker < 28: drop packets for 127.0.0.0/8 {} port {port} arriving from a network \
             interface (a neighbour on the L2 segment could otherwise reach the loopback binding)",
            proto.as_str()
        ),
        command: element_command("add", table, loopback_set(proto), PortRange::single(port)),
    }
}

pub fn unguard_step(table: &str, proto: Proto, port: u16) -> Step {
    Step {
        description: format!(
            "remove the loopback guard of {} port {port} (the table goes when empty)",
            proto.as_str()
        ),
        command: element_command(
            "delete",
            table,
            loopback_set(proto),
            PortRange::single(port),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let rules = missing_rules_script("vigil", None);
        assert!(rules.contains("iifname != \"lo\" fib daddr type local tcp dport @blocked_tcp"));
        assert!(rules.contains("ip daddr 127.0.0.0/8 tcp dport @loopback_tcp"));
        assert_eq!(rules.lines().count(), 4);
        // Rules already in the table are not added again.
        let present = "chain prerouting { ... tcp dport @blocked_tcp ... udp dport @blocked_udp }";
        let missing = missing_rules_script("vigil", Some(present));
        assert_eq!(missing.lines().count(), 2, "{missing}");
        assert!(!missing.contains("@blocked_"));
        assert_eq!(
            element_command("add", "vigil", "blocked_tcp", PortRange::single(80)),
            "nft add element inet vigil blocked_tcp { 80 }"
        );
    }
}
