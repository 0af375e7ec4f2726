"""Northwind Logistics: the initial state of the monorepo and every change after it.

Three services (dispatch: Python/FastAPI, tracker: Go, portal: TypeScript/Express),
ops scripts, Helm, Kubernetes, Terraform, compose, CI. The history runs from
2021-11 to 2025-06 and contains each change kind several times.
"""

from __future__ import annotations

from datetime import date, timedelta

from bench.corpus.model import Change, Fact, Op, State

F = Fact

COMPONENTS: dict[str, str] = {
    "dispatch.cli": "services/dispatch/dispatch/cli.py",
    "dispatch.settings": "services/dispatch/dispatch/settings.py",
    "dispatch.yaml": "services/dispatch/config/dispatch.yaml",
    "dispatch.api": "services/dispatch/dispatch/api.py",
    "dispatch.planner": "services/dispatch/dispatch/planner.py",
    "dispatch.export": "services/dispatch/scripts/export_csv.py",
    "tracker.main": "services/tracker/cmd/tracker/main.go",
    "tracker.api": "services/tracker/internal/api/routes.go",
    "tracker.geo": "services/tracker/internal/geo/geo.go",
    "portal.server": "services/portal/src/server.ts",
    "portal.pricing": "services/portal/src/lib/pricing.ts",
    "portal.package": "services/portal/package.json",
    "portal.config": "services/portal/config/default.json",
    "script.deploy": "scripts/deploy.sh",
    "script.backup": "scripts/backup_db.sh",
    "script.rotate": "scripts/rotate_keys.sh",
    "script.seed": "scripts/seed_demo.sh",
    "script.reindex": "scripts/reindex_search.sh",
    "script.migrate": "scripts/db_migrate.sh",
    "script.loadtest": "scripts/load_test.sh",
    "script.tracker_deploy": "services/tracker/deploy.sh",
    "make": "Makefile",
    "helm": "deploy/helm/northwind/values.yaml",
    "tf": "infra/terraform/variables.tf",
    "compose": "docker-compose.yml",
}

#: How pages talk about a component: service, and the program name used on pages.
PROGRAM: dict[str, str] = {
    "dispatch.cli": "python -m dispatch.cli",
    "dispatch.export": "python services/dispatch/scripts/export_csv.py",
    "tracker.main": "tracker",
    "script.deploy": "./scripts/deploy.sh",
    "script.release": "./scripts/release.sh",
    "script.backup": "./scripts/backup_db.sh",
    "script.rotate": "./scripts/rotate_keys.sh",
    "script.seed": "./scripts/seed_demo.sh",
    "script.reindex": "./scripts/reindex_search.sh",
    "script.migrate": "./scripts/db_migrate.sh",
    "script.loadtest": "./scripts/load_test.sh",
    "script.tracker_deploy": "./services/tracker/deploy.sh",
}

SERVICE_OF: dict[str, str] = {
    "dispatch": "dispatch",
    "tracker": "tracker",
    "portal": "portal",
}

VERSION_PATCH = {
    "python": {"3.9": "3.9.18", "3.10": "3.10.13", "3.12": "3.12.4"},
    "node": {"16": "16.20.2", "18": "18.19.0", "20": "20.11.1"},
    "go": {"1.20": "1.20.14", "1.21": "1.21.9", "1.22": "1.22.5"},
}

CAST = {
    "ana": ("Ana Kowalczyk", "ana.kowalczyk@northwind-logistics.example"),
    "ben": ("Ben Okafor", "ben.okafor@northwind-logistics.example"),
    "chen": ("Chen Wei", "chen.wei@northwind-logistics.example"),
    "dara": ("Dara Nilsen", "dara.nilsen@northwind-logistics.example"),
    "eli": ("Eli Navarro", "eli.navarro@northwind-logistics.example"),
}


