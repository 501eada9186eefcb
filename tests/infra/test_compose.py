"""The production stack's definition agrees with itself and with the code it runs.

No container engine runs where the tests run, so these tests read docker-compose.yml and the
Dockerfile: Compose's own validator checks the file when the ``docker-compose`` program is
installed, and structural checks run always. None of them touches the database.
"""

import importlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.core.management import get_commands

REPOSITORY = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPOSITORY / "docker-compose.yml"
DOCKERFILE = REPOSITORY / "Dockerfile"
DOCKERIGNORE = REPOSITORY / ".dockerignore"
OS_PACKAGES = REPOSITORY / "scripts" / "os-packages.txt"
WITH_TEST_SERVICES = REPOSITORY / "scripts" / "with-test-services"

APPLICATION_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING_APPLICATION_SERVICES = ("web", "worker", "beat")
VAR_DIR = "/var/lib/portal"
# What Compose must be given; the values are dummies for validation only.
REQUIRED_VARIABLES = {
    "POSTGRES_PASSWORD": "dummy-owner-password",
    "PORTAL_DB_PASSWORD": "dummy-application-password",
    "SECRET_KEY": "dummy-secret-key-" + "x" * 50,
    "ALLOWED_HOSTS": "portal.example.test",
}
# `${NAME:?message}` (required) or `${NAME:-}` (optional, empty by default): never a value.
REFERENCE_WITHOUT_VALUE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(:\?[^}]*|:-)\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")
OWNER_DATABASE_URL = r"postgres://portal:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/portal"
APPLICATION_DATABASE_URL = r"postgres://portal_app:\$\{PORTAL_DB_PASSWORD:\?[^}]*\}@postgres:5432/portal"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile():
    # Join continuation lines so that each instruction is one line.
    return re.sub(r"\\\n", " ", DOCKERFILE.read_text())


def command_of(service):
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def apt_installed_packages(dockerfile):
    packages = set()
    for match in re.finditer(r"apt-get install ([^&;]*)", dockerfile):
        packages.update(word for word in match.group(1).split() if not word.startswith("-"))
    return packages


# --- Compose's own validation -----------------------------------------------------------------

docker_compose = shutil.which("docker-compose")
needs_docker_compose = pytest.mark.skipif(
    docker_compose is None,
    reason="the docker-compose program is not installed (Debian package docker-compose)",
)


