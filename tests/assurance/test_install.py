"""gpc-assure installed as a tool, outside any clone: a wheel of the project in a fresh virtualenv carries
the suite (features, steps, the catalogue, the shipped config); `gpc-assure init` writes the template in the
folder it is run in, and `gpc-assure` assures the bundled provider there, its reports in that folder."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from harness.settings import PROJECT_ROOT

# What the wheel is made of (pyproject.toml): the packages, and the suite its data-files carry.
SOURCES = ("pyproject.toml", "README.md", "conftest.py", "pytest.ini", "harness", "reference_provider", "features",
           "steps", "spec", "config/reference.env", "config/demonstrator.env", "config/provider.env.example")


def _run(cmd, cwd, **env):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


def test_a_wheel_installed_in_a_fresh_virtualenv_inits_and_assures_from_any_folder(tmp_path):
    # Built from a copy of what the wheel is made of, so the build leaves nothing in the clone.
    source = tmp_path / "source"
    for part in SOURCES:
        if (PROJECT_ROOT / part).is_dir():
            shutil.copytree(PROJECT_ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (source / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / part, source / part)
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                 tmp_path, PATH="/usr/bin:/bin", HOME=str(tmp_path))
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(wheels.glob("*.whl"))

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path, PATH="/usr/bin:/bin").returncode == 0
    python = venv / "bin" / "python"
    # The dependencies are this project's own, pinned ones: the new environment sees them, not this clone.
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path,
                     PATH="/usr/bin:/bin").stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path,
                     PATH="/usr/bin:/bin", HOME=str(tmp_path))
    assert installed.returncode == 0, installed.stderr[-2000:]

    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{PROJECT_ROOT / 'node_modules' / '.bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    init = _run([str(venv / "bin" / "gpc-assure"), "init"], work, **env)
    assert init.returncode == 0 and (work / "config" / "provider.env").is_file(), init.stdout + init.stderr
    where = _run([str(python), "-c", "import harness.settings as s; print(s.INSTALLED, s.PROJECT_ROOT)"], work, **env)
    assert where.stdout.split() == ["True", str(venv / "share" / "gpc-assure")], where.stdout + where.stderr

    run = _run([str(venv / "bin" / "gpc-assure"), "--req", "SLOT-TYPE-01"], work, **env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Overall verdict: CONFORMANT" in run.stdout
    for made in ("junit.xml", "html/index.html", "html/requirements.html"):
        assert (work / "reports" / made).is_file(), made
