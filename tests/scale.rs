//! Five hundred containers: the list, the scan and the TUI stay correct and usable.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, unique_name, vigil, vigil_bin};
use docker::{Containers, IMAGE, docker, ensure_image};
use std::time::{Duration, Instant};
use tmux::Tmux;

const COUNT: usize = 500;

#[test]
#[ignore = "needs Docker (500 containers) and tmux"]
fn five_hundred_containers() {
    let test = "five_hundred_containers";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    ensure_image();
    let mut containers = Containers::new();
    let names: Vec<String> = (0..COUNT).map(|_| unique_name("scale")).collect();
    containers.names = names.clone();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for chunk in names.chunks(COUNT / 4) {
            scope.spawn(move || {
                for name in chunk {
                    docker(&[
                        "create",
                        "--name",
                        name,
                        "-p",
                        "127.0.0.1::80",
                        IMAGE,
                        "/bin/busybox",
                        "sleep",
                        "3600",
                    ]);
                }
            });
        }
    });
    eprintln!("created {COUNT} containers in {:?}", started.elapsed());

    let sandbox = Sandbox::new();
    let scan_started = Instant::now();
    let (code, stdout, stderr) = vigil(
        &sandbox,
        &["scan", "containers", "--format", "json", "--no-probe"],
    );
    eprintln!(
        "scan of {COUNT}+ containers took {:?}",
        scan_started.elapsed()
    );
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let ours = json["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .filter(|c| names.iter().any(|n| c["name"] == n.as_str()))
        .count();
    assert_eq!(ours, COUNT);

    let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 160, 40);
    // The pane title says "RUNNING/TOTAL running"; TOTAL must include all of ours.
    tmux.wait_for("all containers counted", Duration::from_secs(15), |s| {
        s.split_whitespace().any(|word| {
            word.split_once('/')
                .and_then(|(_, total)| total.parse::<usize>().ok())
                .is_some_and(|total| total >= COUNT)
        })
    });
    // Jump to the end and back: selection and scrolling work on a long list.
    tmux.keys(&["End"]);
    tmux.keys(&["Home"]);
    tmux.keys(&["PageDown", "PageDown", "j"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "details of a row deep in the list",
        Duration::from_secs(5),
        |s| s.contains("Details (Esc closes"),
    );
    // Separately: Escape followed at once by q reads as Alt-q on a loaded machine.
    tmux.keys(&["Escape"]);
    tmux.wait_for("details closed", Duration::from_secs(5), |s| {
        !s.contains("Details (Esc closes")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}
