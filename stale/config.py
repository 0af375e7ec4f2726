"""TOML configuration -> typed, validated settings.

Every error names the offending key and says how to fix it, in one line.
Secrets are only ever read from the environment with `${ENV_VAR}` syntax; a
literal that looks like a secret is still accepted (we cannot tell), but the
docs say not to.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_STORE = Path(".stale") / "stale.db"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """A malformed or inconsistent configuration. str() is the one-line fix-it message."""


@dataclass(frozen=True)
class RepoConfig:
    name: str
    path: Path


@dataclass(frozen=True)
class SourceConfig:
    """A wiki source. `options` are passed to the connector named by `type`,
    which validates them (unknown keys are errors there too)."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    repos: tuple[str, ...] = ()  # repos this source's claims resolve against; () = all
    # page-id prefix (a folder) or a page's `space` -> the repos its pages resolve against
    repo_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class JudgeConfig:
    """Thresholds of the score -> status mapping (see docs/verdicts.md)."""

    stale_score: float = 0.6
    suspect_score: float = 0.25
    contradicted_weight: float = 0.9
    missing_weight: float = 0.9
    missing_without_commit_weight: float = 0.5
    marker_weight: float = 0.3
    old_page_days: int = 730
    old_page_weight: float = 0.15

    def fingerprint(self) -> str:
        return repr(sorted(vars(self).items()))


@dataclass(frozen=True)
class ScanConfig:
    fail_on: str = "stale"  # "stale" | "suspect"
    max_age_days: int = 30  # re-check a verdict older than this even if nothing changed (0: never)
    workers: int = 0  # processes that check pages; 0: one per CPU core, 1: in this process


#: Built-in globs of repository files that are vendored or generated: never indexed
#: unless `[limits] skip_defaults = false`.
DEFAULT_SKIP_GLOBS: tuple[str, ...] = (
    "**/node_modules/**",
    "**/vendor/**",
    "**/third_party/**",
    "**/dist/**",
    "**/build/**",
    "**/*.min.js",
    "**/*.min.css",
    "**/*_pb2.py",
    "**/*_pb2_grpc.py",
    "**/*.pb.go",
    "**/*.generated.*",
    "**/*_generated.*",
    "**/zz_generated*.go",
)


@dataclass(frozen=True)
class LimitsConfig:
    """Bounds on what one scan reads (docs/security.md). Exceeding one skips the
    thing with a recorded reason; it never fails the scan."""

    max_page_bytes: int = 2_000_000  # a larger page is `unknown`, not read further
    max_claims_per_page: int = 2000  # claims after this many are dropped, with a note
    max_file_bytes: int = 1_048_576  # a larger repository file is not indexed
    skip: tuple[str, ...] = ()  # extra globs of repository files never indexed
    skip_defaults: bool = True  # also skip DEFAULT_SKIP_GLOBS (vendored, generated)
    symlinks: str = "inside"  # "inside": follow links that stay in the root; "never"
    max_archive_bytes: int = 512 * 1024 * 1024  # total unpacked size of a wiki export
    max_archive_members: int = 100_000  # files in a wiki export archive

    @property
    def skip_globs(self) -> tuple[str, ...]:
        return (*DEFAULT_SKIP_GLOBS, *self.skip) if self.skip_defaults else self.skip

    def fingerprint(self) -> str:
        return repr(sorted(vars(self).items()))


@dataclass(frozen=True)
class SemanticConfig:
    """Embeddings and the semantic signals (docs/semantic.md)."""

    enabled: bool = True
    embedder: str = "hashing"  # "hashing" (built-in, offline) or a sentence-transformers model
    device: str = "auto"  # sentence-transformers only: auto, cpu, cuda, mps
    batch_size: int = 32
    superseded_similarity: float = 0.35
    superseded_weight: float = 0.4
    superseded_shared_claims: float = 0.5  # claim overlap that makes up for a low cosine
    duplicate_similarity: float = 0.95
    duplicate_text_similarity: float = 0.85  # word 3-shingle Jaccard of the visible texts
    drift_min_commits: int = 8
    drift_min_lines: int = 400
    drift_weight: float = 0.3
    drift_code_similarity: float = 0.3
    drift_code_neighbours: int = 3
    code_index: bool = True
    approximate_index_above: int = 20000

    def fingerprint(self) -> str:
        return repr(sorted(vars(self).items()))


