"""cohort.train: a distillation run (the CLI's `cohort train`) from a YAML file or a dict;
cohort.Strategy: the same strategies step by step, for custom training loops."""
import os

from . import _cohort

__all__ = ["Strategy", "train"]


def _scalar(value):
    """The text the CLI's YAML reader would pass for a scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(node, key, out):
    """(dotted key, text) pairs, walking the config the way the CLI walks its YAML."""
    if isinstance(node, dict):
        for name, child in node.items():
            _flatten(child, f"{key}.{name}" if key else str(name), out)
    elif isinstance(node, (list, tuple)):
        if key == "networks":
            for i, net in enumerate(node):
                # `- resnet32` is short for `- {model: resnet32}`, as in YAML configs.
                _flatten(net if isinstance(net, dict) else {"model": net}, f"networks.{i}", out)
        else:
            if any(isinstance(item, (dict, list, tuple)) for item in node):
                raise ValueError(f"config: '{key}' must be a list of scalars")
            out.append((key, ",".join(_scalar(item) for item in node)))
    elif node is None:
        raise ValueError(f"config: '{key or '<document>'}' has no value")
    else:
        out.append((key, _scalar(node)))
    return out


def _settings(config):
    if isinstance(config, (str, os.PathLike)):
        import yaml

        with open(config) as f:  # OSError names the file
            config = yaml.safe_load(f) or {}
    if not isinstance(config, dict):
        raise TypeError(f"train: config must be a YAML path or a dict, got {type(config).__name__}")
    return _flatten(config, "", [])


def _with_overrides(config, overrides):
    return _settings(config) + [(k.replace("__", "."), _scalar(v)) for k, v in overrides.items()]


def train(config, out_dir=None, progress=None, **overrides):
    """Runs a training job and returns its summary.

    config: a YAML path or a dict with the CLI's keys (docs/cli.md, docs/distillation.md);
    overrides: dotted keys with "." written as "__" (optimizer__lr=0.05), applied after it.
    out_dir: the run directory (default runs/<name>): metrics.jsonl, checkpoint.safetensors and
    each network's weights, as the CLI writes them. progress: called with every progress line
    (default: printed). Ctrl-C stops the run at its next progress line with KeyboardInterrupt;
    the last checkpoint stays valid.

    Returns {"out_dir", "device", "summary": [{"network", "parameters", "best_top1",
    "best_epoch", "final_top1", "final_entropy"}, ...], "ensemble_best_top1" (None for a single
    network), "stopped_on_nan", "message"}.
    """
    return _cohort._train(_with_overrides(config, overrides), "" if out_dir is None else str(out_dir),
                          progress)


class Strategy:
    """A distillation strategy (the `strategy`, `networks`, `optimizer`, `schedule` keys of a
    config, as for train) driven step by step from Python.

        s = cohort.Strategy(config, num_classes=10)
        s.begin_stage(0, steps_per_epoch=len(loader))
        for images, labels in loader:
            losses = s.step(images, labels)   # {"ce", "transfer", "total"}: a tensor per network
            s.step_schedules()                # iteration-unit schedules; per epoch otherwise

    stages(): [(name, length, "epochs" | "iterations")]; trained()/evaluated(): [(name, Model)].
    """

    def __init__(self, config, num_classes, in_channels=3, **overrides):
        self._impl = _cohort._Strategy(_with_overrides(config, overrides), num_classes, in_channels)

    def __getattr__(self, name):
        return getattr(self._impl, name)
