"""The CI workflows are valid YAML and call the commands the README documents: the nightly job gates on
gpc-assure's own exit code, and the platform job installs and runs the tool as a user does, with no make
or bash, on Windows, macOS and Linux."""


import yaml

from harness.cli.main import COMMANDS
from harness.settings import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def _load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def _commands(workflow: dict) -> list[str]:
    return [line.strip() for job in workflow["jobs"].values() for step in job["steps"]
            for line in str(step.get("run", "")).splitlines() if line.strip()]


def test_every_workflow_is_valid_yaml_with_jobs_and_steps():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = _load(path.name)
        assert workflow.get("jobs"), path.name
        assert all(job.get("steps") for job in workflow["jobs"].values()), path.name


def test_the_platform_job_runs_the_installed_tool_on_every_system_without_make():
    workflow = _load("platforms.yml")
    job = workflow["jobs"]["tool"]
    assert set(job["strategy"]["matrix"]["os"]) == {"windows-latest", "macos-latest", "ubuntu-latest"}
    commands = _commands(workflow)
    assert not any(c.startswith(("make", "bash", "./")) for c in commands), commands
    assert 'python -m pip install ".[test]"' in commands and "npm ci" in commands
    tool = [c.split()[1] for c in commands if c.startswith("gpc-assure ")]
    assert tool and all(command in COMMANDS or command.startswith("--") for command in tool), tool


def test_the_nightly_job_gates_on_the_command_s_own_exit_code():
    commands = _commands(_load("nightly.yml"))
    assert any(c.startswith(".venv/bin/gpc-assure") for c in commands), commands
    assert not any(c.startswith("make assure") for c in commands)


NIGHTLY_EXAMPLES = (WORKFLOWS / "nightly.yml", PROJECT_ROOT / "docs" / "ci" / "gitlab-ci.yml",
                    PROJECT_ROOT / "docs" / "ci" / "azure-pipelines.yml")


def test_each_nightly_example_keeps_the_history_gates_on_the_command_and_publishes_the_reports():
    for path in NIGHTLY_EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert isinstance(yaml.safe_load(text), dict), path.name
        assert ".venv/bin/gpc-assure cleanup" in text and ".venv/bin/gpc-assure assure" in text, path.name
        commands = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not any("make assure" in line for line in commands), f"{path.name}: make hides the exit code"
        assert "reports/history" in text or "path: $(Build.SourcesDirectory)/reports" in text, path.name
        assert "junit" in text.lower() and ("changes.json" in text or "artifact" in text.lower()), path.name
