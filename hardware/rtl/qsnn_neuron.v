// qsnn_neuron: the neuron-integration datapath of the paper's Fig. 2.
//
// A multi-bit LIF neuron in integer form, bit-identical to
// qsnn.functional.lif_integer(psum, v_th, S, leak_shift=LEAK_SHIFT,
// reset="hard" if RESET_HARD else "soft", v_reset=V_RESET).
//
// Protocol (one sample = T valid beats, T is set at run time by in_last):
//   * in_valid marks a P_sum beat (one time step); in_last marks the T-th beat.
//   * The FSM resets the membrane at the start of a sample: in IDLE the
//     previous membrane is taken as V_RESET, whatever the register holds.
//   * Per valid beat:  v = (v >>> LEAK_SHIFT) + psum        (leak 1/tau, tau = 2**LEAK_SHIFT, floor)
//                      k = clamp(floor(v / v_th), 0, 2**S-1) (paper Eq. 7, spike level)
//                      hard reset: v = V_RESET if k > 0;  soft reset: v = v - k*v_th
//   * spike/membrane/out_valid/out_last are registered: they appear one cycle
//     after the beat. After the beat with in_last the FSM returns to IDLE.
//
// v_th is a run-time input (a positive signed ACC_W-bit integer, >= 1).
// floor(v / v_th) clamped to 2**S-1 is computed by S restoring
// compare-and-subtract stages (no divider): stage b subtracts v_th << b when
// the remainder allows it. Greedy subtraction from the top bit saturates at
// 2**S-1 when v >= 2**S * v_th, and a negative v never subtracts (k = 0), so
// the clamp costs nothing. The final remainder is v - k*v_th, i.e. exactly
// the soft-reset membrane. The stages are combinational (single-cycle neuron).
`default_nettype none
module qsnn_neuron #(
    parameter integer S          = 2,   // spike bit-width, 1..8
    parameter integer ACC_W      = 16,  // membrane / P_sum width (signed)
    parameter integer LEAK_SHIFT = 1,   // leak: v >>> LEAK_SHIFT per step (tau = 2**LEAK_SHIFT)
    parameter integer RESET_HARD = 1,   // 1: hard reset to V_RESET, 0: soft reset (subtract k*v_th)
    parameter integer V_RESET    = 0    // reset / initial membrane value
) (
    input  wire                    clk,
    input  wire                    rst,       // synchronous, active high
    input  wire [ACC_W-1:0]        v_th,      // threshold, signed, >= 1
    input  wire                    in_valid,  // P_sum beat valid (one time step)
    input  wire                    in_last,   // this beat is time step T
    input  wire signed [ACC_W-1:0] psum,      // weighted presynaptic input
    output reg                     out_valid, // spike holds the level of a step
    output reg                     out_last,  // ... and that step was the last one
    output reg  [S-1:0]            spike,     // spike level k in [0, 2**S-1]
    output reg  signed [ACC_W-1:0] membrane   // membrane after reset (for traces/checks)
);
    localparam [1:0] IDLE = 2'd0, INTEGRATE = 2'd1;
    localparam integer X = ACC_W + S + 1;  // room for v_th << (S-1) and its difference

    reg [1:0] state;

    // Membrane reset at the start of a sample: IDLE reads V_RESET.
    /* verilator lint_off WIDTHTRUNC */
    /* verilator lint_off WIDTHEXPAND */
    wire signed [ACC_W-1:0] v_rst  = V_RESET;  // sign-extended or truncated to ACC_W
    /* verilator lint_on WIDTHEXPAND */
    /* verilator lint_on WIDTHTRUNC */
    wire signed [ACC_W-1:0] v_prev = (state == IDLE) ? v_rst : membrane;
    wire signed [ACC_W-1:0] v_int  = (v_prev >>> LEAK_SHIFT) + psum;

    // Restoring division, clamped: k = min(floor(v_int / v_th), 2**S-1), 0 if v_int < 0.
    reg signed [X-1:0] rem;
    reg signed [X-1:0] trial;
    reg        [S-1:0] k;
    integer b;
    wire signed [X-1:0] vth_x = {{(S+1){1'b0}}, v_th};
    always @* begin
        rem = {{(S+1){v_int[ACC_W-1]}}, v_int};
        k   = {S{1'b0}};
        for (b = S - 1; b >= 0; b = b - 1) begin
            trial = rem - (vth_x <<< b);
            if (!trial[X-1]) begin
                rem  = trial;
                k[b] = 1'b1;
            end
        end
    end

    wire                    fired   = |k;
    wire signed [ACC_W-1:0] v_soft  = rem[ACC_W-1:0];
    wire signed [ACC_W-1:0] v_next  = (RESET_HARD != 0) ? (fired ? v_rst : v_int) : v_soft;

    always @(posedge clk) begin
        if (rst) begin
            state     <= IDLE;
            membrane  <= v_rst;
            spike     <= {S{1'b0}};
            out_valid <= 1'b0;
            out_last  <= 1'b0;
        end else begin
            out_valid <= in_valid;
            out_last  <= in_valid & in_last;
            if (in_valid) begin
                membrane <= v_next;
                spike    <= k;
                state    <= in_last ? IDLE : INTEGRATE;
            end
        end
    end
endmodule
`default_nettype wire
