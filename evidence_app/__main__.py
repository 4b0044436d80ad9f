"""Run the command line with ``python -m evidence_app``."""

import sys

from evidence_app.launcher import main

sys.exit(main())
