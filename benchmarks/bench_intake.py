"""Intelligent intake on the demo district: accuracy on the held-back corpus (top-1/top-3),
classify() latency beside a plain dictionary lookup of the category names in the same run,
address resolution to the right grid, routing end to end, duplicate pairs' precision/recall.

The duplicate weights and threshold (intake/duplicates.py) were fixed by hand before this
benchmark existed and are not tuned on the pairs below.
"""

from __future__ import annotations

import random
import statistics
import time

from figures import Figure, compare


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def _address_forms(b, rng: random.Random) -> list[str]:
    from shequ.intake.numerals import to_int  # noqa: F401  (the forms below are what it must read)

    grid = b.grid
    community = grid.parent
    street = community.parent if community else None
    full = f"{street.name if street else ''}{community.name if community else ''}{b.address}"
    chinese = b.address
    for digit, word in zip("0123456789", "零一二三四五六七八九", strict=True):
        chinese = chinese.replace(f"{digit}栋", f"{word}栋")
    wide = b.address.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    room = f"{b.address}{rng.randint(1, 2)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}"
    return [full, chinese, wide, b.name, room]


def run(backend: str, world, *, seconds: float, seed: int, say) -> tuple[list[Figure], dict]:
    from shequ.events import catalog
    from shequ.events.models import Category
    from shequ.geo.models import Building, Region
    from shequ.intake import address, classifier, duplicates, training, versions
    from shequ.intake.suggest import suggest

    rng = random.Random(seed)
    held = versions.held_back()
    model = classifier.Model.load(classifier.SHIPPED)
    ev = training.evaluate(model, held)
    say(f"intake: held-back top-1 {ev.top1:.3f}, top-3 {ev.top3:.3f} ({ev.n} reports)")

    # latency: classify() against a dictionary lookup of category names, same texts, same run
    names = {c.code: c.name for c in Category.objects.all()}
    texts = [e.text for e in rng.sample(held, min(2000, len(held)))]
    codes = [e.code for e in held[: len(texts)]]
    ours: list[float] = []
    deadline = time.perf_counter() + seconds
    for text in texts:
        t = time.perf_counter()
        classifier.classify(text, 5)
        ours.append(time.perf_counter() - t)
        if time.perf_counter() > deadline:
            break
    base: list[float] = []
    for code in codes[: len(ours)]:
        t = time.perf_counter()
        names.get(code)
        base.append(time.perf_counter() - t)
    median, p99 = _percentiles(ours)
    bmedian, bp99 = _percentiles(base)
    say(f"intake: classify() median {median:.3f} ms, p99 {p99:.3f} ms; dict lookup median {bmedian * 1000:.3f} µs")
    lookup = Figure(backend, "intake", "dict lookup of a category name", len(base), sum(base))
    classify = compare(Figure(backend, "intake", "intake.classify() (top 5)", len(ours), sum(ours)), lookup)

    # addresses of the base, written the ways people write them
    address.forget()
    sample = list(Building.objects.select_related("grid__parent__parent").order_by("?")[:200])
    right = total = unique_right = unique_total = 0
    for b in sample:
        duplicate_address = Building.objects.filter(address=b.address).count() > 1
        for form in _address_forms(b, rng):
            found = address.resolve(form)
            total += 1
            right += found.grid is not None and found.grid.pk == b.grid_id
            if not duplicate_address:
                unique_total += 1
                unique_right += found.grid is not None and found.grid.pk == b.grid_id
    address_rate = right / max(total, 1)
    unique_rate = unique_right / max(unique_total, 1)
    say(
        f"intake: addresses to the right grid {address_rate:.3f} ({total}); where the base's address is unique "
        f"{unique_rate:.3f} ({unique_total})"
    )

    # routing end to end: a held-back report at a building's point -> the unit route() gives for the true category
    leaves = {c.code: c for c in catalog.leaf_categories()}
    routed = routed_total = 0
    for e, b in zip(rng.sample(held, 300), rng.choices(sample, k=300), strict=True):
        s = suggest(text=e.text, lon=b.lon, lat=b.lat)
        community = Region.objects.get(code=b.grid.code[:12])
        want = catalog.route(leaves[e.code], area_code=b.grid.code, desk=community)
        got = s.unit["code"] if s.unit else None
        routed_total += 1
        routed += got == (want.code if want else None)
    routing_rate = routed / routed_total
    say(f"intake: right unit end to end {routing_rate:.3f} ({routed_total})")

    # duplicate pairs: the same incident written differently (<= 40 m) vs look-alikes of other categories nearby
    by_code: dict[str, list[str]] = {}
    for e in held:
        by_code.setdefault(e.code, []).append(e.text)
    confusable = {code: [c for c in by_code if c[:2] == code[:2] and c != code] for code in by_code}
    tp = fp = fn = tn = 0
    for code, items in by_code.items():
        category = leaves[code]
        radius, _hours = duplicates.window_for(category)
        for _ in range(10):
            a, b = rng.sample(items, 2)
            metres = rng.uniform(0, 40)
            same = (
                duplicates.pair_score(
                    text=a, category=category, other_text=b, other_category_id=category.pk, metres=metres, radius=radius
                )
                >= duplicates.THRESHOLD
            )
            tp += same
            fn += not same
            other = rng.choice(confusable[code] or list(by_code))
            c = rng.choice(by_code[other])
            metres = rng.uniform(0, 100)
            flagged = (
                metres <= radius
                and duplicates.pair_score(
                    text=a,
                    category=category,
                    other_text=c,
                    other_category_id=leaves[other].pk,
                    metres=metres,
                    radius=radius,
                )
                >= duplicates.THRESHOLD
            )
            fp += flagged
            tn += not flagged
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    say(f"intake: duplicate pairs precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f} ({tp + fn} + {fp + tn})")
    context = {
        "top1": ev.top1,
        "top3": ev.top3,
        "held_back": ev.n,
        "classify_ms": {"median": round(median, 4), "p99": round(p99, 4)},
        "dict_lookup_us": {"median": round(bmedian * 1000, 4), "p99": round(bp99 * 1000, 4)},
        "address_right_grid": round(address_rate, 4),
        "address_right_grid_unique": round(unique_rate, 4),
        "address_forms": total,
        "routing_right_unit": round(routing_rate, 4),
        "duplicates": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)},
    }
    return [lookup, classify], context
