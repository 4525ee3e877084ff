"""The layers, as the README draws them: web and the command line on top; fhir beside web, above care
(it maps what care keeps and audits through it); care over the protocol engine, the lab-file parsers
and the store. A package imports only the layers below it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "asalee_track"

# What each part of the application may import of the others (config and i18n are shared by all).
MAY_IMPORT = {
    "web": {"care", "fhir", "protocols", "labs", "store", "config", "i18n"},
    "fhir": {"care", "protocols", "store", "config", "i18n"},
    "care": {"protocols", "labs", "store", "config", "i18n"},
    "labs": {"protocols", "i18n"},
    "store": {"config"},
    "protocols": set(),
    "i18n": {"protocols"},
    "config": set(),
}


def _imported_parts(source: Path) -> set[str]:
    parts = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "asalee_track" and len(pieces) > 1 and pieces[1] in MAY_IMPORT:
                parts.add(pieces[1])
    return parts


def _part_of(source: Path) -> str:
    relative = source.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


@pytest.mark.parametrize("part", sorted(MAY_IMPORT))
def test_each_part_imports_only_the_layers_below_it(part: str) -> None:
    sources = (
        [PACKAGE / f"{part}.py"] if (PACKAGE / f"{part}.py").exists() else (PACKAGE / part).rglob("*.py")
    )
    breaches = [
        f"{source.relative_to(PACKAGE.parent)} imports {other}"
        for source in sources
        if "migrations" not in source.parts
        for other in sorted(_imported_parts(source) - MAY_IMPORT[part] - {_part_of(source)})
    ]
    assert breaches == []
