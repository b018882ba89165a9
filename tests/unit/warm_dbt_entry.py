"""A stand-in for dbt's entry point, run by the warm process in tests/unit/test_warm_dbt.py."""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    """Echo what a command receives (arguments, directory, a variable, standard input); exit as asked."""
    if "--wait" in sys.argv:
        print("waiting", flush=True)
        time.sleep(60)  # until interrupted: KeyboardInterrupt on SIGINT
    print(f"argv={sys.argv[1:]} cwd={os.getcwd()} marker={os.environ.get('WARM_DBT_MARKER')}")
    print(f"stdin={sys.stdin.read().strip()}")
    print("to stderr", file=sys.stderr)
    raise SystemExit(int(os.environ.get("WARM_DBT_EXIT", "0")))
