"""Exit 0 if the PostgreSQL server in the URL answers, 1 otherwise (used by `make test`)."""

import sys

import psycopg

try:
    with psycopg.connect(sys.argv[1], connect_timeout=3) as conn:
        conn.execute("select 1")
except psycopg.Error as e:
    print(f"PostgreSQL not reachable: {e}".strip(), file=sys.stderr)
    sys.exit(1)
