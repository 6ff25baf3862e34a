"""Priors shipped with lgnas: journals of earlier searches, ``<name>.jsonl`` in this folder.

``python -m lgnas search.prior=shipped:<name>`` starts a search from the best points of
``<name>.jsonl`` (see :mod:`lgnas.search.prior`). A shipped prior is the ``journal.jsonl`` of
a real search, copied here unchanged; its header says on which data and space it ran.
"""
