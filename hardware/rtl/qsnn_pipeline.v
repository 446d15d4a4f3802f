// qsnn_pipeline: three layer tiles chained by qsnn_link, for cycle-count
// validation of the accelerator model (a small fully connected SNN).
//
// Layer 1: fan-in CHUNKS1*COLS1 -> ROWS1 neurons; layer 2: ROWS1 = CHUNKS2*COLS2
// -> ROWS2; layer 3: ROWS2 = CHUNKS3*COLS3 -> ROWS3. Each layer fits one tile
// (all its neurons computed in parallel). Every layer integrates over the
// same T time steps; Last travels with the data. Input beats are accepted
// when in_ready (credit flow control, see qsnn_link). Weights are loaded per
// layer through w_we[l] / w_addr / w_data (the low bits of w_data are used).
`default_nettype none
module qsnn_pipeline #(
    parameter integer W          = 8,
    parameter integer S          = 2,
    parameter integer ACC_W      = 24,
    parameter integer LEAK_SHIFT = 1,
    parameter integer RESET_HARD = 1,
    parameter integer COLS1 = 4, parameter integer CHUNKS1 = 4, parameter integer ROWS1 = 8,
    parameter integer COLS2 = 4, parameter integer ROWS2 = 8,
    parameter integer COLS3 = 4, parameter integer ROWS3 = 4,
    parameter integer CHUNKS2 = ROWS1 / COLS2,
    parameter integer CHUNKS3 = ROWS2 / COLS3,
    parameter integer WD = ROWS1*COLS1*W > ROWS2*COLS2*W ?
                           (ROWS1*COLS1*W > ROWS3*COLS3*W ? ROWS1*COLS1*W : ROWS3*COLS3*W) :
                           (ROWS2*COLS2*W > ROWS3*COLS3*W ? ROWS2*COLS2*W : ROWS3*COLS3*W),
    parameter integer AWMAX = 8
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [ACC_W-1:0]     v_th,
    input  wire [2:0]           w_we,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [AWMAX-1:0]     w_addr,    // low bits used per layer
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [WD-1:0]        w_data,
    input  wire                 in_valid,
    input  wire                 in_last,
    input  wire [COLS1*S-1:0]   spikes_in,
    output wire                 in_ready,
    output wire                 out_valid,
    output wire                 out_last,
    output wire [ROWS3*S-1:0]   spikes_out
);
    localparam integer AW1 = (CHUNKS1 > 1) ? $clog2(CHUNKS1) : 1;
    localparam integer AW2 = (CHUNKS2 > 1) ? $clog2(CHUNKS2) : 1;
    localparam integer AW3 = (CHUNKS3 > 1) ? $clog2(CHUNKS3) : 1;

    wire                credit1, credit2;
    wire                t1_first, t2_first;
    wire                o1_valid, o1_last, o2_valid, o2_last;
    wire [ROWS1*S-1:0]  o1_spikes;
    wire [ROWS2*S-1:0]  o2_spikes;
    wire                i2_valid, i2_last, i3_valid, i3_last;
    wire [COLS2*S-1:0]  i2_spikes;
    wire [COLS3*S-1:0]  i3_spikes;
    /* verilator lint_off UNUSEDSIGNAL */
    wire                t3_first, t1_ready, t2_ready, t3_ready, i2_start, i3_start;
    /* verilator lint_on UNUSEDSIGNAL */

    // A new time step may enter layer 1 only with a credit of link 1.
    assign in_ready = !t1_first || credit1;
    wire accept1    = in_valid && in_ready;

    /* verilator lint_off UNUSEDSIGNAL */
    wire [WD-1:0] wd = w_data;
    /* verilator lint_on UNUSEDSIGNAL */

    qsnn_layer_tile #(.W(W), .S(S), .ROWS(ROWS1), .COLS(COLS1), .CHUNKS(CHUNKS1), .ACC_W(ACC_W),
                      .LEAK_SHIFT(LEAK_SHIFT), .RESET_HARD(RESET_HARD)) u_tile1 (
        .clk(clk), .rst(rst), .v_th(v_th),
        .w_we(w_we[0]), .w_addr(w_addr[AW1-1:0]), .w_data(wd[ROWS1*COLS1*W-1:0]),
        .in_valid(accept1), .in_last(in_last), .spikes_in(spikes_in),
        .in_ready(t1_ready), .in_first(t1_first),
        .out_valid(o1_valid), .out_last(o1_last), .spikes_out(o1_spikes));

    qsnn_link #(.S(S), .ROWS_A(ROWS1), .COLS_B(COLS2), .CHUNKS_B(CHUNKS2)) u_link1 (
        .clk(clk), .rst(rst), .up_start(accept1 && t1_first), .up_credit(credit1),
        .a_valid(o1_valid), .a_last(o1_last), .a_spikes(o1_spikes),
        .dn_credit(credit2), .b_valid(i2_valid), .b_last(i2_last), .b_spikes(i2_spikes),
        .b_start(i2_start));

    qsnn_layer_tile #(.W(W), .S(S), .ROWS(ROWS2), .COLS(COLS2), .CHUNKS(CHUNKS2), .ACC_W(ACC_W),
                      .LEAK_SHIFT(LEAK_SHIFT), .RESET_HARD(RESET_HARD)) u_tile2 (
        .clk(clk), .rst(rst), .v_th(v_th),
        .w_we(w_we[1]), .w_addr(w_addr[AW2-1:0]), .w_data(wd[ROWS2*COLS2*W-1:0]),
        .in_valid(i2_valid), .in_last(i2_last), .spikes_in(i2_spikes),
        .in_ready(t2_ready), .in_first(t2_first),
        .out_valid(o2_valid), .out_last(o2_last), .spikes_out(o2_spikes));

    qsnn_link #(.S(S), .ROWS_A(ROWS2), .COLS_B(COLS3), .CHUNKS_B(CHUNKS3)) u_link2 (
        .clk(clk), .rst(rst), .up_start(i2_valid && t2_first), .up_credit(credit2),
        .a_valid(o2_valid), .a_last(o2_last), .a_spikes(o2_spikes),
        .dn_credit(1'b1), .b_valid(i3_valid), .b_last(i3_last), .b_spikes(i3_spikes),
        .b_start(i3_start));

    qsnn_layer_tile #(.W(W), .S(S), .ROWS(ROWS3), .COLS(COLS3), .CHUNKS(CHUNKS3), .ACC_W(ACC_W),
                      .LEAK_SHIFT(LEAK_SHIFT), .RESET_HARD(RESET_HARD)) u_tile3 (
        .clk(clk), .rst(rst), .v_th(v_th),
        .w_we(w_we[2]), .w_addr(w_addr[AW3-1:0]), .w_data(wd[ROWS3*COLS3*W-1:0]),
        .in_valid(i3_valid), .in_last(i3_last), .spikes_in(i3_spikes),
        .in_ready(t3_ready), .in_first(t3_first),
        .out_valid(out_valid), .out_last(out_last), .spikes_out(spikes_out));
endmodule
`default_nettype wire
