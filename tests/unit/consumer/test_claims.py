"""Parallel workers sharing days never take the same slot (harness/consumer/claims.py, SlotChooser with claims)."""

import json
import multiprocessing
import os
from datetime import timedelta
from pathlib import Path

from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.consumer.claims import Claims
from harness.locks import holding
from harness.settings import load_settings
from tests.unit.consumer.test_discovery import _on, _searching_client


def _another_worker_took(claims: Claims, *slots: str) -> None:
    claims.path.parent.mkdir(parents=True, exist_ok=True)
    with open(claims.path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid() + 1, "slots": list(slots)}) + "\n")


def test_a_slot_another_worker_took_is_held_and_not_taken_again(tmp_path):
    claims = Claims(tmp_path, "run1", "https://provider.example/fhir")
    assert claims.held() == set()
    _another_worker_took(claims, "a")
    assert claims.held() == {"a"}
    assert claims.take(["a", "b"]) == {"a"}, "nothing is taken when one of them is held"
    assert claims.take(["b"]) == set()
    assert claims.held() == {"a"}, "a worker's own claims are not held against it"
    assert Claims(tmp_path, "run2", "https://provider.example/fhir").held() == set(), "another run's are not"
    assert Claims(tmp_path, "run1", "https://other.example/fhir").held() == set(), "nor another provider's"


def test_a_runs_claims_are_removed_with_it_and_no_others(tmp_path):
    Claims(tmp_path, "run1", "https://a.example").take(["x"])
    Claims(tmp_path, "run1", "https://b.example").take(["x"])
    Claims(tmp_path, "run2", "https://a.example").take(["x"])
    Claims.remove_run(tmp_path, "run1")
    assert [p.name.split("-")[1] for p in tmp_path.iterdir()] == ["run2"]


def _take(directory: str, slot: str) -> None:
    Claims(Path(directory), "race", "https://provider.example").take([slot])


def test_a_take_waits_for_a_take_in_progress_so_two_workers_never_take_one_slot(tmp_path):
    claims = Claims(tmp_path, "race", "https://provider.example")
    _another_worker_took(claims, "a")
    other = multiprocessing.get_context("spawn").Process(target=_take, args=(str(tmp_path), "b"))
    with open(claims.path, "a+") as held, holding(held):  # this worker is between reading what is held and taking
        other.start()
        other.join(timeout=2)
        assert other.is_alive(), "the other worker read and took while this one held the claims"
        assert "\"b\"" not in claims.path.read_text()
    other.join(timeout=60)
    assert other.exitcode == 0 and claims.held() == {"a", "b"}


def test_a_worker_without_days_of_its_own_chooses_from_the_whole_window_what_no_other_took(tmp_path):
    settings = load_settings({"GPC_ENV": "reference"})
    first = ss.default_window(settings).start.date()
    # Slots on one day only: three of four workers have no day of their own with slots.
    offered = {first: [_on(first, "a", 0), _on(first, "b", 10), _on(first, "c", 20)]}
    client, settings, seen = _searching_client(offered)
    lonely = next(w for w in range(4) if first.toordinal() % 4 != w)
    claims = Claims(tmp_path, "run", client.base_url)
    _another_worker_took(claims, "a")
    chosen = discovery.SlotChooser().choose(client, settings, "single", discovery.single, lonely, 4, claims)
    assert chosen.id == "b"
    assert seen[-1] == (first, ss.default_window(settings).end.date()), "from the whole window"
    assert claims.take(["b"]) == set() and json.loads(claims.path.read_text().splitlines()[-2])["slots"] == ["b"]


class _RacedOnce:
    """Claims whose first take finds the slot taken meanwhile by another worker."""

    def __init__(self):
        self.taken: list[list[str]] = []
        self.lost: set[str] = set()

    def held(self):
        return set(self.lost)

    def take(self, slot_ids):
        if not self.taken and not self.lost:
            self.lost = set(slot_ids)
            return set(slot_ids)
        self.taken.append(slot_ids)
        return set()


def test_a_choice_another_worker_took_meanwhile_is_made_again_without_it():
    settings = load_settings({"GPC_ENV": "reference"})
    first = ss.default_window(settings).start.date()
    client, settings, _ = _searching_client({first + timedelta(days=1): [_on(first + timedelta(days=1), "a", 0),
                                                                         _on(first + timedelta(days=1), "b", 10)]})
    claims = _RacedOnce()
    chosen = discovery.SlotChooser().choose(client, settings, "single", discovery.single, claims=claims)
    assert chosen.id == "b" and claims.lost == {"a"} and claims.taken == [["b"]]
