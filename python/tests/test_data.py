"""cohort.data: datasets by name and the loader as Python iterables."""
import os
import pathlib

import numpy as np
import pytest

import cohort


def _synthetic(size=20):
    return cohort.data.load("synthetic", "train", synthetic_size=size, synthetic_classes=5, seed=3)


def test_dataset_items():
    ds = _synthetic()
    assert len(ds) == 20 and ds.num_classes == 5
    image, label = ds[0]
    assert image.shape == (32, 32, 3) and image.dtype == "u8"
    assert 0 <= label < 5
    with pytest.raises(ValueError):
        ds[20]


def test_loader_yields_batches_of_tensors():
    loader = cohort.data.DataLoader(_synthetic(), batch_size=8, shuffle=True, num_workers=2, seed=1)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(8, 3, 32, 32), (8, 3, 32, 32), (4, 3, 32, 32)]
    assert batches[0][0].dtype == "f32" and batches[0][1].dtype == "i64"
    labels = np.concatenate([np.asarray(y) for _, y in batches])
    assert sorted(labels.tolist()) == sorted(_synthetic()[i][1] for i in range(20))


def test_loader_epochs_are_reproducible_and_reshuffled():
    loader = cohort.data.DataLoader(_synthetic(), batch_size=20, seed=1)
    first = np.asarray(next(iter(loader.epoch(0)))[1]).tolist()
    again = np.asarray(next(iter(loader.epoch(0)))[1]).tolist()
    other = np.asarray(next(iter(loader.epoch(1)))[1]).tolist()
    assert first == again and first != other


def test_unknown_dataset_and_missing_files():
    with pytest.raises(ValueError, match="cifar100"):
        cohort.data.load("cifar1000")
    with pytest.raises(OSError):
        cohort.data.load("cifar100", root="/nonexistent")


def _data_root():
    for var in ("COHORT_DATA", "COHORT_TEST_DATA"):
        if os.environ.get(var):
            return os.environ[var]
    return None


@pytest.mark.skipif(not _data_root() or not (pathlib.Path(_data_root() or ".") / "cifar-100-binary").exists(),
                    reason="CIFAR-100 not found in COHORT_DATA/COHORT_TEST_DATA")
def test_cifar100_test_split():
    ds = cohort.data.load("cifar100", "test", root=_data_root())
    assert len(ds) == 10000 and ds.num_classes == 100
    images, labels = next(iter(cohort.data.DataLoader(ds, batch_size=64, shuffle=False)))
    assert images.shape == (64, 3, 32, 32)
    assert abs(float(np.asarray(images).mean())) < 0.5  # normalised with the CIFAR-100 statistics
