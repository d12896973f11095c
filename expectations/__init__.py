"""Great Expectations suites of the sinkwatch gate.

``expectations/suites.py`` defines every suite in Python; ``python -m expectations.suites``
writes them into the committed GX file context under ``expectations/gx/``. The JSON there is
generated: edit the Python, never the JSON. The runtime that validates data with these suites is
``expectations.gates``; its results and Data Docs go under ``$SINKWATCH_HOME/gx/``.
"""
