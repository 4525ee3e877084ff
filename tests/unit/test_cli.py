"""The command line: demo data, backups of a live database, audit verification."""

import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asalee_track import PROJECT_ROOT
from asalee_track.cli import app
from asalee_track.config import get_settings

runner = CliRunner()


@pytest.fixture
def sqlite_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI on its own SQLite database, whatever backend the rest of the suite uses."""
    database = tmp_path / "practice.db"
    monkeypatch.setenv("ASALEE_DATABASE_URL", f"sqlite:///{database}")
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def test_demo_prints_logins_and_loads_patients(sqlite_home: Path) -> None:
    result = runner.invoke(app, ["demo", "--patients", "5"])
    assert result.exit_code == 0, result.output
    assert "infirmiere@demo.asalee.fr" in result.output and "admin@demo.asalee.fr" in result.output
    with sqlite3.connect(sqlite_home) as connection:
        assert connection.execute("SELECT count(*) FROM patient").fetchone()[0] == 5
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output


def test_backup_of_a_live_database_is_a_readable_copy(sqlite_home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--patients", "3"]).exit_code == 0
    live = sqlite3.connect(sqlite_home)  # a connection held open, as a running server would
    live.execute("BEGIN")
    live.execute("SELECT count(*) FROM patient").fetchone()
    copy = tmp_path / "backup" / "copy.db"
    result = runner.invoke(app, ["backup", str(copy)])
    live.rollback()
    live.close()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM patient").fetchone()[0] == 3
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_never_overwrites_a_file(sqlite_home: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    existing = tmp_path / "existing.db"
    existing.write_text("keep me")
    result = runner.invoke(app, ["backup", str(existing)])
    assert result.exit_code == 1
    assert existing.read_text() == "keep me"


def test_audit_verify_reports_tampering_with_a_non_zero_exit(sqlite_home: Path) -> None:
    runner.invoke(app, ["demo", "--patients", "2"])
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with sqlite3.connect(sqlite_home) as connection:  # the database itself refuses the change
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE audit_event SET detail = 'nothing to see' WHERE id = 1")
        connection.execute("DROP TRIGGER audit_event_no_update")  # an attacker who knows SQL
        connection.execute("UPDATE audit_event SET detail = 'nothing to see' WHERE id = 1")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "event 1: content does not match its hash" in broken.output


def test_audit_anchor_then_verify_catches_removed_last_events(sqlite_home: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["demo", "--patients", "2"])
    anchors = tmp_path / "anchors.jsonl"
    written = runner.invoke(app, ["audit", "anchor", "--file", str(anchors)])
    assert written.exit_code == 0 and "chain heads appended" in written.output
    assert runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)]).exit_code == 0
    with sqlite3.connect(sqlite_home) as connection:
        connection.execute("DROP TRIGGER audit_event_no_delete")
        chain, count = connection.execute(
            "SELECT chain, count FROM audit_head WHERE count > 1 ORDER BY chain LIMIT 1"
        ).fetchone()
        connection.execute("DELETE FROM audit_event WHERE chain = ? AND seq = ?", (chain, count))
        previous = connection.execute(
            "SELECT hash FROM audit_event WHERE chain = ? AND seq = ?", (chain, count - 1)
        ).fetchone()[0]
        connection.execute(
            "UPDATE audit_head SET count = ?, last_hash = ? WHERE chain = ?", (count - 1, previous, chain)
        )
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0  # consistent without the anchors
    broken = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert broken.exit_code == 1 and "gone" in broken.output


def test_user_add_refuses_a_short_password(sqlite_home: Path) -> None:
    runner.invoke(app, ["demo", "--patients", "1"])
    result = runner.invoke(
        app, ["user", "add", "new@x.fr", "New", "nurse", "--practice", "1", "--password", "short"]
    )
    assert result.exit_code == 1
    assert "password: At least 12 characters." in result.output


def test_protocols_check_accepts_the_shipped_protocols() -> None:
    result = runner.invoke(app, ["protocols", "check", "protocols/"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("7 protocols valid: bpco-tabac 2026.1, diabete-type-2 ")


def test_protocols_check_lists_errors_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: '2026.1'\ntitel: {fr: X, en: X}\n")
    result = runner.invoke(app, ["protocols", "check", str(broken)])
    assert result.exit_code == 1
    assert "broken.yaml:3:1: unknown key 'titel'" in result.output


def test_serve_refuses_to_start_on_a_broken_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.yaml").write_text("id: x\nversion: '2026.1'\ntitel: {fr: X, en: X}\n")
    monkeypatch.setenv("ASALEE_PROTOCOLS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "x.yaml:3:1: unknown key 'titel'" in result.output


def test_practice_add_then_user_add_in_it(sqlite_home: Path) -> None:
    created = runner.invoke(app, ["practice", "add", "Cabinet des Lilas", "--finess", "750012345"])
    assert created.exit_code == 0 and created.output.strip() == "practice 1 created: Cabinet des Lilas"
    user = runner.invoke(
        app,
        ["user", "add", "n@lilas.fr", "Nina", "nurse", "--practice", "1", "--password", "une longue phrase"],
    )
    assert user.exit_code == 0, user.output
    refused = runner.invoke(app, ["practice", "add", "X", "--finess", "12"])
    assert refused.exit_code == 1 and "finess" in refused.output


def test_db_upgrade_names_the_migrations_it_ran_then_says_already_up_to_date(sqlite_home: Path) -> None:
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "migration(s) applied:" in first.output
    assert "  0001: Practices, users, memberships" in first.output
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and again.output.strip() == "database already up to date: nothing to do"


def test_demo_says_what_it_is_doing_while_it_loads(sqlite_home: Path) -> None:
    result = runner.invoke(app, ["demo", "--patients", "10"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("loading the demo practice (10 patients")
    assert "  patients and their follow-up: 10/10" in lines
    assert any(line.startswith("demo loaded in ") for line in lines)


def test_make_run_serves_on_the_port_given() -> None:
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8080"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "asalee-track serve --host 127.0.0.1 --port 8080" in plan
    assert "serving on http://127.0.0.1:8080" in plan
