//! `Enter`: everything about one container or listener. Every secret value is masked and every
//! host string escaped before it becomes a Span.

use super::RowId;
use super::view::{auth_style, exposure_style};
use crate::assess::credentials::mask_argv;
use crate::assess::credentials::mask_env_entry;
use crate::assess::{assess_container, risk::HostContext};
use crate::incident::inventory::Inventory;
use crate::incident::inventory::ProbeKey;
use crate::model::Exposure;
use crate::tui::theme::Theme;
use crate::util::text::escape;
use ratatui::text::{Line, Span};

fn heading(theme: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme.title))
}

fn field(theme: &Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<15}"), theme.muted),
        Span::styled(value, theme.text),
    ])
}

/// The detail lines for a row; `None` when the row no longer exists.
pub fn lines(inventory: &Inventory, theme: &Theme, row: &RowId) -> Option<Vec<Line<'static>>> {
    match row {
        RowId::Container(id) => container_lines(inventory, theme, id),
        RowId::Listener(address, port) => {
            let listener = inventory
                .listeners
                .iter()
                .find(|l| l.address == *address && l.port == *port)?;
            Some(vec![
                heading(
                    theme,
                    &format!("Host listener {}", listener.address_display()),
                ),
                field(theme, "exposure", listener.exposure().marker().to_string()),
                field(
                    theme,
                    "process",
                    escape(&listener.owner_display()).into_owned(),
                ),
                field(theme, "socket inode", listener.inode.to_string()),
                Line::from(""),
                Line::from(Span::styled(
                    match listener.exposure() {
                        Exposure::Public => {
                            "Reachable from other hosts unless a firewall drops it."
                        }
                        _ => "Reachable from this host only.",
                    },
                    theme.muted,
                )),
            ])
        }
    }
}

