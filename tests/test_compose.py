"""Checks of the production deployment files, read as data (no Docker engine needed)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import yaml

from isoloir import consumer, devkeys, metrics
from isoloir.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


class Service(NamedTuple):
    name: str  # compose service, scrape job and host name
    short: str  # metric prefix and database name
    env_prefix: str
    port: int


SERVICES = [
    Service("contacts-svc", "contacts", "CONTACTS_", 8001),
    Service("consent-svc", "consent", "CONSENT_", 8002),
    Service("messaging-svc", "messaging", "MESSAGING_", 8003),
    Service("rights-svc", "rights", "RIGHTS_", 8004),
    Service("analytics-svc", "analytics", "ANALYTICS_", 8005),
]
SHORTS = [s.short for s in SERVICES]
each_service = pytest.mark.parametrize("svc", SERVICES, ids=[s.name for s in SERVICES])

# Series that Prometheus itself adds to every target.
PROMETHEUS_SERIES = {"up"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
PROMQL_WORDS |= {"and", "or", "unless", "offset", "inf", "nan"}
# Kernel metrics (less the service prefix) the alerts and the dashboard must cover.
ALERTED = {"outbox_pending", "outbox_oldest_age_seconds", "events_consumed_total"}
ALERTED |= {"dependency_up", "relay_failures_total"}
CHARTED = {"http_requests_total", "http_request_duration_seconds_bucket", "outbox_pending"}
CHARTED |= {"outbox_oldest_age_seconds", "events_published_total", "events_consumed_total"}
CHARTED |= {"dependency_up"}
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = load_yaml(ROOT / "docker-compose.yml")["services"]
    return services


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def text_of(command: str | list[str]) -> str:
    return command if isinstance(command, str) else " ".join(str(c) for c in command)


def published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """Return the (host, container) pairs of a service's published ports."""
    out = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.add((int(port["published"]), int(port["target"])))
        else:
            *_, host, container = str(port).split(":")
            out.add((int(host), int(container)))
    return out


def mounts_of(service: dict[str, Any]) -> dict[str, str]:
    """Return the service's volumes as source -> target."""
    return dict(tuple(v.split(":")[:2]) for v in service.get("volumes", []))


def healthcheck_port(service: dict[str, Any]) -> int:
    found = re.findall(
        r"http://(?:127\.0\.0\.1|localhost):(\d+)/readyz", text_of(service["healthcheck"]["test"])
    )
    assert len(found) == 1, service["healthcheck"]
    return int(found[0])


def kernel_metric_names(service: str) -> set[str]:
    """Return the series names the kernel's registry exposes for a service."""
    names: set[str] = set()
    for family in metrics.Metrics(service).registry.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}_{part}" for part in ("bucket", "sum", "count")}
        else:
            names.add(family.name)
    return names


def expand_name_regex(pattern: str) -> set[str]:
    grouped = re.fullmatch(r"\(([\w|]+)\)(\w*)", pattern)
    if grouped:
        return {alt + grouped.group(2) for alt in grouped.group(1).split("|")}
    assert re.fullmatch(r"[\w|]+", pattern), f"cannot expand metric name regex {pattern!r}"
    return set(pattern.split("|"))


def metric_names_in(expr: str) -> set[str]:
    """Return the metric names a PromQL expression selects."""
    names: set[str] = set()
    for pattern in re.findall(r'__name__\s*=~\s*"([^"]*)"', expr):
        names |= expand_name_regex(pattern)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    assert "$" not in text, f"unexpanded variable in {expr!r}"
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][\w:]*", text):
        is_call = text[match.end() :].lstrip().startswith("(")
        if not is_call and match.group().lower() not in PROMQL_WORDS:
            names.add(match.group())
    return names


def scrape_jobs() -> dict[str, list[str]]:
    """Return the targets of each scrape job that reads /metrics."""
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    return {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
        if job.get("metrics_path", "/metrics") == "/metrics"
    }


def alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def load_dashboard() -> dict[str, Any]:
    return dict(
        json.loads((DEPLOY / "grafana" / "dashboards" / "isoloir-overview.json").read_text())
    )


def dashboard_exprs() -> list[str]:
    """Return every dashboard query, once per value of the `service` variable."""
    dashboard = load_dashboard()
    (variable,) = [v for v in dashboard["templating"]["list"] if v["name"] == "service"]
    assert variable["query"].split(",") == SHORTS
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for short in SHORTS:
                expr = target["expr"].replace("${service}", short).replace("$service", short)
                exprs.append(expr.replace("$__rate_interval", "5m"))
    return exprs


