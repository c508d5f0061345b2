"""The ``split`` job type: cut a document into parts, each part a new document.

Importable without AWS: ``options`` (submission-time validation), ``plan`` (the segments a
strategy decides), ``rules`` (page ranges, fixed size, outline, blank-page separators),
``categories`` / ``classify_rules`` / ``classify_model`` (classify pages and cut where the
document changes) and ``materialize`` (write each part as a PDF, one at a time).
"""
