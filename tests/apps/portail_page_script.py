"""Streamlit script for AppTest: the public page named by ``OBSERVATOIRE_TEST_PORTAIL_PAGE``.

``transparence``, ``registre-des-traitements``, or an open dataset's name. A file rather than
``AppTest.from_function`` (see ``use_case_page_script.py``).
"""

import os

from apps.portail.dataset_page import render_dataset_page
from apps.portail.transparency_pages import render_register, render_transparency

PAGE = os.environ["OBSERVATOIRE_TEST_PORTAIL_PAGE"]
if PAGE == "transparence":
    render_transparency()
elif PAGE == "registre-des-traitements":
    render_register()
else:
    render_dataset_page(PAGE)
