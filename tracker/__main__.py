"""Allow ``python -m tracker`` as well as the ``tracker`` console script."""

from tracker.cli import main

raise SystemExit(main())
