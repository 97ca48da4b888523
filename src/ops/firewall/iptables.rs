//! The iptables backend, for hosts without nft. What stops a port depends on the path:
//!
//! - Docker-published ports are DNATed in prerouting and then FORWARDed: a rule at the top of
//!   `DOCKER-USER` matches the connection's ORIGINAL destination port
//!   (`-m conntrack --ctstate DNAT --ctorigdstport P --ctdir ORIGINAL`), in iptables and, when
//!   Docker manages IPv6, in ip6tables.
//! - Host-network services and the IPv6 docker-proxy path (IPv6 to an IPv4-only bridge) never
//!   enter DOCKER-USER: a rule at the top of `INPUT` drops what does not come in on `lo`, in
//!   iptables and ip6tables.
//! - Before Docker 28: a rule in the raw table's PREROUTING drops packets for 127.0.0.0/8 from a
//!   network interface to a loopback-published port.
//!
//! Every rule carries the comment `TAG:KIND:PROTO:PORTS`, so vigil finds its own rules and
//! removes them with `-D` and the exact same specification. Nothing is flushed.

use super::{PortRange, Proto, run_tool};
use crate::ops::error::FirewallError;
use crate::ops::plan::Step;

/// One rule: which tool, table and chain, and the match-and-target specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tool: &'static str,
    pub table: &'static str,
    pub chain: &'static str,
    pub spec: Vec<String>,
}

impl Rule {
    fn args<'a>(&'a self, operation: &'a str) -> Vec<&'a str> {
        let mut args = vec!["-w", "-t", self.table, operation, self.chain];
        args.extend(self.spec.iter().map(String::as_str));
        args
    }

    /// The shell command a human would run for `operation` (`-I`, `-D`, `-C`).
    pub fn command(&self, operation: &str) -> String {
        let spec: Vec<String> = self
            .spec
            .iter()
            .map(|part| {
                // A lone `!` is an ordinary word mid-command; only spaces need quoting here.
                if part.contains(' ') {
                    format!("'{part}'")
                } else {
                    part.clone()
                }
            })
            .collect();
        let table = if self.table == "filter" {
            String::new()
        } else {
            format!("-t {} ", self.table)
        };
        format!(
            "{} {table}{operation} {} {}",
            self.tool,
            self.chain,
            spec.join(" ")
        )
    }

    fn present(&self) -> bool {
        run_tool(self.tool, &self.args("-C"), None).is_ok()
    }

    fn insert(&self) -> Result<(), FirewallError> {
        run_tool(self.tool, &self.args("-I"), None).map(|_| ())
    }

    fn delete(&self) -> Result<(), FirewallError> {
        run_tool(self.tool, &self.args("-D"), None).map(|_| ())
    }
}

fn comment(tag: &str, kind: &str, proto: Proto, range: PortRange) -> Vec<String> {
    vec![
        "-m".into(),
        "comment".into(),
        "--comment".into(),
        format!("{tag}:{kind}:{}:{}", proto.as_str(), range.element()),
    ]
}

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|part| part.to_string()).collect()
}

/// True when `chain` exists in the filter table of `tool` (Docker creates DOCKER-USER; Docker
/// 29's nftables backend and an engine without iptables management do not).
fn chain_exists(tool: &'static str, chain: &str) -> bool {
    super::on_path(tool) && run_tool(tool, &["-w", "-S", chain], None).is_ok()
}

/// The rules that block these ports, for every path that exists on this host.
pub fn block_rules(tag: &str, proto: Proto, range: PortRange) -> Vec<Rule> {
    let mut rules = Vec::new();
    for tool in ["iptables", "ip6tables"] {
        if !super::on_path(tool) {
            continue;
        }
        if chain_exists(tool, "DOCKER-USER") {
            let mut spec = strings(&[
                "-p",
                proto.as_str(),
                "-m",
                "conntrack",
                "--ctstate",
                "DNAT",
                "--ctorigdstport",
                &range.iptables(),
                "--ctdir",
                "ORIGINAL",
            ]);
            spec.extend(comment(tag, "block", proto, range));
            spec.extend(strings(&["-j", "DROP"]));
            rules.push(Rule {
                tool,
                table: "filter",
                chain: "DOCKER-USER",
                spec,
            });
        }
        let mut spec = strings(&[
            "!",
            "-i",
            "lo",
            "-p",
            proto.as_str(),
            "--dport",
            &range.iptables(),
        ]);
        spec.extend(comment(tag, "block", proto, range));
        spec.extend(strings(&["-j", "DROP"]));
        rules.push(Rule {
            tool,
            table: "filter",
            chain: "INPUT",
            spec,
        });
    }
    rules
}

