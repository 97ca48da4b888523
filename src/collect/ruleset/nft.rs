//! `nft -j list ruleset` into `model::firewall`.
//!
//! Every expression vigil does not evaluate becomes `Condition::Unknown` with its JSON, so the
//! verdict that depends on it says `unknown`, never a guess.

use super::RulesetError;
use crate::model::firewall::{
    BaseHook, Chain, Condition, Family, Hook, L4, NamedSet, Ports, Rule, Ruleset, Verdict,
};
use serde_json::Value;

/// Parses `nft -j list ruleset` output.
pub fn parse_nft_json(bytes: &[u8]) -> Result<Ruleset, RulesetError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|err| RulesetError::Unreadable(err.to_string()))?;
    let objects = document["nftables"]
        .as_array()
        .ok_or_else(|| RulesetError::Unreadable("no `nftables` array".into()))?;
    let mut ruleset = Ruleset::default();
    for object in objects {
        if let Some(chain) = object.get("chain") {
            ruleset.chains.push(chain_of(chain));
        } else if let Some(set) = object.get("set") {
            ruleset.sets.push(set_of(set));
        }
    }
    for object in objects {
        let Some(rule) = object.get("rule") else {
            continue;
        };
        let (family, table, name) = (
            family_of(&rule["family"]),
            text(&rule["table"]),
            text(&rule["chain"]),
        );
        if let Some(chain) = ruleset
            .chains
            .iter_mut()
            .find(|c| c.family == family && c.table == table && c.name == name)
        {
            chain.rules.push(rule_of(rule));
        }
    }
    Ok(ruleset)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn family_of(value: &Value) -> Family {
    match value.as_str() {
        Some("ip") => Family::Ip,
        Some("ip6") => Family::Ip6,
        Some("inet") => Family::Inet,
        _ => Family::Other,
    }
}

fn chain_of(chain: &Value) -> Chain {
    let base = chain
        .get("hook")
        .and_then(Value::as_str)
        .map(|hook| BaseHook {
            hook: match hook {
                "prerouting" => Hook::Prerouting,
                "input" => Hook::Input,
                "forward" => Hook::Forward,
                "output" => Hook::Output,
                "postrouting" => Hook::Postrouting,
                _ => Hook::Other,
            },
            priority: chain["prio"].as_i64().unwrap_or(0) as i32,
            kind: text(&chain["type"]),
            policy_drops: chain["policy"].as_str() == Some("drop"),
        });
    Chain {
        family: family_of(&chain["family"]),
        table: text(&chain["table"]),
        name: text(&chain["name"]),
        base,
        rules: Vec::new(),
    }
}

fn set_of(set: &Value) -> NamedSet {
    let mut named = NamedSet {
        family: family_of(&set["family"]),
        table: text(&set["table"]),
        name: text(&set["name"]),
        ports: Vec::new(),
        prefixes: Vec::new(),
    };
    for element in set["elem"].as_array().into_iter().flatten() {
        let element = element.get("elem").map_or(element, |e| &e["val"]);
        if let Some(range) = port_range(element) {
            named.ports.push(range);
        } else if let Some(prefix) = prefix_of(element) {
            named.prefixes.push(prefix);
        }
    }
    named
}

fn rule_of(rule: &Value) -> Rule {
    let mut out = Rule {
        handle: rule["handle"].as_u64(),
        text: None,
        conditions: Vec::new(),
        verdict: None,
    };
    for expression in rule["expr"].as_array().into_iter().flatten() {
        let Some((kind, body)) = expression.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        match kind.as_str() {
            "match" => out.conditions.push(condition_of(body)),
            "accept" => out.verdict = Some(Verdict::Accept),
            "drop" => out.verdict = Some(Verdict::Drop),
            "reject" => out.verdict = Some(Verdict::Reject),
            "return" => out.verdict = Some(Verdict::Return),
            "jump" => out.verdict = Some(Verdict::Jump(text(&body["target"]))),
            "goto" => out.verdict = Some(Verdict::Goto(text(&body["target"]))),
            "vmap" => match port_map(body) {
                Some(map) => out.verdict = Some(map),
                None => out.conditions.push(unknown(expression)),
            },
            // Statements that count, log or mark decide nothing.
            "counter" | "log" | "notrack" | "mangle" => {}
            _ => out.conditions.push(unknown(expression)),
        }
    }
    out
}

