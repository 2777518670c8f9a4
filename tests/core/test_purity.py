"""core is pure: no imports of the other layers, and `import core` stays light."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import core

CORE_DIR = pathlib.Path(core.__file__).parent


def test_core_imports_nothing_of_ours_outside_core() -> None:
    for path in CORE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"bot", "storage", "telegram", "sqlmodel", "sqlalchemy"}, (
                    path.name,
                    name,
                )


def test_charts_never_use_pyplot() -> None:
    for path in CORE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("pyplot" in n for n in names), (path.name, names)


def test_import_core_is_light() -> None:
    code = (
        "import sys, core; "
        "heavy = [m for m in ('sklearn', 'matplotlib', 'pandas') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=CORE_DIR.parent,
    )
    assert out.stdout.strip() == ""
