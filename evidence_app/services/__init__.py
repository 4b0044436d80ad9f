"""Use cases, one transaction each, reachable from the CLI and the GUI."""
