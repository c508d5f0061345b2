"""Job types beyond parse: each subpackage holds one type's options and engine."""
