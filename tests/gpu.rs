//! The GPU pane's data through the real code path: nvml-wrapper dlopens a stand-in NVML library
//! (tests/nvml/fake_nvml.c, built with gcc by the test) that answers from a scenario file.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/nvml.rs"]
mod nvml;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, random_token, vigil, vigil_bin};
use docker::{Containers, container, container_pid, docker};
use nvml::{FakeNvml, NvmlBuild};
use serde_json::Value;
use std::time::Duration;
use tmux::{Tmux, line_with};

const TWO_CARDS: &str = r#"driver 550.54.15
cuda 12040
gpu name="NVIDIA A100-SXM4-80GB" uuid=GPU-1a2b3c4d-0000-1111-2222-333344445555 util=87 memutil=40 mem_total=85899345920 mem_used=21474836480 temp=71 power_mw=312500 limit_mw=400000 fan=- sm_clock=1410 throttle=0x24 ecc=1 ecc_uncorrected=2 mig=0 pci=00000000:07:00.0
gpu name="NVIDIA L4" uuid=GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff util=3 memutil=1 mem_total=24000000000 mem_used=500000000 temp=40 power_mw=20000 limit_mw=72000 fan=30 sm_clock=210 throttle=0x1 mig=1
xid gpu=0 code=79
"#;

