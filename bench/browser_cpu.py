"""Benchmark (not a test): what the browser tests cost in each of Debian's Chromium packages.

Runs `tests/browser` through `make test` (its test environment, two processes), once per browser
installed (the headless shell, package chromium-headless-shell, and the desktop chromium), and prints
the wall time and the CPU time the whole machine spent meanwhile (busy jiffies in /proc/stat:
chromium's renderer processes are not children pytest waits for, so its own CPU count misses them).
Run it on a quiet machine.

    .venv/bin/python bench/browser_cpu.py [pytest arguments, e.g. tests/browser/test_confirmations.py]
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")


def busy_and_idle_seconds() -> tuple[float, float]:
    """The whole machine's busy and idle CPU seconds since boot (all cores)."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / ticks, (idle + iowait) / ticks


def run(browser: str, args: list[str]) -> tuple[float, float, float, int]:
    """`make test` (its test environment and processes) on `args` only, in `browser`."""
    env = os.environ | {"ROSTER_BROWSER": browser, "ROSTER_REQUIRE_BROWSER": "1"}
    command = ["make", "-s", "test", f"PYTEST_ARGS=-q {shlex.join(args)}"]
    busy, idle = busy_and_idle_seconds()
    started = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False).returncode
    wall = time.monotonic() - started
    busy_after, idle_after = busy_and_idle_seconds()
    return wall, busy_after - busy, idle_after - idle, code


def main() -> None:
    args = sys.argv[1:] or ["tests/browser"]
    print(f"{'browser':<34} {'wall s':>7} {'busy CPU-s':>10} {'idle CPU-s':>10}  pytest")
    for browser in BROWSERS:
        if not os.path.exists(browser):
            print(f"{browser:<34} not installed")
            continue
        wall, busy, idle, code = run(browser, args)
        print(f"{browser:<34} {wall:7.1f} {busy:10.1f} {idle:10.1f}  {'passed' if code == 0 else f'exit {code}'}")


if __name__ == "__main__":
    main()
