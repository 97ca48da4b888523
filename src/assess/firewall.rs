//! Does the host's firewall drop a new inbound connection to a port before it reaches the
//! service? Decided from the rule set (`model::firewall`), following the packet's real path:
//!
//! ```text
//!  in on eth0 ──> PREROUTING ──(Docker's DNAT, nat priority -100: host port -> container)──┐
//!                                                                                       │
//!       host listener: INPUT (dport = the host port)                                   <─┤
//!       published port: FORWARD (dport = the container's port, ct original = host port) <─┘
//! ```
//!
//! So `INPUT` rules (and ufw's chains hung from it) never filter a published port, and a match
//! on the published port in `FORWARD`/`DOCKER-USER` does nothing (the packet carries the
//! container's port by then) while one on `ct original proto-dst` does. Every filter base chain on
//! a hook runs in priority order: an accept ends only its own chain, a drop ends everything.
//!
//! The probe is "a new connection from some outside address, arriving on one of the host's
//! non-loopback interfaces". Conditions that hold for only some such packets (a source range, one
//! of several interfaces, a destination address vigil does not know) are not guessed: the
//! verdict is for a packet they do not hold for, and each such rule is listed as an exception
//! ("dropped from 203.0.113.0/24 by ..."). A rule vigil cannot evaluate makes the verdict
//! `Unknown` with that rule named.

use crate::model::firewall::{Chain, Condition, Hook, L4, Ports, Rule, Ruleset, Verdict};
use std::net::IpAddr;

/// The connection whose fate is judged.
#[derive(Debug, Clone)]
pub struct Probe {
    pub v6: bool,
    pub l4: L4,
    /// The port the outside client connects to.
    pub host_port: u16,
    /// Set for a port Docker publishes: the packet is forwarded to the container.
    pub forwarded: Option<Forwarded>,
    /// The host's non-loopback interfaces an outside packet may arrive on.
    pub interfaces: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Forwarded {
    pub container_port: u16,
    pub container_ip: Option<IpAddr>,
    /// The bridge the container sits on (`docker0`, `br-…`), when known.
    pub bridge: Option<String>,
}

/// A rule that decides differently for some of the probe's packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// `from 10.0.0.0/8`, `arriving on eth1`.
    pub when: String,
    pub dropped: bool,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirewallVerdict {
    /// Reaches the service (policy accept or an accepting rule on every hook).
    Open { exceptions: Vec<Exception> },
    /// Dropped or rejected by `rule`.
    Filtered {
        rule: String,
        exceptions: Vec<Exception>,
    },
    /// A rule vigil cannot evaluate stands in the way: `why` names it.
    Unknown { why: String },
}

/// Judges `probe` against `ruleset`.
pub fn judge(ruleset: &Ruleset, probe: &Probe) -> FirewallVerdict {
    let mut exceptions = Vec::new();
    let second = if probe.forwarded.is_some() {
        Hook::Forward
    } else {
        Hook::Input
    };
    for hook in [Hook::Prerouting, second] {
        for chain in base_chains(ruleset, probe, hook) {
            let stage = Stage {
                hook,
                priority: chain.base.as_ref().map_or(0, |b| b.priority),
            };
            let walker = Walker {
                ruleset,
                probe,
                stage,
            };
            match walker.run(chain, 0, &mut exceptions) {
                Flow::Accept => {}
                Flow::Continue if !policy_drops(chain) => {}
                Flow::Continue => {
                    let rule = format!("{} policy drop", chain.label());
                    return FirewallVerdict::Filtered { rule, exceptions };
                }
                Flow::Drop(rule) => return FirewallVerdict::Filtered { rule, exceptions },
                Flow::Unknown(why) => return FirewallVerdict::Unknown { why },
            }
        }
    }
    FirewallVerdict::Open { exceptions }
}

fn policy_drops(chain: &Chain) -> bool {
    chain.base.as_ref().is_some_and(|b| b.policy_drops)
}

/// The filter base chains on `hook` that see the probe's family, lowest priority first.
fn base_chains<'r>(ruleset: &'r Ruleset, probe: &Probe, hook: Hook) -> Vec<&'r Chain> {
    use crate::model::firewall::Family;
    let mut chains: Vec<&Chain> = ruleset
        .chains
        .iter()
        .filter(|c| {
            c.base
                .as_ref()
                .is_some_and(|b| b.hook == hook && b.kind == "filter")
        })
        .filter(|c| match c.family {
            Family::Inet => true,
            Family::Ip => !probe.v6,
            Family::Ip6 => probe.v6,
            Family::Other => false,
        })
        .collect();
    chains.sort_by_key(|c| c.base.as_ref().map_or(0, |b| b.priority));
    chains
}

#[derive(Debug, Clone, Copy)]
struct Stage {
    hook: Hook,
    priority: i32,
}

