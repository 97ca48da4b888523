//! A rebind whose Docker daemon restarts under it: alone in its binary, because the restart
//! stops every container of the tests that would run beside it. Either vigil carries the
//! action through once the daemon is back, or it records that it could not, and `vigil undo`
//! plans from what the restart left; both end in a consistent state with nothing stray.

#[path = "common/audit.rs"]
mod audit;
mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/firewall.rs"]
mod firewall;
#[path = "common/interrupt.rs"]
mod interrupt;

use common::{is_root, need, need_docker, tool_available};
use docker::DockerdRestart;
use interrupt::{Case, finish, signal};

#[test]
#[ignore = "needs a Docker engine it may restart, root and nft"]
fn a_docker_restart_mid_rebind_ends_consistent() {
    let test = "a_docker_restart_mid_rebind_ends_consistent";
    if !need_docker(test) || !need(test, is_root() && tool_available("nft"), "root and nft") {
        return;
    }
    // 1. The daemon restarts while vigil holds before stopping the original; the hold ends
    //    after the daemon is back, and vigil goes on from what the restart left.
    let case = Case::new("dockerd-restart", true);
    let child = case.spawn(&["rebind", &case.name], Some("before:2:12000"));
    let id = case.wait_for_step("rebind", 1, &["started"]);
    drop(DockerdRestart::restart());
    let (code, out) = finish(child);
    let result = audit::latest_result(&case.audit, &id);
    eprintln!("restart during the hold: exit {code}, {result:?}\n{out}");
    settle(
        &case,
        &id,
        result.as_deref(),
        "daemon restarted during the hold",
    );

    // 2. The daemon is down when vigil acts: the step fails, the rollback cannot reach the
    //    daemon either, the record says so; once it is back, undo plans from there.
    let case = Case::new("dockerd-down", true);
    let child = case.spawn(&["rebind", &case.name], Some("before:4:30000"));
    let id = case.wait_for_step("rebind", 3, &["started"]);
    let daemon = DockerdRestart::stop();
    signal(&child, "HUP"); // a hang-up changes nothing: the hold goes on
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, out) = {
        // End the hold the way a user would not: SIGTERM asks for a rollback, which cannot
        // reach the daemon either.
        signal(&child, "TERM");
        finish(child)
    };
    let result = audit::latest_result(&case.audit, &id);
    eprintln!("daemon down: exit {code}, {result:?}\n{out}");
    assert_eq!(result.as_deref(), Some("unfinished"), "{out}");
    daemon.start_again();
    settle(
        &case,
        &id,
        result.as_deref(),
        "daemon down during the rollback",
    );
}

/// From whatever the restart left: complete, rolled back, or undone now.
fn settle(case: &Case, id: &str, result: Option<&str>, context: &str) {
    // Without live-restore the daemon restart stopped the containers; those with a restart
    // policy came back.
    match result {
        Some("applied") => case.assert_complete(true, context),
        Some("rolled back") => case.assert_as_before(true, context),
        _ => {
            let (code, out) = case.run(&["undo", id]);
            assert_eq!(code, 0, "{context}: {out}");
            case.assert_as_before(true, context);
        }
    }
    case.assert_nothing_flagged(context);
}
