"""A small image data set the project generates: noisy 12x12 images of six shapes at random places.

Classes: horizontal, vertical, diagonal and anti-diagonal strokes, a hollow square, a plus sign; size, place and
brightness are random, with Gaussian noise over the whole image. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np

SIZE, CLASSES = 12, 6
NAMES = ("horizontal", "vertical", "diagonal", "anti-diagonal", "square", "plus")


def make_images(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 images of shape (1, 12, 12) and their int64 labels."""
    labels = rng.integers(0, CLASSES, n)
    images = rng.normal(0.0, 0.3, (n, 1, SIZE, SIZE))
    for image, label in zip(images[:, 0], labels, strict=True):
        length = int(rng.integers(5, 8))
        r, c = rng.integers(0, SIZE - length, 2)
        steps = np.arange(length)
        brightness = rng.uniform(1.0, 1.5)
        if label == 0:
            image[r, c + steps] += brightness
        elif label == 1:
            image[r + steps, c] += brightness
        elif label == 2:
            image[r + steps, c + steps] += brightness
        elif label == 3:
            image[r + steps, c + length - 1 - steps] += brightness
        elif label == 4:
            image[r:r + 4, c:c + 4] += brightness
            image[r + 1:r + 3, c + 1:c + 3] -= brightness
        else:
            half = length // 2
            image[r + half, c:c + length] += brightness
            image[r:r + length, c + half] += brightness
    return images.astype("float32"), labels.astype("int64")


def split(seed: int = 0, train: int = 1536, test: int = 512) -> tuple[np.ndarray, ...]:
    """(train images, train labels, test images, test labels)."""
    rng = np.random.default_rng(seed)
    train_x, train_y = make_images(rng, train)
    test_x, test_y = make_images(rng, test)
    return train_x, train_y, test_x, test_y