#: Components only the drift fixtures describe; "churn" commits rework them after
#: those pages were written while every fact on the pages stays true.
DRIFT_COMPONENTS: dict[str, str] = {
    "dispatch.routing": "services/dispatch/dispatch/routing.py",
    "tracker.replay": "services/tracker/internal/replay/replay.go",
    "portal.invoices": "services/portal/src/lib/invoices.ts",
}

#: The first churn commit per drift component; then one every CHURN_EVERY days.
CHURN_START = {
    "dispatch.routing": "2024-06-03",
    "tracker.replay": "2024-06-10",
    "portal.invoices": "2024-06-17",
}
CHURN_COMMITS = 10
CHURN_EVERY = 21
CHURN_ROWS = 30  # lines of the tuning table each churn commit rewrites


def churn() -> list[Change]:
    """Commits that rework the drift components without changing a documented fact."""
    authors = {"dispatch.routing": "ben", "tracker.replay": "dara", "portal.invoices": "eli"}
    what = {
        "dispatch.routing": "routing: retune leg weights",
        "tracker.replay": "replay: retune archive read-ahead",
        "portal.invoices": "invoices: retune rounding table",
    }
    out = []
    for comp, start in CHURN_START.items():
        d0 = date.fromisoformat(start)
        for k in range(CHURN_COMMITS):
            day = (d0 + timedelta(days=CHURN_EVERY * k)).isoformat()
            out.append(
                Change(
                    day,
                    "churn",
                    f"{what[comp]} (round {k + 1})",
                    (Op("churn", comp),),
                    authors[comp],
                )
            )
    return sorted(out, key=lambda c: c.date)