fn unknown(expression: &Value) -> Condition {
    Condition::Unknown(crate::util::text::one_line(&expression.to_string(), 160))
}

/// One `match` expression.
fn condition_of(body: &Value) -> Condition {
    let negated = body["op"].as_str() == Some("!=");
    let (left, right) = (&body["left"], &body["right"]);
    let op_ok = matches!(body["op"].as_str(), Some("==" | "!=" | "in"));
    if !op_ok {
        return Condition::Unknown(crate::util::text::one_line(&body.to_string(), 160));
    }
    let known = if let Some(meta) = left.get("meta") {
        meta_condition(&meta["key"], right, negated)
    } else if let Some(payload) = left.get("payload") {
        payload_condition(payload, right, negated)
    } else if let Some(ct) = left.get("ct") {
        ct_condition(ct, right, negated)
    } else {
        None
    };
    known.unwrap_or_else(|| Condition::Unknown(crate::util::text::one_line(&body.to_string(), 160)))
}

fn meta_condition(key: &Value, right: &Value, negated: bool) -> Option<Condition> {
    match key.as_str()? {
        "l4proto" => Some(Condition::Protocol {
            l4: protocols(right)?,
            negated,
        }),
        "nfproto" => match (right.as_str()?, negated) {
            ("ipv4", false) | ("ipv6", true) => Some(Condition::Version { v6: false }),
            ("ipv6", false) | ("ipv4", true) => Some(Condition::Version { v6: true }),
            _ => None,
        },
        "iifname" => Some(Condition::InIface {
            names: strings(right)?,
            negated,
        }),
        "oifname" => Some(Condition::OutIface {
            names: strings(right)?,
            negated,
        }),
        _ => None,
    }
}

fn payload_condition(payload: &Value, right: &Value, negated: bool) -> Option<Condition> {
    let protocol = payload["protocol"].as_str()?;
    match (protocol, payload["field"].as_str()?) {
        ("tcp" | "udp", "dport") => Some(Condition::DstPort {
            ports: ports(right)?,
            negated,
        }),
        ("ip" | "ip6", "protocol" | "nexthdr") => Some(Condition::Protocol {
            l4: protocols(right)?,
            negated,
        }),
        ("ip" | "ip6", "saddr") => Some(Condition::Source {
            prefixes: prefixes(right)?,
            negated,
        }),
        ("ip" | "ip6", "daddr") => Some(Condition::Destination {
            prefixes: prefixes(right)?,
            negated,
        }),
        _ => None,
    }
}

fn ct_condition(ct: &Value, right: &Value, negated: bool) -> Option<Condition> {
    match (ct["key"].as_str()?, ct["dir"].as_str()) {
        ("state", None) => Some(Condition::CtState {
            states: strings(right)?,
            negated,
        }),
        ("proto-dst", Some("original")) => Some(Condition::OrigDstPort {
            ports: ports(right)?,
            negated,
        }),
        _ => None,
    }
}

/// `"tcp"`, `6`, `{"set": ["tcp", "udp"]}`.
fn protocols(right: &Value) -> Option<Vec<L4>> {
    let one = |value: &Value| match (value.as_str(), value.as_u64()) {
        (Some("tcp"), _) | (_, Some(6)) => Some(L4::Tcp),
        (Some("udp"), _) | (_, Some(17)) => Some(L4::Udp),
        _ => None,
    };
    match right.get("set").and_then(Value::as_array) {
        // Other protocols in the set (icmp ...) never match a TCP or UDP probe: dropped.
        Some(list) => Some(list.iter().filter_map(one).collect()),
        // A known protocol, or another one (icmp: never a TCP or UDP probe); else unknown.
        None => one(right)
            .map(|l4| vec![l4])
            .or_else(|| (right.is_string() || right.is_u64()).then(Vec::new)),
    }
}

fn strings(right: &Value) -> Option<Vec<String>> {
    match right {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => right.get("set").and_then(Value::as_array).and_then(|list| {
            list.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect()
        }),
    }
}

