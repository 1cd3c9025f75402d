"""The command line's exit codes, one meaning each (the table in README, "Exit codes").

A script, cron job or Airflow task can tell from the code alone what happened: the command
worked (0), it worked and found a problem (1), it was called wrongly (2), it could not do
its work (3), or its configuration is invalid (4).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    #: the command ran and its check failed: audit chain broken, records quarantined,
    #: ontology or data not valid, breaking changes, the server is not running
    CHECK_FAILED = 1
    #: wrong command line: unknown command or option, a value of the wrong form
    USAGE = 2
    #: the command could not do its work: Neo4j unreachable or refusing, the server would
    #: not start, an input file unreadable or not of the expected kind, a write failed
    RUNTIME = 3
    #: the settings (environment, .env) are invalid or refused (e.g. development secrets in
    #: production mode)
    CONFIG = 4
    #: stopped with Ctrl-C (128 + SIGINT, the shell's convention)
    INTERRUPTED = 130


TABLE = (
    (ExitCode.OK, "success"),
    (ExitCode.CHECK_FAILED, "ran, and the check failed (audit chain broken, records "
     "quarantined, not valid, breaking changes, server not running)"),
    (ExitCode.USAGE, "usage error: unknown command or option, malformed value"),
    (ExitCode.RUNTIME, "runtime failure: Neo4j unreachable, server start failed, unreadable "
     "or unrecognised input, write failed"),
    (ExitCode.CONFIG, "configuration error: invalid or refused settings"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)  # fmt: skip
