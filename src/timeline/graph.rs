//! The first suspicious commit and the safe state, found by the commit graph, not by the dates
//! (which the intruder controls). In memory, from the parents already read: no repository
//! access, so it can run again each time new signals arrive.

use super::CommitEntry;
use std::collections::HashMap;

/// For each commit the default branch contains, the position (0 = root) of the first commit
/// on the branch's first-parent chain that contains it: the commit itself or a merge that
/// brought it in.
pub fn branch_positions<'a>(
    commits: &'a [CommitEntry],
    head_chain_newest_first: &[String],
) -> HashMap<&'a str, usize> {
    let index: HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut position: HashMap<&'a str, usize> = HashMap::with_capacity(commits.len());
    let mut stack: Vec<usize> = Vec::new();
    for (chain_position, id) in head_chain_newest_first.iter().rev().enumerate() {
        let Some(&start) = index.get(id.as_str()) else {
            continue;
        };
        stack.push(start);
        while let Some(i) = stack.pop() {
            let commit = &commits[i];
            if position.contains_key(commit.id.as_str()) {
                continue;
            }
            position.insert(commit.id.as_str(), chain_position);
            for parent in &commit.parents {
                if let Some(&p) = index.get(parent.as_str())
                    && !position.contains_key(commits[p].id.as_str())
                {
                    stack.push(p);
                }
            }
        }
    }
    position
}

/// Walking the default branch from its root, the first commit that contains a suspicious
/// commit marks the intrusion; the branch commit before it is the safe state. A suspicious
/// commit the branch never contains (another branch, a dangling one) counts, by its earliest
/// date, only when the branch contains none.
pub fn first_suspicious_and_safe_state(
    commits: &[CommitEntry],
    head_chain_newest_first: &[String],
    threshold: f64,
) -> (Option<String>, Option<String>) {
    let suspicious: Vec<&CommitEntry> = commits.iter().filter(|c| c.score >= threshold).collect();
    if suspicious.is_empty() {
        return (None, None);
    }
    let positions = branch_positions(commits, head_chain_newest_first);
    let earliest = suspicious
        .iter()
        .filter_map(|c| positions.get(c.id.as_str()).map(|p| (*p, c)))
        .min_by_key(|(position, c)| (*position, c.author_time, c.id.clone()));
    match earliest {
        Some((position, commit)) => {
            let oldest_first = head_chain_newest_first.len() - 1;
            let safe = position
                .checked_sub(1)
                .map(|before| head_chain_newest_first[oldest_first - before].clone());
            (Some(commit.id.clone()), safe)
        }
        None => {
            let first = suspicious
                .iter()
                .min_by_key(|c| (c.committer_time.min(c.author_time), c.id.clone()))
                .map(|c| c.id.clone());
            (first, None)
        }
    }
}
