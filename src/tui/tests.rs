//! Rendering tests on ratatui's TestBackend: text snapshots plus per-cell style checks.

use super::app::{App, Effect, Popup};
use super::containers::RowId;
use super::keymap::Action;
use super::msg::Msg;
use crate::collect::docker::DockerUpdate;
use crate::collect::listeners::ListenerUpdate;
use crate::config::Settings;
use crate::incident::inventory::ProbeKey;
use crate::model::{
    AuthKind, Container, ContainerDetails, ContainerState, Health, Listener, ListenerOwner,
    PortBinding, ProbeHit, ProbeReport, Protocol, RiskLevel,
};
use crossterm::event::{Event, KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::time::Duration;

fn binding(ip: &str, host: u16, inner: u16) -> PortBinding {
    PortBinding {
        host_ip: ip.into(),
        host_port: host,
        container_port: inner,
        protocol: Protocol::Tcp,
    }
}

fn container(n: u8, name: &str, state: ContainerState, ports: Vec<PortBinding>) -> Container {
    Container {
        id: format!("{n:02x}").repeat(32),
        name: name.into(),
        image: format!("{name}:latest"),
        state,
        health: Health::None,
        status_text: "Up 5 minutes".into(),
        created_unix: 0,
        ports,
        labels: vec![],
        network_mode: "bridge".into(),
    }
}

fn details(id: &str, args: &[&str], env: &[&str]) -> ContainerDetails {
    ContainerDetails {
        id: id.into(),
        image_id: "sha256:0123".into(),
        path: "python".into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: env.iter().map(|s| s.to_string()).collect(),
        restart_policy: "unless-stopped".into(),
        runtime: "nvidia".into(),
        gpu_requests: vec!["nvidia: count=all caps=[gpu]".into()],
        started_at: Some("2026-11-22T01:00:00Z".into()),
        exit_code: Some(0),
        pid: Some(4242),
        ..ContainerDetails::default()
    }
}

fn report(auth: AuthKind, path: &str, status: u16, product: Option<&str>) -> ProbeReport {
    ProbeReport {
        target: "127.0.0.1:1".into(),
        auth,
        product: product.map(str::to_string),
        leaks: vec![],
        hits: vec![ProbeHit {
            path: path.into(),
            status: Some(status),
            note: String::new(),
        }],
    }
}

/// Carries out the app's mark effects through the real runner, as the event loop does (an
/// fsynced append to the marks file), and hands each answer back to the app.
pub(super) fn save_marks(app: &mut App) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut runner = super::runner::Runner::new(&app.settings, None);
        let mut asked = 0;
        for effect in app.take_effects() {
            if matches!(effect, Effect::SaveMark { .. }) {
                runner.run(effect);
                asked += 1;
            }
        }
        for _ in 0..asked {
            let answer = runner.next().await;
            app.handle(answer);
        }
    });
}

/// Who the runner records as the marking user.
pub(super) fn marking_user() -> String {
    let identity = crate::ops::identity::Identity::current();
    identity.login_user.unwrap_or(identity.user)
}

/// Calls `view` with the context the frame would draw the app with.
pub(super) fn with_ctx<R>(app: &App, view: impl FnOnce(&super::widgets::Ctx) -> R) -> R {
    let areas = app.areas();
    let ctx = super::widgets::Ctx {
        strays: &[],
        theme: &app.theme,
        now: app.shell.now,
        focus: app.shell.focus,
        read_only: app.shell.read_only,
        areas: &areas,
        settings: &app.settings,
        marks: &app.marks,
    };
    view(&ctx)
}

/// A key press, as the terminal would send it.
pub(super) fn press(app: &mut App, code: KeyCode) {
    app.handle(Msg::Terminal(Event::Key(KeyEvent::from(code))));
}

/// A fixed scene: an open Gradio UI, a protected one with a weak password, a loopback API,
/// an unhealthy container, a stopped one, and a host listener.
pub(super) fn scene() -> App {
    scene_with_token().0
}

