//! One sample of every card through NVML, field by field: a call the driver lacks or the card
//! does not support leaves that field `None` ("n/a") and nothing else.

use super::legacy;
use super::processes::ProcessTable;
use crate::model::{Ecc, GpuCard, GpuProcess, GpuProcessKind, GpuSnapshot, XidEvent};
use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::bitmasks::event::EventTypes;
use nvml_wrapper::enum_wrappers::device::{Clock, EccCounter, MemoryError, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::enums::event::XidError;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::struct_wrappers::device::ProcessInfo;
use nvml_wrapper::{Device, EventSet, Nvml};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// Names, UUIDs and bus ids do not change while a card is present: read them again only this often.
const STATIC_REFRESH: Duration = Duration::from_secs(60);
/// XID events kept per card.
const XID_KEPT: usize = 8;
/// XID events taken from the driver per sample, so a storm cannot stall sampling.
const XID_PER_SAMPLE: usize = 64;

#[derive(Clone)]
struct StaticInfo {
    name: Option<String>,
    uuid: Option<String>,
    pci_bus_id: Option<String>,
    read_at: Instant,
}

/// Reads samples; keeps what is worth keeping between them.
#[derive(Default)]
pub struct CardReader {
    processes: ProcessTable,
    static_info: HashMap<u32, StaticInfo>,
    /// Per card, the newest per-process sample timestamp seen, so each read asks only for newer ones.
    last_sample: HashMap<u32, u64>,
    xids: HashMap<u32, VecDeque<XidEvent>>,
}

impl CardReader {
    /// Every card, with the driver's versions.
    pub fn sample(&mut self, nvml: &Nvml, events: Option<&EventSet<'_>>) -> GpuSnapshot {
        let now = Instant::now();
        if let Some(events) = events {
            self.drain_xids(events);
        }
        let driver = nvml.sys_driver_version().ok();
        let cuda = nvml.sys_cuda_driver_version().ok().map(|v| {
            format!(
                "{}.{}",
                nvml_wrapper::cuda_driver_version_major(v),
                nvml_wrapper::cuda_driver_version_minor(v)
            )
        });
        let count = match nvml.device_count() {
            Ok(count) => count,
            Err(err) => {
                return GpuSnapshot {
                    driver,
                    cuda,
                    ..GpuSnapshot::unavailable(format!("NVML cannot count the GPUs: {err}"))
                };
            }
        };
        let gpus: Vec<GpuCard> = (0..count).map(|i| self.card(nvml, i, now)).collect();
        let listed: HashSet<u32> = gpus
            .iter()
            .flat_map(|card| card.processes.iter().map(|p| p.pid))
            .collect();
        self.processes.keep_only(&listed);
        GpuSnapshot {
            available: true,
            reason: (count == 0).then(|| "NVML works but reports no GPU (0 devices)".to_string()),
            driver,
            cuda,
            gpus,
        }
    }

    fn card(&mut self, nvml: &Nvml, index: u32, now: Instant) -> GpuCard {
        let mut card = GpuCard::new(index);
        let device = match nvml.device_by_index(index) {
            Ok(device) => device,
            Err(err) => {
                card.problem = Some(describe_card_error(&err));
                return card;
            }
        };
        let mut problem = None;
        let info = self.static_info(&device, index, now, &mut problem);
        card.name = info.name;
        card.uuid = info.uuid;
        card.pci_bus_id = info.pci_bus_id;
        let rates = field(device.utilization_rates(), &mut problem);
        card.utilization_gpu = rates.as_ref().map(|r| r.gpu);
        card.utilization_memory = rates.as_ref().map(|r| r.memory);
        let memory = match device.memory_info() {
            Err(NvmlError::FailedToLoadSymbol(_)) => legacy::memory_info_v1(nvml, &device),
            other => other.map(|m| (m.used, m.total)),
        };
        if let Some((used, total)) = field(memory, &mut problem) {
            card.memory_used_bytes = Some(used);
            card.memory_total_bytes = Some(total);
        }
        card.temperature_c = field(device.temperature(TemperatureSensor::Gpu), &mut problem);
        card.power_w = field(device.power_usage(), &mut problem).map(milliwatts);
        card.power_limit_w = field(device.enforced_power_limit(), &mut problem).map(milliwatts);
        card.fan_percent = field(device.fan_speed(0), &mut problem);
        card.sm_clock_mhz = field(device.clock_info(Clock::SM), &mut problem);
        card.throttle_reasons =
            field(device.current_throttle_reasons(), &mut problem).map(throttle_names);
        card.ecc = field(device.is_ecc_enabled(), &mut problem).map(|mode| Ecc {
            enabled: mode.currently_enabled,
            uncorrected_volatile: mode
                .currently_enabled
                .then(|| {
                    device
                        .total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)
                        .ok()
                })
                .flatten(),
        });
        card.mig_enabled = field(device.mig_mode(), &mut problem).map(|m| m.current == 1);
        card.processes = self.processes(&device, index, now, &mut problem);
        card.xid_events = self
            .xids
            .get(&index)
            .map(|events| events.iter().copied().collect())
            .unwrap_or_default();
        card.problem = problem;
        card
    }

    fn static_info(
        &mut self,
        device: &Device<'_>,
        index: u32,
        now: Instant,
        problem: &mut Option<String>,
    ) -> StaticInfo {
        if let Some(info) = self.static_info.get(&index)
            && now.duration_since(info.read_at) < STATIC_REFRESH
        {
            return info.clone();
        }
        let info = StaticInfo {
            name: field(device.name(), problem),
            uuid: field(device.uuid(), problem),
            pci_bus_id: field(device.pci_info(), problem).map(|pci| pci.bus_id),
            read_at: now,
        };
        // A card that did not answer is asked again next time, not in a minute.
        if problem.is_none() {
            self.static_info.insert(index, info.clone());
        }
        info
    }

    /// Compute and graphics processes, one row per PID, with per-process SM use when the driver
    /// keeps samples.
    fn processes(
        &mut self,
        device: &Device<'_>,
        index: u32,
        now: Instant,
        problem: &mut Option<String>,
    ) -> Vec<GpuProcess> {
        let compute = with_fallback(device.running_compute_processes(), || {
            device.running_compute_processes_v2()
        });
        let graphics = with_fallback(device.running_graphics_processes(), || {
            device.running_graphics_processes_v2()
        });
        let mut rows: Vec<GpuProcess> = Vec::new();
        let lists = [
            (field(compute, problem), GpuProcessKind::Compute),
            (field(graphics, problem), GpuProcessKind::Graphics),
        ];
        for (list, kind) in lists {
            for info in list.into_iter().flatten() {
                let memory = used_memory(&info);
                match rows.iter_mut().find(|row| row.pid == info.pid) {
                    // A process with both contexts is listed twice; its memory is one number.
                    Some(row) => {
                        row.used_memory_bytes = row.used_memory_bytes.max(memory);
                    }
                    None => {
                        let facts = self.processes.facts(info.pid, now);
                        rows.push(GpuProcess {
                            pid: info.pid,
                            name: facts.name,
                            user: facts.user,
                            used_memory_bytes: memory,
                            sm_utilization: None,
                            kind,
                            container_id: facts.container_id,
                            container_name: None,
                            visible: facts.visible,
                        });
                    }
                }
            }
        }
        if !rows.is_empty() {
            let since = self.last_sample.get(&index).copied();
            match device.process_utilization_stats(since) {
                Ok(samples) => {
                    let mut newest = since.unwrap_or(0);
                    for row in &mut rows {
                        // Listed but not sampled since the last read: it did not run a kernel.
                        row.sm_utilization = Some(0);
                    }
                    for sample in samples {
                        newest = newest.max(sample.timestamp);
                        if let Some(row) = rows.iter_mut().find(|row| row.pid == sample.pid) {
                            row.sm_utilization =
                                Some(sample.sm_util.max(row.sm_utilization.unwrap_or(0)));
                        }
                    }
                    self.last_sample.insert(index, newest);
                }
                // No samples since the last read: every process on the card was idle.
                Err(NvmlError::NotFound) => {
                    for row in &mut rows {
                        row.sm_utilization = Some(0);
                    }
                }
                Err(_) => {}
            }
        }
        rows.sort_by(|a, b| {
            b.used_memory_bytes
                .cmp(&a.used_memory_bytes)
                .then(a.pid.cmp(&b.pid))
        });
        rows
    }

    /// Takes the XID events waiting in the set, without blocking.
    fn drain_xids(&mut self, events: &EventSet<'_>) {
        for _ in 0..XID_PER_SAMPLE {
            let Ok(data) = events.wait(0) else {
                return;
            };
            if !data.event_type.contains(EventTypes::CRITICAL_XID_ERROR) {
                continue;
            }
            let Ok(index) = data.device.index() else {
                continue;
            };
            let code = match data.event_data {
                Some(XidError::Value(code)) => code,
                _ => 0,
            };
            let kept = self.xids.entry(index).or_default();
            if kept.len() == XID_KEPT {
                kept.pop_front();
            }
            kept.push_back(XidEvent {
                code,
                at: jiff::Timestamp::now().as_second(),
            });
        }
    }
}

