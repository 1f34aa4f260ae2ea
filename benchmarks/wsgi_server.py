"""Serve shequ's WSGI app on 127.0.0.1:PORT with Django's threaded WSGI server, TCP_NODELAY on.

    python benchmarks/wsgi_server.py PORT

The same server class as ``runserver``, minus its request log, with Nagle's
algorithm off: wsgiref writes a response's headers and body in two sends, and
with Nagle on the body waits for the client's delayed ACK (~40 ms on Linux) on a
keep-alive connection. The benchmark runs both servers to show that cost apart.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")


def main() -> None:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Handler(WSGIRequestHandler):
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    app = get_wsgi_application()
    server = ThreadedWSGIServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.set_app(app)
    server.serve_forever()


if __name__ == "__main__":
    main()
