//! Who a GPU process is: its name, its user and its container, from `/proc`.
//!
//! NVML lists the same PIDs second after second, so each one is looked up once and kept while
//! NVML keeps listing it. A kept entry is checked again every `RECHECK` against the process's
//! start time, so a PID reused by another process is never shown with the old one's name.

use crate::collect::cgroup;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often a kept entry is checked against its process's start time.
const RECHECK: Duration = Duration::from_secs(10);
/// The user database is read again at most this often when an unknown uid appears.
const USERS_RELOAD: Duration = Duration::from_secs(60);

/// What `/proc` says about one PID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessFacts {
    pub name: Option<String>,
    pub user: Option<String>,
    pub container_id: Option<String>,
    /// False when `/proc/PID` could not be read: another PID namespace, or the process exited.
    pub visible: bool,
}

struct Entry {
    start_time: Option<u64>,
    facts: ProcessFacts,
    checked: Instant,
}

#[derive(Default)]
pub struct ProcessTable {
    entries: HashMap<u32, Entry>,
    users: UserNames,
}

impl ProcessTable {
    /// The facts of `pid`, read from `/proc` when new or due for a check.
    pub fn facts(&mut self, pid: u32, now: Instant) -> ProcessFacts {
        if let Some(entry) = self.entries.get_mut(&pid) {
            if now.duration_since(entry.checked) < RECHECK {
                return entry.facts.clone();
            }
            let start_time = read_stat(pid).map(|(_, start)| start);
            if start_time.is_some() && start_time == entry.start_time {
                entry.checked = now;
                return entry.facts.clone();
            }
        }
        let entry = self.read(pid, now);
        let facts = entry.facts.clone();
        self.entries.insert(pid, entry);
        facts
    }

    /// Forgets the PIDs NVML no longer lists.
    pub fn keep_only(&mut self, listed: &HashSet<u32>) {
        self.entries.retain(|pid, _| listed.contains(pid));
    }

    fn read(&mut self, pid: u32, now: Instant) -> Entry {
        let Some((name, start_time)) = read_stat(pid) else {
            return Entry {
                start_time: None,
                facts: ProcessFacts {
                    name: None,
                    user: None,
                    container_id: None,
                    visible: false,
                },
                checked: now,
            };
        };
        let user = read_uid(pid).map(|uid| self.users.name(uid, now));
        Entry {
            start_time: Some(start_time),
            facts: ProcessFacts {
                name: Some(name),
                user,
                container_id: cgroup::container_id_of_pid(pid as i32),
                visible: true,
            },
            checked: now,
        }
    }
}

/// The command name and start time (clock ticks since boot) from `/proc/PID/stat`.
fn read_stat(pid: u32) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The name sits in parentheses and may itself contain spaces and parentheses, so the fields
/// after it are found from the last `)`.
fn parse_stat(text: &str) -> Option<(String, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_string();
    // Fields after the name start at field 3 (state); the start time is field 22.
    let start = text
        .get(close + 1..)?
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    Some((name, start))
}

/// The real uid from `/proc/PID/status`.
fn read_uid(pid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// uid -> user name from the host's `/etc/passwd`; a uid with no entry (common for a container's
/// own users) is shown as its number.
#[derive(Default)]
struct UserNames {
    names: HashMap<u32, String>,
    loaded: Option<Instant>,
}

impl UserNames {
    fn name(&mut self, uid: u32, now: Instant) -> String {
        let stale = self
            .loaded
            .is_none_or(|at| now.duration_since(at) >= USERS_RELOAD);
        if !self.names.contains_key(&uid) && stale {
            self.names = std::fs::read_to_string("/etc/passwd")
                .map(|text| parse_passwd(&text))
                .unwrap_or_default();
            self.loaded = Some(now);
        }
        self.names
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }
}

fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_a_hostile_name_is_parsed_from_the_last_parenthesis() {
        let text = "4242 (evil) S (x) R 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000 10\n";
        let (name, start) = parse_stat(text).expect("parses");
        assert_eq!(name, "evil) S (x");
        assert_eq!(start, 987654);
    }

    #[test]
    fn passwd_maps_uids() {
        let names = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\nbroken\nsd:x:1000:1000::/home/sd:/bin/sh\n",
        );
        assert_eq!(names[&0], "root");
        assert_eq!(names[&1000], "sd");
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn own_process_is_visible_with_its_name_and_gone_pids_are_not() {
        let mut table = ProcessTable::default();
        let now = Instant::now();
        let me = table.facts(std::process::id(), now);
        assert!(me.visible);
        assert!(me.name.is_some());
        assert!(me.user.is_some());
        // PID numbers stop below 2^22 on Linux.
        let gone = table.facts(4_194_304 + 17, now);
        assert!(!gone.visible);
        assert_eq!(gone.name, None);
        table.keep_only(&HashSet::from([std::process::id()]));
        assert_eq!(table.entries.len(), 1);
    }
}
