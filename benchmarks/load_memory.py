"""Peak memory of ``load`` on large checkpoints: torchlike against PyTorch.

Each measurement runs in a fresh subprocess: import the library, reset the peak RSS to the current RSS
(``/proc/self/clear_refs``; ``ru_maxrss`` would carry the parent's peak across ``exec`` and the
imports' own peak), load the file and sum every tensor (so every value is read), report the peak RSS
(``VmHWM``) over the post-import RSS.  Files:

* ``torch``: ``torch.save`` of a dict of large float32 tensors made by PyTorch;
* ``torchlike``: the same dict saved by torchlike;
* ``save (extra)``: ``save`` of the loaded ``torch`` checkpoint, peak RSS over the loaded state (a ratio
  against max(PyTorch's, 1 MB));
* ``bomb``: a checkpoint whose ``data/0`` record is deflate-compressed zeros (a few MB in the file) that
  inflate to the size the pickle declares (the zip-bomb shape of a hostile file that is nevertheless
  consistent, so PyTorch loads it too).

Usage: ``python benchmarks/load_memory.py [--mb 1200] [--bomb-mb 2500] [--mmap]``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

_CHILD = r"""
import sys
lib, path, mmap = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if lib == "torch":
    import torch
else:
    sys.path.insert(0, {root!r})
    import torchlike as torch

def status(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":")) / 1024

with open("/proc/self/clear_refs", "w") as f:   # peak RSS := current RSS (the imports' peak is not the load's)
    f.write("5")
base = status("VmRSS")
kw = {{"mmap": True}} if mmap else {{}}
obj = torch.load(path, weights_only=True, **kw)
total = 0.0
for v in obj.values():
    total += float(v.sum())
peak = status("VmHWM") - base
if len(sys.argv) > 4:              # then save it again: the peak over the loaded state
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS")
    torch.save(obj, sys.argv[4])
    peak = status("VmHWM") - base
print(peak)
"""

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _peak_mb(lib, path, mmap=False, save_to=None):
    code = _CHILD.format(root=ROOT)
    r = subprocess.run([sys.executable, "-c", code, lib, path, "1" if mmap else "0"] + ([save_to] if save_to else []),
                       capture_output=True, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"))
    if r.returncode:
        return f"failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}"
    return float(r.stdout.strip().splitlines()[-1])


def _make_files(tmp, mb, bomb_mb):
    import torch
    n_tensors = 6
    per = mb * 2 ** 20 // 4 // n_tensors
    g = torch.Generator().manual_seed(0)
    state = {f"w{i}": torch.randn(per, generator=g) for i in range(n_tensors)}
    p_torch = os.path.join(tmp, "torch.pt")
    torch.save(state, p_torch)
    del state

    # the same file written by torchlike (read back through torchlike, saved again)
    p_tl = os.path.join(tmp, "torchlike.pt")
    code = (f"import sys; sys.path.insert(0, {ROOT!r}); import torchlike as t; "
            f"t.save(t.load({p_torch!r}), {p_tl!r})")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, JAX_PLATFORMS="cpu"))

    # the bomb: PyTorch's records of a small tensor, its size and storage numel in the pickle raised to the
    # bomb's, its data/0 record replaced by a deflate stream of that many zero bytes
    p_bomb = os.path.join(tmp, "bomb.pt")
    numel = bomb_mb * 2 ** 20 // 4
    torch.save({"w": torch.zeros(12345)}, p_bomb)
    _write_bomb_record(p_bomb, numel)
    return {"torch": p_torch, "torchlike": p_tl, "bomb": p_bomb}


def _write_bomb_record(path, numel):
    """Rewrite the archive so that its tensor declares ``numel`` float32 elements, stored deflated."""
    import struct
    with zipfile.ZipFile(path) as src:
        records = [(i.filename, src.read(i)) for i in src.infolist()]
    prefix = records[0][0].split("/")[0]
    with zipfile.ZipFile(path, "w", allowZip64=True) as dst:
        for name, data in records:
            if name == f"{prefix}/data.pkl":
                data = data.replace(b"M" + struct.pack("<H", 12345), b"J" + struct.pack("<i", numel))
            if name != f"{prefix}/data/0":
                dst.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            chunk = bytes(1 << 24)
            with dst.open(info, "w", force_zip64=True) as out:
                left = numel * 4
                while left:
                    k = min(left, len(chunk))
                    out.write(chunk[:k])
                    left -= k


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1200, help="size of the legitimate checkpoint in MB")
    ap.add_argument("--bomb-mb", type=int, default=2500, help="inflated size of the zip bomb's record in MB")
    ap.add_argument("--mmap", action="store_true", help="also measure load(..., mmap=True)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = _make_files(tmp, args.mb, args.bomb_mb)
        print(f"{'file':<15}{'size MB':>10}{'torch MB':>12}{'torchlike MB':>14}{'ratio':>8}")
        modes = [False, True] if args.mmap else [False]
        for mmap in modes:
            for kind, path in files.items():
                if mmap and kind == "bomb":
                    continue
                pt, tl = _peak_mb("torch", path, mmap), _peak_mb("torchlike", path, mmap)
                ratio = f"{tl / pt:.2f}" if isinstance(pt, float) and isinstance(tl, float) else "-"
                label = kind + (" mmap" if mmap else "")
                pt, tl = (f"{x:.0f}" if isinstance(x, float) else x for x in (pt, tl))
                print(f"{label:<15}{os.path.getsize(path) / 2 ** 20:>10.1f} {pt:>11} {tl:>13}{ratio:>8}")
        out = os.path.join(tmp, "resaved.pt")
        pt, tl = _peak_mb("torch", files["torch"], save_to=out), _peak_mb("torchlike", files["torch"], save_to=out)
        ratio = f"{tl / max(pt, 1.0):.2f}" if isinstance(pt, float) and isinstance(tl, float) else "-"
        pt, tl = (f"{x:.0f}" if isinstance(x, float) else x for x in (pt, tl))
        print(f"{'save (extra)':<15}{os.path.getsize(files['torch']) / 2 ** 20:>10.1f} {pt:>11} {tl:>13}{ratio:>8}")


if __name__ == "__main__":
    main()
