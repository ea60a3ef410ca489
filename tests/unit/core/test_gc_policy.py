"""The run's pytest process collects garbage less often than CPython's default (harness/gc_policy.py)."""

import gc

from harness import gc_policy


def test_this_pytest_process_runs_under_the_policy_set_by_the_root_conftest():
    assert gc.get_threshold()[0] == gc_policy.YOUNG > 700
    assert gc.get_freeze_count() > 0, "what collection loaded is frozen"

