"""Answer-first pages, one module per use case: ``render(uc)`` draws the answer to the use
case's declared decision questions from its published marts (see ``apps/observatoire/use_case.py``)."""