fn scan_gpu(sandbox: &Sandbox, library: &str) -> Value {
    let (code, stdout, stderr) = vigil(
        sandbox,
        &["scan", "gpu", "--format", "json", "--nvml-lib", library],
    );
    assert_eq!(
        code, 0,
        "scan gpu exits 0 whatever NVML says; stderr: {stderr}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A scenario with this test process on card 0 and PID 1 (graphics) on card 1.
fn two_cards_with_processes() -> String {
    format!(
        "{TWO_CARDS}proc gpu=0 pid={} used=2147483648 sm=55\nproc gpu=1 pid=1 used=104857600 type=graphics sm=7\n",
        std::process::id()
    )
}

#[test]
fn two_cards_every_field_and_process() {
    let fake = FakeNvml::new(NvmlBuild::Current, &two_cards_with_processes());
    let sandbox = Sandbox::new();
    let json = scan_gpu(&sandbox, fake.path());
    assert_eq!(json["available"], true);
    assert_eq!(json["reason"], Value::Null);
    assert_eq!(json["driver"], "550.54.15");
    let gpus = json["gpus"].as_array().expect("gpus");
    assert_eq!(gpus.len(), 2);
    let a100 = &gpus[0];
    assert_eq!(a100["index"], 0);
    assert_eq!(a100["name"], "NVIDIA A100-SXM4-80GB");
    assert_eq!(a100["uuid"], "GPU-1a2b3c4d-0000-1111-2222-333344445555");
    assert_eq!(a100["utilization_gpu"], 87);
    assert_eq!(a100["utilization_memory"], 40);
    assert_eq!(a100["memory_used_bytes"], 21474836480u64);
    assert_eq!(a100["memory_total_bytes"], 85899345920u64);
    assert_eq!(a100["temperature_c"], 71);
    assert_eq!(a100["power_w"], 312.5);
    assert_eq!(a100["power_limit_w"], 400.0);
    assert_eq!(a100["fan_percent"], Value::Null, "passive card: fan n/a");
    assert_eq!(a100["sm_clock_mhz"], 1410);
    assert_eq!(
        a100["throttle_reasons"],
        serde_json::json!(["power cap", "sw thermal"])
    );
    assert_eq!(a100["ecc"]["uncorrected_volatile"], 2);
    assert_eq!(a100["mig_enabled"], false);
    assert_eq!(a100["pci_bus_id"], "00000000:07:00.0");
    assert_eq!(a100["xid_events"][0]["code"], 79);
    let me = &a100["processes"][0];
    assert_eq!(me["pid"], std::process::id());
    assert_eq!(me["used_memory_bytes"], 2147483648u64);
    assert_eq!(me["sm_utilization"], 55);
    assert_eq!(me["type"], "compute");
    let my_name = std::fs::read_to_string("/proc/self/comm").expect("comm");
    assert_eq!(me["name"], my_name.trim());
    assert!(me["user"].is_string());
    assert_eq!(me["container_id"], Value::Null, "the test runs on the host");
    assert_eq!(me["container_name"], Value::Null);

    let l4 = &gpus[1];
    assert_eq!(l4["fan_percent"], 30);
    assert_eq!(l4["mig_enabled"], true);
    assert_eq!(l4["ecc"], Value::Null, "ECC not supported: n/a");
    assert_eq!(
        l4["throttle_reasons"],
        serde_json::json!([]),
        "idle is not throttling"
    );
    assert_eq!(l4["processes"][0]["type"], "graphics");
    assert_eq!(l4["processes"][0]["pid"], 1);

    let (_, table, _) = vigil(&sandbox, &["scan", "gpu", "--nvml-lib", fake.path()]);
    assert!(
        table.contains("GPU 0 NVIDIA A100-SXM4-80GB GPU-1a2b3c4d"),
        "{table}"
    );
    assert!(table.contains("fan n/a"), "{table}");
    assert!(
        table.contains("throttled: power cap, sw thermal"),
        "{table}"
    );
}

#[test]
fn one_card_and_zero_cards() {
    let sandbox = Sandbox::new();
    let one = FakeNvml::new(
        NvmlBuild::Current,
        "gpu name=\"NVIDIA RTX 4090\" uuid=GPU-4090 util=12 memutil=5 mem_total=25757220864 mem_used=0 temp=35\n",
    );
    let json = scan_gpu(&sandbox, one.path());
    assert_eq!(json["gpus"].as_array().expect("gpus").len(), 1);
    assert_eq!(
        json["gpus"][0]["power_w"],
        Value::Null,
        "not in the scenario: n/a"
    );
    assert_eq!(json["gpus"][0]["processes"], serde_json::json!([]));

    let zero = FakeNvml::new(NvmlBuild::Current, "driver 535.183.01\n");
    let json = scan_gpu(&sandbox, zero.path());
    assert_eq!(json["available"], true);
    assert_eq!(json["driver"], "535.183.01");
    assert_eq!(json["gpus"], serde_json::json!([]));
    assert!(
        json["reason"].as_str().expect("reason").contains("no GPU"),
        "{json}"
    );
}

#[test]
fn no_nvml_is_one_clear_line_for_each_cause() {
    let sandbox = Sandbox::new();
    let cases = [
        ("init driver_not_loaded\n", "NVIDIA driver not loaded"),
        ("init version_mismatch\n", "driver/library version mismatch"),
        ("init no_permission\n", "no permission"),
    ];
    for (scenario, expected) in cases {
        let fake = FakeNvml::new(NvmlBuild::Current, scenario);
        let json = scan_gpu(&sandbox, fake.path());
        assert_eq!(json["available"], false, "{scenario}");
        assert_eq!(json["gpus"], serde_json::json!([]));
        let reason = json["reason"].as_str().expect("reason");
        assert!(reason.contains(expected), "{scenario}: {reason}");
        assert!(!reason.contains('\n'), "one line: {reason}");
    }
    let missing = sandbox.path().join("nowhere/libnvidia-ml.so.1");
    let json = scan_gpu(&sandbox, missing.to_str().expect("utf8"));
    assert_eq!(json["available"], false);
    assert!(
        json["reason"]
            .as_str()
            .expect("reason")
            .contains("NVML library not found"),
        "{json}"
    );
    let not_a_library = sandbox.path().join("libnvidia-ml.so.1");
    std::fs::write(&not_a_library, "this is not an ELF file\n").expect("write");
    let json = scan_gpu(&sandbox, not_a_library.to_str().expect("utf8"));
    assert!(
        json["reason"]
            .as_str()
            .expect("reason")
            .contains("cannot load the NVML library"),
        "{json}"
    );
    // The default soname is not installed on a machine without a driver.
    let (code, table, _) = vigil(&sandbox, &["scan", "gpu"]);
    assert_eq!(code, 0);
    assert!(table.starts_with("GPU: not available: "), "{table}");
}

#[test]
fn environment_variable_names_the_library() {
    let fake = FakeNvml::new(NvmlBuild::Current, TWO_CARDS);
    let sandbox = Sandbox::new();
    let output = std::process::Command::new(vigil_bin())
        .args(["scan", "gpu", "--format", "json"])
        .env_clear()
        .envs(sandbox.env())
        .env("VIGIL_NVML_LIB", fake.path())
        .output()
        .expect("run vigil");
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["gpus"].as_array().expect("gpus").len(), 2);
}

#[test]
fn old_driver_degrades_field_by_field() {
    let fake = FakeNvml::new(NvmlBuild::OldDriver, &two_cards_with_processes());
    let sandbox = Sandbox::new();
    let json = scan_gpu(&sandbox, fake.path());
    assert_eq!(json["available"], true);
    let a100 = &json["gpus"][0];
    // MemoryInfo_v2 is missing: the first version answers instead.
    assert_eq!(a100["memory_used_bytes"], 21474836480u64);
    assert_eq!(a100["memory_total_bytes"], 85899345920u64);
    // The _v3 process lists are missing: the _v2 ones answer.
    assert_eq!(a100["processes"][0]["pid"], std::process::id());
    // FanSpeed_v2 is missing and has no fallback: that field alone is n/a.
    assert_eq!(json["gpus"][1]["fan_percent"], Value::Null);
    assert_eq!(
        a100["utilization_gpu"], 87,
        "the rest of the card is intact"
    );
    assert_eq!(
        a100["problem"],
        Value::Null,
        "a missing call is not a card problem"
    );
}

#[test]
fn idle_card_without_process_samples_is_not_an_error() {
    let scenario = format!(
        "gpu uuid=GPU-idle util=0 memutil=0 mem_total=1000 mem_used=10\nproc gpu=0 pid={} used=10\n",
        std::process::id()
    );
    let fake = FakeNvml::new(NvmlBuild::Current, &scenario);
    let json = scan_gpu(&Sandbox::new(), fake.path());
    let card = &json["gpus"][0];
    assert_eq!(card["problem"], Value::Null);
    assert_eq!(
        card["processes"][0]["sm_utilization"], 0,
        "NotFound from the per-process call means idle"
    );
}

#[test]
fn lost_card_is_reported_and_the_others_still_shown() {
    let scenario =
        "gpu uuid=GPU-ok util=50 mem_total=1000 mem_used=10\ngpu uuid=GPU-gone util=50 lost=1\n";
    let fake = FakeNvml::new(NvmlBuild::Current, scenario);
    let json = scan_gpu(&Sandbox::new(), fake.path());
    assert_eq!(json["gpus"][0]["utilization_gpu"], 50);
    assert!(
        json["gpus"][1]["problem"]
            .as_str()
            .expect("problem")
            .contains("GPU lost"),
        "{json}"
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn hostile_process_name_is_escaped_in_the_table() {
    if !need_docker("hostile_process_name_is_escaped_in_the_table") {
        return;
    }
    // A process named with an escape sequence and a bidi override, run as a container process.
    let mut containers = Containers::new();
    let name = containers.add(
        "hostile",
        &[],
        &[
            "/bin/sh",
            "-c",
            // The shell renames itself and stays (an exec would reset the name).
            "printf '\\033[2J\\342\\200\\256evil' > /proc/self/comm; while :; do /bin/busybox sleep 1; done",
        ],
        true,
    );
    let pid = container_pid(&name);
    let fake = FakeNvml::new(
        NvmlBuild::Current,
        &format!("gpu uuid=GPU-x util=5 mem_total=1000 mem_used=1\nproc gpu=0 pid={pid} used=1\n"),
    );
    let sandbox = Sandbox::new();
    let (_, table, _) = vigil(&sandbox, &["scan", "gpu", "--nvml-lib", fake.path()]);
    assert!(!table.contains('\u{1b}'), "raw escape in output: {table:?}");
    assert!(
        !table.contains('\u{202e}'),
        "raw bidi override in output: {table:?}"
    );
    assert!(table.contains(&name), "{table}");
    assert!(
        table.contains("\\e[2J\\u{202e}evil"),
        "escaped visibly: {table}"
    );
}

fn containers_json(sandbox: &Sandbox, library: &str) -> Value {
    let (_, stdout, stderr) = vigil(
        sandbox,
        &[
            "scan",
            "containers",
            "--format",
            "json",
            "--nvml-lib",
            library,
        ],
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

#[test]
#[ignore = "needs a Docker engine"]
fn gpu_process_is_mapped_to_its_container_and_raises_its_risk() {
    if !need_docker("gpu_process_is_mapped_to_its_container_and_raises_its_risk") {
        return;
    }
    let mut containers = Containers::new();
    let open = containers.open_http("gpu-open", "0.0.0.0::80", &[]);
    let local = containers.open_http("gpu-local", "127.0.0.1::80", &[]);
    // Behind basic auth, but launched with a well-known weak credential.
    let weak = containers.add(
        "gpu-weak",
        &["-p", "0.0.0.0::80", "-e", "GRADIO_AUTH=admin:goldman"],
        &[
            "/bin/sh",
            "-c",
            &format!(
                "echo '/:admin:{}' > /tmp/httpd.conf && exec /bin/busybox httpd -f -p 80 -h /www -c /tmp/httpd.conf",
                random_token(12)
            ),
        ],
        true,
    );
    std::thread::sleep(Duration::from_millis(300));
    let (open_pid, local_pid, weak_pid) = (
        container_pid(&open),
        container_pid(&local),
        container_pid(&weak),
    );
    let open_id = docker(&["inspect", "-f", "{{.Id}}", &open]);
    let idle = FakeNvml::new(
        NvmlBuild::Current,
        "gpu uuid=GPU-a util=90 mem_total=85899345920 mem_used=0\n",
    );
    let busy = FakeNvml::new(
        NvmlBuild::Current,
        &format!(
            "gpu uuid=GPU-a util=90 mem_total=85899345920 mem_used=6442450944\n\
             proc gpu=0 pid={open_pid} used=2147483648 sm=80\n\
             proc gpu=0 pid={local_pid} used=1073741824\n\
             proc gpu=0 pid={weak_pid} used=3221225472\n"
        ),
    );
    let sandbox = Sandbox::new();

    // scan gpu names the containers.
    let gpu = scan_gpu(&sandbox, busy.path());
    let processes = gpu["gpus"][0]["processes"].as_array().expect("processes");
    let open_process = processes
        .iter()
        .find(|p| p["pid"] == open_pid)
        .expect("open container's process");
    assert_eq!(open_process["container_id"], open_id.as_str());
    assert_eq!(open_process["container_name"], open.as_str());
    let local_process = processes
        .iter()
        .find(|p| p["pid"] == local_pid)
        .expect("local");
    assert_eq!(local_process["container_name"], local.as_str());

    // Without GPU use, then with it.
    let before = containers_json(&sandbox, idle.path());
    let after = containers_json(&sandbox, busy.path());

    let open_before = container(&before, &open);
    let open_after = container(&after, &open);
    assert_eq!(open_before["risk"], "critical");
    assert_eq!(open_after["risk"], "critical");
    assert_eq!(
        open_after["reasons"][0],
        "GPU in use by an unauthenticated public service (GPU 0:2.0G)"
    );
    assert!(
        !open_before.to_string().contains("GPU in use"),
        "{open_before}"
    );
    assert_eq!(
        open_after["gpu"],
        serde_json::json!([{"index": 0, "used_memory_bytes": 2147483648u64}])
    );
    assert_eq!(open_before["gpu"], serde_json::json!([]));

    let weak_before = container(&before, &weak);
    let weak_after = container(&after, &weak);
    assert_eq!(weak_before["risk"], "high", "{weak_before}");
    assert_eq!(weak_after["risk"], "critical", "{weak_after}");
    assert!(
        weak_after["reasons"][0]
            .as_str()
            .expect("reason")
            .starts_with("GPU in use by a public service with a weak credential"),
        "{weak_after}"
    );

    // Loopback only: the GPU use is noted, the level does not move.
    let local_before = container(&before, &local);
    let local_after = container(&after, &local);
    assert_eq!(local_before["risk"], local_after["risk"]);
    assert!(
        local_after.to_string().contains("uses GPU 0:1.0G"),
        "{local_after}"
    );
}

#[test]
#[ignore = "needs Docker and tmux"]
fn tui_gpu_pane_live_with_containers_and_alerts() {
    if !need_docker("tui_gpu_pane_live_with_containers_and_alerts")
        || !need_tmux("tui_gpu_pane_live_with_containers_and_alerts")
    {
        return;
    }
    let mut containers = Containers::new();
    let open = containers.open_http("tui-gpu", "0.0.0.0::80", &[]);
    std::thread::sleep(Duration::from_millis(300));
    let pid = container_pid(&open);
    let fake = FakeNvml::new(
        NvmlBuild::Current,
        &format!(
            "driver 550.54.15\ngpu name=\"NVIDIA A100-SXM4-80GB\" uuid=GPU-1a2b3c4d util=87 memutil=40 mem_total=85899345920 mem_used=2147483648 temp=71 power_mw=300000 limit_mw=400000 sm_clock=1410\n\
             proc gpu=0 pid={pid} used=2147483648 sm=80\n"
        ),
    );
    let sandbox = Sandbox::new();
    let mut env = sandbox.env();
    env.push(("VIGIL_NVML_LIB".into(), fake.path().to_string()));
    let command = format!("{} --read-only", vigil_bin());
    let tmux = Tmux::start(&command, &env, 200, 50);
    // The containers pane gets the GPU column and the GPU reason.
    tmux.wait_for("the GPU column", Duration::from_secs(20), |s| {
        line_with(s, &open).is_some_and(|l| l.contains("0:2.0G"))
    });
    tmux.keys(&["2", "z"]);
    tmux.wait_for(
        "the flagged process in the zoomed GPU pane",
        Duration::from_secs(10),
        |s| {
            !s.contains("Host listeners")
                && line_with(s, &open).is_some_and(|l| l.contains("PUBLIC, NO AUTH"))
        },
    );
    let screen = tmux.capture();
    let process = line_with(&screen, &open).unwrap_or_else(|| panic!("no process line:\n{screen}"));
    assert!(process.contains(&pid.to_string()), "{process}");
    assert!(
        screen.contains("71°C 300/400 W fan n/a SM 1410 MHz"),
        "{screen}"
    );
    assert!(
        line_with(&screen, "util").is_some_and(|l| l.contains("87%")),
        "{screen}"
    );
    // Host summary in the header.
    assert!(
        screen.lines().next().is_some_and(|l| l.contains("load ")),
        "{screen}"
    );

    // Observer mode: stopping the selected process's container is refused like everywhere else.
    tmux.keys(&["s"]);
    tmux.wait_for("read-only refusal", Duration::from_secs(5), |s| {
        s.contains("read-only: observer mode cannot stop")
    });
    // Enter opens the container's details from its GPU process.
    tmux.keys(&["Enter"]);
    tmux.wait_for("container details", Duration::from_secs(5), |s| {
        s.contains("GPU in use by an unauthenticated public service")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("details closed", Duration::from_secs(5), |s| {
        !s.contains("GPU in use by an unauthenticated public service")
    });

    // The workload vanishes from NVML's list while the card stays busy: it stands out.
    fake.set_scenario(
        "driver 550.54.15\ngpu name=\"NVIDIA A100-SXM4-80GB\" uuid=GPU-1a2b3c4d util=97 memutil=40 mem_total=85899345920 mem_used=2147483648 temp=71\n",
    );
    tmux.wait_for("the hidden-workload alert", Duration::from_secs(10), |s| {
        s.contains("97% busy with no visible process")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}

#[test]
#[ignore = "needs tmux"]
fn tui_without_nvml_says_why_and_works() {
    if !need_tmux("tui_without_nvml_says_why_and_works") {
        return;
    }
    let fake = FakeNvml::new(NvmlBuild::Current, "init driver_not_loaded\n");
    let sandbox = Sandbox::new();
    let mut env = sandbox.env();
    env.push(("VIGIL_NVML_LIB".into(), fake.path().to_string()));
    let tmux = Tmux::start(&format!("{} --read-only", vigil_bin()), &env, 120, 40);
    tmux.wait_for("the no-NVML line", Duration::from_secs(20), |s| {
        s.contains("No GPU data: NVIDIA driver not loaded")
    });
    // The rest of vigil works: focus moves, help opens.
    tmux.keys(&["?"]);
    tmux.wait_for("help", Duration::from_secs(5), |s| s.contains("Keys"));
    // Escape alone: sent together with the next key it would read as Alt-q.
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", Duration::from_secs(5), |s| {
        !s.contains("Keys (Esc closes)")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}
