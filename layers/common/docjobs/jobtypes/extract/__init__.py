"""The ``extract`` job type: schema-driven data extraction with verified citations.

* :mod:`.options` - the options model and the submission-time checks of ``options.schema``.
* :mod:`.document` - page words (text layer or OCR) and AcroForm fields, from PyMuPDF.
* :mod:`.targets` - the leaves a schema asks for (paths, names, types, formats, tables).
* :mod:`.values` - normalising and coercing text to a schema type/format.
* :mod:`.rules` - the offline engine (form fields, labels, tables).
* :mod:`.citations` - locating each value on its page (``verified``).
* :mod:`.model_extraction` - page windows sent to a model engine, and the merge of their answers.
* :mod:`.extraction` - :func:`run_extraction`, the whole job over a PDF.
"""
