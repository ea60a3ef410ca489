"""harness/memo.py: the one bounded memo, by key and by identity."""

from harness.memo import ByIdentity, Memo


def test_a_value_is_made_once_per_object_and_again_for_an_equal_other_or_once_forgotten():
    made = []
    memo = ByIdentity(limit=2)

    def make(obj):
        made.append(obj)
        return len(made)

    first, equal = {"id": "1"}, {"id": "1"}
    assert memo.get(first, make) == memo.get(first, make) == 1
    assert memo.get(equal, make) == 2, "an equal object that is another object is worked out itself"
    assert memo.known(first) == 1 and memo.known({"id": "1"}) is None
    assert memo.put(first, 3) == memo.known(first) == 3, "the value put is the one remembered"
    memo.get({"id": "3"}, make)
    assert memo.get(first, make) == 3, "remembered up to the limit"
    memo.get({"id": "4"}, make)  # past the limit: everything is forgotten
    assert memo.get(first, make) == 5


def test_a_memo_forgets_everything_past_its_limit_or_only_its_oldest():
    memo = Memo(limit=2)
    assert memo.get("a") is None
    assert memo.put("a", 1) == 1 and memo.get("a") == 1
    memo.put("b", 2)
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == (None, None, 3, 1)
    oldest = Memo(limit=2, oldest_first=True)
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        oldest.put(key, value)
    assert (oldest.get("a"), oldest.get("b"), oldest.get("c")) == (None, 2, 3)
    oldest.clear()
    assert len(oldest) == 0 and oldest.get("b") is None


def test_lists_sharing_a_stretch_of_objects_share_its_runs_and_each_by_run_is_every_items_verdict_in_order():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from harness.memo import each_by_run, shared_runs

    pool = [{"n": n} for n in range(400)]
    verdicts, per_run = ByIdentity(10_000), ByIdentity(1_000)

    def judge(item):
        return (item["n"],) * (item["n"] % 3)  # none, one or two findings

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.integers(0, 399), max_size=300), st.integers(0, 300), st.integers(0, 300))
    def check(picks, cut, more):
        items = [pool[i] for i in picks]
        longer = items[:cut] + pool[:more] + items[cut:]  # another list holding the same objects around a stretch
        for listed in (items, longer, list(items)):
            runs = shared_runs(listed)
            assert [x for run in runs for x in run] == listed and all(runs)
            assert each_by_run(listed, judge, verdicts, per_run) == [x for item in listed for x in judge(item)]
        shared = {id(run) for run in shared_runs(items)} & {id(run) for run in shared_runs(longer)}
        assert len(shared) >= len(shared_runs(items)) - 2, "only the runs around where they differ are another's"

    check()


def test_groups_of_lists_sharing_runs_are_each_lists_own_in_order_and_leave_the_kept_groups_as_they_were():
    from harness.memo import grouped_by_run, joined_by_run

    pool = [{"n": n, "kind": "abc"[n % 3] if n % 7 else "d"} for n in range(500)]
    kept_groups, kept_joined = ByIdentity(1_000), ByIdentity(1_000)

    def group(run):
        grouped = {}
        for item in run:
            grouped.setdefault(item["kind"], []).append(item)
        return {k: tuple(v) for k, v in grouped.items()}

    for listed in (pool, pool[250:] + pool[:250], pool[100:300], pool):
        expected: dict = {}
        for item in listed:
            expected.setdefault(item["kind"], []).append(item)
        got = grouped_by_run(listed, kept_groups, group)
        assert got == expected and list(got) == list(expected), "each key's items in order, keys as first seen"
        got["a"].append("changed")  # the caller's own lists: what is kept per run is untouched
        assert joined_by_run(listed, kept_joined, lambda run: tuple(i["n"] for i in run if i["kind"] == "d")) == [
            i["n"] for i in listed if i["kind"] == "d"]
