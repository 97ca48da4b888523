//! The GPU pane on TestBackend: cards, sparklines, processes mapped to the scene's containers,
//! flags and risk, the no-NVML line, the header summary, small terminals.

use crate::collect::host::HostSummary;
use crate::collect::sampler::Sample;
use crate::model::{GpuCard, GpuProcess, GpuProcessKind, GpuSnapshot, RiskLevel};
use crate::tui::app::App;
use crate::tui::keymap::Action;
use crate::tui::layout::PaneId;
use crate::tui::msg::Msg;
use crate::tui::tests::{find, render, scene, text_of};

/// The scene's sdnext (public, no auth) and vllm (loopback) containers' ids.
fn id_of(app: &App, name: &str) -> String {
    app.containers
        .inventory
        .containers
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .expect("container in the scene")
}

fn process(pid: u32, container: Option<String>, memory: u64, name: &str) -> GpuProcess {
    GpuProcess {
        pid,
        name: Some(name.into()),
        user: Some("root".into()),
        used_memory_bytes: Some(memory),
        sm_utilization: Some(61),
        kind: GpuProcessKind::Compute,
        container_id: container,
        container_name: None,
        visible: true,
    }
}

fn card(index: u32, util: u32) -> GpuCard {
    let mut card = GpuCard::new(index);
    card.name = Some("NVIDIA A100-SXM4-80GB".into());
    card.uuid = Some(format!("GPU-{index}a2b3c4d-0000-1111-2222-333344445555"));
    card.utilization_gpu = Some(util);
    card.utilization_memory = Some(util / 2);
    card.memory_used_bytes = Some(20 << 30);
    card.memory_total_bytes = Some(80 << 30);
    card.temperature_c = Some(71);
    card.power_w = Some(312.0);
    card.power_limit_w = Some(400.0);
    card.sm_clock_mhz = Some(1410);
    card
}

fn sample(gpu: GpuSnapshot) -> Sample {
    Sample {
        host: HostSummary {
            load: Some([1.5, 0.75, 0.25]),
            cpus: 32,
            cpu_percent: 23.4,
            memory_used_bytes: 12 << 30,
            memory_total_bytes: 64 << 30,
            uptime_secs: Some(3 * 86_400 + 4 * 3600),
        },
        gpu,
    }
}

fn two_cards(app: &App) -> GpuSnapshot {
    let mut busy = card(0, 87);
    busy.processes = vec![
        process(4242, Some(id_of(app, "sdnext")), 2 << 30, "python3"),
        process(777, None, 1 << 30, "Xorg"),
    ];
    busy.throttle_reasons = Some(vec!["power cap".into()]);
    let mut second = card(1, 5);
    second.fan_percent = None;
    second.processes = vec![process(5151, Some(id_of(app, "vllm")), 512 << 20, "vllm")];
    GpuSnapshot {
        available: true,
        reason: None,
        driver: Some("550.54.15".into()),
        cuda: Some("12.4".into()),
        gpus: vec![busy, second],
    }
}

fn zoomed_gpu(app: &mut App) {
    app.update(Action::FocusPane(PaneId::Gpu.index()));
    app.update(Action::Zoom);
}

#[test]
fn cards_processes_and_containers() {
    let mut app = scene();
    for _ in 0..5 {
        let snapshot = two_cards(&app);
        app.handle(Msg::Sample(Box::new(sample(snapshot))));
    }
    zoomed_gpu(&mut app);
    let buffer = render(&mut app, 140, 30);
    let text = text_of(&buffer);
    assert!(
        text.contains("driver 550.54.15 · CUDA 12.4 · 2 GPUs · 3 proc"),
        "{text}"
    );
    assert!(text.contains("GPU 0 NVIDIA A100-SXM4-80GB GPU-0a2b3c4d 71°C 312/400 W fan n/a SM 1410 MHz throttled: power cap"), "{text}");
    assert!(
        text.contains("util   87% ▇▇▇▇▇"),
        "five samples, five bars: {text}"
    );
    assert!(text.contains("mem 20.0G/80.0G"), "{text}");
    let sdnext = text
        .lines()
        .find(|l| l.contains("4242"))
        .expect("sdnext process");
    assert!(sdnext.contains("python3") && sdnext.contains("2.0G") && sdnext.contains("61%"));
    assert!(sdnext.contains("sdnext ⚠ PUBLIC, NO AUTH"), "{sdnext}");
    let xorg = text
        .lines()
        .find(|l| l.contains(" 777 "))
        .expect("host process");
    assert!(xorg.contains("host"), "{xorg}");
    let vllm = text
        .lines()
        .find(|l| l.contains("5151"))
        .expect("vllm process");
    assert!(vllm.contains("vllm") && !vllm.contains("PUBLIC"), "{vllm}");
    // The flag is drawn in the critical style.
    let (x, y) = find(&buffer, "⚠ PUBLIC").expect("flag");
    assert_eq!(buffer[(x, y)].style().fg, app.theme.critical.fg);
    // Header summary from sysinfo's numbers: as much as fits, most telling first.
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains("│ load 1.50 0.75 0.25 ")),
        "{text}"
    );
    let text = text_of(&render(&mut app, 260, 30));
    assert!(
        text.lines().next().is_some_and(
            |l| l.contains("load 1.50 0.75 0.25 · cpu 23% of 32 · mem 12.0G/64.0G · up 3d 4h")
        ),
        "{text}"
    );
}

