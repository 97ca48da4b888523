//! Reads of files vigil does not control, bounded and typed.
//!
//! A label, a repository or a command-line argument can name any path: a FIFO (opening it waits
//! for a writer forever), `/dev/zero` (never ends), a socket, a symlink out of the repository, a
//! file of many gigabytes. Every such read goes through here: the file is opened without waiting
//! (`O_NONBLOCK`), checked on the opened descriptor to be a regular file (so a swap between the
//! check and the read cannot fool it), and read up to a cap. Anything else is a [`ReadError`]
//! naming why it was skipped.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Caps for the kinds of file vigil reads, in bytes. Generous for real files, small next to the
/// memory an attacker could otherwise make vigil take.
pub mod limits {
    /// vigil's config file, a theme, an IOC list, a rules file, an ignore list.
    pub const SETTINGS: u64 = 1024 * 1024;
    /// A compose file or `.env` a container label names.
    pub const COMPOSE: u64 = 4 * 1024 * 1024;
    /// vigil's own audit log or marks: they grow with the incident, but not to gigabytes.
    pub const STATE: u64 = 256 * 1024 * 1024;
    /// vigil's cache of commit line counts (about 60 bytes a commit).
    pub const CACHE: u64 = 128 * 1024 * 1024;
}

/// Why a file was not read. Each says what an engineer needs to know to fix or ignore it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: not found", .path.display())]
    NotFound { path: PathBuf },
    #[error("{}: not a regular file ({kind}); skipped", .path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{}: larger than the {} limit; skipped", .path.display(), human_bytes(*.limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{}: leads outside {}; skipped", .path.display(), .root.display())]
    OutsideRoot { path: PathBuf, root: PathBuf },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReadError {
    /// A missing file is often fine (no config yet); every other reason is worth reporting.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound { .. })
    }
}

/// Reads a regular file whole, at most `limit` bytes. Symlinks are followed (a config file may
/// be one) but the file they reach must be regular.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    read_capped(file, path, limit)
}

/// [`read_regular`] without following a link at the last component: for files listed as regular
/// in a directory an intruder can change meanwhile.
pub fn read_no_follow(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_checked(path, libc::O_NOFOLLOW)?;
    read_capped(file, path, limit)
}

/// Opens a regular file for reading in a stream, at most `limit` bytes of it (what lies beyond
/// reads as the end): for files read line by line.
pub fn open_capped(path: &Path, limit: u64) -> Result<std::io::Take<File>, ReadError> {
    open_regular(path).map(|file| file.take(limit))
}

/// [`read_regular`], as UTF-8 text (invalid sequences replaced, so a stray byte costs a `�`,
/// not the whole file).
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    read_regular(path, limit).map(|bytes| match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Reads `path`, which must stay inside `root` once every symlink is resolved: a committed
/// `.vigil-ignore -> /etc/shadow` or `-> /dev/zero` is refused, not followed.
pub fn read_within(root: &Path, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let resolved = std::fs::canonicalize(path).map_err(|source| io_error(path, source))?;
    let root_resolved = std::fs::canonicalize(root).map_err(|source| io_error(root, source))?;
    if !resolved.starts_with(&root_resolved) {
        return Err(ReadError::OutsideRoot {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        });
    }
    read_regular(&resolved, limit)
}

/// Opens without blocking (a FIFO with no writer would otherwise hang the open) and checks the
/// descriptor, not the path, so what is checked is what is read.
fn open_regular(path: &Path) -> Result<File, ReadError> {
    open_checked(path, 0)
}

fn open_checked(path: &Path, flags: libc::c_int) -> Result<File, ReadError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC | flags)
        .open(path)
        .map_err(|source| io_error(path, source))?;
    let file_type = file
        .metadata()
        .map_err(|source| io_error(path, source))?
        .file_type();
    if file_type.is_file() {
        return Ok(file);
    }
    Err(ReadError::NotRegular {
        path: path.to_path_buf(),
        kind: describe(file_type),
    })
}

fn read_capped(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| io_error(path, source))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

fn io_error(path: &Path, source: std::io::Error) -> ReadError {
    match source.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound {
            path: path.to_path_buf(),
        },
        _ if source.raw_os_error() == Some(libc::ELOOP) => ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: "a symbolic link",
        },
        // Opening a socket fails with ENXIO: it is a special file, say so.
        _ if source.raw_os_error() == Some(libc::ENXIO) => ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: "a socket",
        },
        _ => ReadError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn describe(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// `1 MiB`, `256 MiB`: limits as people say them.
pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_fifo_is_refused_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let err = read_regular(&fifo, 10).expect_err("refused");
        assert!(
            matches!(err, ReadError::NotRegular { kind: "a FIFO", .. }),
            "{err}"
        );
    }

    #[test]
    fn a_device_is_refused_even_through_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("zero");
        symlink("/dev/zero", &link).expect("symlink");
        let err = read_regular(&link, 10).expect_err("refused");
        assert!(matches!(err, ReadError::NotRegular { .. }), "{err}");
        assert!(err.to_string().contains("character device"), "{err}");
    }

    #[test]
    fn a_file_over_the_cap_is_named_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'a'; 2048]).expect("write");
        assert_eq!(read_regular(&path, 2048).expect("at the cap").len(), 2048);
        let err = read_regular(&path, 2047).expect_err("over");
        assert!(matches!(err, ReadError::TooLarge { limit: 2047, .. }));
    }

    #[test]
    fn a_link_out_of_the_root_is_refused() {
        let repo = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret"), "x").expect("write");
        std::fs::write(repo.path().join("inside"), "ok").expect("write");
        symlink(outside.path().join("secret"), repo.path().join("out")).expect("symlink");
        symlink("inside", repo.path().join("near")).expect("symlink");
        let err = read_within(repo.path(), &repo.path().join("out"), 10).expect_err("outside");
        assert!(matches!(err, ReadError::OutsideRoot { .. }), "{err}");
        let near = read_within(repo.path(), &repo.path().join("near"), 10).expect("inside");
        assert_eq!(near, b"ok");
    }

    #[test]
    fn missing_is_its_own_case() {
        let err = read_regular(Path::new("/no/such/vigil/file"), 10).expect_err("missing");
        assert!(err.is_not_found());
    }
}
