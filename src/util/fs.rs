//! vigil's own writes: whole files replaced atomically, records appended and fsynced, and none
//! of them able to be turned against the host.
//!
//! vigil often runs as root, in directories an intruder may have touched. So a write never
//! follows a symlink at its last component (`O_NOFOLLOW`: a planted `audit.jsonl -> /etc/shadow`
//! is refused, not appended to), creates files 0600 and directories 0700, and refuses a file or
//! a directory that belongs to another user or that others can write, saying why.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why vigil refused or failed to write one of its files.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: is a symbolic link; vigil does not write through links (remove it or pass another path)", .path.display())]
    Symlink { path: PathBuf },
    #[error("{}: not a regular file", .path.display())]
    NotRegular { path: PathBuf },
    #[error("{}: owned by uid {owner}, not by this user (uid {me}); refusing to write there", .path.display())]
    NotOwned { path: PathBuf, owner: u32, me: u32 },
    #[error("{}: writable by other users (mode {mode:o}); refusing to write there (chmod go-w)", .path.display())]
    WritableByOthers { path: PathBuf, mode: u32 },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| {
        if source.raw_os_error() == Some(libc::ELOOP) {
            WriteError::Symlink {
                path: path.to_path_buf(),
            }
        } else {
            WriteError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Creates `dir` and its missing parents 0700, and checks the directory that will hold the file:
/// it must belong to this user (or root) and must not be writable by others unless sticky (as
/// `/tmp` is, where others cannot replace what is ours).
pub fn prepare_private_dir(dir: &Path) -> Result<(), WriteError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))?;
    let meta = std::fs::metadata(dir).map_err(io(dir))?;
    check_owner(dir, &meta, true)?;
    let others_can_write = meta.mode() & 0o002 != 0 && meta.mode() & 0o1000 == 0;
    if others_can_write {
        return Err(WriteError::WritableByOthers {
            path: dir.to_path_buf(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(())
}

/// The owner must be this user; for a directory root is fine too (`/var/log`, `/tmp`).
fn check_owner(path: &Path, meta: &std::fs::Metadata, root_ok: bool) -> Result<(), WriteError> {
    let Some(me) = crate::util::host::effective_uid() else {
        return Ok(());
    };
    let owner = meta.uid();
    if owner == me || (root_ok && owner == 0) {
        return Ok(());
    }
    Err(WriteError::NotOwned {
        path: path.to_path_buf(),
        owner,
        me,
    })
}

/// Checks a file vigil opened for writing, on the descriptor: regular, ours, not writable by
/// group or others.
fn check_opened(path: &Path, file: &File) -> Result<(), WriteError> {
    let meta = file.metadata().map_err(io(path))?;
    if !meta.file_type().is_file() {
        return Err(WriteError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    check_owner(path, &meta, false)?;
    if meta.mode() & 0o022 != 0 {
        return Err(WriteError::WritableByOthers {
            path: path.to_path_buf(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(())
}

fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

/// Opens (creating it 0600) a file vigil appends to: the audit log, marks, its log file.
/// `read` also opens it for reading (the audit log reads its own last byte).
pub fn open_private_append(path: &Path, read: bool) -> Result<File, WriteError> {
    prepare_private_dir(parent_of(path))?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(read)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(io(path))?;
    check_opened(path, &file)?;
    Ok(file)
}

/// Writes `text` to `path` whole or not at all: a new private temporary file next to it
/// (created exclusively, so nothing planted there is written through), fsynced, renamed over it.
/// Renaming replaces a link at `path` rather than writing where it points.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), WriteError> {
    prepare_private_dir(parent_of(path))?;
    let temporary = temporary_beside(path);
    let written = write_new(&temporary, text.as_bytes())
        .and_then(|()| std::fs::rename(&temporary, path).map_err(io(path)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    parent_of(path).join(format!(".{name}.vigil-{}-{nanos}.tmp", std::process::id()))
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_data().map_err(io(path))
}

/// Appends one line (a newline is added) and fsyncs it: after a crash the line is there or was
/// never written.
pub fn append_line_synced(path: &Path, line: &str) -> Result<(), WriteError> {
    let mut file = open_private_append(path, false)?;
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    file.write_all(&bytes).map_err(io(path))?;
    file.sync_data().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/report.md");
        write_atomic(&path, "one").expect("write");
        write_atomic(&path, "two").expect("rewrite");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(dir.path().join("sub"))
            .expect("meta")
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }

    #[test]
    fn appended_lines_accumulate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b.jsonl");
        append_line_synced(&path, "{\"a\":1}").expect("append");
        append_line_synced(&path, "{\"a\":2}").expect("append");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"a\":1}\n{\"a\":2}\n"
        );
    }

    #[test]
    fn a_planted_link_is_never_written_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").expect("write");
        let link = dir.path().join("audit.jsonl");
        symlink(&victim, &link).expect("symlink");
        let err = append_line_synced(&link, "x").expect_err("refused");
        assert!(matches!(err, WriteError::Symlink { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
        // Replacing the link is fine: the victim is untouched.
        write_atomic(&link, "new").expect("replace the link");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
    }

    #[test]
    fn a_file_others_can_write_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        std::fs::write(&path, "").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let err = append_line_synced(&path, "x").expect_err("refused");
        assert!(matches!(err, WriteError::WritableByOthers { .. }), "{err}");
    }

    #[test]
    fn a_directory_others_can_write_is_refused_unless_sticky() {
        let dir = tempfile::tempdir().expect("tempdir");
        let open = dir.path().join("open");
        std::fs::create_dir(&open).expect("mkdir");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = append_line_synced(&open.join("log"), "x").expect_err("refused");
        assert!(matches!(err, WriteError::WritableByOthers { .. }), "{err}");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
        append_line_synced(&open.join("log"), "x").expect("sticky is fine");
    }

    /// `sudo -E vigil` over a state directory the user made: refused, saying whose it is.
    #[test]
    fn a_directory_of_another_user_is_refused_with_its_owner() {
        if crate::util::host::effective_uid() != Some(0) {
            assert!(
                std::env::var("VIGIL_REQUIRE_DOCKER").as_deref() != Ok("1"),
                "needs root to give a directory away"
            );
            eprintln!("SKIPPED a_directory_of_another_user_is_refused_with_its_owner: needs root");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let theirs = dir.path().join("state");
        std::fs::create_dir(&theirs).expect("mkdir");
        std::os::unix::fs::chown(&theirs, Some(65534), None).expect("chown");
        let err = append_line_synced(&theirs.join("audit.jsonl"), "x").expect_err("refused");
        assert!(
            matches!(err, WriteError::NotOwned { owner: 65534, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("uid 65534"), "{err}");
    }
}
