"""The interpreter ``spawn`` starts under ``python -m torchlike``: install ``torch`` -> torchlike, then run
multiprocessing's bootstrap (``-c <code> --multiprocessing-fork ...``) as Python would."""
import sys

from torchlike.__main__ import install

if __name__ == "__main__":
    argv = sys.argv[1:]
    while argv and argv[0] != "-c":   # interpreter flags multiprocessing passes on (-B, -X ...) do not matter here
        argv = argv[1:]
    code = argv[1]
    sys.argv = ["-c"] + argv[2:]
    install()
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
