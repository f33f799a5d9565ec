#!/usr/bin/env python3
"""Batch reindex for cron: the same as `kbsearch reindex`, with the same options and exit codes."""

import sys

from kbsearch.commands import main

if __name__ == "__main__":
    main(args=["reindex", *sys.argv[1:]], prog_name="reindex.py")