def initial_state() -> State:
    s = State(paths=dict(COMPONENTS))
    add = s.facts.__setitem__
    s.paths.update(DRIFT_COMPONENTS)
    add("dispatch.routing/legs", F("symbol", "build_route_legs", note="turns stops into legs"))
    add("dispatch.routing/merge", F("symbol", "merge_nearby_stops", note="merges close stops"))
    add("dispatch.routing/score", F("symbol", "score_route_plan", note="scores a route plan"))
    add("tracker.replay/replay", F("symbol", "ReplayPings", note="replays archived pings"))
    add("tracker.replay/load", F("symbol", "LoadArchive", note="opens a day of archived pings"))
    add("tracker.replay/skip", F("symbol", "SkipDuplicates", note="drops repeated pings"))
    add("portal.invoices/pdf", F("symbol", "renderInvoicePdf", note="renders the invoice PDF"))
    add("portal.invoices/sum", F("symbol", "sumInvoiceLines", note="adds up invoice lines"))
    add("portal.invoices/due", F("symbol", "invoiceDueDate", note="computes the due date"))
    # dispatch CLI (argparse)
    add("dispatch.cli/depot", F("flag", "--depot", None, note="depot code such as SEA1 (required)"))
    add("dispatch.cli/retries", F("flag", "--max-retries", "3", note="retries per failed push"))
    add("dispatch.cli/batch", F("flag", "--batch-size", "200", note="orders per planning batch"))
    add(
        "dispatch.cli/input", F("flag", "--input-file", "orders.csv", note="order manifest to plan")
    )
    add("dispatch.cli/loglevel", F("flag", "--log-level", "info", note="log verbosity"))
    add("dispatch.cli/dryrun", F("flag", "--dry-run", None, note="plan without saving"))
    # dispatch settings: env vars with defaults, dataclass fields
    add("dispatch.settings/dburl", F("env", "DISPATCH_DB_URL", None, note="PostgreSQL DSN"))
    add("dispatch.settings/timeout", F("env", "DISPATCH_TIMEOUT", "30", note="request timeout (s)"))
    add("dispatch.settings/loglevel", F("env", "DISPATCH_LOG_LEVEL", "info", note="log level"))
    add("dispatch.settings/queue", F("env", "DISPATCH_QUEUE", "dispatch-jobs", note="job queue"))
    add(
        "dispatch.settings/config",
        F("env", "DISPATCH_CONFIG", "config/dispatch.yaml", note="config file"),
    )
    add("dispatch.settings/eta", F("config", "eta_buffer_minutes", "10", note="ETA safety margin"))
    add("dispatch.settings/maxkm", F("config", "max_route_km", "120", note="longest route"))
    # dispatch.yaml
    add("dispatch.yaml/port", F("config", "server.port", "8000", note="HTTP port"))
    add("dispatch.yaml/host", F("config", "server.host", "0.0.0.0", note="bind address"))
    add("dispatch.yaml/pool", F("config", "database.pool_size", "20", note="DB pool per process"))
    add("dispatch.yaml/pooltimeout", F("config", "database.pool_timeout", "10", note="pool wait"))
    add("dispatch.yaml/prefetch", F("config", "queue.prefetch", "16", note="messages in flight"))
    add(
        "dispatch.yaml/visibility",
        F("config", "queue.visibility_timeout", "300", note="seconds a job stays hidden"),
    )
    add("dispatch.yaml/httptimeout", F("config", "http.timeout", "30", note="outbound HTTP (s)"))
    add("dispatch.yaml/maxstops", F("config", "planner.max_stops", "25", note="stops per route"))
    # dispatch API (FastAPI)
    add(
        "dispatch.api/getorder",
        F("endpoint", "GET /v1/orders/{}", display="/v1/orders/{order_id}", note="fetch an order"),
    )
    add(
        "dispatch.api/postorder",
        F("endpoint", "POST /v1/orders", display="/v1/orders", note="create an order"),
    )
    add(
        "dispatch.api/getroute",
        F("endpoint", "GET /v1/routes/{}", display="/v1/routes/{route_id}", note="a planned route"),
    )
    add(
        "dispatch.api/assign",
        F(
            "endpoint",
            "POST /v1/routes/{}/assign",
            display="/v1/routes/{route_id}/assign",
            note="assign a courier",
        ),
    )
    add("dispatch.api/health", F("endpoint", "GET /healthz", display="/healthz", note="liveness"))
    # dispatch planner symbols
    add("dispatch.planner/plan", F("symbol", "plan_route", note="builds a route for a batch"))
    add("dispatch.planner/assign", F("symbol", "assign_driver", note="picks the driver"))
    add("dispatch.planner/eta", F("symbol", "estimate_eta", note="ETA for each stop"))
    add("dispatch.planner/split", F("symbol", "split_batches", note="chunks the manifest"))
    # dispatch export script (python argparse)
    add("dispatch.export/since", F("flag", "--since", None, note="first day to export"))
    add("dispatch.export/out", F("flag", "--out", "orders.csv", note="output file"))
    # tracker (Go)
    add("tracker.main/listen", F("flag", "--listen", ":8080", note="address to listen on"))
    add("tracker.main/workers", F("flag", "--workers", "4", note="ping ingest workers"))
    add("tracker.main/region", F("flag", "--region", "us-east-1", note="AWS region of the fleet"))
    add("tracker.main/poll", F("flag", "--poll-interval", "15s", note="GPS poll interval"))
    add("tracker.main/debug", F("flag", "--debug", None, note="verbose logging"))
    add(
        "tracker.main/redis",
        F("env", "TRACKER_REDIS_ADDR", "localhost:6379", note="Redis for live positions"),
    )
    add("tracker.main/gpskey", F("env", "TRACKER_GPS_API_KEY", None, note="GPS vendor API key"))
    add("tracker.main/logfmt", F("env", "TRACKER_LOG_FORMAT", "json", note="log format"))
    add(
        "tracker.api/get",
        F("endpoint", "GET /v1/shipments/{}", display="/v1/shipments/{id}", note="a shipment"),
    )
    add(
        "tracker.api/events",
        F(
            "endpoint",
            "POST /v1/shipments/{}/events",
            display="/v1/shipments/{id}/events",
            note="append a scan event",
        ),
    )
    add(
        "tracker.api/track",
        F(
            "endpoint",
            "GET /v1/shipments/{}/track",
            display="/v1/shipments/{id}/track",
            note="live position",
        ),
    )
    add("tracker.geo/eta", F("symbol", "ComputeETA", note="ETA from distance and speed"))
    add("tracker.geo/haversine", F("symbol", "HaversineKm", note="great-circle distance"))
    add("tracker.geo/snap", F("symbol", "SnapToRoad", note="map-matches a ping"))
    # portal (TypeScript)
    add("portal.server/port", F("env", "PORTAL_PORT", "3000", note="HTTP port"))
    add(
        "portal.server/apibase",
        F("env", "PORTAL_API_BASE", "http://localhost:8000", note="dispatch API base URL"),
    )
    add("portal.server/secret", F("env", "PORTAL_SESSION_SECRET", None, note="cookie secret"))
    add(
        "portal.server/getquote",
        F("endpoint", "GET /api/v1/quotes/{}", display="/api/v1/quotes/{id}", note="a quote"),
    )
    add(
        "portal.server/postquote",
        F("endpoint", "POST /api/v1/quotes", display="/api/v1/quotes", note="request a quote"),
    )
    add(
        "portal.server/invoices",
        F("endpoint", "GET /api/v1/invoices", display="/api/v1/invoices", note="invoice list"),
    )
    add(
        "portal.server/health",
        F("endpoint", "GET /api/health", display="/api/health", note="health"),
    )
    add("portal.pricing/quote", F("symbol", "calculateQuote", note="prices a shipment"))
    add("portal.pricing/currency", F("symbol", "formatCurrency", note="formats money"))
    add("portal.pricing/fuel", F("symbol", "applyFuelSurcharge", note="adds the fuel surcharge"))
    for name in ("build", "test", "lint", "dev", "storybook"):
        add(f"portal.package/{name}", F("command", f"npm run {name}"))
    add("portal.config/ttl", F("config", "quotes.cacheTtl", "300", note="quote cache (s)"))
    add("portal.config/maxitems", F("config", "quotes.maxItems", "50", note="lines per quote"))
    add("portal.config/timeout", F("config", "http.timeout", "10", note="backend calls (s)"))
    # shell scripts
    add("script.deploy/env", F("flag", "--env", "staging", note="target environment"))
    add("script.deploy/tag", F("flag", "--tag", "latest", note="image tag"))
    add("script.deploy/dryrun", F("flag", "--dry-run", None, note="print, do not deploy"))
    add("script.deploy/denv", F("env", "DEPLOY_ENV", "staging", note="environment fallback"))
    add("script.backup/bucket", F("flag", "--bucket", None, note="S3 bucket for dumps"))
    add("script.backup/retention", F("flag", "--retention-days", None, note="days to keep"))
    add(
        "script.backup/retenv",
        F("env", "BACKUP_RETENTION_DAYS", "7", note="default retention"),
    )
    add("script.rotate/keyid", F("flag", "--key-id", None, note="KMS key to rotate"))
    add("script.rotate/service", F("flag", "--service", None, note="service whose key rotates"))
    add("script.seed/orders", F("flag", "--orders", None, note="number of demo orders"))
    add("script.reindex/index", F("flag", "--index", None, note="search index to rebuild"))
    add("script.migrate/target", F("flag", "--target", None, note="migration revision"))
    add("script.loadtest/rps", F("env", "LOAD_TEST_RPS", "50", note="requests per second"))
    add("script.loadtest/duration", F("env", "LOAD_TEST_DURATION", "60s", note="test length"))
    add("script.tracker_deploy/cluster", F("flag", "--cluster", None, note="EKS cluster"))
    # Makefile
    for name in ("test", "lint", "build", "run-dispatch", "deploy", "seed-db", "docs", "migrate"):
        add(f"make/{name}", F("command", f"make {name}"))
    # Helm values
    add("helm/replicas", F("config", "replicaCount", "2", note="pods per service"))
    add("helm/repo", F("config", "image.repository", "ghcr.io/northwind/dispatch", note="image"))
    add("helm/pullpolicy", F("config", "image.pullPolicy", "IfNotPresent", note="pull policy"))
    add("helm/mem", F("config", "resources.limits.memory", "512Mi", note="memory limit"))
    add("helm/cpu", F("config", "resources.limits.cpu", "500m", note="CPU limit"))
    add("helm/hpamax", F("config", "autoscaling.max", "6", note="HPA ceiling"))
    add("helm/svcport", F("config", "service.port", "80", note="cluster service port"))
    # Terraform variables
    add("tf/region", F("config", "region", "us-east-1", note="AWS region"))
    add("tf/instance", F("config", "instance_type", "t3.medium", note="worker nodes"))
    add("tf/dbsize", F("config", "db_size", "db.t3.medium", note="RDS instance class"))
    add("tf/storage", F("config", "db_allocated_storage", "100", note="RDS storage (GiB)"))
    add("tf/env", F("config", "environment", "staging", note="environment name"))
    # compose images, runtimes
    add("compose/postgres", F("version", "postgres", "13"))
    add("compose/redis", F("version", "redis", "6.2"))
    add("runtime/python", F("version", "python", "3.9"))
    add("runtime/node", F("version", "node", "16"))
    add("runtime/go", F("version", "go", "1.20"))
    return s