class TestMetricNamesIn:
    @pytest.mark.parametrize(
        ("expr", "expected"),
        [
            ("rate(a_total[5m])", {"a_total"}),
            ('sum by (le, route) (rate(b_bucket{route!~"x|y"}[1m])) / c', {"b_bucket", "c"}),
            ('{__name__=~"(p|q)_up"} == 0 or vector(0)', {"p_up", "q_up"}),
            ("histogram_quantile(0.95, d_bucket) > 1e3", {"d_bucket"}),
        ],
    )
    def test_finds_the_selected_metrics_and_nothing_else(
        self, expr: str, expected: set[str]
    ) -> None:
        assert metric_names_in(expr) == expected

    def test_kernel_names_include_counter_and_histogram_series(self) -> None:
        names = kernel_metric_names("contacts")

        assert "contacts_http_requests_total" in names
        assert "contacts_http_request_duration_seconds_bucket" in names
        assert "contacts_outbox_pending" in names


class TestServices:
    @each_service
    def test_is_built_from_the_shared_image_and_restarts(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        service = compose[svc.name]

        assert service["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
        assert service["restart"] == "unless-stopped"

    @each_service
    def test_runs_its_own_app_on_its_own_port(self, compose: dict[str, Any], svc: Service) -> None:
        command = text_of(compose[svc.name]["command"])

        assert f"{svc.short}_svc.app:app" in command
        assert re.search(rf"--port\s+{svc.port}\b", command)

    @each_service
    def test_reaches_the_broker_kafka_advertises(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        advertised = env_of(compose["kafka"])["KAFKA_ADVERTISED_LISTENERS"]

        bootstrap = env_of(compose[svc.name])["ISOLOIR_KAFKA_BOOTSTRAP_SERVERS"]

        assert f"://{bootstrap}" in advertised

    @each_service
    def test_uses_its_own_postgres_database(self, compose: dict[str, Any], svc: Service) -> None:
        url = urlsplit(env_of(compose[svc.name])[f"{svc.env_prefix}DATABASE_URL"])

        assert url.scheme == "postgresql+asyncpg"
        assert url.hostname == "postgres"
        assert url.port == 5432
        assert url.path == f"/{svc.short}"
        assert url.username == env_of(compose["postgres"])["POSTGRES_USER"]

    @each_service
    def test_runs_outside_dev_mode_with_a_required_public_key(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        env = env_of(compose[svc.name])

        assert env["ISOLOIR_DEV_MODE"] == "false"
        assert env["ISOLOIR_JWT_PUBLIC_KEY"].startswith("${ISOLOIR_JWT_PUBLIC_KEY:?")
        assert int(env["ISOLOIR_TOPIC_PARTITIONS"]) >= 1

    @each_service
    def test_holds_the_signing_key_only_if_it_issues_tokens(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        private = {k for k in env_of(compose[svc.name]) if k.endswith("JWT_PRIVATE_KEY")}

        assert private == ({"CONTACTS_JWT_PRIVATE_KEY"} if svc.short == "contacts" else set())

    @each_service
    def test_waits_for_healthy_kafka_and_postgres(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        depends_on = compose[svc.name]["depends_on"]

        for dependency in ("kafka", "postgres"):
            assert depends_on[dependency]["condition"] == "service_healthy"

    @each_service
    def test_uses_one_port_for_health_publishing_and_scraping(
        self, compose: dict[str, Any], svc: Service
    ) -> None:
        targets = {t for job in scrape_jobs().values() for t in job}

        assert healthcheck_port(compose[svc.name]) == svc.port
        assert (svc.port, svc.port) in published_ports(compose[svc.name])
        assert f"{svc.name}:{svc.port}" in targets


class TestKafka:
    def test_runs_apache_kafka_in_kraft_mode(self, compose: dict[str, Any]) -> None:
        kafka = compose["kafka"]
        env = env_of(kafka)

        assert kafka["image"].startswith("apache/kafka:")
        assert {"broker", "controller"} <= set(env["KAFKA_PROCESS_ROLES"].split(","))
        assert "CONTROLLER://" in env["KAFKA_LISTENERS"]
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@")
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"

    def test_is_health_checked_and_keeps_its_log_on_a_volume(self, compose: dict[str, Any]) -> None:
        kafka = compose["kafka"]

        assert "kafka-broker-api-versions.sh" in text_of(kafka["healthcheck"]["test"])
        assert env_of(kafka)["KAFKA_LOG_DIRS"] in mounts_of(kafka).values()


class TestPostgres:
    def test_is_health_checked(self, compose: dict[str, Any]) -> None:
        assert "pg_isready" in text_of(compose["postgres"]["healthcheck"]["test"])

    def test_creates_one_database_per_service(self, compose: dict[str, Any]) -> None:
        init = DEPLOY / "postgres" / "init.sql"

        created = re.findall(r"CREATE DATABASE (\w+)", init.read_text(), re.IGNORECASE)

        assert sorted(created) == sorted(SHORTS)
        target = mounts_of(compose["postgres"])["./deploy/postgres/init.sql"]
        assert target.startswith("/docker-entrypoint-initdb.d/")


class TestPrometheus:
    def test_scrapes_every_service_in_its_own_job(self) -> None:
        jobs = scrape_jobs()

        for svc in SERVICES:
            assert jobs[svc.name] == [f"{svc.name}:{svc.port}"]

    def test_loads_alert_rules_mounted_beside_its_config(self, compose: dict[str, Any]) -> None:
        config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
        mounts = mounts_of(compose["prometheus"])

        assert mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
        for rule_file in config["rule_files"]:
            assert mounts[f"./deploy/prometheus/{rule_file}"] == f"/etc/prometheus/{rule_file}"

    def test_alerts_use_only_metrics_the_kernel_defines(self) -> None:
        known = set().union(*(kernel_metric_names(s) for s in SHORTS)) | PROMETHEUS_SERIES

        used = set().union(*(metric_names_in(rule["expr"]) for rule in alert_rules()))

        assert used - known == set()

    def test_alerts_cover_every_service(self) -> None:
        used = set().union(*(metric_names_in(rule["expr"]) for rule in alert_rules()))

        assert {f"{short}_{name}" for short in SHORTS for name in ALERTED} <= used

    def test_dead_letter_alert_filters_on_an_outcome_the_consumer_reports(self) -> None:
        exprs = [r["expr"] for r in alert_rules() if "events_consumed_total" in r["expr"]]

        assert exprs
        assert all('outcome="dead_letter"' in e for e in exprs)
        assert '"dead_letter"' in inspect.getsource(consumer)


class TestGrafana:
    def test_datasource_points_at_prometheus(self, compose: dict[str, Any]) -> None:
        (source,) = load_yaml(DATASOURCES)["datasources"]

        assert source["type"] == "prometheus"
        assert source["url"] == "http://prometheus:9090"
        assert "prometheus" in compose

    def test_dashboard_queries_the_provisioned_datasource(self) -> None:
        uid = load_yaml(DATASOURCES)["datasources"][0]["uid"]
        panels = load_dashboard()["panels"]

        used = {p["datasource"]["uid"] for p in panels if "datasource" in p}
        used |= {t["datasource"]["uid"] for p in panels for t in p.get("targets", [])}

        assert used == {uid}

    def test_dashboards_provider_reads_the_mounted_folder(self, compose: dict[str, Any]) -> None:
        path = DEPLOY / "grafana" / "provisioning" / "dashboards" / "isoloir.yml"
        (provider,) = load_yaml(path)["providers"]
        mounts = mounts_of(compose["grafana"])

        assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
        assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"

    def test_dashboard_uses_only_metrics_the_kernel_defines(self) -> None:
        known = set().union(*(kernel_metric_names(s) for s in SHORTS))

        used = set().union(*(metric_names_in(expr) for expr in dashboard_exprs()))

        assert used - known == set()

    def test_dashboard_shows_the_kernel_metrics_of_every_service(self) -> None:
        used = set().union(*(metric_names_in(expr) for expr in dashboard_exprs()))

        assert {f"{short}_{name}" for short in SHORTS for name in CHARTED} <= used


class TestDockerfile:
    def test_installs_the_locked_workspace_as_a_non_root_user(self) -> None:
        dockerfile = (DEPLOY / "Dockerfile").read_text()

        assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
        assert "uv sync --frozen" in dockerfile
        users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
        assert users
        assert users[-1] not in {"root", "0"}

    def test_build_context_leaves_out_local_state(self) -> None:
        ignored = (ROOT / ".dockerignore").read_text().split()

        assert {".git", ".venv", ".isoloir", ".env"} <= set(ignored)


def substituted(env: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Resolve ${VAR} / ${VAR:?msg} / ${VAR:-default} as compose would, from `values`."""

    def resolve(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2) or ""
        if name in values:
            return values[name]
        if rest.startswith(":-"):
            return rest[2:]
        raise AssertionError(f"{name} is required but has no value in this test")

    return {k: re.sub(r"\$\{(\w+)((?::[?-])[^}]*)?\}", resolve, v) for k, v in env.items()}


class TestSettingsFromCompose:
    @each_service
    def test_the_service_accepts_its_compose_environment_outside_dev_mode(
        self, compose: dict[str, Any], svc: Service, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        private, public = devkeys.generate_key_pair()
        values = {
            "ISOLOIR_JWT_PUBLIC_KEY": public,
            "ISOLOIR_JWT_PRIVATE_KEY": private,
            "ISOLOIR_PARTY_SECRET": "party-" + "s" * 40,
            "ISOLOIR_LINK_SECRET": "link-" + "l" * 40,
            "POSTGRES_PASSWORD": "0123456789abcdef",
        }
        for name in list(os.environ):
            if name.startswith(("ISOLOIR_", svc.env_prefix)):
                monkeypatch.delenv(name)
        for name, value in substituted(env_of(compose[svc.name]), values).items():
            monkeypatch.setenv(name, value)
        config = importlib.import_module(f"{svc.short}_svc.config")
        settings_cls = next(
            v
            for v in vars(config).values()
            if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
        )

        settings = settings_cls()

        assert not settings.dev_mode
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.kafka_bootstrap_servers == "kafka:9092"
