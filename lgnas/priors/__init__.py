"""Priors shipped with lgnas: journals of earlier searches, ``<name>.jsonl`` in this folder.

``python -m lgnas search.prior=shipped:<name>`` starts a search from the best points of
``<name>.jsonl`` (see :mod:`lgnas.search.prior`). A shipped prior is the ``journal.jsonl`` of
a real search, copied here unchanged; its header says on which data and space it ran.

The shipped ones were built on Gowalla and Amazon-Book samples, never on ml-100k (so a search
on ml-100k tests transfer to data the prior has not seen), each from the commit that added it:

    python -m lgnas +strategy=genetic dataset=gowalla_small seed=0 threads=1 \
        search.trials=20 search.scheduler=sha search.min_fidelity=5 search.fidelity=15 \
        search.trial_seconds=20 search.top_k=0 'search.baselines=[]' search.prior=null
    # and the same with dataset=amazon_book_small

``search.trial_seconds=20`` kept slow candidates (many-headed GAT layers) from taking the
builds' time; such a candidate scores low and is not among the best points taken.
"""
