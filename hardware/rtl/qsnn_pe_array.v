// qsnn_pe_array: ROWS x COLS W-bit weight x S-bit spike multiply-accumulate.
//
// Schedule: one layer tile computes ROWS output neurons whose fan-in is
// CHUNKS * COLS inputs. Per time step the input spike vector arrives as CHUNKS
// beats of COLS spikes (in_first on the first beat of a step, in_last on the
// final one). Each beat, every row adds sum_c w[r][c] * s[c] to its
// accumulator (an adder tree per row, then one accumulator register). One
// cycle after the in_last beat, psum holds P_sum for all ROWS neurons and
// out_valid is high for one cycle; out_step_last carries in_step_last along
// (the Last flag of Fig. 2: the beat belongs to time step T).
//
// Weights: W-bit two's complement codes of qsnn.quant.weight_codes. W = 1 is
// a binary weight: code 1 -> +1, code 0 -> -1 (the +-1 of a 1-bit layer).
// Spikes: unsigned S-bit levels k in [0, 2**S-1].
// Layout: weights[(r*COLS + c)*W +: W], spikes[c*S +: S], psum[r*ACC_W +: ACC_W].
// ACC_W must hold the largest |P_sum| (the Python wrapper checks this).
`default_nettype none
module qsnn_pe_array #(
    parameter integer W     = 8,   // weight bit-width, 1..16
    parameter integer S     = 2,   // spike bit-width, 1..8
    parameter integer ROWS  = 4,   // output neurons computed in parallel
    parameter integer COLS  = 4,   // inputs consumed per beat
    parameter integer ACC_W = 16   // P_sum width (signed), > W + S + 1
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    in_valid,
    input  wire                    in_first,      // first beat of a time step
    input  wire                    in_last,       // final beat of a time step
    input  wire                    in_step_last,  // the step is time step T
    input  wire [ROWS*COLS*W-1:0]  weights,
    input  wire [COLS*S-1:0]       spikes,
    output reg                     out_valid,
    output reg                     out_step_last,
    output wire [ROWS*ACC_W-1:0]   psum
);
    localparam integer P = W + S + 2;  // signed product width: (W+1)-bit x (S+1)-bit

    genvar r;
    generate
        for (r = 0; r < ROWS; r = r + 1) begin : g_row
            reg signed [ACC_W-1:0] acc;
            reg signed [ACC_W-1:0] row_sum;
            reg signed [W:0]       wv;
            reg signed [S:0]       sv;
            reg signed [P-1:0]     prod;
            integer c;
            always @* begin
                row_sum = {ACC_W{1'b0}};
                for (c = 0; c < COLS; c = c + 1) begin
                    if (W == 1)
                        wv = {{W{~weights[(r*COLS + c)*W]}}, 1'b1};  // 1 -> +1, 0 -> -1
                    else
                        wv = {weights[(r*COLS + c)*W + W - 1], weights[(r*COLS + c)*W +: W]};
                    sv      = {1'b0, spikes[c*S +: S]};
                    prod    = wv * sv;
                    row_sum = row_sum + {{(ACC_W-P){prod[P-1]}}, prod};
                end
            end
            always @(posedge clk) begin
                if (rst)
                    acc <= {ACC_W{1'b0}};
                else if (in_valid)
                    acc <= (in_first ? {ACC_W{1'b0}} : acc) + row_sum;
            end
            assign psum[r*ACC_W +: ACC_W] = acc;
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            out_valid     <= 1'b0;
            out_step_last <= 1'b0;
        end else begin
            out_valid     <= in_valid & in_last;
            out_step_last <= in_valid & in_last & in_step_last;
        end
    end
endmodule
`default_nettype wire
