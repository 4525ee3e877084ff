"""The engine stays pure, and a protocol survives a JSON round trip (FHIR PlanDefinition, caches)."""

from __future__ import annotations

import ast
from pathlib import Path

import asalee_track.protocols as engine
from asalee_track.protocols import Protocol, ProtocolSet

ALLOWED_ROOTS = {"pydantic", "yaml", "stdnum", "__future__"}  # stdnum: check digits, pure Python


def test_the_engine_imports_only_stdlib_pydantic_yaml_and_stdnum() -> None:
    import sys

    package_dir = Path(engine.__file__).parent
    for source in package_dir.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: must stay inside the package
                    assert node.level == 1, f"{source.name} reaches outside the package"
                    continue
                roots = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            else:
                continue
            for root in roots:
                assert root in ALLOWED_ROOTS or root in sys.stdlib_module_names, f"{source.name}: {root}"


def _relative_imports(module: str) -> set[str]:
    tree = ast.parse((Path(engine.__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}


def test_durations_stand_alone_so_schema_and_schedule_import_no_loop() -> None:
    # The schema validates durations, the schedule builds on the schema: neither needs the other's import.
    assert _relative_imports("durations") == set()
    assert "schedule" not in _relative_imports("schema")
    assert "durations" in _relative_imports("schema")


def test_json_round_trip(protocol_set: ProtocolSet) -> None:
    for protocol in protocol_set.values():
        dumped = protocol.model_dump(mode="json", exclude_defaults=True)
        assert Protocol.model_validate(dumped) == protocol


def test_public_api_names() -> None:
    for name in (
        "load_protocols",
        "check_paths",
        "summary",
        "evaluate",
        "due_items",
        "read_input",
        "parse_number",
        "to_canonical",
        "from_canonical",
        "InputRefused",
        "ProtocolError",
        "ProtocolLoadError",
        "ProtocolSet",
        "Protocol",
        "Obs",
        "Firing",
        "DueItem",
        "Text",
        "Target",
    ):
        assert hasattr(engine, name), name
