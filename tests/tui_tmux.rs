//! The real binary in tmux: what the engineer sees, how fast, and that the terminal survives
//! every way out.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need, need_docker, need_tmux, random_token, tool_available, vigil_bin};
use docker::{Containers, docker};
use std::time::{Duration, Instant};
use tmux::{Tmux, line_with, send_signal};

fn start_vigil(sandbox: &Sandbox, args: &str, width: u16, height: u16) -> Tmux {
    Tmux::start(
        &format!("{} {args}", vigil_bin()),
        &sandbox.env(),
        width,
        height,
    )
}

#[test]
#[ignore = "needs Docker and tmux"]
fn live_containers_markers_masking_and_resizes() {
    let test = "live_containers_markers_masking_and_resizes";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    let open = containers.open_http("tui-open", "0.0.0.0::80", &[]);
    let auth = containers.basic_auth_http("tui-auth", "0.0.0.0::80");
    let local = containers.open_http("tui-local", "127.0.0.1::80", &[]);
    let created = containers.add(
        "tui-created",
        &["-p", "0.0.0.0::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80"],
        false,
    );
    let token = random_token(32);
    let secret = containers.open_http(
        "tui-secret",
        "127.0.0.1::80",
        &["-e", &format!("VLLM_API_KEY={token}")],
    );
    std::thread::sleep(Duration::from_millis(300));

    let sandbox = Sandbox::new();
    let started = Instant::now();
    let tmux = start_vigil(&sandbox, "", 200, 50);
    let names_after = tmux.wait_for("all test containers", Duration::from_secs(10), |s| {
        [&open, &auth, &local, &created, &secret]
            .iter()
            .all(|n| s.contains(n.as_str()))
    });
    eprintln!("names on screen after {names_after:?}");
    let risk_after = tmux.wait_for("markers and risk", Duration::from_secs(10), |s| {
        let row = |n: &str| line_with(s, n).unwrap_or("").to_string();
        row(&open).contains("PUBLIC")
            && row(&open).contains("CRITICAL")
            && row(&auth).contains("PUBLIC")
            && row(&auth).contains("MEDIUM")
            && row(&auth).contains("basic")
            && row(&local).contains("LOCAL")
            && row(&local).contains("LOW")
            && row(&created).contains("NONE")
            && row(&created).contains("created")
    });
    eprintln!(
        "markers and risk after {risk_after:?} (since start {:?})",
        started.elapsed()
    );
    assert!(tmux.capture().contains("[RW]"));
    assert!(!tmux.capture().contains(&token));

    // Details of the container with the secret: masked, never in full.
    tmux.keys(&["/"]);
    for ch in secret.chars() {
        tmux.keys(&["-l", &ch.to_string()]);
    }
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for("details popup", Duration::from_secs(5), |s| {
        s.contains("Environment (secret values masked)")
    });
    let screen = tmux.capture();
    assert!(
        !screen.contains(&token),
        "secret on screen in full:\n{screen}"
    );
    assert!(
        screen.contains(&format!("VLLM_API_KEY={}…(32 chars)", &token[..4])),
        "{screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("details closed", Duration::from_secs(5), |s| {
        !s.contains("Environment (secret values masked)")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(
        "details closed and filter cleared",
        Duration::from_secs(5),
        |s| s.contains(&open),
    );

    // Stopping with the docker CLI updates the row within a second (events, not polling).
    docker(&["stop", "-t", "1", &open]);
    let stopped = Instant::now();
    tmux.wait_for("row shows the stop", Duration::from_secs(5), |s| {
        line_with(s, &open).is_some_and(|row| row.contains("exited") && row.contains("NONE"))
    });
    let latency = stopped.elapsed();
    eprintln!("stop visible after {latency:?}");
    assert!(
        latency < Duration::from_secs(1),
        "row updated after {latency:?}"
    );

    // Resizes keep a usable layout and never crash.
    tmux.resize(80, 24);
    tmux.wait_for("80x24 layout", Duration::from_secs(5), |s| {
        s.lines().count() >= 20
            && s.contains("EXP")
            && s.contains("RISK")
            && s.contains("1 Containers")
    });
    tmux.resize(40, 12);
    tmux.wait_for("40x12 compact layout", Duration::from_secs(5), |s| {
        s.contains("1 Containers") && s.contains("EXP")
    });
    tmux.resize(12, 4);
    tmux.wait_for("too-small notice", Duration::from_secs(5), |s| {
        s.contains("small") && s.contains("(12x4)")
    });
    tmux.resize(160, 40);
    tmux.wait_for("back to full layout", Duration::from_secs(5), |s| {
        s.contains("2 GPUs") && s.contains(&auth)
    });
    assert!(
        !tmux.capture().contains("VIGIL-EXITED"),
        "vigil must still be running"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}

#[test]
#[ignore = "needs tmux"]
fn read_only_mode_says_so_and_refuses_actions() {
    let test = "read_only_mode_says_so_and_refuses_actions";
    if !need_tmux(test) {
        return;
    }
    let sandbox = Sandbox::new();
    let host = format!("unix://{}/absent.sock", sandbox.path().display());
    let tmux = start_vigil(
        &sandbox,
        &format!("--read-only --docker-host {host}"),
        160,
        40,
    );
    tmux.wait_for("RO badge", Duration::from_secs(5), |s| s.contains("[RO]"));
    tmux.keys(&["s"]);
    tmux.wait_for("refusal", Duration::from_secs(5), |s| {
        s.contains("read-only: observer mode cannot stop")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}

/// After every kind of exit the pane must be back on the normal screen with mouse reporting off.
#[test]
#[ignore = "needs tmux"]
fn terminal_is_restored_after_every_kind_of_exit() {
    let test = "terminal_is_restored_after_every_kind_of_exit";
    if !need_tmux(test) {
        return;
    }
    enum Way {
        Key(&'static str),
        Signal(&'static str, i32),
        Panic,
    }
    for (label, way) in [
        ("q", Way::Key("q")),
        ("ctrl-c", Way::Key("C-c")),
        ("SIGTERM", Way::Signal("TERM", 143)),
        ("SIGINT", Way::Signal("INT", 130)),
        ("SIGHUP", Way::Signal("HUP", 129)),
        ("panic", Way::Panic),
    ] {
        let sandbox = Sandbox::new();
        let host = format!("unix://{}/absent.sock", sandbox.path().display());
        let mut env = sandbox.env();
        if matches!(way, Way::Panic) {
            env.push(("VIGIL_TEST_PANIC".into(), "1".into()));
            env.push(("RUST_BACKTRACE".into(), "0".into()));
        }
        let tmux = Tmux::start(
            &format!("{} --docker-host {host}", vigil_bin()),
            &env,
            120,
            30,
        );
        if !matches!(way, Way::Panic) {
            tmux.wait_for("full screen", Duration::from_secs(5), |s| {
                s.contains("Containers & exposed ports")
            });
            let (alternate, mouse) = tmux.terminal_modes();
            assert!(
                alternate && mouse,
                "{label}: vigil should be in alternate screen with mouse on"
            );
        }
        let expected_code = match way {
            Way::Key(key) => {
                tmux.keys(&[key]);
                0
            }
            Way::Signal(signal, code) => {
                let pid = tmux.program_pid().expect("vigil pid");
                send_signal(pid, signal);
                code
            }
            Way::Panic => 101,
        };
        tmux.wait_for(
            &format!("exit after {label}"),
            Duration::from_secs(5),
            |s| s.contains("VIGIL-EXITED:"),
        );
        let screen = tmux.capture();
        assert!(
            screen.contains(&format!("VIGIL-EXITED:{expected_code}")),
            "{label}: unexpected exit status:\n{screen}"
        );
        let (alternate, mouse) = tmux.terminal_modes();
        assert!(!alternate, "{label}: still on the alternate screen");
        assert!(!mouse, "{label}: mouse reporting left on");
        if matches!(way, Way::Panic) {
            assert!(
                screen.contains("VIGIL_TEST_PANIC was set"),
                "{label}: report missing:\n{screen}"
            );
        }
    }
}

/// A terminal that goes away without a SIGHUP (vigil in its own session, as under some SSH and
/// process supervisors): vigil notices and exits instead of spinning on the dead terminal.
#[test]
#[ignore = "needs tmux and setsid"]
fn a_vanished_terminal_without_sighup_ends_vigil() {
    let test = "a_vanished_terminal_without_sighup_ends_vigil";
    if !need_tmux(test) || !need(test, tool_available("setsid"), "setsid (util-linux)") {
        return;
    }
    let sandbox = Sandbox::new();
    let marker = sandbox.path().join("no-sighup.toml");
    std::fs::write(&marker, "").expect("config");
    let host = format!("unix://{}/absent.sock", sandbox.path().display());
    let tmux = Tmux::start(
        &format!(
            "setsid {} --config {} --docker-host {host}",
            vigil_bin(),
            marker.display()
        ),
        &sandbox.env(),
        120,
        30,
    );
    tmux.wait_for("the screen", Duration::from_secs(10), |s| {
        s.contains("[RW]")
    });
    // pgrep exits 1 when nothing matches: not an error here.
    let running = || {
        std::process::Command::new("pgrep")
            .args(["-f", &marker.display().to_string()])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    assert!(running(), "vigil is not running under setsid");
    drop(tmux); // kills the tmux server: the pty hangs up, no SIGHUP reaches vigil's session
    let start = Instant::now();
    while running() && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let still = running();
    if still {
        let _ = std::process::Command::new("pkill")
            .args(["-9", "-f", &marker.display().to_string()])
            .output();
    }
    assert!(
        !still,
        "vigil still running 15 s after its terminal vanished"
    );
}
