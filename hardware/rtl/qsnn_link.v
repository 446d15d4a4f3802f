// qsnn_link: joins two layer tiles of a pipeline.
//
// Upstream tile A emits ROWS_A spikes per time step (one out_valid beat);
// downstream tile B consumes them as CHUNKS_B beats of COLS_B spikes
// (ROWS_A == CHUNKS_B * COLS_B). The link holds a 2-entry FIFO of whole time
// steps and serializes its head into B. Flow control is by credits: A may
// start a new time step (accept the first beat of it) only while fewer than
// DEPTH steps are in flight between A's input and B's input, so the FIFO can
// never overflow and A never needs to stall mid-step.
`default_nettype none
module qsnn_link #(
    parameter integer S        = 2,
    parameter integer ROWS_A   = 8,
    parameter integer COLS_B   = 4,
    parameter integer CHUNKS_B = 2,
    parameter integer AW       = (CHUNKS_B > 1) ? $clog2(CHUNKS_B) : 1
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire                 up_start,   // A accepts the first beat of a time step
    output wire                 up_credit,  // A may start a time step
    input  wire                 a_valid,    // A's spikes of one step
    input  wire                 a_last,
    input  wire [ROWS_A*S-1:0]  a_spikes,
    input  wire                 dn_credit,  // B may start a time step (B's own link)
    output wire                 b_valid,
    output wire                 b_last,
    output wire [COLS_B*S-1:0]  b_spikes,
    output wire                 b_start     // the beat sent is the first of a step
);
    localparam integer DEPTH = 2;

    reg [ROWS_A*S-1:0] fifo_data [0:DEPTH-1];
    reg [DEPTH-1:0]    fifo_last;
    reg                wr_ptr, rd_ptr;
    reg [1:0]          count;     // steps held in the FIFO
    reg [1:0]          pending;   // steps started in A and not yet fully sent to B
    reg [AW-1:0]       chunk;

    localparam integer LAST_CHUNK = CHUNKS_B - 1;
    wire last_chunk = (chunk == LAST_CHUNK[AW-1:0]);
    wire first      = (chunk == {AW{1'b0}});
    assign b_start  = first;

    assign b_valid  = (count != 2'd0) && (!first || dn_credit);
    assign b_last   = fifo_last[rd_ptr];
    wire [ROWS_A*S-1:0] head = fifo_data[rd_ptr];
    assign b_spikes = head[chunk*COLS_B*S +: COLS_B*S];
    wire pop        = b_valid && last_chunk;

    assign up_credit = (pending != DEPTH[1:0]);  // pending never exceeds DEPTH

    always @(posedge clk) begin
        if (a_valid) begin
            fifo_data[wr_ptr] <= a_spikes;
            fifo_last[wr_ptr] <= a_last;
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            wr_ptr  <= 1'b0;
            rd_ptr  <= 1'b0;
            count   <= 2'd0;
            pending <= 2'd0;
            chunk   <= {AW{1'b0}};
        end else begin
            if (a_valid) wr_ptr <= ~wr_ptr;
            if (pop)     rd_ptr <= ~rd_ptr;
            count   <= count   + {1'b0, a_valid}  - {1'b0, pop};
            pending <= pending + {1'b0, up_start} - {1'b0, pop};
            if (b_valid) chunk <= last_chunk ? {AW{1'b0}} : chunk + 1'b1;
        end
    end
endmodule
`default_nettype wire
