// Testbench of qsnn_pipeline (three chained layer tiles, top renamed Vtop).
// Loads the three weight memories, streams every sample's T time steps into
// layer 1 as CHUNKS1 beats each, honouring in_ready (credit flow control),
// and records layer 3's spike levels. Cycles: first input beat to last output.
// usage: tb_pipeline STIM OUT STATS [VCD|-] [COVERAGE|-]
//   STIM int64: v_th gap_permille seed n_samples T,
//        weights1[CHUNKS1][ROWS1][COLS1], weights2[CHUNKS2][ROWS2][COLS2],
//        weights3[CHUNKS3][ROWS3][COLS3], spikes[n_samples][T][CHUNKS1*COLS1]
//   OUT  int64: levels[sample][t][ROWS3]
#include "tb_common.h"

#define CHUNKS2 (ROWS1 / COLS2)
#define CHUNKS3 (ROWS2 / COLS3)

int main(int argc, char** argv) {
    if (argc < 4) die("usage: tb_pipeline STIM OUT STATS [VCD|-] [COVERAGE|-]");
    const char* vcd = (argc > 4 && std::string(argv[4]) != "-") ? argv[4] : nullptr;
    const char* cov = (argc > 5 && std::string(argv[5]) != "-") ? argv[5] : nullptr;
    Reader in(argv[1]);
    const int64_t v_th = in.next(), gap = in.next(), seed = in.next(), n = in.next(), T = in.next();
    const std::vector<int64_t> w1 = in.take(CHUNKS1 * ROWS1 * COLS1);
    const std::vector<int64_t> w2 = in.take(CHUNKS2 * ROWS2 * COLS2);
    const std::vector<int64_t> w3 = in.take(CHUNKS3 * ROWS3 * COLS3);
    const std::vector<int64_t> spk = in.take(static_cast<size_t>(n * T * CHUNKS1 * COLS1));

    Sim sim(argc, argv, vcd);
    Vtop* top = sim.top;
    set_field(top->v_th, 0, ACC_W, static_cast<uint64_t>(v_th));
    top->rst = 1; top->in_valid = 0; top->in_last = 0; top->w_we = 0;
    sim.tick(); sim.tick();
    top->rst = 0;
    const uint64_t l0 = sim.cycle;
    load_weights(sim, 1u << 0, CHUNKS1, ROWS1, COLS1, W, w1);
    load_weights(sim, 1u << 1, CHUNKS2, ROWS2, COLS2, W, w2);
    load_weights(sim, 1u << 2, CHUNKS3, ROWS3, COLS3, W, w3);
    const uint64_t load_cycles = sim.cycle - l0;
    sim.zero_coverage();

    std::vector<int64_t> out;
    Gaps gaps(gap, static_cast<uint64_t>(seed));
    const size_t beats = static_cast<size_t>(n * T * CHUNKS1), want = static_cast<size_t>(n * T);
    size_t beat = 0, got = 0;
    uint64_t stall_cycles = 0;
    auto collect = [&]() {
        if (top->out_valid) {
            for (int r = 0; r < ROWS3; ++r) out.push_back(static_cast<int64_t>(get_field(top->spikes_out, r * S, S)));
            ++got;
        }
    };
    const double t0 = now_s();
    const uint64_t c0 = sim.cycle;
    const uint64_t limit = 64 + 16 * (beats + want * (CHUNKS2 + CHUNKS3));
    while (got < want) {
        bool offered = false;
        if (beat < beats && !gaps.idle()) {
            const size_t step = beat / CHUNKS1;
            const int chunk = static_cast<int>(beat % CHUNKS1);
            top->in_valid = 1;
            top->in_last = (step % T) == static_cast<size_t>(T - 1);
            const int64_t* s = &spk[step * CHUNKS1 * COLS1 + chunk * COLS1];
            for (int c = 0; c < COLS1; ++c) set_field(top->spikes_in, c * S, S, static_cast<uint64_t>(s[c]));
            offered = true;
        } else {
            top->in_valid = 0;
        }
        top->clk = 0;
        top->eval();  // in_ready depends on the state before the edge
        const bool accepted = offered && top->in_ready;
        if (offered && !accepted) ++stall_cycles;
        sim.tick();
        if (accepted) ++beat;
        collect();
        if (sim.cycle - c0 > limit) die("pipeline deadlock: no progress within the cycle limit");
    }
    const double dt = now_s() - t0;
    const uint64_t cycles = sim.cycle - c0;
    sim.finish(cov);
    write_all(argv[2], out);
    FILE* f = std::fopen(argv[3], "w");
    if (!f) die("cannot write stats");
    std::fprintf(f, "cycles %llu\nload_cycles %llu\nstream_cycles %llu\nstall_cycles %llu\nbeats %zu\nsim_seconds %.6f\n",
                 static_cast<unsigned long long>(cycles + load_cycles), static_cast<unsigned long long>(load_cycles),
                 static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(stall_cycles), beats, dt);
    std::fclose(f);
    return 0;
}
