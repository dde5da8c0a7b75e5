"""``python -m aggregator.sandbox [--port N]``: serve the sandbox publishers until Ctrl-C."""

from aggregator.sandbox.server import main

if __name__ == "__main__":
    main()
