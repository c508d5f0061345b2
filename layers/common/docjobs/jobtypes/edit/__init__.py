"""The ``edit`` job type: ordered PDF operations (forms, real redaction, page operations, stamps,
metadata) applied with PyMuPDF, and a verification of the written output before it is handed out.

``options`` validates at submission; ``editor.apply_edits`` runs the operations and the
verification over PDF bytes, with no AWS in sight (the stage supplies storage and Comprehend).
"""
