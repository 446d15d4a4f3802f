# The reproduction report: every table cell, published vs ours, delta and kind, plus errata.


rule reproduction_report:
    input:
        experiments="results/summary/experiments.csv",
    output:
        md="results/report/reproduction.md",
        # The same report as a page: Snakemake's report only offers Markdown as a download.
        html=report(
            "results/report/reproduction.html",
            caption="../report/reproduction.rst",
            category="Reproduction",
            labels={"report": "every published cell beside ours, with errata"},
        ),
    log:
        "results/logs/report/reproduction.log",
    conda:
        CONDA_ENV
    params:
        paper_dir=PAPER_DIR,
    shell:
        "qsnn report reproduction --experiments {input.experiments} --paper-dir {params.paper_dir}"
        " --out {output.md} --html {output.html} > {log} 2>&1"


rule timing:
    input:
        timing_inputs,
    output:
        report(
            "results/report/timing.csv",
            caption="../report/timing.rst",
            category="Summary",
            labels={"file": "timing.csv (where the run's time went)"},
        ),
    log:
        "results/logs/report/timing.log",
    conda:
        CONDA_ENV
    shell:
        "qsnn report timing {input} --out {output} > {log} 2>&1"
