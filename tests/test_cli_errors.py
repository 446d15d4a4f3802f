"""Bad CLI input and untrustworthy checkpoints: one line naming the argument or file, exit status 2,
checked before any work; forced reruns retrain instead of re-measuring old weights (issue 10)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch

from qsnn.cli import main

ARGS = [
    "--dataset",
    "digits",
    "--arch",
    "sew-resnet-tiny",
    "--wst",
    "1/1/1",
    "--epochs",
    "1",
    "--limit-batches",
    "1",
    "--batch-size",
    "32",
    "--threads",
    "1",
    "--no-progress",
]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished")
    data = tmp_path_factory.mktemp("data")
    assert main(["train", *ARGS, "--out", str(out), "--data-root", str(data)]) == 0
    return out


def _run(capsys, *argv) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    return info.value.code, one_line_error(capsys)


@pytest.mark.parametrize(
    "flag, value, words",
    [
        ("--threads", "0", ["--threads", ">= 1"]),
        ("--lr", "inf", ["--lr", "finite"]),
        ("--lr", "nan", ["--lr", "finite"]),
        ("--seed", str(2**48), ["--seed", "too large"]),
        ("--batch-size", "64.0", ["--batch-size", "not an integer"]),
        ("--num-workers", "-1", ["--num-workers", "negative"]),
    ],
)
def test_bad_numbers_are_one_line_usage_errors(capsys, tmp_path, flag, value, words):
    code, err = _run(capsys, "train", *ARGS, "--out", str(tmp_path / "o"), flag, value)
    assert code == 2
    for word in words:
        assert word in err


def test_out_that_is_a_file_is_refused_before_any_work(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["train", *ARGS, "--out", str(target)]) == 2
    assert "--out" in one_line_error(capsys)


def test_data_root_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["train", *ARGS, "--out", str(tmp_path / "o"), "--data-root", str(target)]) == 2
    assert "--data-root" in one_line_error(capsys)


def test_evaluate_out_that_is_a_file(capsys, finished, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["evaluate", str(finished / "checkpoint.pt"), "--out", str(target)]) == 2
    assert "--out" in one_line_error(capsys)


def test_checkpoint_path_that_is_a_folder(capsys, finished):
    assert main(["evaluate", str(finished)]) == 2
    assert "is a folder" in one_line_error(capsys)


def _copy_with(finished: Path, dest: Path, edit) -> Path:
    state = torch.load(finished / "checkpoint.pt", weights_only=True)
    edit(state)
    dest.mkdir(parents=True, exist_ok=True)
    torch.save(state, dest / "checkpoint.pt")
    return dest / "checkpoint.pt"


def test_bit_flip_in_the_weights_is_refused(capsys, finished, tmp_path):
    def flip(state):
        name = next(k for k, v in state["model"].items() if v.is_floating_point() and v.numel())
        flat = state["model"][name].view(-1)
        flat.view(torch.int32)[0] ^= 1  # one bit of one weight, the hash left as saved

    path = _copy_with(finished, tmp_path / "flipped", flip)
    assert main(["evaluate", str(path)]) == 2
    err = one_line_error(capsys)
    assert "corrupt" in err and str(path) in err and "retrain" in err


def test_checkpoint_missing_its_weights_names_what_is_missing(capsys, finished, tmp_path):
    from qsnn.train.checkpoint import save_checkpoint

    state = torch.load(finished / "checkpoint.pt", weights_only=True)
    for key in ("model", "sha256", "format"):
        state.pop(key)
    (tmp_path / "nomodel").mkdir()
    save_checkpoint(tmp_path / "nomodel" / "checkpoint.pt", state)  # a valid hash, but no weights
    assert main(["evaluate", str(tmp_path / "nomodel" / "checkpoint.pt")]) == 2
    assert "lacks model" in one_line_error(capsys)


def test_weights_of_another_shape_are_one_line(capsys, finished, tmp_path):
    from qsnn.train.checkpoint import save_checkpoint

    state = torch.load(finished / "checkpoint.pt", weights_only=True)
    name = next(k for k, v in state["model"].items() if v.dim() >= 2)
    state["model"][name] = torch.zeros(3, 3)
    for key in ("sha256", "format"):
        state.pop(key)
    (tmp_path / "shape").mkdir()
    save_checkpoint(tmp_path / "shape" / "checkpoint.pt", state)
    assert main(["evaluate", str(tmp_path / "shape" / "checkpoint.pt")]) == 2
    err = one_line_error(capsys)
    assert "do not fit" in err and name in err


def test_unsafe_pickle_is_refused_in_one_line(capsys, tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "evil").mkdir()
    with open(tmp_path / "evil" / "checkpoint.pt", "wb") as fh:
        pickle.dump({"format": 2, "x": Payload()}, fh)
    assert main(["evaluate", str(tmp_path / "evil" / "checkpoint.pt")]) == 2
    err = one_line_error(capsys)
    assert "refuses to unpickle" in err and "weights_only=False" not in err


def test_rerun_of_a_finished_run_is_refused_unless_asked(capsys, finished):
    assert main(["train", *ARGS, "--out", str(finished), "--data-root", str(finished.parent)]) == 2
    err = one_line_error(capsys)
    assert "--retrain" in err and "--resume" in err


def test_forced_rerun_retrains_and_resume_remeasures(finished, tmp_path, capsys):
    import shutil

    out = tmp_path / "forced"
    shutil.copytree(finished, out)
    first = json.loads((out / "metrics.json").read_text())
    (out / "metrics.json").unlink()  # what `snakemake -f` does to the run's output
    (out / ".checkpoint.pt.1234.tmp").write_bytes(b"partial")  # a save killed half way
    assert main(["train", *ARGS, "--out", str(out), "--data-root", str(tmp_path / "data")]) == 0
    retrained = json.loads((out / "metrics.json").read_text())
    assert retrained["start"] == {"mode": "retrained", "from_epoch": 0} and first["start"]["mode"] == "fresh"
    assert not list(out.glob(".checkpoint.pt.*.tmp"))
    (out / "metrics.json").unlink()
    assert main(["train", *ARGS, "--out", str(out), "--data-root", str(tmp_path / "data"), "--resume"]) == 0
    resumed = json.loads((out / "metrics.json").read_text())
    assert resumed["start"] == {"mode": "resumed", "from_epoch": 1}
    assert resumed["top1"] == retrained["top1"]  # the same weights, measured again


def test_uncreatable_out_is_noticed_before_training(capsys, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert main(["train", *ARGS, "--out", str(blocker / "run")]) == 2
    assert "--out" in one_line_error(capsys)


@pytest.mark.parametrize("value", ["3", "a/b", "2/1/1", "0/1", "2/-1"])
def test_bad_ws_pair_names_the_flag(capsys, value):
    """``qsnn synth activity --ws`` takes W/S pairs: anything else is a one-line usage error naming ``--ws``."""
    code, err = _run(capsys, "synth", "activity", "--ws", value, "--reuse")
    assert code == 2
    assert "--ws" in err and "W" in err


def test_ws_pairs_reach_the_command_as_integers():
    from qsnn.cli import build_parser

    args = build_parser().parse_args(["synth", "activity", "--ws", "2/1", "8/4"])
    assert args.ws == [(2, 1), (8, 4)]
