"""cohort.models: building by name, forward passes with the taps, state dicts and weight files."""
import numpy as np
import pytest

import cohort


@pytest.fixture(scope="module")
def images():
    return cohort.randn([2, 3, 32, 32], seed=7)


def test_list_models_names_the_zoo():
    names = cohort.models.list_models()
    assert "resnet32" in names and "cnn-small" in names


def test_create_and_forward(images):
    model = cohort.models.create("resnet8", num_classes=10, seed=1)
    assert model.name == "resnet8" and model.training
    logits = model(images)
    assert logits.shape == (2, 10)
    out = model.forward_features(images)
    assert out["logits"].shape == (2, 10)
    assert len(out["features"]) == 6  # (stage in, stage out) for 3 stages
    assert model.fsp_pairs() == [(0, 1), (2, 3), (4, 5)]
    assert out["embedding"].shape[0] == 2


def test_same_seed_same_weights_and_outputs(images):
    a = cohort.models.create("resnet8", 10, seed=3)
    b = cohort.models.create("resnet8", 10, seed=3)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(np.asarray(a(images)), np.asarray(b(images)))


def test_state_dict_round_trip(images):
    a = cohort.models.create("resnet8", 10, seed=1)
    b = cohort.models.create("resnet8", 10, seed=2)
    a.eval()
    b.eval()
    assert not np.array_equal(np.asarray(a(images)), np.asarray(b(images)))
    state = a.state_dict()
    assert "linear.weight" in state and isinstance(state["linear.weight"], cohort.Tensor)
    b.load_state_dict(state)
    np.testing.assert_array_equal(np.asarray(a(images)), np.asarray(b(images)))


def test_load_state_dict_reports_mismatches():
    model = cohort.models.create("resnet8", 10)
    state = model.state_dict()
    state["linear.weight"] = cohort.zeros([3, 3])
    with pytest.raises(ValueError, match="linear.weight"):
        model.load_state_dict(state)


def test_weight_files(tmp_path, images):
    a = cohort.models.create("resnet8", 10, seed=1)
    b = cohort.models.create("resnet8", 10, seed=2)
    path = str(tmp_path / "w.safetensors")
    a.save(path)
    b.load(path)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(np.asarray(a(images)), np.asarray(b(images)))
    with pytest.raises(OSError):
        b.load(str(tmp_path / "missing.safetensors"))


def test_train_eval_and_gradients(images):
    model = cohort.models.create("cnn-small", 10, seed=0)
    model.eval()
    assert not model.training
    model.train()
    labels = cohort.tensor(np.array([1, 2], dtype=np.int64))
    loss = cohort.ops.cross_entropy(model(images), labels)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_unknown_model_is_a_value_error():
    with pytest.raises(ValueError, match="resnet32"):
        cohort.models.create("resnet7", 10)


def _torch_zoo():
    """tests/python/torch_models.py: the zoo in plain PyTorch with cohort's state_dict names."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "python" / "torch_models.py"
    spec = importlib.util.spec_from_file_location("cohort_torch_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["resnet8", "cnn-small", "wrn-10-2"])
def test_forward_features_match_pytorch(name, images):
    import torch

    ours = cohort.models.create(name, 10, seed=5)
    ours.eval()
    theirs = _torch_zoo().make_model(name, 10)
    theirs.load_state_dict({k: torch.from_dlpack(v) for k, v in ours.state_dict().items()})
    theirs.eval()
    out = ours.forward_features(images)
    with torch.no_grad():
        logits, features, embedding = theirs.forward_features(torch.from_dlpack(images))
    torch.testing.assert_close(torch.from_dlpack(out["logits"]), logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(torch.from_dlpack(out["embedding"]), embedding, rtol=1e-4, atol=1e-4)
    assert len(out["features"]) == len(features)
    for a, b in zip(out["features"], features):
        torch.testing.assert_close(torch.from_dlpack(a), b, rtol=1e-4, atol=1e-4)
