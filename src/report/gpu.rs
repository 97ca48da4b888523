//! `vigil scan gpu`: the GPU pane as JSON or plain text.

use crate::model::{GpuCard, GpuProcess, GpuSnapshot, short_bytes};
use crate::util::text::escape;

pub fn to_json(snapshot: &GpuSnapshot) -> String {
    crate::util::json::to_string_pretty(snapshot).unwrap_or_else(|err| {
        serde_json::json!({ "available": false, "reason": format!("cannot encode: {err}") })
            .to_string()
    })
}

pub fn to_table(snapshot: &GpuSnapshot) -> String {
    let mut out = String::new();
    if !snapshot.available {
        out.push_str(&format!(
            "GPU: not available: {}\n",
            snapshot.reason.as_deref().unwrap_or("unknown reason")
        ));
        return out;
    }
    out.push_str(&format!(
        "NVML: driver {} · CUDA {} · {} GPU{}\n",
        snapshot.driver.as_deref().unwrap_or("n/a"),
        snapshot.cuda.as_deref().unwrap_or("n/a"),
        snapshot.gpus.len(),
        if snapshot.gpus.len() == 1 { "" } else { "s" }
    ));
    if let Some(reason) = &snapshot.reason {
        out.push_str(&format!("{reason}\n"));
    }
    for card in &snapshot.gpus {
        out.push('\n');
        out.push_str(&card_line(card));
        out.push('\n');
        if let Some(problem) = &card.problem {
            out.push_str(&format!("  ! {problem}\n"));
        }
        if card.processes.is_empty() {
            out.push_str("  no processes\n");
            continue;
        }
        out.push_str(&format!(
            "  {:>8}  {:<10} {:<16} {:>8} {:>4}  CONTAINER\n",
            "PID", "USER", "NAME", "GPU MEM", "SM"
        ));
        for process in &card.processes {
            out.push_str(&process_line(process));
            out.push('\n');
        }
    }
    out
}

/// The figures of one card in one line, "n/a" where the driver does not say.
pub fn card_line(card: &GpuCard) -> String {
    let percent = |v: Option<u32>| v.map_or("n/a".to_string(), |v| format!("{v}%"));
    let memory = match (card.memory_used_bytes, card.memory_total_bytes) {
        (Some(used), Some(total)) => format!("{}/{}", short_bytes(used), short_bytes(total)),
        _ => "n/a".into(),
    };
    let mut line = format!(
        "GPU {} {} {}  util {}  mem-bw {}  mem {}  {}",
        card.index,
        escape(card.name.as_deref().unwrap_or("n/a")),
        escape(&card.short_uuid()),
        percent(card.utilization_gpu),
        percent(card.utilization_memory),
        memory,
        card.figures(),
    );
    if let Some(reasons) = card.throttle_reasons.as_ref().filter(|r| !r.is_empty()) {
        line.push_str(&format!("  throttled: {}", reasons.join(", ")));
    }
    if let Some(ecc) = card.ecc.filter(|e| e.enabled) {
        line.push_str(&format!(
            "  ECC uncorrected {}",
            ecc.uncorrected_volatile
                .map_or("n/a".to_string(), |n| n.to_string())
        ));
    }
    if card.mig_enabled == Some(true) {
        line.push_str("  MIG on");
    }
    if !card.xid_events.is_empty() {
        let codes: Vec<String> = card.xid_events.iter().map(|x| x.code.to_string()).collect();
        line.push_str(&format!("  XID {}", codes.join(",")));
    }
    line
}

fn process_line(process: &GpuProcess) -> String {
    let container = match (&process.container_name, &process.container_id) {
        (Some(name), Some(id)) => format!("{} ({})", escape(name), &id[..12.min(id.len())]),
        (None, Some(id)) => id[..12.min(id.len())].to_string(),
        _ if !process.visible => "? (pid not visible here)".to_string(),
        _ => "host".to_string(),
    };
    format!(
        "  {:>8}  {:<10} {:<16} {:>8} {:>4}  {}",
        process.pid,
        escape(process.user.as_deref().unwrap_or("?")),
        escape(process.name.as_deref().unwrap_or("?")),
        process
            .used_memory_bytes
            .map_or("n/a".to_string(), short_bytes),
        process
            .sm_utilization
            .map_or("n/a".to_string(), |v| format!("{v}%")),
        container
    )
}
