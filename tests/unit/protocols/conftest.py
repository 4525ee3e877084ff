"""Fixtures of the protocol engine tests: the shipped protocols, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from asalee_track.protocols import Protocol, ProtocolSet, load_protocols

ROOT = Path(__file__).resolve().parents[3]
PROTOCOLS_DIR = ROOT / "protocols"
BROKEN_DIR = Path(__file__).resolve().parent / "broken"


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
