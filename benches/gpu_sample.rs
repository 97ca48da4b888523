//! One GPU sample with 8 cards and 100 GPU processes, through the real nvml-wrapper path into
//! the stand-in library (tests/nvml/fake_nvml.c, compiled here with gcc), with real host
//! processes behind the PIDs so the /proc lookups are real. Also the host summary (sysinfo).
//!
//! The library's own work is a few integer copies per call, so the time is vigil's: the
//! wrapper's calls, the per-process bookkeeping and the /proc reads.

use criterion::{Criterion, criterion_group, criterion_main};
use std::process::{Child, Command};
use vigil::collect::gpu::{self, CardReader};
use vigil::collect::host::HostSampler;

const CARDS: usize = 8;
const PROCESSES: usize = 100;

fn scenario(pids: &[u32]) -> String {
    let mut text = String::from("driver 550.54.15\ncuda 12040\n");
    for index in 0..CARDS {
        text.push_str(&format!(
            "gpu name=\"NVIDIA H100 80GB HBM3\" uuid=GPU-{index:08x} util=60 memutil=30 \
             mem_total=85899345920 mem_used=42949672960 temp=65 power_mw=450000 limit_mw=700000 \
             sm_clock=1980 throttle=0x4 ecc=1 ecc_uncorrected=0 mig=0 pci=00000000:{index:02x}:00.0\n"
        ));
    }
    for (number, pid) in pids.iter().enumerate() {
        text.push_str(&format!(
            "proc gpu={} pid={pid} used={} sm={}\n",
            number % CARDS,
            (number + 1) << 26,
            number % 100
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let library = dir.path().join("libnvidia-ml.so.1");
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvml/fake_nvml.c");
    let built = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&library)
        .arg(source)
        .status()
        .expect("gcc");
    assert!(built.success());
    let mut children: Vec<Child> = (0..PROCESSES)
        .map(|_| Command::new("sleep").arg("1000").spawn().expect("sleep"))
        .collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    std::fs::write(format!("{}.scenario", library.display()), scenario(&pids)).expect("scenario");

    let nvml = gpu::open(Some(&library)).expect("stand-in NVML opens");
    let events = gpu::register_xids(&nvml);
    let mut reader = CardReader::default();
    let first = reader.sample(&nvml, events.as_ref());
    assert_eq!(first.gpus.len(), CARDS);
    assert_eq!(
        first.processes().filter(|(_, p)| p.visible).count(),
        PROCESSES
    );

    c.bench_function("gpu sample, 8 cards, 100 processes (warm)", |b| {
        b.iter(|| reader.sample(&nvml, events.as_ref()))
    });
    c.bench_function(
        "gpu sample, 8 cards, 100 processes (cold: new reader)",
        |b| b.iter(|| CardReader::default().sample(&nvml, events.as_ref())),
    );
    let mut host = HostSampler::default();
    c.bench_function("host summary (sysinfo)", |b| b.iter(|| host.sample()));

    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
