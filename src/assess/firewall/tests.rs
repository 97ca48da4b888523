use super::*;
use crate::model::firewall::{BaseHook, Family, NamedSet};

fn base(
    family: Family,
    table: &str,
    name: &str,
    hook: Hook,
    policy_drops: bool,
    rules: Vec<Rule>,
) -> Chain {
    Chain {
        family,
        table: table.into(),
        name: name.into(),
        base: Some(BaseHook {
            hook,
            priority: 0,
            kind: "filter".into(),
            policy_drops,
        }),
        rules,
    }
}

fn regular(name: &str, rules: Vec<Rule>) -> Chain {
    Chain {
        family: Family::Ip,
        table: "filter".into(),
        name: name.into(),
        base: None,
        rules,
    }
}

fn rule(handle: u64, conditions: Vec<Condition>, verdict: Verdict) -> Rule {
    Rule {
        handle: Some(handle),
        text: None,
        conditions,
        verdict: Some(verdict),
    }
}

fn dport(port: u16) -> Condition {
    Condition::DstPort {
        ports: Ports::Ranges(vec![(port, port)]),
        negated: false,
    }
}

fn tcp() -> Condition {
    Condition::Protocol {
        l4: vec![L4::Tcp],
        negated: false,
    }
}

fn listener(port: u16) -> Probe {
    Probe {
        v6: false,
        l4: L4::Tcp,
        host_port: port,
        forwarded: None,
        interfaces: vec!["eth0".into()],
    }
}

fn published(host_port: u16, container_port: u16) -> Probe {
    Probe {
        v6: false,
        l4: L4::Tcp,
        host_port,
        forwarded: Some(Forwarded {
            container_port,
            container_ip: Some("172.17.0.2".parse().expect("ip")),
            bridge: Some("docker0".into()),
        }),
        interfaces: vec!["eth0".into()],
    }
}

fn filtered_by(verdict: &FirewallVerdict) -> Option<&str> {
    match verdict {
        FirewallVerdict::Filtered { rule, .. } => Some(rule),
        _ => None,
    }
}

#[test]
fn an_input_drop_filters_a_host_listener_but_never_a_published_port() {
    let ruleset = Ruleset {
        chains: vec![base(
            Family::Inet,
            "host",
            "input",
            Hook::Input,
            false,
            vec![rule(7, vec![tcp(), dport(8080)], Verdict::Drop)],
        )],
        sets: vec![],
    };
    assert_eq!(
        filtered_by(&judge(&ruleset, &listener(8080))),
        Some("inet host input handle 7")
    );
    assert!(matches!(
        judge(&ruleset, &published(8080, 80)),
        FirewallVerdict::Open { .. }
    ));
}

/// DOCKER-USER sees the packet after DNAT: the published port never matches there, the
/// container's port and conntrack's original port do.
#[test]
fn docker_user_matches_the_container_port_or_the_original_port() {
    let docker_user = |condition: Condition| Ruleset {
        chains: vec![
            base(
                Family::Ip,
                "filter",
                "FORWARD",
                Hook::Forward,
                true,
                vec![
                    rule(1, vec![], Verdict::Jump("DOCKER-USER".into())),
                    rule(
                        2,
                        vec![Condition::OutIface {
                            names: vec!["docker0".into()],
                            negated: false,
                        }],
                        Verdict::Jump("DOCKER".into()),
                    ),
                ],
            ),
            regular(
                "DOCKER-USER",
                vec![
                    rule(3, vec![tcp(), condition], Verdict::Drop),
                    rule(4, vec![], Verdict::Return),
                ],
            ),
            regular(
                "DOCKER",
                vec![rule(
                    5,
                    vec![
                        Condition::Destination {
                            prefixes: vec!["172.17.0.2/32".into()],
                            negated: false,
                        },
                        Condition::InIface {
                            names: vec!["docker0".into()],
                            negated: true,
                        },
                        tcp(),
                        dport(80),
                    ],
                    Verdict::Accept,
                )],
            ),
        ],
        sets: vec![],
    };
    let probe = published(38191, 80);
    assert!(
        matches!(
            judge(&docker_user(dport(38191)), &probe),
            FirewallVerdict::Open { .. }
        ),
        "the host port does nothing there"
    );
    assert_eq!(
        filtered_by(&judge(&docker_user(dport(80)), &probe)),
        Some("ip filter DOCKER-USER handle 3")
    );
    let original = Condition::OrigDstPort {
        ports: Ports::Ranges(vec![(38191, 38191)]),
        negated: false,
    };
    assert_eq!(
        filtered_by(&judge(&docker_user(original), &probe)),
        Some("ip filter DOCKER-USER handle 3")
    );
    // Another port published by the same container is untouched.
    assert!(
        matches!(
            judge(&docker_user(dport(80)), &published(38192, 81)),
            FirewallVerdict::Filtered { .. }
        ),
        "FORWARD's policy drops what DOCKER does not accept"
    );
}

