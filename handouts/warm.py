"""Imported by the server that forks render workers (see batch.make_executor).

The pipeline is built here once, before any fork: every worker, and every replacement
worker, starts with the modules imported, the fonts registered, the stylesheet parsed and
the templates compiled.
"""

import atexit
import gc

from .batch import pipeline
from .fonts import bundled_postscript_names

pipeline().environments.compile_all()
# The PostScript names of the fonts, for the PDF read-back, once here, not in each worker.
bundled_postscript_names()
# This server leaves through a normal exit when the parent process has gone; its workers
# leave through os._exit and never run this, so the fonts stay while any worker renders.
atexit.register(pipeline().renderer.close)

# What is loaded now lives as long as the worker: frozen, the collector never scans it
# again (and does not copy its pages after the fork). Automatic collection is then turned
# off, and batch.render_together collects after each document instead, when little is
# alive. Measured over the catalogue, that took about half the collector time of the
# automatic thresholds and left the worker's peak memory about a quarter lower.
gc.collect()
gc.freeze()
gc.disable()
