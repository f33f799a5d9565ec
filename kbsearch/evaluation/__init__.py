"""The evaluation layer: replaying judged queries against a build, with peer engines.

Rule: never imported by ``web`` or ``ranking``; it drives the served code paths exactly as a
request would, and its peers may import the libraries they measure.
"""
