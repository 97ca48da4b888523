//! Actions cut short, on a real engine and vigil's real firewall table: every operation of a
//! rebind (and of its undo, of a commit, a stop, a block) interrupted with SIGKILL, SIGHUP and
//! SIGTERM, then the host checked to be in one of the two consistent states, on its own or
//! after `vigil undo` / `vigil resume`, with an audit trail that says what happened. Also:
//! records that do not match the host (forged, stale) refused without touching anything.

#[path = "common/audit.rs"]
mod audit;
mod common;
#[path = "common/docker.rs"]
mod docker;
#[path = "common/firewall.rs"]
mod firewall;
#[path = "common/interrupt.rs"]
mod interrupt;
#[path = "common/tmux.rs"]
mod tmux;

use common::{is_root, need, need_docker, tool_available};
use firewall::rebind_adds_loopback_guard;
use interrupt::{Case, finish, signal};

/// The plan step (1-based) each operation of a running container's rebind starts at:
/// create, stop (and its check), keep as -prev, take the name, start, verify, guard.
fn rebind_operations() -> Vec<usize> {
    let mut starts = vec![1, 2, 4, 5, 6, 7];
    if rebind_adds_loopback_guard() {
        starts.push(8);
    }
    starts
}

/// Cuts a rebind with SIGKILL at `point` (`before` or `after`) the operation starting at
/// `step`; the action's id.
fn rebind_killed(case: &Case, point: &str, step: usize) -> String {
    let child = case.spawn(
        &["rebind", &case.name],
        Some(&format!("{point}:{step}:30000")),
    );
    let statuses: &[&str] = if point == "before" {
        &["started"]
    } else {
        &["done", "skipped"]
    };
    let id = case.wait_for_step("rebind", step - 1, statuses);
    signal(&child, "KILL");
    let (code, _) = finish(child);
    assert_eq!(code, 137, "killed");
    assert_eq!(audit::latest_result(&case.audit, &id), None, "no outcome");
    id
}

