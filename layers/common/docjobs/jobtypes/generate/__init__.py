"""The ``generate`` job type: documents (PDF, DOCX, HTML, Markdown) from templates and data.

* :mod:`.options` - the options model, checked at submission (inline template syntax, data size,
  output format against template kind). Imports only pydantic and Jinja2.
* :mod:`.sandbox` - the Jinja2 sandbox (no internals, no loader, bounded operators and output,
  every missing variable collected with its line).
* :mod:`.template_render`, :mod:`.markdown_html`, :mod:`.pdf_layout` - rendering text and DOCX
  templates, Markdown to HTML, HTML to PDF with PyMuPDF's Story.
* :mod:`.worker` / :mod:`.rendering` - all of that runs in a child process with a deadline and a
  memory cap.
* :mod:`.engine` - :func:`generate_document` and :func:`inspect_template`, what the stage calls.
"""
