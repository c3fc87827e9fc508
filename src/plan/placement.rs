//! Replica placement for replication-factor changes. Pure: current assignment, brokers and their racks
//! in; new assignment out.
//!
//! Rules, in order of importance:
//! 1. minimal movement: an increase keeps every current replica (and the preferred leader, the first
//!    replica); a decrease only removes replicas and keeps the preferred leader;
//! 2. rack spread: a partition's replicas go to as many different `broker.rack`s as there are;
//! 3. balance: among equally good brokers, the one holding the fewest replicas (of the whole cluster,
//!    as counted in `load`) gets the new replica, and the most loaded one loses a removed replica.
//!
//! Ties are broken by broker id, so the result is deterministic.

use std::collections::{BTreeMap, BTreeSet};

/// A broker as placement sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `node.id`.
    pub id: i32,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

/// A partition and its replicas, preferred leader first.
pub type Replicas = (i32, Vec<i32>);

/// Why no placement exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// More replicas asked for than there are brokers.
    #[error("replication factor {wanted} needs {wanted} brokers, and the cluster has {available}")]
    NotEnoughBrokers {
        /// The replication factor asked for.
        wanted: usize,
        /// Brokers available.
        available: usize,
    },
}

/// The new replica list of every partition, for `target` replicas each. `current` is `(partition,
/// replicas)` in partition order; `load` counts the replicas each broker holds now, across the cluster,
/// and is updated as replicas are added and removed.
pub fn place(
    current: &[Replicas],
    target: usize,
    nodes: &[Node],
    load: &mut BTreeMap<i32, usize>,
) -> Result<Vec<Replicas>, PlacementError> {
    if target > nodes.len() || target == 0 {
        return Err(PlacementError::NotEnoughBrokers { wanted: target, available: nodes.len() });
    }
    let rack_of: BTreeMap<i32, Option<&str>> = nodes.iter().map(|n| (n.id, n.rack.as_deref())).collect();
    let mut out = Vec::with_capacity(current.len());
    for (partition, replicas) in current {
        // Replicas on brokers that no longer exist are dropped first.
        let mut replicas: Vec<i32> = replicas.iter().copied().filter(|b| rack_of.contains_key(b)).collect();
        while replicas.len() < target {
            let used_racks: BTreeSet<Option<&str>> = replicas.iter().map(|b| rack_of[b]).collect();
            let best = nodes
                .iter()
                .filter(|n| !replicas.contains(&n.id))
                .min_by_key(|n| {
                    let rack_taken = n.rack.is_some() && used_racks.contains(&n.rack.as_deref());
                    (rack_taken, load.get(&n.id).copied().unwrap_or(0), n.id)
                })
                .expect("target <= brokers");
            replicas.push(best.id);
            *load.entry(best.id).or_default() += 1;
        }
        while replicas.len() > target {
            // Never the preferred leader; first a replica whose rack another replica shares, then
            // the most loaded broker.
            let victim = (1..replicas.len())
                .max_by_key(|&i| {
                    let b = replicas[i];
                    let shared =
                        rack_of[&b].is_some() && replicas.iter().filter(|o| rack_of[o] == rack_of[&b]).count() > 1;
                    (shared, load.get(&b).copied().unwrap_or(0), std::cmp::Reverse(b))
                })
                .expect("more than one replica");
            let b = replicas.remove(victim);
            if let Some(l) = load.get_mut(&b) {
                *l = l.saturating_sub(1);
            }
        }
        out.push((*partition, replicas));
    }
    Ok(out)
}

