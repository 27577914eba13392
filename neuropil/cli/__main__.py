"""``python -m neuropil.cli``: the same as the ``neuropil`` command."""

import sys

from neuropil.cli import main

sys.exit(main())
