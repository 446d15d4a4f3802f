"""RTL simulation (Verilator) against the integer reference ``qsnn.functional.lif_integer``.

Two Verilator builds serve every test (a neuron with tracing, one layer tile),
so the file stays well under two minutes on a loaded machine.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qsnn.functional import lif_integer
from qsnn.hardware import sim as hwsim
from qsnn.hardware.reference import digits_batch, quick_train, real_layer, reference_layer
from qsnn.hardware.traces import TRACE_SIGNALS, TraceConfig, parse_vcd, trace_one
from qsnn.hardware.verilator import ToolError, Verilator
from qsnn.wst import WST

# One tile build for the random and the real-layer checks: cifarnet-tiny's
# second conv has fan-in 16*3*3 = 144 = 9 beats of 16 inputs.
TILE = dict(w_bits=4, s_bits=2, rows=8, cols=16, chunks=9, acc_w=24)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    torch.set_num_threads(1)
    return tmp_path_factory.mktemp("hwbuild")


def test_neuron_bit_exact_random_with_idle_cycles(build_dir):
    rng = np.random.default_rng(0)
    psum = rng.integers(-30, 60, size=(5, 40))  # T=5, 40 samples back to back
    result = hwsim.simulate_neuron(psum, v_th=9, s_bits=2, acc_w=24, gap_permille=200, seed=3, build_dir=build_dir)
    levels, membrane = lif_integer(torch.from_numpy(psum), 9, 2)
    np.testing.assert_array_equal(result.levels, levels.numpy())
    np.testing.assert_array_equal(result.membrane, membrane.numpy())
    assert len(np.unique(result.levels)) == 4  # every level of S=2 exercised, including saturation
    assert result.cycles > psum.size  # the idle cycles really happened


def test_neuron_vcd_has_fig2_signals(build_dir, tmp_path):
    frame = trace_one(TraceConfig(w_bits=8, s_bits=2, T=2), tmp_path / "w8s2t2.vcd", build_dir)
    changes, widths = parse_vcd(tmp_path / "w8s2t2.vcd")
    assert set(TRACE_SIGNALS) <= set(changes)
    assert widths["spike"] == 2
    assert set(frame.signal) == set(TRACE_SIGNALS.values())
    per_cycle = frame.pivot(index="cycle", columns="signal", values="value")
    # Valid beats and Last: 2 samples x T=2 steps, Last on every second beat.
    assert per_cycle["valid"].sum() == 4 and per_cycle["last"][per_cycle["valid"] == 1].tolist() == [0, 1, 0, 1]
    assert per_cycle["out_valid"].sum() == 4
    assert per_cycle["state"].isin([0, 1]).all() and per_cycle["state"].max() == 1


def test_tile_bit_exact_random(build_dir):
    rng = np.random.default_rng(1)
    codes = rng.integers(-7, 8, size=(13, 130))  # 2 passes of 8 rows, fan-in padded to 144
    spikes = rng.integers(0, 4, size=(3, 6, 130))
    result = hwsim.simulate_tile(codes, spikes, v_th=40, gap_permille=100, build_dir=build_dir, **TILE)
    expected, _, _ = reference_layer(codes, spikes, 40, 2)
    np.testing.assert_array_equal(result.outputs, expected)
    assert expected.max() == 3 and (expected == 0).any()
    assert result.passes == 2 and result.load_cycles == 2 * 9


def test_tile_bit_exact_on_trained_layer(build_dir):
    model = quick_train("cifarnet-tiny", WST(4, 2, 2), steps=15)
    x, _ = digits_batch(2, train=False)
    layer = real_layer(model, x, "features.1.0.0", max_rows=48)
    assert layer.codes.shape == (16, 144) and layer.spikes.shape == (2, 48, 144)
    assert (layer.spikes > 0).any() and np.abs(layer.codes).max() <= 7
    result = hwsim.simulate_tile(layer.codes, layer.spikes, v_th=layer.v_th, build_dir=build_dir, **TILE)
    expected, _, _ = reference_layer(layer.codes, layer.spikes, layer.v_th, 2)
    np.testing.assert_array_equal(result.outputs, expected)
    # Steady state: one beat per cycle; per pass, 1 more cycle for the neuron register.
    assert result.stream_cycles == 2 * (48 * 2 * 9 + 1)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(w_bits=0, s_bits=2), "W=0"),
        (dict(w_bits=17, s_bits=2), "W=17"),
        (dict(w_bits=4, s_bits=9), "S=9"),
        (dict(w_bits=4, s_bits=0), "S=0"),
    ],
)
def test_bad_w_s_rejected_before_any_tool(monkeypatch, kwargs, word):
    def no_tools(*_a, **_k):
        raise AssertionError("a tool ran before the parameters were checked")

    monkeypatch.setattr(hwsim, "find_verilator", no_tools)
    monkeypatch.setattr(hwsim, "check_build_tools", no_tools)
    codes, spikes = np.ones((2, 4), dtype=int), np.zeros((2, 1, 4), dtype=int)
    with pytest.raises(ValueError, match=word):
        hwsim.simulate_tile(codes, spikes, v_th=4, **kwargs)


def test_bad_t_and_codes_rejected_before_any_tool(monkeypatch):
    monkeypatch.setattr(hwsim, "find_verilator", lambda: pytest.fail("tool ran"))
    with pytest.raises(ValueError, match="T=0"):
        hwsim.simulate_tile(np.ones((2, 4), dtype=int), np.zeros((0, 1, 4), dtype=int), 4, 2, v_th=4)
    with pytest.raises(ValueError, match="W=1 weight codes"):
        hwsim.simulate_tile(np.zeros((2, 4), dtype=int), np.zeros((2, 1, 4), dtype=int), 1, 2, v_th=4)
    with pytest.raises(ValueError, match="overflows"):
        hwsim.simulate_tile(np.full((2, 400), 7), np.full((2, 1, 400), 3), 4, 2, v_th=4, acc_w=12)


def test_tool_failure_surfaces_log(monkeypatch, tmp_path):
    fake = tmp_path / "fake-verilator"
    (fake / "bin").mkdir(parents=True)
    script = fake / "bin" / "verilator"
    script.write_text("#!/bin/sh\necho 'simulated verilator crash' >&2\nexit 7\n")
    script.chmod(0o755)
    monkeypatch.setattr(hwsim, "find_verilator", lambda: Verilator(fake))
    with pytest.raises(ToolError) as info:
        hwsim.build("qsnn_neuron", {"S": 2, "ACC_W": 16}, build_dir=tmp_path / "build")
    assert info.value.log is not None and info.value.log.exists()
    assert "simulated verilator crash" in info.value.log.read_text()
    assert str(info.value.log) in str(info.value)
    cached = [p.name for p in (tmp_path / "build").iterdir() if not p.name.endswith(".failed")]
    assert cached == []  # nothing left under a cache name that a later run would trust


def test_toggle_coverage_grouping(tmp_path):
    from qsnn.hardware.rtl_activity import group_toggles, parse_toggle_coverage

    def line(page, obj, hier, count):
        return f"C '\x01f\x02x.v\x01l\x021\x01page\x02v_toggle/{page}\x01o\x02{obj}\x01h\x02{hier}\x01' {count}\n"

    cov = tmp_path / "coverage.dat"
    cov.write_text(
        "# SystemC::Coverage-3\n"
        + line("qsnn_pe_array__W4", "g_row[0].acc[3]:0->1", "TOP.t.u_pe", 5)
        + line("qsnn_pe_array__W4", "g_row[1].acc[3]:1->0", "TOP.t.u_pe", 4)
        + line("qsnn_neuron__A18", "membrane[0]:0->1", "TOP.t.g_neuron[*].u_neuron", 7)
        + line("qsnn_neuron__A18", "rem[2]:0->1", "TOP.t.g_neuron[*].u_neuron", 100)  # loop temporary
        + line("qsnn_neuron__A18", "clk:0->1", "TOP.t.g_neuron[*].u_neuron", 50)
    )
    groups = group_toggles(parse_toggle_coverage(cov))
    assert groups == {"accumulator_reg": 9, "membrane_reg": 7, "total": 16}


def test_bus_toggles_follow_the_schedule():
    from qsnn.hardware.rtl_activity import bus_toggles

    # 1 output, fan-in 4 = 2 beats of 2: weight blocks (W=4 fields) [1, 0] and [3, 0] differ in 1 bit.
    field = np.array([[1, 0, 3, 0]])
    spikes = np.array([[[1, 0, 0, 2]], [[1, 0, 0, 2]]])  # T=2, N=1
    counts = bus_toggles(field, spikes, rows=1, cols=2, chunks=2, w_bits=4, s_bits=2)
    # chunk 0 -> 1 -> 0 per step: 2 flips of 1 bit, over T*N = 2 steps.
    assert counts["weight_read"] == 4
    # spike beats from reset 0: [1,0] [0,2] [1,0] [0,2]: 1 + 2 + 2 + 2 bit flips.
    assert counts["spike_input"] == 7


def test_build_cache_hit_equals_fresh_build_and_a_changed_parameter_misses(tmp_path, monkeypatch):
    """One build per parameter set, persisted under build_dir: a rerun (or another rule) reuses it."""
    rng = np.random.default_rng(5)
    psum = rng.integers(-20, 40, size=(3, 10))
    build_dir = tmp_path / "build"
    fresh = hwsim.simulate_neuron(psum, v_th=7, s_bits=2, acc_w=16, build_dir=build_dir)
    first = hwsim.build(
        "qsnn_neuron",
        {"S": 2, "ACC_W": 16, "LEAK_SHIFT": 1, "RESET_HARD": 1, "V_RESET": 0},
        variant="trace",
        build_dir=build_dir,
        defines={"ACC_W": 16},
    )
    assert first.executable.exists()

    run_logged = hwsim.run_logged

    def no_build(cmd, log, cwd=None, env=None, what="command"):
        if not what.startswith("testbench"):
            raise AssertionError("a cached build ran a tool")
        run_logged(cmd, log, cwd=cwd, env=env, what=what)

    monkeypatch.setattr(hwsim, "run_logged", no_build)
    cached = hwsim.simulate_neuron(psum, v_th=7, s_bits=2, acc_w=16, build_dir=build_dir)
    np.testing.assert_array_equal(cached.levels, fresh.levels)
    np.testing.assert_array_equal(cached.membrane, fresh.membrane)
    assert cached.cycles == fresh.cycles
    with pytest.raises(AssertionError, match="a cached build ran a tool"):  # S=3: another build
        hwsim.simulate_neuron(psum, v_th=7, s_bits=3, acc_w=16, build_dir=build_dir)


def test_runtime_objects_compiled_once_per_variant(tmp_path):
    """Verilator's runtime is compiled by the first build of a variant and reused (not recompiled) later."""
    build_dir = tmp_path / "build"
    params = {"S": 1, "ACC_W": 12, "LEAK_SHIFT": 1, "RESET_HARD": 1, "V_RESET": 0}
    a = hwsim.build("qsnn_neuron", params, variant="check", build_dir=build_dir, defines={"ACC_W": 12})
    b = hwsim.build("qsnn_neuron", {**params, "S": 2}, variant="check", build_dir=build_dir, defines={"ACC_W": 12})
    assert a.directory != b.directory
    assert "-o verilated.o" in (a.directory / "build.log").read_text()
    assert "-o verilated.o" not in (b.directory / "build.log").read_text()
    assert len(list(build_dir.glob("runtime-check-*"))) == 1


def test_parallel_rtl_activity_gives_the_table_of_one_job(tmp_path, monkeypatch):
    import pandas as pd

    from qsnn.hardware import rtl_activity

    monkeypatch.setattr(rtl_activity, "layer_for", lambda wst, cfg, checkpoint, cache: (wst.bit_budget, "fake"))

    def fake_measure(wst, layer, provenance, cfg, build_dir):
        return pd.DataFrame(
            {
                "w_bits": [wst.w_bits],
                "s_bits": [wst.s_bits],
                "T": [wst.T],
                "toggles": [layer * 7],
                "weights": [provenance],
            }
        )

    monkeypatch.setattr(rtl_activity, "measure_layer", fake_measure)
    one = rtl_activity.measure_activity(tmp_path / "one.csv", jobs=1)
    two = rtl_activity.measure_activity(tmp_path / "two.csv", jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 12 and (tmp_path / "one.csv").read_text() == (tmp_path / "two.csv").read_text()