fn container_lines(inventory: &Inventory, theme: &Theme, id: &str) -> Option<Vec<Line<'static>>> {
    let container = inventory.containers.iter().find(|c| c.id == id)?;
    let details = inventory.details.get(id);
    let extra = inventory.host_network_ports(id);
    let assessment = assess_container(container, details, &extra, inventory);
    let mut out = Vec::new();

    out.push(Line::from(vec![
        Span::styled(escape(&container.name).into_owned(), theme.title),
        Span::styled(format!("  {}", container.short_id()), theme.muted),
    ]));
    out.push(field(theme, "image", escape(&container.image).into_owned()));
    if let Some(d) = details {
        out.push(field(theme, "image id", escape(&d.image_id).into_owned()));
    }
    out.push(field(
        theme,
        "state",
        format!(
            "{} ({})",
            container.state.as_str(),
            escape(&container.status_text)
        ),
    ));
    let health = details.map_or(container.health, |d| d.health);
    out.push(field(theme, "health", health.as_str().to_string()));
    if let Some(started) = details.and_then(|d| d.started_at.as_deref()) {
        out.push(field(theme, "started", escape(started).into_owned()));
    }
    out.push(Line::from(""));

    out.push(Line::from(vec![
        Span::styled(format!("{:<15}", "risk"), theme.muted),
        Span::styled(
            assessment.risk.level.as_str().to_uppercase(),
            theme.risk(assessment.risk.level),
        ),
    ]));
    for (reason, level) in assessment
        .risk
        .reasons
        .iter()
        .zip(&assessment.risk.reason_levels)
    {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<9}", level.as_str()), theme.risk(*level)),
            Span::styled(escape(reason).into_owned(), theme.text),
        ]));
    }
    out.push(Line::from(""));

    out.push(heading(theme, "Ports"));
    if assessment.ports.is_empty() {
        out.push(Line::from(Span::styled("  nothing published", theme.muted)));
        if let Some(d) = details.filter(|d| !d.configured_ports.is_empty()) {
            for port in &d.configured_ports {
                out.push(Line::from(Span::styled(
                    format!(
                        "  configured: {} (inactive while {})",
                        port.display(),
                        container.state.as_str()
                    ),
                    theme.muted,
                )));
            }
        }
    }
    for port in &assessment.ports {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{:<28}", port.binding.display()), theme.text),
            Span::styled(
                format!("{:<7}", port.exposure.marker()),
                exposure_style(theme, port.exposure),
            ),
            Span::styled(
                format!("auth {}", port.auth.as_str()),
                auth_style(theme, port.auth),
            ),
        ]));
        if let Some(verdict) = &port.firewall {
            out.extend(firewall_lines(theme, verdict));
        }
        let key = ProbeKey::new(id, &port.binding);
        match inventory.report_for(id, &port.binding) {
            Some(report) => {
                let product = report.product.as_deref().unwrap_or("no known product");
                out.push(Line::from(Span::styled(
                    format!("    probe of {}: {product}", report.target),
                    theme.muted,
                )));
                for hit in &report.hits {
                    let status = hit.status.map_or("---".to_string(), |s| s.to_string());
                    out.push(Line::from(vec![
                        Span::styled(format!("      GET {:<22} ", escape(&hit.path)), theme.muted),
                        Span::styled(format!("{status:<4}"), theme.text),
                        Span::styled(escape(&hit.note).into_owned(), theme.muted),
                    ]));
                }
                for leak in &report.leaks {
                    out.push(Line::from(Span::styled(
                        format!("    leak: {}", escape(leak)),
                        theme.high,
                    )));
                }
            }
            None if inventory.pending.contains(&key) => out.push(Line::from(Span::styled(
                "    probe under way…",
                theme.muted,
            ))),
            None => out.push(Line::from(Span::styled(
                "    not probed (probes disabled, not TCP, or not running)",
                theme.muted,
            ))),
        }
    }
    out.push(Line::from(""));

    let Some(d) = details else {
        out.push(Line::from(Span::styled(
            "inspect details not loaded yet…",
            theme.muted,
        )));
        return Some(out);
    };
    out.push(heading(theme, "Command"));
    out.push(Line::from(Span::styled(
        format!("  {}", mask_argv(&d.command_line()).join(" ")),
        theme.text,
    )));
    out.push(Line::from(""));
    out.push(heading(theme, "Environment (secret values masked)"));
    if d.env.is_empty() {
        out.push(Line::from(Span::styled("  (none)", theme.muted)));
    }
    for entry in &d.env {
        let (shown, masked) = mask_env_entry(entry);
        out.push(Line::from(Span::styled(
            format!("  {shown}"),
            if masked { theme.warn } else { theme.text },
        )));
    }
    out.push(Line::from(""));
    out.push(heading(theme, "Mounts"));
    if d.mounts.is_empty() {
        out.push(Line::from(Span::styled("  (none)", theme.muted)));
    }
    for mount in &d.mounts {
        let source = mount
            .name
            .as_deref()
            .filter(|_| mount.kind == "volume")
            .unwrap_or(&mount.source);
        out.push(Line::from(Span::styled(
            format!(
                "  {:<6} {} -> {} ({})",
                escape(&mount.kind),
                escape(source),
                escape(&mount.destination),
                if mount.read_write { "rw" } else { "ro" }
            ),
            theme.text,
        )));
    }
    out.push(Line::from(""));
    out.push(heading(theme, "Networks"));
    out.push(field(
        theme,
        "  mode",
        escape(&container.network_mode).into_owned(),
    ));
    for network in &d.networks {
        let aliases = if network.aliases.is_empty() {
            String::new()
        } else {
            format!(" aliases {}", escape(&network.aliases.join(",")))
        };
        out.push(Line::from(Span::styled(
            format!(
                "  {} {}{aliases}",
                escape(&network.name),
                escape(&network.ip_address)
            ),
            theme.text,
        )));
    }
    out.push(Line::from(""));
    out.push(heading(theme, "Configuration"));
    match (container.compose_project(), container.compose_service()) {
        (Some(project), service) => out.push(field(
            theme,
            "compose",
            format!(
                "project {} service {}",
                escape(project),
                escape(service.unwrap_or("?"))
            ),
        )),
        _ => out.push(field(theme, "compose", "not compose-managed".into())),
    }
    out.push(field(
        theme,
        "restart policy",
        escape(&d.restart_policy).into_owned(),
    ));
    if d.auto_remove {
        out.push(field(
            theme,
            "auto-remove",
            "yes (--rm): stopping deletes it".into(),
        ));
    }
    out.push(field(
        theme,
        "runtime",
        escape(if d.runtime.is_empty() {
            "default"
        } else {
            &d.runtime
        })
        .into_owned(),
    ));
    if d.gpu_requests.is_empty() {
        out.push(field(theme, "GPU requests", "none".into()));
    }
    for request in &d.gpu_requests {
        out.push(field(theme, "GPU requests", escape(request).into_owned()));
    }
    if !container.labels.is_empty() {
        out.push(Line::from(""));
        out.push(heading(theme, "Labels"));
        for (key, value) in &container.labels {
            let (shown, _) = mask_env_entry(&format!("{key}={value}"));
            out.push(Line::from(Span::styled(format!("  {shown}"), theme.muted)));
        }
    }
    Some(out)
}

pub fn draw(
    inventory: &Inventory,
    theme: &Theme,
    row: &RowId,
    scroll: u16,
    frame: &mut ratatui::Frame,
) -> u16 {
    let content = lines(inventory, theme, row).unwrap_or_else(|| {
        vec![Line::from(Span::styled(
            "This row no longer exists.",
            theme.muted,
        ))]
    });
    crate::tui::widgets::scrolling(
        theme,
        "Details (Esc closes, ↑↓ scroll)",
        content,
        scroll,
        frame,
    )
}

/// What the firewall does to a public port: the verdict, the rule, the exceptions.
fn firewall_lines(
    theme: &Theme,
    verdict: &crate::assess::firewall::FirewallVerdict,
) -> Vec<Line<'static>> {
    use crate::assess::firewall::FirewallVerdict as F;
    let (head, style, exceptions) = match verdict {
        F::Open { exceptions } => (
            "firewall: open (no rule drops it)".to_string(),
            theme.warn,
            exceptions.as_slice(),
        ),
        F::Filtered { rule, exceptions } => (
            format!("firewall: filtered by {rule}"),
            theme.ok,
            exceptions.as_slice(),
        ),
        F::Unknown { why } => (format!("firewall: unknown ({why})"), theme.warn, &[][..]),
    };
    let mut lines = vec![Line::from(Span::styled(
        format!("    {}", escape(&head)),
        style,
    ))];
    for exception in exceptions {
        let what = if exception.dropped {
            "dropped"
        } else {
            "accepted"
        };
        lines.push(Line::from(Span::styled(
            format!(
                "      {what} {} by {}",
                escape(&exception.when),
                escape(&exception.rule)
            ),
            theme.muted,
        )));
    }
    lines
}
