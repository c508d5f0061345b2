"""Request and response models of the HTTP API (the OpenAPI document is generated from them).

One module per area, so each API function builds only the models of its own route: ``jobs``
(what every job route shows), ``submitted`` (the submit answer), ``documents``, ``usage`` and
``errors``. The submit request body, ``SubmitJobRequest``, lives with the submission it
describes (``docjobs.domain.submission``).
"""
