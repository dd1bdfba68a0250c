"""Baseline for the access-log benchmark: the source pipeline's approach.

The source Lambda (KinesisAccessLogToS3) matched each nginx `combined` line
with an IPv4-only regular expression via re.match and wrote one json.dumps
line per request; lines that did not match were dropped. This script does
that over a file and prints its own timing as JSON (CPU time of the process
and wall time), so interpreter start-up and file reading are not counted
(the same is true of the Node side).

With --events, the input is instead a JSON array of Kinesis events (each an
array of base64 record data strings, one fluentd/fluent-bit record per log
line, as Lambda delivers them); per record the source Lambda decoded base64,
read the payload (it used eval; json.loads is the safe and faster
equivalent), took `log`, matched it and wrote json.dumps; each event's
output is one joined body.

Usage: python3 baseline.py ACCESS_LOG_FILE
       python3 baseline.py --events EVENTS_JSON_FILE
"""

import base64
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


def transform_events(events):
    bodies = []
    for records in events:
        output = []
        for data in records:
            payload = json.loads(base64.b64decode(data))
            match = re.match(LOG_PATTERN, payload["log"])
            if match:
                fields = {
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
                output.append(json.dumps(fields))
        bodies.append("\n".join(output) + "\n")
    return bodies


def main():
    events_mode = sys.argv[1] == "--events"
    with open(sys.argv[2] if events_mode else sys.argv[1], encoding="utf-8") as handle:
        text = handle.read()
    if events_mode:
        events = json.loads(text)
        lines = [data for records in events for data in records]
    else:
        lines = text.split("\n")
    wall_started = time.perf_counter()
    cpu_started = time.process_time()
    if events_mode:
        bodies = transform_events(events)
    else:
        bodies = [transform(lines)]
    cpu_seconds = time.process_time() - cpu_started
    wall_seconds = time.perf_counter() - wall_started
    output = "".join(bodies)
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
