"""Loaded by Python at start-up when this directory is on PYTHONPATH (`bench/ack_latency.py
--watch` puts it there for the worker process only): times every transaction (`lockwatch`)."""

import os
import sys

if os.environ.get("CHAMPBOT_LOCKWATCH"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import lockwatch

    lockwatch.install(os.environ["CHAMPBOT_LOCKWATCH"], "worker")
