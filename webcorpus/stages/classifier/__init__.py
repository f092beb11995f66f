"""Model-based quality selection: ``train_quality_classifier`` and ``quality_classifier`` (fastText), and
``hf_classifier`` (a Hugging Face sequence-classification model, ``hf.py``, with the ``hf`` extra).

* ``text.py``: how a document becomes the classifier's one line (DCLM's rule);
* ``model.py``: a model file (path or URL), its labels, batched scores;
* ``examples.py``: training texts from files and from a sample of the run;
* ``fit.py``: the split, the small grid, the deterministic training, ROC AUC;
* ``train.py``: the ``train_quality_classifier`` stage (writes OUTPUT/quality_classifier/);
* ``scoring.py``, ``selection.py``: the per-shard scoring and the run-wide ``keep_fraction`` cut-off;
* ``apply.py``: the ``quality_classifier`` stage;
* ``hf.py``: the ``hf_classifier`` stage (a per-batch stage: FineWeb-Edu's classifier has this form).
"""
