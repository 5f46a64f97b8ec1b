"""Pending print jobs, read from CUPS's spool directory: never a connection to CUPS.

cupsd keeps each job's attributes in a control file ``c<job id>`` in its
spool directory (``/var/spool/cups``), IPP-encoded; the file stays after the
job ends (job history), so its ``job-state`` says whether the job is still
to print.  cupsd writes it lazily (DirtyCleanInterval, 30 s by default),
while the job's document ``d<job id>-<n>`` is there at once: a document
without its control file is a job just submitted, pending.  The directory
is root's (mode 0710, group lp): a user who cannot list it gets
PermissionError, which the busy check reports as "cannot tell".  The files
are parsed as hostile input: any malformed one counts as pending.
"""

from __future__ import annotations

import os
import re
import struct

SPOOL = "/var/spool/cups"
MAX_FILES = 4096  # control files looked at, at most
MAX_BYTES = 65536  # of each

_CONTROL = re.compile(r"c(\d{1,10})")
_DOCUMENT = re.compile(r"d(\d{1,10})-\d{1,10}")
_ENUM = 0x23  # IPP value tag "enum"
_END = 0x03  # end-of-attributes tag
#: job-state values (RFC 8011 5.3.7) of a job still to print: pending, held, processing, stopped.
PENDING_STATES = frozenset({3, 4, 5, 6})


def job_state(data: bytes) -> int | None:
    """The ``job-state`` enum of one IPP-encoded control file; None if it has none
    or the encoding is broken."""
    pos = 8  # version (2), operation/status (2), request id (4)
    name = b""
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == _END:
            return None
        if tag < 0x10:  # a delimiter: the next attribute group
            continue
        if pos + 2 > len(data):
            return None
        (name_len,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if name_len:  # 0: another value of the same attribute
            name = data[pos:pos + name_len]
        pos += name_len
        if pos + 2 > len(data):
            return None
        (value_len,) = struct.unpack_from(">H", data, pos)
        pos += 2
        value = data[pos:pos + value_len]
        pos += value_len
        if len(value) != value_len:
            return None
        if name == b"job-state" and tag == _ENUM and value_len == 4:
            return int(struct.unpack(">i", value)[0])
    return None


def pending_jobs(spool: str = SPOOL) -> list[int]:
    """Ids of the jobs still to print.  Raises OSError (PermissionError for a user
    outside CUPS's group) when the spool cannot be read."""
    controls: dict[int, str] = {}
    documents: set[int] = set()
    with os.scandir(spool) as entries:
        for count, entry in enumerate(entries):
            if count >= 4 * MAX_FILES:
                break
            if found := _CONTROL.fullmatch(entry.name):
                controls[int(found.group(1))] = entry.name
            elif found := _DOCUMENT.fullmatch(entry.name):
                documents.add(int(found.group(1)))
    pending = set(documents - set(controls))  # submitted, not yet written down
    for job in sorted(controls)[-MAX_FILES:]:
        try:
            with open(os.path.join(spool, controls[job]), "rb") as f:
                data = f.read(MAX_BYTES)
        except FileNotFoundError:
            continue  # cleaned up while we looked
        state = job_state(data)
        if state is None or state in PENDING_STATES:
            pending.add(job)
    return sorted(pending)
