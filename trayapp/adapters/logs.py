"""Logging to stderr, which the journal records when trayapp runs as a user unit.

``setup_logging(verbose)`` sends warnings and errors (everything, with
``--verbose``) to stderr.  On a terminal each line carries the time.  When
stderr is a journal stream, systemd(1) says so in ``$JOURNAL_STREAM``
("DEVICE:INODE" of the stream, systemd.exec(5)): then the journal adds the
time itself, so the lines carry none, and each starts with a ``<N>`` syslog
priority prefix, which journald reads as the entry's priority
(``SyslogLevelPrefix=``, on by default), so that ``journalctl -p warning``
finds trayapp's warnings.

A child of the unit inherits ``$JOURNAL_STREAM`` with a stderr redirected
elsewhere (a terminal, a pipe): the variable is believed only when it names
the file that stderr really is.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

TERMINAL_FORMAT = "%(asctime)s trayapp %(levelname)s %(name)s: %(message)s"
TERMINAL_DATE = "%H:%M:%S"
JOURNAL_FORMAT = "<%(priority)d>%(name)s: %(message)s"
_HANDLER_NAME = "trayapp-stderr"

# syslog(3) priorities: LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3, LOG_CRIT 2.
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    """One journal entry per record: a ``<N>`` priority prefix, no time.

    A traceback goes on the same entry's following lines; journald makes each
    line an entry of its own, so each gets the prefix too.
    """

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        priority = _priority(record.levelno)
        record.priority = priority
        text = super().format(record)
        return "\n".join(
            line if i == 0 else f"<{priority}>{line}" for i, line in enumerate(text.splitlines())
        )


def _priority(level: int) -> int:
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if level >= threshold:
            return _PRIORITY[threshold]
    return _PRIORITY[logging.DEBUG]


def stderr_is_journal(stream: TextIO | None = None) -> bool:
    """Is ``stream`` (stderr) the journal stream that $JOURNAL_STREAM names?"""
    value = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    stream = sys.stderr if stream is None else stream
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # closed, or not a real file
        return False
    return (st.st_dev, st.st_ino) == (int(device), int(inode))


def setup_logging(verbose: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Log to stderr: warnings and up, or everything with ``verbose``.

    Safe to call again: the handler of an earlier call is replaced (handlers
    that others added, such as pytest's, stay).  Returns the new handler.
    """
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    if stderr_is_journal(stream):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(logging.Formatter(TERMINAL_FORMAT, TERMINAL_DATE))
    root = logging.getLogger()
    for old in root.handlers[:]:
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # qasync logs every file-descriptor event at DEBUG (each D-Bus message):
    # --verbose is about trayapp, not that.
    logging.getLogger("qasync").setLevel(logging.INFO if verbose else logging.NOTSET)
    return handler
