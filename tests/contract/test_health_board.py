"""HealthBoard contract: the memory and Firestore (emulator) boards keep one section per
instance, replace only the writer's, and drop the ones it names as gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.payments.health import FirestoreBoard, HealthBoard, MemoryBoard, RestBoard, Sample

pytestmark = pytest.mark.contract


@pytest.fixture(params=["memory", "firestore", "firestore-rest"])
def board(request: pytest.FixtureRequest) -> Iterator[HealthBoard]:
    if request.param == "memory":
        yield MemoryBoard()
        return
    from functions.runtime.firestore import client
    from functions.runtime.firestore_rest import FirestoreRest
    from infra.local import emulators as admin

    emulators = request.getfixturevalue("emulators")
    admin.reset_firestore(emulators.firestore_host, emulators.project)
    if request.param == "firestore-rest":
        yield RestBoard(FirestoreRest.for_project(emulators.project))
        return
    yield FirestoreBoard(client(emulators.project))


def sample(started: int, failure: str = "") -> Sample:
    return Sample({"2026-12-02T07:00": [started, 1, 0, 0]}, [120, 300], failure, "")


def test_an_unknown_rail_has_no_sections(board: HealthBoard) -> None:
    assert board.read("mtnmomo") == {}


def test_each_instance_replaces_only_its_own_section(board: HealthBoard) -> None:
    board.write("mtnmomo", "a", sample(1))
    board.write("mtnmomo", "b", sample(2, "2026-12-02T07:00:05+00:00"))
    board.write("mtnmomo", "a", sample(3))
    assert board.read("mtnmomo") == {
        "a": sample(3),
        "b": sample(2, "2026-12-02T07:00:05+00:00"),
    }
    assert board.read("airtel") == {}


def test_a_writer_drops_the_sections_of_instances_it_names_gone(board: HealthBoard) -> None:
    board.write("mpesa", "old", sample(1))
    board.write("mpesa", "new", sample(2), frozenset({"old"}))
    assert set(board.read("mpesa")) == {"new"}


def test_a_writers_section_is_replaced_whole_so_dropped_minutes_go(board: HealthBoard) -> None:
    older = Sample({"2026-12-02T06:00": [1, 0, 0, 0], "2026-12-02T07:00": [2, 0, 0, 0]})
    board.write("mpesa", "a", older)
    newer = Sample({"2026-12-02T07:00": [3, 0, 0, 0]}, [90])
    board.write("mpesa", "a", newer)
    assert board.read("mpesa") == {"a": newer}


def test_instance_names_that_are_not_plain_field_names_are_kept(board: HealthBoard) -> None:
    # Instances are named by random hex, which may start with a digit.
    board.write("mpesa", "0a1b2c", sample(1))
    board.write("mpesa", "9f-x.y", sample(2), frozenset({"0a1b2c"}))
    assert board.read("mpesa") == {"9f-x.y": sample(2)}
