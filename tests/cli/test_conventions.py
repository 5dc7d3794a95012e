"""What every command does alike: --version, -v/-q, --json, exit statuses, closed pipes,
stores that do not exist, `status`, and a fast `--help`.

Through the real `cx360` command (a subprocess) where the process matters (logging, pipes,
start-up time), else through `main()`; on real stores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import cx360
from cx360.cli import main
from cx360.cli._args import STORE_ENV_VAR
from cx360.store import STORE_ENV_VAR as STORE_ENV_VAR_OF_THE_STORE
from cx360.store import Store
from cx360.store._schema import record_customers

_SCRIPT = Path(sys.executable).with_name("cx360")
_COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cx360"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != STORE_ENV_VAR}


def cx360_command(
    *argv: str, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the installed `cx360` command."""
    return subprocess.run(
        [*_COMMAND, *argv], capture_output=True, text=True, cwd=cwd, env=_env(), check=check
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite store of 800 generated records and their interactions, resolved by the
    command (its stderr kept: the first training is where Splink warns)."""
    tmp = tmp_path_factory.mktemp("conventions")
    url = f"sqlite:///{tmp / 'c.db'}"
    cx360_command("generate", "--records", "800", "--seed", "3", "--out", str(tmp), check=True)
    records, interactions = str(tmp / "records.csv"), str(tmp / "interactions.csv")
    cx360_command("ingest", records, "--interactions", interactions, "--store", url, check=True)
    resolve = cx360_command("resolve", "--store", url, "--no-progress", check=True)
    with cx360.connect(url) as hub:
        customer = hub.top_customers(limit=1)[0]
        record = hub.profile(customer_id=customer.customer_id).profile
    assert record is not None
    return {
        "url": url,
        "dir": str(tmp),
        "resolve_stderr": resolve.stderr,
        "customer": customer.customer_id,
        "record": str(record.records[0]),
    }


# -- --version, --help ----------------------------------------------------------------------


def test_version() -> None:
    done = cx360_command("--version")
    assert (done.returncode, done.stdout) == (0, f"cx360 {cx360.__version__}\n")


# What `cx360 --help` may import: the standard library and cx360's own light modules. Its
# speed (under 0.3 s) is measured by benchmarks/cli_speed.py; here, what makes it fast.
_HEAVY = {"splink", "duckdb", "sqlalchemy", "pydantic", "pyarrow", "pandas", "numpy",
          "phonenumbers", "email_validator", "psycopg", "pyspark", "alembic"}  # fmt: skip


def test_help_imports_nothing_heavy_and_lists_every_command() -> None:
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cx360", "--help"],
        capture_output=True, text=True, check=True, env=_env(),
    )  # fmt: skip
    imported = {line.split("|")[-1].strip().split(".")[0] for line in traced.stderr.splitlines()}
    assert "cx360" in imported
    assert imported & _HEAVY == set()
    done = cx360_command("--help", check=True)
    for command in ("ingest", "resolve", "status", "report", "profile", "quarantine", "export"):
        assert command in done.stdout
    assert "exit status" in done.stdout


def test_the_store_setting_is_the_stores() -> None:
    assert STORE_ENV_VAR == STORE_ENV_VAR_OF_THE_STORE


# -- -v / -q, and whose warnings are shown --------------------------------------------------


def test_verbose_and_quiet_anywhere_on_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("source,source_record_id,email\nweb,1,ana.test@example.com\n", "utf-8")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    plain = cx360_command("ingest", str(path), "--store", url)
    before = cx360_command("-v", "ingest", str(path), "--store", url)
    after = cx360_command("ingest", str(path), "--store", url, "--verbose")
    quiet = cx360_command("ingest", "-q", str(path), "--store", url)
    assert [p.returncode for p in (plain, before, after, quiet)] == [0, 0, 0, 0]
    assert "cx360.ingest INFO ingested 1 records" not in plain.stderr
    assert "cx360.ingest INFO ingested 1 records" in before.stderr
    assert "cx360.ingest INFO ingested 1 records" in after.stderr
    assert quiet.stderr == ""
    assert "records: 1 rows" in quiet.stdout  # quiet silences logs, not the answer
    both = cx360_command("status", "-v", "-q", "--store", url)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_third_party_warnings_only_with_verbose(resolved: dict[str, str], tmp_path: Path) -> None:
    assert "splink" not in resolved["resolve_stderr"]
    assert "WARNING" not in resolved["resolve_stderr"]
    # a small store of its own: Splink warns while training whatever the store's size
    cx360_command("generate", "--records", "150", "--seed", "3", "--out", str(tmp_path), check=True)
    url = f"sqlite:///{tmp_path / 'small.db'}"
    cx360_command("ingest", str(tmp_path / "records.csv"), "--store", url, check=True)
    argv = ["resolve", "--retrain", "--no-progress", "--store", url]
    verbose = cx360_command("-v", *argv, check=True)
    assert "splink" not in verbose.stderr
    # Splink's messages are cx360's debug records
    debugging = cx360_command("-vv", *argv, check=True)
    assert "cx360.resolve.splink DEBUG WARNING" in debugging.stderr


# -- --json is output -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["report"],
        ["profile", "--customer-id", "{customer}"],
        ["context", "--customer-id", "{customer}"],
        ["explain", "{record}"],
        ["override", "list"],
        ["resolve"],
    ],
    ids=lambda argv: argv[0] if argv[0] != "override" else "override-list",
)
def test_json_means_json_output(
    resolved: dict[str, str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [word.format(**resolved) for word in argv]
    capsys.readouterr()
    assert main([*filled, "--store", resolved["url"], "--json"]) == 0
    json.loads(capsys.readouterr().out)


def test_json_takes_no_value(resolved: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    record = json.dumps({"source": "web", "source_record_id": "j-1", "email": "x.y@example.com"})
    with pytest.raises(SystemExit) as usage:
        main(["resolve-record", "--json", record, "--store", resolved["url"]])
    assert usage.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


# -- exit statuses --------------------------------------------------------------------------

_EVERY_COMMAND = [
    ["ingest"],
    ["generate", "--out", "x"],
    ["demo"],
    ["resolve"],
    ["resolve-record"],
    ["status"],
    ["export", "--out", "x.csv"],
    ["explain", "web:1"],
    ["report"],
    ["profile", "--email", "a@b.co"],
    ["context", "--email", "a@b.co"],
    ["quarantine"],
    ["override", "link", "web:1", "web:2", "--reason", "r"],
    ["override", "separate", "web:1", "web:2", "--reason", "r"],
    ["override", "revoke", "1", "--reason", "r"],
    ["override", "list"],
]


@pytest.mark.parametrize("argv", _EVERY_COMMAND, ids=lambda argv: "-".join(argv[:2]))
def test_an_unknown_option_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main([*argv, "--no-such-option"])
    assert usage.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ingest"], "cx360 ingest: error: give a records file"),
        (["ingest", "r.csv", "--source-country", "whatsapp"], "wants SOURCE=CC"),
        (["resolve", "--spark-master", "local[1]"], "need --engine spark"),
        (["resolve", "--engine", "spark", "--spark-conf", "novalue"], "wants KEY=VALUE"),
    ],
)
def test_usage_errors_the_parser_cannot_see_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    Store.open(url).close()
    assert main([*argv, "--store", url]) == 2
    assert message in capsys.readouterr().err


def test_work_that_fails_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store.open(url)
    with store.transaction() as conn:  # a store a newer cx360 wrote
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    store.close()
    assert main(["resolve", "--store", url, "--no-progress"]) == 1
    assert "unknown to this cx360" in capsys.readouterr().err


# -- a closed pipe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["--help"], ["status"], ["report"], ["profile", "--customer-id", "{customer}"]]
)
def test_a_closed_pipe_ends_quietly(resolved: dict[str, str], argv: list[str]) -> None:
    filled = [word.format(**resolved) for word in argv]
    store = [] if argv == ["--help"] else ["--store", resolved["url"]]
    reader_gone = subprocess.Popen(
        [*_COMMAND, *filled, *store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()  # as `head` does when it has read enough
    err = reader_gone.stderr.read()
    status = reader_gone.wait()
    assert err == ""
    assert status in (0, 141)


def test_piped_into_head(resolved: dict[str, str]) -> None:
    done = subprocess.run(
        f"{' '.join(_COMMAND)} report --store '{resolved['url']}' | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert done.stdout.startswith("CX report")
    assert done.stderr == ""


# -- stores that do not exist ---------------------------------------------------------------

_READING = [
    ["status"],
    ["report"],
    ["profile", "--email", "ana.test@example.com"],
    ["context", "--customer-id", "cus_x"],
    ["explain", "web:1"],
    ["export", "--out", "{dir}/out.csv"],
    ["quarantine"],
    ["override", "list"],
    ["override", "link", "web:1", "web:2", "--reason", "r", "--by", "s"],
    ["resolve"],
]


@pytest.mark.parametrize("argv", _READING, ids=lambda argv: "-".join(argv[:2]))
def test_a_missing_store_is_refused_not_created(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "custmers.db"
    filled = [word.format(dir=tmp_path) for word in argv]
    assert main([*filled, "--store", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"no store at sqlite:///{missing}: the file does not exist" in err
    assert not missing.exists() and not missing.parent.exists()
    assert not (tmp_path / "out.csv").exists()


def test_a_file_without_the_schema_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["status", "--store", str(empty)]) == 2
    assert "holds no cx360 schema" in capsys.readouterr().err
    assert empty.stat().st_size == 0


@pytest.mark.postgres
def test_a_postgresql_schema_without_the_store_is_refused(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--store", postgres_url]) == 2
    err = capsys.readouterr().err
    assert "holds no cx360 schema" in err
    assert ":***@" in err  # the password is not shown
    assert main(["status", "--store", postgres_url]) == 2  # still nothing created


# -- channels and status --------------------------------------------------------------------


def test_an_unknown_channel_is_refused_with_the_known_ones(
    resolved: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--channel", "whatsap", "--store", resolved["url"]]) == 2
    err = capsys.readouterr().err
    assert "unknown channel 'whatsap'" in err
    assert "whatsapp" in err and "call_center" in err
    assert main(["report", "--channel", "whatsapp", "--store", resolved["url"]]) == 0


def _status(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["status", "--store", url, "--json"]) == 0
    found: dict[str, object] = json.loads(capsys.readouterr().out)
    return found


def test_status_of_a_resolved_store(
    resolved: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = _status(resolved["url"], capsys)
    store = Store.open(resolved["url"])
    with store.connection() as conn:
        customers = conn.execute(
            select(func.count(func.distinct(record_customers.c.customer_id)))
        ).scalar_one()
    assert status["records"] == store.count_records() > 0
    assert status["quarantined"] == store.count_quarantined()
    assert status["interactions"] == store.count_rows("interactions") > 0
    assert status["customers"] == customers > 0
    assert status["unresolved_records"] == 0
    assert status["schema_version"] == store.revision
    assert status["backend"] == "sqlite"
    store.close()
    run = status["last_run"]
    assert isinstance(run, dict) and run["status"] == "done"
    assert run["matching_model"]["kind"] == "splink"
    assert run["matching_model"]["trained_on"] > 0

    assert main(["status", "--store", resolved["url"]]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"store        {resolved['url']} (sqlite, schema {store.revision})")
    assert f"customers    {customers:,}" in text
    assert "; matching model #" in text


def test_status_before_any_run(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with cx360.connect(store_url) as hub:
        hub.ingest(
            records=[
                {"source": "web", "source_record_id": "1", "email": "ana.test@example.com"},
                {"source": "web", "source_record_id": "", "email": "luis.test@example.com"},
            ]
        )
    status = _status(store_url, capsys)
    assert (status["records"], status["customers"], status["unresolved_records"]) == (1, 0, 1)
    assert (status["quarantined"], status["last_run"]) == (1, None)
    assert main(["status", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "last run     none yet (cx360 resolve)" in out
    assert ":***@" in out or store_url.startswith("sqlite")
