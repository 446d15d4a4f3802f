// Testbench of qsnn_layer_tile (top renamed Vtop). For each pass (a group of
// ROWS output neurons), loads the weight memory, then streams every sample's
// T time steps as CHUNKS beats each, back to back, and records the spike
// levels of every out_valid beat. Cycle counts separate weight loading from
// streaming (first beat to last output).
// usage: tb_tile STIM OUT STATS [VCD|-] [COVERAGE|-]
//   STIM int64: n_passes v_th gap_permille seed, then per pass:
//        weights[CHUNKS][ROWS][COLS], n_samples, T, spikes[n_samples][T][CHUNKS*COLS]
//   OUT  int64: levels[pass][sample][t][ROWS]
#include "tb_common.h"

#if !defined(W) || !defined(S) || !defined(ROWS) || !defined(COLS) || !defined(CHUNKS) || !defined(ACC_W)
#error "compile with -DW -DS -DROWS -DCOLS -DCHUNKS -DACC_W"
#endif

int main(int argc, char** argv) {
    if (argc < 4) die("usage: tb_tile STIM OUT STATS [VCD|-] [COVERAGE|-]");
    const char* vcd = (argc > 4 && std::string(argv[4]) != "-") ? argv[4] : nullptr;
    const char* cov = (argc > 5 && std::string(argv[5]) != "-") ? argv[5] : nullptr;
    Reader in(argv[1]);
    const int64_t n_passes = in.next(), v_th = in.next(), gap = in.next(), seed = in.next();

    Sim sim(argc, argv, vcd);
    Vtop* top = sim.top;
    set_field(top->v_th, 0, ACC_W, static_cast<uint64_t>(v_th));
    top->rst = 1; top->in_valid = 0; top->in_last = 0; top->w_we = 0;
    sim.tick(); sim.tick();
    top->rst = 0;

    std::vector<int64_t> out;
    Gaps gaps(gap, static_cast<uint64_t>(seed));
    uint64_t load_cycles = 0, stream_cycles = 0, beats_total = 0;
    double sim_seconds = 0.0;
    for (int64_t p = 0; p < n_passes; ++p) {
        const std::vector<int64_t> wts = in.take(CHUNKS * ROWS * COLS);
        const int64_t n = in.next(), T = in.next();
        const std::vector<int64_t> spk = in.take(static_cast<size_t>(n * T * CHUNKS * COLS));
        uint64_t c0 = sim.cycle;
        load_weights(sim, 1u, CHUNKS, ROWS, COLS, W, wts);
        load_cycles += sim.cycle - c0;
        if (p == 0) sim.zero_coverage();  // activity counts the streaming datapath, not the weight load

        const size_t beats = static_cast<size_t>(n * T * CHUNKS), want = static_cast<size_t>(n * T);
        size_t beat = 0, got = 0;
        auto collect = [&]() {
            if (top->out_valid) {
                for (int r = 0; r < ROWS; ++r) out.push_back(static_cast<int64_t>(get_field(top->spikes_out, r * S, S)));
                ++got;
            }
        };
        const double t0 = now_s();
        c0 = sim.cycle;
        while (beat < beats) {
            if (gaps.idle()) {
                top->in_valid = 0;
            } else {
                const size_t step = beat / CHUNKS;
                const int chunk = static_cast<int>(beat % CHUNKS);
                top->in_valid = 1;
                top->in_last = (step % T) == static_cast<size_t>(T - 1);
                const int64_t* s = &spk[step * CHUNKS * COLS + chunk * COLS];
                for (int c = 0; c < COLS; ++c) set_field(top->spikes_in, c * S, S, static_cast<uint64_t>(s[c]));
                ++beat;
            }
            sim.tick();
            collect();
        }
        top->in_valid = 0;
        top->in_last = 0;
        for (int drain = 0; drain < 8 && got < want; ++drain) { sim.tick(); collect(); }
        sim_seconds += now_s() - t0;
        stream_cycles += sim.cycle - c0;
        beats_total += beats;
        if (got != want) die("tile produced " + std::to_string(got) + " of " + std::to_string(want) + " output steps");
    }
    sim.finish(cov);
    write_all(argv[2], out);
    FILE* f = std::fopen(argv[3], "w");
    if (!f) die("cannot write stats");
    std::fprintf(f, "cycles %llu\nload_cycles %llu\nstream_cycles %llu\nbeats %llu\nsim_seconds %.6f\n",
                 static_cast<unsigned long long>(load_cycles + stream_cycles), static_cast<unsigned long long>(load_cycles),
                 static_cast<unsigned long long>(stream_cycles), static_cast<unsigned long long>(beats_total), sim_seconds);
    std::fclose(f);
    return 0;
}
