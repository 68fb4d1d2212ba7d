"""The HTTP shell: calendar feeds, the curator's page and the coordinator's
dashboard, served by ``roadmap serve`` (:func:`roadmap.web.server.serve`).

Like the command line, it is a thin shell over the core: handlers parse a
request, call the same functions the CLI calls and render a Jinja2 template.
Every HTTP concern lives in this package:

- :mod:`roadmap.web.server` — the application, its routes and middlewares,
  and the process that serves it (with the scheduler);
- :mod:`roadmap.web.access` — personal links, sessions, CSRF, the scope
  check, security headers and the language of a request;
- :mod:`roadmap.web.feeds` — ``GET /feeds/<token>.ics``;
- :mod:`roadmap.web.pages` — the pages and forms;
- :mod:`roadmap.web.uploads` — evidence uploads streamed to the store;
- :mod:`roadmap.web.logs` — no secret in any log line.
"""

from __future__ import annotations
