//! `iptables-save` / `ip6tables-save` text into `model::firewall`: the legacy backend, and the
//! iptables-nft tables whose `xt` matches `nft -j` cannot show (Docker's own rules among them).
//!
//! Built-in chains get their table's place on the hook (raw -300, mangle -150, nat -100,
//! filter 0, security 50). A rule keeps its text, which is how iptables names a rule. Any option
//! vigil does not evaluate becomes `Condition::Unknown`.

use crate::model::firewall::{
    BaseHook, Chain, Condition, Family, Hook, L4, Ports, Rule, Ruleset, Verdict,
};

/// Targets that mark, log or count and let the packet go on: no verdict.
const GOES_ON: &[&str] = &[
    "LOG", "NFLOG", "MARK", "CONNMARK", "TRACE", "AUDIT", "CT", "NOTRACK",
];

/// Parses one family's save output (`v6` for `ip6tables-save`).
pub fn parse_save(text: &str, v6: bool) -> Ruleset {
    let family = if v6 { Family::Ip6 } else { Family::Ip };
    let mut ruleset = Ruleset::default();
    let mut table = String::new();
    let mut rules: Vec<(String, String, String)> = Vec::new(); // (table, chain, rest)
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('*') {
            table = name.to_string();
        } else if let Some(declaration) = line.strip_prefix(':') {
            ruleset.chains.push(chain_of(family, &table, declaration));
        } else if let Some(rest) = line.strip_prefix("-A ") {
            let (chain, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            rules.push((table.clone(), chain.to_string(), rest.to_string()));
        }
    }
    for (table, chain_name, rest) in rules {
        let known = |target: &str| {
            ruleset
                .chains
                .iter()
                .any(|c| c.table == table && c.name == target)
        };
        let rule = rule_of(&rest, &known);
        if let Some(chain) = ruleset
            .chains
            .iter_mut()
            .find(|c| c.table == table && c.name == chain_name)
        {
            chain.rules.push(rule);
        }
    }
    ruleset
}

/// `:INPUT ACCEPT [0:0]` (built-in, with policy) or `:DOCKER - [0:0]` (user chain).
fn chain_of(family: Family, table: &str, declaration: &str) -> Chain {
    let mut words = declaration.split_whitespace();
    let name = words.next().unwrap_or_default().to_string();
    let policy = words.next().unwrap_or("-");
    let hook = match name.as_str() {
        "PREROUTING" => Some(Hook::Prerouting),
        "INPUT" => Some(Hook::Input),
        "FORWARD" => Some(Hook::Forward),
        "OUTPUT" => Some(Hook::Output),
        "POSTROUTING" => Some(Hook::Postrouting),
        _ => None,
    };
    let (priority, kind) = match table {
        "raw" => (-300, "filter"),
        "mangle" => (-150, "filter"),
        "nat" => (-100, "nat"),
        "security" => (50, "filter"),
        _ => (0, "filter"),
    };
    Chain {
        family,
        table: table.to_string(),
        name,
        base: hook.filter(|_| policy != "-").map(|hook| BaseHook {
            hook,
            priority,
            kind: kind.to_string(),
            policy_drops: policy == "DROP",
        }),
        rules: Vec::new(),
    }
}

/// Splits a rule's options as the shell would (comments are quoted).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => quoted = !quoted,
            '\\' if quoted => current.extend(chars.next()),
            ' ' if !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn rule_of(text: &str, is_chain: &dyn Fn(&str) -> bool) -> Rule {
    let mut rule = Rule {
        handle: None,
        text: Some(format!("-A {text}")),
        conditions: Vec::new(),
        verdict: None,
    };
    let words = words(text);
    let mut index = 0;
    let mut negated = false;
    while index < words.len() {
        let option = words[index].as_str();
        let value = words.get(index + 1).map(String::as_str).unwrap_or_default();
        index += 2;
        let condition = match option {
            "!" => {
                negated = true;
                index -= 1;
                continue;
            }
            "-m" => None,
            "-p" => Some(Condition::Protocol {
                l4: protocol(value),
                negated,
            }),
            "-s" => Some(Condition::Source {
                prefixes: list(value),
                negated,
            }),
            "-d" => Some(Condition::Destination {
                prefixes: list(value),
                negated,
            }),
            "-i" => Some(Condition::InIface {
                names: vec![iface(value)],
                negated,
            }),
            "-o" => Some(Condition::OutIface {
                names: vec![iface(value)],
                negated,
            }),
            "--dport" | "--dports" | "--destination-port" | "--destination-ports" => ports(value)
                .map(|ports| Condition::DstPort { ports, negated })
                .or(Some(Condition::Unknown(format!("{option} {value}")))),
            "--ctorigdstport" => ports(value)
                .map(|ports| Condition::OrigDstPort { ports, negated })
                .or(Some(Condition::Unknown(format!("{option} {value}")))),
            "--ctstate" | "--state" => Some(Condition::CtState {
                states: value.split(',').map(str::to_ascii_lowercase).collect(),
                negated,
            }),
            "--comment" => None,
            "-j" | "-g" => {
                rule.verdict = target(option, value, is_chain, &mut rule.conditions);
                None
            }
            // Any other option, with the values that follow it: not evaluated.
            _ => {
                index -= 1;
                let mut said = format!("{}{option}", if negated { "! " } else { "" });
                while let Some(next) = words
                    .get(index)
                    .filter(|w| !w.starts_with('-') && *w != "!")
                {
                    said.push(' ');
                    said.push_str(next);
                    index += 1;
                }
                Some(Condition::Unknown(said))
            }
        };
        rule.conditions.extend(condition);
        negated = false;
    }
    // `--reject-with` and the like follow the target: they decide nothing.
    rule.conditions.retain(|c| !matches!(c, Condition::Unknown(w) if w.starts_with("--reject-with") || w.starts_with("--log-")));
    rule
}

