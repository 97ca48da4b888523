//! The host's firewall as vigil reasons about it: base chains on netfilter hooks, their rules
//! reduced to the conditions that matter for a new inbound connection, and verdicts. Filled by
//! `collect::ruleset` from nftables (JSON) and judged by `assess::firewall`.
//!
//! A rule vigil cannot read exactly keeps what it could not read as `Condition::Unknown`, so the
//! verdict says `unknown` with that rule rather than guess.

/// Which packets a table sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Ip,
    Ip6,
    /// Both (`inet`).
    Inet,
    /// `arp`, `bridge`, `netdev`: not on the IP path vigil judges.
    Other,
}

/// The netfilter hook a base chain is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
    Other,
}

/// The transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    Tcp,
    Udp,
}

/// A base chain's place on its hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseHook {
    pub hook: Hook,
    pub priority: i32,
    /// `filter`, `nat`, `route`: only filter chains drop what vigil judges.
    pub kind: String,
    /// The policy is `drop`.
    pub policy_drops: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub family: Family,
    pub table: String,
    pub name: String,
    /// `None` for a regular chain (reached only by jump or goto).
    pub base: Option<BaseHook>,
    pub rules: Vec<Rule>,
}

impl Chain {
    /// `inet filter input`: how the chain is named in a verdict.
    pub fn label(&self) -> String {
        format!("{} {} {}", self.family.as_str(), self.table, self.name)
    }
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ip => "ip",
            Family::Ip6 => "ip6",
            Family::Inet => "inet",
            Family::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The kernel's handle, which names an nftables rule exactly.
    pub handle: Option<u64>,
    /// The rule as iptables-save prints it (`-A DOCKER-USER …`), how an iptables rule is named.
    pub text: Option<String>,
    pub conditions: Vec<Condition>,
    pub verdict: Option<Verdict>,
}

/// Port values: single ports and ranges, or a named set looked up in the ruleset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ports {
    Ranges(Vec<(u16, u16)>),
    Set(String),
}

/// One condition of a rule, as it bears on a new inbound connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Protocol {
        l4: Vec<L4>,
        negated: bool,
    },
    /// The IP version (`meta nfproto`, or implied by an `ip`/`ip6` address match).
    Version {
        v6: bool,
    },
    /// The destination port as the packet has it at that point (after Docker's DNAT in
    /// `FORWARD`: the container's port).
    DstPort {
        ports: Ports,
        negated: bool,
    },
    /// conntrack's original destination port: the published host port, whatever DNAT did.
    OrigDstPort {
        ports: Ports,
        negated: bool,
    },
    InIface {
        names: Vec<String>,
        negated: bool,
    },
    OutIface {
        names: Vec<String>,
        negated: bool,
    },
    /// Source prefixes (`10.0.0.0/8`) or a named set of addresses.
    Source {
        prefixes: Vec<String>,
        negated: bool,
    },
    Destination {
        prefixes: Vec<String>,
        negated: bool,
    },
    /// conntrack states (`new`, `established` ...).
    CtState {
        states: Vec<String>,
        negated: bool,
    },
    /// Something vigil does not evaluate, as the ruleset says it.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
    Return,
    Jump(String),
    Goto(String),
    /// A verdict map on a port: the entry matching the port decides.
    PortMap {
        original: bool,
        entries: Vec<((u16, u16), Verdict)>,
    },
}

/// A named set of ports or addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSet {
    pub family: Family,
    pub table: String,
    pub name: String,
    pub ports: Vec<(u16, u16)>,
    pub prefixes: Vec<String>,
}

/// The whole rule set of one backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    pub chains: Vec<Chain>,
    pub sets: Vec<NamedSet>,
}
