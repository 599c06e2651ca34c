"""Imported by the server that forks render workers (see batch.make_executor).

The pipeline is built here once, before any fork: every worker, and every replacement
worker, starts with the modules imported, the fonts registered, the stylesheet parsed and
the templates compiled.
"""

import atexit
import gc

from .batch import pipeline

pipeline().environments.compile_all()
# This server leaves through a normal exit when the parent process has gone; its workers
# leave through os._exit and never run this, so the fonts stay while any worker renders.
atexit.register(pipeline().renderer.close)

# What is loaded now lives as long as the worker: frozen, the collector never scans it
# again (and does not copy its pages after the fork). A render makes some hundred thousand
# short-lived objects, so young collections are made rarer: about 7 % of render time went
# to the collector with the default thresholds, about 2 % with these.
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 50, 1_000)
