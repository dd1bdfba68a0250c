"""Baseline for the access-log benchmark: the source pipeline's approach.

The source Lambda (KinesisAccessLogToS3) matched each nginx `combined` line
with an IPv4-only regular expression via re.match and wrote one json.dumps
line per request; lines that did not match were dropped. This script does
that over a file and prints its own timing as JSON (CPU time of the process
and wall time), so interpreter start-up and file reading are not counted
(the same is true of the Node side).

Usage: python3 baseline.py ACCESS_LOG_FILE
"""

import json
import re
import sys
import time

# As the source wrote it: IPv4 only, unescaped quoted fields.
LOG_PATTERN = (
    r'^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}) - (\S+) \[(.*?)\] '
    r'"(\S+) (\S+) (\S+)" (\d{3}) (\d+) "(.*?)" "(.*?)"'
)


def transform(lines):
    output = []
    for line in lines:
        match = re.match(LOG_PATTERN, line)
        if match:
            data = {
                "remoteaddr": match.group(1),
                "remoteuser": match.group(2),
                "timelocal": match.group(3),
                "method": match.group(4),
                "url": match.group(5),
                "protocol": match.group(6),
                "statuscode": match.group(7),
                "bytessent": match.group(8),
                "refferer": match.group(9),
                "useragent": match.group(10),
            }
            output.append(json.dumps(data))
    return "\n".join(output) + "\n"


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    wall_started = time.perf_counter()
    cpu_started = time.process_time()
    output = transform(lines)
    cpu_seconds = time.process_time() - cpu_started
    wall_seconds = time.perf_counter() - wall_started
    print(
        json.dumps(
            {
                "cpuSeconds": cpu_seconds,
                "wallSeconds": wall_seconds,
                "lines": len(lines),
                "outputLines": output.count("\n"),
                "outputBytes": len(output.encode("utf-8")),
            }
        )
    )


if __name__ == "__main__":
    main()
