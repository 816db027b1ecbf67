"""Exit codes and the user-fixable error of every `careerqa` subcommand.

In a module of their own so that subcommands registered from other modules
(`app.embed_cli`) raise the very class `app.cli.main` catches, also under
`python -m app.cli`, where the running module is `__main__`, not `app.cli`.
"""

from __future__ import annotations

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A problem the user can fix; printed as one line, no traceback."""
