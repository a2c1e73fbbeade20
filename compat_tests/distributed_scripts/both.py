"""The collectives script, then the DDP script, in the same processes (each joins and leaves the
process group: init_process_group works again after destroy_process_group)."""
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
for name in ("collectives", "ddp"):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    sys.argv = [name, os.path.join(out, name)]
    runpy.run_path(os.path.join(here, f"{name}.py"), run_name="__main__")
