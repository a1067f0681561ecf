"""The HTTP layer: app factory, API decorator, middleware, error bodies."""
