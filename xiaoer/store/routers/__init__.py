"""One router per resource of Store API v1."""
