"""The suite's longest tests first, one share on each xdist worker, so none starts late and
leaves the run waiting on it at the end.

xdist's worksteal scheduler hands each worker one contiguous slice of the collection and then
lets an idle worker take the tail of a busy one's queue. So the collection is rebuilt slice by
slice, with the slices' sizes as the scheduler will cut them: the long tests are dealt out
longest first, each to the slice with the least long work so far (`LONG`, seconds of wall
time each, setup and call, in a suite run on a quiet machine, 1 December 2026), and put at
the head of that slice; the rest follow in their usual order. Stealing takes from the tails,
where the short tests are. A module whose tests share a module-scoped fixture moves as one
(`TOGETHER`), so the fixture is still built once.
"""

from __future__ import annotations

from itertools import islice

import pytest

# Test id prefix (every parameter of it): seconds each.
LONG: dict[str, float] = {
    "tests/services/test_impact_report.py::": 7,  # six tests, the year's report 18 s of it
    "tests/e2e/test_fuzz.py::test_fuzzed_requests_never_get_a_5xx": 19,
    "tests/e2e/test_inbox_two_processes.py::test_two_processes_sweeping": 27,
    "tests/e2e/test_inbox_two_processes.py::test_a_request_replayed": 6,
    "tests/unit/test_serving_imports.py::test_serving_imports_nothing": 8,
    "tests/handlers/test_authorization_matrix.py::test_every_privileged_action": 4,
    "tests/handlers/test_authorization_matrix.py::test_every_permitted_role": 5,
    "tests/e2e/test_impact_summary.py::test_each_lead_gets_the_summary": 19,
    "tests/e2e/test_inbox_crash.py::": 15,
    "tests/e2e/test_delivery_crash.py::test_a_kill_in_flight": 8,
    "tests/e2e/test_restart.py::test_sigkill_between_offer_and_accept": 8,
    "tests/e2e/test_two_processes.py::test_simultaneous_claims": 6,
    "tests/knowledge/test_kb_search.py::test_a_large_synthetic_index": 5,
    "tests/knowledge/test_kb_search.py::test_small_indexes_are_exact": 5,
    "tests/services/test_requests.py::test_fifty_requests_eight_champions": 4,
    "tests/e2e/test_console.py::": 3,
    "tests/unit/test_cli.py::test_serve_that_fails_after_starting": 3,
    "tests/national/test_install.py::test_champbot_serve_with_a_wrong_key": 3,
}
TOGETHER = ("tests/services/test_impact_report.py::",)


def _seconds(item: pytest.Item) -> float:
    return max((s for p, s in LONG.items() if item.nodeid.startswith(p)), default=0.0)


def slice_sizes(total: int, workers: int) -> list[int]:
    """The slices worksteal cuts a collection of `total` into at the start (`check_schedule`:
    each idle worker in turn gets what is left divided by the workers left)."""
    sizes, left = [], total
    for remaining in range(workers, 0, -1):
        sizes.append(left // remaining)
        left -= sizes[-1]
    return sizes


def longest_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """`items` reordered: each of `workers` slices headed by its share of the long tests."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        if _seconds(item):
            key = next((p for p in TOGETHER if item.nodeid.startswith(p)), item.nodeid)
            units.setdefault(key, []).append(item)
    sizes = slice_sizes(len(items), max(1, workers))
    heads: list[list[pytest.Item]] = [[] for _ in sizes]
    load = [0.0 for _ in sizes]
    for unit in sorted(units.values(), key=lambda u: -sum(map(_seconds, u))):
        free = [k for k in range(len(sizes)) if len(heads[k]) + len(unit) <= sizes[k]]
        if not free:
            break  # more long work than slices: the rest keep their place
        k = min(free, key=lambda k: load[k])
        heads[k].extend(sorted(unit, key=_seconds, reverse=True))
        load[k] += sum(map(_seconds, unit))
    moved = {id(item) for head in heads for item in head}
    rest = iter([item for item in items if id(item) not in moved])
    ordered: list[pytest.Item] = []
    for head, size in zip(heads, sizes, strict=True):
        ordered.extend(head)
        ordered.extend(islice(rest, size - len(head)))
    ordered.extend(rest)
    return ordered


@pytest.hookimpl(trylast=True)  # after -k/-m and any other plugin have chosen the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput = getattr(config, "workerinput", None)
    workers = int(workerinput["workercount"]) if workerinput else 1
    items[:] = longest_first(items, workers)
