// Shared helpers of the C++ testbenches: binary int I/O, port bit fields of
// any width (Verilator maps <= 64-bit ports to integers, wider ones to VlWide),
// a clock, and the optional VCD / toggle-coverage hooks.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif
#if VM_COVERAGE
#include "verilated_cov.h"
#endif

[[noreturn]] static void die(const std::string& msg) {
    std::fprintf(stderr, "testbench error: %s\n", msg.c_str());
    std::exit(3);
}

// Little-endian int64 stream: stimuli and results are plain arrays of int64.
struct Reader {
    FILE* f;
    explicit Reader(const char* path) : f(std::fopen(path, "rb")) {
        if (!f) die(std::string("cannot open stimulus ") + path);
    }
    ~Reader() { std::fclose(f); }
    int64_t next() {
        int64_t v;
        if (std::fread(&v, sizeof v, 1, f) != 1) die("stimulus file too short");
        return v;
    }
    std::vector<int64_t> take(size_t n) {
        std::vector<int64_t> v(n);
        if (n && std::fread(v.data(), sizeof(int64_t), n, f) != n) die("stimulus file too short");
        return v;
    }
};

static void write_all(const char* path, const std::vector<int64_t>& v) {
    FILE* f = std::fopen(path, "wb");
    if (!f) die(std::string("cannot write ") + path);
    if (!v.empty()) std::fwrite(v.data(), sizeof(int64_t), v.size(), f);
    std::fclose(f);
}

template <typename T>
static inline void set_field(T& port, int lo, int w, uint64_t val) {
    const uint64_t mask = (w >= 64) ? ~0ULL : ((1ULL << w) - 1);
    port = static_cast<T>((static_cast<uint64_t>(port) & ~(mask << lo)) | ((val & mask) << lo));
}
template <std::size_t N>
static inline void set_field(VlWide<N>& port, int lo, int w, uint64_t val) {
    for (int i = 0; i < w; ++i) {
        const int b = lo + i;
        const uint32_t bit = static_cast<uint32_t>((val >> i) & 1ULL);
        port[b / 32] = (port[b / 32] & ~(1u << (b % 32))) | (bit << (b % 32));
    }
}
template <typename T>
static inline uint64_t get_field(const T& port, int lo, int w) {
    const uint64_t mask = (w >= 64) ? ~0ULL : ((1ULL << w) - 1);
    return (static_cast<uint64_t>(port) >> lo) & mask;
}
template <std::size_t N>
static inline uint64_t get_field(const VlWide<N>& port, int lo, int w) {
    uint64_t v = 0;
    for (int i = 0; i < w; ++i) {
        const int b = lo + i;
        v |= static_cast<uint64_t>((port[b / 32] >> (b % 32)) & 1u) << i;
    }
    return v;
}
static inline int64_t sign_extend(uint64_t v, int w) {
    if (w >= 64) return static_cast<int64_t>(v);
    const uint64_t m = 1ULL << (w - 1);
    return static_cast<int64_t>((v ^ m) - m);
}

// Deterministic idle-cycle insertion (exercises the Valid handshake).
struct Gaps {
    uint64_t state;
    int64_t permille;
    Gaps(int64_t p, uint64_t seed) : state(seed * 2862933555777941757ULL + 3037000493ULL), permille(p) {}
    bool idle() {
        if (permille <= 0) return false;
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<int64_t>((state >> 33) % 1000) < permille;
    }
};

struct Sim {
    VerilatedContext ctx;
    Vtop* top;
    uint64_t cycle = 0;
#if VM_TRACE
    VerilatedVcdC* vcd = nullptr;
#endif
    Sim(int argc, char** argv, const char* vcd_path) {
        ctx.commandArgs(argc, argv);
#if VM_TRACE
        if (vcd_path && *vcd_path) ctx.traceEverOn(true);
#endif
        top = new Vtop(&ctx);
#if VM_TRACE
        if (vcd_path && *vcd_path) {
            vcd = new VerilatedVcdC;
            top->trace(vcd, 99);
            vcd->open(vcd_path);
        }
#else
        if (vcd_path && *vcd_path) die("this build has no tracing: rebuild the 'trace' variant");
#endif
        top->clk = 0;
        top->eval();
    }
    // One clock cycle: inputs set by the caller are sampled at the rising edge.
    void tick() {
#if VM_TRACE
        if (!vcd) { tick_untraced(); return; }
#else
        tick_untraced();
        return;
#endif
        top->clk = 0;
        top->eval();
#if VM_TRACE
        if (vcd) vcd->dump(10 * cycle);
#endif
        top->clk = 1;
        top->eval();
#if VM_TRACE
        if (vcd) vcd->dump(10 * cycle + 5);
#endif
        ++cycle;
    }
    // Without a waveform the falling-edge evaluation can follow the rising one:
    // Verilator settles input-driven logic before the edge's sequential blocks,
    // so inputs set by the caller are still what the edge samples.
    void tick_untraced() {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        ++cycle;
    }
    void finish(const char* cov_path) {
        top->final();
#if VM_TRACE
        if (vcd) { vcd->dump(10 * cycle); vcd->close(); }
#endif
#if VM_COVERAGE
        if (cov_path && *cov_path) ctx.coveragep()->write(cov_path);
#else
        (void)cov_path;
#endif
        delete top;
    }
    void zero_coverage() {
#if VM_COVERAGE
        ctx.coveragep()->zero();
#endif
    }
};

// Writes a layer's weight memory, one address (CHUNKS of them) per cycle: codes are laid out
// [chunk][row][col]. we_mask selects the tile (1 for a lone tile, 1 << layer in a pipeline).
// A template so that testbenches whose top has no weight port (tb_neuron) still compile.
template <class SimT>
static void load_weights(SimT& sim, unsigned we_mask, int chunks, int rows, int cols, int w_bits,
                         const std::vector<int64_t>& codes) {
    auto* top = sim.top;
    for (int a = 0; a < chunks; ++a) {
        top->w_we = we_mask;
        set_field(top->w_addr, 0, 32, static_cast<uint64_t>(a));
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                set_field(top->w_data, (r * cols + c) * w_bits, w_bits,
                          static_cast<uint64_t>(codes[(a * rows + r) * cols + c]));
        sim.tick();
    }
    top->w_we = 0;
}

static double now_s() {
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}
