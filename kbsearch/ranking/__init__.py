"""The ranking layer: per-request arithmetic on an opened build (suggestions, the search page).

Rule: no Flask, no Whoosh, no disk writes. What a build must offer is the ``Served`` protocol
(``ranking.served``), so ranking never imports ``index``; the model (``ranking.model``) keeps
its learned state behind ``score``, ``complete`` and ``related``.
"""
