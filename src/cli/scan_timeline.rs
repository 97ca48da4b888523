//! `vigil scan timeline`: per repository, the secret scan of its history (for the
//! "secret-introduced" signal), the metadata, the line counts (cached) and the scores.

use super::args::{OutputFormat, ScanTimelineArgs};
use super::output::{Failure, Outcome, Status, print_out, warn, write_stdout};
use crate::config::Settings;
use crate::timeline::{AnalyzeOptions, CommitId, IntroducedSecret};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn run(settings: &Settings, args: &ScanTimelineArgs) -> Outcome {
    let repos: Vec<PathBuf> = if args.repo.is_empty() {
        settings.repos.clone()
    } else {
        args.repo.clone()
    };
    if repos.is_empty() {
        return Err(Failure(
            "the current directory is not in a git repository (use --repo PATH)".into(),
        ));
    }
    let options = AnalyzeOptions {
        line_counts: !args.no_line_counts,
        use_cache: !args.no_cache,
        ..AnalyzeOptions::complete()
    };
    let mut timelines = Vec::new();
    let mut status = Status::Success;
    for repo in &repos {
        let secrets = if args.no_secrets {
            HashMap::new()
        } else {
            history_secrets(repo)
        };
        match crate::timeline::analyze(repo, &settings.timeline, &options, &secrets) {
            Ok(timeline) => timelines.push(timeline),
            Err(message) => {
                warn(&message);
                status = Status::Partial;
            }
        }
    }
    match args.format {
        OutputFormat::Json => {
            write_stdout(|out| crate::report::timeline::write_json(&timelines, out))
        }
        OutputFormat::Table => {
            let tables: Vec<String> = timelines
                .iter()
                .map(|t| crate::report::timeline::table(t, &settings.timeline))
                .collect();
            print_out(&tables.join("\n"));
        }
    }
    Ok(status)
}

/// The secrets each commit of `repo` introduced; a failed scan is said and counts as none.
fn history_secrets(repo: &Path) -> HashMap<CommitId, Vec<IntroducedSecret>> {
    let options = crate::secrets::scan::ScanOptions {
        repos: vec![repo.to_path_buf()],
        history: true,
        ..Default::default()
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    match crate::secrets::scan::run(&options, &|_| {}, &cancel) {
        Ok(report) => {
            // What the scan skipped (an unreadable ignore list, a file too large) is said: the
            // secrets column may miss what it could not read.
            for note in &report.summary.notes {
                warn(&format!("secret scan of {}: {note}", repo.display()));
            }
            crate::timeline::introduced_secrets(&report.findings, &repo.display().to_string())
        }
        Err(message) => {
            warn(&format!("secret scan of {}: {message}", repo.display()));
            HashMap::new()
        }
    }
}
