"""The frozen application's entry point: the same launcher as the ``evidence-app`` command."""

import sys

from evidence_app.launcher import main

if __name__ == "__main__":
    sys.exit(main())
