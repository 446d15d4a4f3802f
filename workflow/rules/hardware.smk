# Hardware (issue 5): RTL simulation traces (Fig. 2), switching activity (Fig. 3), synthesis,
# and the accelerator model (Table 4). Every number is labelled modelled, simulated or measured.
# The sweep and the simulations cache per configuration inside the qsnn commands themselves.


rule hw_traces:
    output:
        "results/hardware/fig2_traces.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/traces.log",
    shell:
        "qsnn hw traces --out-dir results/hardware > {log} 2>&1"


rule hw_activity_rtl:
    input:
        activity_checkpoint,
    output:
        "results/hardware/activity_rtl.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/activity_rtl.log",
    params:
        checkpoint=lambda wildcards, input: str(Path(input[0]).parent / "checkpoint.pt"),
    shell:
        "qsnn hw activity --checkpoint {params.checkpoint} --out {output} > {log} 2>&1"


rule synth_sweep:
    output:
        "results/hardware/synthesis.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/synthesis.log",
    shell:
        "qsnn synth sweep --out {output} > {log} 2>&1"


rule synth_activity:
    input:
        rtl="results/hardware/activity_rtl.csv",
        checkpoint=activity_checkpoint,
    output:
        "results/hardware/activity.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/activity.log",
    params:
        checkpoint=lambda wildcards, input: str(Path(input.checkpoint).parent / "checkpoint.pt"),
    shell:
        "qsnn synth activity --rtl {input.rtl} --checkpoint {params.checkpoint} --out {output} > {log} 2>&1"


rule synth_fits:
    input:
        "results/hardware/activity.csv",
    output:
        "results/hardware/activity_fits.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/activity_fits.log",
    shell:
        "qsnn synth fits --activity {input} --out {output} > {log} 2>&1"


rule synth_accelerator:
    output:
        "results/hardware/accelerator.csv",
    conda:
        CONDA_ENV
    log:
        "logs/hardware/accelerator.log",
    params:
        board="hardware/board",
    shell:
        "qsnn synth accel --board {params.board} --out {output} > {log} 2>&1"
