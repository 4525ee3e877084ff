"""Loader: every error of a file, with file:line:column, and a message that says how to fix it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from asalee_track.protocols import (
    ProtocolError,
    ProtocolLoadError,
    ProtocolSet,
    check_paths,
    check_text,
    load_protocols,
    summary,
)
from asalee_track.protocols.loader import check_file

HERE = Path(__file__).resolve().parent
BROKEN_DIR = HERE / "broken"
PROTOCOLS_DIR = HERE.parents[2] / "protocols"

BROKEN_FILES = sorted(BROKEN_DIR.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (.*)$", re.MULTILINE)


def expected_errors(path: Path) -> list[str]:
    """Each broken file says what the loader must answer, in ``# expect: line:column: message`` lines."""
    return EXPECT.findall(path.read_text(encoding="utf-8"))


def test_the_broken_corpus_is_large_enough() -> None:
    assert len(BROKEN_FILES) >= 20
    assert all(expected_errors(path) for path in BROKEN_FILES), "every broken file states its errors"


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda path: path.stem)
def test_broken_file_reports_exactly_its_errors(path: Path) -> None:
    protocol, errors = check_file(path)

    assert protocol is None
    assert [f"{error.line}:{error.column}: {error.message}" for error in errors] == expected_errors(path)
    for error in errors:
        assert str(error) == f"{error.path}:{error.line}:{error.column}: {error.message}"
        assert error.path.endswith(f"broken/{path.name}")


def test_error_string_matches_the_design_example() -> None:
    error = ProtocolError("protocols/diabete-type-2.yaml", 42, 7, "measure 'hba1c': target max 70 …")
    assert str(error) == "protocols/diabete-type-2.yaml:42:7: measure 'hba1c': target max 70 …"


def test_paths_are_shown_relative_to_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN_DIR.parent)
    _, errors = check_paths([BROKEN_DIR / "target-outside-plausible.yaml"])
    assert str(errors[0]) == (
        "broken/target-outside-plausible.yaml:17:7: measure 'hba1c': target max 70 lies outside "
        "the plausible range 3–20 %; did you mean 7.0?"
    )


def test_load_protocols_raises_with_every_error_of_every_file(tmp_path: Path) -> None:
    for name in ("many-errors.yaml", "unknown-key.yaml"):
        shutil.copy(BROKEN_DIR / name, tmp_path / name)

    with pytest.raises(ProtocolLoadError) as raised:
        load_protocols(tmp_path)

    # 5 + 1 errors, and both files declare the id 'test-protocol'
    assert len(raised.value.errors) == 7
    text = str(raised.value)
    assert text.startswith("7 errors in protocol files:")
    assert "protocol id 'test-protocol' is already defined in " in text
    assert "did you mean 'target'?" in text and "did you mean 7.0?" in text


def test_two_files_with_the_same_protocol_id(tmp_path: Path) -> None:
    source = (PROTOCOLS_DIR / "obesite.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(source, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("# a copy\n" + source, encoding="utf-8")

    protocols, errors = check_paths([tmp_path])

    assert [protocol.id for protocol in protocols] == ["obesite"]
    assert len(errors) == 1
    assert errors[0].path.endswith("b.yaml")
    assert (errors[0].line, errors[0].column) == (6, 1)
    assert errors[0].message.startswith("protocol id 'obesite' is already defined in ")
    assert errors[0].message.endswith("a.yaml")


def test_check_paths_accepts_files_and_directories(tmp_path: Path) -> None:
    one_file = PROTOCOLS_DIR / "obesite.yaml"
    other_dir = tmp_path / "more"
    other_dir.mkdir()
    shutil.copy(PROTOCOLS_DIR / "suivi-cancer.yaml", other_dir / "suivi-cancer.yaml")

    protocols, errors = check_paths([one_file, other_dir])

    assert errors == []
    assert summary(protocols) == "2 protocols valid: obesite 2026.1, suivi-cancer 2026.1"


def test_missing_path_and_empty_directory_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    protocols, errors = check_paths([tmp_path / "nope.yaml", empty])
    assert protocols == []
    assert [error.message for error in errors] == [
        "no such file or directory",
        "no protocol files (*.yaml) here",
    ]


def test_summary_wording() -> None:
    assert summary([]) == "no protocols"


def test_protocol_set_is_a_mapping_by_id(protocol_set: ProtocolSet) -> None:
    assert len(protocol_set) == 7
    assert list(protocol_set) == [
        "bpco-tabac",
        "diabete-type-2",
        "insuffisance-cardiaque",
        "obesite",
        "risque-cardiovasculaire",
        "suivi-cancer",
        "troubles-cognitifs",
    ]
    assert protocol_set.get("obesite") is protocol_set["obesite"]
    assert protocol_set.get("unknown") is None
    assert "suivi-cancer" in protocol_set
    assert [protocol.id for protocol in protocol_set.all()] == list(protocol_set)


def test_check_text_reports_yaml_syntax_with_its_line() -> None:
    protocol, errors = check_text("id: x\nmeasures: [a, b\n", "inline.yaml")
    assert protocol is None
    assert len(errors) == 1
    assert errors[0].path == "inline.yaml"
    assert errors[0].line == 3
    assert errors[0].message.startswith("YAML syntax error: ")


def test_errors_of_a_broken_measure_do_not_hide_its_other_errors() -> None:
    text = (PROTOCOLS_DIR / "diabete-type-2.yaml").read_text(encoding="utf-8")
    text = text.replace("    target: {max: 7.0}", "    target: {max: 70}").replace(
        '    category: laboratory\n    unit: "%"', '    category: labs\n    unit: "%"', 1
    )
    _, errors = check_text(text, "t2d.yaml")
    messages = [error.message for error in errors]
    assert any(
        "category: 'labs'" in message and "did you mean 'laboratory'?" in message for message in messages
    )
    assert any(
        "target max 70 lies outside the plausible range 3–20 %; did you mean 7.0?" in m for m in messages
    )


def test_yaml_one_one_booleans_are_caught() -> None:
    """``en: No`` is a boolean in YAML 1.1: the loader says so instead of storing False as a label."""
    text = (PROTOCOLS_DIR / "obesite.yaml").read_text(encoding="utf-8")
    text = text.replace("label: {fr: Sommeil, en: Sleep}", "label: {fr: Sommeil, en: No}")
    _, errors = check_text(text, "o.yaml")
    assert [error.message for error in errors] == [
        "education topic 'sommeil': label.en: expected text, got false (a boolean); quote it: \"No\""
    ]


def test_same_result_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml only speeds parsing up: positions and messages come out the same without it."""
    from asalee_track.protocols import loader

    with_libyaml = [check_file(path)[1] for path in BROKEN_FILES]
    monkeypatch.setattr(loader, "_FAST_LOADER", None)
    assert [check_file(path)[1] for path in BROKEN_FILES] == with_libyaml
    protocols, errors = check_paths([PROTOCOLS_DIR])
    assert errors == [] and len(protocols) == 7
