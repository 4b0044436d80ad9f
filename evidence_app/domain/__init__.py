"""Plain types and rules: identifiers, review workflow, geodesy, grading. No I/O."""
