"""``python -m qmem`` runs the ``qmem`` command."""

import sys

from .cli import main

sys.exit(main())
