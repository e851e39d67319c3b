"""`python -m bot` runs the champbot command line."""

import sys

from bot.cli import main

sys.exit(main())
