from .conftest import assert_error


def test_it_lists_the_category_tree_flat_with_leaf_flags(world, as_):
    resp = as_(world.resident).get("/events/categories")
    assert resp.status_code == 200
    rows = {r["code"]: (r["parent"], r["leaf"], r["default_level"]) for r in resp.json()}
    assert rows == {
        "01": (None, False, None),
        "0101": ("01", True, "general"),
        "0102": ("01", True, "general"),
        "02": (None, False, None),
        "0201": ("02", True, "general"),
    }


def test_it_leaves_inactive_categories_out(world, as_):
    world.graffiti.active = False
    world.graffiti.save()
    codes = [r["code"] for r in as_(world.resident).get("/events/categories").json()]
    assert codes == ["01", "0101", "02", "0201"]


def test_it_lists_levels_by_rank(world, as_):
    resp = as_(world.grid_worker).get("/events/levels")
    assert resp.json() == [
        {"code": "general", "name": "一般", "rank": 1, "default_amount": 5, "default_unit": "days"},
        {"code": "urgent", "name": "紧急", "rank": 2, "default_amount": 4, "default_unit": "hours"},
    ]


def test_it_lists_units_to_staff(world, as_):
    resp = as_(world.street_dispatcher).get("/events/units")
    assert resp.status_code == 200
    assert [(u["code"], u["region"]) for u in resp.json()] == [
        ("D-CG", "440304"),
        ("S1-CG", "440304001"),
        ("C1-HW", "440304001001"),
    ]


def test_it_refuses_the_unit_list_to_residents(world, as_):
    assert_error(as_(world.resident).get("/events/units"), 403, "forbidden")
