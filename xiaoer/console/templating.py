from __future__ import annotations

from fastapi import Request


def render(request: Request, template: str, **context) -> str:
    """Render with the app's autoescaping Jinja2 environment."""
    return request.app.state.templates.get_template(template).render(**context)
