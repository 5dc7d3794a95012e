"""Build hook: compile the ingest hot path (normalizers, row preparation) with mypyc.

The modules in `COMPILED` are plain, strictly typed Python; mypyc turns each into a C
extension that sits beside its `.py` file and is imported in its place (about a fifth
less CPU per prepared row). The `.py` files stay the reference and the fallback:

- `CX360_NO_MYPYC=1` builds a pure-Python package;
- without mypy or a working C compiler the build warns and falls back to pure Python.

Wheels carry the extensions (and get a CPython platform tag). Editable installs
(`pip install -e .`) build them in place, next to the sources: after editing one of these
modules, re-run `pip install -e .` (or install with `CX360_NO_MYPYC=1`, which also removes
the in-place extensions) so that the import does not pick up the stale compiled module.
`python -c "import cx360.ingest._prepare as m; print(m.__file__)"` shows which one runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COMPILED = [
    "cx360/normalize/addresses.py",
    "cx360/normalize/dates.py",
    "cx360/normalize/emails.py",
    "cx360/normalize/handles.py",
    "cx360/normalize/names.py",
    "cx360/normalize/national_ids.py",
    "cx360/normalize/phones.py",
    "cx360/normalize/placeholders.py",
    "cx360/normalize/text.py",
    "cx360/ingest/_prepare.py",
]
# The runtime shared by the compiled modules, kept inside the package (cx360/_native__mypyc).
GROUP = "cx360._native"
# The build environment need not hold cx360's dependencies: no config file (the project's
# strict settings are for `mypy cx360`), unknown imports typed Any, other modules not checked.
MYPY_FLAGS = ["--config-file=", "--ignore-missing-imports", "--follow-imports=silent"]


def _extension_files(root: Path) -> list[Path]:
    """Compiled artefacts that an earlier in-place build may have left in the sources."""
    found = list((root / "cx360").glob("_native__mypyc.*"))
    for module in COMPILED:
        path = root / module
        found += path.parent.glob(path.stem + ".*.so")
        found += path.parent.glob(path.stem + ".*.pyd")
    return found


class MypycBuildHook(BuildHookInterface):
    """Compiles `COMPILED` with mypyc for wheels and editable installs."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        editable = version == "editable"
        if editable:  # never leave a stale in-place build shadowing the sources
            for path in _extension_files(root):
                path.unlink()
        if os.environ.get("CX360_NO_MYPYC", "") not in ("", "0"):
            return
        work = Path(tempfile.mkdtemp(prefix="cx360-mypyc-"))
        try:
            built = self._compile(root, work, inplace=editable)
        except (Exception, SystemExit) as problem:  # mypyc exits on errors: pure Python
            for path in _extension_files(root) if editable else []:
                path.unlink()
            reason = f"{type(problem).__name__}: {str(problem)[:200]}"
            warnings.warn(
                f"cx360: mypyc compilation failed ({reason}); "
                "building pure Python (set CX360_NO_MYPYC=1 to skip the attempt)",
                stacklevel=1,
            )
            shutil.rmtree(work, ignore_errors=True)
            return
        if editable:
            shutil.rmtree(work, ignore_errors=True)
            return
        self._work = work  # removed in finalize()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(work / "lib").as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    def _compile(self, root: Path, work: Path, *, inplace: bool) -> list[Path]:
        from mypyc.build import mypycify
        from setuptools import Distribution

        cwd = Path.cwd()
        os.chdir(root)  # mypyc names modules from paths relative to the working directory
        try:
            extensions = mypycify(
                [*MYPY_FLAGS, *COMPILED],
                group_name=GROUP,
                target_dir=str(work / "c"),
                opt_level="3",
            )
            distribution = Distribution({"name": "cx360-native", "ext_modules": extensions})
            command: Any = distribution.get_command_obj("build_ext")
            command.build_lib = str(work / "lib")
            command.build_temp = str(work / "temp")
            command.inplace = inplace
            command.ensure_finalized()
            command.run()
        finally:
            os.chdir(cwd)
        if inplace:
            return _extension_files(root)
        return sorted(path for path in (work / "lib").rglob("*") if path.is_file())
