"""The ``trayapp`` command: the tray applet without a command, else the CLI.

The one module that may import both front ends; neither imports the other.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# trayapp speaks D-Bus over Unix sockets and never TLS, but asyncio imports
# ssl (OpenSSL: some 4 MiB resident and 7 ms at start) just to offer it.  A
# None entry makes "import ssl" fail, which asyncio and http.client treat as
# "no TLS here".  Left alone if something loaded ssl before us.
sys.modules.setdefault("ssl", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    from trayapp.adapters.logs import setup_logging
    from trayapp.cli import build_parser, run_command

    parser = build_parser()
    parser.add_argument(
        "--background", action="store_true",
        help="tray: started at login; if trayapp already runs in this session, exit quietly")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.command is None:
        if args.background:
            from trayapp.qt.single import already_running, server_name

            if already_running(server_name()):
                return 0  # a second copy at login: the running one is left as it is
        from trayapp.qt.app import run_tray  # Qt is imported only here

        return run_tray(args)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
