"""Job types beyond parse: one subpackage per type (options, engine logic)."""
