"""Fixtures of the protocol engine tests: the shipped protocols, loaded once per session. The engine is
pure: these tests touch no database (the suite's clean-up after each test is switched off here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asalee_track.protocols import Protocol, ProtocolSet, load_protocols

ROOT = Path(__file__).resolve().parents[3]
PROTOCOLS_DIR = ROOT / "protocols"
BROKEN_DIR = Path(__file__).resolve().parent / "broken"


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """Overrides the suite's: nothing here writes to a database, so nothing needs emptying."""


@pytest.fixture(scope="session")
def protocol_set() -> ProtocolSet:
    return load_protocols(PROTOCOLS_DIR)


@pytest.fixture(scope="session")
def t2d(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["diabete-type-2"]


@pytest.fixture(scope="session")
def hf(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["insuffisance-cardiaque"]


@pytest.fixture(scope="session")
def obesity(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["obesite"]


@pytest.fixture(scope="session")
def cancer(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["suivi-cancer"]


@pytest.fixture(scope="session")
def cv(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["risque-cardiovasculaire"]


@pytest.fixture(scope="session")
def copd(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["bpco-tabac"]


@pytest.fixture(scope="session")
def cognition(protocol_set: ProtocolSet) -> Protocol:
    return protocol_set["troubles-cognitifs"]
