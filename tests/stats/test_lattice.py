"""The asker's reasoning over the lattice, without a database: what can be pinned, and what protect() hides."""

from __future__ import annotations

from shequ.stats.lattice import ALL, HIDDEN, SMALL, Areas, Cell, disclosed, infer, pinned, protect

AREAS = Areas.from_pairs("C", [("C", None), ("C-1", "C"), ("C-2", "C"), ("C-3", "C")])
TRUTH = {Cell("C"): 20, Cell("C-1"): 10, Cell("C-2"): 3, Cell("C-3"): 7}


def truth(cell: Cell) -> int:
    return TRUTH.get(cell, 0)


def test_a_total_and_all_children_but_one_pin_the_last():
    released = {Cell("C"): "20", Cell("C-1"): "10", Cell("C-3"): "7"}
    assert disclosed(released, AREAS, truth) == {Cell("C-2")}


def test_bounds_of_small_cells_pin_them_too():
    # 7 = 5 + <5 + <5: both small cells must be 1.
    released = {Cell("C"): "7", Cell("C-1"): "5", Cell("C-2"): SMALL, Cell("C-3"): SMALL}
    bounds = infer(released, AREAS)
    assert bounds[Cell("C-2")] == (1, 1) and bounds[Cell("C-3")] == (1, 1)


def test_a_hidden_cell_is_known_to_be_at_least_five():
    # 6 = x + <5: x >= 5 leaves exactly 1 for the small cell.
    areas = Areas.from_pairs("C", [("C", None), ("C-1", "C"), ("C-2", "C")])
    released = {Cell("C"): "6", Cell("C-1"): HIDDEN, Cell("C-2"): SMALL}
    assert Cell("C-2") in pinned(infer(released, areas), released)


def test_chains_of_derivations_are_followed():
    # The street total minus one community gives the other community; minus its grid, the small grid.
    areas = Areas.from_pairs("S", [("S", None), ("A", "S"), ("B", "S"), ("A-1", "A"), ("A-2", "A"), ("B-1", "B")])
    values = {Cell("S"): 30, Cell("A"): 12, Cell("B"): 18, Cell("A-1"): 9, Cell("A-2"): 3, Cell("B-1"): 18}
    released = {Cell("S"): "30", Cell("B"): "18", Cell("A-1"): "9"}
    assert disclosed(released, areas, lambda c: values.get(c, 0)) == {Cell("A-2")}


def test_protect_hides_the_smallest_exact_cell_that_closes_the_leak():
    answer = {Cell("C"): 20, Cell("C-1"): 10, Cell("C-2"): 3, Cell("C-3"): 7}
    shown = protect({}, answer, AREAS, truth)
    assert shown == {Cell("C"): "20", Cell("C-1"): "10", Cell("C-2"): SMALL, Cell("C-3"): HIDDEN}
    assert not disclosed(shown, AREAS, truth)


def test_protect_takes_the_ledger_into_account():
    ledger = {Cell("C"): "20", Cell("C-1"): "10"}
    assert protect(ledger, {Cell("C-3"): 7}, AREAS, truth) == {Cell("C-3"): HIDDEN}
    # Nothing to protect when the other cell is not small.
    assert protect({Cell("C"): "20"}, {Cell("C-1"): 10}, AREAS, truth) == {Cell("C-1"): "10"}


def test_age_bands_and_residencies_are_relations_too():
    base = Cell("C", ALL, ALL, ALL)
    bands = {Cell("C", ALL, band, ALL): n for band, n in (("18-34", 7), ("60-79", 3))}
    values = {base: 10, **bands}
    released = {base: "10", Cell("C", ALL, "18-34", ALL): "7", Cell("C", ALL, "0-17", ALL): "0"}
    released |= {Cell("C", ALL, b, ALL): "0" for b in ("35-59", "80+", "unknown")}
    assert disclosed(released, AREAS, lambda c: values.get(c, 0)) == {Cell("C", ALL, "60-79", ALL)}
