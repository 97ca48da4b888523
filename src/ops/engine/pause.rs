//! A hook for the recovery tests: `VIGIL_PAUSE_AT=before:N[:MS]` or `after:N[:MS]` holds the
//! action for MS milliseconds (default 30 000) just before or after the operation that starts
//! at plan step N (1-based), once its journal record is written, so a test can kill vigil,
//! restart Docker or send a signal at exactly that point. A SIGTERM or Ctrl-C ends the pause
//! early. Unset, it costs one environment lookup per action.

use crate::ops::progress::Progress;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    when: When,
    /// 0-based plan step.
    step: usize,
    hold: Duration,
}

impl Pause {
    pub fn from_env() -> Option<Pause> {
        parse(&std::env::var("VIGIL_PAUSE_AT").ok()?)
    }

    /// Holds here when this is the point the hook names.
    pub async fn at(this: Option<Pause>, when: When, step: usize, progress: &Progress) {
        let Some(pause) = this.filter(|p| p.when == when && p.step == step) else {
            return;
        };
        progress.note(&format!(
            "paused {} step {} (VIGIL_PAUSE_AT)",
            if when == When::Before {
                "before"
            } else {
                "after"
            },
            step + 1
        ));
        let deadline = tokio::time::Instant::now() + pause.hold;
        while tokio::time::Instant::now() < deadline && progress.interrupted().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn parse(text: &str) -> Option<Pause> {
    let mut parts = text.split(':');
    let when = match parts.next()? {
        "before" => When::Before,
        "after" => When::After,
        _ => return None,
    };
    let step: usize = parts.next()?.parse().ok()?;
    let hold = match parts.next() {
        Some(ms) => Duration::from_millis(ms.parse().ok()?),
        None => Duration::from_secs(30),
    };
    Some(Pause {
        when,
        step: step.checked_sub(1)?,
        hold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_reads_its_point_and_duration() {
        assert_eq!(
            parse("before:3:250"),
            Some(Pause {
                when: When::Before,
                step: 2,
                hold: Duration::from_millis(250)
            })
        );
        assert_eq!(
            parse("after:1").map(|p| p.hold),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse("during:1"), None);
        assert_eq!(parse("before:0"), None);
        assert_eq!(parse("before:x"), None);
    }
}
