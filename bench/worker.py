"""One system in a fresh process of its own, driven by the harness.

    python -m bench.worker KIND FILE INPUTS.npz OUTPUT.npy THREADS

On start it imports the runtime and answers {"ready": true}. On the line
"load" it loads FILE until its method is ready, runs it once (cold), saves
the first output to OUTPUT.npy and answers one JSON line: the resident
memory after the runtime's imports (`import_rss`), the peak after load and
the cold run (`peak_rss`), the load time (`load_ms`) and the cold run's
(`run_ms`). After that each line "run" runs one inference and answers
{"ms": ...}, timed here so that the pipe costs nothing; "quit" (or end of
input) ends it. Any failure answers {"error": ...}.

A process per system keeps each runtime's thread pool, allocator and any
crash to itself, and makes the footprint that of a fresh process. The
harness times the workers in turns, so that machine noise hits all alike.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np


def current_rss() -> int:
    """Resident bytes of this process now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """This process's peak resident bytes. VmHWM, not getrusage's ru_maxrss:
    on Linux that keeps the high-water mark of the (large) parent it was forked from."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise OSError("/proc/self/status has no VmHWM")


_protocol = sys.stdout


def _say(obj: dict) -> None:
    _protocol.write(json.dumps(obj) + "\n")
    _protocol.flush()


def serve(kind: str, path: Path, inputs: Path, output: Path, threads: int) -> None:
    from bench.systems import RUNNERS, to_numpy

    cls = RUNNERS[kind]
    cls.imports()
    args = list(np.load(inputs).values())
    import_rss = current_rss()
    _say({"ready": True})
    if sys.stdin.readline().strip() != "load":
        return
    t0 = time.perf_counter()
    runner = cls(path, args, threads)
    t1 = time.perf_counter()
    out = runner.run()
    t2 = time.perf_counter()
    np.save(output, to_numpy(out))
    _say({"import_rss": import_rss, "peak_rss": peak_rss(), "load_ms": 1e3 * (t1 - t0),
          "run_ms": 1e3 * (t2 - t1)})
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        runner.run()
        _say({"ms": 1e3 * (time.perf_counter() - t0)})


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    kind, path, inputs, output, threads = argv
    # The protocol owns the real stdout; whatever a runtime prints, from Python
    # or from C++ (file descriptor 1), goes to stderr.
    global _protocol
    sys.stdout.flush()
    _protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        serve(kind, Path(path), Path(inputs), Path(output), int(threads))
    except Exception as e:  # noqa: BLE001 - reported to the harness as the system's reason
        from bench.systems import describe_error
        traceback.print_exc(file=sys.stderr)
        _say({"error": describe_error(e)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
