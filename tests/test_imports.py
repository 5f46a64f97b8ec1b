"""No import circle in trayapp/, not even one only the type checker follows
(issue 21: the proxy's use case and the actions imported each other).

import-linter (.ci's stage, pyproject.toml) keeps the layers; this keeps any two
modules from needing each other, which the layers allow within one layer."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def circles(package: str) -> list[tuple[str, str]]:
    """Each (module, one it imports) from which an import chain leads back."""
    graph = grimp.build_graph(package)  # TYPE_CHECKING imports included
    return [(a, b) for a in sorted(graph.modules)
            for b in sorted(graph.find_modules_directly_imported_by(a))
            if graph.chain_exists(importer=b, imported=a)]


def test_no_module_imports_itself_through_others() -> None:
    found = circles("trayapp")
    assert not found, "\n".join(f"{a} -> {b} -> ... -> {a}" for a, b in found)


def test_a_circle_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "circled"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from circled import b\n")
    (pkg / "b.py").write_text("from circled import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert circles("circled") == [("circled.a", "circled.b"), ("circled.b", "circled.a")]
