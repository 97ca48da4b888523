//! The recovery checklist's marks with the real binary in tmux: `m` on a container open to the
//! world, the ✓ and the header's progress, the file in vigil's state directory, and the mark
//! still there after a restart.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, vigil_bin};
use docker::Containers;
use std::time::Duration;
use tmux::{Tmux, line_with};

#[test]
#[ignore = "needs Docker and tmux"]
fn a_mark_survives_a_restart_and_moves_the_checklist() {
    if !need_docker("a_mark_survives_a_restart_and_moves_the_checklist")
        || !need_tmux("a_mark_survives_a_restart_and_moves_the_checklist")
    {
        return;
    }
    let mut containers = Containers::new();
    let open = containers.open_http("marked", "0.0.0.0::80", &[]);
    std::thread::sleep(Duration::from_millis(300));
    let sandbox = Sandbox::new();
    let start = || {
        let tmux = Tmux::start(vigil_bin(), &sandbox.env(), 250, 40);
        tmux.wait_for("the open container probed", Duration::from_secs(20), |s| {
            line_with(s, &open).is_some_and(|l| l.contains("CRITICAL") && l.contains("none"))
        });
        // Only this container in the list, so it is the one selected.
        tmux.keys(&["/"]);
        tmux.keys(&["-l", &open]);
        tmux.keys(&["Enter"]);
        tmux.wait_for("the filter applied", Duration::from_secs(5), |s| {
            s.contains("(1 shown)")
        });
        tmux
    };
    let tmux = start();
    tmux.keys(&["m"]);
    tmux.wait_for("the note prompt", Duration::from_secs(5), |s| {
        s.contains(&format!("Mark container {open} as reviewed"))
    });
    tmux.keys(&["-l", " by firewall block"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the check mark", Duration::from_secs(5), |s| {
        s.contains(&format!("✓{open}"))
    });
    let screen = tmux.capture();
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("isolated 1/"), "{header}");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("VIGIL-EXITED:0")
    });

    // The file lives in vigil's state directory, one line per mark, with who and when.
    let dir = sandbox.path().join("state/vigil/marks");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(
        files,
        vec![sandbox.marks_file()],
        "one file, named after the host"
    );
    let text = std::fs::read_to_string(&files[0]).expect("marks file");
    let mark: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("json");
    assert_eq!(mark["kind"], "container");
    assert_eq!(mark["key"], open.as_str());
    assert_eq!(mark["note"], "isolated by firewall block");
    assert!(mark["at"].as_str().is_some_and(|t| t.ends_with('Z')));

    // After a restart the mark is still shown and still counted.
    let tmux = start();
    tmux.wait_for(
        "the check mark after a restart",
        Duration::from_secs(5),
        |s| s.contains(&format!("✓{open}")),
    );
    let screen = tmux.capture();
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("isolated 1/")),
        "{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(10), |s| {
        s.contains("VIGIL-EXITED:0")
    });
}
