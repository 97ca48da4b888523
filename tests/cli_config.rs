//! The command-line contract, configuration and themes on the real binary.

mod common;
#[path = "common/tmux.rs"]
mod tmux;

use common::{Sandbox, need_tmux, vigil, vigil_bin};
use std::time::Duration;
use tmux::Tmux;

#[test]
fn version_and_help_with_examples() {
    let sandbox = Sandbox::new();
    let (code, stdout, _) = vigil(&sandbox, &["--version"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(&format!("vigil {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    let (code, stdout, _) = vigil(&sandbox, &["--help"]);
    assert_eq!(code, 0);
    for expected in [
        "--read-only",
        "--docker-host",
        "--theme",
        "--config",
        "Examples:",
        "vigil scan containers",
    ] {
        assert!(
            stdout.contains(expected),
            "--help lacks {expected}:\n{stdout}"
        );
    }
}

#[test]
fn config_init_writes_once_at_the_xdg_location() {
    let sandbox = Sandbox::new();
    let expected = sandbox.path().join("config/vigil/config.toml");
    let (code, stdout, _) = vigil(&sandbox, &["config", "path"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), expected.display().to_string());
    assert!(
        !expected.exists(),
        "the config file is created only on request"
    );

    let (code, stdout, _) = vigil(&sandbox, &["config", "init"]);
    assert_eq!(code, 0, "{stdout}");
    let written = std::fs::read_to_string(&expected).expect("config written");
    assert!(written.contains("safety_poll_secs"));

    let (code, _, stderr) = vigil(&sandbox, &["config", "init"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, _, _) = vigil(&sandbox, &["config", "init", "--force"]);
    assert_eq!(code, 0);
}

#[test]
fn broken_config_names_file_line_and_key_and_vigil_carries_on() {
    let sandbox = Sandbox::new();
    let config = sandbox.path().join("broken.toml");
    std::fs::write(&config, "theme = \"dark\"\n[probe]\ntimeout_msec = 10\n").expect("write");
    let absent = format!("unix://{}/absent.sock", sandbox.path().display());
    let (code, _, stderr) = vigil(
        &sandbox,
        &[
            "--config",
            config.to_str().expect("utf8"),
            "--docker-host",
            &absent,
            "scan",
            "containers",
        ],
    );
    assert!(stderr.contains("broken.toml line 3"), "{stderr}");
    assert!(stderr.contains("timeout_msec"), "{stderr}");
    // Only that key is dropped; the rest of the file is kept.
    assert!(stderr.contains("ignored"), "{stderr}");
    assert!(
        !stderr.contains("read-only"),
        "read_only was readable: {stderr}"
    );
    // It carried on and reached the (absent) daemon, failing only there.
    assert!(
        stderr.contains("not found: is dockerd running?"),
        "{stderr}"
    );
    assert_eq!(code, 1);
}

#[test]
#[ignore = "needs tmux"]
fn broken_theme_is_shown_in_the_status_bar_and_defaults_are_used() {
    if !need_tmux("broken_theme_is_shown_in_the_status_bar_and_defaults_are_used") {
        return;
    }
    let sandbox = Sandbox::new();
    let theme = sandbox.path().join("mine.toml");
    std::fs::write(&theme, "[styles]\ncritical = { fg = \"not-a-colour\" }\n").expect("write");
    let absent = format!("unix://{}/absent.sock", sandbox.path().display());
    let tmux = Tmux::start(
        &format!(
            "{} --theme {} --docker-host {absent}",
            vigil_bin(),
            theme.display()
        ),
        &sandbox.env(),
        200,
        40,
    );
    tmux.wait_for(
        "theme error in the status bar",
        Duration::from_secs(5),
        |s| {
            s.contains("mine.toml line 2")
                && s.contains("styles.critical")
                && s.contains("default theme")
        },
    );
    assert!(
        tmux.capture().contains("Containers & exposed ports"),
        "vigil carried on"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(5), |s| {
        s.contains("VIGIL-EXITED:0")
    });
    // Logs went to the XDG state directory, not to the screen.
    let log = sandbox.path().join("state/vigil/vigil.log");
    let text = std::fs::read_to_string(&log).expect("log file written");
    assert!(text.contains("configuration problem"), "{text}");
}

#[test]
#[ignore = "needs tmux"]
fn read_only_from_the_environment_and_the_config_file() {
    if !need_tmux("read_only_from_the_environment_and_the_config_file") {
        return;
    }
    let sandbox = Sandbox::new();
    let absent = format!("unix://{}/absent.sock", sandbox.path().display());
    let mut env = sandbox.env();
    env.push(("VIGIL_READ_ONLY".into(), "1".into()));
    let tmux = Tmux::start(
        &format!("{} --docker-host {absent}", vigil_bin()),
        &env,
        160,
        30,
    );
    tmux.wait_for(
        "RO badge from VIGIL_READ_ONLY",
        Duration::from_secs(5),
        |s| s.contains("[RO]"),
    );
    drop(tmux);

    let config = sandbox.path().join("ro.toml");
    std::fs::write(&config, "read_only = true\n").expect("write");
    let tmux = Tmux::start(
        &format!(
            "{} --config {} --docker-host {absent}",
            vigil_bin(),
            config.display()
        ),
        &sandbox.env(),
        160,
        30,
    );
    tmux.wait_for(
        "RO badge from the config file",
        Duration::from_secs(5),
        |s| s.contains("[RO]"),
    );
    drop(tmux);

    // A flag wins over the file.
    let tmux = Tmux::start(
        &format!(
            "{} --config {} --read-only=false --docker-host {absent}",
            vigil_bin(),
            config.display()
        ),
        &sandbox.env(),
        160,
        30,
    );
    tmux.wait_for("RW badge from the flag", Duration::from_secs(5), |s| {
        s.contains("[RW]")
    });
}

#[test]
#[ignore = "needs tmux"]
fn no_color_renders_without_colour_but_with_every_level_as_text() {
    if !need_tmux("no_color_renders_without_colour_but_with_every_level_as_text") {
        return;
    }
    let sandbox = Sandbox::new();
    let absent = format!("unix://{}/absent.sock", sandbox.path().display());
    let mut env = sandbox.env();
    env.push(("NO_COLOR".into(), "1".into()));
    let tmux = Tmux::start(
        &format!("{} --docker-host {absent}", vigil_bin()),
        &env,
        160,
        30,
    );
    tmux.wait_for("drawn", Duration::from_secs(5), |s| {
        s.contains("Docker unavailable")
    });
    let ansi = tmux.capture_ansi();
    assert!(
        !ansi.contains("\u{1b}[38;"),
        "foreground colour used under NO_COLOR"
    );
    assert!(
        !ansi.contains("\u{1b}[48;"),
        "background colour used under NO_COLOR"
    );
}

#[test]
fn completions_and_the_manual_come_from_the_same_definitions() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let (code, script, stderr) = vigil(&sandbox, &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        for word in ["scan", "rebind", "read-only", "fail-on"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script is valid bash.
    let (_, script, _) = vigil(&sandbox, &["completions", "bash"]);
    let file = sandbox.path().join("vigil.bash");
    std::fs::write(&file, script).expect("write");
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash");
    assert!(checked.status.success(), "{checked:?}");
    let (code, roff, stderr) = vigil(&sandbox, &["man"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(roff.contains(".TH vigil 1"), "{roff}");
    assert!(roff.contains("\\-\\-read\\-only"), "{roff}");
    let dir = sandbox.path().join("man");
    let (code, _, stderr) = vigil(&sandbox, &["man", "--out-dir", dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{stderr}");
    for page in [
        "vigil.1",
        "vigil-scan-secrets.1",
        "vigil-rebind.1",
        "vigil-undo.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).expect(page);
        assert!(text.starts_with(".ie"), "{page} is roff");
    }
    // An unknown shell is refused with the list of the known ones.
    let (code, _, stderr) = vigil(&sandbox, &["completions", "tcsh"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("possible values"), "{stderr}");
}
