"""Local emulation of the docjobs AWS stack: moto + in-process Lambda handlers, driven by template.yaml."""
