//! The first suspicious commit and the safe state, found by the commit graph, not by the dates
//! (which the intruder controls). In memory, from the parents already read: no repository
//! access, so it can run again each time new signals arrive.

use super::{CommitEntry, CommitId};
use std::collections::HashMap;

/// For each commit the default branch contains, the position (0 = root) of the first commit
/// on the branch's first-parent chain that contains it: the commit itself or a merge that
/// brought it in.
pub fn branch_positions(
    commits: &[CommitEntry],
    head_chain_newest_first: &[CommitId],
) -> HashMap<CommitId, usize> {
    let index: HashMap<CommitId, usize> =
        commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut position: HashMap<CommitId, usize> = HashMap::with_capacity(commits.len());
    let mut stack: Vec<usize> = Vec::new();
    for (chain_position, id) in head_chain_newest_first.iter().rev().enumerate() {
        let Some(&start) = index.get(id) else {
            continue;
        };
        stack.push(start);
        while let Some(i) = stack.pop() {
            let commit = &commits[i];
            if position.contains_key(&commit.id) {
                continue;
            }
            position.insert(commit.id, chain_position);
            for parent in &commit.parents {
                if let Some(&p) = index.get(parent)
                    && !position.contains_key(&commits[p].id)
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
    head_chain_newest_first: &[CommitId],
    threshold: f64,
) -> (Option<CommitId>, Option<CommitId>) {
    let suspicious: Vec<&CommitEntry> = commits.iter().filter(|c| c.score >= threshold).collect();
    if suspicious.is_empty() {
        return (None, None);
    }
    let positions = branch_positions(commits, head_chain_newest_first);
    let earliest = suspicious
        .iter()
        .filter_map(|c| positions.get(&c.id).map(|p| (*p, c)))
        .min_by_key(|(position, c)| (*position, c.author_time, c.id));
    match earliest {
        Some((position, commit)) => {
            let oldest_first = head_chain_newest_first.len() - 1;
            let safe = position
                .checked_sub(1)
                .map(|before| head_chain_newest_first[oldest_first - before]);
            (Some(commit.id), safe)
        }
        None => {
            let first = suspicious
                .iter()
                .min_by_key(|c| (c.committer_time.min(c.author_time), c.id))
                .map(|c| c.id);
            (first, None)
        }
    }
}