/// Registers every card for critical XID events; `None` when the driver cannot deliver them.
pub fn register_xids(nvml: &Nvml) -> Option<EventSet<'_>> {
    let mut set = nvml.create_event_set().ok()?;
    let count = nvml.device_count().ok()?;
    for index in 0..count {
        let device = nvml.device_by_index(index).ok()?;
        let supported = device.supported_event_types().ok()?;
        if !supported.contains(EventTypes::CRITICAL_XID_ERROR) {
            continue;
        }
        set = device
            .register_events(EventTypes::CRITICAL_XID_ERROR, set)
            .ok()?;
    }
    Some(set)
}

/// The value of a call, or `None`. Absent calls and unsupported fields are normal ("n/a"); any
/// other error is remembered as the card's problem (the first one wins).
fn field<T>(result: Result<T, NvmlError>, problem: &mut Option<String>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(
            NvmlError::NotSupported
            | NvmlError::FailedToLoadSymbol(_)
            | NvmlError::FunctionNotFound
            | NvmlError::NotFound
            | NvmlError::InvalidArg,
        ) => None,
        Err(err) => {
            problem.get_or_insert_with(|| describe_card_error(&err));
            None
        }
    }
}

/// The `_v3` call, or on a driver without it the `_v2` one.
fn with_fallback<T>(
    newer: Result<T, NvmlError>,
    older: impl FnOnce() -> Result<T, NvmlError>,
) -> Result<T, NvmlError> {
    match newer {
        Err(NvmlError::FailedToLoadSymbol(_) | NvmlError::FunctionNotFound) => older(),
        other => other,
    }
}