#[test]
fn gpu_use_raises_the_containers_risk_and_fills_the_gpu_column() {
    let mut app = scene();
    let sdnext = id_of(&app, "sdnext");
    let before = app
        .containers
        .rows
        .iter()
        .find(|r| r.id == sdnext)
        .expect("row")
        .clone();
    assert!(!before.top_reason.contains("GPU"));
    let snapshot = two_cards(&app);
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    let row = app
        .containers
        .rows
        .iter()
        .find(|r| r.id == sdnext)
        .expect("row");
    assert_eq!(row.risk, RiskLevel::Critical);
    assert_eq!(
        row.top_reason,
        "GPU in use by an unauthenticated public service (GPU 0:2.0G)"
    );
    assert_eq!(row.gpu, "0:2.0G");
    app.update(Action::FocusPane(PaneId::Containers.index()));
    app.update(Action::Zoom);
    let text = text_of(&render(&mut app, 160, 30));
    let line = text.lines().find(|l| l.contains("sdnext")).expect("row");
    assert!(line.contains("0:2.0G"), "{line}");
    assert!(text.contains("GPU "), "the GPU column header: {text}");
    // A process that leaves the GPU takes the reason with it.
    let mut idle = two_cards(&app);
    idle.gpus[0].processes.clear();
    app.handle(Msg::Sample(Box::new(sample(idle))));
    let row = app
        .containers
        .rows
        .iter()
        .find(|r| r.id == sdnext)
        .expect("row");
    assert!(!row.top_reason.contains("GPU"), "{}", row.top_reason);
    assert_eq!(row.gpu, "");
}

#[test]
fn selection_moves_over_processes_and_enter_opens_the_container() {
    let mut app = scene();
    let snapshot = two_cards(&app);
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    app.update(Action::FocusPane(PaneId::Gpu.index()));
    assert_eq!(app.gpu.selected, Some((0, 4242)));
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.gpu.selected, Some((1, 5151)));
    app.update(Action::Down);
    assert_eq!(app.gpu.selected, Some((1, 5151)), "stops at the last");
    app.update(Action::Open);
    assert!(matches!(
        &app.shell.popup,
        Some(crate::tui::app::Popup::Details { row: crate::tui::containers::RowId::Container(id), .. }) if *id == id_of(&app, "vllm")
    ));
    app.update(Action::Back);
    app.update(Action::Up);
    assert_eq!(app.gpu.selected, Some((0, 777)));
    app.update(Action::Open);
    assert!(app.shell.popup.is_none(), "a host process has no container");
}

#[test]
fn busy_card_without_visible_process_stands_out() {
    let mut app = scene();
    let mut snapshot = two_cards(&app);
    snapshot.gpus[1].utilization_gpu = Some(98);
    snapshot.gpus[1].processes.clear();
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    zoomed_gpu(&mut app);
    let buffer = render(&mut app, 140, 30);
    let (x, y) = find(&buffer, "98% busy with no visible process").expect("alert");
    assert_eq!(buffer[(x, y)].style().fg, app.theme.critical.fg);
}

