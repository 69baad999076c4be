//! Which elements of the old subtasks' operator state a new subtask gets: a pure function of
//! the old snapshots, the new subtask index and the new parallelism.
//!
//! Split list state: the elements of all old subtasks, concatenated in old subtask order, are
//! dealt round-robin: element `i` goes to new subtask `i % new_parallelism`. Every element lands
//! in exactly one new subtask and shares differ by at most one element. (Flink hands out
//! contiguous runs instead; either keeps the elements, and dealing keeps this one line.)
//!
//! At unchanged parallelism nothing moves but union lists: a subtask keeps its own split lists
//! and broadcast copies, and gets every old subtask's union list elements, as after a rescale.

use std::collections::BTreeMap;

use super::snapshot::{OperatorStateMode, OperatorStateSnapshot};
use crate::error::{Result, StateError};

/// A subtask's share of every state: by name, its mode and elements.
pub(crate) type Shares = BTreeMap<String, (OperatorStateMode, Vec<Vec<u8>>)>;

/// A new subtask's share of every state after a change of parallelism.
pub(crate) fn share_of(old: &[OperatorStateSnapshot], subtask: usize, parallelism: usize) -> Result<Shares> {
    if subtask >= parallelism {
        return Err(StateError::SubtaskOutOfRange { subtask, parallelism });
    }
    let mut shares = Shares::new();
    // Elements of each split state seen so far, to continue the deal across old subtasks.
    let mut dealt: BTreeMap<&str, usize> = BTreeMap::new();
    for snapshot in old {
        for state in &snapshot.states {
            let (mode, elements) = match shares.get_mut(&state.name) {
                Some(share) => share,
                None => shares.entry(state.name.clone()).or_insert_with(|| (state.mode, Vec::new())),
            };
            if *mode != state.mode {
                return Err(StateError::Mismatch {
                    name: state.name.clone(),
                    registered: mode.to_string(),
                    requested: format!("{} (in another old subtask's snapshot)", state.mode),
                });
            }
            match state.mode {
                OperatorStateMode::SplitList => {
                    let next = dealt.entry(&state.name).or_default();
                    for element in &state.elements {
                        if *next % parallelism == subtask {
                            elements.push(element.clone());
                        }
                        *next += 1;
                    }
                }
                OperatorStateMode::UnionList => elements.extend(state.elements.iter().cloned()),
                OperatorStateMode::Broadcast => {
                    if !dealt.contains_key(state.name.as_str()) {
                        dealt.insert(&state.name, 0);
                        elements.extend(state.elements.iter().cloned());
                    }
                }
            }
        }
    }
    Ok(shares)
}

/// A subtask's share at unchanged parallelism: its own split lists and broadcast copies
/// (`own`: its old snapshot, if it had one), and the union lists of all old subtasks.
pub(crate) fn share_in_place(own: Option<&OperatorStateSnapshot>, all: &[OperatorStateSnapshot]) -> Result<Shares> {
    // Dealing everything to one subtask of one is the union of all: keep only its union lists.
    let mut shares = share_of(all, 0, 1)?;
    shares.retain(|_, (mode, _)| *mode == OperatorStateMode::UnionList);
    for state in own.map_or(&[][..], |own| &own.states) {
        match shares.get(&state.name) {
            Some((mode, _)) if *mode != state.mode => {
                return Err(StateError::Mismatch {
                    name: state.name.clone(),
                    registered: mode.to_string(),
                    requested: format!("{} (in this subtask's own snapshot)", state.mode),
                });
            }
            Some(_) => {}
            None => {
                shares.insert(state.name.clone(), (state.mode, state.elements.clone()));
            }
        }
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::snapshot::OperatorStateEntries;

    fn snapshot(mode: OperatorStateMode, elements: &[u8]) -> OperatorStateSnapshot {
        OperatorStateSnapshot {
            states: vec![OperatorStateEntries {
                name: "s".into(),
                mode,
                elements: elements.iter().map(|e| vec![*e]).collect(),
            }],
        }
    }

    fn share(old: &[OperatorStateSnapshot], subtask: usize, parallelism: usize) -> Vec<u8> {
        let shares = share_of(old, subtask, parallelism).expect("share");
        shares["s"].1.iter().map(|e| e[0]).collect()
    }

    #[test]
    fn split_lists_are_dealt_round_robin_across_old_subtasks() {
        let old = [snapshot(OperatorStateMode::SplitList, &[1, 2, 3]), snapshot(OperatorStateMode::SplitList, &[4, 5])];
        assert_eq!(share(&old, 0, 2), vec![1, 3, 5]);
        assert_eq!(share(&old, 1, 2), vec![2, 4]);
        assert_eq!(share(&old, 2, 3), vec![3]);
    }

    #[test]
    fn union_lists_go_whole_and_broadcast_from_the_first_copy() {
        let old = [snapshot(OperatorStateMode::UnionList, &[1, 2]), snapshot(OperatorStateMode::UnionList, &[3])];
        assert_eq!(share(&old, 4, 5), vec![1, 2, 3]);
        let old = [snapshot(OperatorStateMode::Broadcast, &[1, 2]), snapshot(OperatorStateMode::Broadcast, &[1, 2])];
        assert_eq!(share(&old, 2, 3), vec![1, 2]);
    }

    #[test]
    fn in_place_keeps_own_lists_and_copies_and_unions_union_lists() {
        let own = snapshot(OperatorStateMode::SplitList, &[1, 2]);
        let other = snapshot(OperatorStateMode::SplitList, &[3]);
        let shares = share_in_place(Some(&own), &[own.clone(), other.clone()]).expect("share");
        assert_eq!(shares["s"].1, vec![vec![1], vec![2]]);
        let shares = share_in_place(None, &[own, other]).expect("share");
        assert!(shares.is_empty(), "a subtask that kept nothing gets no split list");

        let own = snapshot(OperatorStateMode::Broadcast, &[1]);
        let other = snapshot(OperatorStateMode::Broadcast, &[2]);
        let shares = share_in_place(Some(&other), &[own, other.clone()]).expect("share");
        assert_eq!(shares["s"].1, vec![vec![2]], "its own copy, not the lowest subtask's");

        let own = snapshot(OperatorStateMode::UnionList, &[1]);
        let other = snapshot(OperatorStateMode::UnionList, &[2, 3]);
        let shares = share_in_place(Some(&own), &[own.clone(), other.clone()]).expect("share");
        assert_eq!(shares["s"].1, vec![vec![1], vec![2], vec![3]]);
        let shares = share_in_place(None, &[own, other]).expect("share");
        assert_eq!(shares["s"].1.len(), 3, "union lists reach a subtask that kept nothing");
    }

    #[test]
    fn modes_must_agree_and_subtasks_fit() {
        let old = [snapshot(OperatorStateMode::UnionList, &[1]), snapshot(OperatorStateMode::SplitList, &[2])];
        assert!(matches!(share_of(&old, 0, 1), Err(StateError::Mismatch { .. })));
        assert!(matches!(share_of(&[], 2, 2), Err(StateError::SubtaskOutOfRange { .. })));
    }
}
