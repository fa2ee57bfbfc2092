"""Atomic writes: whole files or none, and readable by the group as the user's umask allows (co-authors on a
shared server read the results)."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from srdi.atomic import write_bytes, write_csv, write_json, write_parquet, write_text


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_written_files_get_0666_minus_the_umask(tmp_path, umask, mask):
    umask(mask)
    frame = pd.DataFrame({"a": [1, 2]})
    writers = {
        "t.txt": lambda p: write_text(p, "x"),
        "b.bin": lambda p: write_bytes(p, b"x"),
        "j.json": lambda p: write_json(p, {"a": 1}),
        "c.csv": lambda p: write_csv(p, frame),
        "p.parquet": lambda p: write_parquet(p, frame),
    }
    for name, write in writers.items():
        write(tmp_path / name)
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode))


def test_a_failed_write_leaves_no_file_and_no_temporary(tmp_path):
    from srdi.atomic import atomic_path

    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
