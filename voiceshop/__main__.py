"""`python -m voiceshop` runs the command line."""

import sys

from voiceshop.cli import main

sys.exit(main())
