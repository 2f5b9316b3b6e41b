"""Where Home Assistant's CPU goes per report: `py-spy` samples, grouped (`ha_perf.py --profile`).

`Profiler` records Home Assistant's process with `py-spy record --format raw --gil` (no
native frames; only samples of the thread holding the GIL, so only Python work counts:
py-spy's idle detection alone counts the executor threads waiting on their queue and the
event loop sitting in epoll as busy) for the span of one phase; `breakdown` then gives each
event-loop (MainThread) sample to the innermost frame on its stack that falls in one of the
`GROUPS` below, so a group's share is the work done in that layer itself and in helpers
(dataclasses, enum, re, …) it called directly. Samples of other threads are counted apart.
Kernel time (epoll, recv, wake-ups: the `system` column of ha_perf.py) is not sampled at
all. py-spy pauses the process at every sample, so a profiled run's CPU figures are high;
the shares are what it is for.
"""
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

# (group, path fragment, function names or None for any), tried innermost frame first.
GROUPS = [
    ("event bus (state_changed fire, listeners)", "homeassistant/core.py",
     {"EventBus", "Event", "HassJob", "_event_repr"}),
    ("state machine (StateMachine.async_set_internal, State, Context)",
     "homeassistant/core.py", None),
    ("climate state attributes (climate/__init__.py)", "components/climate/", None),
    ("sensor state (sensor/__init__.py)", "components/sensor/", None),
    ("entity state write (helpers/entity.py async_write_ha_state)", "helpers/entity.py", None),
    ("value templates (Jinja render, JSON parse)", "helpers/template.py", None),
    ("value templates (Jinja render, JSON parse)", "jinja2/", None),
    ("value templates (Jinja render, JSON parse)", "components/mqtt/models.py",
     {"async_render_with_possible_json_value"}),
    ("MQTT entity payload (climate.py/sensor.py callback, no-template pass-through)",
     "components/mqtt/", {"handle_climate_attribute_received", "render_template",
                          "_state_message_received", "_update_state", "__call__"}),
    ("MQTT entity bookkeeping (_message_callback: debug info, attribute snapshot, write request)",
     "components/mqtt/entity.py", None),
    ("MQTT state-write batch (models.py process_write_state_requests)",
     "components/mqtt/models.py", None),
    ("MQTT client dispatch (_async_mqtt_on_message, _matching_subscriptions)",
     "components/mqtt/client.py", None),
    ("MQTT other", "components/mqtt/", None),
    ("other integrations' code", "homeassistant/components/", None),
    ("paho (socket read, packet parse, misc loop)", "paho/mqtt/", None),
    ("event loop (selector, callbacks, timers)", "asyncio/", None),
    ("event loop (selector, callbacks, timers)", "selectors.py", None),
]


def frame_group(frame):
    """The group of one `Class.function (path)` frame of py-spy's raw output, or None.
    A group's `names` match the function's name or its class's."""
    name, _, path = frame.rpartition(" (")
    parts = set(name.split("."))
    for group, fragment, names in GROUPS:
        if fragment in path and (names is None or parts & names):
            return group
    return None


def breakdown(raw):
    """Samples per group and per thread from py-spy raw lines (`stack count`)."""
    groups, threads = Counter(), Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread, frames = frames[0], frames[1:]
        threads[thread.split(": ", 1)[-1]] += int(count)
        if not thread.endswith("MainThread"):
            continue
        group = next((g for g in map(frame_group, reversed(frames)) if g), "other")
        groups[group] += int(count)
    return groups, threads


class Profiler:
    """`py-spy record` on one process for as long as the `with` block runs."""

    def __init__(self, py_spy, pid, output, rate):
        self.command = [py_spy, "record", "--pid", str(pid), "--rate", str(rate),
                        "--format", "raw", "--full-filenames", "--nolineno", "--threads", "--gil",
                        "--output", str(output)]
        self.output = Path(output)

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        time.sleep(1.0)  # attached before the first report
        return self

    def __exit__(self, *_):
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=60)
        if not self.output.exists():
            raise SystemExit(f"py-spy wrote no profile: {err.decode()[-2000:]}")

    def summary(self, user_ms_per_report=None):
        """Shares of the event loop's Python samples; with the run's user CPU per report
        (the profiled run's, so high), that CPU split by the shares."""
        groups, threads = breakdown(self.output.read_text())
        total = sum(groups.values())
        rows = [{"group": g, "samples": n, "share": n / total} for g, n in groups.most_common()]
        if user_ms_per_report is not None:
            for row in rows:
                row["ms_per_report"] = row["share"] * user_ms_per_report
        return {"samples": total, "groups": rows, "threads": dict(threads.most_common(5))}


def print_summary(title, summary):
    print(f"  profile, {title}: {summary['samples']} event-loop samples holding the GIL,"
          " ms = share of the run's user CPU per report"
          f" (all threads: {summary['threads']})")
    for row in summary["groups"]:
        ms = f"{row['ms_per_report']:.3f} ms" if "ms_per_report" in row else ""
        print(f"    {row['share'] * 100:5.1f} %  {ms:>9}  {row['group']}")
