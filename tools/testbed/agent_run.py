"""Run a command while a real polkit agent (pkttyagent) answers its password prompt.

Usage, inside the testbed as the calling user:
    python3 agent_run.py PASSWORD|--cancel [--hold N] -- COMMAND ARGS...

With ``--hold N`` the Nth prompt is not answered until the file
/tmp/agent-go-N exists; /tmp/agent-prompt-N says it arrived.  A test uses it
to change something between two steps of an action, as another process might.

Every password prompt is answered (or, with --cancel, interrupted with ^C).
pkttyagent needs a controlling terminal, so it gets a pty made the
controlling tty (setsid + TIOCSCTTY).  Registered with ``--process PID`` it
answers for that one process only, so the command starts paused (``read``
in a shell that then execs it), the agent registers for the shell's PID
(--notify-fd tells when), and then the command is released.  Prints the
command's output, then the agent's transcript on stderr; exits with the
command's status.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time


def main() -> int:
    secret, *rest = sys.argv[1:]
    hold = 0
    if rest[0] == "--hold":
        hold, rest = int(rest[1]), rest[2:]
    sep, *cmd = rest
    assert sep == "--" and cmd
    caller = subprocess.Popen(
        ["sh", "-c", 'read _; exec "$@"', "sh", *cmd],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    master, slave = pty.openpty()
    ready_r, ready_w = os.pipe()

    def controlling_tty() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        # ^C is SIGINT, whose handler in pkttyagent puts back the disposition it
        # found and raises it again: an ignored SIGINT, inherited from whatever
        # started the tests (a shell without job control ignores it in background
        # commands), would leave the agent alive and the request pending until
        # systemd's call timed out.  A user's ^C meets the default disposition.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    agent = subprocess.Popen(
        ["pkttyagent", "--process", str(caller.pid), "--notify-fd", str(ready_w)],
        stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_tty,
        pass_fds=(ready_w,),
    )
    os.close(ready_w)
    os.read(ready_r, 1)  # EOF once the agent has registered
    assert caller.stdin is not None
    caller.stdin.write("\n")
    caller.stdin.flush()
    transcript = b""
    answered = 0  # systemd asks once per polkit action unless auth_admin_keep applies
    deadline = time.monotonic() + 60
    while caller.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        try:
            transcript += os.read(master, 4096)
        except OSError:
            break
        if transcript.count(b"Password:") > answered:
            # pkttyagent prints the prompt, then turns echo off with TCSAFLUSH,
            # which discards input typed before: wait until echo is off.
            while termios.tcgetattr(master)[3] & termios.ECHO and time.monotonic() < deadline:
                time.sleep(0.02)
            if answered + 1 == hold:
                open(f"/tmp/agent-prompt-{hold}", "w").close()
                while not os.path.exists(f"/tmp/agent-go-{hold}") and \
                        time.monotonic() < deadline:
                    time.sleep(0.05)
            os.write(master, b"\x03" if secret == "--cancel" else secret.encode() + b"\n")
            answered += 1
    out, err = caller.communicate(timeout=60)
    agent.terminate()
    agent.wait(timeout=10)
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.stderr.write("\n--- agent transcript ---\n" + transcript.decode(errors="replace"))
    return caller.returncode


if __name__ == "__main__":
    sys.exit(main())