/// `vigil actions` flags it, with the step the journal ends at.
fn assert_flagged(case: &Case, id: &str, context: &str) {
    let (code, out) = case.plain(&["actions", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let actions: serde_json::Value = serde_json::from_str(&out).expect("json");
    let action = actions["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["action_id"] == id)
        .unwrap_or_else(|| panic!("{context}: {id} listed"));
    assert_eq!(action["state"], "interrupted", "{context}");
    assert!(
        action["stopped_at"]
            .as_str()
            .is_some_and(|s| s.contains("step")),
        "{context}: {action}"
    );
    assert!(
        action["undo"]
            .as_str()
            .is_some_and(|u| u.contains(&format!("vigil resume {id}"))),
        "{context}: {action}"
    );
    // The table says it too, under the action's own line.
    let (_, table) = case.plain(&["actions"]);
    let line = table
        .lines()
        .skip_while(|l| !l.contains(id))
        .nth(1)
        .unwrap_or_default();
    assert!(
        line.contains("cut short: its journal ends at") && line.contains("step"),
        "{context}: {table}"
    );
}

fn need_everything(test: &str) -> bool {
    need_docker(test) && need(test, is_root() && tool_available("nft"), "root and nft")
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn rebind_killed_at_every_operation_is_undone_from_what_it_left() {
    if !need_everything("rebind_killed_at_every_operation_is_undone_from_what_it_left") {
        return;
    }
    for step in rebind_operations() {
        for point in ["before", "after"] {
            let context = format!("SIGKILL {point} step {step}, then undo");
            let case = Case::new("cut-undo", true);
            let id = rebind_killed(&case, point, step);
            assert_flagged(&case, &id, &context);
            let (code, out) = case.run(&["undo", &id]);
            assert_eq!(code, 0, "{context}: {out}");
            case.assert_as_before(true, &context);
            assert_eq!(
                audit::latest_result(&case.audit, &id).as_deref(),
                Some("undone"),
                "{context}"
            );
            case.assert_nothing_flagged(&context);
            // Twice does no harm: refused, the host as it is.
            let (code, out) = case.run(&["undo", &id]);
            assert_eq!(code, 1, "{context}: {out}");
            assert!(out.contains("already undone"), "{context}: {out}");
            case.assert_as_before(true, &context);
        }
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn rebind_killed_at_every_operation_is_resumed_from_what_it_left() {
    if !need_everything("rebind_killed_at_every_operation_is_resumed_from_what_it_left") {
        return;
    }
    for step in rebind_operations() {
        for point in ["before", "after"] {
            let context = format!("SIGKILL {point} step {step}, then resume");
            let case = Case::new("cut-resume", true);
            let id = rebind_killed(&case, point, step);
            let (code, out) = case.run(&["resume", &id]);
            assert_eq!(code, 0, "{context}: {out}");
            case.assert_complete(true, &context);
            assert_eq!(
                audit::latest_result(&case.audit, &id).as_deref(),
                Some("applied"),
                "{context}"
            );
            case.assert_nothing_flagged(&context);
            let (code, out) = case.run(&["resume", &id]);
            assert_eq!(code, 1, "{context}: {out}");
            assert!(out.contains("nothing to resume"), "{context}: {out}");
            case.assert_complete(true, &context);
        }
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_hangup_never_cuts_a_rebind_short() {
    if !need_everything("a_hangup_never_cuts_a_rebind_short") {
        return;
    }
    for step in rebind_operations() {
        let context = format!("SIGHUP before step {step}");
        let case = Case::new("cut-hup", true);
        let child = case.spawn(
            &["rebind", &case.name],
            Some(&format!("before:{step}:1500")),
        );
        let id = case.wait_for_step("rebind", step - 1, &["started"]);
        signal(&child, "HUP");
        let (code, out) = finish(child);
        assert_eq!(code, 0, "{context}: {out}");
        assert!(out.contains("the terminal hung up"), "{context}: {out}");
        case.assert_complete(true, &context);
        assert_eq!(
            audit::latest_result(&case.audit, &id).as_deref(),
            Some("applied")
        );
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn sigterm_or_ctrl_c_rolls_a_rebind_back() {
    if !need_everything("sigterm_or_ctrl_c_rolls_a_rebind_back") {
        return;
    }
    for (index, step) in rebind_operations().into_iter().enumerate() {
        let which = if index % 2 == 0 { "TERM" } else { "INT" };
        let context = format!("SIG{which} before step {step}");
        let case = Case::new("cut-term", true);
        let child = case.spawn(
            &["rebind", &case.name],
            Some(&format!("before:{step}:30000")),
        );
        let id = case.wait_for_step("rebind", step - 1, &["started"]);
        signal(&child, which);
        let (code, out) = finish(child);
        assert_eq!(code, 1, "{context}: {out}");
        assert!(out.contains("rolled back"), "{context}: {out}");
        case.assert_as_before(true, &context);
        assert_eq!(
            audit::latest_result(&case.audit, &id).as_deref(),
            Some("rolled back"),
            "{context}"
        );
        // The step it was told to stop at never ran, and the journal says so.
        let steps = audit::steps_of(&case.audit, &id);
        assert!(
            steps
                .iter()
                .any(|r| r["step"]["index"] == step - 1 && r["step"]["status"] == "not_run"),
            "{context}: {steps:#?}"
        );
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_second_sigterm_stops_at_once_and_the_record_says_where() {
    if !need_everything("a_second_sigterm_stops_at_once_and_the_record_says_where") {
        return;
    }
    // The stop step lasts 3 s and cannot be cut: the first SIGTERM waits for it, the second
    // stops vigil at once.
    let case = Case::slow_to_stop("cut-twice", 3);
    let child = case.spawn(&["rebind", &case.name], None);
    let id = case.wait_for_step("rebind", 1, &["started"]);
    signal(&child, "TERM");
    std::thread::sleep(std::time::Duration::from_millis(300));
    signal(&child, "TERM");
    let (code, out) = finish(child);
    assert_eq!(code, 143, "{out}");
    assert!(out.contains("stopped at once during step 2/"), "{out}");
    assert_eq!(
        audit::latest_result(&case.audit, &id).as_deref(),
        Some("unfinished")
    );
    let records = audit::action_records(&case.audit);
    let error = records.last().expect("outcome")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("stopped at once by a second SIGTERM during step 2/"),
        "{error}"
    );
    assert_flagged_unfinished(&case, &id);
    // Docker finished the stop on its own; undo plans from there.
    let (code, out) = case.run(&["undo", &id]);
    assert_eq!(code, 0, "{out}");
    case.assert_as_before(true, "after a second SIGTERM and undo");
    case.assert_nothing_flagged("after a second SIGTERM and undo");
}

fn assert_flagged_unfinished(case: &Case, id: &str) {
    let (_, out) = case.plain(&["actions", "--format", "json"]);
    let actions: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(
        actions["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a["action_id"] == id && a["state"] == "unfinished"),
        "{actions}"
    );
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn an_undo_cut_short_is_finished_or_reversed() {
    if !need_everything("an_undo_cut_short_is_finished_or_reversed") {
        return;
    }
    // The undo of an applied rebind: remove the replacement, rename back, restore the restart
    // policy, start the original, remove the guard.
    let mut starts = vec![1, 2, 3, 4];
    if rebind_adds_loopback_guard() {
        starts.push(5);
    }
    for (index, step) in starts.into_iter().enumerate() {
        let context = format!("undo killed before step {step}");
        let case = Case::new("cut-unrebind", true);
        let (code, out) = case.run(&["rebind", &case.name]);
        assert_eq!(code, 0, "{out}");
        let rebind = audit::last_action_of(&case.audit, "rebind").expect("rebind");
        let child = case.spawn(&["undo", &rebind], Some(&format!("before:{step}:30000")));
        let undo = case.wait_for_step("unrebind", step - 1, &["started"]);
        signal(&child, "KILL");
        finish(child);
        if index % 2 == 0 {
            // Undo the undo: back to the applied rebind.
            let (code, out) = case.run(&["undo", &undo]);
            assert_eq!(code, 0, "{context}: {out}");
            case.assert_complete(true, &context);
            assert_eq!(
                audit::latest_result(&case.audit, &rebind).as_deref(),
                Some("applied")
            );
        } else {
            // Undo the rebind again: the undo is finished from where it stopped.
            let (code, out) = case.run(&["undo", &rebind]);
            assert_eq!(code, 0, "{context}: {out}");
            case.assert_as_before(true, &context);
        }
        assert_eq!(
            audit::latest_result(&case.audit, &undo).as_deref(),
            Some("recovered"),
            "{context}"
        );
        case.assert_nothing_flagged(&context);
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_commit_cut_short_is_resumed() {
    if !need_everything("a_commit_cut_short_is_resumed") {
        return;
    }
    let case = Case::new("cut-commit", true);
    let (code, out) = case.run(&["rebind", &case.name]);
    assert_eq!(code, 0, "{out}");
    let rebind = audit::last_action_of(&case.audit, "rebind").expect("rebind");
    let child = case.spawn(&["commit", &rebind], Some("before:1:30000"));
    let commit = case.wait_for_step("commit", 0, &["started"]);
    signal(&child, "KILL");
    finish(child);
    let (code, out) = case.run(&["resume", &commit]);
    assert_eq!(code, 0, "{out}");
    let previous = docker::docker_status(&["inspect", &format!("{}-prev", case.name)]);
    assert!(!previous, "the original kept as -prev is removed");
    assert_eq!(
        audit::latest_result(&case.audit, &rebind).as_deref(),
        Some("committed")
    );
    case.assert_nothing_flagged("commit resumed");
}

#[test]
#[ignore = "needs a Docker engine"]
fn a_stop_cut_short_ends_in_one_of_its_two_states() {
    if !need_docker("a_stop_cut_short_ends_in_one_of_its_two_states") {
        return;
    }
    let state = |case: &Case| docker::docker(&["inspect", "-f", "{{.State.Status}}", &case.name]);
    for (point, sig, recover) in [
        ("before", "KILL", "resume"),
        ("before", "KILL", "undo"),
        ("after", "KILL", "resume"),
        ("after", "KILL", "undo"),
        ("before", "HUP", ""),
        ("before", "TERM", ""),
    ] {
        let context = format!("stop, SIG{sig} {point} its step, {recover}");
        let case = Case::new("cut-stop", true);
        let child = case.spawn(&["stop", &case.name], Some(&format!("{point}:1:2000")));
        let statuses: &[&str] = if point == "before" {
            &["started"]
        } else {
            &["done"]
        };
        let id = case.wait_for_step("stop", 0, statuses);
        signal(&child, sig);
        let (code, out) = finish(child);
        match (sig, recover) {
            ("HUP", _) => {
                assert_eq!(code, 0, "{context}: {out}");
                assert_eq!(state(&case).trim(), "exited", "{context}");
            }
            ("TERM", _) => {
                assert_eq!(code, 1, "{context}: {out}");
                assert_eq!(
                    state(&case).trim(),
                    "running",
                    "{context}: nothing was changed"
                );
                assert_eq!(
                    audit::latest_result(&case.audit, &id).as_deref(),
                    Some("rolled back")
                );
            }
            (_, recover) => {
                let (code, out) = case.run(&[recover, &id]);
                assert_eq!(code, 0, "{context}: {out}");
                let want = if recover == "resume" {
                    "exited"
                } else {
                    "running"
                };
                assert_eq!(state(&case).trim(), want, "{context}");
            }
        }
        case.assert_nothing_flagged(&context);
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_block_cut_short_ends_in_one_of_its_two_states() {
    if need_everything("a_block_cut_short_ends_in_one_of_its_two_states") {
        firewall_action_cut_short("block");
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn an_unblock_cut_short_ends_in_one_of_its_two_states() {
    if need_everything("an_unblock_cut_short_ends_in_one_of_its_two_states") {
        firewall_action_cut_short("unblock");
    }
}

/// A block (or an unblock of a blocked port) cut by SIGKILL before and after its step, then
/// resumed or undone; by SIGHUP (finished); by SIGTERM (nothing changed).
fn firewall_action_cut_short(verb: &str) {
    let blocking = verb == "block";
    for (point, sig, recover) in [
        ("before", "KILL", "resume"),
        ("after", "KILL", "undo"),
        ("before", "HUP", ""),
        ("before", "TERM", ""),
    ] {
        let context = format!("{verb}, SIG{sig} {point} its step, {recover}");
        let case = Case::new(&format!("cut-{verb}"), true);
        let port = case.port.to_string();
        let blocked = |case: &Case| {
            firewall::nft_table(&case.sandbox.firewall_tag)
                .is_some_and(|t| t.contains("blocked_tcp") && t.contains(&port))
        };
        if !blocking {
            let (code, out) = case.run(&["block", &port]);
            assert_eq!(code, 0, "{out}");
        }
        let child = case.spawn(&[verb, &port], Some(&format!("{point}:1:2000")));
        let statuses: &[&str] = if point == "before" {
            &["started"]
        } else {
            &["done"]
        };
        let id = case.wait_for_step(verb, 0, statuses);
        signal(&child, sig);
        let (code, out) = finish(child);
        // Where the action, once complete, leaves the port.
        let complete = blocking;
        match sig {
            "HUP" => {
                assert_eq!(code, 0, "{context}: {out}");
                assert_eq!(blocked(&case), complete, "{context}");
            }
            "TERM" => {
                assert_eq!(code, 1, "{context}: {out}");
                assert_eq!(blocked(&case), !complete, "{context}: nothing was changed");
            }
            _ => {
                let (code, out) = case.run(&[recover, &id]);
                assert_eq!(code, 0, "{context}: {out}");
                assert_eq!(
                    blocked(&case),
                    (recover == "resume") == complete,
                    "{context}"
                );
            }
        }
        case.assert_nothing_flagged(&context);
    }
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_stopped_container_is_rebound_and_restored_stopped() {
    if !need_everything("a_stopped_container_is_rebound_and_restored_stopped") {
        return;
    }
    let case = Case::new("rebind-stopped", false);
    let (code, out) = case.run(&["rebind", &case.name]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is not started"), "the plan says so: {out}");
    case.assert_complete(false, "rebind of a created container");
    let rebind = audit::last_action_of(&case.audit, "rebind").expect("rebind");
    let (code, out) = case.run(&["undo", &rebind]);
    assert_eq!(code, 0, "{out}");
    case.assert_as_before(false, "undo of a rebind of a created container");
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_forged_or_stale_record_touches_nothing() {
    if !need_everything("a_forged_or_stale_record_touches_nothing") {
        return;
    }
    // A real rebind gives a record to forge from.
    let case = Case::new("forge", true);
    let (code, out) = case.run(&["rebind", &case.name]);
    assert_eq!(code, 0, "{out}");
    let rebind = audit::last_action_of(&case.audit, "rebind").expect("rebind");

    // A victim, running, and a forged rebind whose "replacement" is the victim and whose
    // "original" is a stopped container publishing on 0.0.0.0.
    let mut others = docker::Containers::new();
    let victim = others.open_http("victim", "127.0.0.1::80", &[]);
    let exposed = others.add(
        "exposed",
        &["-p", "0.0.0.0::80"],
        &["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
        false,
    );
    let id_of = |name: &str| {
        docker::docker(&["inspect", "-f", "{{.Id}}", name])
            .trim()
            .to_string()
    };
    let planned: serde_json::Value = audit::all_records(&case.audit)
        .into_iter()
        .find(|r| r["phase"] == "planned" && r["action_id"] == rebind)
        .expect("planned");
    let forged_id = "20261201T000000Z-rebind-forged0000-000000";
    let mut forged = planned.clone();
    forged["action_id"] = forged_id.into();
    forged["target"]["id"] = id_of(&exposed).into();
    forged["target"]["name"] = victim.clone().into();
    forged["work"]["subject"]["action_id"] = forged_id.into();
    forged["work"]["subject"]["name"] = victim.clone().into();
    forged["work"]["subject"]["original"]["id"] = id_of(&exposed).into();
    forged["work"]["subject"]["legacy_replacement"] = id_of(&victim).into();
    let mut outcome = forged.clone();
    outcome["phase"] = "outcome".into();
    outcome["result"] = "applied".into();
    outcome["after"] =
        serde_json::json!({"new_id": id_of(&victim), "previous_id": id_of(&exposed)});
    let mut log = std::fs::read_to_string(&case.audit).expect("log");
    log.push_str(&format!("{forged}\n{outcome}\n"));
    std::fs::write(&case.audit, log).expect("forge");

    for verb in ["undo", "commit", "resume"] {
        let (code, out) = case.run(&[verb, forged_id]);
        assert_ne!(code, 0, "{verb} of a forged record: {out}");
        assert_eq!(
            docker::docker(&["inspect", "-f", "{{.State.Status}}", &victim]).trim(),
            "running",
            "{verb}: the victim is untouched"
        );
        assert_eq!(
            docker::docker(&["inspect", "-f", "{{.State.Status}}", &exposed]).trim(),
            "created",
            "{verb}: the exposed container was not started"
        );
    }

    // A stale record: the kept original renamed by hand since.
    let moved = format!("{}-moved", case.name);
    others.names.push(moved.clone());
    docker::docker(&["rename", &format!("{}-prev", case.name), &moved]);
    let (code, out) = case.run(&["undo", &rebind]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("renamed since the action"), "{out}");
    assert!(
        docker::docker(&["inspect", "-f", "{{.State.Running}}", &case.name]).trim() == "true",
        "the replacement still serves"
    );
}

#[test]
#[ignore = "needs a Docker engine, root, nft and tmux"]
fn the_tui_killed_mid_rebind_still_carries_it_to_its_end() {
    let test = "the_tui_killed_mid_rebind_still_carries_it_to_its_end";
    if !need_everything(test) || !common::need_tmux(test) {
        return;
    }
    let mut case = Case::new("cut-tui", true);
    case.audit = case.sandbox.path().join("state/vigil/audit.jsonl");
    let mut env = case.sandbox.env();
    env.push(("VIGIL_PAUSE_AT".into(), "before:2:2000".into()));
    let tmux = tmux::Tmux::start(common::vigil_bin(), &env, 160, 45);
    let wait = std::time::Duration::from_secs(15);
    tmux.wait_for("container listed", wait, |s| s.contains(&case.name));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", &case.name]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("filtered", wait, |s| s.contains("1 shown"));
    tmux.keys(&["b"]);
    tmux.wait_for("rebind plan", wait, |s| {
        s.contains(&format!("Type `{}`", case.name))
    });
    tmux.keys(&["-l", &case.name]);
    tmux.keys(&["Enter"]);
    // The stop of the original is under way (held for 2 s) when the session goes away.
    let id = case.wait_for_step("rebind", 1, &["started"]);
    let pid = tmux.program_pid().expect("vigil's pid");
    drop(tmux);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(std::time::Instant::now() < deadline, "vigil never exited");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(case.sandbox.path().join("state/vigil/vigil.log"))
        .unwrap_or_default();
    assert_eq!(
        audit::latest_result(&case.audit, &id).as_deref(),
        Some("applied"),
        "the log:\n{log}"
    );
    case.assert_complete(true, "TUI session killed during the stop");
}

#[test]
#[ignore = "needs a Docker engine, root, nft and tmux"]
fn the_tui_flags_what_was_cut_short_or_left_stray_and_offers_to_settle_it() {
    let test = "the_tui_flags_what_was_cut_short_or_left_stray_and_offers_to_settle_it";
    if !need_everything(test) || !common::need_tmux(test) {
        return;
    }
    let mut case = Case::new("flag-tui", true);
    // The CLI and the TUI share the sandbox's default audit log.
    case.audit = case.sandbox.path().join("state/vigil/audit.jsonl");
    let id = rebind_killed(&case, "before", 4);
    // Something vigil's label claims for an action the log does not hold: a stray.
    let stray = format!("{}-vigil-new-orphan", case.name);
    case.containers.names.push(stray.clone());
    docker::docker(&[
        "create",
        "--name",
        &stray,
        "--label",
        "io.vigil.action=20261130T000000Z-rebind-000000000000-000000",
        docker::IMAGE,
        "/bin/busybox",
        "true",
    ]);

    let tmux = tmux::Tmux::start(common::vigil_bin(), &case.sandbox.env(), 160, 45);
    let wait = std::time::Duration::from_secs(15);
    // (Tests running beside this one may leave labelled containers of their own sandboxes:
    // strays here too, so their number is not checked.)
    tmux.wait_for("the marker in the header", wait, |s| {
        s.lines().next().is_some_and(|header| {
            header.contains("⚠ 1 ACTION CUT SHORT · ") && header.contains(" STRAY (a)")
        })
    });
    tmux.keys(&["a"]);
    tmux.wait_for(
        "the action cut short, selected, with undo and resume",
        wait,
        |s| {
            s.contains("cut short: u undoes it, r completes it; its journal ends at step 4/")
                && s.contains(&format!("stray container {stray}"))
        },
    );
    tmux.keys(&["r"]);
    tmux.wait_for("the resume plan", wait, |s| {
        s.contains("RESUME container") && s.contains(&format!("Type `{}`", case.name))
    });
    tmux.keys(&["-l", &case.name]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("resumed", wait, |s| s.contains("Done: applied"));
    case.assert_complete(true, "resumed from the TUI");
    assert_eq!(
        audit::latest_result(&case.audit, &id).as_deref(),
        Some("applied")
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("only strays are left in the header", wait, |s| {
        s.lines()
            .next()
            .is_some_and(|header| header.contains(" STRAY (a)") && !header.contains("CUT SHORT"))
    });
    drop(tmux);

    // The report lists the stray under what remains, with the command that removes it.
    let (code, out) = case.plain(&["scan", "all", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let strays = report["strays"].as_array().expect("strays");
    assert!(
        strays.iter().any(|s| s["name"] == stray.as_str()
            && s["remove"]
                .as_str()
                .is_some_and(|r| r.starts_with("docker rm -f "))),
        "{strays:?}"
    );
    assert!(
        !strays.iter().any(|s| s["name"] == case.name.as_str()),
        "the resumed rebind accounts for its replacement: {strays:?}"
    );
    assert!(
        report["remaining"]
            .as_array()
            .expect("remaining")
            .iter()
            .any(|r| r
                .as_str()
                .is_some_and(|r| r.starts_with(&format!("stray container {stray}")))),
        "{report}"
    );
}

#[test]
#[ignore = "needs a Docker engine, root and nft"]
fn a_hangup_or_sigterm_during_an_undo_or_a_commit() {
    if !need_everything("a_hangup_or_sigterm_during_an_undo_or_a_commit") {
        return;
    }
    for (verb, sig) in [
        ("undo", "HUP"),
        ("undo", "TERM"),
        ("commit", "HUP"),
        ("commit", "TERM"),
    ] {
        let context = format!("SIG{sig} during a {verb} of a rebind");
        let case = Case::new("cut-settle", true);
        let (code, out) = case.run(&["rebind", &case.name]);
        assert_eq!(code, 0, "{out}");
        let rebind = audit::last_action_of(&case.audit, "rebind").expect("rebind");
        // The undo is held before renaming the original back; the commit before removing it.
        let (pause, kind, index) = if verb == "undo" {
            ("before:2:1500", "unrebind", 1)
        } else {
            ("before:1:1500", "commit", 0)
        };
        let child = case.spawn(&[verb, &rebind], Some(pause));
        case.wait_for_step(kind, index, &["started"]);
        signal(&child, sig);
        let (code, out) = finish(child);
        let previous = docker::docker_status(&["inspect", &format!("{}-prev", case.name)]);
        match (verb, sig) {
            ("undo", "HUP") => {
                assert_eq!(code, 0, "{context}: {out}");
                case.assert_as_before(true, &context);
            }
            // The undo had removed the replacement: rolling it back makes it again.
            ("undo", _) => {
                assert_eq!(code, 1, "{context}: {out}");
                assert!(out.contains("rolled back"), "{context}: {out}");
                case.assert_complete(true, &context);
            }
            ("commit", "HUP") => {
                assert_eq!(code, 0, "{context}: {out}");
                assert!(!previous, "{context}: -prev removed");
            }
            _ => {
                assert_eq!(code, 1, "{context}: {out}");
                case.assert_complete(true, &context);
            }
        }
        case.assert_nothing_flagged(&context);
    }
}
