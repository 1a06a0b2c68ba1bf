"""The installed package: submodules importable by name, type stubs shipped with it."""
import importlib
import pathlib

import cohort


def test_submodules_import_by_name():
    for name in ("ops", "models", "optim", "data"):
        module = importlib.import_module(f"cohort.{name}")
        assert module is getattr(cohort, name)
    from cohort.ops import dml_mimicry  # noqa: F401


def test_type_stubs_are_installed():
    package = pathlib.Path(cohort.__file__).parent
    assert (package / "py.typed").exists()
    assert "class Tensor" in (package / "_cohort.pyi").read_text()
    assert "def dml_mimicry" in (package / "ops" / "__init__.pyi").read_text()
    assert "def create" in (package / "models" / "__init__.pyi").read_text()
    assert "class SGD" in (package / "optim" / "__init__.pyi").read_text()
    assert "class DataLoader" in (package / "data" / "__init__.pyi").read_text()
