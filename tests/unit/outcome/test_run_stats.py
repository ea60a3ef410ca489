"""Request counts and the latency table: per interaction, per scenario, merged across workers."""

import json

from harness.outcome import stats as rs


def record(interaction="search for free slots", elapsed=0.1, reused=False, scenario="s1", status=200):
    return rs.Record(interaction, "GET .../Slot", status, None if reused else elapsed, reused, scenario)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert rs.percentile(values, 50) == 50.0
    assert rs.percentile(values, 95) == 95.0
    assert rs.percentile([3.0], 95) == 3.0
    assert rs.percentile([5.0, 1.0], 50) == 1.0


def test_summary_counts_sent_and_reused_per_interaction_and_scenario():
    records = [record(elapsed=0.1), record(elapsed=0.3), record(reused=True, scenario="s2"),
               record("find patient", elapsed=0.05, scenario=rs.OUTSIDE),
               record("find patient", reused=True, scenario="s2")]
    stats = rs.summarise(records)
    assert (stats.sent, stats.reused, stats.scenarios) == (3, 2, 2)
    rows = {r.interaction: r for r in stats.rows}
    search = rows["search for free slots"]
    assert (search.sent, search.reused, search.p50, search.max) == (2, 1, 0.1, 0.3)
    assert stats.per_scenario == {"s1": (2, 0), "s2": (0, 2), rs.OUTSIDE: (1, 0)}
    assert [r.elapsed_s for r in stats.slowest] == [0.3, 0.1, 0.05]


def test_an_interaction_only_ever_reused_has_no_latency():
    row = rs.summarise([record(reused=True)]).rows[0]
    assert (row.sent, row.reused, row.p50, row.p95, row.max) == (0, 1, None, None, None)
    assert "-" in rs.terminal(rs.summarise([record(reused=True)])).splitlines()[3]


def test_terminal_table_names_counts_and_slowest():
    text = rs.terminal(rs.summarise([record(elapsed=0.25), record(reused=True)]))
    assert text.startswith("Requests: 1 sent to the provider, 1 answered by reusing an identical earlier request")
    assert "search for free slots" in text and "250" in text
    assert "Slowest exchanges:" in text and "250 ms  GET .../Slot" in text


def test_workers_files_are_merged_and_added_to_the_report(tmp_path, capsys):
    one, two = rs.Recorder(), rs.Recorder()
    one.records.append(record(elapsed=0.2, scenario="a"))
    two.records += [record(elapsed=0.4, scenario="b"), record(reused=True, scenario="b")]
    results = tmp_path / "allure-results"
    one.write(results, "gw0")
    two.write(results, "gw1")
    stats = rs.finish(results)
    text = (tmp_path / "run-stats.txt").read_text()
    assert stats.sent == 2 and stats.reused == 1
    assert "Requests: 2 sent to the provider, 1 answered by reusing" in capsys.readouterr().out
    assert "Requests per scenario (sent, reused):" in text and "b" in text
    globals_files = list(results.glob("*-globals.json"))
    assert len(globals_files) == 1
    attachments = json.loads(globals_files[0].read_text())["attachments"]
    assert [a["name"] for a in attachments] == ["Requests and latency per interaction", "Slowest exchanges",
                                                "Requests per scenario"]
    assert all(a["type"] == "text/csv" and a["source"].endswith("-attachment.csv") for a in attachments)
    latency = (results / attachments[0]["source"]).read_text().splitlines()
    assert latency[0] == "interaction,sent,reused,p50 ms,p95 ms,max ms"
    assert latency[1] == "search for free slots,2,1,200,400,400" and latency[-1] == "all,2,1,,,"
    assert (results / attachments[2]["source"]).read_text().splitlines()[1:] == ["a,1,0", "b,1,1"]
    assert (tmp_path / "run-stats.txt").read_text().startswith("Requests: 2 sent")


def test_no_records_means_no_figures(tmp_path):
    assert rs.finish(tmp_path) is None
    assert not list(tmp_path.glob("*-globals.json"))


def test_a_scenarios_requests_per_interaction_as_csv():
    text = rs.scenario_csv([record(elapsed=0.25), record(reused=True), record(elapsed=0.5)])
    assert text.splitlines() == ["interaction,sent,reused,slowest ms", "search for free slots,2,1,500"]
