"""media/ talks to signaling only over the wire (DESIGN.md): it never imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import media


def test_media_never_imports_signaling() -> None:
    root = Path(media.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "signaling" or n.startswith("signaling.") for n in names), path