enum Flow {
    /// Fell off the end or returned: the caller goes on.
    Continue,
    Accept,
    Drop(String),
    Unknown(String),
}

/// How a condition bears on the probe.
enum Holds {
    Yes,
    No,
    /// For some of the probe's packets only.
    Some(String),
    Unknown(String),
}

/// Chains nested deeper than this are not followed (a loop, or a rule set vigil cannot judge).
const MAX_DEPTH: usize = 16;

struct Walker<'a> {
    ruleset: &'a Ruleset,
    probe: &'a Probe,
    stage: Stage,
}

impl Walker<'_> {
    fn run(&self, chain: &Chain, depth: usize, exceptions: &mut Vec<Exception>) -> Flow {
        if depth > MAX_DEPTH {
            return Flow::Unknown(format!(
                "{}: chains nested deeper than {MAX_DEPTH}",
                chain.label()
            ));
        }
        for rule in &chain.rules {
            let Some(verdict) = &rule.verdict else {
                continue;
            };
            // The rule's name is built only when it is said: most rules do not match.
            let name = || rule_name(chain, rule);
            match self.all_hold(chain, rule) {
                Holds::No => continue,
                Holds::Unknown(what) => {
                    return Flow::Unknown(format!("{}: cannot evaluate {what}", name()));
                }
                Holds::Some(when) => match verdict {
                    Verdict::Accept | Verdict::Drop | Verdict::Reject => {
                        exceptions.push(Exception {
                            when,
                            dropped: !matches!(verdict, Verdict::Accept),
                            rule: name(),
                        })
                    }
                    Verdict::Return => {}
                    _ => return Flow::Unknown(format!("{}: a jump taken only {when}", name())),
                },
                Holds::Yes => match self.apply(chain, verdict, &name(), depth, exceptions) {
                    Flow::Continue if !matches!(verdict, Verdict::Return) => continue,
                    flow => return flow,
                },
            }
        }
        Flow::Continue
    }

    fn apply(
        &self,
        chain: &Chain,
        verdict: &Verdict,
        name: &str,
        depth: usize,
        exceptions: &mut Vec<Exception>,
    ) -> Flow {
        match verdict {
            Verdict::Accept => Flow::Accept,
            Verdict::Drop | Verdict::Reject => Flow::Drop(name.to_string()),
            Verdict::Return => Flow::Continue,
            Verdict::Jump(target) | Verdict::Goto(target) => {
                let Some(next) = self.chain(chain, target) else {
                    return Flow::Unknown(format!("{name}: no chain `{target}`"));
                };
                let flow = self.run(next, depth + 1, exceptions);
                match (verdict, flow) {
                    // A goto that falls through ends the calling chain too.
                    (Verdict::Goto(_), Flow::Continue) => Flow::Continue,
                    (_, flow) => flow,
                }
            }
            Verdict::PortMap { original, entries } => {
                let port = if *original {
                    self.probe.host_port
                } else {
                    self.dport()
                };
                match entries
                    .iter()
                    .find(|((low, high), _)| (*low..=*high).contains(&port))
                {
                    Some((_, inner)) => self.apply(chain, inner, name, depth, exceptions),
                    None => Flow::Continue,
                }
            }
        }
    }

    fn chain<'c>(&'c self, from: &Chain, name: &str) -> Option<&'c Chain> {
        self.ruleset
            .chains
            .iter()
            .find(|c| c.family == from.family && c.table == from.table && c.name == name)
    }

    /// What Docker's DNAT made of a published port's packet by this stage: it runs in nat
    /// PREROUTING at priority -100, so after it, and in FORWARD, the packet carries the
    /// container's address and port. `None` for a host listener or before the DNAT.
    fn translated(&self) -> Option<&Forwarded> {
        let after_dnat = match self.stage.hook {
            Hook::Forward => true,
            Hook::Prerouting => self.stage.priority > -100,
            _ => false,
        };
        self.probe.forwarded.as_ref().filter(|_| after_dnat)
    }

    /// The destination port the packet carries at this stage.
    fn dport(&self) -> u16 {
        self.translated()
            .map_or(self.probe.host_port, |f| f.container_port)
    }

    fn all_hold(&self, chain: &Chain, rule: &Rule) -> Holds {
        let mut partial: Vec<String> = Vec::new();
        for condition in &rule.conditions {
            match self.holds(chain, condition) {
                Holds::Yes => {}
                Holds::No => return Holds::No,
                Holds::Unknown(what) => return Holds::Unknown(what),
                Holds::Some(when) => partial.push(when),
            }
        }
        if partial.is_empty() {
            Holds::Yes
        } else {
            Holds::Some(partial.join(", "))
        }
    }

    fn holds(&self, chain: &Chain, condition: &Condition) -> Holds {
        let probe = self.probe;
        let flip = |holds: bool, negated: bool| {
            if holds != negated {
                Holds::Yes
            } else {
                Holds::No
            }
        };
        match condition {
            Condition::Protocol { l4, negated } => flip(l4.contains(&probe.l4), *negated),
            Condition::Version { v6 } => flip(*v6 == probe.v6, false),
            Condition::DstPort { ports, negated } => {
                self.port_holds(chain, ports, self.dport(), *negated)
            }
            Condition::OrigDstPort { ports, negated } => {
                self.port_holds(chain, ports, probe.host_port, *negated)
            }
            Condition::CtState { states, negated } => {
                flip(states.iter().any(|s| s == "new"), *negated)
            }
            Condition::InIface { names, negated } => {
                iface_holds(names, *negated, &probe.interfaces, "arriving on")
            }
            Condition::OutIface { names, negated } => self.out_iface_holds(names, *negated),
            Condition::Source { prefixes, negated } => {
                let what = prefixes.join(", ");
                Holds::Some(if *negated {
                    format!("from outside {what}")
                } else {
                    format!("from {what}")
                })
            }
            Condition::Destination { prefixes, negated } => {
                self.destination_holds(prefixes, *negated)
            }
            Condition::Unknown(what) => Holds::Unknown(what.clone()),
        }
    }

    fn port_holds(&self, chain: &Chain, ports: &Ports, port: u16, negated: bool) -> Holds {
        let ranges = match ports {
            Ports::Ranges(ranges) => ranges.as_slice(),
            Ports::Set(name) => match self
                .ruleset
                .sets
                .iter()
                .find(|s| s.family == chain.family && s.table == chain.table && &s.name == name)
            {
                Some(set) => set.ports.as_slice(),
                None => return Holds::Unknown(format!("the set @{name}")),
            },
        };
        let inside = ranges
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&port));
        if inside != negated {
            Holds::Yes
        } else {
            Holds::No
        }
    }

    fn out_iface_holds(&self, names: &[String], negated: bool) -> Holds {
        match (&self.probe.forwarded, self.stage.hook) {
            // Delivered locally or not routed yet: no output interface.
            (None, _) | (_, Hook::Prerouting) => {
                if negated {
                    Holds::Yes
                } else {
                    Holds::No
                }
            }
            (Some(forwarded), _) => match &forwarded.bridge {
                Some(bridge) => iface_holds(names, negated, std::slice::from_ref(bridge), "to"),
                None => Holds::Some(format!(
                    "when the container's bridge is {}",
                    names.join(", ")
                )),
            },
        }
    }

    fn destination_holds(&self, prefixes: &[String], negated: bool) -> Holds {
        let address = self.translated().and_then(|f| f.container_ip);
        let Some(address) = address else {
            let what = prefixes.join(", ");
            return Holds::Some(if negated {
                format!("to addresses outside {what}")
            } else {
                format!("to {what}")
            });
        };
        let inside = prefixes.iter().any(|p| prefix_contains(p, address));
        if inside != negated {
            Holds::Yes
        } else {
            Holds::No
        }
    }
}

