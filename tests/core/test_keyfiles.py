"""Key files are written once, private from the first byte, and never rewritten."""

from __future__ import annotations

from shequ.core.keyfiles import read_or_create


def test_it_writes_a_private_file_once_and_then_only_reads_it(tmp_path):
    path = tmp_path / "sub" / "key"
    assert read_or_create(path, lambda: b"first") == b"first"
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_or_create(path, lambda: b"second") == b"first"
    assert [p.name for p in path.parent.iterdir()] == ["key"]  # no temporary file left behind
