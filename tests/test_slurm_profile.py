"""The SLURM workflow profile, submitted for real: snakemake-executor-plugin-slurm builds the sbatch
calls from workflow/profiles/slurm and hands them to the fake SLURM in tests/fake_slurm/, which
records them, runs each job locally and answers sacct/squeue with the job's state.

The workflow is a tiny one in tmp_path whose rule names match the project's (`train`,
`synth_sweep`) so the profile's per-rule resources apply; the project's DAG trains networks.
A dry run cannot catch a refused submission: the plugin checks slurm_extra only when it submits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "snakemake_executor_plugin_slurm",
    reason="snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')",
)

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
FAKE_SLURM = Path(__file__).resolve().parent / "fake_slurm"

# Rule names as in the project; each rule echoes what it was given.
SNAKEFILE = r"""
localrules: all, summary

rule all:
    input: "summary.txt"

rule train:
    output: "results/runs/{run_id}/metrics.json"
    threads: 1
    params:
        # .get: the old profile of test_old_gres_in_slurm_extra_is_refused has no `gpu`
        gpu=lambda wildcards, resources: resources.get("gpu", "none"),
    shell:
        "echo threads={threads} gpu={params.gpu} num_workers={resources.num_workers}"
        " cuda=$CUDA_VISIBLE_DEVICES > {output}"

rule synth_sweep:
    output: "results/hardware/synthesis.csv"
    threads: 2
    shell: "echo threads={threads} > {output}"

rule summary:
    input: "results/runs/r1/metrics.json", "results/hardware/synthesis.csv"
    output: "summary.txt"
    shell: "cat {input} > {output}"
"""


def run_snakemake(workdir: Path, profile: Path, *extra: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """Run the tiny workflow through the SLURM executor; return the process and the SLURM calls."""
    (workdir / "Snakefile").write_text(SNAKEFILE)
    log = workdir / "slurm_calls.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_", "SRUN_"))}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env["PATH"] = os.pathsep.join([str(FAKE_SLURM), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["FAKE_SLURM_LOG"] = str(log)
    env["FAKE_SLURM_TIMEOUT"] = "120"
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--workflow-profile",
        str(profile),
        "--executor",
        "slurm",
        "--slurm-init-seconds-before-status-checks",
        "1",  # default 40 s
        "--slurm-keep-successful-logs",
        "--latency-wait",
        "5",
        *extra,
    ]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=240)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, calls


def sbatch_argv(calls: list[dict], rule: str) -> list[str]:
    """argv of the one sbatch call for `rule` (the plugin puts `rule_<name>` in --comment)."""
    found = [
        c["argv"]
        for c in calls
        if c["prog"] == "sbatch" and c["argv"][c["argv"].index("--comment") + 1].startswith(f"rule_{rule}")
    ]
    assert len(found) == 1, f"expected one sbatch call for {rule}, got {found}"
    return found[0]


def value_of(argv: list[str], option: str) -> str:
    """The value of `option` in argv, written either `--opt value` or `--opt=value`."""
    for i, word in enumerate(argv):
        if word == option:
            return argv[i + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{option} missing from sbatch call {argv}")


def explain(proc: subprocess.CompletedProcess, calls: list[dict]) -> str:
    return f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-6000:]}\ncalls:\n{calls}"


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm")
    # Account and partition as the profile's header says to give them (the fake sacctmgr lists
    # "bitbudget" as the user's account, so the plugin's account check passes).
    resources = "runtime=60 mem_mb=8000 slurm_account=bitbudget slurm_partition=gpu".split()
    proc, calls = run_snakemake(workdir, PROFILE, "--default-resources", *resources)
    return workdir, proc, calls


def test_profile_submits_and_completes(slurm_run):
    workdir, proc, calls = slurm_run
    assert proc.returncode == 0, explain(proc, calls)
    jobs = [c for c in calls if c["prog"] == "sbatch"]
    assert sorted(c["state"] for c in jobs) == ["COMPLETED", "COMPLETED"], explain(proc, calls)
    assert any(c["prog"] in ("sacct", "squeue") for c in calls), "the plugin never asked for job states"
    # The GPU reached the job step, and the rule got its DataLoader workers.
    train = (workdir / "results/runs/r1/metrics.json").read_text()
    assert "gpu=1" in train and "num_workers=8" in train and "cuda=0" in train, train
    # Inside the job Snakemake caps threads at the cores it sees (`--cores all`).
    from snakemake.utils import available_cpu_count

    assert f"threads={min(8, available_cpu_count())}" in train, train
    assert (workdir / "summary.txt").exists()


def test_train_requests_one_gpu_as_the_plugin_documents(slurm_run):
    _, proc, calls = slurm_run
    argv = sbatch_argv(calls, "train")
    assert "--gpus=1" in argv, argv  # resources gpu: 1 -> --gpus=1 (written by the plugin)
    assert value_of(argv, "--cpus-per-gpu") == "8", argv
    assert value_of(argv, "-t") == "2880", argv
    assert value_of(argv, "--mem") == "64000", argv
    assert value_of(argv, "-A") == "bitbudget" and value_of(argv, "-p") == "gpu", argv
    # No second CPU request (SLURM refuses --cpus-per-task with --cpus-per-gpu), no raw GRES.
    assert not any(w.startswith(("--cpus-per-task", "-c", "--gres")) for w in argv), argv
    # One task (SLURM's default): plugins before 2.7.1 added --ntasks-per-gpu=1 (see pyproject).
    assert not any(w.startswith(("--ntasks-per-gpu", "--ntasks")) for w in argv), argv
    # The job step inside the allocation asks for the same GPU and CPUs.
    sruns = [c["argv"] for c in calls if c["prog"] == "srun" and "train" in " ".join(c["argv"])]
    assert sruns and "--gpus=1" in sruns[0] and "--cpus-per-gpu=8" in sruns[0], sruns


def test_synth_sweep_keeps_its_cpus(slurm_run):
    _, _, calls = slurm_run
    argv = sbatch_argv(calls, "synth_sweep")
    assert value_of(argv, "--cpus-per-task") == "4", argv
    assert value_of(argv, "-t") == "120", argv
    assert value_of(argv, "--mem") == "8000", argv  # default-resources
    assert not any(w.startswith(("--gpus", "--gres", "--cpus-per-gpu")) for w in argv), argv


def test_old_gres_in_slurm_extra_is_refused(tmp_path):
    """The profile's former GPU request; proves this test would have caught the bug."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    profile["set-resources"]["train"] = {
        "slurm_extra": "'--gres=gpu:1'",
        "runtime": 2880,
        "mem_mb": 64000,
        "cpus_per_task": 8,
        "num_workers": 8,
    }
    old = tmp_path / "old_profile"
    old.mkdir()
    (old / "config.yaml").write_text(yaml.safe_dump(profile))
    workdir = tmp_path / "work"
    workdir.mkdir()
    proc, calls = run_snakemake(workdir, old)
    assert proc.returncode != 0, explain(proc, calls)
    output = proc.stdout + proc.stderr
    assert "not allowed in the 'slurm_extra' parameter" in output, explain(proc, calls)
    assert "generic-resources-(GRES)" in output, explain(proc, calls)
    submitted = [c["argv"] for c in calls if c["prog"] == "sbatch"]
    assert not any("rule_train" in " ".join(argv) for argv in submitted), submitted