fn describe_card_error(err: &NvmlError) -> String {
    match err {
        NvmlError::GpuLost => {
            "GPU lost: fallen off the bus or not answering (reset or reboot needed)".into()
        }
        NvmlError::NoPermission => "no permission to read this GPU".into(),
        NvmlError::ResetRequired => "GPU needs a reset".into(),
        other => format!("NVML error: {other}"),
    }
}

fn used_memory(info: &ProcessInfo) -> Option<u64> {
    match info.used_gpu_memory {
        UsedGpuMemory::Used(bytes) => Some(bytes),
        UsedGpuMemory::Unavailable => None,
    }
}

fn milliwatts(value: u32) -> f64 {
    value as f64 / 1000.0
}

/// The reasons that cost performance. Idle, application clocks and sync boost are normal.
fn throttle_names(reasons: ThrottleReasons) -> Vec<String> {
    let named = [
        (ThrottleReasons::SW_POWER_CAP, "power cap"),
        (ThrottleReasons::HW_SLOWDOWN, "hw slowdown"),
        (ThrottleReasons::SW_THERMAL_SLOWDOWN, "sw thermal"),
        (ThrottleReasons::HW_THERMAL_SLOWDOWN, "hw thermal"),
        (ThrottleReasons::HW_POWER_BRAKE_SLOWDOWN, "power brake"),
    ];
    named
        .into_iter()
        .filter(|(flag, _)| reasons.contains(*flag))
        .map(|(_, name)| name.to_string())
        .collect()
}
