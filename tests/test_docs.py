"""Every code block of README.md and docs/*.md runs as written.

Blocks run in order per page, in a temporary folder of the page's own, so that a block
can use what an earlier one made: ```python blocks in a fresh interpreter each,
```bash / ```sh / ```console blocks through bash (`set -euo pipefail`) with this
checkout's `cx360` first on the PATH. README.md starts from its Quickstart's demo store;
the pages of docs/ start from the store README.md leaves (the demo, plus the people of its
walkthrough), which their examples use.

What does not run is said in the page, never decided here, and counted:

- an info string of its own: ```text (output, a formula, a synopsis), ```toml and other
  file contents;
- `<!-- no-run: why -->` just before a block (a pip install, a Spark cluster);
- `<!-- run instead: COMMAND -->`: the block installs and then runs COMMAND's kind of
  thing; the test runs COMMAND (the Quickstart: a smaller demo);
- `<!-- postgres: ... -->`: runs with every `postgresql://` URL in it replaced by a fresh
  schema of `CX360_TEST_POSTGRES_URL` (skipped, and said, when it is not set; CI sets it).

docs/benchmarks.md is left out whole: its commands are the benchmarks themselves (minutes
to hours each), and the page is their output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import fresh_schema

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LEFT_OUT = {"benchmarks.md": "the benchmarks' own commands and figures"}
RUNNABLE = {"python", "bash", "sh", "console"}
NOT_CODE = {"text", "toml", "csv", "json"}
TIMEOUT = 300

_FENCE = re.compile(r"^```(?P<info>[^`\n]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
_MARK = re.compile(r"<!--\s*(?P<kind>no-run|run instead|postgres)\s*:\s*(?P<text>.*?)\s*-->\s*\Z")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    code: str
    mark: str | None  # 'no-run', 'run instead', 'postgres' or None
    mark_text: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    """The fenced blocks of a page, with the mark just before each (if any)."""
    content = path.read_text(encoding="utf-8")
    found = []
    for fence in _FENCE.finditer(content):
        before = content[: fence.start()].rstrip()
        mark = _MARK.search(before[-300:])
        info = fence["info"].split()
        found.append(
            Block(
                page=str(path.relative_to(ROOT)),
                line=content.count("\n", 0, fence.start()) + 1,
                lang=info[0] if info else "",
                code=fence["body"],
                mark=mark["kind"] if mark else None,
                mark_text=mark["text"] if mark else "",
            )
        )
    return found


def _environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CX360_STORE", None)  # the pages' stores are where they say
    # this checkout's `cx360` (the interpreter running the tests has it beside it)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["HOME"] = str(folder)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _shell(code: str, lang: str) -> str:
    if lang != "console":
        return code
    # a console block: the lines after '$ ' are commands, the rest is their output
    return "\n".join(line[2:] for line in code.splitlines() if line.startswith("$ "))


def run_block(block: Block, folder: Path, code: str | None = None) -> str:
    """Run one block in `folder`: its output, or the test fails showing what went wrong."""
    code = block.code if code is None else code
    if block.lang == "python":
        argv = [sys.executable, "-c", code]
    else:
        argv = ["bash", "-c", "set -euo pipefail\n" + _shell(code, block.lang)]
    done = subprocess.run(
        argv,
        cwd=folder,
        env=_environment(folder),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{block.where} ({block.lang}) failed with status {done.returncode}:\n"
            f"--- output\n{done.stdout[-3000:]}\n--- errors\n{done.stderr[-3000:]}",
            pytrace=False,
        )
    return done.stdout


def _postgres_url() -> Iterator[str]:
    """A URL of a fresh schema of the test server (dropped afterwards)."""
    with fresh_schema(os.environ["CX360_TEST_POSTGRES_URL"], "docs") as url:
        yield url


@dataclass
class PageRun:
    ran: int = 0
    not_code: int = 0
    no_run: int = 0
    postgres_skipped: int = 0


def run_page(path: Path, folder: Path) -> PageRun:
    counts = PageRun()
    for block in blocks_of(path):
        if block.lang in NOT_CODE or block.mark == "no-run":
            if block.mark == "no-run":
                counts.no_run += 1
            else:
                counts.not_code += 1
            continue
        assert block.lang in RUNNABLE, (
            f"{block.where}: a block says what it is (```python, ```bash, ```text, ...) "
            f"or is marked <!-- no-run: why -->; got {block.lang!r}"
        )
        if block.mark == "run instead":
            run_block(block, folder, block.mark_text)
        elif block.mark == "postgres":
            if not os.environ.get("CX360_TEST_POSTGRES_URL"):
                counts.postgres_skipped += 1
                continue
            for url in _postgres_url():
                run_block(block, folder, re.sub(r"postgresql://[^\s'\"]+", url, block.code))
        else:
            run_block(block, folder)
        counts.ran += 1
    return counts


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PageRun]:
    """README.md run top to bottom in a folder of its own: the folder and the counts."""
    folder = tmp_path_factory.mktemp("readme")
    return folder, run_page(ROOT / "README.md", folder)


def test_the_readme_runs_top_to_bottom(walkthrough: tuple[Path, PageRun]) -> None:
    folder, counts = walkthrough
    # the Quickstart's demo, the two Python examples and the shell walkthrough all ran
    assert counts.ran >= 5
    assert counts.no_run == 1  # the test command: it is what runs this test
    for made in ("cx360.db", "why.html", "customers.csv", "profiles.jsonl", "sample.db"):
        assert (folder / made).exists(), made


@pytest.mark.parametrize(
    "page", [p for p in PAGES[1:] if p.name not in LEFT_OUT], ids=lambda p: p.name
)
def test_every_example_of_the_docs_runs(
    page: Path, walkthrough: tuple[Path, PageRun], tmp_path: Path
) -> None:
    readme_folder, _ = walkthrough
    shutil.copy(readme_folder / "cx360.db", tmp_path / "cx360.db")
    counts = run_page(page, tmp_path)
    blocks = blocks_of(page)
    assert counts.ran + counts.not_code + counts.no_run + counts.postgres_skipped == len(blocks)


def test_what_does_not_run_is_marked_and_counted() -> None:
    """Every block is run, or marked in its page; the tally, so that none goes unseen."""
    tally: Counter[str] = Counter()
    for page in PAGES:
        for block in blocks_of(page):
            if page.name in LEFT_OUT:
                tally["left out with its page"] += 1
            elif block.lang in NOT_CODE:
                tally[f"```{block.lang}"] += 1
            elif block.mark is not None:
                tally[block.mark] += 1
                assert block.mark_text, f"{block.where}: a mark says why"
            else:
                assert block.lang in RUNNABLE, f"{block.where}: unlabeled block"
                tally["run"] += 1
    assert tally["run"] >= 10
    # the few that do not run, by kind: a change here is a page that stopped being tested
    assert tally["no-run"] <= 4, tally
