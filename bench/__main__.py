"""`make bench`: every benchmark in turn; results are printed as markdown for bench/README.md.

Benchmarks measure; they never pass or fail a build. Run one alone with
`python -m bench.bench_pipeline` (or bench_scorer, bench_spikes).
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = ("bench.bench_pipeline", "bench.bench_scorer", "bench.bench_spikes")


def main() -> int:
    failed = 0
    for module in BENCHES:
        print(f"\n<!-- {module} -->", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", module], check=False)
        failed += done.returncode != 0
        print(f"<!-- {module}: {time.perf_counter() - started:.0f}s -->", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
