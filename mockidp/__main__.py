"""``python -m mockidp`` runs the CLI."""

from mockidp.cli import main

raise SystemExit(main())
