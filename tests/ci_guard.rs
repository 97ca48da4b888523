//! CI must run the tests that need Docker, root, tmux, network namespaces or the firewall. They
//! are `#[ignore = "needs ..."]`, so a plain `cargo test` lists them as ignored; CI sets
//! `VIGIL_REQUIRE_DOCKER=1` and passes `--include-ignored`. This test (not ignored itself) fails
//! when the variable is set but the flag is not, so CI can never be green by skipping them.

/// The test command for CI and for a full run by hand (as in README.md and .ci/run).
const FULL_RUN: &str =
    "VIGIL_REQUIRE_DOCKER=1 cargo test --locked --no-fail-fast -- --include-ignored";

/// What is wrong with running under these settings, if anything. `args` are the test binary's
/// arguments: libtest passes it what follows `--` on cargo's command line.
fn problem(require_docker: Option<&str>, args: &[String]) -> Option<String> {
    if require_docker != Some("1") {
        return None;
    }
    let runs_ignored = args
        .iter()
        .any(|arg| arg == "--include-ignored" || arg == "--ignored");
    (!runs_ignored).then(|| {
        format!(
            "VIGIL_REQUIRE_DOCKER=1 is set, but the tests that need Docker, root, tmux, network \
             namespaces or the firewall are #[ignore]d and were not asked for: this run would \
             pass without them. Run\n    {FULL_RUN}\n(the test binary got {args:?})"
        )
    })
}

#[test]
fn required_runs_include_the_ignored_tests() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let required = std::env::var("VIGIL_REQUIRE_DOCKER").ok();
    if let Some(problem) = problem(required.as_deref(), &args) {
        panic!("{problem}");
    }
}

#[test]
fn the_guard_fails_exactly_when_required_without_the_ignored_tests() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let missing = problem(Some("1"), &args(&["--test-threads", "1", "scan"]))
        .expect("required without --include-ignored is a problem");
    assert!(missing.contains(FULL_RUN), "{missing}");
    assert_eq!(problem(Some("1"), &args(&["--include-ignored"])), None);
    assert_eq!(problem(Some("1"), &args(&["--ignored", "firewall"])), None);
    assert_eq!(problem(None, &args(&[])), None, "a plain cargo test");
    assert_eq!(problem(Some("0"), &args(&[])), None);
    assert!(problem(Some("1"), &args(&[])).is_some());
}
