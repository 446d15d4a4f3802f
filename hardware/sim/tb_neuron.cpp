// Testbench of qsnn_neuron (top renamed Vtop). Streams n samples of T P_sum
// beats, back to back (optionally with idle cycles), and records the spike
// level and membrane of every out_valid beat.
// usage: tb_neuron STIM OUT STATS [VCD|-] [COVERAGE|-]
//   STIM  int64: n_samples T v_th gap_permille seed, then psum[n_samples][T]
//   OUT   int64: level, membrane per output beat (n_samples*T pairs)
//   STATS text:  key value lines (cycles, beats, sim_seconds)
#include "tb_common.h"

#ifndef ACC_W
#error "compile with -DACC_W=..."
#endif

int main(int argc, char** argv) {
    if (argc < 4) die("usage: tb_neuron STIM OUT STATS [VCD|-] [COVERAGE|-]");
    const char* vcd = (argc > 4 && std::string(argv[4]) != "-") ? argv[4] : nullptr;
    const char* cov = (argc > 5 && std::string(argv[5]) != "-") ? argv[5] : nullptr;
    Reader in(argv[1]);
    const int64_t n = in.next(), T = in.next(), v_th = in.next(), gap = in.next(), seed = in.next();
    const std::vector<int64_t> psum = in.take(static_cast<size_t>(n * T));

    Sim sim(argc, argv, vcd);
    Vtop* top = sim.top;
    set_field(top->v_th, 0, ACC_W, static_cast<uint64_t>(v_th));
    top->rst = 1; top->in_valid = 0; top->in_last = 0;
    sim.tick(); sim.tick();
    top->rst = 0;
    sim.zero_coverage();

    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(2 * n * T));
    Gaps gaps(gap, static_cast<uint64_t>(seed));
    const double t0 = now_s();
    const uint64_t c0 = sim.cycle;
    size_t beat = 0;
    const size_t total = static_cast<size_t>(n * T);
    auto collect = [&]() {
        if (top->out_valid) {
            out.push_back(static_cast<int64_t>(get_field(top->spike, 0, 64)));
            out.push_back(sign_extend(get_field(top->membrane, 0, ACC_W), ACC_W));
        }
    };
    while (beat < total) {
        if (gaps.idle()) {
            top->in_valid = 0;
        } else {
            top->in_valid = 1;
            top->in_last = (beat % T) == static_cast<size_t>(T - 1);
            set_field(top->psum, 0, ACC_W, static_cast<uint64_t>(psum[beat]));
            ++beat;
        }
        sim.tick();
        collect();
    }
    top->in_valid = 0;
    top->in_last = 0;
    for (int drain = 0; drain < 4 && out.size() < 2 * total; ++drain) { sim.tick(); collect(); }
    const double dt = now_s() - t0;
    const uint64_t cycles = sim.cycle - c0;
    sim.tick();  // two idle cycles close the waveform (not counted)
    sim.tick();
    sim.finish(cov);
    if (out.size() != 2 * total) die("neuron produced " + std::to_string(out.size() / 2) + " of " + std::to_string(total) + " outputs");
    write_all(argv[2], out);
    FILE* f = std::fopen(argv[3], "w");
    if (!f) die("cannot write stats");
    std::fprintf(f, "cycles %llu\nbeats %zu\nsim_seconds %.6f\n", static_cast<unsigned long long>(cycles), total, dt);
    std::fclose(f);
    return 0;
}
