//! The engine going away and coming back while vigil runs. A socket proxy owned by the test
//! stands between vigil and the real daemon: stopping it removes the socket and cuts every
//! connection, exactly what vigil sees when dockerd stops; starting it again is the restart.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct SocketProxy {
    path: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SocketProxy {
    fn start(path: &Path) -> SocketProxy {
        let _ = std::fs::remove_file(path);
        let listener = std::os::unix::net::UnixListener::bind(path).expect("bind proxy socket");
        listener.set_nonblocking(true).expect("nonblocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::UnixListener::from_std(listener).expect("tokio listener");
                let mut connections = tokio::task::JoinSet::new();
                tokio::pin!(stopped);
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((mut client, _)) = accepted else { continue };
                            connections.spawn(async move {
                                if let Ok(mut daemon) = tokio::net::UnixStream::connect("/var/run/docker.sock").await {
                                    let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                                }
                            });
                        }
                        _ = &mut stopped => break,
                    }
                }
                // Dropping the set aborts every forwarded connection, the event stream included.
                connections.abort_all();
            });
        });
        SocketProxy {
            path: path.to_path_buf(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn daemon_stopped_mid_run_and_restarted() {
    let test = "daemon_stopped_mid_run_and_restarted";
    if !need_docker(test) || !need_tmux(test) {
        return;
    }
    let mut containers = Containers::new();
    let name = containers.open_http("outage", "127.0.0.1::80", &[]);
    let sandbox = Sandbox::new();
    let socket = sandbox.path().join("docker.sock");
    let mut proxy = SocketProxy::start(&socket);

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
    let mut proxy = SocketProxy::start(&socket);
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
