"""Run every benchmark and print each figure beside its baseline, the ratio and the target.

Each benchmark module exposes ``run() -> list[Result]`` (dicts with name, value, unit,
baseline, target, and ``higher_is_better``). A *baseline* is measured in the same run
where a fair comparison exists (plain hashlib, sqlite3's .import, zip -0, Pillow's full
decode...); otherwise it is the figure recorded in ``bench/baselines.json``. The run's
figures are written to ``bench/results/latest.json``.

Usage: ``python -m bench [NAME_FILTER...]``.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

MODULES = [
    "bench.bench_core",
    "bench.bench_photo_open",
    "bench.bench_map",
    "bench.bench_desk",
    "bench.bench_export",
    "bench.bench_report",
    "bench.bench_detect",
    "bench.bench_detect_store",
    "bench.bench_ais_import",
    "bench.bench_verify",
]
HERE = Path(__file__).resolve().parent


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def _verdict(result: dict[str, Any]) -> str:
    target = result.get("target")
    if not isinstance(target, int | float) or (result.get("target_is_ratio") and result.get("ratio") is None):
        return ""
    value = result["ratio"] if result.get("target_is_ratio") else result["value"]
    ok = value >= target if result.get("higher_is_better", False) else value <= target
    return "ok" if ok else "MISSED"


def main(argv: list[str]) -> int:
    recorded = json.loads((HERE / "baselines.json").read_text()) if (HERE / "baselines.json").exists() else {}
    wanted = [a for a in argv if not a.startswith("-")]
    results: list[dict[str, Any]] = []
    for name in MODULES:
        if wanted and not any(w in name for w in wanted):
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            print(f"{name}: skipped ({exc})")
            continue
        started = time.perf_counter()
        for result in module.run():
            if result.get("baseline") is None and result["name"] in recorded:
                result["baseline"] = recorded[result["name"]]
                result["baseline_source"] = "recorded"
            base = result.get("baseline")
            if base:
                higher = result.get("higher_is_better", False)
                result["ratio"] = (
                    (result["value"] / base) if higher else (base / result["value"] if result["value"] else None)
                )
            else:
                result["ratio"] = None
            results.append(result)
            print(
                f"{result['name']:<46} {_fmt(result['value'], result['unit']):>16}"
                f"  baseline {_fmt(base, result['unit']):>16}"
                f"  ratio {result['ratio']:.2f}"
                if result["ratio"] is not None
                else f"{result['name']:<46} {_fmt(result['value'], result['unit']):>16}  baseline {'-':>16}  ratio    -",
                end="",
            )
            target = result.get("target")
            if isinstance(target, int | float):
                kind = "ratio" if result.get("target_is_ratio") else result["unit"]
                sign = ">=" if result.get("higher_is_better") else "<="
                print(f"  target {sign} {target:g} {kind}  {_verdict(result)}")
            else:
                print()
            if result.get("note"):
                print(f"    {result['note']}")
        print(f"  ({name} took {time.perf_counter() - started:.0f} s)")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps({"machine": platform.platform(), "python": sys.version, "results": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
