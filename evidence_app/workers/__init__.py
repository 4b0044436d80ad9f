"""Qt glue that runs service calls on a thread pool and reports back on the GUI thread."""
