use serde::Serialize;

/// Risk levels, ordered so that `max()` gives the worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskLevel {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 5] = [
        RiskLevel::Critical,
        RiskLevel::High,
        RiskLevel::Medium,
        RiskLevel::Low,
        RiskLevel::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Critical => "critical",
            RiskLevel::High => "high",
            RiskLevel::Medium => "medium",
            RiskLevel::Low => "low",
            RiskLevel::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<RiskLevel> {
        RiskLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level together with the human-readable reasons that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub level: RiskLevel,
    /// Most severe first: that is what the engineer reads first.
    pub reasons: Vec<String>,
    /// The level each reason was raised with, parallel to `reasons`.
    #[serde(skip)]
    pub reason_levels: Vec<RiskLevel>,
}

impl Risk {
    pub fn new(level: RiskLevel) -> Self {
        Risk {
            level,
            reasons: Vec::new(),
            reason_levels: Vec::new(),
        }
    }

    /// Like `raise`, but the reason goes ahead of the others of its level: for a finding that
    /// sums up several others (a GPU used by an open service says more than the open port).
    pub fn raise_ahead(&mut self, level: RiskLevel, reason: impl Into<String>) {
        self.level = self.level.max(level);
        let position = self
            .reason_levels
            .iter()
            .position(|existing| *existing <= level)
            .unwrap_or(self.reasons.len());
        self.reasons.insert(position, reason.into());
        self.reason_levels.insert(position, level);
    }

    /// Raises the level to at least `level` and records why.
    pub fn raise(&mut self, level: RiskLevel, reason: impl Into<String>) {
        self.level = self.level.max(level);
        let position = self
            .reason_levels
            .iter()
            .position(|existing| *existing < level)
            .unwrap_or(self.reasons.len());
        self.reasons.insert(position, reason.into());
        self.reason_levels.insert(position, level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_ordered_by_severity_and_level_is_the_maximum() {
        let mut risk = Risk::new(RiskLevel::Info);
        risk.raise(RiskLevel::Low, "low one");
        risk.raise(RiskLevel::Critical, "critical one");
        risk.raise(RiskLevel::Medium, "medium one");
        assert_eq!(risk.level, RiskLevel::Critical);
        assert_eq!(risk.reasons, vec!["critical one", "medium one", "low one"]);
        assert_eq!(RiskLevel::parse("HIGH"), Some(RiskLevel::High));
        assert_eq!(RiskLevel::parse("severe"), None);
    }
}
