//! Frame render cost with 100 containers and 20 host listeners: what one redraw costs
//! the idle loop (once a second for the clock) and a key press.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigil::collect::docker::DockerUpdate;
use vigil::collect::listeners::ListenerUpdate;
use vigil::config::Settings;
use vigil::model::{
    Container, ContainerState, Health, Listener, ListenerOwner, PortBinding, Protocol,
};
use vigil::tui::app::App;
use vigil::tui::keymap::Action;
use vigil::tui::msg::Msg;

fn app_with(containers: usize) -> App {
    let settings = Settings {
        probe_enabled: false,
        ..Settings::default()
    };
    let mut app = App::new(settings, vigil::tui::theme::default_theme());
    let list = (0..containers)
        .map(|i| Container {
            id: format!("{i:064x}"),
            name: format!("genai-service-{i:03}"),
            image: "registry.local/genai/webui:2026.11".into(),
            state: if i % 7 == 0 {
                ContainerState::Exited
            } else {
                ContainerState::Running
            },
            health: if i % 5 == 0 {
                Health::Unhealthy
            } else {
                Health::Healthy
            },
            status_text: "Up 2 hours".into(),
            created_unix: 0,
            ports: vec![PortBinding {
                host_ip: if i % 3 == 0 {
                    "0.0.0.0".into()
                } else {
                    "127.0.0.1".into()
                },
                host_port: 30000 + i as u16,
                container_port: 7860,
                protocol: Protocol::Tcp,
            }],
            labels: vec![],
            network_mode: "bridge".into(),
        })
        .collect();
    app.handle(Msg::Docker(DockerUpdate::Containers(list)));
    app.handle(Msg::Listeners(app_listeners()));
    app.take_effects();
    app
}

/// Twenty host listeners.
fn app_listeners() -> ListenerUpdate {
    let listeners = (0..20)
        .map(|i| Listener {
            address: "0.0.0.0".parse().expect("ip"),
            port: 5000 + i,
            protocol: "tcp",
            inode: i as u64,
            pid: Some(1000 + i as i32),
            process: Some("python3".into()),
            user: Some("root".into()),
            owner: ListenerOwner::Host,
        })
        .collect();
    ListenerUpdate::Listeners(listeners)
}

fn render(c: &mut Criterion) {
    let mut app = app_with(100);
    app.resize(200, 50);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    c.bench_function("frame 200x50, 100 containers", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| vigil::tui::frame::draw(&app, frame))
                .expect("draw");
        })
    });
    c.bench_function("key press (move) + frame", |b| {
        let mut down = true;
        b.iter(|| {
            app.update(if down { Action::Down } else { Action::Up });
            down = !down;
            terminal
                .draw(|frame| vigil::tui::frame::draw(&app, frame))
                .expect("draw");
        })
    });
    let listeners = match app_listeners() {
        ListenerUpdate::Listeners(list) => list,
        ListenerUpdate::Unavailable(_) => Vec::new(),
    };
    c.bench_function("rebuild rows after a container update", |b| {
        b.iter(|| {
            app.handle(Msg::Listeners(ListenerUpdate::Listeners(listeners.clone())));
            app.take_effects();
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
