"""Run one command and write its time and peak memory to a file: ``launch.py REPORT ARGV...``.

Linux starts a child's peak-memory count (``ru_maxrss``) at the peak of the process it
was forked from, so a command started by the bench, already hundreds of MB large, would
report at least the bench's size. Started from this small launcher instead (run as
``python -S -I``, about 10 MB), the command's count starts from the launcher's size,
and ``os.wait4`` here gives the command's own peak. The launcher also times the
command from outside it: from just before it is spawned to just after it is reaped.
It imports nothing but the standard library, and exits as the command did.
"""

import json
import os
import sys
import time


def main() -> int:
    report, *argv = sys.argv[1:]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with open(report, "w") as out:
        json.dump({"seconds": seconds, "peak_rss_kb": usage.ru_maxrss}, out)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    raise SystemExit(main())
