//! Maps a host process to the container it runs in, from `/proc/PID/cgroup`.

use regex::Regex;
use std::sync::OnceLock;

fn container_id_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        // cgroup v1 and v2, cgroupfs (`/docker/<id>`) and systemd (`docker-<id>.scope`) drivers,
        // containerd, CRI-O and podman prefixes.
        Regex::new(r"^(?:docker-|cri-containerd-|crio-|libpod-)?([0-9a-f]{64})(?:\.scope)?$")
            .expect("static regex is valid")
    })
}

/// Extracts the 64-hex container id from one cgroup path, taking the last matching component.
pub fn container_id_from_cgroup_path(path: &str) -> Option<String> {
    path.rsplit('/')
        .find_map(|component| container_id_pattern().captures(component))
        .and_then(|captures| captures.get(1))
        .map(|id| id.as_str().to_string())
}

/// Reads the container id of a process, if it runs in one.
pub fn container_id_of_pid(pid: i32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    text.lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .find_map(container_id_from_cgroup_path)
}

/// The container this process runs in. The cgroup path names it on cgroup v1 and on v2 with the
/// host's cgroup namespace; with a private cgroup namespace (Docker's default on cgroup v2) it only
/// says `0::/`, so the mounts are read too: Docker bind-mounts the container's own `hostname`,
/// `hosts` and `resolv.conf` from `.../containers/<id>/`.
pub fn own_container_id() -> Option<String> {
    container_id_of_pid(std::process::id() as i32).or_else(|| {
        std::fs::read_to_string("/proc/self/mountinfo")
            .ok()
            .and_then(|text| container_id_from_mountinfo(&text))
    })
}

/// The container id in a mountinfo listing, from the root of a bind mount under `containers/<id>/`.
pub fn container_id_from_mountinfo(mountinfo: &str) -> Option<String> {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| Regex::new(r"/containers/([0-9a-f]{64})/").expect("static regex is valid"));
    mountinfo
        .lines()
        // Field 4 is the root of the mount inside its source filesystem.
        .filter_map(|line| line.split(' ').nth(3))
        .find_map(|root| pattern.captures(root))
        .map(|captures| captures[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_cgroup_namespace_is_seen_through_the_mounts() {
        let mountinfo = format!(
            "600 500 0:50 / / rw,relatime - overlay overlay rw\n\
             612 600 8:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(container_id_from_mountinfo(&mountinfo).as_deref(), Some(ID));
        assert_eq!(
            container_id_from_mountinfo("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n"),
            None
        );
    }

    const ID: &str = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";

    #[test]
    fn recognises_every_driver_layout() {
        for path in [
            format!("/docker/{ID}"),
            format!("/system.slice/docker-{ID}.scope"),
            format!("/kubepods/besteffort/pod1/cri-containerd-{ID}.scope"),
            format!("/machine.slice/libpod-{ID}.scope/container"),
            format!("/kubepods.slice/crio-{ID}.scope"),
        ] {
            assert_eq!(
                container_id_from_cgroup_path(&path).as_deref(),
                Some(ID),
                "{path}"
            );
        }
    }

    #[test]
    fn host_processes_have_no_container() {
        assert_eq!(
            container_id_from_cgroup_path("/user.slice/user-0.slice/session-3.scope"),
            None
        );
        assert_eq!(container_id_from_cgroup_path("/"), None);
        assert_eq!(
            container_id_from_cgroup_path(&format!("/docker/{}", &ID[..60])),
            None
        );
    }
}
