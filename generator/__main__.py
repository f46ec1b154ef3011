from .cli import exits as cli_exit

cli_exit.stop_at_once()  # before any library loads: Ctrl+C is the sentence, never a traceback (see cli_exit)

from .cli import main  # noqa: E402 - imports cli_reports too

main()
