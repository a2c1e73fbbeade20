"""Train a small CNN on generated images, PyTorch-style, on torchlike.

Usage: python examples/train_classifier.py [--epochs 6] [--out-dir plots] [--backend torchlike|torch]
                                           [--device cpu|cuda]

The data are 16x16 grey images of four generated pattern classes (horizontal
bar, vertical bar, diagonal, centred blob) with noise.  The script is ordinary
PyTorch code (nn.Module, DataLoader, AdamW, OneCycleLR, cross_entropy); with
``--backend torch`` the very same code runs on PyTorch for comparison.  It
prints one progress line per epoch, writes the loss curve to
``<out-dir>/train_classifier_loss.png``, saves a checkpoint
(``<out-dir>/train_classifier.pt``, PyTorch's file format) and reloads it into a
fresh model.
"""
import argparse
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SIZE = 16
CLASSES = ("horizontal", "vertical", "diagonal", "blob")


def make_images(n, seed):
    """``n`` noisy 1x16x16 images and their labels (numpy, deterministic)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    images = rng.normal(0.0, 0.35, (n, 1, SIZE, SIZE)).astype(np.float32)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    for i, c in enumerate(labels):
        pos = rng.integers(3, SIZE - 3)
        width = rng.integers(1, 3)
        if c == 0:
            mask = np.abs(yy - pos) < width
        elif c == 1:
            mask = np.abs(xx - pos) < width
        elif c == 2:
            mask = np.abs((yy - xx) - (pos - SIZE // 2)) < width
        else:
            cy, cx = rng.integers(5, SIZE - 5, 2)
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < (2 + width) ** 2
        images[i, 0][mask] += 1.0
    return images, labels.astype(np.int64)


def build(torch):
    nn = torch.nn

    class SmallCNN(nn.Module):
        def __init__(self, num_classes=len(CLASSES)):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
            self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(32, num_classes))

        def forward(self, x):
            return self.classifier(self.features(x))

    return SmallCNN()


def evaluate(torch, model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.numel()
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train-size", type=int, default=1536)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--out-dir", default="plots")
    parser.add_argument("--backend", default="torchlike", choices=("torchlike", "torch"))
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    torch = importlib.import_module(args.backend)
    from_data = torch.utils.data
    torch.manual_seed(0)
    device = torch.device(args.device)

    xs, ys = make_images(args.train_size + 512, seed=0)
    dataset = from_data.TensorDataset(torch.tensor(xs), torch.tensor(ys))
    train_set, val_set = from_data.random_split(dataset, [args.train_size, 512],
                                                generator=torch.Generator().manual_seed(1))
    train_loader = from_data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = from_data.DataLoader(val_set, batch_size=256)

    model = build(torch).to(device)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters())} parameters, backend {args.backend}, device {device}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=len(train_loader))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)

    step_losses, epoch_losses = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        running = seen = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            value = loss.item()
            step_losses.append(value)
            running += value * len(y)
            seen += len(y)
        epoch_losses.append(running / seen)
        val_acc = evaluate(torch, model, val_loader, device)
        print(f"epoch {epoch}/{args.epochs}  loss {epoch_losses[-1]:.4f}  val_acc {val_acc:.3f}  "
              f"lr {scheduler.get_last_lr()[0]:.5f}  ({time.perf_counter() - start:.1f}s)", flush=True)

    os.makedirs(args.out_dir, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(step_losses) + 1), step_losses, lw=0.8, alpha=0.6, label="batch")
    steps_per_epoch = len(train_loader)
    ax.plot(np.arange(1, args.epochs + 1) * steps_per_epoch, epoch_losses, "o-", label="epoch mean")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(f"SmallCNN on generated patterns ({args.backend})")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(args.out_dir, "train_classifier_loss.png")
    fig.savefig(path, dpi=100)
    print(f"saved {path}")

    # a checkpoint in PyTorch's file format: reload it into a fresh model and optimizer
    ckpt = os.path.join(args.out_dir, "train_classifier.pt")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs}, ckpt)
    state = torch.load(ckpt, map_location="cpu")
    restored = build(torch).to(device)
    restored.load_state_dict(state["model"])
    torch.optim.AdamW(restored.parameters(), lr=args.lr, weight_decay=1e-2).load_state_dict(state["optimizer"])
    restored_acc = evaluate(torch, restored, val_loader, device)
    print(f"saved {ckpt} and reloaded it: val_acc {restored_acc:.3f}")
    if restored_acc != val_acc:
        raise SystemExit("the reloaded checkpoint does not reproduce the trained model")
    return epoch_losses, val_acc


if __name__ == "__main__":
    main()