fn loopback_rule(tag: &str, proto: Proto, port: u16) -> Rule {
    let range = PortRange::single(port);
    let mut spec = strings(&[
        "!",
        "-i",
        "lo",
        "-d",
        "127.0.0.0/8",
        "-p",
        proto.as_str(),
        "--dport",
        &port.to_string(),
    ]);
    spec.extend(comment(tag, "loopback", proto, range));
    spec.extend(strings(&["-j", "DROP"]));
    Rule {
        tool: "iptables",
        table: "raw",
        chain: "PREROUTING",
        spec,
    }
}

/// Inserts the rules; if one fails, the ones already inserted are removed again, so a block is
/// all or nothing. A rule that is already there is not doubled.
fn insert_all(rules: &[Rule]) -> Result<(), FirewallError> {
    let mut inserted: Vec<&Rule> = Vec::new();
    for rule in rules {
        if rule.present() {
            continue;
        }
        if let Err(error) = rule.insert() {
            for done in inserted.iter().rev() {
                let _ = done.delete();
            }
            return Err(error);
        }
        inserted.push(rule);
    }
    Ok(())
}

/// Deletes each rule that is present, by its exact specification.
fn delete_all(rules: &[Rule], what: &str) -> Result<(), FirewallError> {
    let present: Vec<&Rule> = rules.iter().filter(|rule| rule.present()).collect();
    if present.is_empty() {
        return Err(FirewallError::NothingToRemove {
            what: format!("no vigil rule for {what}"),
        });
    }
    present.into_iter().try_for_each(Rule::delete)
}

pub(super) fn block(tag: &str, proto: Proto, range: PortRange) -> Result<(), FirewallError> {
    insert_all(&block_rules(tag, proto, range))
}

pub(super) fn unblock(tag: &str, proto: Proto, range: PortRange) -> Result<(), FirewallError> {
    // Also the DOCKER-USER rules if the chain vanished and came back: every path is tried.
    delete_all(
        &block_rules(tag, proto, range),
        &format!("{}/{}", range.element(), proto.as_str()),
    )
}

pub(super) fn guard_loopback(tag: &str, proto: Proto, port: u16) -> Result<(), FirewallError> {
    insert_all(&[loopback_rule(tag, proto, port)])
}

pub(super) fn unguard_loopback(tag: &str, proto: Proto, port: u16) -> Result<(), FirewallError> {
    delete_all(
        &[loopback_rule(tag, proto, port)],
        &format!("the loopback guard of {port}"),
    )
}

/// The blocked ports, from the comments of vigil's INPUT rules (IPv4, then IPv6).
pub(super) fn blocked(tag: &str) -> Result<Vec<(Proto, String)>, FirewallError> {
    let listing = run_tool("iptables", &["-w", "-S", "INPUT"], None)?;
    let mut found: Vec<(Proto, String)> = parse_blocked(tag, &listing);
    if super::on_path("ip6tables")
        && let Ok(listing) = run_tool("ip6tables", &["-w", "-S", "INPUT"], None)
    {
        for entry in parse_blocked(tag, &listing) {
            if !found.contains(&entry) {
                found.push(entry);
            }
        }
    }
    Ok(found)
}

/// The loopback guards, from the comments of vigil's raw PREROUTING rules.
pub(super) fn guarded(tag: &str) -> Result<Vec<(Proto, u16)>, FirewallError> {
    let listing = run_tool("iptables", &["-w", "-t", "raw", "-S", "PREROUTING"], None)?;
    Ok(parse_tagged(tag, "loopback", &listing)
        .into_iter()
        .filter_map(|(proto, port)| Some((proto, port.parse().ok()?)))
        .collect())
}

/// Reads `TAG:block:PROTO:PORTS` comments from an `iptables -S` listing.
pub fn parse_blocked(tag: &str, listing: &str) -> Vec<(Proto, String)> {
    parse_tagged(tag, "block", listing)
}

