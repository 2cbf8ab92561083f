"""A small CNN genuinely trained on scikit-learn's 8x8 handwritten digits.

Why: random-weight zoo models show that the compiler computes the same
numbers as PyTorch, but only a trained network shows that the result is still
*useful* (e.g. after fixed-point quantisation the accuracy should not drop).
``load_digits`` ships with scikit-learn, so no download is needed, and the
network trains in a few seconds on a CPU.

Data: 1797 images of 8x8 pixels with values 0..16, scaled to [0, 1].  The
split is fixed and not shuffled: the first 80% (1437 images) train, the last
20% (360 images) are held out.

The trained ``state_dict`` lives in ``data/digits_cnn.pt``; the held-out
accuracy it reaches is recorded in ``data/digits_cnn.json``.  Regenerate both
with ``python -m fpga_sdf.frontend.digits``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

__all__ = ["DigitsCNN", "build", "train", "load_test_set", "load_train_set", "accuracy",
           "WEIGHTS", "METRICS", "SEED"]

DATA_DIR = Path(__file__).parent / "data"
WEIGHTS = DATA_DIR / "digits_cnn.pt"
METRICS = DATA_DIR / "digits_cnn.json"
SEED = 0
TRAIN_FRACTION = 0.8
EPOCHS = 30
BATCH = 64
LR = 3e-3


class DigitsCNN(nn.Module):
    """conv-bn-relu x2, maxpool, linear: ~7k parameters, input (N, 1, 8, 8)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(32 * 4 * 4, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def _load_all() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy((d.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.from_numpy(d.target.astype(np.int64))
    return x, y


def _split_index(n: int) -> int:
    return int(n * TRAIN_FRACTION)


def load_train_set() -> tuple[torch.Tensor, torch.Tensor]:
    """First 80%: ``x`` float32 (N, 1, 8, 8) in [0, 1], ``y`` int64 (N,)."""
    x, y = _load_all()
    k = _split_index(len(x))
    return x[:k], y[:k]


def load_test_set() -> tuple[torch.Tensor, torch.Tensor]:
    """Last 20% (held out): ``x`` float32 (N, 1, 8, 8) in [0, 1], ``y`` int64 (N,)."""
    x, y = _load_all()
    k = _split_index(len(x))
    return x[k:], y[k:]


def accuracy(model_or_callable: nn.Module | Callable, x, y, batch_size: int | None = None) -> float:
    """Fraction of samples whose argmax logit equals the label.

    ``model_or_callable`` may be an ``nn.Module`` (run in eval mode without
    gradients) or any callable mapping a batch to logits (N, 10), e.g. a
    compiled model or an interpreter; ``x`` is passed through unchanged, so
    give it a numpy array if the callable wants numpy.  Set ``batch_size``
    (e.g. 1) for callables that only accept fixed-size batches.
    """
    y = np.asarray(y)
    step = batch_size or len(x)
    preds = []
    with torch.no_grad():
        if isinstance(model_or_callable, nn.Module):
            model_or_callable.eval()
        for i in range(0, len(x), step):
            out = model_or_callable(x[i:i + step])
            if isinstance(out, torch.Tensor):
                out = out.detach().cpu().numpy()
            preds.append(np.asarray(out).reshape(-1, 10).argmax(axis=1))
    return float((np.concatenate(preds) == y).mean())


def train(seed: int = SEED) -> tuple[DigitsCNN, float]:
    """Train from scratch; returns ``(model in eval mode, held-out accuracy)``.

    Deterministic for a given seed: initialisation, dropout and the minibatch
    order all come from that seed (on the same machine / torch build).
    """
    x, y = load_train_set()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitsCNN()
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _ in range(EPOCHS):
            order = torch.randperm(len(x), generator=gen)
            for i in range(0, len(x), BATCH):
                idx = order[i:i + BATCH]
                opt.zero_grad()
                loss_fn(model(x[idx]), y[idx]).backward()
                opt.step()
            sched.step()
    model.eval()
    return model, accuracy(model, *load_test_set())


def build() -> tuple[DigitsCNN, torch.Tensor]:
    """The stored trained model (eval mode) and the first held-out image (1, 1, 8, 8)."""
    model = DigitsCNN()
    model.load_state_dict(torch.load(WEIGHTS, weights_only=True))
    x, _ = load_test_set()
    return model.eval(), x[:1].clone()


def stored_accuracy() -> float:
    """Held-out accuracy recorded when the stored weights were trained."""
    return json.loads(METRICS.read_text())["test_accuracy"]


def main() -> None:
    """Retrain with the default seed and overwrite the stored weights and metrics."""
    model, acc = train(SEED)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), WEIGHTS)
    x_test, _ = load_test_set()
    METRICS.write_text(json.dumps({
        "seed": SEED,
        "epochs": EPOCHS,
        "train_samples": len(load_train_set()[0]),
        "test_samples": len(x_test),
        "test_accuracy": acc,
        "torch": torch.__version__,
    }, indent=2) + "\n")
    print(f"held-out accuracy {acc:.4f} -> {WEIGHTS}")


if __name__ == "__main__":
    main()
