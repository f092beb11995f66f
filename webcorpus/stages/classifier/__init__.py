"""Model-based quality selection with fastText: ``train_quality_classifier`` and ``quality_classifier``.

* ``text.py``: how a document becomes the classifier's one line (DCLM's rule);
* ``model.py``: a model file (path or URL), its labels, batched scores;
* ``examples.py``: training texts from files and from a sample of the run;
* ``fit.py``: the split, the small grid, the deterministic training, ROC AUC;
* ``train.py``: the ``train_quality_classifier`` stage (writes OUTPUT/quality_classifier/);
* ``scoring.py``, ``selection.py``: the per-shard scoring and the run-wide ``keep_fraction`` cut-off;
* ``apply.py``: the ``quality_classifier`` stage.
"""
