"""An import-linter contract type of our own: what a layer may not spell.

import-linter's contracts see imports only; issue 21 also asks that the use
cases never name a D-Bus member or error, nor read /sys and /proc: those
are the adapters' business.  ``NoWordsContract`` reads each module of its
``source_modules`` (the modules import-linter found under them) and fails on
every string literal, outside docstrings, that is one of ``forbidden_words``
or starts with one of ``forbidden_prefixes``.  An f-string's literal parts
count too, so ``f"/proc/{pid}/stat"`` is caught.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class NoWordsContract(Contract):
    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_words = fields.ListField(subfield=fields.StringField())
    forbidden_prefixes = fields.ListField(subfield=fields.StringField(), required=False,
                                          default=[])

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        words = set(self.forbidden_words)
        prefixes = tuple(self.forbidden_prefixes)
        found: list[str] = []
        for top in self.source_modules:
            names = {top.name} | graph.find_descendants(top.name)
            for name in sorted(names):
                path = _file_of(name)
                if path is None:
                    continue
                for line, text in literals(path.read_text()):
                    if text in words or (prefixes and text.startswith(prefixes)):
                        found.append(f"{name}:{line}: {text!r}")
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["found"]:
            output.print_error(line, bold=False)
        output.new_line()


def _file_of(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def literals(source: str) -> list[tuple[int, str]]:
    """Every string constant in ``source`` with its line, docstrings left out."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]
