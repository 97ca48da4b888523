//! Detector throughput on source-like text dense with the words scanners look for (`key`,
//! `token`, `secret`, `password` on most lines), the worst ordinary case: every line has
//! keyword hits, so every rule's regex is tried many times. Throughput is reported in bytes/s
//! (one core).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil::secrets::detect::{Detector, TextKind};
use vigil::secrets::rules;

/// Deterministic pseudo-random words (no secrets: nothing here passes the filters).
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn word(&mut self, length: usize) -> String {
        (0..length)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

fn source_text(bytes: usize) -> String {
    let mut words = Words(0x9e37_79b9_7f4a_7c15);
    let mut text = String::with_capacity(bytes + 200);
    while text.len() < bytes {
        let (a, b, n) = (words.word(6), words.word(5), words.next() % 9999);
        let line = match words.next() % 8 {
            0 => format!("def {a}_{b}(self, value, key=None):\n"),
            1 => format!("    token_count = len({a}) + {n}\n"),
            2 => format!("    secret_name = config['{a}_{b}']\n"),
            3 => format!("    if password_policy.min_length > {n}: raise ValueError('{a}')\n"),
            4 => format!("    logger.debug('%s', {a})  # api key rotation handled elsewhere\n"),
            5 => format!("{a}_{b} = [{n}, {n}]\n"),
            6 => format!("    return self.{a}.get('{b}', {n})\n"),
            _ => format!("# {a} {b} {n}\n"),
        };
        text.push_str(&line);
    }
    text
}

fn detector_throughput(c: &mut Criterion) {
    let detector = Detector::new(rules::load(None).expect("rules")).expect("detector");
    let text = source_text(4 << 20);
    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("keyword-dense source, 4 MiB", |b| {
        b.iter(|| detector.detect(text.as_bytes(), TextKind::Code))
    });
    let prose: String = text
        .replace("key", "kez")
        .replace("token", "tokem")
        .replace("secret", "secreq")
        .replace("pass", "pazs");
    group.bench_function("source without keywords, 4 MiB", |b| {
        b.iter(|| detector.detect(prose.as_bytes(), TextKind::Code))
    });
    group.finish();
}

criterion_group!(benches, detector_throughput);
criterion_main!(benches);