fn target(
    option: &str,
    value: &str,
    is_chain: &dyn Fn(&str) -> bool,
    conditions: &mut Vec<Condition>,
) -> Option<Verdict> {
    match value {
        "ACCEPT" => Some(Verdict::Accept),
        "DROP" => Some(Verdict::Drop),
        "REJECT" => Some(Verdict::Reject),
        "RETURN" => Some(Verdict::Return),
        chain if is_chain(chain) => Some(if option == "-g" {
            Verdict::Goto(chain.into())
        } else {
            Verdict::Jump(chain.into())
        }),
        other if GOES_ON.contains(&other) => None,
        other => {
            // A target vigil does not know may stop the packet: the rule cannot be judged.
            conditions.push(Condition::Unknown(format!("-j {other}")));
            Some(Verdict::Accept)
        }
    }
}

fn protocol(value: &str) -> Vec<L4> {
    match value.to_ascii_lowercase().as_str() {
        "tcp" | "6" => vec![L4::Tcp],
        "udp" | "17" => vec![L4::Udp],
        _ => Vec::new(),
    }
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_string).collect()
}

/// iptables' `eth+` wildcard is nft's `eth*`.
fn iface(value: &str) -> String {
    match value.strip_suffix('+') {
        Some(stem) => format!("{stem}*"),
        None => value.to_string(),
    }
}

/// `80`, `8000:8100`, `22,80,8000:8100`.
fn ports(value: &str) -> Option<Ports> {
    value
        .split(',')
        .map(|part| {
            let (low, high) = part.split_once(':').unwrap_or((part, part));
            let low = if low.is_empty() { 0 } else { low.parse().ok()? };
            let high = if high.is_empty() {
                u16::MAX
            } else {
                high.parse().ok()?
            };
            Some((low, high))
        })
        .collect::<Option<Vec<_>>>()
        .map(Ports::Ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Docker's own rules as `iptables-save` (1.8.9) prints them, and a user's DOCKER-USER rules.
    const SAVED: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 38191 -m comment --comment \"block the web UI\" -j DROP
-A DOCKER-USER -i eth+ -p tcp -m multiport --dports 22,5000:5003 -j REJECT --reject-with icmp-port-unreachable
-A DOCKER-USER -m addrtype --dst-type LOCAL -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
";

    #[test]
    fn docker_rules_and_a_user_block_are_read() {
        let ruleset = parse_save(SAVED, false);
        let forward = ruleset
            .chains
            .iter()
            .find(|c| c.name == "FORWARD")
            .expect("FORWARD");
        assert!(
            forward
                .base
                .as_ref()
                .is_some_and(|b| b.policy_drops && b.hook == Hook::Forward)
        );
        assert_eq!(
            forward.rules[0].verdict,
            Some(Verdict::Jump("DOCKER-USER".into()))
        );
        assert!(forward.rules[1].conditions.iter().any(|c| matches!(c, Condition::CtState { states, .. } if states.contains(&"established".to_string()))));
        let docker = ruleset
            .chains
            .iter()
            .find(|c| c.name == "DOCKER")
            .expect("DOCKER");
        assert!(docker.base.is_none());
        assert!(docker.rules[0].conditions.contains(&Condition::InIface {
            names: vec!["docker0".into()],
            negated: true
        }));
        let user = ruleset
            .chains
            .iter()
            .find(|c| c.name == "DOCKER-USER")
            .expect("user");
        assert_eq!(
            user.rules[0].conditions[1],
            Condition::OrigDstPort {
                ports: Ports::Ranges(vec![(38191, 38191)]),
                negated: false
            }
        );
        assert_eq!(user.rules[0].verdict, Some(Verdict::Drop));
        assert_eq!(
            user.rules[1].conditions[0],
            Condition::InIface {
                names: vec!["eth*".into()],
                negated: false
            }
        );
        assert_eq!(
            user.rules[1].conditions[2],
            Condition::DstPort {
                ports: Ports::Ranges(vec![(22, 22), (5000, 5003)]),
                negated: false
            }
        );
        assert_eq!(
            user.rules[1].conditions.len(),
            3,
            "{:?}",
            user.rules[1].conditions
        );
        assert!(
            matches!(&user.rules[2].conditions[0], Condition::Unknown(w) if w == "--dst-type LOCAL"),
            "{:?}",
            user.rules[2]
        );
    }
}
