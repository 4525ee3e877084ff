from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from asalee_track.care import labs
from asalee_track.store.db import transaction

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def import_sample(engine: Engine, world, protocols) -> Callable[..., labs.Summary]:  # type: ignore[no-untyped-def]
    """Import a sample file for the home practice, as its nurse unless told otherwise."""

    def run(name: str, actor=None, dry_run: bool = False, data: bytes | None = None) -> labs.Summary:  # type: ignore[no-untyped-def]
        with transaction(engine) as db:
            return labs.import_file(
                db,
                protocols,
                world.practice.id,
                name,
                data if data is not None else (SAMPLES / name).read_bytes(),
                actor=actor if actor is not None else world.actor(world.nurse),
                dry_run=dry_run,
            )

    return run


@pytest.fixture
def helene(make_patient, enrol):  # type: ignore[no-untyped-def]
    """Matches the samples' LEFEVRE Hélène by INS (and by her traits)."""
    return enrol(make_patient(family_name="Lefèvre", given_names="Hélène"), "diabete-type-2")


@pytest.fixture
def jean_pierre(make_patient, enrol):  # type: ignore[no-untyped-def]
    """MARTIN Jean-Pierre of the samples, without an INS: matched by his traits."""
    return enrol(
        make_patient(
            family_name="Martin", given_names="Jean-Pierre", birth_date="1950-03-12", sex="male", ins=""
        ),
        "diabete-type-2",
        "insuffisance-cardiaque",
    )
