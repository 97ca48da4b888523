//! The firewall verdict at scale: a rule set of 1,000 rules (Docker's chains plus a long
//! DOCKER-USER and INPUT of port, source and interface rules, as a hardened host has) read from
//! iptables-save text, and 100 published ports judged against it. Target: under 20 ms for all
//! 100 (the TUI judges again only when the rule set or the containers change).

use criterion::{Criterion, criterion_group, criterion_main};
use vigil::assess::firewall::{Forwarded, Probe, judge};
use vigil::collect::ruleset::parse_save;
use vigil::model::firewall::L4;

fn saved_rules(count: usize) -> String {
    let mut text = String::from(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n:DOCKER-USER - [0:0]\n\
         -A FORWARD -j DOCKER-USER\n\
         -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n\
         -A FORWARD -o docker0 -j DOCKER\n",
    );
    for i in 0..100u32 {
        text.push_str(&format!(
            "-A DOCKER -d 172.17.{}.{}/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport {} -j ACCEPT\n",
            i / 200,
            i % 200 + 2,
            8000 + i
        ));
    }
    for i in 0..count.saturating_sub(103) as u32 {
        let rule = match i % 4 {
            0 => format!("-A DOCKER-USER -s 203.0.{}.0/24 -j DROP\n", i % 250),
            1 => format!(
                "-A DOCKER-USER -p tcp -m conntrack --ctorigdstport {} -j DROP\n",
                40000 + i
            ),
            2 => format!(
                "-A INPUT -i eth{} -p tcp -m tcp --dport {} -j ACCEPT\n",
                i % 3,
                20000 + i
            ),
            _ => format!(
                "-A DOCKER-USER -p udp -m multiport --dports {},{}:{} -j REJECT\n",
                1000 + i,
                2000 + i,
                2100 + i
            ),
        };
        text.push_str(&rule);
    }
    text.push_str("-A DOCKER-USER -j RETURN\nCOMMIT\n");
    text
}

fn probes() -> Vec<Probe> {
    (0..100u16)
        .map(|i| Probe {
            v6: false,
            l4: L4::Tcp,
            host_port: 30000 + i,
            forwarded: Some(Forwarded {
                container_port: 8000 + i,
                container_ip: Some(format!("172.17.0.{}", i % 200 + 2).parse().expect("ip")),
                bridge: Some("docker0".into()),
            }),
            interfaces: vec!["eth0".into()],
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = saved_rules(1000);
    let ruleset = parse_save(&text, false);
    let rules: usize = ruleset.chains.iter().map(|c| c.rules.len()).sum();
    assert!(rules >= 1000, "{rules} rules");
    let probes = probes();
    c.bench_function("read 1,000 rules from iptables-save text", |b| {
        b.iter(|| parse_save(std::hint::black_box(&text), false))
    });
    c.bench_function("judge 100 published ports against 1,000 rules", |b| {
        b.iter(|| {
            probes
                .iter()
                .map(|p| judge(&ruleset, p))
                .collect::<Vec<_>>()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
