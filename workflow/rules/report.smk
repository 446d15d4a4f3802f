# The reproduction report: every table cell, published vs ours, delta and kind, plus errata.


rule reproduction_report:
    input:
        experiments="results/summary/experiments.csv",
    output:
        report(
            "results/report/reproduction.md",
            caption="../report/reproduction.rst",
            category="Reproduction",
        ),
    conda:
        CONDA_ENV
    log:
        "results/logs/report/reproduction.log",
    params:
        paper_dir=PAPER_DIR,
    shell:
        "qsnn report reproduction --experiments {input.experiments} --paper-dir {params.paper_dir}"
        " --out {output} > {log} 2>&1"


rule timing:
    input:
        timing_inputs,
    output:
        report("results/report/timing.csv", caption="../report/timing.rst", category="Summary"),
    log:
        "results/logs/report/timing.log",
    conda:
        CONDA_ENV
    shell:
        "qsnn report timing {input} --out {output} > {log} 2>&1"
