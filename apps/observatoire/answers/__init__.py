"""Answer-first pages, one module per use case (``apps.observatoire.answers.<use_case>``).

Each module exposes ``render(uc)``, called by :func:`apps.observatoire.use_case.render_use_case`
instead of the generic mart-by-mart page. A page opens on the answers to its use case's declared
``decision_questions``, drawn from the published marts only (:mod:`apps.published`), with the
shared French building blocks of :mod:`apps.observatoire.components`.
"""
