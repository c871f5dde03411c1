//! Where a moved task lands in its column, and the numbering that follows. One rule for both
//! sides: the server applies it in the move's transaction, and the board applies it to its own
//! optimistic moves and to the moves it hears of (whose frames carry only the column's new
//! order), so the two always agree on every card's `order` and `version`.

/// A drop in front of a task that is not in the target column.
#[derive(Debug, PartialEq, Eq)]
pub struct NotInColumn(pub i32);

/// The target column's task ids after placing `id` in front of `before`, or at the end when
/// `before` is `None`. `column` is the column in display order; it holds `id` when the task
/// moves within its own column. Dropping a task on itself leaves it where it is.
pub fn place(column: &[i32], id: i32, before: Option<i32>) -> Result<Vec<i32>, NotInColumn> {
    if before == Some(id) && column.contains(&id) {
        return Ok(column.to_vec());
    }
    let mut placed: Vec<i32> = column
        .iter()
        .copied()
        .filter(|other| *other != id)
        .collect();
    let position = match before {
        None => placed.len(),
        Some(before) if before == id => placed.len(),
        Some(before) => placed
            .iter()
            .position(|other| *other == before)
            .ok_or(NotInColumn(before))?,
    };
    placed.insert(position, id);
    Ok(placed)
}

/// The tasks of a column in its new `order` (as [`place`] returns it) whose `order` changes,
/// with their new one: 0, 1, 2, … down the column. `current` tells a task's `order` now.
/// A renumbered task other than the moved one gets the next `version`, on the server and on
/// every board alike.
pub fn renumbered(order: &[i32], current: impl Fn(i32) -> Option<i16>) -> Vec<(i32, i16)> {
    order
        .iter()
        .enumerate()
        .filter_map(|(index, id)| {
            let index = i16::try_from(index).unwrap_or(i16::MAX);
            (current(*id) != Some(index)).then_some((*id, index))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_lands_in_front_of_the_card_it_was_dropped_on_or_at_the_end() {
        assert_eq!(place(&[1, 2, 3], 9, Some(2)), Ok(vec![1, 9, 2, 3]));
        assert_eq!(place(&[1, 2, 3], 9, None), Ok(vec![1, 2, 3, 9]));
        // Within its own column, up and down.
        assert_eq!(place(&[1, 2, 3], 3, Some(1)), Ok(vec![3, 1, 2]));
        assert_eq!(place(&[1, 2, 3], 1, None), Ok(vec![2, 3, 1]));
        assert_eq!(
            place(&[1, 2, 3], 2, Some(2)),
            Ok(vec![1, 2, 3]),
            "on itself"
        );
        assert_eq!(place(&[1, 2], 9, Some(7)), Err(NotInColumn(7)));
    }

    #[test]
    fn only_tasks_whose_place_changed_are_renumbered() {
        let orders = [(1, 0), (9, 5), (2, 1), (3, 7)];
        let current = |id| orders.iter().find(|(t, _)| *t == id).map(|(_, o)| *o);
        assert_eq!(
            renumbered(&[1, 9, 2, 3], current),
            vec![(9, 1), (2, 2), (3, 3)]
        );
        assert_eq!(renumbered(&[1, 2], |id| Some(id as i16 - 1)), vec![]);
    }
}
