//! The engine going away and coming back while vigil runs. A socket proxy owned by the test
//! stands between vigil and the real daemon: stopping it removes the socket and cuts every
//! connection, exactly what vigil sees when dockerd stops; starting it again is the restart.

mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_docker, need_tmux, vigil_bin};
use docker::{Containers, DockerProxy, docker};
use std::time::Duration;
use tmux::{Tmux, line_with};

#[test]
#[ignore = "needs Docker and tmux"]
fn daemon_stopped_mid_run_and_restarted() {
    let test = "daemon_stopped_mid_run_and_restarted";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    let name = containers.open_http("outage", "127.0.0.1::80", &[]);
    let sandbox = Sandbox::new();
    let socket = sandbox.path().join("docker.sock");
    let mut proxy = DockerProxy::start(&socket);

    let tmux = Tmux::start(
        &format!("{} --docker-host unix://{}", vigil_bin(), socket.display()),
        &sandbox.env(),
        160,
        40,
    );
    tmux.wait_for("container listed", Duration::from_secs(10), |s| {
        s.contains(&name) && s.contains("(API")
    });

    proxy.stop();
    tmux.wait_for("outage explained", Duration::from_secs(10), |s| {
        s.contains("Docker unavailable") && s.contains("DOWN")
    });
    let screen = tmux.capture();
    assert!(
        screen.contains(&name),
        "last known rows stay visible during an outage:\n{screen}"
    );
    assert!(
        screen.contains("2 GPUs"),
        "the rest of the screen keeps working"
    );

    // Something changes while vigil cannot see the engine...
    docker(&["stop", "-t", "1", &name]);
    // ...and the engine comes back.
    let mut proxy = DockerProxy::start(&socket);
    let reconnected = tmux.wait_for("reconnected and resynced", Duration::from_secs(15), |s| {
        !s.contains("Docker unavailable")
            && s.contains("(API")
            && line_with(s, &name).is_some_and(|row| row.contains("exited"))
    });
    eprintln!("reconnected {reconnected:?} after restart");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
    proxy.stop();
}
