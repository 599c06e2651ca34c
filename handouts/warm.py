"""Imported by the server that forks render workers (see batch.make_executor).

The pipeline is built here once, before any fork: every worker, and every replacement
worker, starts with the modules imported, the fonts registered, the stylesheet parsed and
the templates compiled.
"""

from .batch import pipeline

pipeline().environments.compile_all()
