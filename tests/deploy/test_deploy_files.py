"""The deploy/ files parse and agree with each other and with the settings the code reads.

No container engine or cluster runs here, so these read the files: the
Dockerfile, the compose file, the Kubernetes manifests and the systemd unit.
The code's setting names come from .env.example, which
tests/core/test_docs_and_examples.py proves complete.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import DEFAULT_CONFIG_PATH, Environment, parse_config
from tests.deploy.dockerfile import Dockerfile, copy_args, exec_form, healthcheck_command, parse

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"

# Settings of Python, pip and matplotlib that the deploy files may set besides the bot's own.
NOT_OURS = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
    "MPLCONFIGDIR",
}
# In a container the bot listens on every interface (the default 127.0.0.1 is for a VM).
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
# Compilers and headers: the builder stage's business only.
BUILD_TOOLS = re.compile(
    r"(?<![\w-])(gcc|g\+\+|clang|build-essential|make|cmake|cargo|rustc|[\w.+-]+-dev)(?![\w-])"
)


# --- what the code reads ---------------------------------------------------


def documented() -> set[str]:
    """Every environment variable the code reads (the names in .env.example)."""
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert names, ".env.example lists no settings: the pattern above is stale"
    return names


def secret_names() -> set[str]:
    """The names Environment.from_mapping treats as secrets, plus DATABASE_URL (a password)."""
    source = (REPO / "bot" / "environment.py").read_text(encoding="utf-8")
    found = re.search(r're\.search\(r"([^"]+)", k\)', source)
    assert found, "bot/environment.py no longer picks secrets with re.search(...): update this"
    pattern = re.compile(found.group(1))
    secrets = {name for name in documented() if pattern.search(name)}
    assert {"SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN"} <= secrets
    return secrets | {"DATABASE_URL"}


def default_port() -> int:
    return Environment.from_mapping({}).http_port


def allowed(names: set[str]) -> list[str]:
    """The names that are neither read by the code nor a known third-party setting."""
    return sorted(names - documented() - NOT_OURS)


# --- loading -----------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")])


def load_yaml(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def manifests() -> dict[str, dict[str, Any]]:
    """The Kubernetes objects by kind (one of each), from every file but kustomization.yaml."""
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in load_yaml(path):
            assert doc["kind"] not in objects, f"{path.name}: a second {doc['kind']}"
            objects[doc["kind"]] = doc
    return objects


def compose() -> dict[str, Any]:
    (doc,) = load_yaml(DEPLOY / "docker-compose.yml")
    assert isinstance(doc, dict)
    return doc


def dockerfile() -> Dockerfile:
    return parse(DEPLOY / "Dockerfile")


def interpolate(text: str) -> str:
    """Compose's ${VAR:-default} with nothing set in the environment."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): interpolate(str(v)) for k, v in env.items()}


def container() -> dict[str, Any]:
    (only,) = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


def container_env() -> dict[str, str]:
    return {item["name"]: str(item["value"]) for item in container().get("env", [])}


