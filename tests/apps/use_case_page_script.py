"""Streamlit script for AppTest: the page of the use case named by ``OBSERVATOIRE_TEST_USE_CASE``.

A file rather than ``AppTest.from_function``: the latter leaves its generated script as
``__main__`` in the test process, which breaks later tests that spawn processes.
"""

import os

from apps.observatoire.use_case import render_use_case

render_use_case(os.environ["OBSERVATOIRE_TEST_USE_CASE"])
