"""Job types beyond ``parse``: one subpackage per type (options model and engine logic)."""
