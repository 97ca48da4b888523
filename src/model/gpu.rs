//! What the GPUs are doing at one moment, as plain values. Every reading that an old driver or a
//! card may not give is an `Option`: `None` is shown as "n/a", never as zero.

use serde::Serialize;

/// One sample of every card, or the reason there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuSnapshot {
    pub available: bool,
    /// Why NVML cannot be used, in one line (`None` when it can).
    pub reason: Option<String>,
    /// The driver version NVML reports.
    pub driver: Option<String>,
    /// The CUDA version the driver supports, e.g. `12.4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuda: Option<String>,
    pub gpus: Vec<GpuCard>,
}

impl GpuSnapshot {
    pub fn unavailable(reason: impl Into<String>) -> GpuSnapshot {
        GpuSnapshot {
            available: false,
            reason: Some(reason.into()),
            driver: None,
            cuda: None,
            gpus: Vec::new(),
        }
    }

    /// Every GPU process with the card it runs on.
    pub fn processes(&self) -> impl Iterator<Item = (&GpuCard, &GpuProcess)> {
        self.gpus
            .iter()
            .flat_map(|card| card.processes.iter().map(move |p| (card, p)))
    }

    /// Names each containerized process from `names` (container id -> name).
    pub fn attach_container_names(&mut self, names: &std::collections::HashMap<String, String>) {
        for card in &mut self.gpus {
            for process in &mut card.processes {
                process.container_name = process
                    .container_id
                    .as_ref()
                    .and_then(|id| names.get(id).cloned());
            }
        }
    }

    /// What each container uses, by container id: (card index, GPU memory) per card, in card order.
    pub fn use_by_container(&self) -> std::collections::HashMap<String, ContainerGpuUse> {
        let mut uses: std::collections::HashMap<String, ContainerGpuUse> = Default::default();
        for (card, process) in self.processes() {
            let Some(id) = &process.container_id else {
                continue;
            };
            let entry = uses.entry(id.clone()).or_default();
            entry.processes += 1;
            match entry
                .cards
                .iter_mut()
                .find(|(index, _)| *index == card.index)
            {
                Some((_, memory)) => *memory += process.used_memory_bytes.unwrap_or(0),
                None => entry
                    .cards
                    .push((card.index, process.used_memory_bytes.unwrap_or(0))),
            }
        }
        uses
    }
}

/// GPU use of one container, for the containers pane and its risk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerGpuUse {
    /// (card index, GPU memory in bytes) for each card the container has processes on.
    pub cards: Vec<(u32, u64)>,
    pub processes: usize,
}

