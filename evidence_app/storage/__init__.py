"""Database models, engine setup, migrations, the evidence object store and the audit log."""
