"""The one place aeguard first imports Keras: TensorFlow's start-up lines kept off the screen.

While importing and discovering devices, TensorFlow's C++ layer writes 6-10
lines straight to file descriptor 2, bypassing ``sys.stderr``: oneDNN and CPU
instruction notes, "Could not find cuda drivers", a ``cuInit`` error on
machines without a GPU, absl's "All log messages before absl::InitializeLog()"
warning. On TensorFlow 2.21 they are written before its logging starts, so
``TF_CPP_MIN_LOG_LEVEL`` does not filter them, even at 3 (measured).

:func:`start_backend` therefore captures file descriptor 2 during the
start-up and writes back what was captured, less TensorFlow's log lines:

- ``TF_CPP_MIN_LOG_LEVEL`` not set (the default): all of them are dropped, and
  the variable is set to 2 while TensorFlow starts (and so reads it), which
  keeps its later INFO and WARNING lines quiet too; it is removed again after,
  so child processes do not inherit it.
- ``TF_CPP_MIN_LOG_LEVEL`` set by the user: the lines below that level are
  dropped, as TensorFlow means the variable to do, and the rest are shown
  (``0`` shows everything).

Fatal lines (``F``) are always shown, and so is everything else written
during the start-up (Python warnings, for one); if the start-up raises, all
of it is. Without a standard error to capture (closed, or ``sys.stderr`` is
None as under ``pythonw``), Keras is imported as it is. One limit: if
TensorFlow aborts the process while starting, what it wrote is lost with
the capture.
"""

import os
import re
import sys
import tempfile
import threading

#: TensorFlow's own variable: 0 all, 1 no INFO, 2 no WARNING, 3 no ERROR.
LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"

#: The level aeguard sets while TensorFlow starts, when the user set none.
QUIET_LEVEL = "2"

#: An absl log line: severity letter, date, time, thread, file:line]
_LOG_LINE = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-]+:\d+\] ")

#: TensorFlow's start-up lines that are not in absl's format, with their severity.
_OTHER_LINES = {
    "WARNING: All log messages before absl::InitializeLog() is called": "W",
    "To enable the following instructions:": "I",  # the second line of the CPU note
}

_SEVERITIES = "IWEF"

#: One start-up at a time: two threads swapping file descriptor 2 would lose it.
_LOCK = threading.Lock()


def start_backend():
    """Import Keras and start its backend once per process, without TensorFlow's start-up lines.

    Called before anything in aeguard imports Keras (by :mod:`aeguard.networks`
    and by the command line); a no-op once Keras is imported, by aeguard or
    by the user. See the module's description for what is dropped and when.

    Examples
    --------
    >>> from aeguard._backend import start_backend
    >>> start_backend()
    >>> import sys; "keras" in sys.modules
    True
    """
    if "keras" in sys.modules:
        return
    with _LOCK:
        if "keras" in sys.modules:  # started by another thread meanwhile
            return
        try:
            sys.stderr.flush()
            saved_fd = os.dup(2)
        except (AttributeError, OSError):  # no standard error to capture: start plainly
            import keras

            keras.ops.zeros(())
            return
        try:
            _start_captured(saved_fd)
        finally:
            os.close(saved_fd)


def _start_captured(saved_fd):
    """Start Keras with file descriptor 2 sent to a file, then write back what should show."""
    user_level = os.environ.get(LOG_LEVEL_VARIABLE)
    with tempfile.TemporaryFile() as captured:
        started = False
        try:
            if user_level is None:
                os.environ[LOG_LEVEL_VARIABLE] = QUIET_LEVEL
            os.dup2(captured.fileno(), 2)
            import keras

            keras.ops.zeros(())  # the first operation triggers device discovery
            started = True
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            if user_level is None:
                os.environ.pop(LOG_LEVEL_VARIABLE, None)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            sys.stderr.write(text if not started else _without_log_lines(text, user_level))
            sys.stderr.flush()


def _without_log_lines(text, user_level):
    """``text`` less TensorFlow's log lines below ``user_level`` (None: all but fatal ones)."""
    if user_level is None:
        minimum = _SEVERITIES.index("F")
    else:
        try:
            minimum = int(user_level)
        except ValueError:
            minimum = 0  # a value TensorFlow cannot read either: hide nothing
    kept = []
    for line in text.splitlines(keepends=True):
        severity = _severity(line)
        if severity is None or _SEVERITIES.index(severity) >= minimum:
            kept.append(line)
    return "".join(kept)


def _severity(line):
    """The severity letter of a TensorFlow log line, or None for any other line."""
    match = _LOG_LINE.match(line)
    if match:
        return match.group(1)
    for start, severity in _OTHER_LINES.items():
        if line.startswith(start):
            return severity
    return None
