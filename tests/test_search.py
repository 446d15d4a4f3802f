"""Allocation search (qsnn/search.py, `qsnn search`, workflow/rules/search.smk, figures/fig7.py,
tables/search.tex.j2): expansion, modes, bounds, errors, halving selection, Pareto fronts, the
CSV contract, the dry-run CLI, Fig. 7 and the table from synthetic results, and the workflow's
dry run. Every metrics.json here is a hand-made FIXTURE; none is a real result."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from qsnn import search
from qsnn.cli import main
from qsnn.experiments import RUN_ID_PATTERN, ConfigError, expand, load_config
from qsnn.wst import WST

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "figures"))

SEARCH = {
    "dataset": ["digits", "digits-dvs"],
    "arch": "spikformer-tiny",
    "budgets": [4, 8, 16],
    "bounds": {"w_bits": [1], "s_bits": {"max": 8}, "T": {"max": 8}},
}
HALVING = {"name": "halving", "rounds": [2, 20], "keep": 0.5}


@pytest.fixture(scope="module")
def quick() -> dict:
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    raw.pop("search", None)
    return raw


def config(base: dict, body: dict | None = None, name: str = "s", **top):
    raw = copy.deepcopy(base)
    raw.update(top)
    raw["search"] = {name: {**SEARCH, **(body or {})}}
    return load_config(raw)


def wsts(spec, budget) -> set[str]:
    return {str(w) for w in search.budget_wsts(spec, budget)}


# --------------------------------------------------------------------------- expansion, modes, bounds


def test_exact_mode_splits_each_budget_within_the_bounds(quick):
    spec = config(quick).searches[0]
    assert wsts(spec, 4) == {"1/1/4", "1/2/2", "1/4/1"}
    assert wsts(spec, 8) == {"1/1/8", "1/2/4", "1/4/2", "1/8/1"}
    assert wsts(spec, 16) == {"1/2/8", "1/4/4", "1/8/2"}  # 1/1/16 and 1/16/1 are out of S, T <= 8
    allocs = search.allocations(spec)
    assert len(allocs) == 2 * 10 and {a.dataset for a in allocs} == {"digits", "digits-dvs"}
    assert all(a.wst.bit_budget in a.budgets for a in allocs)


def test_within_mode_counts_an_allocation_for_every_budget_it_fits(quick):
    spec = config(quick, {"mode": "within", "budgets": [2, 4], "bounds": {"w_bits": {"min": 1, "max": 2}}}).searches[0]
    assert wsts(spec, 2) == {"1/1/1", "1/1/2", "1/2/1", "2/1/1"}
    assert (
        all(w.bit_budget <= 4 for w in search.budget_wsts(spec, 4)) and len(wsts(spec, 4)) == 8 + 3
    )  # W=1: s*t <= 4; W=2: s*t <= 2
    budgets = {str(a.wst): a.budgets for a in search.allocations(spec) if a.dataset == "digits"}
    assert budgets["1/1/2"] == (2, 4) and budgets["2/2/1"] == (4,)


def test_list_bounds_and_min_max_bounds(quick):
    spec = config(quick, {"budgets": [16], "bounds": {"w_bits": [2, 4], "s_bits": [1, 2], "T": {"min": 2}}}).searches[0]
    assert wsts(spec, 16) == {"2/1/8", "2/2/4", "4/1/4", "4/2/2"}


def test_allocations_are_ordinary_runs_shared_with_the_tables(quick):
    cfg = config(quick, {"strategy": {"name": "grid"}})
    runs = search.search_runs(cfg)
    assert all(RUN_ID_PATTERN.match(r.run_id) for r in runs)
    table_ids = {r.run_id for r in expand(cfg).runs}
    shared = {r.run_id for r in runs} & table_ids
    # Table 2's 1/2/2 (CIFAR -> digits) and Table 3's 1/4/4 (CIFAR10-DVS -> digits-dvs) are the same runs.
    assert any("digits__spikformer-tiny__w1s2t2__e20" in rid for rid in shared)
    assert any("digits-dvs__spikformer-tiny__w1s4t4__e20" in rid for rid in shared)


def test_quick_profile_maps_paper_names_like_the_tables(quick):
    cfg = config(quick, {"dataset": "cifar10", "arch": "spikformer-4-384", "budgets": [4], "bounds": {}})
    spec = cfg.searches[0]
    run = search.allocation_run(cfg, spec, "cifar10", WST(1, 2, 2), 20)
    twin = next(
        e.run for e in expand(cfg).entries if e.table == 2 and e.paper_dataset == "cifar10" and str(e.wst) == "1/2/2"
    )
    assert run == twin and (run.dataset, run.arch) == ("digits", "spikformer-tiny")
    costs = search.allocation_costs(spec, "cifar10", WST(1, 2, 2))
    assert costs["cost_scale"] == search.SCALE_FULL and costs["s_ace_G"] == pytest.approx(0.9215 * 4, rel=0.01)


def test_halving_rounds_are_from_scratch_runs_named_by_their_epochs(quick):
    cfg = config(quick, {"strategy": HALVING})
    ids = {r.run_id for r in search.search_runs(cfg)}
    assert len(ids) == 2 * len(search.allocations(cfg.searches[0]))
    assert {RUN_ID_PATTERN.match(i)["epochs"] for i in ids} == {"2", "20"}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "body, top, words",
    [
        ({"budgets": [4099], "bounds": {}}, {}, ["search.s.budgets[0]", "4099", "admits no allocation"]),
        ({"budgets": [4, 11]}, {}, ["search.s.bounds", "budgets[1]", "W 1", "widen"]),  # 1/1/11, 1/11/1: S, T <= 8
        ({"bounds": {"T": {"min": 5, "max": 2}}}, {}, ["search.s.bounds.T", "min 5", "max 2"]),
        ({"bounds": {"s_bits": [1, 17]}}, {}, ["search.s.bounds.s_bits", "17"]),
        ({"strategy": {"name": "halving"}}, {}, ["search.s.strategy.rounds", "rounds: [4, 20]"]),
        ({"strategy": {"name": "halving", "rounds": [20, 4]}}, {}, ["search.s.strategy.rounds", "increase"]),
        ({"strategy": {"name": "grid", "keep": 0.5}}, {}, ["search.s.strategy.keep", "halving"]),
        ({"arch": "spikformer-4-384"}, {}, ["search.s.arch", "does not pair", "digits"]),
        ({"dataset": "mnist"}, {}, ["search.s.dataset", "unknown dataset 'mnist'"]),
        (
            {"dataset": "cifar10", "arch": "spikformer-4-384", "budgets": [4], "bounds": {"w_bits": [1.0]}},
            {},
            ["search.s.bounds.w_bits[0]", "not an integer"],
        ),
        ({}, {"profile": "paper"}, ["search.s.arch", "quick-profile stand-in", "paper profile"]),
        (
            {"dataset": "digits", "arch": "spikformer-4-384"},
            {"profile": "paper"},
            ["search.s.dataset", "quick-profile stand-in"],
        ),
        (
            {"dataset": "digits", "mode": "within", "budgets": [4096], "bounds": {}},
            {},
            ["search.s.bounds", "more than 1000"],
        ),
    ],
)
def test_bad_search_block_is_one_line_naming_the_key(quick, body, top, words):
    with pytest.raises(ConfigError) as info:
        config(quick, body, **top)
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, message


def test_schema_rejects_unknown_keys_and_modes(quick):
    for body, key in (({"mode": "below"}, "search.s.mode"), ({"budget": 4}, "search.s")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            config(quick, body)


# --------------------------------------------------------------------------- halving selection


def rec(dataset, w, s, t, top1, s_ace=1.0, round_no=1):
    return {"dataset": dataset, "w_bits": w, "s_bits": s, "T": t, "top1": top1, "s_ace_G": s_ace, "round": round_no}


def test_halving_keeps_the_best_ceil_fraction_of_each_budget_per_dataset():
    records = [
        rec("a", 1, 1, 4, 50),
        rec("a", 1, 2, 2, 70),
        rec("a", 1, 4, 1, 60),  # budget 4: keep 2 of 3
        rec("a", 1, 1, 8, 40),
        rec("a", 1, 2, 4, 90),
        rec("a", 1, 4, 2, 80),
        rec("a", 1, 8, 1, 30),  # 8: 2 of 4
        rec("b", 1, 1, 4, 99),
        rec("b", 1, 4, 1, 10),
    ]  # other dataset: 1 of 2
    kept = search.select_survivors(records, [4, 8], 0.5, "exact")
    assert kept == {("a", "1/2/2"), ("a", "1/4/1"), ("a", "1/2/4"), ("a", "1/4/2"), ("b", "1/1/4")}
    assert search.select_survivors(records, [4, 8], 0.01, "exact") == {("a", "1/2/2"), ("a", "1/2/4"), ("b", "1/1/4")}


def test_halving_ties_go_to_the_lower_s_ace_and_within_groups_overlap():
    records = [rec("a", 1, 1, 1, 80, s_ace=1.0), rec("a", 2, 1, 1, 80, s_ace=2.0), rec("a", 1, 1, 2, 70, s_ace=2.0)]
    assert search.select_survivors(records, [2], 0.3, "within") == {("a", "1/1/1")}  # 80 = 80: the cheaper
    assert search.select_survivors(records, [2], 0.6, "within") == {("a", "1/1/1"), ("a", "2/1/1")}
    # Budget 1's only allocation goes on even when budget 2 (which it also fits) ranks it last.
    records = [rec("a", 1, 1, 1, 60, s_ace=1.0), rec("a", 1, 1, 2, 90, s_ace=2.0), rec("a", 1, 2, 1, 85, s_ace=2.0)]
    assert search.select_survivors(records, [1, 2], 0.3, "within") == {("a", "1/1/1"), ("a", "1/1/2")}


def fake_metrics(runs: Path, run_id: str, top1: float, s_ace: float = 1e6, rate: float = 0.2) -> None:
    folder = runs / run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(
        json.dumps(
            {
                "top1": top1,
                "s_ace": s_ace,
                "ns_ace": s_ace * rate,
                "wall_time_s": 10.0,
                "firing_rates": [{"layer": "x", "s_bits": 1, "rate": rate, "hist": [1, 1]}],
            }
        )
    )


def accuracy_of(wst: WST, dataset: str) -> float:
    """FIXTURE accuracies: time steps help the static stand-in, spike bits the event one."""
    favoured = wst.T if dataset == "digits" else wst.s_bits
    return 50.0 + 5 * favoured + wst.bit_budget / 4


def run_halving(cfg, runs: Path, final_shift: float = 0.0) -> pd.DataFrame:
    spec = cfg.searches[0]
    for rid in search.round_run_ids(cfg, spec, 1, None):
        m = RUN_ID_PATTERN.match(rid)
        fake_metrics(runs, rid, accuracy_of(WST(int(m["w"]), int(m["s"]), int(m["t"])), m["dataset"]))
    record = search.select_round(cfg, spec, 1, None, runs)
    for entry in record["next"]:
        fake_metrics(
            runs, entry["run_id"], accuracy_of(WST(*map(int, entry["wst"].split("/"))), entry["dataset"]) + final_shift
        )
    return search.summarize(cfg, spec, runs, [record]), record


def test_select_round_and_summary_follow_the_survivors(quick, tmp_path):
    cfg = config(quick, {"strategy": HALVING})
    frame, record = run_halving(cfg, tmp_path / "runs")
    assert len(record["next"]) == 2 * (2 + 2 + 2)  # ceil(3/2) + ceil(4/2) + ceil(3/2) per dataset
    assert all(e["run_id"].split("__")[3] == "e20" for e in record["next"])
    final = frame[frame["status"] == search.STATUS_FINAL]
    assert (
        len(final) == 12
        and set(final["epochs"]) == {20}
        and set(frame[frame["status"] == "eliminated"]["epochs"]) == {2}
    )
    assert (final["train_seconds"] == 20.0).all()  # its 2-epoch run and its 20-epoch run
    best = search.best_per_budget(frame).set_index(["dataset", "budget"])
    assert best.loc[("digits", 8), "w_bits"] == 1 and best.loc[("digits", 8), "T"] == 8
    assert best.loc[("digits-dvs", 8), "s_bits"] == 8
    assert (frame["ns_ace_kind"] == "measured").all() and frame["ns_ace_G"].iloc[0] == pytest.approx(0.2e-3)


def test_workflow_inputs_follow_the_round_records(quick, tmp_path):
    cfg = config(quick, {"strategy": HALVING})
    _, record = run_halving(cfg, tmp_path / "runs")
    round1 = search.write_round(record, tmp_path / "round1.json")
    asked = []

    def round_file(name, round_no):  # stands in for checkpoints.search_round.get(...).output[0]
        asked.append((name, round_no))
        return str(round1)

    second = search.round_inputs(cfg, "s", 2, round_file)
    assert second == [f"results/runs/{e['run_id']}/metrics.json" for e in record["next"]] and asked == [("s", 1)]
    every = search.summary_inputs(cfg, "s", round_file)
    assert str(round1) in every and len(every) == 1 + 20 + 12
    assert search.round_files(cfg, "s") == ["results/search/s/round1.json"]


def test_summary_marks_the_paper_rows_of_the_stand_ins(quick, tmp_path):
    frame, _ = run_halving(config(quick, {"strategy": HALVING}), tmp_path / "runs")
    marked = frame.set_index(["dataset", "w_bits", "s_bits", "T"])["paper_rows"]
    assert "table2:row3" in marked[("digits", 1, 2, 2)]  # Table 2's 1/2/2 on CIFAR -> digits
    assert "table3:row3" in marked[("digits-dvs", 1, 4, 4)]  # Table 3's 1/4/4 on CIFAR10-DVS -> digits-dvs
    assert frame["paper_acc"].isna().all()  # stand-in accuracies are not set beside the paper's


@pytest.mark.parametrize(
    "profile, kind, published", [("paper", "measured", 95.0), ("quick", "estimated from stand-in firing rates", None)]
)
def test_paper_names_get_full_scale_costs_and_the_published_rows(quick, tmp_path, profile, kind, published):
    cfg = config(
        quick,
        {"dataset": "cifar10", "arch": "spikformer-4-384", "budgets": [4], "bounds": {"w_bits": [1]}},
        profile=profile,
    )
    spec = cfg.searches[0]
    for rid in search.round_run_ids(cfg, spec, 1, None):
        fake_metrics(tmp_path, rid, 90.0, s_ace=2e6, rate=0.25)
    frame = search.summarize(cfg, spec, tmp_path, []).set_index(["w_bits", "s_bits", "T"])
    row = frame.loc[(1, 4, 1)]
    assert row["cost_scale"] == search.SCALE_FULL and row["s_ace_G"] == pytest.approx(0.9215 * 4, rel=0.01)
    assert row["ns_ace_kind"] == kind and row["ns_ace_G"] == pytest.approx(
        row["s_ace_G"] * 0.25 if published is None else 2e-3 * 0.25
    )
    assert "table2:row2" in row["paper_rows"]  # Table 2's 1/4/1, trained as this search trains it
    assert (row["paper_acc"] == published) if published is not None else pd.isna(row["paper_acc"])


def test_spike_vs_time_verdict_is_computed_from_the_results(quick, tmp_path):
    frame, _ = run_halving(config(quick, {"strategy": HALVING}), tmp_path / "runs")
    verdict = search.spike_vs_time(frame).set_index(["dataset", "budget"])["winner"]
    assert verdict[("digits", 8)] == search.TIME_STEPS and verdict[("digits-dvs", 8)] == search.SPIKE_BITS
    lines = search.verdict_lines(frame, "quick")
    assert "digits [static, stand-in data]: budget 4: spike bits lose to time steps" in lines[0]
    assert "digits-dvs [neuromorphic, stand-in data]: budget 4: spike bits beat time steps" in lines[1]


# --------------------------------------------------------------------------- fronts and the CSV


def test_pareto_front_on_a_synthetic_frame():
    costs = [1.0, 1.0, 2.0, 2.0, 3.0, 4.0, None, 5.0]
    accs = [60.0, 70.0, 69.0, 80.0, 80.0, 95.0, 99.0, float("nan")]
    assert search.pareto_front(costs, accs) == [False, True, False, True, False, True, False, False]
    assert search.pareto_front([1.0, 1.0], [50.0, 50.0]) == [True, True]  # equal points dominate neither


def test_fronts_are_drawn_among_final_allocations_per_dataset():
    frame = pd.DataFrame(
        [
            {
                "dataset": "a",
                "status": "final",
                "s_ace_G": 1.0,
                "ns_ace_G": 0.5,
                "top1": 70.0,
                "w_bits": 1,
                "s_bits": 1,
                "T": 1,
                "round": 2,
                "budgets": "1",
            },
            {
                "dataset": "a",
                "status": "final",
                "s_ace_G": 2.0,
                "ns_ace_G": 0.3,
                "top1": 75.0,
                "w_bits": 1,
                "s_bits": 2,
                "T": 1,
                "round": 2,
                "budgets": "2",
            },
            {
                "dataset": "a",
                "status": "eliminated",
                "s_ace_G": 0.5,
                "ns_ace_G": 0.1,
                "top1": 99.0,
                "w_bits": 1,
                "s_bits": 1,
                "T": 2,
                "round": 1,
                "budgets": "2",
            },
            {
                "dataset": "b",
                "status": "final",
                "s_ace_G": 9.0,
                "ns_ace_G": 9.0,
                "top1": 10.0,
                "w_bits": 1,
                "s_bits": 1,
                "T": 1,
                "round": 2,
                "budgets": "1",
            },
        ]
    )
    marked = search.mark_fronts(frame, [1, 2], "exact")
    assert list(marked["pareto_s_ace"]) == [True, True, False, True]
    assert list(marked["pareto_ns_ace"]) == [False, True, False, True]  # 2/1... is cheaper in NS-ACE and better
    assert list(marked["best_for"]) == ["1", "2", "", "1"]  # a later round beats an early 99 %


def test_search_csv_round_trips_and_checks_the_profile(quick, tmp_path):
    frame, _ = run_halving(config(quick, {"strategy": HALVING}), tmp_path / "runs")
    path = search.write_search(frame, tmp_path / "s.csv")
    back = search.read_search(path, "quick")
    assert list(back.columns) == list(search.COLUMNS) and back["pareto_s_ace"].dtype == bool
    assert back["w_bits"].dtype == "Int64" and (back["profile"] == "quick").all()
    with pytest.raises(search.SearchFileError, match="profile"):
        search.read_search(path, "paper")
    with pytest.raises(search.SearchFileError, match="lacks column"):
        search.write_search(frame.drop(columns=["top1"]), tmp_path / "t.csv")


# --------------------------------------------------------------------------- CLI


def write_config(tmp_path: Path, quick: dict, body: dict, name: str = "s") -> Path:
    raw = copy.deepcopy(quick)
    raw["search"] = {name: {**SEARCH, **body}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_dry_run_lists_allocations_with_their_s_ace(quick, tmp_path, capsys):
    path = write_config(tmp_path, quick, {"strategy": HALVING})
    assert main(["search", "--dry-run", "--config", str(path), "--name", "s"]) == 0
    out = capsys.readouterr().out
    assert "20 allocations" in out and "runs per round at most 20 -> 12" in out and "stand-in" in out
    lines = [line for line in out.splitlines() if "digits-dvs" in line and "1/2/4" in line]
    assert len(lines) == 1 and "2.05" in lines[0] and "__e2__" in lines[0]  # S-ACE (M) of the tiny model, round 1


@pytest.mark.parametrize(
    "body, name, words",
    [
        ({"budgets": [11]}, "s", ["search.s.bounds", "budgets[0]"]),
        ({}, "other", ["search 'other' is not configured", "s"]),
    ],
)
def test_dry_run_errors_are_one_line_exit_2(quick, tmp_path, capsys, body, name, words):
    path = write_config(tmp_path, quick, body)
    assert main(["search", "--dry-run", "--config", str(path), "--name", name]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and err.startswith("qsnn search: error:")
    for word in words:
        assert word in err, err


def test_search_without_dry_run_or_action_says_how(capsys):
    assert main(["search"]) == 2
    assert "--dry-run" in capsys.readouterr().err


# --------------------------------------------------------------------------- Fig. 7, table, caption


@pytest.fixture()
def search_csv(quick, tmp_path) -> Path:
    frame, _ = run_halving(config(quick, {"strategy": HALVING}), tmp_path / "runs")
    return search.write_search(frame, tmp_path / "results" / "search" / "s.csv")


def test_fig7_renders_byte_stable_from_a_search_csv(search_csv, tmp_path):
    import fig7

    out = tmp_path / "fig7.pdf"
    args = ["--experiments", str(search_csv), "--profile", "quick", "--out", str(out)]
    assert fig7.main(args) == 0
    first = out.read_bytes()
    assert fig7.main(args) == 0
    assert out.read_bytes() == first and out.with_suffix(".png").stat().st_size > 10_000
    assert fig7.main(["--experiments", str(search_csv), "--profile", "paper", "--out", str(out)]) == 2


def test_fig7_draws_front_grey_dominated_and_paper_rings(search_csv, tmp_path):
    import common
    import fig7

    common.setup_style()
    fig = fig7.make_figure(common.FigureArgs(search_csv, tmp_path, tmp_path, "quick", tmp_path / "x.pdf"))
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {
        "dominated",
        "eliminated after round 1 (fewer epochs)",
        "W/S/T of a paper row (ours, stand-in run)",
    } <= labels
    assert any(label.startswith("Pareto front, budget") for label in labels)
    assert "spike bits beat time steps" in fig._suptitle.get_text() and "stand-in" in fig._suptitle.get_text()


def test_caption_and_table_state_the_profile_and_the_computed_verdict(search_csv, tmp_path):
    caption = tmp_path / "fig7.rst"
    assert main(["search", "caption", "--search", str(search_csv), "--profile", "quick", "--out", str(caption)]) == 0
    text = caption.read_text()
    assert "Profile: quick (stand-in data, not comparable to the paper)" in text
    line = next(x for x in text.splitlines() if x.startswith("- digits-dvs [neuromorphic, stand-in data]: "))
    assert "budget 8: spike bits beat time steps (1/8/1" in line
    tex, html = tmp_path / "t.tex", tmp_path / "t.html"
    assert (
        main(
            [
                "search",
                "table",
                "--search",
                str(search_csv),
                "--profile",
                "quick",
                "--out",
                str(tex),
                "--html",
                str(html),
            ]
        )
        == 0
    )
    latex = tex.read_text()
    rows = [line for line in latex.splitlines() if re.match(r"^[a-z-]* & \d+ & ", line)]
    # The FIXTURE's best: the most time steps on digits, the most spike bits on digits-dvs.
    assert [r.split(" & ")[2] for r in rows] == [
        "1 / 1 / 4",
        "1 / 1 / 8",
        "1 / 2 / 8",
        "1 / 4 / 1",
        "1 / 8 / 1",
        "1 / 8 / 2",
    ]
    assert rows[0].startswith("digits & 4") and rows[3].startswith("digits-dvs & 4")
    assert "stand-in data, not comparable" in latex and "S-ACE (M)" in latex
    assert "1 / 8 / 1" in html.read_text()


# --------------------------------------------------------------------------- workflow


def test_workflow_dry_run_shows_the_search_jobs(quick, tmp_path):
    raw = copy.deepcopy(quick)
    raw["search"] = {"s": {**SEARCH, "budgets": [4], "strategy": HALVING}}
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(raw))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "results/search/s.csv",
            "results/figures/fig7.pdf",
            "results/tables/search-s.tex",
            "-d",
            str(tmp_path / "work"),
            "--configfile",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    counts = dict(
        line.split()[:2]
        for line in out.splitlines()
        if line.split()[:1] in (["train"], ["search_round"], ["search_summary"], ["search_figure"], ["search_table"])
    )
    assert counts == {
        "train": "6",
        "search_round": "1",
        "search_summary": "1",
        "search_figure": "1",
        "search_table": "1",
    }
    assert "digits__spikformer-tiny__w1s2t2__e2__s0" in out and "checkpoint" in out
