# Hardware (issue 5): RTL simulation traces (Fig. 2), switching activity (Fig. 3), synthesis,
# and the accelerator model (Table 4). Every number is labelled modelled, simulated or measured.
# The synthesis sweep and the simulations cache per configuration inside the qsnn commands.
# priority: the sweep and the activity simulations are the longest serial steps of the quick
# profile; starting them first lets them overlap with the training runs.


rule hw_traces:
    output:
        report(
            "results/hardware/fig2_traces.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "fig2_traces.csv (simulated)"},
        ),
    log:
        "results/logs/hardware/traces.log",
    benchmark:
        "results/benchmarks/hw_traces.tsv"
    conda:
        CONDA_ENV
    shell:
        "qsnn hw traces --out-dir results/hardware > {log} 2>&1"


rule hw_activity_rtl:
    input:
        activity_checkpoint,
    output:
        report(
            "results/hardware/activity_rtl.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "activity_rtl.csv (simulated)"},
        ),
    log:
        "results/logs/hardware/activity_rtl.log",
    benchmark:
        "results/benchmarks/hw_activity_rtl.tsv"
    priority: 10
    conda:
        CONDA_ENV
    # Its configurations build and simulate in parallel (--jobs): on 2 cores, with nothing else
    # ready to run at the end of the DAG, one thread would leave a core idle.
    threads: 2
    params:
        checkpoint=lambda wildcards, input: str(Path(input[0]).parent / "checkpoint.pt"),
        args=activity_args,
    shell:
        "qsnn hw activity --checkpoint {params.checkpoint} {params.args} --jobs {threads} --out {output} > {log} 2>&1"


rule synth_sweep:
    output:
        report(
            "results/hardware/synthesis.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "synthesis.csv (synthesized)"},
        ),
    log:
        "results/logs/hardware/synthesis.log",
    benchmark:
        "results/benchmarks/synth_sweep.tsv"
    priority: 10
    conda:
        CONDA_ENV
    # Also set in workflow/profiles/*: a run with --workflow-profile none still gets two threads.
    threads: 2
    shell:
        "qsnn synth sweep --jobs {threads} --out {output} > {log} 2>&1"


rule synth_activity:
    input:
        rtl="results/hardware/activity_rtl.csv",
        synthesis="results/hardware/synthesis.csv",  # reuses the sweep's cached netlists
    output:
        activity=report(
            "results/hardware/activity.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "activity.csv (simulated)"},
        ),
        fits=report(
            "results/hardware/activity_fits.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "activity_fits.csv (fits of simulated activity)"},
        ),
        netlist="results/hardware/activity_netlist.csv",
    log:
        "results/logs/hardware/activity.log",
    benchmark:
        "results/benchmarks/synth_activity.tsv"
    priority: 10
    conda:
        CONDA_ENV
    threads: 2  # netlists synthesized, compiled and simulated in parallel (--jobs)
    shell:
        "qsnn synth activity --rtl-csv {input.rtl} --netlist-rows {output.netlist} --out {output.activity}"
        " --fits-out {output.fits} --jobs {threads} > {log} 2>&1"


rule synth_accelerator:
    input:
        paper_table=f"{PAPER_DIR}/table4.csv",
    output:
        report(
            "results/hardware/accelerator.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "accelerator.csv (modelled or measured)"},
        ),
    log:
        "results/logs/hardware/accelerator.log",
    conda:
        CONDA_ENV
    params:
        board=f"{WORKFLOW_DIR}/hardware/board",
    shell:
        "qsnn synth accel --paper-table {input.paper_table} --board-dir {params.board} --out {output} > {log} 2>&1"


rule synth_validate:
    output:
        report(
            "results/hardware/accel_validation.csv",
            caption="../report/hardware.rst",
            category="Hardware",
            labels={"file": "accel_validation.csv (modelled vs simulated)"},
        ),
    log:
        "results/logs/hardware/accel_validation.log",
    benchmark:
        "results/benchmarks/synth_validate.tsv"
    conda:
        CONDA_ENV
    shell:
        "qsnn synth validate --out {output} > {log} 2>&1"
