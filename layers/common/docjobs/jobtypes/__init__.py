"""Job types beyond parse: each a subpackage with its options model and engine logic."""