def _r(slot: str, subject: str, display: str | None = None, value: str | None = None) -> Op:
    return Op("rename", slot, subject=subject, display=display, value=value)


def _s(slot: str, value: str) -> Op:
    return Op("set", slot, value=value)


def changes() -> list[Change]:
    """The history after the initial commit, in date order."""
    cs = [
        Change(
            "2022-03-14",
            "renamed-env",
            "dispatch: read DISPATCH_DATABASE_URL (was DISPATCH_DB_URL)",
            (_r("dispatch.settings/dburl", "DISPATCH_DATABASE_URL"),),
            "ben",
        ),
        Change(
            "2022-09-12",
            "runtime-bump",
            "Python 3.10 everywhere",
            (_s("runtime/python", "3.10"),),
            "chen",
        ),
        Change(
            "2022-10-20",
            "replaced-deploy",
            "tracker: deploy with make deploy-tracker; drop services/tracker/deploy.sh",
            (
                Op("delcomp", "script.tracker_deploy"),
                Op("add", "make/deploy-tracker", fact=F("command", "make deploy-tracker")),
            ),
            "dara",
        ),
        Change(
            "2023-02-06",
            "changed-port",
            "tracker: listen on :9090 by default",
            (_s("tracker.main/listen", ":9090"),),
            "dara",
        ),
        Change(
            "2023-03-20",
            "renamed-flag",
            "dispatch: --max-retries is now --retries",
            (_r("dispatch.cli/retries", "--retries"),),
            "ben",
        ),
        Change(
            "2023-04-11",
            "renamed-symbol",
            "planner: assign_driver -> assign_courier",
            (_r("dispatch.planner/assign", "assign_courier"),),
            "ben",
        ),
        Change("2023-04-24", "runtime-bump", "portal: Node 18", (_s("runtime/node", "18"),), "eli"),
        Change(
            "2023-05-15",
            "renamed-config",
            "dispatch.yaml: queue.prefetch -> queue.prefetch_count",
            (_r("dispatch.yaml/prefetch", "queue.prefetch_count"),),
            "chen",
        ),
        Change(
            "2023-06-05",
            "db-image-bump",
            "compose: PostgreSQL 15",
            (_s("compose/postgres", "15"),),
            "ana",
        ),
        Change(
            "2023-06-19",
            "deleted-script",
            "Remove the demo seeding script and make seed-db",
            (Op("delcomp", "script.seed"), Op("del", "make/seed-db")),
            "ana",
        ),
        Change(
            "2023-07-10",
            "changed-default",
            "helm: two replicas were not enough at peak; default to 3",
            (_s("helm/replicas", "3"),),
            "dara",
        ),
        Change(
            "2023-08-14",
            "renamed-flag",
            "backup_db.sh: --bucket -> --s3-bucket",
            (_r("script.backup/bucket", "--s3-bucket"),),
            "ana",
        ),
        Change(
            "2023-09-04",
            "moved-file",
            "Move rotate_keys.sh to tools/",
            (Op("move", "script.rotate", path="tools/rotate_keys.sh"),),
            "chen",
        ),
        Change(
            "2023-09-25", "runtime-bump", "tracker: Go 1.21", (_s("runtime/go", "1.21"),), "dara"
        ),
        Change(
            "2023-10-16",
            "changed-default",
            "dispatch: DISPATCH_TIMEOUT defaults to 45",
            (_s("dispatch.settings/timeout", "45"),),
            "ben",
        ),
        Change(
            "2023-11-13",
            "db-image-bump",
            "compose: Redis 7.2",
            (_s("compose/redis", "7.2"),),
            "dara",
        ),
        Change(
            "2023-12-04",
            "changed-default",
            "load_test.sh: 100 rps by default",
            (_s("script.loadtest/rps", "100"),),
            "eli",
        ),
        Change(
            "2024-01-15",
            "changed-port",
            "dispatch: serve on 8081",
            (_s("dispatch.yaml/port", "8081"),),
            "ben",
        ),
        Change(
            "2024-01-29",
            "changed-default",
            "terraform: t3.large workers",
            (_s("tf/instance", "t3.large"),),
            "chen",
        ),
        Change(
            "2024-02-12",
            "renamed-flag",
            "tracker: --region -> --zone",
            (_r("tracker.main/region", "--zone", value="us-east-1a"),),
            "dara",
        ),
        Change(
            "2024-02-26",
            "make-target-removed",
            "portal: drop storybook",
            (Op("del", "portal.package/storybook"),),
            "eli",
        ),
        Change(
            "2024-03-11",
            "renamed-symbol",
            "tracker: ComputeETA -> EstimateArrival",
            (_r("tracker.geo/eta", "EstimateArrival"),),
            "dara",
        ),
        Change(
            "2024-03-25",
            "renamed-config",
            "helm: autoscaling.max -> autoscaling.maxReplicas",
            (_r("helm/hpamax", "autoscaling.maxReplicas"),),
            "chen",
        ),
        Change(
            "2024-04-15",
            "renamed-env",
            "tracker: TRACKER_REDIS_URL replaces TRACKER_REDIS_ADDR",
            (_r("tracker.main/redis", "TRACKER_REDIS_URL", value="redis://localhost:6379/0"),),
            "dara",
        ),
        Change(
            "2024-05-06",
            "endpoint-v2",
            "tracker: /v2/shipments/{id}/track",
            (_r("tracker.api/track", "GET /v2/shipments/{}/track", "/v2/shipments/{id}/track"),),
            "dara",
        ),
        Change(
            "2024-05-21",
            "runtime-bump",
            "Python 3.12",
            (_s("runtime/python", "3.12"),),
            "chen",
        ),
        Change(
            "2024-06-10",
            "renamed-config",
            "terraform: db_size -> db_instance_class",
            (_r("tf/dbsize", "db_instance_class"),),
            "chen",
        ),
        Change(
            "2024-06-24",
            "make-target-removed",
            "Makefile: drop docs target (docs moved to the wiki)",
            (Op("del", "make/docs"),),
            "ana",
        ),
        Change(
            "2024-07-08",
            "changed-default",
            "tracker: 16 ingest workers",
            (_s("tracker.main/workers", "16"),),
            "dara",
        ),
        Change(
            "2024-08-19",
            "changed-default",
            "dispatch: pool_size 50",
            (_s("dispatch.yaml/pool", "50"),),
            "ben",
        ),
        Change(
            "2024-08-26", "runtime-bump", "tracker: Go 1.22", (_s("runtime/go", "1.22"),), "dara"
        ),
        Change(
            "2024-09-16",
            "renamed-flag",
            "dispatch: --input-file -> --manifest",
            (_r("dispatch.cli/input", "--manifest", value="manifest.csv"),),
            "ben",
        ),
        Change(
            "2024-10-07",
            "moved-file",
            "Move db_migrate.sh next to the dispatch service",
            (Op("move", "script.migrate", path="services/dispatch/scripts/migrate.sh"),),
            "ben",
        ),
        Change("2024-10-21", "runtime-bump", "portal: Node 20", (_s("runtime/node", "20"),), "eli"),
        Change(
            "2024-11-04",
            "renamed-env",
            "portal: PORTAL_BACKEND_URL replaces PORTAL_API_BASE",
            (_r("portal.server/apibase", "PORTAL_BACKEND_URL", value="http://localhost:8081"),),
            "eli",
        ),
        Change(
            "2024-11-18",
            "endpoint-v2",
            "portal: /api/v2/invoices",
            (_r("portal.server/invoices", "GET /api/v2/invoices", "/api/v2/invoices"),),
            "eli",
        ),
        Change(
            "2024-12-09",
            "deleted-script",
            "Remove reindex_search.sh (search moved to OpenSearch managed reindex)",
            (Op("delcomp", "script.reindex"),),
            "ana",
        ),
        Change(
            "2025-01-13",
            "moved-file",
            "tracker: geo.go -> distance.go",
            (Op("move", "tracker.geo", path="services/tracker/internal/geo/distance.go"),),
            "dara",
        ),
        Change(
            "2025-01-27",
            "renamed-config",
            "portal: quotes.cacheTtl -> quotes.ttlSeconds",
            (_r("portal.config/ttl", "quotes.ttlSeconds"),),
            "eli",
        ),
        Change(
            "2025-02-10",
            "renamed-symbol",
            "portal: calculateQuote -> priceQuote",
            (_r("portal.pricing/quote", "priceQuote"),),
            "eli",
        ),
        Change(
            "2025-02-17",
            "db-image-bump",
            "compose: PostgreSQL 16",
            (_s("compose/postgres", "16"),),
            "ana",
        ),
        Change(
            "2025-02-24",
            "deleted-script",
            "dispatch: remove export_csv.py (exports live in the portal now)",
            (Op("delcomp", "dispatch.export"),),
            "ben",
        ),
        Change(
            "2025-03-10",
            "replaced-deploy",
            "Replace scripts/deploy.sh and make deploy with scripts/release.sh / make release",
            (
                Op("delcomp", "script.deploy"),
                Op("del", "make/deploy"),
                Op("addcomp", "script.release", path="scripts/release.sh"),
                Op("add", "script.release/env", fact=F("flag", "--env", "staging", note="target")),
                Op("add", "script.release/tag", fact=F("flag", "--tag", None, note="image tag")),
                Op("add", "script.release/wait", fact=F("flag", "--wait", "300", note="rollout")),
                Op("add", "script.release/dryrun", fact=F("flag", "--dry-run", None, note="")),
                Op("add", "make/release", fact=F("command", "make release")),
            ),
            "ana",
        ),
        Change(
            "2025-03-24",
            "changed-default",
            "helm: 1Gi memory limit",
            (_s("helm/mem", "1Gi"),),
            "dara",
        ),
        Change(
            "2025-04-07",
            "changed-port",
            "portal: PORTAL_PORT defaults to 3100",
            (_s("portal.server/port", "3100"),),
            "eli",
        ),
        Change(
            "2025-04-22",
            "endpoint-v2",
            "dispatch: GET /v2/orders/{order_id}",
            (_r("dispatch.api/getorder", "GET /v2/orders/{}", "/v2/orders/{order_id}"),),
            "ben",
        ),
        Change(
            "2025-05-12",
            "changed-default",
            "dispatch: --batch-size 500",
            (_s("dispatch.cli/batch", "500"),),
            "ben",
        ),
    ]
    assert [c.date for c in cs] == sorted(c.date for c in cs)
    return cs


INITIAL_DATE = "2021-11-15"
