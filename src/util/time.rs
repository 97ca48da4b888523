//! Time as vigil shows and records it: UTC stamps for records and file names, a commit's own
//! clock with its UTC offset, ages of Docker timestamps.

/// RFC 3339 with the commit's own UTC offset, as the committer's clock said.
pub fn local_time(seconds: i64, offset_minutes: i32) -> String {
    let Ok(timestamp) = jiff::Timestamp::from_second(seconds) else {
        return seconds.to_string();
    };
    let Ok(offset) = jiff::tz::Offset::from_seconds(offset_minutes * 60) else {
        return timestamp.to_string();
    };
    timestamp
        .to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Seconds since an RFC 3339 timestamp (Docker's `StartedAt`), if it parses.
pub fn seconds_since(timestamp: &str, now: jiff::Timestamp) -> Option<i64> {
    let started: jiff::Timestamp = timestamp.parse().ok()?;
    Some(now.as_second() - started.as_second())
}

/// `2026-11-22T04:28:00.123Z`: the time of a record (audit log, marks).
pub fn record_stamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `20261122T042800Z`: sortable, and safe in a file name or an action id.
pub fn compact_stamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_since_parses_docker_timestamps() {
        let now: jiff::Timestamp = "2026-11-22T03:10:00Z".parse().expect("ts");
        assert_eq!(
            seconds_since("2026-11-22T03:07:27.809219515Z", now),
            Some(153)
        );
        assert_eq!(seconds_since("garbage", now), None);
    }

    #[test]
    fn local_time_keeps_the_commit_offset() {
        assert_eq!(local_time(0, 120), "1970-01-01T02:00:00+02:00");
        assert_eq!(local_time(0, -330), "1969-12-31T18:30:00-05:30");
    }

    #[test]
    fn stamps_have_their_shapes() {
        assert_eq!(compact_stamp().len(), "20261122T042800Z".len());
        assert!(record_stamp().ends_with('Z'));
    }
}