/// Replica lists for `count` new partitions of `replicas` replicas each: each new partition's
/// preferred leader is the broker leading the fewest partitions (counted in `leaders`), its followers
/// go to other racks and the least loaded brokers. `load` and `leaders` are updated.
pub fn place_new(
    count: usize,
    replicas: usize,
    nodes: &[Node],
    load: &mut BTreeMap<i32, usize>,
    leaders: &mut BTreeMap<i32, usize>,
) -> Result<Vec<Vec<i32>>, PlacementError> {
    if replicas > nodes.len() || replicas == 0 {
        return Err(PlacementError::NotEnoughBrokers { wanted: replicas, available: nodes.len() });
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let leader = nodes
            .iter()
            .min_by_key(|n| (leaders.get(&n.id).copied().unwrap_or(0), load.get(&n.id).copied().unwrap_or(0), n.id))
            .expect("at least one broker")
            .id;
        *leaders.entry(leader).or_default() += 1;
        *load.entry(leader).or_default() += 1;
        let placed = place(&[(0, vec![leader])], replicas, nodes, load)?;
        out.push(placed.into_iter().next().expect("one partition").1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn nodes(racks: &[Option<&str>]) -> Vec<Node> {
        racks.iter().enumerate().map(|(i, r)| Node { id: i as i32 + 1, rack: r.map(String::from) }).collect()
    }

    fn load_of(assignment: &[Replicas]) -> BTreeMap<i32, usize> {
        let mut load = BTreeMap::new();
        for (_, replicas) in assignment {
            for b in replicas {
                *load.entry(*b).or_default() += 1;
            }
        }
        load
    }

    #[test]
    fn examples() {
        let three_racks = nodes(&[Some("a"), Some("b"), Some("c")]);
        let six = nodes(&[Some("a"), Some("a"), Some("b"), Some("b"), Some("c"), Some("c")]);
        type Case<'a> = (&'a str, Vec<Replicas>, usize, &'a [Node], Vec<Replicas>);
        let cases: Vec<Case<'_>> = vec![
            (
                "1 -> 3 on 3 racks",
                vec![(0, vec![2]), (1, vec![3])],
                3,
                &three_racks,
                vec![(0, vec![2, 1, 3]), (1, vec![3, 1, 2])],
            ),
            ("3 -> 2 keeps the leader", vec![(0, vec![3, 1, 2])], 2, &three_racks, vec![(0, vec![3, 2])]),
            ("unchanged", vec![(0, vec![1, 2])], 2, &three_racks, vec![(0, vec![1, 2])]),
            // Brokers 1 and 2 share rack a; the new replica avoids it.
            ("1 -> 2 picks another rack", vec![(0, vec![1])], 2, &six, vec![(0, vec![1, 3])]),
            // Replicas 1 and 2 share rack a; reducing removes one of them, not the one on rack b.
            ("3 -> 2 removes a rack duplicate", vec![(0, vec![1, 2, 3])], 2, &six, vec![(0, vec![1, 3])]),
        ];
        for (name, current, target, nodes, want) in cases {
            let mut load = load_of(&current);
            assert_eq!(place(&current, target, nodes, &mut load).unwrap(), want, "{name}");
        }
        assert_eq!(
            place(&[(0, vec![1])], 4, &three_racks, &mut BTreeMap::new()),
            Err(PlacementError::NotEnoughBrokers { wanted: 4, available: 3 })
        );
    }

    #[test]
    fn new_partitions_spread_leaders_and_racks() {
        let three = nodes(&[Some("a"), Some("b"), Some("c")]);
        // The existing two partitions are led by broker 2: new ones go to 1 and 3 first.
        let mut load = BTreeMap::from([(1, 2), (2, 2), (3, 2)]);
        let mut leaders = BTreeMap::from([(2, 2)]);
        let placed = place_new(4, 3, &three, &mut load, &mut leaders).unwrap();
        let firsts: Vec<i32> = placed.iter().map(|r| r[0]).collect();
        assert_eq!(firsts, [1, 3, 1, 3]);
        assert!(placed.iter().all(|r| r.len() == 3 && r.iter().collect::<BTreeSet<_>>().len() == 3));
        assert_eq!(leaders, BTreeMap::from([(1, 2), (2, 2), (3, 2)]));
    }

    fn cluster() -> impl Strategy<Value = (Vec<Node>, Vec<Replicas>, usize)> {
        (1usize..=6, 1usize..=3, 1usize..=12).prop_flat_map(|(brokers, racks, partitions)| {
            let nodes: Vec<Node> =
                (0..brokers).map(|i| Node { id: i as i32 + 1, rack: Some(format!("r{}", i % racks)) }).collect();
            let rf_now = 1..=brokers;
            let target = 1..=brokers;
            (Just(nodes), rf_now, target, Just(partitions))
                .prop_flat_map(|(nodes, rf_now, target, partitions)| {
                    let ids: Vec<i32> = nodes.iter().map(|n| n.id).collect();
                    let one = Just(ids).prop_shuffle().prop_map(move |ids| ids[..rf_now].to_vec());
                    (Just(nodes), proptest::collection::vec(one, partitions), Just(target))
                })
                .prop_map(|(nodes, parts, target)| {
                    let current = parts.into_iter().enumerate().map(|(i, r)| (i as i32, r)).collect();
                    (nodes, current, target)
                })
        })
    }

    proptest! {
        #[test]
        fn placements_are_valid_minimal_and_spread((nodes, current, target) in cluster()) {
            let mut load = load_of(&current);
            let placed = place(&current, target, &nodes, &mut load).unwrap();
            let racks: BTreeSet<&str> = nodes.iter().filter_map(|n| n.rack.as_deref()).collect();
            for ((p, before), (q, after)) in current.iter().zip(&placed) {
                prop_assert_eq!(p, q);
                prop_assert_eq!(after.len(), target);
                let distinct: BTreeSet<i32> = after.iter().copied().collect();
                prop_assert_eq!(distinct.len(), target, "distinct brokers");
                // Minimal movement: keep all (increase) or keep only old ones (decrease), leader first.
                if target >= before.len() {
                    prop_assert_eq!(&after[..before.len()], &before[..]);
                } else {
                    prop_assert!(after.iter().all(|b| before.contains(b)));
                    prop_assert_eq!(after[0], before[0]);
                }
                // Rack spread on increase: the new replicas add racks while untouched ones remain.
                if target > before.len() {
                    let rack = |b: &i32| nodes.iter().find(|n| n.id == *b).unwrap().rack.clone();
                    let used: BTreeSet<_> = after.iter().map(rack).collect();
                    let before_racks: BTreeSet<_> = before.iter().map(rack).collect();
                    let expected = before_racks.len() + (target - before.len()).min(racks.len() - before_racks.len());
                    prop_assert!(used.len() >= expected.min(racks.len()), "racks used {:?}", used);
                }
            }
            load.retain(|_, n| *n > 0);
            prop_assert_eq!(load, load_of(&placed), "load is kept up to date");
        }
    }
}