/// The scene and the HuggingFace token (generated now) in whisper-webui's environment.
fn scene_with_token() -> (App, String) {
    let token = crate::util::fixtures::random_token("hf_", 32);
    let settings = Settings {
        probe_enabled: false,
        ..Settings::default()
    };
    let mut app = App::new(settings, crate::tui::theme::default_theme());
    app.shell.host_name = "gpu-host-01".into();
    app.shell.now = "2026-11-22T03:00:00Z".parse().expect("timestamp");
    let sdnext = container(
        1,
        "sdnext",
        ContainerState::Running,
        vec![binding("0.0.0.0", 36325, 7860)],
    );
    let whisper = container(
        2,
        "whisper-webui",
        ContainerState::Running,
        vec![binding("0.0.0.0", 7861, 7860)],
    );
    let vllm = container(
        3,
        "vllm",
        ContainerState::Running,
        vec![binding("127.0.0.1", 5000, 8000)],
    );
    let mut comfy = container(4, "comfyui", ContainerState::Running, vec![]);
    comfy.health = Health::Unhealthy;
    let flux = container(5, "flux", ContainerState::Exited, vec![]);
    let ids: Vec<String> = [&sdnext, &whisper, &vllm]
        .iter()
        .map(|c| c.id.clone())
        .collect();
    app.handle(Msg::Docker(DockerUpdate::Connected {
        endpoint: "unix:///var/run/docker.sock".into(),
        server_version: "28.2.2".into(),
        api_version: "1.50".into(),
    }));
    let list = vec![sdnext, whisper, vllm, comfy, flux];
    app.handle(Msg::Docker(DockerUpdate::Containers(list)));
    let args = [
        "app.py",
        "--listen",
        "--username",
        "admin",
        "--password",
        "goldman",
    ];
    let whisper_details = details(&ids[1], &args, &[&format!("HF_TOKEN={token}")]);
    app.handle(Msg::Docker(DockerUpdate::Details(Box::new(
        whisper_details,
    ))));
    let probes = [
        (
            &ids[0],
            binding("0.0.0.0", 36325, 7860),
            report(AuthKind::None, "/config", 200, Some("Gradio")),
        ),
        (
            &ids[1],
            binding("0.0.0.0", 7861, 7860),
            report(AuthKind::Login, "/config", 401, Some("Gradio")),
        ),
        (
            &ids[2],
            binding("127.0.0.1", 5000, 8000),
            report(AuthKind::ApiKey, "/v1/models", 401, None),
        ),
    ];
    for (id, bound, answer) in probes {
        app.handle(Msg::Probe(ProbeKey::new(id, &bound), answer));
    }
    app.handle(Msg::Listeners(ListenerUpdate::Listeners(vec![Listener {
        address: "0.0.0.0".parse().expect("ip"),
        port: 5003,
        protocol: "tcp",
        inode: 1,
        pid: Some(4242),
        process: Some("busybox".into()),
        user: Some("root".into()),
        owner: ListenerOwner::Host,
    }])));
    (app, token)
}

pub(super) fn render(app: &mut App, width: u16, height: u16) -> Buffer {
    app.resize(width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| super::frame::draw(app, frame))
        .expect("draw");
    terminal.backend().buffer().clone()
}

pub(super) fn text_of(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

pub(super) fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let text = text_of(buffer);
    for (y, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return Some((x as u16, y as u16));
        }
    }
    None
}

#[test]
fn wide_layout_snapshot() {
    let mut app = scene();
    let buffer = render(&mut app, 140, 30);
    insta::assert_snapshot!("wide_140x30", text_of(&buffer));
}

#[test]
fn eighty_columns_keep_marker_after_name_and_risk_text() {
    let mut app = scene();
    let buffer = render(&mut app, 80, 24);
    let text = text_of(&buffer);
    insta::assert_snapshot!("narrow_80x24", text);
    let line = text
        .lines()
        .find(|l| l.contains("sdnext"))
        .expect("sdnext row");
    let name_at = line.find("sdnext").expect("name");
    let marker_at = line.find("PUBLIC").expect("marker");
    assert!(marker_at > name_at && line.contains("CRITICAL"), "{line}");
}