def systemd_unit() -> dict[str, list[tuple[str, str]]]:
    """Sections → (key, value) pairs in order; keys may repeat, as systemd allows."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in (DEPLOY / "deinfluence.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"a setting before any section: {line!r}"
        key, sep, value = line.partition("=")
        assert sep, f"not Key=Value: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def unit_values(section: str, key: str) -> list[str]:
    return [v for k, v in systemd_unit()[section] if k == key]


def unit_value(section: str, key: str) -> str:
    values = unit_values(section, key)
    assert len(values) == 1, f"[{section}] {key}: expected once, found {values}"
    return values[0]


# --- every file --------------------------------------------------------------


def test_the_deploy_folder_has_every_file() -> None:
    for name in (
        "Dockerfile",
        "docker-compose.yml",
        "deinfluence.service",
        "README.md",
        "slack-app-manifest.yml",
        "kubernetes/kustomization.yaml",
        "kubernetes/deployment.yaml",
        "kubernetes/service.yaml",
        "kubernetes/configmap.yaml",
        "kubernetes/secret.yaml",
    ):
        assert (DEPLOY / name).is_file(), f"deploy/{name} is missing"


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = load_yaml(path)
    assert docs, f"{path.name} holds no document"
    assert all(isinstance(doc, dict) for doc in docs)


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = load_yaml(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present
    assert "namespace" not in kustomization, "manifests stay namespace-agnostic"
    for doc in manifests().values():
        assert "namespace" not in doc["metadata"], doc["metadata"]["name"]


def test_kustomize_builds_when_kubectl_is_here() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: kustomize build not checked")
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    kinds = {doc["kind"] for doc in yaml.safe_load_all(done.stdout) if doc}
    assert {"Deployment", "Service", "ConfigMap", "Secret"} <= kinds


# --- Kubernetes --------------------------------------------------------------


def test_deployment_runs_two_replicas_with_probes_and_resources() -> None:
    deployment = manifests()["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    main = container()
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}

    def probe_port(probe: dict[str, Any]) -> int:
        port = probe["httpGet"]["port"]
        return int(ports[port]) if isinstance(port, str) else int(port)

    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        if kind in main:
            assert probe_port(main[kind]) == default_port(), kind
    requests = main["resources"]["requests"]
    assert requests.get("cpu") and requests.get("memory")
    assert main["resources"]["limits"].get("memory")


def test_deployment_runs_as_non_root_on_a_read_only_root() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    pod_security = pod["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert int(pod_security["runAsUser"]) != 0
    security = container()["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    # the image's user is the one Kubernetes runs as
    user = dockerfile().final.all("USER")[-1].args.split(":")[0]
    assert user == str(pod_security["runAsUser"])
    # with a read-only root, /tmp and the working directory are emptyDirs
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container()["volumeMounts"]}
    workdir = dockerfile().final.workdir()
    for path in ("/tmp", workdir):
        assert path in mounts, f"nothing writable mounted at {path}"
        assert "emptyDir" in volumes[mounts[path]]


def test_deployment_reads_the_configmap_and_the_secret() -> None:
    objects = manifests()
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    env = container_env()
    config_path = Path(env["DEINFLUENCE_CONFIG"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    mount = next(
        m for m in container()["volumeMounts"] if Path(m["mountPath"]) == config_path.parent
    )
    assert mount.get("readOnly") is True
    source = volumes[mount["name"]]["configMap"]
    assert source["name"] == objects["ConfigMap"]["metadata"]["name"]
    keys = {item["path"]: item["key"] for item in source.get("items", [])}
    key = keys.get(config_path.name, config_path.name)
    assert key in objects["ConfigMap"]["data"]
    refs = [e["secretRef"]["name"] for e in container()["envFrom"] if "secretRef" in e]
    assert refs == [objects["Secret"]["metadata"]["name"]]
    assert env["DEINFLUENCE_HTTP_HOST"] == ALL_INTERFACES
    assert int(env["DEINFLUENCE_HTTP_PORT"]) == default_port()


def test_service_selects_the_pods_and_exposes_the_http_port() -> None:
    objects = manifests()
    template = objects["Deployment"]["spec"]["template"]
    labels = template["metadata"]["labels"]
    selector = objects["Service"]["spec"]["selector"]
    assert selector.items() <= labels.items()
    assert objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ports = {p["name"]: p["containerPort"] for p in container()["ports"]}
    (port,) = objects["Service"]["spec"]["ports"]
    target = port["targetPort"]
    assert (ports[target] if isinstance(target, str) else target) == default_port()
    if "PodDisruptionBudget" in objects:
        pdb = objects["PodDisruptionBudget"]["spec"]
        assert pdb["selector"]["matchLabels"].items() <= labels.items()


def test_secret_holds_every_secret_the_code_reads() -> None:
    secret = manifests()["Secret"]
    keys = set(secret["stringData"])
    missing = sorted(secret_names() - keys)
    assert missing == [], f"add these to deploy/kubernetes/secret.yaml: {missing}"
    assert allowed(keys) == [], "the Secret sets names the code never reads"
    assert all(isinstance(v, str) for v in secret["stringData"].values())


def test_configmap_holds_a_valid_config_and_no_secret() -> None:
    (text,) = manifests()["ConfigMap"]["data"].values()
    config = parse_config(tomllib.loads(text))
    assert config.brands
    for name in secret_names():
        assert name not in text


def test_migrate_init_container_runs_db_upgrade_like_the_bot() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    (migrate,) = pod["initContainers"]
    main = container()
    assert migrate["command"] == ["deinfluence", "db", "upgrade"]
    assert migrate["image"] == main["image"]
    assert migrate["envFrom"] == main["envFrom"]
    env = {item["name"]: str(item["value"]) for item in migrate["env"]}
    assert env["DEINFLUENCE_CONFIG"] == container_env()["DEINFLUENCE_CONFIG"]
    config_mount = next(m for m in main["volumeMounts"] if m["name"] == "config")
    assert config_mount in migrate["volumeMounts"]
    assert migrate["securityContext"] == main["securityContext"]
    assert migrate["resources"]["requests"] and migrate["resources"]["limits"]


def test_kubernetes_env_names_are_read_by_the_code() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    for each in pod["containers"] + pod.get("initContainers", []):
        names = {item["name"] for item in each.get("env", [])}
        assert allowed(names) == [], each["name"]


# --- docker compose ----------------------------------------------------------


def test_compose_runs_the_bot_on_postgres() -> None:
    doc = compose()
    bot, postgres = doc["services"]["bot"], doc["services"]["postgres"]
    build = bot["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    env_files = bot["env_file"] if isinstance(bot["env_file"], list) else [bot["env_file"]]
    assert [(DEPLOY / f).resolve() for f in env_files] == [REPO / ".env"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["image"].startswith("postgres:")

    env = compose_env(bot)
    pg = compose_env(postgres)
    url = env["DATABASE_URL"]
    expected = (
        f"postgresql+asyncpg://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{pg['POSTGRES_DB']}"
    )
    assert url == expected
    assert env["DEINFLUENCE_HTTP_HOST"] == ALL_INTERFACES
    assert int(env["DEINFLUENCE_HTTP_PORT"]) == default_port()
    assert any(p.endswith(f":{default_port()}") for p in map(str, bot["ports"]))


def test_compose_mounts_the_config_where_the_bot_reads_it() -> None:
    bot = compose()["services"]["bot"]
    config_path = compose_env(bot)["DEINFLUENCE_CONFIG"]
    assert config_path == dockerfile().final.env()["DEINFLUENCE_CONFIG"]
    mounts = [str(v).split(":") for v in bot["volumes"]]
    source = next(m[0] for m in mounts if m[1] == config_path)
    assert (DEPLOY / source).resolve() == REPO / DEFAULT_CONFIG_PATH


def test_compose_volumes_are_declared() -> None:
    doc = compose()
    declared = set(doc["volumes"])
    used = set()
    for service in doc["services"].values():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used == declared
    assert any(
        str(v).endswith(":/var/lib/postgresql/data") for v in doc["services"]["postgres"]["volumes"]
    )


def test_compose_env_names_are_read_by_the_code() -> None:
    assert allowed(set(compose_env(compose()["services"]["bot"]))) == []


# --- Dockerfile --------------------------------------------------------------


def test_dockerfile_has_a_builder_and_a_slim_runtime() -> None:
    file = dockerfile()
    assert len(file.stages) >= 2
    bases = {stage.base for stage in file.stages}
    assert bases == {"python:3.11-slim"}, "one base image, so /opt/venv's python matches"
    builder = file.stage("builder")
    assert any("build-essential" in r.args for r in builder.all("RUN"))
    assert any("pip wheel" in r.args for r in builder.all("RUN"))


def test_dockerfile_final_stage_has_no_build_tools() -> None:
    final = dockerfile().final
    for run in final.all("RUN"):
        tool = BUILD_TOOLS.search(run.args)
        assert tool is None, f"line {run.line}: {tool.group(0) if tool else ''} in the final stage"
    copies = [copy_args(c) for c in final.all("COPY") + final.all("ADD")]
    assert copies, "the final stage copies nothing"
    for flags, sources, destination in copies:
        assert flags.get("from") == "builder"
        assert sources == ["/opt/venv"] and destination == "/opt/venv"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    final = dockerfile().final
    users = final.all("USER")
    assert users, "no USER in the final stage"
    user = users[-1].args.split(":")[0]
    assert user not in {"root", "0"}
    assert final.instructions.index(users[-1]) > max(
        final.instructions.index(r) for r in final.all("RUN")
    ), "RUN after USER would run as that user; keep USER last"


def test_dockerfile_healthcheck_and_command() -> None:
    final = dockerfile().final
    env = final.env()
    assert env["DEINFLUENCE_HTTP_HOST"] == ALL_INTERFACES
    assert int(env["DEINFLUENCE_HTTP_PORT"]) == default_port()
    assert [int(p.split("/")[0]) for p in final.all("EXPOSE")[-1].args.split()] == [default_port()]
    (check,) = final.all("HEALTHCHECK")
    command = healthcheck_command(check)
    assert command[:2] == ["python", "-c"]
    assert "urllib.request" in command[2] and "/healthz" in command[2]
    assert "DEINFLUENCE_HTTP_PORT" in command[2]
    assert exec_form(final.all("CMD")[-1].args) == ["deinfluence", "run"]
    assert not final.all("ENTRYPOINT")


def test_dockerfile_config_path_matches_kubernetes() -> None:
    image_path = dockerfile().final.env()["DEINFLUENCE_CONFIG"]
    assert container_env()["DEINFLUENCE_CONFIG"] == image_path
    assert image_path in (DEPLOY / "README.md").read_text(encoding="utf-8")


def test_dockerfile_env_names_are_read_by_the_code() -> None:
    for stage in dockerfile().stages:
        assert allowed(set(stage.env())) == [], stage.name


# --- systemd -----------------------------------------------------------------


def test_systemd_unit_runs_hardened_as_its_own_user() -> None:
    assert set(systemd_unit()) == {"Unit", "Service", "Install"}
    assert unit_value("Service", "User") not in {"root", "0"}
    assert unit_value("Service", "EnvironmentFile").lstrip("-") == "/etc/deinfluence/env"
    assert unit_value("Service", "Restart") == "on-failure"
    assert unit_value("Service", "NoNewPrivileges") == "yes"
    assert unit_value("Service", "ProtectSystem") == "strict"
    state = unit_value("Service", "StateDirectory")
    assert unit_value("Service", "WorkingDirectory") == f"/var/lib/{state}"
    assert unit_value("Install", "WantedBy") == "multi-user.target"


def test_systemd_unit_starts_the_bot_with_its_config() -> None:
    command = unit_value("Service", "ExecStart").split()
    assert Path(command[0]).name == "deinfluence" and command[1] == "run"
    config = command[command.index("--config") + 1]
    assert config.startswith("/etc/deinfluence/")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert config in readme and "/etc/deinfluence/env" in readme


def test_systemd_env_names_are_read_by_the_code() -> None:
    names = {v.partition("=")[0] for v in unit_values("Service", "Environment")}
    assert allowed(names) == []


# --- the walkthrough ---------------------------------------------------------


def test_deploy_readme_walks_through_every_file_and_endpoint() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for needle in (
        "deploy/Dockerfile",
        "docker-compose.yml",
        "kubectl apply -k deploy/kubernetes",
        "deinfluence.service",
        "/healthz",
        "/readyz",
        "/metrics",
        "deinfluence db upgrade",
        "deinfluence check-config",
        "advisory lock",
    ):
        assert needle in readme, needle
