"""Identity resolution over the base: blocking keys, automatic merges and the review queue, the import hook, the
command, and the review pages (scope, merge with confirmation, not the same person, undo)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import given

from shequ.registry import actions, merging, resolution, reviewing, unmerging
from shequ.registry.actions import MANUAL
from shequ.registry.importing import import_file
from shequ.registry.matching import MERGE_THRESHOLD, REVIEW_THRESHOLD, Decision, could_match, score
from shequ.registry.models import (
    BlockingKey,
    Change,
    LedgerSource,
    MatchCandidate,
    Merge,
    Person,
    Residence,
)

from .conftest import dwelling_in
from .ids import make_id
from .test_matching import partial_candidates

BORN = date(1980, 5, 3)
ZHANG_ID = make_id(BORN, seq=231)
PASSWORD = "pass-word-123"


def person(**fields) -> Person:
    return actions.create_person(by=None, source=MANUAL, **fields)


@pytest.fixture
def base(world):
    """Zhang twice (same person: ID on one, a homophone name on the other), Chen twice (a birth year apart: maybe),
    Wang once (nobody else)."""
    return {
        "zhang": person(name="张晓明", id_number=ZHANG_ID, phone="13800138000"),
        "zhang_again": person(name="章小明", birth_date=BORN, phone="13800138000"),
        "chen": person(name="陈静", birth_date=date(1960, 2, 2), phone="13700137000"),
        "chen_maybe": person(name="陈静", birth_date=date(1961, 2, 2), phone="13700137000"),
        "wang": person(name="王强", birth_date=date(1975, 1, 20), phone="13600136000"),
    }


@given(partial_candidates, partial_candidates)
def test_it_skips_only_pairs_that_would_score_different(a, b):
    if not could_match(a, b):
        assert score(a, b).decision == Decision.DIFFERENT


def test_it_merges_above_the_threshold_and_queues_between_them(base):
    report = resolution.resolve_identities()
    assert (report.compared, report.merged, report.queued) == (2, 1, 1)
    assert report.keyed == 5 and report.seconds >= 0
    merge = Merge.objects.get()
    assert (merge.kept, merge.merged, merge.automatic) == (base["zhang"], base["zhang_again"], True)
    assert merge.candidate.status == "merged" and merge.candidate.score >= MERGE_THRESHOLD
    queued = MatchCandidate.objects.get(status="pending")
    assert (queued.first, queued.second) == (base["chen"], base["chen_maybe"])
    assert REVIEW_THRESHOLD <= queued.score < MERGE_THRESHOLD
    assert {r["code"] for r in queued.reasons} >= {"name_exact", "birth_typo", "phone_exact"}
    # The automatic merge's Change rows carry the run as their source.
    moved = Change.objects.filter(record_type="person", record_id=base["zhang_again"].pk, field="merged_into").get()
    assert (moved.source_kind, moved.source_ref.startswith("resolve_identities@")) == ("resolution", True)


def test_it_changes_nothing_when_run_again(base):
    resolution.resolve_identities()
    state = (Change.objects.count(), MatchCandidate.objects.count(), Merge.objects.count())
    again = resolution.resolve_identities()
    assert (again.compared, again.merged, again.queued) == (0, 0, 0)
    assert (Change.objects.count(), MatchCandidate.objects.count(), Merge.objects.count()) == state


def test_it_never_proposes_a_pair_marked_distinct_again(base, world):
    resolution.resolve_identities()
    pending = MatchCandidate.objects.get(status="pending")
    reviewing.mark_distinct(pending, by=world.community_staff)
    # Edited since: its keys are recomputed, the pair found again, and still not proposed.
    actions.update_person(base["chen_maybe"], by=None, source=MANUAL, hukou_address="福田区")
    again = resolution.resolve_identities()
    # Re-keyed: the edited record and the record kept by the first run's merge.
    assert (again.keyed, again.queued, again.merged) == (2, 0, 0)
    assert list(MatchCandidate.objects.values_list("status", flat=True).order_by("status")) == ["distinct", "merged"]


def test_it_keeps_an_undone_automatic_merge_for_a_person_to_decide(base):
    resolution.resolve_identities()
    unmerging.unmerge(Merge.objects.get(), by=None)
    again = resolution.resolve_identities()
    assert again.merged == 0
    assert MatchCandidate.objects.filter(status="pending").count() == 2  # the undone pair is back in the queue


def test_it_resolves_only_the_people_given(base):
    report = resolution.resolve_identities(people=[base["wang"], base["chen"]])
    assert (report.compared, report.merged, report.queued) == (1, 0, 1)
    assert Merge.objects.count() == 0


def test_it_keys_people_by_sound_and_date_and_drops_merged_records(base):
    resolution.refresh_keys()
    keys = set(BlockingKey.objects.filter(person=base["zhang_again"]).values_list("key", flat=True))
    assert keys == {"h:zanxiaomin:1980", "m:zanxiaomin:0503", "i:zxm:19800503", "s:zan:19800503", "t:00138000"}
    assert resolution.refresh_keys() == 0  # nothing stale
    merging.merge(base["zhang"], base["zhang_again"], by=None)
    assert not BlockingKey.objects.filter(person=base["zhang_again"]).exists()
    assert resolution.refresh_keys() == 1  # the kept record changed


def test_it_runs_as_a_command_with_a_progress_line(base, capsys):
    call_command("resolve_identities")
    captured = capsys.readouterr()
    assert "1" in captured.out and "合并" in captured.out and "待审核" in captured.out
    assert "%" in captured.err
    assert Merge.objects.count() == 1


# --- the import hook ---------------------------------------------------------------------------------------

HEADERS = ["姓名", "出生日期", "联系电话", "户籍地址"]


def ledger(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    return path


def test_it_resolves_rows_without_an_id_number_against_the_base_on_import(base, tmp_path):
    source = LedgerSource.objects.create(name="民政台账")
    path = ledger(
        tmp_path / "people.csv",
        [
            ["张小明", "1980-05-03", "13800138000", "深圳市南山区"],  # the same person as 张晓明 (ID holder)
            ["陈静", "1960-02-03", "13700137000", ""],  # maybe the 陈静 born 1960-02-02 (review)
            ["刘洋", "1990-01-01", "13500135000", ""],  # nobody
        ],
    )
    preview = import_file(path, source=source, by=None, dry_run=True)
    assert (preview.merged, preview.queued, preview.created) == (1, 1, 2)
    assert (Person.objects.count(), MatchCandidate.objects.count()) == (5, 0)
    report = import_file(path, source=source, by=None, dry_run=False)
    assert (report.merged, report.queued, report.created, report.rejected) == (1, 1, 2, 0)
    zhang = Person.objects.get(pk=base["zhang"].pk)
    # Merged into the record holding the ID number: empty fields filled, its own name kept.
    assert (zhang.name, zhang.hukou_address) == ("张晓明", "深圳市南山区")
    new_chen = Person.objects.get(name="陈静", birth_date=date(1960, 2, 3))
    pairs = set(MatchCandidate.objects.values_list("first", "second", "source_kind", "source_ref"))
    batch = str(report.batch.pk)
    assert pairs == {(base["chen"].pk, new_chen.pk, "import", batch)}
    before = (
        tuple(Person.objects.order_by("pk").values_list(*Person.TRACKED)),
        Change.objects.count(),
        MatchCandidate.objects.count(),
    )
    again = import_file(path, source=source, by=None, dry_run=False)
    assert (again.created, again.updated, again.merged, again.queued, again.unchanged) == (0, 0, 0, 0, 3)
    after = (
        tuple(Person.objects.order_by("pk").values_list(*Person.TRACKED)),
        Change.objects.count(),
        MatchCandidate.objects.count(),
    )
    assert after == before


def test_it_follows_a_merged_record_to_the_kept_one_on_import(base, tmp_path):
    source = LedgerSource.objects.create(name="卫健台账")
    path = ledger(tmp_path / "again.csv", [["章小明", "1980-05-03", "13800138000", "罗湖区"]])
    merging.merge(base["zhang"], base["zhang_again"], by=None)
    report = import_file(path, source=source, by=None, dry_run=False)
    assert (report.created, report.merged, report.queued) == (0, 1, 0)
    zhang = Person.objects.get(pk=base["zhang"].pk)
    assert (zhang.name, zhang.hukou_address) == ("张晓明", "罗湖区")


# --- pages -----------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def pair_in_g1(world):
    home = dwelling_in(world.g1, room="501", floor=5)
    a = person(name="陈静", birth_date=date(1960, 2, 2), phone="13700137000", hukou_address="福田区")
    b = person(name="陈静", birth_date=date(1961, 2, 2), phone="13700137000")
    for p in (a, b):
        actions.move_in(p, home, role="family", since=date(2020, 1, 1), by=None, source=MANUAL)
    resolution.resolve_identities()
    return a, b, MatchCandidate.objects.get(status="pending")


def test_it_lists_the_queue_for_community_staff_with_chinese_reasons(world, pair_in_g1):
    response = client_for(world.community_staff).get("/registry/review/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-total="1"' in page and "姓名完全相同" in page and "联系电话相同" in page
    outsider = client_for(world.community_staff_c3).get("/registry/review/").content.decode()
    assert 'data-total="0"' in outsider and "没有" in outsider


def test_it_hides_pairs_and_merges_from_outsiders_and_refuses_grid_workers(world, pair_in_g1):
    _a, _b, candidate = pair_in_g1
    outsider = client_for(world.community_staff_c3)
    assert outsider.get(f"/registry/review/{candidate.pk}/").status_code == 404
    assert outsider.post(f"/registry/review/{candidate.pk}/merge/", {"confirmed": "1"}).status_code == 404
    assert outsider.post(f"/registry/review/{candidate.pk}/distinct/").status_code == 404
    assert client_for(world.grid_worker).get("/registry/review/").status_code == 403
    assert Client().get("/registry/review/").status_code == 302
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "pending"


def test_it_merges_from_the_comparison_after_a_confirmation(world, pair_in_g1):
    a, b, candidate = pair_in_g1
    client = client_for(world.community_staff)
    compare = client.get(f"/registry/review/{candidate.pk}/").content.decode()
    assert 'name="choice_birth_date"' in compare and 'name="choice_name"' not in compare  # names are equal
    choice = {"keep": "first", "choice_birth_date": "second"}
    confirm = client.post(f"/registry/review/{candidate.pk}/merge/", choice)
    assert confirm.status_code == 200 and "1961-02-02" in confirm.content.decode()
    assert Merge.objects.count() == 0  # nothing merged before the confirmation
    done = client.post(f"/registry/review/{candidate.pk}/merge/", {**choice, "confirmed": "1"}, follow=True)
    assert done.status_code == 200 and "已合并" in done.content.decode()
    merge = Merge.objects.get()
    a.refresh_from_db()
    assert (merge.kept, merge.merged, merge.by, a.birth_date) == (a, b, world.community_staff, date(1961, 2, 2))
    assert Residence.objects.filter(person=b, end__isnull=True).count() == 0
    listed = client.get("/registry/merges/").content.decode()
    assert f'data-merge="{merge.pk}"' in listed and 'data-submit="unmerge"' in listed
    assert client_for(world.community_staff_c3).post(f"/registry/merges/{merge.pk}/unmerge/").status_code == 404
    undone = client.post(f"/registry/merges/{merge.pk}/unmerge/", follow=True)
    assert undone.status_code == 200 and "data-undone" in undone.content.decode()
    a.refresh_from_db()
    assert a.birth_date == date(1960, 2, 2)


def test_it_marks_a_pair_as_two_people_from_the_page(world, pair_in_g1):
    _a, _b, candidate = pair_in_g1
    client = client_for(world.street_dispatcher)
    response = client.post(f"/registry/review/{candidate.pk}/distinct/", follow=True)
    assert response.status_code == 200
    assert MatchCandidate.objects.get(pk=candidate.pk).status == "distinct"
    assert 'data-total="0"' in response.content.decode()


def test_it_shows_why_an_unmerge_is_refused(world, pair_in_g1):
    a, b, candidate = pair_in_g1
    merge = merging.merge(a, b, by=None, candidate=candidate)
    actions.update_person(a, by=None, source=MANUAL, phone="13900139000")
    response = client_for(world.community_staff).post(f"/registry/merges/{merge.pk}/unmerge/", follow=True)
    assert "无法撤销" in response.content.decode()
    assert Merge.objects.get().undone_at is None


def test_it_folds_a_chain_of_copies_into_one_record(world):
    copies = [
        person(name=name, birth_date=BORN, phone="13800138000", hukou_address=address)
        for name, address in (("张晓明", "南山区"), ("章小明", ""), ("张小鸣", "南山区"))
    ]
    report = resolution.resolve_identities()
    assert report.merged == 2
    current = Person.objects.current().filter(pk__in=[p.pk for p in copies])
    assert current.count() == 1
    kept = current.get()
    assert set(Person.objects.filter(merged_into=kept).values_list("pk", flat=True)) == {
        p.pk for p in copies if p.pk != kept.pk
    }
    assert Merge.objects.filter(automatic=True).count() == 2


def test_it_pages_the_queue_best_score_first(world):
    people = [person(name=f"林{i}") for i in range(26)]
    for i, other in enumerate(people[1:], 1):
        MatchCandidate.objects.create(first=people[0], second=other, score=0.6 + i / 1000)
    client = client_for(world.admin)
    first = client.get("/registry/review/").content.decode()
    assert 'data-total="25"' in first and 'data-rows="20"' in first
    assert first.index(f'data-candidate="{MatchCandidate.objects.order_by("-score").first().pk}"') < first.index(
        f'data-candidate="{MatchCandidate.objects.order_by("-score")[1].pk}"'
    )
    second = client.get("/registry/review/?page=2").content.decode()
    assert 'data-rows="5"' in second


def test_it_lets_a_row_that_only_resembles_a_person_named_exactly_by_another_row_wait_for_review(world, tmp_path):
    li = person(name="李梅", birth_date=date(1970, 1, 1), phone="13900000000")
    source = LedgerSource.objects.create(name="残联台账")
    path = ledger(
        tmp_path / "both.csv",
        [
            ["李玫", "1970-01-01", "13900000000", "南山区"],  # sounds like 李梅 (same on its own)
            ["李梅", "1970-01-01", "13900000000", ""],  # exactly 李梅
        ],
    )
    report = import_file(path, source=source, by=None, dry_run=False)
    assert (report.rejected, report.merged, report.created, report.queued, report.unchanged) == (0, 0, 1, 1, 1)
    li.refresh_from_db()
    assert li.hukou_address == ""
    assert MatchCandidate.objects.get().first == li