def run_compose_config(tmp_path, variables):
    # An empty --env-file keeps a developer's .env from supplying (or hiding) the variables.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    environment = {name: value for name, value in os.environ.items() if name not in REQUIRED_VARIABLES}
    environment.update(variables)
    return subprocess.run(
        [docker_compose, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_docker_compose
def test_docker_compose_accepts_the_file_when_the_required_variables_are_set(tmp_path):
    result = run_compose_config(tmp_path, REQUIRED_VARIABLES)

    assert result.returncode == 0, result.stderr


@needs_docker_compose
@pytest.mark.parametrize("missing", sorted(REQUIRED_VARIABLES))
def test_docker_compose_refuses_the_file_without_each_required_variable(tmp_path, missing):
    variables = {name: value for name, value in REQUIRED_VARIABLES.items() if name != missing}

    result = run_compose_config(tmp_path, variables)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


# --- Services ---------------------------------------------------------------------------------


def test_the_stack_has_exactly_the_expected_services(services):
    assert set(services) == {"postgres", "redis", *APPLICATION_SERVICES}


def test_postgres_and_redis_use_the_pinned_major_versions(services):
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"


def test_postgres_and_redis_keep_their_data_in_named_volumes(compose, services):
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert {"postgres-data", "redis-data"} <= set(compose["volumes"])


def test_application_services_run_the_one_image_built_from_the_repository(services):
    images = {services[name]["image"] for name in APPLICATION_SERVICES}

    assert all(services[name]["build"] == "." for name in APPLICATION_SERVICES)
    assert len(images) == 1


@pytest.mark.parametrize("name", APPLICATION_SERVICES)
def test_application_services_are_configured_for_postgres_and_redis(services, name):
    environment = services[name]["environment"]

    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", environment["SECRET_KEY"])
    assert re.fullmatch(r"\$\{ALLOWED_HOSTS:\?[^}]*\}", environment["ALLOWED_HOSTS"])
    assert environment["PORTAL_VAR_DIR"] == VAR_DIR
    assert environment["STATIC_MANIFEST"] == "1"
    assert environment["DEBUG"] == "0"


def test_migrations_run_as_the_owner_created_with_the_database(services):
    postgres = services["postgres"]["environment"]

    assert re.fullmatch(OWNER_DATABASE_URL, services["migrate"]["environment"]["DATABASE_URL"])
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("portal", "portal")


@pytest.mark.parametrize("name", LONG_RUNNING_APPLICATION_SERVICES)
def test_the_application_connects_as_its_own_role_not_as_the_owner(services, name):
    environment = services[name]["environment"]

    assert re.fullmatch(APPLICATION_DATABASE_URL, environment["DATABASE_URL"])
    assert "POSTGRES_PASSWORD" not in environment and "PORTAL_DB_PASSWORD" not in environment


@pytest.mark.parametrize("name", LONG_RUNNING_APPLICATION_SERVICES)
def test_long_running_services_start_after_healthy_servers_and_finished_migrations(services, name):
    assert services[name]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services[name]["restart"] == "unless-stopped"


def test_migrate_runs_once_after_healthy_servers(services):
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["migrate"]["restart"] == "no"


def test_postgres_healthcheck_asks_pg_isready(services):
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_redis_healthcheck_pings(services):
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_web_healthcheck_is_valid_python_that_asks_the_application(services):
    test = services["web"]["healthcheck"]["test"]

    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "<web healthcheck>", "exec")
    assert "127.0.0.1" in test[3] and "8000" in test[3]


# --- Commands name code that exists -----------------------------------------------------------


def test_migrate_migrates_then_creates_the_application_role_and_grants_it_its_privileges(services):
    command = command_of(services["migrate"])
    script = command[2]
    steps = [line for line in script.splitlines() if line.startswith("python manage.py")]
    role_code = script.split("python manage.py shell -c '", 1)[1].split("'", 1)[0]

    assert command[:2] == ["sh", "-c"] and script.startswith("set -e\n")
    assert steps == [
        "python manage.py migrate --noinput",
        "python manage.py shell -c '",
        "python manage.py audit_grants --role portal_app",
    ]
    compile(role_code, "<role creation>", "exec")
    assert 'os.environ["PORTAL_DB_PASSWORD"]' in role_code
    assert {"migrate", "shell", "audit_grants"} <= set(get_commands())
    assert (REPOSITORY / "manage.py").is_file()


# Loading the application builds the middleware; WhiteNoise notes the uncollected static folder.
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_web_serves_the_wsgi_application_that_exists(services):
    command = command_of(services["web"])
    target = next(word for word in command if ":" in word and not word.startswith("-"))
    module_name, attribute = target.split(":")

    assert command[0] == "gunicorn"
    assert (module_name, attribute) == ("portal.wsgi", "application")
    assert "--bind=0.0.0.0:8000" in command
    assert "--workers=3" in command
    assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize(("name", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_run_the_portal_celery_app(services, name, subcommand):
    command = command_of(services[name])

    assert command[:4] == ["celery", "-A", "portal", subcommand]
    # The lookup `celery -A portal` performs.
    app = find_app("portal")
    assert isinstance(app, Celery)
    assert app.main == "portal"


def test_worker_concurrency_is_two(services):
    command = command_of(services["worker"])

    assert command[command.index("--concurrency") + 1] == "2"


# --- Secrets and files ------------------------------------------------------------------------


def test_no_secret_value_is_written_in_the_compose_file(services):
    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(variable):
                assert REFERENCE_WITHOUT_VALUE.fullmatch(str(value)), f"{name}: {variable} holds a value"
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", str(value)):
                assert REFERENCE_WITHOUT_VALUE.fullmatch(password), f"{name}: {variable} has a password"
    assert "PRIVATE KEY" not in COMPOSE_FILE.read_text()


@pytest.mark.parametrize("name", APPLICATION_SERVICES)
def test_run_time_files_are_shared_volumes_and_static_files_come_from_the_image(compose, services, name):
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services[name]["volumes"]}

    assert mounts == {
        f"{VAR_DIR}/media": "portal-media",
        f"{VAR_DIR}/audit-seals": "portal-audit-seals",
        f"{VAR_DIR}/keys": "portal-keys",
    }
    assert set(mounts.values()) <= set(compose["volumes"])
    # A volume over VAR_DIR or its staticfiles would keep serving an earlier release's files.
    assert VAR_DIR not in mounts and f"{VAR_DIR}/staticfiles" not in mounts


def test_the_image_has_what_weasyprint_needs_for_chinese_documents(dockerfile):
    packages = apt_installed_packages(dockerfile)

    assert {
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz-subset0",
        "fonts-noto-cjk",
        "gettext",
    } <= packages


def test_the_image_is_python_311_on_bookworm_and_runs_as_a_normal_user(dockerfile):
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)

    assert re.search(r"^FROM python:3\.11-slim-bookworm\s*$", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_the_image_collects_manifest_static_files_and_compiles_messages(dockerfile):
    assert re.search(r"STATIC_MANIFEST=1.*manage\.py collectstatic --noinput", dockerfile)
    assert "manage.py compilemessages" in dockerfile
    assert f"PORTAL_VAR_DIR={VAR_DIR}" in dockerfile


def test_development_machines_install_what_the_image_installs():
    listed = {line.split("#")[0].strip() for line in OS_PACKAGES.read_text().splitlines()} - {""}

    assert apt_installed_packages(re.sub(r"\\\n", " ", DOCKERFILE.read_text())) <= listed
    assert {"postgresql", "redis-server", "docker-compose"} <= listed


def test_os_packages_names_one_package_per_line():
    entries = [line.split("#")[0].split() for line in OS_PACKAGES.read_text().splitlines()]

    assert all(len(words) <= 1 for words in entries)


@pytest.mark.parametrize("script", ["scripts/with-test-services", ".ci/run"])
def test_scripts_are_executable(script):
    assert os.access(REPOSITORY / script, os.X_OK)


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = set(DOCKERIGNORE.read_text().split())

    assert {".git/", ".venv/", "var/", ".env", ".env.*"} <= ignored


# --- scripts/with-test-services ---------------------------------------------------------------


def run_with_test_services(*command, environment):
    return subprocess.run(
        [str(WITH_TEST_SERVICES), *command], env=environment, capture_output=True, text=True, timeout=120
    )


def test_with_test_services_runs_the_command_unchanged_when_both_servers_are_given():
    environment = {**os.environ, "DATABASE_URL": "postgres://given/db", "REDIS_URL": "redis://given/1"}

    result = run_with_test_services(
        "sh", "-c", 'echo "$DATABASE_URL $REDIS_URL"; exit 3', environment=environment
    )

    assert result.stdout == "postgres://given/db redis://given/1\n"
    assert result.returncode == 3


def test_with_test_services_without_a_command_is_a_usage_error():
    result = run_with_test_services(environment=dict(os.environ))

    assert result.returncode == 2
    assert "usage:" in result.stderr


def private_servers_can_start():
    postgres_programs = shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return bool(postgres_programs and shutil.which("redis-server") and shutil.which("psql"))


@pytest.mark.skipif(not private_servers_can_start(), reason="PostgreSQL or Redis binaries are not installed")
def test_with_test_services_starts_private_servers_and_removes_them_afterwards():
    # A folder of our own for the script's work folder; as root the postgres user must enter it.
    temporary = Path(tempfile.mkdtemp(prefix="with-test-services-test-"))
    temporary.chmod(0o755)
    environment = {
        name: value for name, value in os.environ.items() if name not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment["TMPDIR"] = str(temporary)
    probe = (
        'psql "$DATABASE_URL" -XAtc "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"'
        ' && redis-cli -u "$REDIS_URL" ping && echo "$DATABASE_URL" && exit 4'
    )
    try:
        result = run_with_test_services("sh", "-c", probe, environment=environment)
        leftovers = list(temporary.iterdir())
    finally:
        shutil.rmtree(temporary, ignore_errors=True)

    assert result.returncode == 4, result.stderr
    user_line, pong, database_url = result.stdout.splitlines()
    assert user_line == "portal|f"
    assert pong == "PONG"
    assert re.fullmatch(r"postgres://portal:portal@127\.0\.0\.1:\d+/portal", database_url)
    assert "ready in" in result.stderr
    assert leftovers == []
