"""The size limits ARCHITECTURE.md gives: no module in trayapp/ over 300 lines,
no class over 200, no function over 60 (issue 21: rooms that fit what they hold).

Counted from the source as written (docstrings and comments included), so a
room that grows past its limit is split rather than squeezed."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "trayapp"
LIMITS = {"module": 300, "class": 200, "function": 60}


def sizes(path: Path) -> list[tuple[str, str, int]]:
    """(kind, name, lines) of the module and of every class and function in it."""
    source = path.read_text(encoding="utf-8")
    found = [("module", path.name, len(source.splitlines()))]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            kind = "class"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kind = "function"
        else:
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        assert node.end_lineno is not None
        found.append((kind, f"{path.name}:{node.name}", node.end_lineno - first + 1))
    return found


def test_the_counting_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(70))
    long = tmp_path / "long.py"
    long.write_text(f"class C:\n    @staticmethod\n    def f():\n{body}\n", encoding="utf-8")
    assert set(sizes(long)) == {("module", "long.py", 73), ("class", "long.py:C", 73),
                                ("function", "long.py:f", 72)}


def test_no_room_is_over_its_limit() -> None:
    over = [
        f"{kind} {path.relative_to(PACKAGE.parent)} {name}: {lines} lines (limit {LIMITS[kind]})"
        for path in sorted(PACKAGE.rglob("*.py"))
        for kind, name, lines in sizes(path)
        if lines > LIMITS[kind]
    ]
    assert not over, "\n".join(over)
