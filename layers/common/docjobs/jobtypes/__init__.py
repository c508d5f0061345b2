"""Job types: one subpackage per type (its spec, options model, stages and engine logic)."""