#[test]
fn risk_cells_use_the_theme_colour_of_their_level() {
    let mut app = scene();
    let buffer = render(&mut app, 140, 30);
    for (word, level) in [
        ("CRITICAL", RiskLevel::Critical),
        ("HIGH", RiskLevel::High),
        ("LOW", RiskLevel::Low),
        ("INFO", RiskLevel::Info),
    ] {
        let (x, y) = find(&buffer, word).unwrap_or_else(|| panic!("{word} on screen"));
        let cell = &buffer[(x, y)];
        let expected = app.theme.risk(level);
        // Every level of the dark theme has a foreground of its own: the cell must carry it.
        let fg = expected.fg.expect("the dark theme colours every level");
        assert_eq!(cell.fg, fg, "{word} foreground");
        if let Some(bg) = expected.bg {
            assert_eq!(cell.bg, bg, "{word} background");
        }
    }
}

#[test]
fn unhealthy_never_looks_healthy() {
    let mut app = scene();
    let buffer = render(&mut app, 140, 30);
    let (x, y) = find(&buffer, "UNHEALTHY").expect("unhealthy shown");
    assert_eq!(
        buffer[(x, y)].bg,
        app.theme.critical.bg.expect("critical has a background")
    );
}

#[test]
fn monochrome_still_writes_every_level() {
    let mut app = scene();
    app.theme = crate::tui::theme::Theme::monochrome();
    let buffer = render(&mut app, 140, 30);
    let text = text_of(&buffer);
    for word in ["CRITICAL", "HIGH", "LOW", "INFO", "PUBLIC", "LOCAL", "NONE"] {
        assert!(text.contains(word), "{word} missing in monochrome");
    }
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset)
    );
}

#[test]
fn details_mask_secrets_and_show_probe_results() {
    let (mut app, token) = scene_with_token();
    let whisper = app
        .containers
        .rows
        .iter()
        .find(|r| r.name == "whisper-webui")
        .expect("row")
        .id
        .clone();
    app.shell.popup = Some(Popup::Details {
        row: RowId::Container(whisper),
        scroll: 0,
    });
    let buffer = render(&mut app, 120, 60);
    let text = text_of(&buffer);
    assert!(!text.contains("goldman"), "password leaked:\n{text}");
    assert!(!text.contains(&token[..12]), "token leaked:\n{text}");
    assert!(text.contains("--password g…(7 chars)"), "{text}");
    assert!(
        text.contains(&format!("HF_TOKEN={}…(35 chars)", &token[..4])),
        "{text}"
    );
    assert!(text.contains("GET /config"), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("weak credential"), "{text}");
    assert!(text.contains("nvidia: count=all caps=[gpu]"), "{text}");
}

