"""Worker processes are spawned without importing the command's main module again."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: A command's main module, run as a script (as the ``ocds-atlas`` script is): it imports a module that the workers'
#: own modules never do, and says whether a process it spawns has it, outside and inside the block.
SCRIPT = """
import json, sys
import xml.dom.minidom  # only the main module imports it
from aggregator.raw.processes import without_main_module
from tests.raw.test_processes import spawned_has

if __name__ == "__main__":
    outside = spawned_has("xml.dom.minidom")
    with without_main_module():
        inside = spawned_has("xml.dom.minidom")
    print(json.dumps([outside, inside, sys.modules["__main__"].__file__ == sys.argv[0]]))
"""


def _report(queue: multiprocessing.Queue, name: str) -> None:
    queue.put(name in sys.modules)


def spawned_has(name: str) -> bool:
    """Whether a spawned process has imported ``name`` by the time it runs its target."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_report, args=(queue, name))
    process.start()
    result = queue.get(timeout=60)
    process.join(60)
    return result


def test_a_process_spawned_in_the_block_does_not_import_the_main_module_again(tmp_path):
    script = tmp_path / "command.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = [sys.executable, str(script)]
    result = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    outside, inside, restored = json.loads(result.stdout)
    assert (outside, inside, restored) == (True, False, True)


def test_the_fork_server_is_used_only_where_it_dies_with_its_command(monkeypatch):
    """On Linux the fork server gets the parent-death signal; elsewhere nothing would kill it with its command, so the
    processes are spawned, each with its own watchdog."""
    from aggregator.raw import processes

    with processes.fork_server([]) as context:
        assert context.get_start_method() == ("forkserver" if processes._prctl() is not None else "spawn")
    monkeypatch.setattr(processes, "_prctl", lambda: None)
    with processes.fork_server([]) as context:
        assert context.get_start_method() == "spawn"