fn ports(right: &Value) -> Option<Ports> {
    if let Some(name) = right.as_str().and_then(|s| s.strip_prefix('@')) {
        return Some(Ports::Set(name.to_string()));
    }
    if let Some(range) = port_range(right) {
        return Some(Ports::Ranges(vec![range]));
    }
    let list = right.get("set")?.as_array()?;
    list.iter()
        .map(port_range)
        .collect::<Option<Vec<_>>>()
        .map(Ports::Ranges)
}

fn port_range(value: &Value) -> Option<(u16, u16)> {
    if let Some(port) = value.as_u64() {
        let port = u16::try_from(port).ok()?;
        return Some((port, port));
    }
    let pair = value.get("range")?.as_array()?;
    let low = u16::try_from(pair.first()?.as_u64()?).ok()?;
    let high = u16::try_from(pair.get(1)?.as_u64()?).ok()?;
    Some((low, high))
}

fn prefixes(right: &Value) -> Option<Vec<String>> {
    if let Some(name) = right.as_str().and_then(|s| s.strip_prefix('@')) {
        return Some(vec![format!("@{name}")]);
    }
    if let Some(one) = prefix_of(right) {
        return Some(vec![one]);
    }
    right
        .get("set")?
        .as_array()?
        .iter()
        .map(prefix_of)
        .collect()
}

fn prefix_of(value: &Value) -> Option<String> {
    if let Some(address) = value.as_str() {
        return address
            .parse::<std::net::IpAddr>()
            .ok()
            .map(|a| a.to_string());
    }
    let prefix = value.get("prefix")?;
    Some(format!(
        "{}/{}",
        prefix["addr"].as_str()?,
        prefix["len"].as_u64()?
    ))
}

/// `tcp dport vmap { 22 : accept, 80 : drop }`.
fn port_map(body: &Value) -> Option<Verdict> {
    let key = body["key"].get("payload").map(|_| false).or_else(|| {
        body["key"]
            .get("ct")
            .filter(|ct| ct["key"] == "proto-dst" && ct["dir"] == "original")
            .map(|_| true)
    })?;
    if body["key"]
        .get("payload")
        .is_some_and(|p| p["field"] != "dport")
    {
        return None;
    }
    let mut entries = Vec::new();
    for pair in body["data"]["set"].as_array()? {
        let pair = pair.as_array()?;
        let range = port_range(pair.first()?)?;
        let (kind, target) = pair.get(1)?.as_object()?.iter().next()?;
        let verdict = match kind.as_str() {
            "accept" => Verdict::Accept,
            "drop" => Verdict::Drop,
            "reject" => Verdict::Reject,
            "return" => Verdict::Return,
            "jump" => Verdict::Jump(text(&target["target"])),
            "goto" => Verdict::Goto(text(&target["target"])),
            _ => return None,
        };
        entries.push((range, verdict));
    }
    Some(Verdict::PortMap {
        original: key,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules as `nft -j` (1.0.6) prints Docker's iptables-nft chains: the `xt` match (conntrack
    /// options nft cannot show) stays unknown, never read as a plain accept.
    #[test]
    fn docker_iptables_nft_rules_keep_what_nft_cannot_show_as_unknown() {
        let json = br#"{"nftables": [
            {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
            {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 6, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
            {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 960, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "docker0"}}, {"xt": {"type": "match", "name": "conntrack"}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
            {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 959, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "docker0"}}, {"counter": {"packets": 0, "bytes": 0}}, {"jump": {"target": "DOCKER"}}]}}
        ]}"#;
        let ruleset = parse_nft_json(json).expect("parses");
        let chain = &ruleset.chains[0];
        assert_eq!(chain.label(), "ip filter FORWARD");
        assert!(
            chain
                .base
                .as_ref()
                .is_some_and(|b| b.policy_drops && b.hook == Hook::Forward)
        );
        assert!(matches!(
            chain.rules[0].conditions[1],
            Condition::Unknown(_)
        ));
        assert_eq!(chain.rules[0].verdict, Some(Verdict::Accept));
        assert_eq!(chain.rules[1].verdict, Some(Verdict::Jump("DOCKER".into())));
    }

    #[test]
    fn not_json_is_an_error() {
        assert!(matches!(
            parse_nft_json(b"table inet x {}"),
            Err(RulesetError::Unreadable(_))
        ));
    }
}