#[test]
fn hostile_strings_are_escaped_on_screen() {
    let mut app = scene();
    let evil = container(
        9,
        "evil\u{1b}[2Jname\u{202e}gpj",
        ContainerState::Running,
        vec![],
    );
    let mut list = app.containers.inventory.containers.clone();
    list.push(evil);
    app.handle(Msg::Docker(DockerUpdate::Containers(list)));
    let buffer = render(&mut app, 140, 30);
    let text = text_of(&buffer);
    assert!(text.contains("evil\\e[2Jname\\u{202e}gpj"), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn every_size_renders_without_panic() {
    let mut app = scene();
    for (w, h) in [
        (1, 1),
        (10, 3),
        (20, 5),
        (40, 12),
        (59, 15),
        (60, 16),
        (80, 24),
        (200, 60),
    ] {
        let text = text_of(&render(&mut app, w, h));
        // Something is said at every size: the panes, or that the terminal is too small.
        let said = text.contains("vigil") || text.contains("too small");
        assert!(said || w * h < 20, "{w}x{h} drew nothing:\n{text}");
    }
    let buffer = render(&mut app, 40, 12);
    let text = text_of(&buffer);
    assert!(text.contains("1 Containers"), "{text}");
    assert!(text.contains("sdnext"), "{text}");
}

#[test]
fn keys_move_focus_selection_and_filter() {
    let mut app = scene();
    app.resize(140, 30);
    let first = app.containers.selected.clone();
    app.update(Action::Down);
    assert_ne!(app.containers.selected, first);
    app.update(Action::End);
    assert!(matches!(
        app.containers.selected,
        Some(RowId::Listener(_, 5003))
    ));
    app.update(Action::Home);
    assert_eq!(app.containers.selected, first);
    app.update(Action::FocusNext);
    assert_eq!(app.shell.focus, super::layout::PaneId::Gpu);
    app.update(Action::FocusPrev);
    app.update(Action::Filter);
    for ch in "vllm".chars() {
        press(&mut app, KeyCode::Char(ch));
    }
    assert_eq!(app.containers.rows.len(), 1);
    assert_eq!(app.containers.rows[0].name, "vllm");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.containers.rows.len(), 5);
}

#[test]
fn read_only_refuses_remediation_keys() {
    let mut app = scene();
    app.shell.read_only = true;
    app.update(Action::Remediate(super::keymap::Remediation::Stop));
    let status = app.shell.status.clone().expect("a status message");
    assert!(status.text.starts_with("read-only"), "{}", status.text);
    let buffer = render(&mut app, 140, 30);
    assert!(text_of(&buffer).contains("[RO]"));
}

#[test]
fn docker_down_is_explained_and_rows_are_kept() {
    let mut app = scene();
    app.handle(Msg::Docker(DockerUpdate::Down {
        endpoint: "unix:///var/run/docker.sock".into(),
        reason:
            "connection refused at unix:///var/run/docker.sock: the daemon is stopped or restarting"
                .into(),
        retry_in: Duration::from_secs(2),
    }));
    let buffer = render(&mut app, 140, 30);
    let text = text_of(&buffer);
    assert!(
        text.contains("Docker unavailable: connection refused"),
        "{text}"
    );
    assert!(text.contains("sdnext"), "last known rows stay visible");
    assert!(text.contains("DOWN"));
}

#[test]
fn mouse_click_selects_pane_and_row() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = scene();
    app.resize(140, 30);
    let areas = app.areas();
    let gpu = areas.pane(super::layout::PaneId::Gpu).expect("gpu pane");
    app.handle(Msg::Terminal(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: gpu.x + 2,
        row: gpu.y + 2,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(app.shell.focus, super::layout::PaneId::Gpu);
    let table = areas.container_table.expect("table");
    app.handle(Msg::Terminal(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: table.x + 3,
        row: table.y + 3,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(app.shell.focus, super::layout::PaneId::Containers);
    let third = app.containers.rows[2].id.clone();
    assert_eq!(app.containers.selected, Some(RowId::Container(third)));
}

#[test]
fn help_lists_every_binding() {
    let mut app = scene();
    app.update(Action::Help);
    let buffer = render(&mut app, 120, 40);
    let text = text_of(&buffer);
    for binding in super::keymap::BINDINGS {
        assert!(text.contains(binding.help), "help lacks {}", binding.help);
    }
}

/// `End` shows the last page of a popup (not a blank one) and `Up` moves from there at once.
#[test]
fn popups_scroll_to_their_real_end() {
    let mut app = scene();
    app.update(Action::Help);
    let first = text_of(&render(&mut app, 80, 24));
    let last_help_line = "Mouse: click a pane to focus it";
    assert!(
        !first.contains(last_help_line),
        "the help is taller than 24 rows:\n{first}"
    );
    app.update(Action::End);
    let end = text_of(&render(&mut app, 80, 24));
    assert!(
        end.contains(last_help_line),
        "End shows the last line:\n{end}"
    );
    app.update(Action::Up);
    let up = text_of(&render(&mut app, 80, 24));
    assert_ne!(up, end, "Up moves at once after End");
    assert!(!up.contains(last_help_line), "{up}");
    app.update(Action::Back);

    let row = app.containers.rows.first().expect("row").id.clone();
    app.update(Action::Open);
    assert!(
        matches!(app.shell.popup, Some(Popup::Details { .. })),
        "{row:?}"
    );
    render(&mut app, 80, 24);
    app.update(Action::End);
    let end = text_of(&render(&mut app, 80, 24));
    let blank_popup = end
        .lines()
        .skip(2)
        .take(5)
        .all(|l| l.trim_matches(['│', ' ']).is_empty());
    assert!(!blank_popup, "End never scrolls the details away:\n{end}");
    app.update(Action::PageDown);
    assert_eq!(
        text_of(&render(&mut app, 80, 24)),
        end,
        "nothing past the end"
    );
}

#[test]
fn confirmation_question_stays_visible_when_the_plan_is_taller_than_the_screen() {
    use crate::ops::plan::{ActionKind, Confirmation, Plan, Step, Target};
    use crate::tui::actions::ConfirmState;
    let mut app = scene();
    let steps = (0..30)
        .map(|i| Step {
            description: format!("step number {i} of a long plan"),
            command: format!("docker something {i}"),
        })
        .collect();
    let mut state = ConfirmState::new(Plan {
        resumes: None,
        work: None,
        id: "id".into(),
        kind: ActionKind::Rebind,
        target: Target {
            id: "a".repeat(64),
            name: "sdnext".into(),
            image: "sdnext:latest".into(),
        },
        host: "gpu-host-01".into(),
        steps,
        undo: "vigil undo id".into(),
        warnings: vec![],
        confirmation: Confirmation::Type("sdnext".into()),
        refused: None,
        undoes: None,
        before: serde_json::Value::Null,
        firewall: None,
    });
    state.typed = "sdn".into();
    app.shell.popup = Some(Popup::Confirm(Box::new(state)));
    let text = text_of(&render(&mut app, 80, 24));
    assert!(text.contains("Type `sdnext` and Enter"), "{text}");
    assert!(text.contains("> sdn"), "{text}");
    assert!(text.contains("PgDn"), "{text}");
    assert!(!text.contains("docker something 29"), "{text}");
    // Scrolling to the end shows the last step; typing still goes to the answer.
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('e'));
    let text = text_of(&render(&mut app, 80, 24));
    assert!(text.contains("docker something 29"), "{text}");
    assert!(text.contains("Undo: vigil undo id"), "{text}");
    assert!(text.contains("> sdne"), "{text}");
    press(&mut app, KeyCode::Home);
    let text = text_of(&render(&mut app, 80, 24));
    assert!(text.contains("REBIND container sdnext"), "{text}");
    let text = text_of(&render(&mut app, 140, 80));
    assert!(!text.contains("PgDn"), "{text}");
    assert!(text.contains("step number 29"), "{text}");
}

#[test]
fn running_steps_show_live_in_the_confirmation() {
    use crate::ops::StepUpdate;
    use crate::ops::plan::{ActionKind, Confirmation, Plan, Step, Target};
    use crate::tui::actions::{ConfirmPhase, ConfirmState};
    let mut app = scene();
    let steps = ["create the replacement", "stop the original", "verify"]
        .iter()
        .map(|d| Step {
            description: d.to_string(),
            command: "docker ...".into(),
        })
        .collect();
    let mut state = ConfirmState::new(Plan {
        resumes: None,
        work: None,
        id: "rebind-1".into(),
        kind: ActionKind::Rebind,
        target: Target {
            id: "a".repeat(64),
            name: "sdnext".into(),
            image: "sdnext:latest".into(),
        },
        host: "gpu-host-01".into(),
        steps,
        undo: "vigil undo rebind-1".into(),
        warnings: vec![],
        confirmation: Confirmation::Type("sdnext".into()),
        refused: None,
        undoes: None,
        before: serde_json::Value::Null,
        firewall: None,
    });
    state.phase = ConfirmPhase::Running {
        since: std::time::Instant::now(),
    };
    app.shell.popup = Some(Popup::Confirm(Box::new(state)));
    app.handle(Msg::StepProgress("rebind-1".into(), StepUpdate::Started(0)));
    app.handle(Msg::StepProgress(
        "rebind-1".into(),
        StepUpdate::Finished(0),
    ));
    app.handle(Msg::StepProgress("rebind-1".into(), StepUpdate::Started(1)));
    // An update for another action changes nothing here.
    app.handle(Msg::StepProgress(
        "other".into(),
        StepUpdate::Failed(2, "x".into()),
    ));
    let text = text_of(&render(&mut app, 120, 40));
    assert!(text.contains("✓ 1/3 create the replacement"), "{text}");
    assert!(text.contains("▶ 2/3 stop the original"), "{text}");
    assert!(text.contains("· 3/3 verify"), "{text}");
    app.handle(Msg::StepProgress(
        "rebind-1".into(),
        StepUpdate::Failed(1, "daemon said no".into()),
    ));
    app.handle(Msg::StepProgress(
        "rebind-1".into(),
        StepUpdate::Note("rolling back".into()),
    ));
    let text = text_of(&render(&mut app, 120, 40));
    assert!(
        text.contains("✗ 2/3 stop the original: daemon said no"),
        "{text}"
    );
    assert!(text.contains("rolling back"), "{text}");
}

#[test]
fn secrets_pane_lists_masked_findings_most_urgent_first_and_details_show_every_place() {
    use crate::secrets::scan::{ScanOptions, run};
    let dir = tempfile::tempdir().expect("tempdir");
    let vllm = format!("Q7{}", crate::util::fixtures::random_token("", 30));
    let password = crate::util::fixtures::random_from(b"abcdefghijklmnopqrstuvwxyz", 8);
    std::fs::write(dir.path().join(".env"), format!("VLLM_API_KEY={vllm}\n")).expect("write");
    std::fs::write(
        dir.path().join("run.sh"),
        format!("python app.py --listen --gradio-auth admin:{password}\n"),
    )
    .expect("write");
    let ioc = dir.path().join("ioc.txt");
    std::fs::write(&ioc, format!("{password}\n")).expect("ioc");
    let options = ScanOptions {
        repos: vec![dir.path().to_path_buf()],
        history: true,
        ioc_file: Some(ioc),
        ..ScanOptions::default()
    };
    let report = run(
        &options,
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .expect("scan");
    assert_eq!(report.findings.len(), 2);
    let mut app = scene();
    app.secrets.state = crate::tui::secrets::ScanState::Done;
    app.secrets.report = Some(report);
    app.update(Action::FocusPane(3));
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 140, 30));
    assert!(text.contains("2 findings"), "{text}");
    assert!(text.contains("1 compromised"), "{text}");
    // This scene has no repository configured: the pane says how to give one.
    assert!(text.contains("no repository scanned"), "{text}");
    // The compromised one first, marked for rotation.
    let rotate_row = text
        .lines()
        .position(|l| l.contains("ROTATE"))
        .expect("rotate row");
    let vllm_row = text
        .lines()
        .position(|l| l.contains("vllm-api-key"))
        .expect("vllm row");
    assert!(rotate_row < vllm_row, "{text}");
    assert!(
        text.contains(&format!("{}…(32 chars)", &vllm[..4])),
        "{text}"
    );
    assert!(
        !text.contains(&vllm) && !text.contains(&password),
        "raw secret on screen"
    );
    // Enter: the details, still masked.
    app.update(Action::Open);
    let text = text_of(&render(&mut app, 140, 30));
    assert!(text.contains("fingerprint"), "{text}");
    assert!(text.contains("COMPROMISED"), "{text}");
    assert!(text.contains("run.sh:1"), "{text}");
    assert!(!text.contains(&password), "raw secret in the details");
    // Small terminals draw without panicking.
    for (width, height) in [(80, 24), (40, 12)] {
        render(&mut app, width, height);
    }
}

#[test]
fn secrets_pane_shows_live_history_progress() {
    use crate::secrets::scan::ScanProgress;
    use crate::secrets::sources::history::HistoryProgress;
    let mut app = scene();
    app.start_secret_scan();
    app.handle(Msg::SecretsProgress(ScanProgress::Stage("history".into())));
    app.handle(Msg::SecretsProgress(ScanProgress::History(
        HistoryProgress {
            objects_done: 500,
            objects_total: 2000,
            bytes_done: 50_000_000,
        },
    )));
    let text = text_of(&render(&mut app, 140, 30));
    assert!(text.contains("history 500/2000 objects"), "{text}");
    assert!(text.contains("50 MB"), "{text}");
}

/// The secret scans the app asked for since the last call.
fn scans_asked(app: &mut App) -> Vec<crate::secrets::scan::ScanOptions> {
    app.take_effects()
        .into_iter()
        .filter_map(|effect| match effect {
            Effect::ScanSecrets(options) => Some(*options),
            _ => None,
        })
        .collect()
}

fn scan_done(app: &mut App, seconds: f64) {
    use crate::secrets::scan::{ScanReport, Summary};
    let summary = Summary {
        seconds,
        ..Summary::default()
    };
    let report = ScanReport {
        findings: Vec::new(),
        summary,
    };
    app.handle(Msg::SecretsDone(Box::new(Ok(report))));
}

#[test]
fn a_quick_secret_scan_is_repeated_when_containers_change() {
    let mut app = scene();
    app.start_secret_scan();
    scans_asked(&mut app);
    scan_done(&mut app, 0.4);
    // Same containers: nothing to do.
    app.secrets_containers_changed();
    assert!(scans_asked(&mut app).is_empty());
    // One more container: a quick scan runs again by itself, with it.
    let late = details(&"f".repeat(64), &[], &["VLLM_API_KEY=x"]);
    app.handle(Msg::Docker(DockerUpdate::Details(Box::new(late))));
    let again = scans_asked(&mut app);
    assert_eq!(again.len(), 1);
    let covered = again[0].containers.as_ref().expect("containers").len();
    assert_eq!(covered, 2, "whisper-webui and the late one");
    // After a long scan the pane offers the rescan instead.
    scan_done(&mut app, 60.0);
    app.containers.inventory.details.remove(&"f".repeat(64));
    app.secrets_containers_changed();
    assert!(scans_asked(&mut app).is_empty());
    assert!(app.secrets.stale);
    let text = text_of(&render(&mut app, 200, 30));
    assert!(text.contains("r rescans"), "{text}");
}

#[test]
fn the_secret_scan_waits_for_the_containers_details() {
    // Started inside a repository: the timeline is read at once, but the scan must not start
    // before the containers are inspected, or their environments would be missing from it.
    let repo = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        probe_enabled: false,
        repos: vec![repo.path().to_path_buf()],
        ..Settings::default()
    };
    let mut app = App::new(settings, crate::tui::theme::default_theme());
    app.handle(Msg::Tick(jiff::Timestamp::now()));
    let sdnext = container(1, "sdnext", ContainerState::Running, vec![]);
    let id = sdnext.id.clone();
    app.handle(Msg::Docker(DockerUpdate::Containers(vec![sdnext])));
    let read = Box::new(crate::timeline::read(repo.path()));
    app.handle(Msg::Timeline(crate::timeline::stages::Stage::Read(0, read)));
    assert!(app.timeline.all_read());
    assert!(
        scans_asked(&mut app).is_empty(),
        "no scan before the details"
    );
    let secret_args = ["serve", "--password", "goldman"];
    app.handle(Msg::Docker(DockerUpdate::Details(Box::new(details(
        &id,
        &secret_args,
        &[],
    )))));
    let scans = scans_asked(&mut app);
    assert_eq!(scans.len(), 1);
    let containers = scans[0].containers.as_ref().expect("containers");
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0].args, secret_args);
}

#[test]
fn with_docker_down_the_secret_scan_starts_with_what_is_known() {
    let mut app = App::new(Settings::default(), crate::tui::theme::default_theme());
    app.handle(Msg::Tick(jiff::Timestamp::now()));
    assert!(scans_asked(&mut app).is_empty());
    app.handle(Msg::Docker(DockerUpdate::Down {
        endpoint: "unix:///nowhere".into(),
        reason: "socket /nowhere not found: is dockerd running?".into(),
        retry_in: Duration::from_secs(1),
    }));
    assert_eq!(scans_asked(&mut app).len(), 1);
}