/// Interface names (an nft wildcard `eth*` included) against the interfaces the packet may use.
fn iface_holds(names: &[String], negated: bool, candidates: &[String], word: &str) -> Holds {
    let listed = names.join(", ");
    let partial = || {
        Holds::Some(if negated {
            format!("{word} an interface other than {listed}")
        } else {
            format!("{word} {listed}")
        })
    };
    if candidates.is_empty() {
        return partial();
    }
    let matches = |candidate: &String| {
        names.iter().any(|n| match n.strip_suffix('*') {
            Some(stem) => candidate.starts_with(stem),
            None => n == candidate,
        })
    };
    let hits = candidates.iter().filter(|c| matches(c)).count();
    let (every, none) = (hits == candidates.len(), hits == 0);
    let (holds_for_all, holds_for_none) = if negated {
        (none, every)
    } else {
        (every, none)
    };
    if holds_for_all {
        Holds::Yes
    } else if holds_for_none {
        Holds::No
    } else {
        partial()
    }
}

fn rule_name(chain: &Chain, rule: &Rule) -> String {
    match (rule.handle, &rule.text) {
        (Some(handle), _) => format!("{} handle {handle}", chain.label()),
        (None, Some(text)) => format!("{} `{text}`", chain.label()),
        (None, None) => format!("{} (a rule without handle)", chain.label()),
    }
}

/// True when `address` is within `prefix` (`10.0.0.0/8`, `fd00::/8`, or one address).
fn prefix_contains(prefix: &str, address: IpAddr) -> bool {
    let (network, length) = match prefix.split_once('/') {
        Some((network, length)) => (network, length.parse::<u32>().ok()),
        None => (prefix, None),
    };
    let Ok(network) = network.parse::<IpAddr>() else {
        return false;
    };
    match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let bits = length.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let bits = length.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
