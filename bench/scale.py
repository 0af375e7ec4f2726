"""Scale benchmark: a synthetic wiki of N pages against a repository of M files.

    python -m bench.scale [--pages 100000] [--files 20000] [--seed 1] [--dest DIR]
                          [--workers 0] [--semantic]

Prints: full-scan time and pages/s (without embeddings unless --semantic), the
ratio of scan time to only parsing the same pages with markdown-it-py, re-scan
time after 1% of pages and 1% of repo files changed (and again with the code
index rebuilt instead of loaded from its cache), peak memory of the scan and its
workers (summed proportional set size, sampled every second), and `stale check`
cold latency as a ratio to `python -c pass`. Deterministic by seed. Targets
(issue 7, 2-core machine): full scan of 100k pages / 20k files < 180 s, ratio
to parsing < 4x, re-scan < 10 s, peak memory < 2 GB, check < 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

WORDS = [
    "service",
    "deploy",
    "billing",
    "ledger",
    "invoice",
    "worker",
    "queue",
    "cache",
    "retry",
    "timeout",
    "region",
    "cluster",
    "backup",
    "restore",
    "rotate",
    "token",
    "webhook",
    "schema",
    "migration",
    "replica",
    "pool",
]


def git(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )


def make_repo(root: Path, files: int, rng: random.Random) -> list[dict[str, str]]:
    """M files: Python modules with argparse flags, env reads and settings; YAML
    config; shell scripts. Returns the facts pages can cite."""
    facts: list[dict[str, str]] = []
    root.mkdir(parents=True)
    per_dir = 200
    for i in range(files):
        d = root / f"svc{i // per_dir:03d}"
        d.mkdir(exist_ok=True)
        kind = i % 4
        name = f"{rng.choice(WORDS)}_{i}"
        if kind == 0:
            flag, env, default = f"--{name.replace('_', '-')}", f"{name.upper()}_URL", str(i % 97)
            (d / f"{name}.py").write_text(
                "import argparse\nimport os\n\n\n"
                f"def run_{name}(args):\n    return os.getenv({env!r}, {default!r})\n\n\n"
                "def main():\n    p = argparse.ArgumentParser()\n"
                f"    p.add_argument({flag!r}, default={default})\n    p.parse_args()\n"
            )
            facts.append(
                {
                    "kind": "py",
                    "path": f"{d.name}/{name}.py",
                    "flag": flag,
                    "env": env,
                    "symbol": f"run_{name}",
                    "default": default,
                }
            )
        elif kind == 1:
            (d / f"{name}.yaml").write_text(
                f"{name}:\n  pool_size: {i % 50 + 1}\n  timeout: {i % 30 + 5}s\n"
            )
            facts.append(
                {
                    "kind": "yaml",
                    "path": f"{d.name}/{name}.yaml",
                    "key": f"{name}.pool_size",
                    "value": str(i % 50 + 1),
                }
            )
        elif kind == 2:
            (d / f"{name}.sh").write_text(
                '#!/usr/bin/env bash\nwhile [[ $# -gt 0 ]]; do\n  case "$1" in\n'
                f"    --{name.replace('_', '-')}) X=$2; shift 2 ;;\n    *) exit 2 ;;\n"
                "  esac\ndone\n"
            )
            facts.append(
                {"kind": "sh", "path": f"{d.name}/{name}.sh", "flag": f"--{name.replace('_', '-')}"}
            )
        else:
            (d / f"{name}.md").write_text(f"# {name}\n\nNotes.\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    return facts


def page_text(i: int, rng: random.Random, facts: list[dict[str, str]]) -> str:
    """A page of ~40 lines citing ~6 facts, some of them wrong (stale)."""
    picks = [rng.choice(facts) for _ in range(4)]
    lines = [f"# {rng.choice(WORDS).title()} runbook {i}", ""]
    for f in picks:
        lines.append(" ".join(rng.choice(WORDS) for _ in range(12)) + ".")
        if f["kind"] == "py":
            wrong = rng.random() < 0.05
            default = str(int(f["default"]) + 1) if wrong else f["default"]
            lines += [
                "",
                f"`{f['env']}` points at the database; `{f['symbol']}()` reads it.",
                f"The `{f['flag']}` option defaults to {default}.",
                "",
                "```bash",
                f"python {f['path']} {f['flag']} 3",
                "```",
                "",
            ]
        elif f["kind"] == "yaml":
            lines += [
                "",
                f"In `{f['path']}` the `pool_size` is set per service:",
                "",
                "```yaml",
                f"# {f['path']}",
                f"{f['key'].split('.')[0]}:",
                f"  pool_size: {f['value']}",
                "```",
                "",
            ]
        else:
            lines += ["", "```bash", f"./{f['path']} {f['flag']} eu-west-1", "```", ""]
    lines += ["kubectl get pods -n " + rng.choice(WORDS), ""]
    return "\n".join(lines)


def make_wiki(root: Path, pages: int, rng: random.Random, facts: list[dict[str, str]]) -> None:
    root.mkdir(parents=True)
    for i in range(pages):
        d = root / f"space{i // 1000:03d}"
        d.mkdir(exist_ok=True)
        (d / f"page{i:06d}.md").write_text(page_text(i, rng, facts))


def peak_rss_mb() -> float:
    """The largest single process among the finished children (ru_maxrss)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (the scan and its workers), from the kernel's
    per-task child lists: cheap enough to poll without slowing the scan."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except (OSError, ValueError):
                continue
    return out


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared (copy-on-write) pages split between sharers,
    so summing it over the scan and its workers does not count the index twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(
    cmd: list[str], sample: dict[str, float] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `cmd`; with `sample`, record the peak PSS of its process tree (MB)."""
    t0 = time.perf_counter()
    if sample is None or not os.path.exists("/proc/self/smaps_rollup"):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return time.perf_counter() - t0, proc
    popen = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kb(p) for p in _tree(popen.pid)))
            done.wait(1.0)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    out, err = popen.communicate()
    done.set()
    t.join()
    sample["peak_pss_mb"] = peak / 1024
    return time.perf_counter() - t0, subprocess.CompletedProcess(cmd, popen.returncode, out, err)


def parse_only(wiki: Path) -> float:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    t0 = time.perf_counter()
    for p in sorted(wiki.rglob("*.md")):
        md.parse(p.read_text())
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dest", type=Path, default=Path(".stale/bench-scale"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--workers", type=int, default=0, help="[scan] workers (0: one per core)")
    ap.add_argument(
        "--semantic", action="store_true", help="also embed pages (the targets are without)"
    )
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    dest = args.dest.resolve()
    if dest.exists():
        shutil.rmtree(dest)
    t0 = time.perf_counter()
    facts = make_repo(dest / "repo", args.files, rng)
    make_wiki(dest / "wiki", args.pages, rng, facts)
    gen_s = time.perf_counter() - t0

    (dest / "stale.toml").write_text(
        f'store = "stale.db"\n[[repos]]\nname = "repo"\npath = "repo"\n'
        f'[[sources]]\ntype = "markdown"\nname = "wiki"\npath = "wiki"\n'
        f"[scan]\nworkers = {args.workers}\n"
        f"[semantic]\nenabled = {'true' if args.semantic else 'false'}\n"
    )
    stale = [
        sys.executable,
        "-m",
        "stale",
        "scan",
        "--config",
        str(dest / "stale.toml"),
        "--json",
        "--quiet",
    ]
    memory: dict[str, float] = {}
    full_s, proc = run(stale, memory)
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)
        return 3
    summary = json.loads(proc.stdout)
    peak = memory.get("peak_pss_mb") or peak_rss_mb()
    parse_s = parse_only(dest / "wiki")

    # 1% of pages and 1% of repo files change.
    wiki_pages = sorted((dest / "wiki").rglob("*.md"))
    for p in rng.sample(wiki_pages, max(1, len(wiki_pages) // 100)):
        p.write_text(p.read_text() + "\nEdited.\n")
    repo_files = sorted(p for p in (dest / "repo").rglob("*.yaml"))
    for p in rng.sample(repo_files, max(1, args.files // 100)):
        p.write_text(p.read_text().replace("pool_size: ", "pool_size: 1"))
    git(dest / "repo", "commit", "-q", "-am", "tune")
    re_s, proc = run(stale)
    again = json.loads(proc.stdout)
    # the same again, but the code index built from scratch (no cache from the full scan)
    shutil.rmtree(dest / "cache", ignore_errors=True)
    for p in rng.sample(wiki_pages, max(1, len(wiki_pages) // 100)):
        p.write_text(p.read_text() + "\nEdited again.\n")
    cold_s, _ = run(stale)

    some_page = wiki_pages[0].relative_to(dest / "wiki").as_posix()
    check = [sys.executable, "-m", "stale", "check", some_page, "--store", str(dest / "stale.db")]
    check_s = statistics.median(run(check)[0] for _ in range(5))
    pass_s = statistics.median(run([sys.executable, "-c", "pass"])[0] for _ in range(5))

    result = {
        "pages": args.pages,
        "files": args.files,
        "generate_s": round(gen_s, 1),
        "full_scan_s": round(full_s, 1),
        "pages_per_s": round(args.pages / full_s, 1),
        "workers": summary.get("workers", 1),
        "embeddings": args.semantic,
        "stage_s": summary.get("timings", {}),
        "counts": summary["counts"],
        "parse_only_s": round(parse_s, 1),
        "scan_to_parse_ratio": round(full_s / parse_s, 1),
        "rescan_s": round(re_s, 1),
        "rescan_rechecked": again["rechecked"],
        "rescan_stage_s": again.get("timings", {}),
        "rescan_cold_index_s": round(cold_s, 1),
        "peak_memory_mb": round(peak),
        "check_s": round(check_s, 3),
        "python_pass_s": round(pass_s, 3),
        "check_to_pass_ratio": round(check_s / pass_s, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:>22}: {v}")
        targets = [
            ("full scan < 180 s", full_s < 180 if args.pages >= 100_000 else None),
            ("scan/parse < 4x", full_s / parse_s < 4),
            ("re-scan < 10 s", re_s < 10),
            ("peak memory < 2 GB", peak < 2048),
            ("check < 0.3 s", check_s < 0.3),
        ]
        for name, ok in targets:
            verdict = "n/a (smaller run)" if ok is None else ("PASS" if ok else "FAIL")
            print(f"{'target':>22}: {name}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
