import logging
import os
import sys

from suite.forkserver import delegate

# Inside a study, a fork of the workflow's server runs the command, torch already imported.
forked_status = delegate(sys.argv[1:])
if forked_status is not None:
    raise SystemExit(forked_status)

from suite.cli import main  # noqa: E402  (only when no server took the command)

status = main()
if "snakemake" not in sys.modules:  # `run` runs Snakemake in this process: let it clean up at exit
    # Every job of a study ends here: skip the interpreter's teardown, about half a CPU second once torch
    # is loaded. The suite has closed what it wrote by now and registers no exit handlers of its own.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)
raise SystemExit(status)
