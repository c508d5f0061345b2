"""HTTP API: request/response models, routes and the error mapping (Powertools event_handler)."""
