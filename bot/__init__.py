"""Champion Network Bot: case advice for police champion networks, in Slack."""

import os

# The knowledge search's sentence encoder multiplies small matrices for each question, on the
# web server's and Bolt's thread pools; a BLAS library's own worker threads only contend with
# those (answer latency p99 48 ms with them against 14 ms without, bench/answer_latency.py).
# Set before numpy is first imported; an operator's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
