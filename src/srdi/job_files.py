"""Config values handed to jobs through files, not on their command lines.

Every job used to receive the whole config as a JSON shell argument, so the console (and each log) echoed it:
811 lines for one run. The Snakefile now writes each JSON value once, content-addressed under .snakemake/srdi/,
and passes `@<path>` instead; the command line interface reads `@<path>` arguments back (`json_arg`). The path
changes exactly when the content does, so Snakemake's params trigger still reruns the jobs whose values changed,
and two runs with different configs in one folder never overwrite each other's file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from srdi.atomic import write_text

JOB_DIR = Path(".snakemake") / "srdi"


def job_file(value: Any, folder: str | Path = JOB_DIR) -> str:
    """Write `value` as JSON to a file named by its digest (once) and return `@<path>` for a command line."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = Path(folder) / f"{digest}.json"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_text(path, text)
    return f"@{path.as_posix()}"


def json_arg(value: str) -> Any:
    """A JSON command-line value: inline, or `@<path>` of a file holding it (what job_file returns)."""
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: the job's settings file is missing (it is written when the "
                                    "workflow starts; rerun Snakemake)") from None
    return json.loads(value)
