//! The host at a glance for the header: load, CPU use, memory, uptime.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostSummary {
    /// 1, 5 and 15 minute load averages.
    pub load: Option<[f64; 3]>,
    pub cpus: usize,
    /// Percent over all CPUs since the previous sample.
    pub cpu_percent: f32,
    pub memory_used_bytes: u64,
    pub memory_total_bytes: u64,
    pub uptime_secs: Option<u64>,
}

/// Keeps the previous CPU counters, which usage is computed against.
/// Without /proc (a broken mount) the counters stay empty and the header shows less.
pub struct HostSampler {
    system: Option<sysinfo::System>,
}

impl Default for HostSampler {
    fn default() -> Self {
        HostSampler {
            system: sysinfo::System::new().ok(),
        }
    }
}

impl HostSampler {
    pub fn sample(&mut self) -> HostSummary {
        let mut summary = HostSummary {
            load: sysinfo::System::load_average()
                .ok()
                .map(|load| [load.one, load.five, load.fifteen]),
            uptime_secs: sysinfo::System::uptime().ok(),
            ..HostSummary::default()
        };
        if let Some(system) = &mut self.system {
            system.refresh_cpu_usage();
            system.refresh_memory();
            summary.cpus = system.cpus().len();
            summary.cpu_percent = system.global_cpu_usage();
            summary.memory_used_bytes = system.used_memory();
            summary.memory_total_bytes = system.total_memory();
        }
        summary
    }
}

/// `3d 4h`, `5h 12m`, `42m`: uptime in the two largest units.
pub fn short_duration(secs: u64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_sample_reads_this_machine() {
        let mut sampler = HostSampler::default();
        sampler.sample();
        let summary = sampler.sample();
        assert!(summary.cpus >= 1);
        assert!(summary.memory_total_bytes > summary.memory_used_bytes);
        assert!(summary.uptime_secs.is_some_and(|up| up > 0));
        assert!(summary.load.is_some());
        assert!((0.0..=100.0).contains(&summary.cpu_percent));
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
        assert_eq!(short_duration(5 * 3600 + 12 * 60), "5h 12m");
        assert_eq!(short_duration(42 * 60 + 5), "42m");
    }
}
