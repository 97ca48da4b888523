//! The stand-in NVML library (tests/nvml/fake_nvml.c), built with gcc by the tests.

use crate::common::run;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which build of the stand-in NVML library (tests/nvml/fake_nvml.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmlBuild {
    /// Exports the current calls (MemoryInfo_v2, the _v3 process lists, FanSpeed_v2).
    Current,
    /// An old driver: only the older forms of those calls.
    #[allow(dead_code)] // only the GPU tests emulate an old driver
    OldDriver,
}

/// Compiles the stand-in NVML library once per test process with gcc, as part of the test build.
fn fake_nvml_library(build: NvmlBuild) -> PathBuf {
    static BUILT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    let (_, current, old) = BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvml/fake_nvml.c");
        let compile = |out: &Path, defines: &[&str]| {
            let mut args = vec!["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"];
            args.push(out.to_str().expect("utf8"));
            args.extend(defines);
            args.push(source);
            // Fails the test with gcc's messages when the library does not build.
            run("gcc", &args);
        };
        let current = dir.path().join("current.so");
        let old = dir.path().join("old.so");
        compile(&current, &[]);
        compile(&old, &["-DOLD_DRIVER"]);
        (dir, current, old)
    });
    match build {
        NvmlBuild::Current => current.clone(),
        NvmlBuild::OldDriver => old.clone(),
    }
}

/// One fake GPU host: a copy of the stand-in library in a directory of its own, named like the
/// real one, with its scenario file beside it. Each copy is loaded as a separate library, so
/// tests in one process do not share state.
pub struct FakeNvml {
    pub dir: tempfile::TempDir,
    pub library: PathBuf,
}

impl FakeNvml {
    pub fn new(build: NvmlBuild, scenario: &str) -> FakeNvml {
        let dir = tempfile::tempdir().expect("tempdir");
        let library = dir.path().join("libnvidia-ml.so.1");
        std::fs::copy(fake_nvml_library(build), &library).expect("copy the test NVML library");
        let fake = FakeNvml { dir, library };
        fake.set_scenario(scenario);
        fake
    }

    /// Replaces the scenario atomically (a new file renamed over the old), so a reader never sees
    /// half a file and always notices the change.
    pub fn set_scenario(&self, scenario: &str) {
        let path = PathBuf::from(format!("{}.scenario", self.library.display()));
        let temporary = self.dir.path().join("scenario.tmp");
        std::fs::write(&temporary, scenario).expect("write scenario");
        std::fs::rename(&temporary, &path).expect("rename scenario");
    }

    pub fn path(&self) -> &str {
        self.library.to_str().expect("utf8 path")
    }
}
