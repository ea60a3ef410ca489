"""Every check can fail: each named reference-provider fault is caught by a scenario tagged with the
requirement the fault breaks, running only that use case's scenarios to keep CI fast."""

import pytest

from harness.requirements import catalogue
from harness.settings import PROJECT_ROOT
from reference_provider.faults import FAULTS


def steps_for(requirement_id: str) -> str:
    module = PROJECT_ROOT / "steps" / f"test_{catalogue()[requirement_id].use_case}.py"
    return str(module.relative_to(PROJECT_ROOT)) if module.exists() else "steps"


def test_every_fault_names_a_catalogued_requirement():
    unknown = {name: req for name, (req, _) in FAULTS.items() if req not in catalogue()}
    assert not unknown


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_by_a_scenario_of_its_requirement(fault, run_suite):
    requirement, what = FAULTS[fault]
    run = run_suite(target=steps_for(requirement), GPC_REFERENCE_FAULTS=fault)
    caught = [o for o in run.by_outcome("failed") if requirement in o.requirements]
    assert caught, (f"fault '{fault}' ({what}) breaks {requirement} but no scenario tagged @req:{requirement} "
                    f"failed:\n{run.explain()}")
    assert not run.by_outcome("error"), run.explain()
