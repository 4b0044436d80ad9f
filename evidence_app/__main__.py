"""Run the command line with ``python -m evidence_app``."""

import sys

from evidence_app.cli import main

sys.exit(main())