@dataclass(frozen=True)
class Config:
    store: Path = DEFAULT_STORE
    repos: tuple[RepoConfig, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    scan: ScanConfig = field(default_factory=ScanConfig)
    semantic: SemanticConfig = field(default_factory=SemanticConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    baseline: Path | None = None  # triage baseline; None: baseline.json beside the store
    path: Path | None = None  # the file it was read from, if any

    @property
    def baseline_path(self) -> Path:
        return self.baseline if self.baseline is not None else self.store.parent / "baseline.json"


_TOP_KEYS = {"store", "repos", "sources", "judge", "scan", "triage", "semantic", "limits"}
_REPO_KEYS = {"name", "path"}
_FAIL_ON = ("stale", "suspect")


def expand_env(value: str, key: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` with the environment's value; a missing one is an error."""
    env = os.environ if environ is None else environ

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            raise ConfigError(
                f"{key}: environment variable {name} is not set; export it or change the config"
            )
        return env[name]

    return _ENV_REF.sub(sub, value)


def _expand_all(obj: Any, key: str, environ: Mapping[str, str] | None) -> Any:
    if isinstance(obj, str):
        return expand_env(obj, key, environ)
    if isinstance(obj, list):
        return [_expand_all(v, f"{key}[{i}]", environ) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return {k: _expand_all(v, f"{key}.{k}", environ) for k, v in obj.items()}
    return obj


def _type_name(t: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        t, t.__name__
    )


def _check_type(key: str, value: Any, want: type) -> Any:
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if want is int and isinstance(value, bool):
        raise ConfigError(f"{key}: expected {_type_name(want)}, got {value!r}")
    if not isinstance(value, want):
        raise ConfigError(f"{key}: expected {_type_name(want)}, got {value!r}")
    return value


def _unknown(section: str, got: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(got) - allowed)
    if extra:
        where = f"{section}." if section else ""
        raise ConfigError(
            f"{where}{extra[0]}: unknown key; allowed here: {', '.join(sorted(allowed))}"
        )


def _judge(raw: Mapping[str, Any]) -> JudgeConfig:
    defaults = JudgeConfig()
    allowed = set(vars(defaults))
    _unknown("judge", raw, allowed)
    values: dict[str, Any] = {}
    for k, v in raw.items():
        want = type(getattr(defaults, k))
        values[k] = _check_type(f"judge.{k}", v, want)
        if want is float and not 0.0 <= values[k] <= 1.0:
            raise ConfigError(f"judge.{k}: must be between 0 and 1, got {v!r}")
        if want is int and values[k] < 0:
            raise ConfigError(f"judge.{k}: must be >= 0, got {v!r}")
    judge = JudgeConfig(**values)
    if judge.suspect_score > judge.stale_score:
        raise ConfigError(
            "judge.suspect_score: must not exceed judge.stale_score "
            f"({judge.suspect_score} > {judge.stale_score})"
        )
    return judge


def _semantic(raw: Mapping[str, Any]) -> SemanticConfig:
    defaults = SemanticConfig()
    _unknown("semantic", raw, set(vars(defaults)))
    values: dict[str, Any] = {}
    for k, v in raw.items():
        want = type(getattr(defaults, k))
        values[k] = _check_type(f"semantic.{k}", v, want)
        if want is float and not 0.0 <= values[k] <= 1.0:
            raise ConfigError(f"semantic.{k}: must be between 0 and 1, got {v!r}")
        least = 1 if k == "batch_size" else 0
        if want is int and values[k] < least:
            raise ConfigError(f"semantic.{k}: must be >= {least}, got {v!r}")
        if want is str and not values[k].strip():
            raise ConfigError(f"semantic.{k}: must not be empty")
    device = values.get("device", "auto")
    if device not in ("auto", "cpu", "cuda", "mps"):
        raise ConfigError(f"semantic.device: must be auto, cpu, cuda or mps, got {device!r}")
    return SemanticConfig(**values)


def _limits(raw: Mapping[str, Any]) -> LimitsConfig:
    defaults = LimitsConfig()
    _unknown("limits", raw, set(vars(defaults)))
    values: dict[str, Any] = {}
    for k, v in raw.items():
        key = f"limits.{k}"
        if k == "skip":
            values[k] = tuple(
                _check_type(f"{key}[{i}]", g, str) for i, g in enumerate(_check_type(key, v, list))
            )
            if any(not g.strip() for g in values[k]):
                raise ConfigError(f"{key}: an empty glob; remove it")
            continue
        want = type(getattr(defaults, k))
        values[k] = _check_type(key, v, want)
        if want is int and values[k] < 1:
            raise ConfigError(f"{key}: must be >= 1, got {v!r}")
    if values.get("symlinks", "inside") not in ("inside", "never"):
        raise ConfigError(f"limits.symlinks: must be inside or never, got {values['symlinks']!r}")
    return LimitsConfig(**values)


def _resolve(base: Path, p: str) -> Path:
    path = Path(p).expanduser()
    return path if path.is_absolute() else (base / path)


def parse_config(
    data: Mapping[str, Any],
    base_dir: Path,
    *,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Config:
    """Validate a parsed TOML document. Relative paths resolve against base_dir."""
    data = _expand_all(dict(data), "", environ)
    _unknown("", data, _TOP_KEYS)

    store = DEFAULT_STORE
    if "store" in data:
        store = _resolve(base_dir, _check_type("store", data["store"], str))

    repos: list[RepoConfig] = []
    raw_repos = _check_type("repos", data.get("repos", []), list)
    for i, r in enumerate(raw_repos):
        key = f"repos[{i}]"
        r = _check_type(key, r, dict)
        _unknown(key, r, _REPO_KEYS)
        if "path" not in r:
            raise ConfigError(f"{key}.path: missing; give the path of a repository checkout")
        rpath = _resolve(base_dir, _check_type(f"{key}.path", r["path"], str))
        name = _check_type(f"{key}.name", r.get("name", rpath.name), str)
        if any(x.name == name for x in repos):
            raise ConfigError(f"{key}.name: duplicate repo name {name!r}; names must be unique")
        repos.append(RepoConfig(name=name, path=rpath))

    sources: list[SourceConfig] = []
    raw_sources = _check_type("sources", data.get("sources", []), list)
    for i, s in enumerate(raw_sources):
        key = f"sources[{i}]"
        s = dict(_check_type(key, s, dict))
        if "type" not in s:
            raise ConfigError(f'{key}.type: missing; e.g. type = "markdown"')
        stype = _check_type(f"{key}.type", s.pop("type"), str)
        name = _check_type(f"{key}.name", s.pop("name", stype), str)
        if any(x.name == name for x in sources):
            raise ConfigError(f"{key}.name: duplicate source name {name!r}; names must be unique")
        src_repos = tuple(
            _check_type(f"{key}.repos[{j}]", r, str)
            for j, r in enumerate(_check_type(f"{key}.repos", s.pop("repos", []), list))
        )
        repo_map: dict[str, tuple[str, ...]] = {}
        for prefix, names in _check_type(f"{key}.repo_map", s.pop("repo_map", {}), dict).items():
            mkey = f"{key}.repo_map.{prefix}"
            if isinstance(names, str):
                names = [names]
            repo_map[prefix] = tuple(
                _check_type(mkey, n, str) for n in _check_type(mkey, names, list)
            )
        for r in (*src_repos, *(n for ns in repo_map.values() for n in ns)):
            if not any(x.name == r for x in repos):
                raise ConfigError(f"{key}.repos: no [[repos]] entry is named {r!r}")
        # Paths in connector options resolve against the config file's folder too.
        if isinstance(s.get("path"), str):
            s["path"] = str(_resolve(base_dir, s["path"]))
        sources.append(
            SourceConfig(name=name, type=stype, options=s, repos=src_repos, repo_map=repo_map)
        )

    judge = _judge(_check_type("judge", data.get("judge", {}), dict))

    scan_raw = _check_type("scan", data.get("scan", {}), dict)
    _unknown("scan", scan_raw, {"fail_on", "max_age_days", "workers"})
    fail_on = _check_type("scan.fail_on", scan_raw.get("fail_on", "stale"), str)
    if fail_on not in _FAIL_ON:
        raise ConfigError(f"scan.fail_on: must be one of {', '.join(_FAIL_ON)}, got {fail_on!r}")
    max_age = _check_type("scan.max_age_days", scan_raw.get("max_age_days", 30), int)
    if max_age < 0:
        raise ConfigError(f"scan.max_age_days: must be >= 0, got {max_age}")
    workers = _check_type("scan.workers", scan_raw.get("workers", 0), int)
    if workers < 0:
        raise ConfigError(f"scan.workers: must be >= 0 (0: one per CPU core), got {workers}")

    triage_raw = _check_type("triage", data.get("triage", {}), dict)
    _unknown("triage", triage_raw, {"baseline"})
    baseline = None
    if "baseline" in triage_raw:
        baseline = _resolve(base_dir, _check_type("triage.baseline", triage_raw["baseline"], str))

    semantic = _semantic(_check_type("semantic", data.get("semantic", {}), dict))
    if semantic.embedder not in ("hashing",) and semantic.embedder.startswith((".", "~")):
        semantic = replace(semantic, embedder=str(_resolve(base_dir, semantic.embedder)))

    return Config(
        store=store,
        semantic=semantic,
        baseline=baseline,
        repos=tuple(repos),
        sources=tuple(sources),
        judge=judge,
        scan=ScanConfig(fail_on=fail_on, max_age_days=max_age, workers=workers),
        limits=_limits(_check_type("limits", data.get("limits", {}), dict)),
        path=path,
    )


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a TOML config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found; pass --config with an existing file"
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    return parse_config(data, path.parent.resolve(), environ=environ, path=path)
