"""Job types: each a subpackage with its options model and engine logic."""
