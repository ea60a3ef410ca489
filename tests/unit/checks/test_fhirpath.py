"""FHIRPath for the invariants: what fhirpathpy lacks, and outcomes remembered by what an expression reads."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.checks import fhirpath as fp
from harness.checks import invariants as inv
from harness.checks import profiles as pc

EXPRESSIONS = sorted({i["expression"] for _, _, i in inv.declared(pc.constraints())})


def test_what_an_expression_reads():
    ele1 = fp.reads("hasValue() | (children().count() > id.count())")
    assert ele1.node is None and ele1.resource == frozenset() and ele1.value_blind and ele1.shape_only
    assert ele1.anchors is None  # hasValue() and children() apply to the node itself
    dom3 = fp.reads("contained.where(('#'+id in %resource.descendants().reference).not()).empty()")
    assert dom3.resource is None and dom3.anchors == {"contained"}  # %resource only in where()'s criteria
    ref1 = fp.reads("reference.startsWith('#').not() or (reference.substring(1) in %resource.contained.id)")
    assert ref1.resource == {"contained"} and ref1.anchors is None and not ref1.shape_only
    per1 = fp.reads("start.empty() or end.empty() or (start <= end)")
    assert per1.node >= {"start", "end"} and not per1.shape_only and per1.anchors >= {"start", "end"}
    assert fp.reads("$this = 'x'").node is None and not fp.reads("$this = 'x'").value_blind
    assert not fp.reads("length() > 2").value_blind
    assert fp.reads("name.union(%resource.name).exists()").anchors is None  # %resource outside criteria


def test_a_primitive_has_a_value_unless_empty():
    ele1 = "hasValue() | (children().count() > id.count())"
    assert fp.evaluate(ele1, "booked", "code", {}) == [True, False]
    assert fp.evaluate(ele1, True, "boolean", {}) == [True, False]
    assert fp.holds(fp.evaluate(ele1, 0, "integer", {}))
    assert not fp.holds(fp.evaluate(ele1, "", "string", {}))
    assert not fp.holds(fp.evaluate(ele1, {}, "Identifier", {}))


def test_trace_prints_nothing(capsys):
    expression = "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %resource.contained.id)"
    resource = {"resourceType": "Appointment", "contained": [{"resourceType": "Organization", "id": "1"}]}
    assert fp.holds(fp.evaluate(expression, {"reference": "#1"}, "Reference", resource))
    assert not fp.holds(fp.evaluate(expression, {"reference": "#2"}, "Reference", resource))
    assert capsys.readouterr().out == ""


PRIMITIVES = st.one_of(st.sampled_from(["", "x", "#1", "#2", "searchset", "document", "booked", "cancelled",
                                        "2026-12-07T09:00:00+00:00", "2026-12-07T08:00:00+01:00",
                                        "https://p/Slot/1/_history/1"]), st.booleans(), st.integers(0, 2))
NAMES = st.sampled_from(["id", "reference", "start", "end", "status", "type", "actor", "value", "valueString",
                         "extension", "contained", "system", "fullUrl", "resource", "request", "search", "text"])
NODES = st.recursive(PRIMITIVES, lambda inner: st.one_of(
    st.dictionaries(NAMES, inner, max_size=4), st.lists(inner, min_size=1, max_size=2)), max_leaves=8)
BASES = ["Period", "Reference", "Extension", "Identifier", "Appointment", "Appointment.participant", "Bundle.entry",
         "string"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(EXPRESSIONS), NODES, st.sampled_from(BASES),
                          st.dictionaries(NAMES, NODES, max_size=3)), min_size=1, max_size=6))
def test_a_remembered_outcome_is_the_outcome_evaluated_afresh(cases):
    """Whatever was remembered before, on whatever nodes, an outcome is what evaluating the expression on this
    node gives: the reading of what an expression can read never conflates two nodes it tells apart."""
    for expression, node, base, resource in cases:
        resource = {"resourceType": "Appointment", **resource}
        if not isinstance(node, dict) and not isinstance(node, (str, bool, int)):
            continue
        assert fp.outcome(expression, node, base, resource) == fp._evaluated(expression, node, base, resource)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_every_expression_of_the_table_runs_on_an_empty_node(expression):
    assert isinstance(fp._evaluated(expression, {}, "Element", {"resourceType": "Appointment"}), bool)
