# Hardware (issue 5): RTL simulation traces (Fig. 2), switching activity (Fig. 3), synthesis,
# and the accelerator model (Table 4). Every number is labelled modelled, simulated or measured.
# The synthesis sweep and the simulations cache per configuration inside the qsnn commands.
# priority: the sweep and the activity simulations are the longest serial steps of the quick
# profile; starting them first lets them overlap with the training runs.


rule hw_traces:
    output:
        "results/hardware/fig2_traces.csv",
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/traces.log",
    shell:
        "qsnn hw traces --out-dir results/hardware > {log} 2>&1"


rule hw_activity_rtl:
    priority: 10
    input:
        activity_checkpoint,
    output:
        "results/hardware/activity_rtl.csv",
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/activity_rtl.log",
    params:
        checkpoint=lambda wildcards, input: str(Path(input[0]).parent / "checkpoint.pt"),
        args=activity_args,
    shell:
        "qsnn hw activity --checkpoint {params.checkpoint} {params.args} --out {output} > {log} 2>&1"


rule synth_sweep:
    priority: 10
    output:
        "results/hardware/synthesis.csv",
    # Declared here as well as in the profile: Snakemake only finds a workflow profile at
    # profiles/default next to the root Snakefile, so a plain `snakemake --cores all` would
    # otherwise run the sweep on one core.
    threads: 2
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/synthesis.log",
    shell:
        "qsnn synth sweep --jobs {threads} --out {output} > {log} 2>&1"


rule synth_activity:
    priority: 10
    input:
        rtl="results/hardware/activity_rtl.csv",
        synthesis="results/hardware/synthesis.csv",  # reuses the sweep's cached netlists
    output:
        activity="results/hardware/activity.csv",
        fits="results/hardware/activity_fits.csv",
        netlist="results/hardware/activity_netlist.csv",
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/activity.log",
    shell:
        "qsnn synth activity --rtl-csv {input.rtl} --netlist-rows {output.netlist} --out {output.activity}"
        " --fits-out {output.fits} > {log} 2>&1"


rule synth_accelerator:
    input:
        paper_table=f"{PAPER_DIR}/table4.csv",
    output:
        "results/hardware/accelerator.csv",
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/accelerator.log",
    params:
        board=f"{WORKFLOW_DIR}/hardware/board",
    shell:
        "qsnn synth accel --paper-table {input.paper_table} --board-dir {params.board} --out {output} > {log} 2>&1"


rule synth_validate:
    output:
        "results/hardware/accel_validation.csv",
    conda:
        CONDA_ENV
    log:
        "results/logs/hardware/accel_validation.log",
    shell:
        "qsnn synth validate --out {output} > {log} 2>&1"
