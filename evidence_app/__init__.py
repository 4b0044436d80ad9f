"""Evidence Review: offline review of suspected ship-to-ship transfers."""

__version__ = "0.1.0"
APP_NAME = "Evidence Review"
APP_SLUG = "evidence-review"