#[test]
fn an_accept_before_a_drop_wins_and_a_source_limited_rule_is_an_exception() {
    let ruleset = Ruleset {
        chains: vec![base(
            Family::Inet,
            "host",
            "input",
            Hook::Input,
            false,
            vec![
                rule(
                    1,
                    vec![
                        Condition::Source {
                            prefixes: vec!["10.0.0.0/8".into()],
                            negated: false,
                        },
                        tcp(),
                        dport(22),
                    ],
                    Verdict::Accept,
                ),
                rule(2, vec![tcp(), dport(5000)], Verdict::Accept),
                rule(
                    3,
                    vec![
                        tcp(),
                        Condition::DstPort {
                            ports: Ports::Set("blocked".into()),
                            negated: false,
                        },
                    ],
                    Verdict::Drop,
                ),
                rule(
                    4,
                    vec![Condition::Source {
                        prefixes: vec!["203.0.113.0/24".into()],
                        negated: false,
                    }],
                    Verdict::Drop,
                ),
            ],
        )],
        sets: vec![NamedSet {
            family: Family::Inet,
            table: "host".into(),
            name: "blocked".into(),
            ports: vec![(22, 22), (5000, 5003)],
            prefixes: vec![],
        }],
    };
    let verdict = judge(&ruleset, &listener(22));
    let FirewallVerdict::Filtered { rule, exceptions } = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(rule, "inet host input handle 3");
    assert_eq!(exceptions.len(), 1);
    assert!(!exceptions[0].dropped && exceptions[0].when == "from 10.0.0.0/8");
    assert!(
        matches!(
            judge(&ruleset, &listener(5000)),
            FirewallVerdict::Open { .. }
        ),
        "accepted before the set drops it"
    );
    let FirewallVerdict::Open { exceptions } = judge(&ruleset, &listener(9000)) else {
        panic!()
    };
    assert!(
        exceptions
            .iter()
            .any(|e| e.dropped && e.when == "from 203.0.113.0/24"),
        "{exceptions:?}"
    );
}

#[test]
fn what_cannot_be_evaluated_is_unknown_never_filtered() {
    let ruleset = Ruleset {
        chains: vec![base(
            Family::Ip,
            "filter",
            "INPUT",
            Hook::Input,
            true,
            vec![rule(
                9,
                vec![Condition::Unknown(
                    "{\"xt\":{\"name\":\"conntrack\"}}".into(),
                )],
                Verdict::Accept,
            )],
        )],
        sets: vec![],
    };
    let FirewallVerdict::Unknown { why } = judge(&ruleset, &listener(80)) else {
        panic!()
    };
    assert!(
        why.contains("ip filter INPUT handle 9") && why.contains("conntrack"),
        "{why}"
    );
}

#[test]
fn ipv6_only_rules_leave_ipv4_open_and_every_base_chain_counts() {
    let ruleset = Ruleset {
        chains: vec![
            base(Family::Ip6, "v6", "input", Hook::Input, true, vec![]),
            base(
                Family::Inet,
                "first",
                "input",
                Hook::Input,
                false,
                vec![rule(1, vec![], Verdict::Accept)],
            ),
            base(
                Family::Inet,
                "vigil",
                "input",
                Hook::Input,
                false,
                vec![rule(2, vec![tcp(), dport(8443)], Verdict::Drop)],
            ),
        ],
        sets: vec![],
    };
    // An accept in one base chain does not stop the next one on the same hook.
    assert_eq!(
        filtered_by(&judge(&ruleset, &listener(8443))),
        Some("inet vigil input handle 2")
    );
    assert!(matches!(
        judge(&ruleset, &listener(80)),
        FirewallVerdict::Open { .. }
    ));
    let v6 = Probe {
        v6: true,
        ..listener(80)
    };
    assert_eq!(
        filtered_by(&judge(&ruleset, &v6)),
        Some("ip6 v6 input policy drop")
    );
}

#[test]
fn interfaces_decide_exactly_when_the_host_has_one() {
    let chains = |negated| {
        vec![base(
            Family::Inet,
            "h",
            "input",
            Hook::Input,
            false,
            vec![rule(
                1,
                vec![
                    Condition::InIface {
                        names: vec!["eth*".into()],
                        negated,
                    },
                    tcp(),
                    dport(80),
                ],
                Verdict::Drop,
            )],
        )]
    };
    let ruleset = Ruleset {
        chains: chains(false),
        sets: vec![],
    };
    assert!(filtered_by(&judge(&ruleset, &listener(80))).is_some());
    let two = Probe {
        interfaces: vec!["eth0".into(), "wg0".into()],
        ..listener(80)
    };
    let FirewallVerdict::Open { exceptions } = judge(&ruleset, &two) else {
        panic!()
    };
    assert_eq!(exceptions[0].when, "arriving on eth*");
    let negated = Ruleset {
        chains: chains(true),
        sets: vec![],
    };
    assert!(matches!(
        judge(&negated, &listener(80)),
        FirewallVerdict::Open { .. }
    ));
}

#[test]
fn prefixes_contain_addresses() {
    let v4: IpAddr = "172.17.0.2".parse().expect("ip");
    assert!(prefix_contains("172.17.0.0/16", v4));
    assert!(prefix_contains("172.17.0.2", v4));
    assert!(!prefix_contains("172.18.0.0/16", v4));
    assert!(prefix_contains("0.0.0.0/0", v4));
    assert!(prefix_contains("fd00::/8", "fd12::1".parse().expect("ip")));
    assert!(!prefix_contains("fd00::/8", v4));
}