/// Reads `TAG:KIND:PROTO:PORTS` comments from an `iptables -S` listing.
fn parse_tagged(tag: &str, kind: &str, listing: &str) -> Vec<(Proto, String)> {
    let prefix = format!("{tag}:{kind}:");
    let mut found = Vec::new();
    for line in listing.lines() {
        let Some(at) = line.find(&prefix) else {
            continue;
        };
        let rest = &line[at + prefix.len()..];
        let rest: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect();
        let Some((proto, ports)) = rest.split_once(':') else {
            continue;
        };
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => continue,
        };
        let entry = (proto, ports.to_string());
        if !found.contains(&entry) {
            found.push(entry);
        }
    }
    found
}

fn describe(rule: &Rule, range: PortRange, proto: Proto) -> String {
    let family = if rule.tool == "ip6tables" {
        "IPv6"
    } else {
        "IPv4"
    };
    match rule.chain {
        "DOCKER-USER" => format!(
            "{family}: drop forwarded connections whose ORIGINAL destination port is {} ({}), \
             i.e. Docker-published ports, before Docker's accept rules",
            range.element(),
            proto.as_str()
        ),
        _ => format!(
            "{family}: drop {} traffic to local port(s) {} not arriving on lo (host-network \
             services and the docker-proxy path); the host itself can still connect",
            proto.as_str(),
            range.element()
        ),
    }
}

pub fn block_steps(tag: &str, proto: Proto, range: PortRange) -> Vec<Step> {
    block_rules(tag, proto, range)
        .iter()
        .map(|rule| Step {
            description: describe(rule, range, proto),
            command: rule.command("-I"),
        })
        .collect()
}

pub fn unblock_steps(tag: &str, proto: Proto, range: PortRange) -> Vec<Step> {
    block_rules(tag, proto, range)
        .iter()
        .map(|rule| Step {
            description: format!("remove: {}", describe(rule, range, proto)),
            command: rule.command("-D"),
        })
        .collect()
}

pub fn guard_step(tag: &str, proto: Proto, port: u16) -> Step {
    Step {
        description: format!(
            "Docker < 28: drop packets for 127.0.0.0/8 {} port {port} arriving from a network \
             interface (a neighbour on the L2 segment could otherwise reach the loopback binding)",
            proto.as_str()
        ),
        command: loopback_rule(tag, proto, port).command("-I"),
    }
}

pub fn unguard_step(tag: &str, proto: Proto, port: u16) -> Step {
    Step {
        description: format!(
            "remove the loopback guard of {} port {port}",
            proto.as_str()
        ),
        command: loopback_rule(tag, proto, port).command("-D"),
    }
}

/// What the iptables fallback cannot cover here.
pub fn coverage_warnings() -> Vec<String> {
    let mut warnings = vec![
        "nft is not installed: using the iptables fallback (DOCKER-USER and INPUT rules)".into(),
    ];
    if !chain_exists("iptables", "DOCKER-USER") {
        warnings.push(
            "there is no DOCKER-USER chain (Docker not managing iptables, or its nftables \
             backend): published container ports are NOT covered by the iptables fallback; \
             install nft"
                .into(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_read_back_from_a_listing() {
        let listing = "-P INPUT ACCEPT\n\
            -A INPUT ! -i lo -p tcp -m tcp --dport 5000:5003 -m comment --comment vigil:block:tcp:5000-5003 -j DROP\n\
            -A INPUT ! -i lo -p udp -m udp --dport 53 -m comment --comment \"vigil:block:udp:53\" -j DROP\n\
            -A INPUT -p tcp -m comment --comment other:block:tcp:22 -j DROP\n";
        assert_eq!(
            parse_blocked("vigil", listing),
            vec![
                (Proto::Tcp, "5000-5003".to_string()),
                (Proto::Udp, "53".to_string())
            ]
        );
    }

    #[test]
    fn commands_quote_what_the_shell_would_split() {
        let rule = loopback_rule("vigil", Proto::Tcp, 36325);
        assert_eq!(
            rule.command("-I"),
            "iptables -t raw -I PREROUTING ! -i lo -d 127.0.0.0/8 -p tcp --dport 36325 -m comment --comment vigil:loopback:tcp:36325 -j DROP"
        );
    }
}
