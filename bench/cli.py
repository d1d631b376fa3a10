"""Benchmark: how long `provnews --help` and `provnews --version` take, against a bare
interpreter measured in the same run (``python -c pass``), and which heavy packages
the help imports (none should: commands load only when they run).

Run: ``python -m bench.cli [--runs 15]``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

HEAVY = ("scrapy", "twisted", "sqlalchemy", "alembic", "trafilatura", "lxml", "apscheduler")
BUDGET_S = 0.3


def timings(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``argv``: on a shared machine the
    CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def heavy_imports(argv: list[str]) -> list[str]:
    """Top-level packages of HEAVY that ``python -X importtime`` sees imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(names & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    wall, cpu = timings([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass           wall {wall * 1000:5.0f} ms  cpu {cpu * 1000:5.0f} ms  (baseline)")
    for args in (["--help"], ["--version"]):
        wall, cpu = timings([sys.executable, "-m", "crawler", *args], runs)
        verdict = "ok" if wall < BUDGET_S else f"OVER {BUDGET_S} s"
        print(f"python -m crawler {args[0]:<9} wall {wall * 1000:5.0f} ms  cpu {cpu * 1000:5.0f} ms  ({verdict}); "
              f"heavy imports: {', '.join(heavy_imports(['-m', 'crawler', *args])) or 'none'}")


if __name__ == "__main__":
    main()
