"""The Dockerfile's install steps work: re-run them in a clean virtual environment.

No container engine runs here, so this does what the `builder` stage does, from
the Dockerfile itself: its COPY lines copy the same files from the repository
into a scratch "root" under tmp_path, and its one RUN with the pip steps runs
there with every absolute path (/opt/venv, /wheels) moved under that root.
Then the result, /opt/venv as the final stage copies it, must run the CLI,
validate the example config, migrate a SQLite database (the migrations are in
the wheel) and pass the image's own HEALTHCHECK command against `deinfluence run`.

pip reaches only the package registry (and uses its cache); PIP_NO_CACHE_DIR
from the Dockerfile is left out so a second run is quick.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deploy.dockerfile import Stage, copy_args, exec_form, healthcheck_command, parse

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
INSTALL_TIMEOUT = 900
# Written by tools, never part of a build context (see deploy/Dockerfile.dockerignore).
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
SLACK_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-0000000000-deploy-test",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "DISCORD_BOT_TOKEN": "deploy-test-token",
}


def rebase(path: str, root: Path) -> Path:
    return root / path.lstrip("/")


def copy_context(stage: Stage, root: Path) -> None:
    """The stage's COPY lines (Docker's rules: a directory's contents, a file by name)."""
    for instruction in stage.all("COPY"):
        flags, sources, destination = copy_args(instruction)
        assert "from" not in flags, "the builder copies from the build context only"
        workdir = stage.workdir(before=instruction)
        target = rebase(os.path.join(workdir, destination), root)
        into_directory = destination.endswith("/") or len(sources) > 1
        for source in sources:
            origin = REPO / source
            assert origin.exists(), f"line {instruction.line}: {source} is not in the repository"
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=IGNORED, dirs_exist_ok=True)
            else:
                dest = target / origin.name if into_directory else target
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, dest)


def install_command(stage: Stage, root: Path) -> tuple[str, Path]:
    """The builder's pip RUN, with its absolute paths under `root`, and where it runs."""
    runs = [r for r in stage.all("RUN") if re.search(r"\bpip\b", r.args)]
    assert len(runs) == 1, "keep every pip step in one RUN of the builder stage"
    (run,) = runs
    paths = set(re.findall(r"(?<![\w./-])(/[\w./-]*)", run.args))
    assert paths, "the pip RUN names no absolute path"
    for path in paths:
        assert path.startswith(("/opt/venv", "/wheels")), (
            f"line {run.line}: {path} would be moved under the test's scratch root; "
            "use only /opt/venv and /wheels in the pip RUN"
        )
    command = re.sub(r"(?<![\w./-])/(?=[\w])", f"{root}/", run.args)
    return command, rebase(stage.workdir(before=run), root)


def clean_env(**extra: str) -> dict[str, str]:
    """The registry settings of this machine, nothing of the project's own venv."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith("PIP_")}
    env.pop("PIP_NO_CACHE_DIR", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The builder's steps, run once; returns the bin directory of the rebased /opt/venv."""
    dockerfile = parse(DOCKERFILE)
    builder, final = dockerfile.stage("builder"), dockerfile.final
    root = tmp_path_factory.mktemp("image") / "root"
    copy_context(builder, root)
    command, workdir = install_command(builder, root)
    assert (workdir / "pyproject.toml").is_file(), "the COPY lines must bring pyproject.toml"

    # `python` is a 3.11 like the image's: the interpreter running these tests.
    bin_dir = root.parent / "python-bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    system_path = os.environ.get("PATH", "/usr/bin:/bin")
    builder_env = {k: v for k, v in builder.env().items() if k != "PIP_NO_CACHE_DIR"}
    env = clean_env(**builder_env, PATH=f"{bin_dir}{os.pathsep}{system_path}")
    done = subprocess.run(
        ["sh", "-ec", command],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    # What the final stage copies from the builder exists.
    for instruction in final.all("COPY"):
        flags, sources, _ = copy_args(instruction)
        if flags.get("from") == "builder":
            for source in sources:
                assert rebase(source, root).exists(), f"the builder made no {source}"
    return rebase("/opt/venv/bin", root)


def image_env(venv_bin: Path, home: Path, **extra: str) -> dict[str, str]:
    """Like the image: /opt/venv/bin first on PATH; run from `home`, away from the source tree."""
    return clean_env(
        PATH=f"{venv_bin}{os.pathsep}/usr/bin:/bin",
        HOME=str(home),
        MPLCONFIGDIR=str(home / ".mpl"),
        **extra,
    )


def test_the_image_venv_runs_the_cli(image_venv: Path, tmp_path: Path) -> None:
    deinfluence = image_venv / "deinfluence"
    assert deinfluence.is_file()
    shutil.copy(REPO / "deinfluence.example.toml", tmp_path / "deinfluence.toml")
    base = image_env(image_venv, tmp_path)

    helped = run([str(deinfluence), "--help"], tmp_path, base)
    assert helped.returncode == 0, helped.stderr
    assert "check-config" in helped.stdout and "run" in helped.stdout

    checked = run(
        [str(deinfluence), "check-config", "--config", "deinfluence.toml"],
        tmp_path,
        {**base, **SLACK_ENV},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "config OK" in checked.stdout

    # the migrations are in the wheel
    database = f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
    upgraded = run(
        [str(deinfluence), "db", "upgrade", "--config", "deinfluence.toml"],
        tmp_path,
        {**base, "DATABASE_URL": database},
    )
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "database at revision" in upgraded.stdout


def test_the_image_healthcheck_passes_against_the_running_bot(
    image_venv: Path, tmp_path: Path
) -> None:
    """The HEALTHCHECK as written (its `python` is /opt/venv's) against `deinfluence run`."""
    final = parse(DOCKERFILE).final
    (check,) = final.all("HEALTHCHECK")
    command = healthcheck_command(check)
    (tmp_path / "deinfluence.toml").write_text(
        '[[brands]]\nname = "GlowLab"\naliases = ["GlowLab"]\n', encoding="utf-8"
    )
    env = image_env(
        image_venv,
        tmp_path,
        DEINFLUENCE_CONFIG="deinfluence.toml",
        DEINFLUENCE_HTTP_HOST="127.0.0.1",
        DEINFLUENCE_HTTP_PORT=str(free_port()),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )
    # the command resolves `python` on PATH, as Docker does
    python = shutil.which(command[0], path=env["PATH"])
    assert python is not None and Path(python).parent == image_venv

    def healthcheck() -> int:
        probe = run([python, *command[1:]], tmp_path, env)
        return probe.returncode

    assert healthcheck() != 0, "the healthcheck passed before the bot was started"
    bot = subprocess.Popen(
        [str(image_venv / "deinfluence"), *exec_form(final.all("CMD")[-1].args)[1:]],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    healthy = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and bot.poll() is None:
            if healthcheck() == 0:
                healthy = True
                break
            time.sleep(0.5)
    finally:
        bot.terminate()
        output, _ = bot.communicate(timeout=60)
    assert healthy, f"the HEALTHCHECK never passed; the bot said:\n{output[-3000:]}"
    assert bot.returncode == 0, f"the bot did not stop cleanly on SIGTERM:\n{output[-3000:]}"
