use super::*;

fn k(b: u8) -> AccountId {
    [b; 32]
}

#[test]
fn append_replace_clear() {
    let mut ns = Neurons::default();
    ns.append(0, &k(1), 5);
    ns.append(1, &k(2), 6);
    assert_eq!(ns.keys, vec![k(1), k(2)]);
    assert_eq!((ns.uids[&k(1)], ns.uids[&k(2)]), (0, 1));
    assert_eq!(
        (ns.active.clone(), ns.last_update.clone()),
        (vec![true; 2], vec![5, 6])
    );
    assert_eq!((ns.weights.len(), ns.bonds.len(), ns.rank.len()), (2, 2, 2));
    ns.rank[1] = 9;
    ns.active[1] = false;
    ns.set_pruning_score(1, u16::MAX);
    ns.replace(1, &k(2), &k(3), 8);
    assert_eq!(ns.keys, vec![k(1), k(3)]);
    assert_eq!((ns.uids.get(&k(2)), ns.uids[&k(3)]), (None, 1));
    assert_eq!(
        (ns.rank[1], ns.active[1], ns.pruning_scores[1]),
        (9, true, u16::MAX)
    );
    assert_eq!(
        (ns.block_at_registration.clone(), ns.last_update[1]),
        (vec![5, 8], 6)
    );
    ns.clear();
    assert_eq!(
        ns.block_at_registration,
        vec![5, 8],
        "survives remove (§9.4)"
    );
    assert!(ns.keys.is_empty() && ns.uids.is_empty() && ns.weights.is_empty());
    assert!(ns.columns().iter().all(|(_, c)| match c {
        Column::Bool(v) => v.is_empty(),
        Column::U16(v) => v.is_empty(),
        Column::U64(v) => v.is_empty(),
    }));
    // A re-created netuid overwrites the surviving BlockAtRegistration entry.
    ns.append(0, &k(4), 20);
    assert_eq!(ns.block_at_registration, vec![20, 8]);
}

#[test]
fn columns_are_named_for_the_metagraph() {
    let mut ns = Neurons::default();
    ns.append(0, &k(1), 3);
    let names: Vec<&str> = ns.columns().iter().map(|(n, _)| *n).collect();
    assert_eq!(names[..2], ["active", "ranks"]);
    assert_eq!(names.len(), 11);
    assert_eq!(Neurons::FIELDS, 16);
    assert!(ns.columns().contains(&("last_update", Column::U64(&[3]))));
}