#[test]
fn eighty_by_twenty_four_keeps_the_container_and_its_flag() {
    let mut app = scene();
    let snapshot = two_cards(&app);
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    let buffer = render(&mut app, 80, 24);
    let text = text_of(&buffer);
    let line = text
        .lines()
        .find(|l| l.contains("4242") && l.contains("2.0G"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("4242 2.0G sdnext ⚠ OPEN"), "{line}");
    assert!(text.contains("GPU 0 NVIDIA A100"), "{text}");
    assert!(
        text.contains("71°C 312/400 W"),
        "figures on a line of their own: {text}"
    );
}

#[test]
fn pids_from_another_namespace_are_explained() {
    let mut app = scene();
    let mut snapshot = two_cards(&app);
    for card in &mut snapshot.gpus {
        for process in &mut card.processes {
            process.visible = false;
            process.container_id = None;
            process.name = None;
        }
    }
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    zoomed_gpu(&mut app);
    let text = text_of(&render(&mut app, 140, 30));
    assert!(
        text.contains("run vigil in the host PID namespace"),
        "{text}"
    );
    assert!(text.contains("? (pid not visible) hidden"), "{text}");
}

#[test]
fn no_nvml_is_one_line_and_waiting_is_said() {
    let mut app = scene();
    let text = text_of(&render(&mut app, 140, 30));
    assert!(text.contains("Sampling GPUs…"), "{text}");
    app.handle(Msg::Sample(Box::new(sample(GpuSnapshot::unavailable(
        "NVIDIA driver not loaded: the NVML library is there but the kernel module is not running",
    )))));
    for (width, height) in [(140, 30), (80, 24)] {
        let mut zoomed = false;
        if width == 80 {
            zoomed_gpu(&mut app);
            zoomed = true;
        }
        let text = text_of(&render(&mut app, width, height));
        assert!(
            text.contains("No GPU data: NVIDIA driver not loaded"),
            "{width}x{height}:\n{text}"
        );
        // The other panes are untouched.
        if !zoomed {
            assert!(text.contains("sdnext"), "{text}");
        }
    }
}

#[test]
fn small_terminals_and_many_processes_keep_the_selection_visible() {
    let mut app = scene();
    let mut snapshot = two_cards(&app);
    snapshot.gpus[0].processes = (0..100)
        .map(|i| process(10_000 + i, None, (i as u64) << 20, "worker"))
        .collect();
    app.handle(Msg::Sample(Box::new(sample(snapshot))));
    app.update(Action::FocusPane(PaneId::Gpu.index()));
    app.update(Action::End);
    for (width, height) in [(80, 24), (60, 16), (40, 12), (20, 5)] {
        let text = text_of(&render(&mut app, width, height));
        if width >= 80 {
            assert!(
                text.contains("5151"),
                "the last process stays visible at {width}x{height}:\n{text}"
            );
        }
    }
}

#[test]
fn an_unchanged_structure_waits_for_the_clock_redraw() {
    let mut app = scene();
    app.handle(Msg::Sample(Box::new(sample(two_cards(&app)))));
    assert!(app.needs_redraw(), "the first sample is drawn at once");
    app.drawn();
    let mut moved = two_cards(&app);
    moved.gpus[0].utilization_gpu = Some(12);
    app.handle(Msg::Sample(Box::new(sample(moved))));
    assert!(
        !app.needs_redraw(),
        "figures alone wait for the clock's redraw"
    );
    app.handle(Msg::Tick(jiff::Timestamp::now()));
    assert!(app.needs_redraw());
    app.drawn();
    let mut gone = two_cards(&app);
    gone.gpus[1].processes.clear();
    app.handle(Msg::Sample(Box::new(sample(gone))));
    assert!(
        app.needs_redraw(),
        "a process that went away is drawn at once"
    );
    app.drawn();
    let mut lost = two_cards(&app);
    lost.gpus[1].processes.clear();
    lost.gpus[1].problem = Some("GPU lost".into());
    app.handle(Msg::Sample(Box::new(sample(lost))));
    assert!(app.needs_redraw(), "a lost card is drawn at once");
}

#[test]
fn history_is_bounded_whatever_the_uptime() {
    let mut app = scene();
    let capacity = app.gpu.capacity;
    assert_eq!(capacity, 300, "5 minutes at 1 Hz by default");
    for _ in 0..(capacity * 3) {
        let snapshot = two_cards(&app);
        app.handle(Msg::Sample(Box::new(sample(snapshot))));
    }
    for history in app.gpu.history.values() {
        assert_eq!(history.gpu.len(), capacity);
        assert_eq!(history.memory.len(), capacity);
    }
    // A card that disappears takes its history with it.
    let mut one = two_cards(&app);
    one.gpus.truncate(1);
    app.handle(Msg::Sample(Box::new(sample(one))));
    assert_eq!(app.gpu.history.len(), 1);
}
