"""docjobs: the shared package of the docjobs Lambda functions (built into the common layer)."""