impl ContainerGpuUse {
    /// `0:2.0G 1:512M`: memory used on which cards.
    pub fn display(&self) -> String {
        self.cards
            .iter()
            .map(|(index, bytes)| format!("{index}:{}", short_bytes(*bytes)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuCard {
    pub index: u32,
    pub name: Option<String>,
    pub uuid: Option<String>,
    /// Percent of time a kernel ran over the last sample period.
    pub utilization_gpu: Option<u32>,
    /// Percent of time device memory was read or written (memory-bandwidth utilization).
    pub utilization_memory: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub memory_total_bytes: Option<u64>,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub fan_percent: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
    /// Clock throttle reasons that cost performance (idle and user settings left out);
    /// `None` when the driver does not say, empty when nothing throttles.
    pub throttle_reasons: Option<Vec<String>>,
    /// `None` when ECC is not supported; volatile uncorrected errors when it is on.
    pub ecc: Option<Ecc>,
    pub mig_enabled: Option<bool>,
    pub pci_bus_id: Option<String>,
    /// Critical XID events seen since vigil started (the latest few).
    pub xid_events: Vec<XidEvent>,
    /// Set when the card stopped answering (fallen off the bus) or another error hid it.
    pub problem: Option<String>,
    pub processes: Vec<GpuProcess>,
}

impl GpuCard {
    /// A card with only its index known: the start of every sample.
    pub fn new(index: u32) -> GpuCard {
        GpuCard {
            index,
            name: None,
            uuid: None,
            utilization_gpu: None,
            utilization_memory: None,
            memory_used_bytes: None,
            memory_total_bytes: None,
            temperature_c: None,
            power_w: None,
            power_limit_w: None,
            fan_percent: None,
            sm_clock_mhz: None,
            throttle_reasons: None,
            ecc: None,
            mig_enabled: None,
            pci_bus_id: None,
            xid_events: Vec::new(),
            problem: None,
            processes: Vec::new(),
        }
    }

    /// `GPU-1a2b3c4d`: enough of the UUID to tell cards apart on screen.
    pub fn short_uuid(&self) -> String {
        match &self.uuid {
            Some(uuid) => uuid.chars().take(12).collect(),
            None => "n/a".into(),
        }
    }

    /// `71°C 312/400 W fan 35% SM 1410 MHz`, "n/a" for what the driver does not give.
    pub fn figures(&self) -> String {
        let temperature = self
            .temperature_c
            .map_or("n/a°C".to_string(), |t| format!("{t}°C"));
        let power = match (self.power_w, self.power_limit_w) {
            (Some(draw), Some(limit)) => format!("{draw:.0}/{limit:.0} W"),
            (Some(draw), None) => format!("{draw:.0} W"),
            _ => "n/a W".into(),
        };
        let fan = self
            .fan_percent
            .map_or("n/a".to_string(), |f| format!("{f}%"));
        let clock = self
            .sm_clock_mhz
            .map_or("n/a".to_string(), |c| format!("{c} MHz"));
        format!("{temperature} {power} fan {fan} SM {clock}")
    }

    /// Busy while no process that NVML lists can be seen: a hidden workload, a process in another
    /// PID namespace or a VM, or a process NVML cannot attribute.
    pub fn busy_without_known_workload(&self, busy_percent: u32) -> bool {
        self.utilization_gpu.is_some_and(|u| u >= busy_percent)
            && self.processes.iter().all(|p| !p.visible)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ecc {
    pub enabled: bool,
    pub uncorrected_volatile: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct XidEvent {
    pub code: u64,
    /// Unix seconds when vigil received it.
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GpuProcessKind {
    Compute,
    Graphics,
}

/// One process with a context on one card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuProcess {
    /// Host PID (NVML runs in the host's PID namespace).
    pub pid: u32,
    pub name: Option<String>,
    pub user: Option<String>,
    pub used_memory_bytes: Option<u64>,
    /// Percent of SM time over the last sample, when the driver gives per-process samples.
    pub sm_utilization: Option<u32>,
    #[serde(rename = "type")]
    pub kind: GpuProcessKind,
    pub container_id: Option<String>,
    /// Filled from the Docker collector's names; `None` for host processes or when unknown.
    pub container_name: Option<String>,
    /// False when `/proc/PID` cannot be read (another PID namespace, or it just exited).
    #[serde(skip)]
    pub visible: bool,
}

/// `81.9G`, `512M`: compact binary sizes for narrow columns.
pub fn short_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ];
    for (suffix, size) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if value >= 100.0 {
                format!("{value:.0}{suffix}")
            } else {
                format!("{value:.1}{suffix}")
            };
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, container: Option<&str>, memory: u64) -> GpuProcess {
        GpuProcess {
            pid,
            name: Some("python3".into()),
            user: Some("root".into()),
            used_memory_bytes: Some(memory),
            sm_utilization: None,
            kind: GpuProcessKind::Compute,
            container_id: container.map(str::to_string),
            container_name: None,
            visible: true,
        }
    }

    #[test]
    fn use_by_container_sums_memory_per_card() {
        let mut card0 = GpuCard::new(0);
        card0.processes = vec![
            process(1, Some("c1"), 1 << 30),
            process(2, Some("c1"), 1 << 30),
            process(3, None, 5),
        ];
        let mut card1 = GpuCard::new(1);
        card1.processes = vec![process(4, Some("c1"), 512 << 20)];
        let snapshot = GpuSnapshot {
            available: true,
            reason: None,
            driver: None,
            cuda: None,
            gpus: vec![card0, card1],
        };
        let uses = snapshot.use_by_container();
        assert_eq!(uses.len(), 1);
        assert_eq!(uses["c1"].cards, vec![(0, 2 << 30), (1, 512 << 20)]);
        assert_eq!(uses["c1"].processes, 3);
        assert_eq!(uses["c1"].display(), "0:2.0G 1:512M");
    }

    #[test]
    fn busy_card_without_visible_process_stands_out() {
        let mut card = GpuCard::new(0);
        card.utilization_gpu = Some(97);
        assert!(card.busy_without_known_workload(50));
        let mut hidden = process(7, None, 1);
        hidden.visible = false;
        card.processes = vec![hidden];
        assert!(card.busy_without_known_workload(50));
        card.processes.push(process(8, None, 1));
        assert!(!card.busy_without_known_workload(50));
        card.processes.clear();
        card.utilization_gpu = Some(10);
        assert!(!card.busy_without_known_workload(50));
        card.utilization_gpu = None;
        assert!(!card.busy_without_known_workload(50));
    }

    #[test]
    fn sizes_are_short() {
        assert_eq!(short_bytes(85_899_345_920), "80.0G");
        assert_eq!(short_bytes(1023), "1023B");
        assert_eq!(short_bytes(300 << 30), "300G");
    }
}
