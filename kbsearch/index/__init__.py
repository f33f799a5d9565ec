"""The index layer: one build folder, written by the reindex and opened for reading.

Rule: every file name of a build is in ``layout``; ``fulltext`` is the only module that
imports Whoosh; ``opened`` opens a build without Flask (servers and ``kbsearch evaluate``).
A build folder is never modified once published: a reindex writes a new one and switches.
"""
