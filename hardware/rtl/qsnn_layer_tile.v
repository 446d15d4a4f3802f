// qsnn_layer_tile: one layer tile = weight memory + PE array + ROWS neurons.
//
// Computes ROWS output neurons of a layer whose fan-in is CHUNKS * COLS
// (zero-padded). Per time step the input spike vector arrives as CHUNKS beats
// of COLS S-bit spikes (in_valid & in_ready); an internal counter selects the
// weight row-block of the beat, so the producer only marks the last time step
// of a sample with in_last (held on the beats of that step, sampled on its
// final beat). Latency: the accumulator register takes the final beat of a
// step at clock edge e, the neuron register takes its P_sum at edge e+1, and
// the spikes (out_valid, out_last on step T) are visible after edge e+1.
// Throughput: one beat per cycle, no stalls, so a sample of T steps takes
// T * CHUNKS cycles in steady state.
//
// Weights are loaded through a write port: wmem[w_addr] <= w_data, the
// ROWS x COLS block used by beat w_addr of every step (layout of
// qsnn_pe_array's weights bus). T is not a parameter: in_last sets it.
`default_nettype none
module qsnn_layer_tile #(
    parameter integer W          = 8,
    parameter integer S          = 2,
    parameter integer ROWS       = 4,
    parameter integer COLS       = 4,
    parameter integer CHUNKS     = 2,   // beats per time step (fan-in / COLS)
    parameter integer ACC_W      = 16,
    parameter integer LEAK_SHIFT = 1,
    parameter integer RESET_HARD = 1,
    parameter integer V_RESET    = 0,
    parameter integer AW         = (CHUNKS > 1) ? $clog2(CHUNKS) : 1
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire [ACC_W-1:0]       v_th,
    input  wire                   w_we,
    input  wire [AW-1:0]          w_addr,
    input  wire [ROWS*COLS*W-1:0] w_data,
    input  wire                   in_valid,
    input  wire                   in_last,     // beats of time step T
    input  wire [COLS*S-1:0]      spikes_in,
    output wire                   in_ready,
    output wire                   in_first,    // the next beat accepted starts a time step
    output wire                   out_valid,
    output wire                   out_last,
    output wire [ROWS*S-1:0]      spikes_out
);
    reg [ROWS*COLS*W-1:0] wmem [0:CHUNKS-1];
    reg [AW-1:0]          chunk;

    localparam integer LAST_CHUNK = CHUNKS - 1;
    wire last_chunk = (chunk == LAST_CHUNK[AW-1:0]);
    assign in_ready = 1'b1;
    assign in_first = (chunk == {AW{1'b0}});

    always @(posedge clk) begin
        if (w_we) wmem[w_addr] <= w_data;
    end

    always @(posedge clk) begin
        if (rst)
            chunk <= {AW{1'b0}};
        else if (in_valid)
            chunk <= last_chunk ? {AW{1'b0}} : chunk + 1'b1;
    end

    // Weight-memory read port: the ROWS x COLS block of the current beat.
    wire [ROWS*COLS*W-1:0] w_rd = wmem[chunk];
    wire                   pe_valid, pe_step_last;
    wire [ROWS*ACC_W-1:0]  psum;

    qsnn_pe_array #(.W(W), .S(S), .ROWS(ROWS), .COLS(COLS), .ACC_W(ACC_W)) u_pe (
        .clk(clk), .rst(rst),
        .in_valid(in_valid), .in_first(in_first), .in_last(last_chunk),
        .in_step_last(in_last),
        .weights(w_rd), .spikes(spikes_in),
        .out_valid(pe_valid), .out_step_last(pe_step_last), .psum(psum)
    );

    // All neurons share one schedule: row 0's flags stand for the tile's.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ROWS-1:0] n_valid, n_last;
    /* verilator lint_on UNUSEDSIGNAL */
    genvar r;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_neuron
            /* verilator lint_off PINCONNECTEMPTY */
            qsnn_neuron #(.S(S), .ACC_W(ACC_W), .LEAK_SHIFT(LEAK_SHIFT),
                          .RESET_HARD(RESET_HARD), .V_RESET(V_RESET)) u_neuron (
                .clk(clk), .rst(rst), .v_th(v_th),
                .in_valid(pe_valid), .in_last(pe_step_last),
                .psum(psum[r*ACC_W +: ACC_W]),
                .out_valid(n_valid[r]), .out_last(n_last[r]),
                .spike(spikes_out[r*S +: S]), .membrane()
            );
            /* verilator lint_on PINCONNECTEMPTY */
        end
    endgenerate
    assign out_valid = n_valid[0];
    assign out_last  = n_last[0];
endmodule
`default_nettype wire
