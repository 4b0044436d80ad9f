"""PySide6 widgets, item models and dialogs."""
